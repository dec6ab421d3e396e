"""Photo albums: owned by users, shared read-only, photos analysed by the pipeline.

- :mod:`.store`: albums, shares and the permission rules (:func:`can_view`,
  :func:`can_edit`; everyone else gets 404).
- :mod:`.photos`: uploads into the album bucket (routed to ``web.album_analyses``),
  listing with status, and deletion of everything derived from a photo.
- :mod:`.status`: :class:`PhotoStatus`, the four states a photo shows.
- :mod:`.results`: the stored analysis documents of a photo, boxes, tags, thumbnails.
- :mod:`.service`: :class:`AlbumService`, what the web pages and the JSON API call.
"""

from sightline.albums.photos import IncomingFile, PhotoInfo
from sightline.albums.results import Box, PhotoAnalyses
from sightline.albums.service import AlbumService
from sightline.albums.status import PhotoState, PhotoStatus
from sightline.albums.store import AlbumInfo, AlbumSummary

__all__ = [
    "AlbumInfo",
    "AlbumService",
    "AlbumSummary",
    "Box",
    "IncomingFile",
    "PhotoAnalyses",
    "PhotoInfo",
    "PhotoState",
    "PhotoStatus",
]
