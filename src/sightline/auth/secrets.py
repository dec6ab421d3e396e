"""Encryption at rest for access-key secrets.

SigV4 verification needs the secret itself (the server recomputes the HMAC), so the
secret cannot be hashed like a password; it is encrypted with Fernet (AES-128-CBC +
HMAC-SHA256, from ``cryptography``). The key comes from ``settings.api.encryption_key``;
without one, a key is generated once into ``<data_dir>/secret.key`` (mode 0600) and the
server says so. Keeping that file beside the database protects backups and dumps of the
database alone; operators who want more set the key from their secret manager.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken

from sightline.auth import keyfile
from sightline.config import Settings
from sightline.errors import InternalError, InvalidParameterError

KEY_FILE = "secret.key"


class SecretCipher:
    """Encrypts and decrypts secrets with one Fernet key."""

    def __init__(self, key: bytes, source: str) -> None:
        try:
            self._fernet = Fernet(key)
        except (ValueError, TypeError) as exc:
            raise InvalidParameterError(
                f"The encryption key from {source} is not a Fernet key (32 url-safe "
                "base64-encoded bytes); generate one with "
                "`python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'`."
            ) from exc
        self.source = source

    def encrypt(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode("ascii")

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode("ascii")).decode()
        except InvalidToken as exc:
            raise InternalError(
                f"A stored secret cannot be decrypted with the key from {self.source}; "
                "the key changed since the access key was created."
            ) from exc


def load_cipher(settings: Settings) -> SecretCipher:
    """The cipher for ``settings``: the configured key, else the data dir's key file.

    The key file is created (0600, exclusively) on first use, with a warning naming it.
    """
    configured = settings.api.encryption_key
    if configured is not None:
        return SecretCipher(configured.get_secret_value().encode(), "settings.api.encryption_key")
    path = settings.data_dir / KEY_FILE
    key = keyfile.load_or_create(
        path,
        Fernet.generate_key,
        created="Generated the encryption key for access-key secrets at %s (mode 0600). "
        "Back it up with the database: without it, stored access keys cannot be verified. "
        "Set SIGHTLINE_API__ENCRYPTION_KEY to keep the key elsewhere.",
    )
    return SecretCipher(key, str(path))
