"""A real uvicorn server in a thread, on a free 127.0.0.1 port, and clients for it."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import httpx
import uvicorn
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from fastapi import FastAPI

REGION = "eu-west-1"


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """Serve ``app`` until the block ends; yields its base URL."""
    # Open event streams (the web app's live status) would hold a graceful shutdown for
    # their whole length; tests need the server gone, not the streams finished.
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        log_level="warning",
        lifespan="on",
        timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def rekognition(url: str, key_id: str | None, secret: str | None, **config: Any) -> Any:
    """An unmodified boto3 Rekognition client for ``url``; no retries, so a refusal
    surfaces at once as ``ClientError``. ``config`` goes to botocore's Config."""
    config.setdefault("retries", {"max_attempts": 1, "mode": "standard"})
    return boto3.client(
        "rekognition",
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
        aws_session_token=config.pop("session_token", None),
        config=Config(**config),
    )


def signed_post(
    url: str,
    body: bytes,
    *,
    target: str | None,
    key_id: str,
    secret: str,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """A POST signed by botocore's own SigV4 signer, sent as is (any body, any target)."""
    all_headers = {"Content-Type": "application/x-amz-json-1.1", **(headers or {})}
    if target is not None:
        all_headers["X-Amz-Target"] = target
    request = AWSRequest(method="POST", url=url + "/", data=body, headers=all_headers)
    SigV4Auth(Credentials(key_id, secret), "rekognition", REGION).add_auth(request)
    prepared = request.prepare()
    return httpx.post(url + "/", content=body, headers=dict(prepared.headers.items()), timeout=60)
