"""The package imports without loading heavy libraries, and exposes its version."""

from __future__ import annotations

import subprocess
import sys

import sightline


def test_version() -> None:
    assert sightline.__version__


def test_import_is_light() -> None:
    # Importing the package and its CLI must not pull in model runtimes.
    code = (
        "import sys, sightline, sightline.cli, sightline.config, sightline.errors;"
        "heavy = {'dlib', 'onnxruntime', 'rapidocr_onnxruntime', 'nudenet', 'torch'};"
        "print(sorted(heavy & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
