"""Sightline's one exception tree, and its one mapping to wire errors.

::

    SightlineError
    ├── InvalidInputError                 the caller sent something unusable
    │   ├── InvalidImageFormatError       not an image we decode, corrupt, truncated
    │   ├── ImageTooLargeError            bytes, sides or pixel count over the limits
    │   ├── ImageTooSmallError            a side under the minimum (Rekognition: invalid format)
    │   ├── InvalidParameterError         a member is missing, malformed or out of range
    │   ├── ValidationError               the request does not match the service model
    │   ├── InvalidPaginationTokenError
    │   ├── InvalidS3ObjectError          the object cannot be read from storage
    │   │   └── ObjectNotFoundError       no such bucket or key in the object store
    │   ├── InvalidManifestError          a custom-labels manifest is malformed
    │   ├── InvalidTrainingDataError      a dataset cannot train a model (too few labels...)
    │   ├── InvalidKeyError               an object key tries to escape its bucket
    │   ├── VideoTooLargeError
    │   ├── RequestTooLargeError          the request body is over the server's limit
    │   ├── SerializationError            the body is not the JSON the protocol expects
    │   ├── UnknownOperationError         X-Amz-Target names no operation we serve
    │   └── IdempotentParameterMismatchError
    ├── ResourceError
    │   ├── ResourceNotFoundError
    │   ├── ResourceAlreadyExistsError
    │   ├── ResourceInUseError
    │   ├── ConflictError                 e.g. a UserId that already exists
    │   └── ResourceNotReadyError         e.g. a custom-labels version that is not running
    ├── LimitError
    │   ├── LimitExceededError            too many concurrent jobs
    │   ├── ThrottlingError               request rate over the key's limit
    │   ├── ProvisionedThroughputExceededError
    │   └── ServiceQuotaExceededError
    ├── AuthError
    │   ├── MissingAuthenticationError    unsigned request
    │   ├── UnrecognizedClientError       unknown access key
    │   ├── InvalidSignatureError         wrong secret, stale date, body hash mismatch
    │   ├── IncompleteSignatureError      the Authorization header is malformed
    │   ├── AccessDeniedError             the key may not call the operation
    │   └── InvalidCsrfTokenError         a form or script POST lacks its session's CSRF token
    ├── ModelError                        a model is missing, corrupt or failed to run
    │   ├── ModelNotInstalledError
    │   ├── ModelIntegrityError           checksum or size mismatch on pull
    │   └── ModelDownloadError            no URL of a catalog entry could be downloaded
    ├── UnsupportedError                  a feature Sightline does not offer (celebrities)
    ├── StorageError                      the object store failed (retryable)
    └── InternalError
        ├── IndexCorruptError             a face index file is unreadable (rebuilt from the DB)
        └── WorkerLostError               a task's worker died on every attempt

Each class's docstring is its default message. :data:`WIRE_ERRORS` maps each
class once to a Rekognition error code and HTTP status; subclasses inherit their
nearest mapped ancestor's entry. Nothing else in the package decides wire codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class SightlineError(Exception):
    """Sightline could not complete the request."""

    def __init__(self, message: str | None = None, **context: Any) -> None:
        self.message = message or (type(self).__doc__ or "").strip()
        self.context = context
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


class InvalidInputError(SightlineError):
    """The input could not be used."""


class InvalidImageFormatError(InvalidInputError):
    """The image is not in a supported format or could not be decoded."""


class ImageTooLargeError(InvalidInputError):
    """The image is larger than the configured limits."""


class ImageTooSmallError(InvalidInputError):
    """The image is smaller than the minimum supported size."""


class InvalidParameterError(InvalidInputError):
    """A request parameter is missing or invalid."""


class ValidationError(InvalidInputError):
    """The request does not match the operation's input shape."""


class InvalidPaginationTokenError(InvalidInputError):
    """The pagination token is invalid or expired."""


class InvalidS3ObjectError(InvalidInputError):
    """The object could not be read from storage."""


class ObjectNotFoundError(InvalidS3ObjectError):
    """The object does not exist in the object store."""


class InvalidManifestError(InvalidInputError):
    """The manifest file is malformed."""


class InvalidTrainingDataError(InvalidInputError):
    """The training data cannot train a model."""


class InvalidKeyError(InvalidInputError):
    """The object key is not allowed (empty, absolute, or escaping its bucket)."""


class VideoTooLargeError(InvalidInputError):
    """The video is larger than the configured limits."""


class InvalidVideoError(InvalidInputError):
    """The object is not a video Sightline can decode (corrupt, truncated, no video stream)."""


class RequestTooLargeError(InvalidInputError):
    """The request body is larger than the server accepts."""


class SerializationError(InvalidInputError):
    """The request body could not be parsed as JSON."""


class UnknownOperationError(InvalidInputError):
    """The operation named by X-Amz-Target is not offered by this server."""


class IdempotentParameterMismatchError(InvalidInputError):
    """A request with the same client token but different parameters was already made."""


class ResourceError(SightlineError):
    """A resource is missing or in the wrong state."""


class ResourceNotFoundError(ResourceError):
    """The requested resource does not exist."""


class ResourceAlreadyExistsError(ResourceError):
    """A resource with that name already exists."""


class ResourceInUseError(ResourceError):
    """The resource is in use."""


class ConflictError(ResourceError):
    """The request conflicts with the current state of the resource."""


class ResourceNotReadyError(ResourceError):
    """The resource is not ready for this operation."""


class LimitError(SightlineError):
    """A limit was reached."""


class LimitExceededError(LimitError):
    """A service limit was exceeded."""


class ThrottlingError(LimitError):
    """The request rate is over the limit; try again later."""


class ProvisionedThroughputExceededError(LimitError):
    """The number of requests exceeded the provisioned throughput."""


class ServiceQuotaExceededError(LimitError):
    """The request would exceed a service quota."""


class AuthError(SightlineError):
    """The request could not be authenticated or authorised."""


class MissingAuthenticationError(AuthError):
    """The request is not signed."""


class UnrecognizedClientError(AuthError):
    """The security token included in the request is invalid."""


class InvalidSignatureError(AuthError):
    """The request signature does not match the one computed from the secret key."""


class IncompleteSignatureError(AuthError):
    """The Authorization header is not a complete AWS Signature Version 4 header."""


class AccessDeniedError(AuthError):
    """The access key is not allowed to perform this operation."""


class InvalidCsrfTokenError(AuthError):
    """The form's security (CSRF) token is missing or stale: reload the page and retry."""


class ModelError(SightlineError):
    """A model could not be loaded or run."""


class ModelNotInstalledError(ModelError):
    """The model is not installed; pull it with `sightline models pull NAME`."""


class ModelIntegrityError(ModelError):
    """The model file does not match its expected checksum or size."""


class ModelDownloadError(ModelError):
    """The model could not be downloaded; run the pull again to resume."""


class UnsupportedError(SightlineError):
    """This feature is not supported by Sightline."""


class StorageError(SightlineError):
    """The object store could not complete the operation; it may succeed if retried."""


class InternalError(SightlineError):
    """An internal error occurred."""


class IndexCorruptError(InternalError):
    """A face index file is missing, truncated or inconsistent; it is rebuilt from the database."""


class WorkerLostError(InternalError):
    """The worker processing this item stopped responding on every attempt."""


@dataclass(frozen=True)
class WireError:
    code: str
    status: int


# The one table from exception class to Rekognition's error code and HTTP status.
WIRE_ERRORS: dict[type[SightlineError], WireError] = {
    SightlineError: WireError("InternalServerError", 500),
    InternalError: WireError("InternalServerError", 500),
    IndexCorruptError: WireError("InternalServerError", 500),
    InvalidInputError: WireError("InvalidParameterException", 400),
    InvalidImageFormatError: WireError("InvalidImageFormatException", 400),
    # Rekognition answers images under the minimum size as an invalid format.
    ImageTooSmallError: WireError("InvalidImageFormatException", 400),
    ImageTooLargeError: WireError("ImageTooLargeException", 400),
    InvalidParameterError: WireError("InvalidParameterException", 400),
    ValidationError: WireError("ValidationException", 400),
    InvalidPaginationTokenError: WireError("InvalidPaginationTokenException", 400),
    InvalidS3ObjectError: WireError("InvalidS3ObjectException", 400),
    ObjectNotFoundError: WireError("InvalidS3ObjectException", 400),
    InvalidManifestError: WireError("InvalidManifestException", 400),
    InvalidTrainingDataError: WireError("InvalidParameterException", 400),
    InvalidKeyError: WireError("InvalidParameterException", 400),
    VideoTooLargeError: WireError("VideoTooLargeException", 400),
    # Rekognition reports an undecodable video on the job (FAILED, StatusMessage); a
    # synchronous refusal (e.g. a probe at Start*) is an invalid parameter.
    InvalidVideoError: WireError("InvalidParameterException", 400),
    IdempotentParameterMismatchError: WireError("IdempotentParameterMismatchException", 400),
    # A body over the server's limit is, for every Rekognition operation, an image too
    # large; 413 tells HTTP clients and proxies not to retry it unchanged.
    RequestTooLargeError: WireError("ImageTooLargeException", 413),
    SerializationError: WireError("SerializationException", 400),
    UnknownOperationError: WireError("UnknownOperationException", 400),
    ResourceError: WireError("ResourceNotFoundException", 400),
    ResourceNotFoundError: WireError("ResourceNotFoundException", 400),
    ResourceAlreadyExistsError: WireError("ResourceAlreadyExistsException", 400),
    ResourceInUseError: WireError("ResourceInUseException", 400),
    ResourceNotReadyError: WireError("ResourceNotReadyException", 400),
    ConflictError: WireError("ConflictException", 400),
    LimitError: WireError("LimitExceededException", 400),
    LimitExceededError: WireError("LimitExceededException", 400),
    ThrottlingError: WireError("ThrottlingException", 400),
    ProvisionedThroughputExceededError: WireError("ProvisionedThroughputExceededException", 400),
    ServiceQuotaExceededError: WireError("ServiceQuotaExceededException", 400),
    AuthError: WireError("AccessDeniedException", 403),
    MissingAuthenticationError: WireError("MissingAuthenticationTokenException", 403),
    UnrecognizedClientError: WireError("UnrecognizedClientException", 403),
    InvalidSignatureError: WireError("InvalidSignatureException", 403),
    IncompleteSignatureError: WireError("IncompleteSignatureException", 400),
    AccessDeniedError: WireError("AccessDeniedException", 400),
    InvalidCsrfTokenError: WireError("AccessDeniedException", 403),
    ModelError: WireError("InternalServerError", 500),
    # A model the operator has not installed is a state of this server, not a bug.
    ModelNotInstalledError: WireError("ResourceNotReadyException", 400),
    ModelIntegrityError: WireError("InternalServerError", 500),
    ModelDownloadError: WireError("InternalServerError", 500),
    UnsupportedError: WireError("InvalidParameterException", 400),
    StorageError: WireError("InternalServerError", 500),
    WorkerLostError: WireError("InternalServerError", 500),
}


def wire_error(exc: SightlineError) -> WireError:
    """The wire error of ``exc``: its own entry or its nearest mapped ancestor's."""
    for cls in type(exc).__mro__:
        entry = WIRE_ERRORS.get(cls)
        if entry is not None:
            return entry
    return WIRE_ERRORS[SightlineError]
