"""An inference unit: one spawned process that loads a version's model and serves it.

The host (:mod:`sightline.customlabels.host`) starts one process per inference unit and
talks to it over a pipe. Messages are tuples, first element the verb.

host -> unit:
    ``("detect", request_id, image_bytes, min_confidence, max_results)``
    ``("drain", kind)``: process the batch queue ``kind`` until it is empty
    ``("stop",)``: stop draining, unload the model, report, exit

unit -> host:
    ``("ready", memory)`` once the model is loaded (or ``("failed", message)``)
    ``("result", request_id, [(name, confidence), ...])`` / ``("error", request_id,
    error_class_name, message)``
    ``("progress", kind, outcome, key, error)`` after each batch image
    ``("drained", kind, stats)`` when the queue is empty (or the unit is stopping)
    ``("stopped", memory)``

``memory`` holds resident set sizes in bytes, measured in the unit itself: ``idle``
(libraries imported and initialised, database open, no model), ``loaded`` (model loaded
and run once) and, at stop, ``unloaded`` (model dropped, garbage collected, the C heap
trimmed), so what a loaded model costs, and that stopping gives it back, is measured
rather than assumed. "Initialised" matters: ONNX Runtime's process-wide environment and
OpenCV's first-call buffers cost ~30 MB once per process whatever the model, so the
unit sets them up (a one-node ONNX model, features of a blank image) before measuring
``idle``. The process then exits, returning everything else.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import logging
import os
import sys
import threading
import time
from multiprocessing.connection import Connection
from typing import Any

from sightline.config import Settings

log = logging.getLogger(__name__)


def rss_bytes() -> int | None:
    """This process's resident set size, or None where /proc is not available."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def release_memory() -> None:
    """Collect garbage and hand freed C heap pages back to the OS (glibc only)."""
    gc.collect()
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6").malloc_trim(0)


def _initialise_libraries() -> None:
    """Create what the libraries create once per process (see the module docstring)."""
    import numpy as np
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper

    from sightline.customlabels.features import HandcraftedExtractor

    HandcraftedExtractor().extract(np.zeros((64, 64, 3), np.uint8))
    graph = helper.make_graph(
        [helper.make_node("Identity", ["x"], ["y"])],
        "warm",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=9)
    onnx.checker.check_model(model)
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    session.run(None, {"x": np.zeros(1, np.float32)})
    del session


def unit_main(settings: Settings, version_id: int, owner: str, conn: Connection) -> None:
    """The unit process: load, serve, unload. Runs until ``stop`` or the pipe closes."""
    logging.basicConfig(
        level=logging.INFO,
        format=f"%(asctime)s unit[{os.getpid()}] %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # Import every library before measuring, so "idle" is the process without a model.
    import cv2
    import numpy as np
    import onnxruntime  # noqa: F401

    # Units are processes; each uses one core, so N units do not oversubscribe N cores
    # (ONNX Runtime sessions likewise get settings.models.intra_op_threads, default 1).
    cv2.setNumThreads(1)

    from sightline.customlabels.batch_stage import BatchDrainer
    from sightline.customlabels.model import CustomLabelModel
    from sightline.db.models.customlabels import ClVersion
    from sightline.runtime import Runtime

    send_lock = threading.Lock()

    def send(*message: Any) -> None:
        with send_lock:
            conn.send(message)

    runtime = Runtime.open(settings, migrate=False)
    try:
        from sqlalchemy import select

        from sightline.customlabels.db import reading

        with reading(runtime.engine) as s:
            s.scalar(select(ClVersion.id).where(ClVersion.id == version_id))
        _initialise_libraries()
        release_memory()
        memory: dict[str, Any] = {"pid": os.getpid(), "idle": rss_bytes()}
        try:
            with reading(runtime.engine) as s:
                data = s.scalar(select(ClVersion.model).where(ClVersion.id == version_id))
            if data is None:
                raise RuntimeError(f"version {version_id} has no trained model")
            model: CustomLabelModel | None = CustomLabelModel(data, settings)
            del data
            assert model is not None
            model.classify(np.zeros((64, 64, 3), np.uint8))  # warm up: first run allocates
        except Exception as e:
            send("failed", f"{type(e).__name__}: {e}")
            return
        memory["loaded"] = rss_bytes()
        memory["loaded_at"] = time.time()
        send("ready", memory)
        drainer: BatchDrainer | None = None
        drain_thread: threading.Thread | None = None
        while True:
            try:
                message = conn.recv()
            except (EOFError, OSError):  # the host went away: nothing left to serve
                break
            verb = message[0]
            if verb == "detect":
                _, request_id, image, min_confidence, max_results = message
                try:
                    assert model is not None
                    found = model.detect(
                        image, min_confidence=min_confidence, max_results=max_results
                    )
                    send("result", request_id, [(c.name, c.confidence) for c in found])
                except Exception as e:
                    error = getattr(e, "message", None) or f"{type(e).__name__}: {e}"
                    send("error", request_id, type(e).__name__, error)
            elif verb == "drain":
                kind = message[1]
                if drain_thread is not None and drain_thread.is_alive():
                    continue  # already draining; it reports when done
                assert model is not None
                drainer = BatchDrainer(runtime, model, owner, kind, send)
                drain_thread = threading.Thread(target=drainer.run, name="drain", daemon=True)
                drain_thread.start()
            elif verb == "stop":
                if drainer is not None and drain_thread is not None:
                    drainer.stop()
                    drain_thread.join()
                drainer = None
                model = None
                release_memory()
                memory["unloaded"] = rss_bytes()
                memory["unloaded_at"] = time.time()
                send("stopped", memory)
                break
    finally:
        runtime.close()
        conn.close()
