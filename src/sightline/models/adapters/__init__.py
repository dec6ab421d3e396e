"""Adapters: one module per model family, each ``pre_process -> forward -> post_process``.

``yolox`` (YOLO-family detectors), ``classifier`` (ImageNet-style), ``yunet`` and
``sface`` (OpenCV face detection and embeddings), ``fer`` (facial expressions). Shared
numpy geometry lives in ``geometry``, result types in ``base``. Analyzers normally get
adapters through :mod:`sightline.models.loaders`.
"""
