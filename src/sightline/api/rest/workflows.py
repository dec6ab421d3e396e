"""Workflows and their executions over REST.

- ``GET /api/v1/workflows``: the definitions this server knows (packaged, configured).
- ``GET /api/v1/workflows/{name}``: one definition as a graph (nodes, edges, branches).
- ``GET /api/v1/workflows/{name}/diagram.svg``: it drawn, every step not started.
- ``GET /api/v1/executions?item_id=&workflow=&status=``: executions, a page at a time.
- ``GET /api/v1/executions/{id}``: DescribeExecution with every step and their states.
- ``GET /api/v1/executions/{id}/history``: its events in time order.
- ``GET /api/v1/executions/{id}/diagram.svg``: it drawn with live step states.
"""

from __future__ import annotations

import dataclasses
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from sightline.api.rest import workflow_models as m
from sightline.api.services import ApiServices
from sightline.errors import SightlineError
from sightline.pipeline.workflows.actions import ACTIONS
from sightline.pipeline.workflows.definition import NAME_PATTERN
from sightline.pipeline.workflows.diagram import render_execution, render_svg
from sightline.pipeline.workflows.executions import ExecutionRecord, WorkflowExecutions
from sightline.pipeline.workflows.graph import WorkflowGraph, workflow_graph
from sightline.pipeline.workflows.library import WorkflowLibrary

WorkflowName = Annotated[str, Path(pattern=NAME_PATTERN, description="The workflow's name")]
ExecutionId = Annotated[str, Path(min_length=1, max_length=32, description="The execution's id")]
SVG = "image/svg+xml"
SVG_RESPONSE: dict[int | str, dict[str, object]] = {
    200: {"content": {SVG: {"schema": {"type": "string"}}}, "description": "An SVG image"}
}


def workflows_router(services: ApiServices) -> APIRouter:
    router = APIRouter(tags=["workflows"])
    library = WorkflowLibrary(services.settings.pipeline, ACTIONS)
    executions = WorkflowExecutions(services.engine)

    def graph(name: str) -> WorkflowGraph:
        return workflow_graph(library.get(name))

    @router.get("/workflows", response_model=m.WorkflowList, summary="List workflows")
    def list_workflows() -> m.WorkflowList:
        """Every workflow a rule may name; one whose file does not load says why."""
        out = []
        for name in library.names():
            info = library.info(name)
            try:
                d = library.get(name)
            except SightlineError as exc:
                out.append(
                    m.WorkflowSummary(
                        name=name,
                        source=info.source,
                        comment=None,
                        start_at=None,
                        steps=None,
                        error=exc.message,
                    )
                )
                continue
            out.append(
                m.WorkflowSummary(
                    name=name,
                    source=info.source,
                    comment=d.comment,
                    start_at=d.start_at,
                    steps=sum(1 for _ in d.all_steps()),
                    error=None,
                )
            )
        return m.WorkflowList(workflows=out)

    @router.get(
        "/workflows/{name}", response_model=m.WorkflowGraphModel, summary="A workflow's graph"
    )
    def get_workflow(name: WorkflowName) -> m.WorkflowGraphModel:
        """The definition as nodes (steps) and edges (transitions), ready to draw."""
        return m.WorkflowGraphModel.model_validate(dataclasses.asdict(graph(name)))

    @router.get(
        "/workflows/{name}/diagram.svg",
        response_class=Response,
        responses=SVG_RESPONSE,
        summary="A workflow drawn",
    )
    def workflow_diagram(name: WorkflowName) -> Response:
        return Response(render_svg(graph(name), title=name), media_type=SVG)

    @router.get("/executions", response_model=m.ExecutionPage, summary="List executions")
    def list_executions(
        item_id: Annotated[str | None, Query(max_length=32)] = None,
        workflow: Annotated[str | None, Query(max_length=80)] = None,
        status: Annotated[list[m.ExecutionStatusName] | None, Query()] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        after: Annotated[str | None, Query(max_length=32, description="Last id seen")] = None,
    ) -> m.ExecutionPage:
        """Executions in start order, by item, workflow and status, a page at a time."""
        rows = executions.list(
            item_id=item_id,
            workflow=workflow,
            statuses=[s.value for s in status or ()],
            limit=limit + 1,
            after_id=after,
        )
        page = rows[:limit]
        return m.ExecutionPage(
            executions=[_execution(r) for r in page],
            next_after=page[-1].id if len(rows) > limit else None,
        )

    @router.get(
        "/executions/{execution_id}",
        response_model=m.ExecutionDescription,
        summary="Describe an execution",
    )
    def describe_execution(execution_id: ExecutionId) -> m.ExecutionDescription:
        """The execution, each step visit (state, attempts, input, output, errors) and
        the state to draw each step in."""
        detail = executions.describe(execution_id)
        return m.ExecutionDescription.model_validate(
            {
                **dataclasses.asdict(detail.execution),
                "steps": [dataclasses.asdict(s) for s in detail.steps],
                "node_states": detail.node_states,
            }
        )

    @router.get(
        "/executions/{execution_id}/history",
        response_model=m.ExecutionHistory,
        summary="An execution's history",
    )
    def execution_history(execution_id: ExecutionId) -> m.ExecutionHistory:
        events = executions.history(execution_id)
        return m.ExecutionHistory.model_validate(
            {"execution_id": execution_id, "events": [dataclasses.asdict(e) for e in events]}
        )

    @router.get(
        "/executions/{execution_id}/diagram.svg",
        response_class=Response,
        responses=SVG_RESPONSE,
        summary="An execution drawn",
    )
    def execution_diagram(execution_id: ExecutionId) -> Response:
        """The workflow's graph with each step coloured by its state in this execution
        (not started, running, retrying, succeeded, failed, caught)."""
        detail = executions.describe(execution_id)
        svg = render_execution(graph(detail.execution.workflow), detail)
        return Response(svg, media_type=SVG, headers={"Cache-Control": "no-store"})

    return router


def _execution(row: ExecutionRecord) -> m.ExecutionModel:
    return m.ExecutionModel.model_validate(dataclasses.asdict(row))
