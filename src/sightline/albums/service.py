"""The albums service: every album and photo operation, permission-checked.

Pages, the live status stream and the JSON API all call this with the
:class:`~sightline.accounts.actor.Actor` making the request; the rules are those of
:mod:`sightline.albums.store`. Albums a user may not see answer 404 everywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, BinaryIO

from sightline.accounts.actor import Actor
from sightline.accounts.users import UserInfo, UserStore
from sightline.albums.photos import IncomingFile, PhotoInfo, PhotoStore
from sightline.albums.results import PhotoAnalyses, Thumbnail, read_documents
from sightline.albums.store import AlbumInfo, AlbumStore, AlbumSummary, can_edit
from sightline.errors import (
    ConflictError,
    InvalidParameterError,
    ResourceNotFoundError,
)
from sightline.pipeline.workflows.actions import ACTIONS
from sightline.pipeline.workflows.diagram import render_execution
from sightline.pipeline.workflows.executions import ExecutionDetail, WorkflowExecutions
from sightline.pipeline.workflows.graph import workflow_graph
from sightline.pipeline.workflows.library import WorkflowLibrary
from sightline.runtime import Runtime

if TYPE_CHECKING:
    from sightline.faces.service import FaceService


class AlbumService:
    def __init__(
        self, runtime: Runtime, users: UserStore, faces: Callable[[], FaceService]
    ) -> None:
        self.rt = runtime
        self.users = users
        self.albums = AlbumStore(runtime.engine)
        self.photos = PhotoStore(runtime, faces)
        self._executions = WorkflowExecutions(runtime.engine)
        self._workflows = WorkflowLibrary(runtime.settings.pipeline, ACTIONS)

    # --- albums -----------------------------------------------------------------

    def visible(self, actor: Actor) -> list[AlbumSummary]:
        return self.albums.visible(actor)

    def create(self, actor: Actor, name: str, owner: str | None = None) -> AlbumInfo:
        """A new album owned by ``actor``, or by ``owner`` when an admin names one.

        Raises:
            InvalidParameterError: a bad name; the operator named no owner; a member
                named someone else.
            ResourceNotFoundError: ``owner`` does not exist.
        """
        return self.albums.create(name, self._owner(actor, owner))

    def _owner(self, actor: Actor, owner: str | None) -> UserInfo:
        if owner is None or (actor.user is not None and owner == actor.user.username):
            if actor.user is None:
                raise InvalidParameterError(
                    "An API token belongs to no user: name the album's owner ('owner')."
                )
            return actor.user
        if not actor.is_admin:
            raise InvalidParameterError("Only admins may create albums for other users.")
        user = self.users.require(owner)
        if not user.active:
            raise InvalidParameterError(f"{user.username} is disabled.")
        return user

    def view(self, actor: Actor, album_id: str) -> AlbumInfo:
        return self.albums.for_view(actor, album_id)

    def can_edit(self, actor: Actor, album: AlbumInfo) -> bool:
        return can_edit(actor, album)

    def rename(self, actor: Actor, album_id: str, name: str) -> AlbumInfo:
        return self.albums.rename(self.albums.for_edit(actor, album_id), name)

    def share(self, actor: Actor, album_id: str, username: str) -> AlbumInfo:
        """Let ``username`` view the album.

        Raises:
            InvalidParameterError: no such (active) user, or the owner.
        """
        album = self.albums.for_edit(actor, album_id)
        user = self.users.find(username)
        if user is None or not user.active:
            raise InvalidParameterError(f"There is no user named {username.strip()!r}.")
        return self.albums.share(album, user)

    def unshare(self, actor: Actor, album_id: str, username: str) -> AlbumInfo:
        album = self.albums.for_edit(actor, album_id)
        user = self.users.find(username)
        if user is None or user.username not in album.shared_with:
            raise ResourceNotFoundError(f"The album is not shared with {username.strip()!r}.")
        return self.albums.unshare(album, user)

    def delete(self, actor: Actor, album_id: str) -> None:
        """Delete the album and every photo in it (each as :meth:`delete_photo`).

        Raises:
            ConflictError: a photo is being processed; the photos deleted before it
                stay deleted.
        """
        album = self.albums.for_edit(actor, album_id)
        photos = self.photos.in_album(album.id)
        busy = [p.file_name for p in photos if p.status.state.value == "processing"]
        if busy:
            raise ConflictError(
                f"{len(busy)} photo(s) of this album are being processed ({busy[0]}, ...); "
                "delete the album once they have completed or failed."
            )
        for photo in photos:
            self.photos.delete(photo)
        self.albums.delete_row(album.id)

    # --- photos -----------------------------------------------------------------

    def photos_of(self, actor: Actor, album_id: str) -> tuple[AlbumInfo, list[PhotoInfo]]:
        album = self.albums.for_view(actor, album_id)
        return album, self.photos.in_album(album.id)

    def photo(self, actor: Actor, album_id: str, photo_id: str) -> tuple[AlbumInfo, PhotoInfo]:
        """The album and the photo, if ``actor`` may see the album.

        Raises:
            ResourceNotFoundError: no such album (for ``actor``) or photo in it.
        """
        album = self.albums.for_view(actor, album_id)
        photo = self.photos.get(album.id, photo_id)
        if photo is None:
            raise ResourceNotFoundError(f"No photo {photo_id!r} in this album.")
        return album, photo

    def upload(self, actor: Actor, album_id: str, files: Sequence[IncomingFile]) -> list[PhotoInfo]:
        album = self.albums.for_edit(actor, album_id)
        if not files:
            raise InvalidParameterError("Choose at least one photo to upload.")
        return self.photos.add(album, actor, files)

    def delete_photo(self, actor: Actor, album_id: str, photo_id: str) -> AlbumInfo:
        album = self.albums.for_edit(actor, album_id)
        photo = self.photos.get(album.id, photo_id)
        if photo is None:
            raise ResourceNotFoundError(f"No photo {photo_id!r} in this album.")
        self.photos.delete(photo)
        return album

    def analyses(
        self, photos: Sequence[PhotoInfo], which: Sequence[str] = ()
    ) -> dict[str, PhotoAnalyses]:
        """photo id -> its stored analyses (``which`` documents only, when given)."""
        docs = read_documents(
            self.rt.engine, self.rt.store, [p.item_id for p in photos], which=which
        )
        return {p.id: PhotoAnalyses(docs.get(p.item_id, {})) for p in photos}

    def thumbnail(self, photo: PhotoInfo, large: bool = False) -> Thumbnail | None:
        """The photo's smallest (or largest) thumbnail, if it has one yet."""
        thumbs = self.analyses([photo], ("thumbnail",))[photo.id].thumbnails()
        if not thumbs:
            return None
        return thumbs[-1] if large else thumbs[0]

    def execution(self, photo: PhotoInfo) -> ExecutionDetail | None:
        """The photo's latest workflow execution with every step, if one started."""
        if photo.status.run_kind != "execution":
            return None
        return self._executions.describe(photo.status.run_id)

    def diagram(self, photo: PhotoInfo) -> str | None:
        """The photo's workflow drawn as SVG, each step in its state in the photo's
        latest execution; None when no execution has started."""
        detail = self.execution(photo)
        if detail is None:
            return None
        graph = workflow_graph(self._workflows.get(detail.execution.workflow))
        return render_execution(graph, detail)

    def open(self, bucket: str, key: str) -> BinaryIO:
        """A stream of an object's bytes (originals can be large); the caller closes it.

        Raises:
            ObjectNotFoundError: the object is gone.
        """
        return self.rt.store.open(bucket, key)
