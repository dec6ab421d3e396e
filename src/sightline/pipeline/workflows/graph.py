"""A definition as a graph to draw: nodes (steps) and edges (transitions).

Node ids are step names (unique across a definition, branches included), so an
execution's step records and ``node_states`` name nodes directly. A step inside a
parallel branch has ``parent`` (the parallel step) and ``branch`` (its index); a
parallel node lists its branches' first steps, and ``branch`` edges lead from it to
them. The other edges are ``next``, ``choice`` (labelled with the condition),
``default`` and ``catch`` (labelled with the errors). ``start`` and ``end`` mark where
a workflow or branch begins and where it may finish.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sightline.pipeline.workflows.definition import (
    Definition,
    FailStep,
    ParallelStep,
    Step,
    TaskStep,
    branch_path,
    ends,
    transitions,
)


@dataclass(frozen=True)
class GraphNode:
    id: str
    type: str
    parent: str | None = None
    branch: int | None = None
    branch_path: str = ""
    start: bool = False
    end: bool = False
    action: str | None = None
    comment: str | None = None
    error: str | None = None
    cause: str | None = None
    branches: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class GraphEdge:
    source: str
    target: str
    kind: str  # next, choice, default, catch, branch
    label: str | None = None


@dataclass(frozen=True)
class WorkflowGraph:
    name: str
    comment: str | None
    start_at: str
    nodes: list[GraphNode]
    edges: list[GraphEdge]

    def node(self, node_id: str) -> GraphNode:
        return next(n for n in self.nodes if n.id == node_id)

    def children(self, parent: str | None, branch: int | None) -> list[GraphNode]:
        """The nodes of the top level (``None, None``) or of one branch, in order."""
        return [n for n in self.nodes if n.parent == parent and n.branch == branch]


def workflow_graph(definition: Definition) -> WorkflowGraph:
    nodes: list[GraphNode] = []
    edges: list[GraphEdge] = []
    _add(definition.steps, definition.start_at, None, None, "", nodes, edges)
    return WorkflowGraph(definition.name, definition.comment, definition.start_at, nodes, edges)


def _add(
    steps: dict[str, Step],
    start_at: str,
    parent: str | None,
    branch: int | None,
    path: str,
    nodes: list[GraphNode],
    edges: list[GraphEdge],
) -> None:
    for name, step in steps.items():
        nodes.append(
            GraphNode(
                id=name,
                type=step.type,
                parent=parent,
                branch=branch,
                branch_path=path,
                start=name == start_at,
                end=ends(step),
                action=step.action if isinstance(step, TaskStep) else None,
                comment=step.comment,
                error=step.error if isinstance(step, FailStep) else None,
                cause=step.cause if isinstance(step, FailStep) else None,
                branches=[b.start_at for b in step.branches]
                if isinstance(step, ParallelStep)
                else [],
            )
        )
        edges.extend(GraphEdge(name, t, kind, label) for t, kind, label in transitions(step))
        if isinstance(step, ParallelStep):
            for i, b in enumerate(step.branches):
                edges.append(GraphEdge(name, b.start_at, "branch", f"branch {i}"))
                _add(b.steps, b.start_at, name, i, branch_path(path, name, i), nodes, edges)
