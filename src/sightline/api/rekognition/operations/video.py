"""Stored-video operations: Start* records and queues a job, Get* pages its results.

Start* answers at once with the ``JobId`` (the analysis runs on the workers, at most
``video.max_concurrent_jobs`` at a time); Get* answers ``IN_PROGRESS`` with no results
until the job has finished, then pages through them in the requested order.
"""

from __future__ import annotations

from typing import Any

from sightline.api.rekognition.context import Handler, OperationContext
from sightline.api.rekognition.shapes.video import get_response
from sightline.db import tx
from sightline.video.apis import APIS, VideoApi, aggregation, sort_order
from sightline.video.jobs import jobs_of
from sightline.video.records import page


def _start(api: VideoApi) -> Handler:
    def start(ctx: OperationContext, request: dict[str, Any]) -> dict[str, Any]:
        jobs = jobs_of(ctx.services.runtime)
        return {"JobId": jobs.start(api, request, owner=ctx.caller)}

    return start


def _get(api: VideoApi) -> Handler:
    def get(ctx: OperationContext, request: dict[str, Any]) -> dict[str, Any]:
        jobs = jobs_of(ctx.services.runtime)
        job = jobs.get(str(request["JobId"]), api)
        sort = sort_order(api, request.get("SortBy"))
        aggregate = aggregation(api, request.get("AggregateBy"))
        records: list[dict[str, Any]] = []
        token = None
        if job.finished:
            with tx.read(jobs.engine) as conn:
                records, token = page(
                    conn,
                    job.job_id,
                    aggregation=aggregate,
                    sort=sort,
                    max_results=request.get("MaxResults"),
                    next_token=request.get("NextToken"),
                )
        return get_response(
            api, job, records, next_token=token, sort_by=sort, aggregate_by=aggregate
        )

    return get


OPERATIONS: dict[str, Handler] = {
    **{api.start_operation: _start(api) for api in APIS.values()},
    **{api.get_operation: _get(api) for api in APIS.values()},
}
