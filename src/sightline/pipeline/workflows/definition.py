"""The workflow definition: a small Amazon-States-Language-like model, validated on load.

A definition names its first step (``start_at``) and its steps by name. Step types:

- ``task``: runs a named action (``action``, with ``parameters``); its result is stored
  in the state at ``result_path`` (default ``$.<step name>``). ``retry`` and ``catch``
  handle its errors.
- ``parallel``: ``branches``, each a sub-workflow (``start_at`` + ``steps``), all run on
  a copy of the state and must all finish; the keys each branch adds or changes are
  merged back (a later branch wins on a clash). ``retry`` re-runs every branch.
- ``choice``: the first of ``choices`` whose condition holds on the state picks the
  next step, else ``default``.
- ``wait``: waits ``seconds``; the only step a cycle may go through.
- ``succeed`` and ``fail`` (``error``, ``cause``): end the execution (or the branch).

``task``, ``parallel`` and ``wait`` steps continue at ``next`` or finish with
``end = true``. Step names are unique across the whole definition (branches included),
as in ASL, so a name identifies a node of the drawn graph.

Paths are ``$`` followed by ``.key`` parts (``$.image.format.name``); a ``fail`` step's
``cause`` may insert state values with ``{$.path}``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

NAME_PATTERN = r"^[A-Za-z0-9_-]{1,80}$"
PATH_PATTERN = r"^\$(\.[A-Za-z0-9_-]+)+$"
ALL_ERRORS = "States.ALL"
TASK_FAILED = "States.TaskFailed"
Scalar = str | int | float | bool
_TEMPLATE = re.compile(r"\{(\$[^{}]*)\}")


class _Model(BaseModel):
    # A typo in a definition fails its load instead of being ignored.
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Retry(_Model):
    """Retry a failed step: after ``interval_seconds``, multiplied by ``backoff_rate``
    for each further retry (capped by ``max_delay_seconds``), at most ``max_attempts``
    times. Retries happen inside the execution; they cost no queue attempt."""

    errors: list[str] = Field(default_factory=lambda: [ALL_ERRORS], min_length=1)
    max_attempts: int = Field(3, ge=0, le=100, description="Retries after the first try")
    interval_seconds: float = Field(1.0, ge=0, le=3600)
    backoff_rate: float = Field(2.0, ge=1.0, le=100)
    max_delay_seconds: float | None = Field(None, gt=0, le=3600)

    def delay(self, retry: int) -> float:
        """The wait before retry number ``retry`` (1-based)."""
        value = self.interval_seconds * self.backoff_rate ** (retry - 1)
        return min(value, self.max_delay_seconds) if self.max_delay_seconds else value


class Catch(_Model):
    """On one of ``errors``, continue at ``next`` with ``{"Error", "Cause"}`` stored at
    ``result_path`` (the step counts as CAUGHT, the execution goes on)."""

    errors: list[str] = Field(min_length=1)
    next: str
    result_path: str = Field("$.error", pattern=PATH_PATTERN)


class Condition(_Model):
    """One test on the state value at ``variable`` (exactly one of the operators), or a
    combination of conditions (``all``, ``any``, ``not``) without a variable."""

    variable: str | None = Field(None, pattern=PATH_PATTERN)
    equals: Scalar | None = None
    one_of: list[Scalar] | None = Field(None, min_length=1)
    is_present: bool | None = None
    greater_than: float | None = None
    greater_or_equal: float | None = None
    less_than: float | None = None
    less_or_equal: float | None = None
    matches: str | None = Field(None, description="A glob: * is any text, ? one character")
    all: list[Condition] | None = Field(None, min_length=1)
    any: list[Condition] | None = Field(None, min_length=1)
    not_: Condition | None = Field(None, alias="not")

    @model_validator(mode="after")
    def _one_test(self) -> Condition:
        tests = [
            name
            for name in (*TESTS, *COMBINATORS)
            if getattr(self, "not_" if name == "not" else name) is not None
        ]
        if len(tests) != 1:
            raise ValueError(
                f"a condition needs exactly one of {', '.join(TESTS + COMBINATORS)}; "
                f"it has {', '.join(tests) or 'none'}"
            )
        if tests[0] in TESTS and self.variable is None:
            raise ValueError(f"the {tests[0]} test needs a variable (a $.path)")
        if tests[0] in COMBINATORS and self.variable is not None:
            raise ValueError(f"{tests[0]} combines conditions and takes no variable")
        return self

    @property
    def test(self) -> str:
        return next(n for n in (*TESTS, *COMBINATORS) if getattr(self, _field(n)) is not None)

    def describe(self) -> str:
        """A short label for the condition, for drawing the edge it guards."""
        test = self.test
        if test in COMBINATORS:
            parts = [c.describe() for c in (self.all or self.any or [])]
            if test == "not" and self.not_ is not None:
                return f"not ({self.not_.describe()})"
            return f" {'and' if test == 'all' else 'or'} ".join(f"({p})" for p in parts)
        value = getattr(self, test)
        shown = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
        symbol = {
            "equals": "==",
            "one_of": "in",
            "greater_than": ">",
            "greater_or_equal": ">=",
            "less_than": "<",
            "less_or_equal": "<=",
            "matches": "matches",
        }.get(test)
        if test == "is_present":
            return f"{self.variable} {'present' if value else 'absent'}"
        if test == "one_of":
            shown = f"[{shown}]"
        return f"{self.variable} {symbol} {shown}"


TESTS = (
    "equals",
    "one_of",
    "is_present",
    "greater_than",
    "greater_or_equal",
    "less_than",
    "less_or_equal",
    "matches",
)
COMBINATORS = ("all", "any", "not")


def _field(test: str) -> str:
    return "not_" if test == "not" else test


class ChoiceRule(Condition):
    next: str


class _Step(_Model):
    comment: str | None = None


class _Continues(_Step):
    """A step that goes on at ``next`` or ends its workflow (``end = true``)."""

    next: str | None = None
    end: bool = False


class TaskStep(_Continues):
    type: Literal["task"]
    action: str = Field(pattern=NAME_PATTERN)
    parameters: dict[str, Any] = Field(default_factory=dict)
    result_path: str | None = Field(None, pattern=PATH_PATTERN)
    retry: list[Retry] = Field(default_factory=list)
    catch: list[Catch] = Field(default_factory=list)


class Branch(_Model):
    start_at: str
    steps: dict[str, Step] = Field(min_length=1)


class ParallelStep(_Continues):
    type: Literal["parallel"]
    branches: list[Branch] = Field(min_length=1)
    retry: list[Retry] = Field(default_factory=list)
    catch: list[Catch] = Field(default_factory=list)


class ChoiceStep(_Step):
    type: Literal["choice"]
    choices: list[ChoiceRule] = Field(min_length=1)
    default: str | None = None


class WaitStep(_Continues):
    type: Literal["wait"]
    seconds: float = Field(ge=0, le=3600)


class SucceedStep(_Step):
    type: Literal["succeed"]


class FailStep(_Step):
    type: Literal["fail"]
    error: str = Field(min_length=1, max_length=128)
    cause: str = Field("", max_length=4000, description="May insert state values: {$.path}")


Step = Annotated[
    TaskStep | ParallelStep | ChoiceStep | WaitStep | SucceedStep | FailStep,
    Field(discriminator="type"),
]


class Definition(_Model):
    """A whole workflow. ``name`` is what rules and executions call it."""

    name: str = Field(pattern=NAME_PATTERN)
    comment: str | None = None
    start_at: str
    steps: dict[str, Step] = Field(min_length=1)
    max_transitions: int = Field(
        1000, ge=1, le=100_000, description="Steps one execution may enter (loops end here)"
    )

    def all_steps(self) -> Iterator[tuple[str, str, Step]]:
        """``(branch path, name, step)`` of every step, branches after their parallel
        step, in definition order. The top level's branch path is ``""``; branch ``i``
        of parallel step ``p`` is ``p[i]`` (nested: ``p[0]/q[1]``)."""
        yield from _walk(self.steps, "")

    def step(self, name: str) -> Step:
        for _, found, step in self.all_steps():
            if found == name:
                return step
        raise KeyError(name)


def _walk(steps: Mapping[str, Step], path: str) -> Iterator[tuple[str, str, Step]]:
    for name, step in steps.items():
        yield path, name, step
        if isinstance(step, ParallelStep):
            for i, branch in enumerate(step.branches):
                yield from _walk(branch.steps, branch_path(path, name, i))


def branch_path(parent: str, step: str, index: int) -> str:
    """The path of branch ``index`` of parallel ``step`` inside branch path ``parent``."""
    own = f"{step}[{index}]"
    return f"{parent}/{own}" if parent else own


def transitions(step: Step) -> list[tuple[str, str, str | None]]:
    """``(target, kind, label)`` of every transition out of ``step``; kinds are
    ``next``, ``choice``, ``default`` and ``catch``."""
    out: list[tuple[str, str, str | None]] = []
    if isinstance(step, ChoiceStep):
        out.extend((rule.next, "choice", rule.describe()) for rule in step.choices)
        if step.default is not None:
            out.append((step.default, "default", "default"))
        return out
    if isinstance(step, _Continues) and step.next is not None:
        out.append((step.next, "next", None))
    if isinstance(step, TaskStep | ParallelStep):
        out.extend((c.next, "catch", ", ".join(c.errors)) for c in step.catch)
    return out


def ends(step: Step) -> bool:
    """Whether ``step`` can finish its workflow (or branch) itself."""
    if isinstance(step, SucceedStep | FailStep):
        return True
    return isinstance(step, _Continues) and step.end


def template_paths(text: str) -> list[str]:
    """The ``{$.path}`` placeholders of a cause template."""
    return _TEMPLATE.findall(text)


TEMPLATE = _TEMPLATE
Branch.model_rebuild()
ParallelStep.model_rebuild()
Definition.model_rebuild()
