"""The interpreter: runs a checked definition step by step, reporting each change.

Error names: an action's :class:`SightlineError` fails its step with the class name
(``StorageError``); a retrier or catcher naming an ancestor class
(``InvalidInputError``) matches it too. Any other exception is a bug or a library
failure and fails the step as ``InternalError`` (the cause names the exception).
``States.ALL`` matches every error, ``States.TaskFailed`` every error of a task or
parallel step. A ``fail`` step fails with its own ``error``; a choice no rule fits
(and without a default) fails with ``States.NoChoiceMatched``; an execution that
enters more than ``max_transitions`` steps fails with ``States.ExceedsTransitions``.

Parallel branches each run on a copy of the state, one after another, or in threads
of the worker (one per branch) when ``threads`` is set; when one fails, the others
stop before their next step and the parallel step fails with the first failure.
Sequence is the default because a worker process is sized to one core (analyzers run
single-threaded; processes are the parallelism): measured on image-album and a
five-branch workflow, threads were 1.01-1.08x *slower* with the cores busy
(``bench/workflow_parallel.py``). Retries wait in the worker (their attempts are not
queue attempts); the worker's heartbeat keeps the task's lease meanwhile.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from sightline.errors import SightlineError
from sightline.pipeline.workflows.definition import (
    ALL_ERRORS,
    TASK_FAILED,
    Catch,
    ChoiceStep,
    Definition,
    FailStep,
    ParallelStep,
    Retry,
    Step,
    SucceedStep,
    TaskStep,
    WaitStep,
    branch_path,
)
from sightline.pipeline.workflows.records import ExecutionRecorder, StepHandle
from sightline.pipeline.workflows.state import fork, holds, jsonable, merge, render, set_path

log = logging.getLogger(__name__)
NO_CHOICE = "States.NoChoiceMatched"
TOO_MANY = "States.ExceedsTransitions"
CANCELLED = "States.BranchCancelled"


@dataclass(frozen=True)
class ActionCall:
    """What an action receives: the execution's shared ``context``, the step's
    ``parameters``, the state as ``input``, and the attempt number (1 first)."""

    context: Any
    step: str
    parameters: Mapping[str, Any]
    input: Mapping[str, Any]
    attempt: int


# An action returns the step's result (JSON-ready) or raises a SightlineError.
Action = Callable[[ActionCall], Any]


@dataclass(frozen=True)
class Failure:
    error: str
    cause: str
    names: tuple[str, ...] = ()  # every name a retrier or catcher may match

    def matches(self, errors: list[str], *, task: bool) -> bool:
        if ALL_ERRORS in errors or (task and TASK_FAILED in errors):
            return True
        return any(e == self.error or e in self.names for e in errors)


@dataclass(frozen=True)
class Outcome:
    """How an execution ended: SUCCEEDED with ``output``, or FAILED with a failure."""

    output: dict[str, Any] | None
    failure: Failure | None

    @property
    def succeeded(self) -> bool:
        return self.failure is None


def failure_of(exc: BaseException) -> Failure:
    """The step failure an exception raised by an action stands for."""
    if isinstance(exc, SightlineError):
        names = tuple(c.__name__ for c in type(exc).__mro__ if issubclass(c, SightlineError))
        return Failure(type(exc).__name__, exc.message, names)
    cause = f"{type(exc).__name__}: {exc}".strip().rstrip(":")
    return Failure("InternalError", cause, ("InternalError", "SightlineError"))


class _Run:
    """One execution's bookkeeping shared by its branches."""

    def __init__(self, definition: Definition, context: Any, recorder: ExecutionRecorder):
        self.definition = definition
        self.context = context
        self.recorder = recorder
        self.transitions = 0
        self._lock = threading.Lock()

    def count(self) -> bool:
        with self._lock:
            self.transitions += 1
            return self.transitions <= self.definition.max_transitions


class _Cancel:
    """Set when a sibling branch failed, here or in an enclosing parallel step."""

    def __init__(self, parent: _Cancel | None) -> None:
        self.parent = parent
        self._event = threading.Event()

    def set(self) -> None:
        self._event.set()

    def is_set(self) -> bool:
        return self._event.is_set() or (self.parent is not None and self.parent.is_set())


class WorkflowEngine:
    """Runs definitions with a registry of actions (name -> callable).

    ``sleep`` waits for retries and wait steps (tests pass a recorder of delays);
    ``threads`` runs parallel branches in threads (default: one after another).
    """

    def __init__(
        self,
        actions: Mapping[str, Action],
        *,
        sleep: Callable[[float], None] = time.sleep,
        threads: bool = False,
    ) -> None:
        self.actions = dict(actions)
        self.sleep = sleep
        self.threads = threads

    def run(
        self,
        definition: Definition,
        input: Mapping[str, Any],
        context: Any,
        recorder: ExecutionRecorder,
    ) -> Outcome:
        """Run ``definition`` on ``input``; step changes go to ``recorder``. Failures
        of steps end in the outcome; only the recorder's own errors (the database)
        propagate."""
        run = _Run(definition, context, recorder)
        state, failure = self._scope(
            run, definition.steps, definition.start_at, dict(jsonable(input)), "", None
        )
        return Outcome(state if failure is None else None, failure)

    # --- a sequence of steps (the top level or one branch) --------------------------

    def _scope(
        self,
        run: _Run,
        steps: Mapping[str, Step],
        start: str,
        state: dict[str, Any],
        path: str,
        cancel: _Cancel | None,
    ) -> tuple[dict[str, Any], Failure | None]:
        name = start
        while True:
            if cancel is not None and cancel.is_set():
                return state, Failure(CANCELLED, "Another branch of the parallel step failed.")
            if not run.count():
                return state, Failure(
                    TOO_MANY,
                    f"The execution entered more than {run.definition.max_transitions} "
                    f"steps; step {name!r} was not entered.",
                )
            step = steps[name]
            handle = run.recorder.enter(name, step.type, path, state)
            if isinstance(step, SucceedStep):
                run.recorder.succeeded(handle, state, None)
                return state, None
            if isinstance(step, FailStep):
                failure = Failure(step.error, render(step.cause, state))
                run.recorder.failed(handle, failure.error, failure.cause)
                return state, failure
            if isinstance(step, ChoiceStep):
                chosen = next((r.next for r in step.choices if holds(r, state)), step.default)
                if chosen is None:
                    failure = Failure(
                        NO_CHOICE, f"No choice rule of step {name!r} matched the state."
                    )
                    run.recorder.failed(handle, failure.error, failure.cause)
                    return state, failure
                run.recorder.succeeded(handle, state, chosen)
                name = chosen
                continue
            if isinstance(step, WaitStep):
                self.sleep(step.seconds)
                run.recorder.succeeded(handle, state, step.next)
                if step.next is None:
                    return state, None
                name = step.next
                continue
            assert isinstance(step, TaskStep | ParallelStep)
            result, problem = self._attempts(run, name, step, state, path, handle, cancel)
            if problem is None:
                state = result
                run.recorder.succeeded(handle, state, step.next)
                if step.next is None:
                    return state, None
                name = step.next
                continue
            catcher = _first(step.catch, problem)
            if catcher is None:
                run.recorder.failed(handle, problem.error, problem.cause)
                return state, problem
            state = set_path(
                state, catcher.result_path, {"Error": problem.error, "Cause": problem.cause}
            )
            run.recorder.caught(handle, problem.error, problem.cause, state, catcher.next)
            name = catcher.next

    def _attempts(
        self,
        run: _Run,
        name: str,
        step: TaskStep | ParallelStep,
        state: dict[str, Any],
        path: str,
        handle: StepHandle,
        cancel: _Cancel | None,
    ) -> tuple[dict[str, Any], Failure | None]:
        """Run a task or parallel step with its retriers (each counts its own retries,
        as in ASL); the new state, or the last failure."""
        used = [0] * len(step.retry)
        while True:
            if isinstance(step, TaskStep):
                new_state, failure = self._task(run, name, step, state, handle.attempts)
            else:
                new_state, failure = self._parallel(run, name, step, state, path, cancel)
            if failure is None:
                return new_state, None
            index = next(
                (i for i, r in enumerate(step.retry) if failure.matches(r.errors, task=True)),
                None,
            )
            if index is None or used[index] >= step.retry[index].max_attempts:
                return state, failure
            used[index] += 1
            delay = step.retry[index].delay(used[index])
            run.recorder.retrying(handle, failure.error, failure.cause, delay)
            self.sleep(delay)
            run.recorder.retry(handle)

    def _task(
        self, run: _Run, name: str, step: TaskStep, state: dict[str, Any], attempt: int
    ) -> tuple[dict[str, Any], Failure | None]:
        action = self.actions.get(step.action)
        if action is None:  # checked at load; a registry changed since
            return state, Failure("States.Runtime", f"No action named {step.action!r}.")
        call = ActionCall(run.context, name, step.parameters, state, attempt)
        try:
            result = jsonable(action(call))
        except Exception as exc:
            failure = failure_of(exc)
            if failure.error == "InternalError" and not isinstance(exc, SightlineError):
                log.exception("workflow step %s (action %s) failed", name, step.action)
            return state, failure
        return set_path(state, step.result_path or f"$.{name}", result), None

    def _parallel(
        self,
        run: _Run,
        name: str,
        step: ParallelStep,
        state: dict[str, Any],
        path: str,
        outer: _Cancel | None,
    ) -> tuple[dict[str, Any], Failure | None]:
        cancel = _Cancel(outer)
        failures: list[Failure] = []
        lock = threading.Lock()

        def branch(i: int) -> dict[str, Any]:
            b = step.branches[i]
            out, failure = self._scope(
                run, b.steps, b.start_at, fork(state), branch_path(path, name, i), cancel
            )
            if failure is not None and failure.error != CANCELLED:
                with lock:
                    failures.append(failure)
                cancel.set()
            return out

        indices = range(len(step.branches))
        if self.threads and len(step.branches) > 1:
            with ThreadPoolExecutor(len(step.branches), thread_name_prefix=name) as pool:
                outs = list(pool.map(branch, indices))
        else:
            outs = [branch(i) for i in indices]
        if failures:
            return state, failures[0]
        return merge(state, outs), None


def _first(catchers: list[Catch], failure: Failure) -> Catch | None:
    return next((c for c in catchers if failure.matches(c.errors, task=True)), None)


__all__ = ["Action", "ActionCall", "Failure", "Outcome", "Retry", "WorkflowEngine"]
