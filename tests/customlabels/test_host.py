"""Running a version: refused while stopped, answers once started, gives memory back on stop."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest

from sightline.customlabels.host import VersionHost
from sightline.customlabels.versions import (
    RUNNING,
    STARTING,
    STOPPED,
    STOPPING,
    describe_version,
    request_start,
    request_stop,
)
from sightline.errors import LimitExceededError, ResourceNotReadyError
from sightline.runtime import Runtime
from tests.customlabels import synthetic
from tests.customlabels.fixtures import Trained, clone_version


@pytest.fixture
def host(trained: Trained) -> Iterator[VersionHost]:
    h = VersionHost(trained.runtime)
    yield h
    h.close()


def test_detect_only_while_running_and_memory_comes_back(
    trained: Trained, host: VersionHost
) -> None:
    rt = trained.runtime
    arn = clone_version(rt, trained.version_arn, "running")
    image = synthetic.dataset(1, seed=5)[2][1]  # a stripes image the model never saw

    with pytest.raises(ResourceNotReadyError, match="TRAINING_COMPLETED; start it"):
        host.detect(arn, image)

    assert request_start(rt, arn, 1) == STARTING
    assert request_start(rt, arn, 1) == STARTING  # asking again changes nothing
    assert host.start(arn) == RUNNING
    (pid,) = host.pids(arn)
    assert pid != os.getpid()

    found = host.detect(arn, image, min_confidence=0)
    assert found[0].name == "stripes"
    assert len(found) == 3 and found[0].confidence > 0.5
    # without MinConfidence, labels under their assumed threshold are left out
    assert [c.name for c in host.detect(arn, image)] == ["stripes"]
    assert host.detect(arn, image, min_confidence=0, max_results=1) == found[:1]

    assert request_stop(rt, arn) == STOPPING
    assert host.stop(arn) == STOPPED
    with pytest.raises(ResourceNotReadyError, match="is STOPPED"):
        host.detect(arn, image)

    (memory,) = describe_version(rt, arn).memory["units"]  # type: ignore[index]
    loaded = memory["loaded"] - memory["idle"]
    print(
        f"unit RSS: idle {memory['idle'] / 1e6:.1f} MB, loaded +{loaded / 1e6:.2f} MB, "
        f"unloaded +{(memory['unloaded'] - memory['idle']) / 1e6:.2f} MB"
    )
    assert loaded > 0
    # Unloading gives memory back inside the unit (ONNX Runtime keeps ~1.5 MB of
    # one-time kernel state after its first tree model, reused by the next load), and
    # the unit then exits, returning everything.
    assert memory["unloaded"] < memory["loaded"]
    assert memory["exitcode"] == 0
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_start_refusals(trained: Trained) -> None:
    rt = trained.runtime
    with pytest.raises(LimitExceededError, match="over this server's limit of 8"):
        request_start(rt, trained.version_arn, 9)


def test_idle_versions_stop_by_themselves(trained: Trained) -> None:
    base = trained.runtime
    cfg = base.settings.customlabels.model_copy(update={"idle_stop_seconds": 0.3})
    settings = base.settings.model_copy(update={"customlabels": cfg})
    rt = Runtime.open(settings, engine=base.engine, store=base.store, migrate=False)
    host = VersionHost(rt)
    try:
        arn = clone_version(rt, trained.version_arn, "idle")
        request_start(rt, arn, 1)
        host.reconcile()  # claims it and starts it on a background thread
        deadline = time.monotonic() + 60
        while describe_version(rt, arn).status != RUNNING:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        host.detect(arn, synthetic.dataset(1, seed=6)[0][1])  # used now: not idle yet
        time.sleep(0.4)
        host.reconcile()  # unused for longer than idle_stop_seconds
        while describe_version(rt, arn).status != STOPPED:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert not host.running(arn)
    finally:
        host.close()
