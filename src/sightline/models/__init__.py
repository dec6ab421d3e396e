"""The model registry: built-ins, the downloadable catalog, installed models, runtimes.

::

    catalog.py    built-in models (versions of installed packages) and catalog.json facts
    registry.py   installed models: one folder per model with its manifest; lookups
    pull.py       `sightline models pull`: resumable, verified, atomic downloads
    add.py        `sightline models add`: validate and install a user's ONNX model
    sessions.py   ModelSession protocol, ONNX Runtime CPU session, a static fake
    loaders.py    the installed adapters, ready for analyzers (never downloads)
    adapters/     one module per model family (YOLO-family, classifier, YuNet, SFace, FER)

Importing this package loads no runtime; adapters import ONNX Runtime or OpenCV when
they are built.
"""
