"""Authenticate a SigV4-signed request against the access-key store.

Keys are read from the database at most once per ``settings.api.key_cache_seconds``
per key id (unknown ids included), so a burst of requests, or of forged ones, costs one
lookup; a revoked key is refused within that time in every serving process.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable

from sightline.auth.keys import AccessKeyStore, ActiveKey, KeyInfo
from sightline.auth.sigv4 import SignedRequest, parse_authorization, verify
from sightline.config import ApiSettings
from sightline.errors import AccessDeniedError, UnrecognizedClientError


class KeyVerifier:
    """Checks signatures and permissions of requests signed with Sightline access keys."""

    def __init__(
        self,
        keys: AccessKeyStore,
        settings: ApiSettings,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._keys = keys
        self._settings = settings
        self._clock = clock
        self._cache: dict[str, tuple[float, ActiveKey | None]] = {}
        self._lock = threading.Lock()

    def authenticate(self, request: SignedRequest, service: str) -> KeyInfo:
        """The key that signed ``request``.

        Raises:
            MissingAuthenticationError: unsigned.
            IncompleteSignatureError: a malformed Authorization header.
            UnrecognizedClientError: the key id is unknown or revoked.
            InvalidSignatureError: wrong secret, stale date, body changed.
        """
        auth = parse_authorization(request)
        key = self._lookup(auth.access_key_id)
        if key is None:
            raise UnrecognizedClientError(
                "The security token included in the request is invalid: no active access "
                f"key {auth.access_key_id!r} (create one with `sightline keys create`)."
            )
        now = dt.datetime.fromtimestamp(self._clock(), dt.timezone.utc)
        skew = dt.timedelta(seconds=self._settings.clock_skew_seconds)
        verify(request, auth, key.secret, now=now, max_skew=skew, service=service)
        return key.info

    @staticmethod
    def authorize(key: KeyInfo, operation: str) -> None:
        """Raise :class:`AccessDeniedError` unless ``key`` may call ``operation``."""
        if not key.allows(operation):
            raise AccessDeniedError(
                f"User: {key.access_key_id} is not authorized to perform: "
                f"rekognition:{operation} (the key allows: {', '.join(key.operations or ())})."
            )

    def _lookup(self, access_key_id: str) -> ActiveKey | None:
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(access_key_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        key = self._keys.lookup(access_key_id)
        with self._lock:
            if len(self._cache) > 10_000:  # forged ids must not grow the cache forever
                self._cache.clear()
            self._cache[access_key_id] = (now + self._settings.key_cache_seconds, key)
        return key
