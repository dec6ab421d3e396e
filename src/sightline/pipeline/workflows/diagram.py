"""An execution (or a bare definition) drawn as a self-contained SVG, server-side.

:func:`render_svg` is pure: a :class:`WorkflowGraph`, the drawn state of each step
(:attr:`ExecutionDetail.node_states`) and optional per-step notes in, SVG text out. No
script, no external resources; the page embedding it may restyle the classes.

Layout: each workflow or branch is laid out in rows by the longest path from its
start step (back edges of wait loops ignored), the steps of a row side by side in
definition order. A parallel step is a box holding its branches side by side, each
laid out the same way. Edges go from the bottom of a step to the top of the next;
an edge that skips rows or goes back up is routed along a lane at the right.

Classes: every step is ``<g class="step <type> <state>">`` with state one of
``not-started``, ``running``, ``retrying``, ``succeeded``, ``failed``, ``caught``;
edges are ``<path class="edge <kind>">`` plus ``taken`` for transitions the execution
took. Each step carries ``data-step`` (its name) and a ``<title>`` tooltip.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from html import escape

from sightline.pipeline.workflows.executions import ExecutionDetail
from sightline.pipeline.workflows.graph import GraphEdge, GraphNode, WorkflowGraph

NOT_STARTED = "not-started"
STATES = ("not-started", "running", "retrying", "succeeded", "failed", "caught")
NODE_H = 46
MIN_W = 150
CHAR_W = 7.4  # average width of a 13 px sans-serif character
GAP_X = 28
GAP_Y = 34
PAD = 14
HEADER = 26
LANE = 14
END_SPACE = 22
TITLE_H = 34
MARGIN = 16

STYLE = """
.title{font:600 14px sans-serif;fill:#18181b}
.step text{font:13px sans-serif;fill:#18181b;text-anchor:middle}
.step text.name{font-weight:600}
.step text.state{font-size:11px;fill:#52525b}
.step rect{stroke-width:1.5}
.not-started>rect{fill:#fafafa;stroke:#a1a1aa}
.running>rect{fill:#dbeafe;stroke:#2563eb}
.retrying>rect{fill:#fef9c3;stroke:#ca8a04}
.succeeded>rect{fill:#dcfce7;stroke:#16a34a}
.failed>rect{fill:#fee2e2;stroke:#dc2626}
.caught>rect{fill:#ffedd5;stroke:#ea580c}
.parallel>rect{fill-opacity:.35;stroke-dasharray:6 4}
.edge{fill:none;stroke:#a1a1aa;stroke-width:1.4;marker-end:url(#arrow)}
.edge.catch{stroke-dasharray:4 3}
.edge.taken{stroke:#3f3f46;stroke-width:2.2;marker-end:url(#arrow-taken)}
.edge-label{font:11px sans-serif;fill:#52525b}
.terminal{fill:#3f3f46}
""".strip()


@dataclass
class _Box:
    node: GraphNode
    w: float
    h: float
    x: float = 0.0
    y: float = 0.0
    rank: int = 0
    branches: list[_Scope] = field(default_factory=list)


@dataclass
class _Scope:
    boxes: dict[str, _Box]
    edges: list[GraphEdge]
    start: str
    w: float = 0.0
    h: float = 0.0
    lanes: list[GraphEdge] = field(default_factory=list)
    rows: list[tuple[float, float]] = field(default_factory=list)  # (top, bottom) by rank


def render_svg(
    graph: WorkflowGraph,
    states: Mapping[str, str] | None = None,
    *,
    notes: Mapping[str, str] | None = None,
    taken: Collection[tuple[str, str]] = (),
    title: str | None = None,
) -> str:
    """The SVG of ``graph`` with each step coloured by ``states`` (step name -> one of
    :data:`STATES`; absent steps are not started). ``notes`` add a line under a step's
    state (e.g. its error); ``taken`` marks transitions (source, target) as taken."""
    states = states or {}
    notes = notes or {}
    scope = _layout(graph, None, None, graph.start_at, top_level=True)
    top = MARGIN + (TITLE_H if title else 0) + END_SPACE
    _place(scope, MARGIN, top)
    canvas = _Canvas(scope.w + MARGIN)
    if title:
        canvas.text(f'<text class="title" x="{MARGIN}" y="{MARGIN + 16}">', title, MARGIN, 8.2)
    first = scope.boxes[scope.start]
    cx = first.x + first.w / 2
    canvas.add(
        f'<circle class="terminal start" cx="{cx:.1f}" cy="{top - END_SPACE + 4:.1f}" r="5"/>'
    )
    canvas.add(f'<path class="edge next" d="M{cx:.1f},{top - END_SPACE + 9:.1f} V{first.y:.1f}"/>')
    _draw(scope, canvas, states, notes, set(taken), top_level=True)
    width = canvas.right + MARGIN
    height = top + scope.h + END_SPACE + MARGIN
    head = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" class="workflow-diagram" '
        f'data-workflow="{escape(graph.name)}">',
        f"<style>{STYLE}</style>",
        "<defs>",
        _marker("arrow", "#a1a1aa"),
        _marker("arrow-taken", "#3f3f46"),
        "</defs>",
    ]
    return "\n".join([*head, *canvas.parts, "</svg>"])


class _Canvas:
    """SVG parts, and how far right they reach (text widths estimated)."""

    def __init__(self, right: float) -> None:
        self.parts: list[str] = []
        self.right = right

    def add(self, part: str) -> None:
        self.parts.append(part)

    def text(self, opening: str, text: str, x: float, char_w: float = 6.2) -> None:
        self.parts.append(f"{opening}{escape(text)}</text>")
        self.right = max(self.right, x + len(text) * char_w)


def _marker(name: str, colour: str) -> str:
    return (
        f'<marker id="{name}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" '
        f'markerHeight="8" markerUnits="userSpaceOnUse" orient="auto-start-reverse">'
        f'<path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>'
    )


# --- layout ----------------------------------------------------------------------------


def _layout(
    graph: WorkflowGraph, parent: str | None, branch: int | None, start: str, *, top_level: bool
) -> _Scope:
    nodes = graph.children(parent, branch)
    names = {n.id for n in nodes}
    boxes: dict[str, _Box] = {}
    for node in nodes:
        if node.type == "parallel":
            inner = [
                _layout(graph, node.id, i, s, top_level=False) for i, s in enumerate(node.branches)
            ]
            w = sum(b.w for b in inner) + GAP_X * (len(inner) - 1) + 2 * PAD
            h = HEADER + max(b.h for b in inner) + PAD
            boxes[node.id] = _Box(node, max(w, _text_w(node.id)), h, branches=inner)
        else:
            boxes[node.id] = _Box(node, _text_w(node.id), NODE_H)
    edges = [e for e in graph.edges if e.source in names and e.target in names]
    edges = [e for e in edges if e.kind != "branch"]
    _rank(boxes, edges, start)
    scope = _Scope(boxes, edges, start)
    rows = _rows(scope)
    widths = [sum(b.w for b in row) + GAP_X * (len(row) - 1) for row in rows]
    scope.lanes = [e for e in edges if boxes[e.target].rank != boxes[e.source].rank + 1]
    scope.w = max(widths) + LANE * len(scope.lanes)
    # Top-level ends get a terminal dot below them; a branch ends at its box.
    heights = [
        max(b.h for b in row) + (END_SPACE if top_level and _ends_here(row) else 0) for row in rows
    ]
    scope.h = sum(heights) + GAP_Y * (len(rows) - 1)
    y = 0.0
    body = max(widths)
    for row, width, height in zip(rows, widths, heights, strict=True):
        x = (body - width) / 2
        for box in row:
            box.x, box.y = x, y
            x += box.w + GAP_X
        scope.rows.append((y, y + max(b.h for b in row)))
        y += height + GAP_Y
    return scope


def _text_w(text: str) -> float:
    return max(float(MIN_W), len(text) * CHAR_W + 2 * PAD)


def _ends_here(row: list[_Box]) -> bool:
    return any(b.node.end and b.node.type not in ("fail", "succeed") for b in row)


def _rank(boxes: dict[str, _Box], edges: list[GraphEdge], start: str) -> None:
    """Longest-path ranks from ``start`` over the forward edges (a DFS drops the edges
    that close a loop)."""
    out: dict[str, list[str]] = {name: [] for name in boxes}
    for e in edges:
        out[e.source].append(e.target)
    order: list[str] = []
    state: dict[str, int] = {}
    back: set[tuple[str, str]] = set()
    stack: list[tuple[str, int]] = [(start, 0)]
    while stack:
        node, i = stack.pop()
        if i == 0:
            if state.get(node):
                continue
            state[node] = 1  # on the path
        if i < len(out[node]):
            stack.append((node, i + 1))
            target = out[node][i]
            if state.get(target) == 1:
                back.add((node, target))
            elif not state.get(target):
                stack.append((target, 0))
            continue
        state[node] = 2
        order.append(node)
    for name in reversed(order):  # a topological order of the forward edges
        for target in out[name]:
            if (name, target) not in back:
                boxes[target].rank = max(boxes[target].rank, boxes[name].rank + 1)


def _rows(scope: _Scope) -> list[list[_Box]]:
    count = max(b.rank for b in scope.boxes.values()) + 1
    rows: list[list[_Box]] = [[] for _ in range(count)]
    for box in scope.boxes.values():
        rows[box.rank].append(box)
    return [row for row in rows if row]


def _place(scope: _Scope, dx: float, dy: float) -> None:
    """Turn the scope's relative positions into absolute ones."""
    scope.rows = [(top + dy, bottom + dy) for top, bottom in scope.rows]
    for box in scope.boxes.values():
        box.x += dx
        box.y += dy
        offset = box.x + PAD + (box.w - 2 * PAD - _branches_w(box)) / 2
        for inner in box.branches:
            _place(inner, offset, box.y + HEADER)
            offset += inner.w + GAP_X


def _branches_w(box: _Box) -> float:
    return sum(b.w for b in box.branches) + GAP_X * (len(box.branches) - 1)


# --- drawing ---------------------------------------------------------------------------


def _draw(
    scope: _Scope,
    out: _Canvas,
    states: Mapping[str, str],
    notes: Mapping[str, str],
    taken: set[tuple[str, str]],
    *,
    top_level: bool,
) -> None:
    right = max(b.x + b.w for b in scope.boxes.values())
    for box in scope.boxes.values():
        _draw_box(box, out, states, notes, taken)
        if box.node.end and box.node.type not in ("fail", "succeed") and top_level:
            cx, bottom = box.x + box.w / 2, box.y + box.h
            out.add(f'<path class="edge next" d="M{cx:.1f},{bottom:.1f} V{bottom + 14:.1f}"/>')
            out.add(f'<circle class="terminal end" cx="{cx:.1f}" cy="{bottom + 19:.1f}" r="5"/>')
    lane = 0
    for edge in scope.edges:
        source, target = scope.boxes[edge.source], scope.boxes[edge.target]
        kind = f"edge {edge.kind}" + (" taken" if (edge.source, edge.target) in taken else "")
        if edge in scope.lanes:
            # Down into the gap below the source's row, right to a lane of its own,
            # along it to the gap above the target's row, then into the target's top:
            # every segment runs where no step is drawn.
            lane += 1
            x = right + LANE * lane
            below = scope.rows[source.rank][1] + 6 + 3 * lane
            above = scope.rows[target.rank][0] - 6 - 3 * lane
            sx, tx = source.x + source.w / 2 + 10, target.x + target.w / 2 + 10
            d = (
                f"M{sx:.1f},{source.y + source.h:.1f} V{below:.1f} H{x:.1f} V{above:.1f} "
                f"H{tx:.1f} V{target.y:.1f}"
            )
            label_at = (x + 3, (below + above) / 2)
        else:
            x0, y0 = source.x + source.w / 2, source.y + source.h
            x1, y1 = target.x + target.w / 2, target.y
            mid = (y0 + y1) / 2
            d = f"M{x0:.1f},{y0:.1f} V{mid:.1f} H{x1:.1f} V{y1:.1f}"
            label_at = (x1 + 4, mid - 3)
        out.add(
            f'<path class="{kind}" data-source="{escape(edge.source)}" '
            f'data-target="{escape(edge.target)}" d="{d}"/>'
        )
        if edge.label and edge.kind != "next":
            text = edge.label if len(edge.label) <= 48 else edge.label[:47] + "…"
            opening = f'<text class="edge-label" x="{label_at[0]:.1f}" y="{label_at[1]:.1f}">'
            out.text(opening, text, label_at[0])


def _draw_box(
    box: _Box,
    out: _Canvas,
    states: Mapping[str, str],
    notes: Mapping[str, str],
    taken: set[tuple[str, str]],
) -> None:
    node = box.node
    state = states.get(node.id, NOT_STARTED)
    note = notes.get(node.id)
    parts = (node.id, node.type, node.action, state, note, node.error, node.cause, node.comment)
    tip = " · ".join(p for p in parts if p)
    radius = {"choice": 16, "fail": 22, "succeed": 22}.get(node.type, 6)
    out.add(
        f'<g class="step {escape(node.type)} {escape(state)}" data-step="{escape(node.id)}" '
        f'data-state="{escape(state)}">'
    )
    out.add(f"<title>{escape(tip)}</title>")
    out.add(
        f'<rect x="{box.x:.1f}" y="{box.y:.1f}" width="{box.w:.1f}" height="{box.h:.1f}" '
        f'rx="{radius}"/>'
    )
    cx = box.x + box.w / 2
    if node.type == "parallel":
        out.add(
            f'<text class="name" x="{cx:.1f}" y="{box.y + 17:.1f}">{escape(node.id)}'
            f'<tspan class="state" dx="8">{escape(_label(state, note))}</tspan></text>'
        )
        out.add("</g>")
        for inner in box.branches:
            _draw(inner, out, states, notes, taken, top_level=False)
        return
    out.add(f'<text class="name" x="{cx:.1f}" y="{box.y + 19:.1f}">{escape(node.id)}</text>')
    out.add(
        f'<text class="state" x="{cx:.1f}" y="{box.y + 35:.1f}">'
        f"{escape(_label(state, note))}</text>"
    )
    out.add("</g>")


def _label(state: str, note: str | None) -> str:
    text = state.replace("-", " ")
    if note:
        text = f"{text}: {note}"
    return text if len(text) <= 40 else text[:39] + "…"


def render_execution(graph: WorkflowGraph, detail: ExecutionDetail) -> str:
    """:func:`render_svg` for one execution: states from its steps, the error of each
    failed or caught step as its note (the attempt of a retrying one), the transitions
    it took, and a title naming the workflow, execution and status."""
    notes: dict[str, str] = {}
    taken: set[tuple[str, str]] = set()
    entered = {s.name for s in detail.steps}
    for step in detail.steps:
        if step.state in ("FAILED", "CAUGHT") and step.error:
            notes[step.name] = step.error
        elif step.state in ("ENTERED", "RETRYING") and step.attempts > 1:
            notes[step.name] = f"attempt {step.attempts}"
        if step.next_step:
            taken.add((step.name, step.next_step))
    for node in graph.nodes:
        taken.update((node.id, s) for s in node.branches if s in entered)
    x = detail.execution
    title = f"{graph.name} · {x.id} · {x.status}"
    return render_svg(graph, detail.node_states, notes=notes, taken=taken, title=title)
