"""REST models of workflows and their executions (``/api/v1/workflows``, ``/executions``)."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Any

from pydantic import BaseModel, Field


class ExecutionStatusName(str, Enum):
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    TIMED_OUT = "TIMED_OUT"
    ABORTED = "ABORTED"


class StepStateName(str, Enum):
    ENTERED = "ENTERED"
    RETRYING = "RETRYING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CAUGHT = "CAUGHT"


class DrawnState(str, Enum):
    """How a step is drawn: its latest visit's state, or not started."""

    NOT_STARTED = "not-started"
    RUNNING = "running"
    RETRYING = "retrying"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CAUGHT = "caught"


class ExecutionModel(BaseModel):
    """One run of a workflow (Step Functions' DescribeExecution, snake_case)."""

    id: str = Field(description="32 hex digits, ordered by start time")
    workflow: str
    item_id: str | None = Field(description="The catalog item it ran on")
    attempt: int = Field(description="The item task's attempt that started it")
    owner: str | None = Field(description="The worker that ran it")
    status: ExecutionStatusName
    input: Any = Field(description="The state it started with")
    output: Any = Field(description="The final state when SUCCEEDED (large values trimmed)")
    error: str | None = Field(description="The error name when not SUCCEEDED")
    cause: str | None
    started_at: dt.datetime
    stopped_at: dt.datetime | None


class AttemptError(BaseModel):
    attempt: int
    error: str
    cause: str
    at: dt.datetime
    retry_in_seconds: float | None = Field(description="null for the attempt that ended the step")


class StepModel(BaseModel):
    """One visit of one step."""

    id: int
    name: str = Field(description="The step, a node id of the workflow's graph")
    type: str
    branch: str = Field(description='"" at the top level, "p[i]" in branch i of parallel step p')
    visit: int = Field(description="1, or more when a loop enters the step again")
    state: StepStateName
    attempts: int
    input: Any = Field(description="The state the step received (large values trimmed)")
    output: Any = Field(description="The state it passed on")
    next_step: str | None = Field(description="The transition it took")
    error: str | None
    cause: str | None
    attempt_errors: list[AttemptError]
    entered_at: dt.datetime
    finished_at: dt.datetime | None


class ExecutionDescription(ExecutionModel):
    steps: list[StepModel] = Field(description="Every step visit, in the order entered")
    node_states: dict[str, DrawnState] = Field(
        description="Step name -> state to draw; steps absent here have not started"
    )


class ExecutionPage(BaseModel):
    executions: list[ExecutionModel]
    next_after: str | None = Field(description="Pass as ?after= for the next page; null: done")


class HistoryEventModel(BaseModel):
    timestamp: dt.datetime
    type: str = Field(
        description="ExecutionStarted, StepEntered, StepAttemptFailed, StepSucceeded, "
        "StepFailed, StepCaught, ExecutionSucceeded, ExecutionFailed, ExecutionTimedOut, "
        "ExecutionAborted"
    )
    step: str | None
    branch: str | None
    attempt: int | None
    error: str | None
    cause: str | None
    retry_in_seconds: float | None


class ExecutionHistory(BaseModel):
    execution_id: str
    events: list[HistoryEventModel]


class WorkflowSummary(BaseModel):
    name: str
    source: str = Field(description='"packaged" or the configured file')
    comment: str | None
    start_at: str | None = Field(description="null when the definition does not load")
    steps: int | None = Field(description="Steps, branches included")
    error: str | None = Field(description="Why the definition does not load, if it does not")


class WorkflowList(BaseModel):
    workflows: list[WorkflowSummary]


class EdgeKind(str, Enum):
    NEXT = "next"
    CHOICE = "choice"
    DEFAULT = "default"
    CATCH = "catch"
    BRANCH = "branch"


class GraphNodeModel(BaseModel):
    id: str = Field(description="The step name (unique in the workflow)")
    type: str = Field(description="task, parallel, choice, wait, succeed or fail")
    parent: str | None = Field(description="The parallel step holding it")
    branch: int | None = Field(description="Its branch of the parent")
    branch_path: str
    start: bool = Field(description="The first step of its workflow or branch")
    end: bool = Field(description="It may finish its workflow or branch")
    action: str | None
    comment: str | None
    error: str | None = Field(description="A fail step's error")
    cause: str | None = Field(description="A fail step's cause template")
    branches: list[str] = Field(description="A parallel step's branches' first steps")


class GraphEdgeModel(BaseModel):
    source: str
    target: str
    kind: EdgeKind
    label: str | None = Field(description="A choice's condition, a catch's errors")


class WorkflowGraphModel(BaseModel):
    name: str
    comment: str | None
    start_at: str
    nodes: list[GraphNodeModel]
    edges: list[GraphEdgeModel]
