"""The checks a definition passes before anything runs it, each failure naming its step.

Per workflow and per branch: the start step exists; every transition names a step of
the same workflow or branch (ASL's rule: a branch is closed); ``task``, ``parallel``
and ``wait`` steps have exactly one of ``next`` and ``end``; every step is reachable
from the start; every cycle goes through a ``wait`` step; every step can reach an end.
Across the definition: names are unique and well formed, actions exist, ``States.ALL``
stands alone and last among a step's retriers and catchers, and every path is valid.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence

from sightline.errors import InvalidParameterError
from sightline.pipeline.workflows.definition import (
    ALL_ERRORS,
    NAME_PATTERN,
    PATH_PATTERN,
    Catch,
    Definition,
    FailStep,
    ParallelStep,
    Retry,
    Step,
    TaskStep,
    WaitStep,
    _Continues,
    branch_path,
    ends,
    template_paths,
    transitions,
)

_NAME = re.compile(NAME_PATTERN)
_PATH = re.compile(PATH_PATTERN)


def check_definition(definition: Definition, actions: Collection[str] | None = None) -> None:
    """Raise :class:`InvalidParameterError` naming the first problem of ``definition``.

    ``actions`` are the action names that exist; None skips that check.
    """
    where = f"Workflow {definition.name!r}"
    seen: dict[str, str] = {}
    for path, name, step in definition.all_steps():
        place = f"{where}, step {name!r}" + (f" (branch {path})" if path else "")
        if not _NAME.match(name):
            raise InvalidParameterError(
                f"{place}: a step name is 1-80 letters, digits, '-' or '_'."
            )
        if name in seen:
            raise InvalidParameterError(
                f"{where}: the step name {name!r} is used twice "
                f"(in {seen[name] or 'the top level'} and in {path or 'the top level'}); "
                "step names are unique across the whole definition."
            )
        seen[name] = path
        _check_step(place, step, actions)
    _check_scope(where, "", definition.start_at, definition.steps)


def _check_step(place: str, step: Step, actions: Collection[str] | None) -> None:
    if isinstance(step, _Continues):
        if step.end and step.next is not None:
            raise InvalidParameterError(f"{place}: has both next and end = true; keep one.")
        if not step.end and step.next is None:
            raise InvalidParameterError(
                f"{place}: has neither next nor end = true, so the workflow would stop "
                "here without an outcome."
            )
    if isinstance(step, TaskStep) and actions is not None and step.action not in actions:
        raise InvalidParameterError(
            f"{place}: unknown action {step.action!r}; known: {', '.join(sorted(actions))}."
        )
    if isinstance(step, TaskStep | ParallelStep):
        _check_handlers(place, "retry", step.retry)
        _check_handlers(place, "catch", step.catch)
    if isinstance(step, FailStep):
        for path in template_paths(step.cause):
            if not _PATH.match(path):
                raise InvalidParameterError(
                    f"{place}: the cause inserts {{{path}}}, which is not a $.path."
                )


def _check_handlers(place: str, kind: str, handlers: Sequence[Retry | Catch]) -> None:
    for i, handler in enumerate(handlers):
        errors = handler.errors
        if ALL_ERRORS in errors and (len(errors) > 1 or i != len(handlers) - 1):
            raise InvalidParameterError(
                f"{place}: {ALL_ERRORS} must be the only error of the last {kind} entry."
            )


def _check_scope(where: str, path: str, start_at: str, steps: Mapping[str, Step]) -> None:
    scope = f"branch {path}" if path else "the top level"
    if start_at not in steps:
        raise InvalidParameterError(
            f"{where}: start_at names {start_at!r}, which is not a step of {scope} "
            f"(steps: {', '.join(steps)})."
        )
    graph: dict[str, list[str]] = {}
    for name, step in steps.items():
        targets = []
        for target, kind, _ in transitions(step):
            if target not in steps:
                raise InvalidParameterError(
                    f"{where}, step {name!r}: its {kind} step {target!r} is not a step of "
                    f"{scope} (steps: {', '.join(steps)})."
                )
            targets.append(target)
        graph[name] = targets
        if isinstance(step, ParallelStep):
            for i, branch in enumerate(step.branches):
                _check_scope(where, branch_path(path, name, i), branch.start_at, branch.steps)
    reachable = _reach(graph, [start_at])
    for name in steps:
        if name not in reachable:
            raise InvalidParameterError(
                f"{where}, step {name!r}: unreachable from start_at {start_at!r} in {scope}."
            )
    # A cycle without a wait is a cycle of the graph with the wait steps taken out.
    waits = {n for n, s in steps.items() if isinstance(s, WaitStep)}
    busy = {n: [t for t in ts if t not in waits] for n, ts in graph.items() if n not in waits}
    for cycle in _cycles(busy):
        loop = " -> ".join([*cycle, cycle[0]])
        raise InvalidParameterError(
            f"{where}, step {cycle[0]!r}: the steps {loop} form a cycle with no wait "
            "step, which would spin without pause; add a wait step to the loop."
        )
    reverse: dict[str, list[str]] = {n: [] for n in steps}
    for source, targets in graph.items():
        for target in targets:
            reverse[target].append(source)
    finishing = _reach(reverse, [n for n, s in steps.items() if ends(s)])
    for name in steps:
        if name not in finishing:
            raise InvalidParameterError(
                f"{where}, step {name!r}: no path from it reaches an end (a succeed or fail "
                "step, or end = true), so an execution entering it could never finish."
            )


def _reach(graph: Mapping[str, list[str]], starts: list[str]) -> set[str]:
    seen = set(starts)
    todo = list(starts)
    while todo:
        for target in graph[todo.pop()]:
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def _cycles(graph: Mapping[str, list[str]]) -> list[list[str]]:
    """Each strongly connected component that holds a cycle, in discovery order
    (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    for root in graph:
        if root in index:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            targets = graph[node]
            if i < len(targets):
                work.append((node, i + 1))
                target = targets[i]
                if target not in index:
                    work.append((target, 0))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in graph[node]:
                    out.append(list(reversed(component)))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return out
