"""Face collections: Rekognition's collection, face, user and CompareFaces operations.

- :mod:`sightline.faces.service` — :class:`~sightline.faces.service.FaceService`, the
  entry point (one method per operation; requests are Rekognition members).
- :mod:`sightline.faces.types` — what operations return (pixel boxes, 0-1 confidences).
- :mod:`sightline.faces.index` — :class:`~sightline.faces.index.FaceIndex`, exact numpy
  below ~50k faces and usearch HNSW above; :mod:`sightline.faces.indexes` keeps one per
  collection current with the database (which is the source of truth).
- :mod:`sightline.faces.similarity` — distance -> 0-100 similarity, calibrated so that
  80 is each model's published same-person threshold (docs/face-similarity.md).
- :mod:`sightline.faces.quality` — QualityFilter bars and MaxFaces.
- :mod:`sightline.faces.models` — the face models a collection can use (dlib, SFace).

Rekognition shapes are produced in ``sightline.api.rekognition.shapes.collections``.
"""
