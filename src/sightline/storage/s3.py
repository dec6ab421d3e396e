"""Any S3-compatible endpoint (AWS, MinIO, Ceph RGW, moto) through boto3.

Large bodies go through boto3's managed transfer, which switches to multipart uploads
above ``multipart_threshold``; small ones are a single ``PutObject``. Missing buckets
and keys become ``ObjectNotFoundError``; transport and server failures become
``StorageError``, which the pipeline treats as retryable.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator
from typing import Any, BinaryIO, NoReturn

from sightline.config import S3Settings
from sightline.errors import ObjectNotFoundError, StorageError
from sightline.storage.base import (
    PROBE_BYTES,
    ObjectInfo,
    check_bucket,
    check_key,
    range_header,
)

_NOT_FOUND = {"404", "NoSuchKey", "NoSuchBucket", "NotFound", "NoSuchVersion"}
_CONTENT_RANGE = re.compile(r"bytes \d+-\d+/(\d+)")


def _etag(raw: str | None) -> str | None:
    return raw.strip('"') if raw else None


def _epoch(value: Any) -> float:
    if isinstance(value, dt.datetime):
        return value.timestamp()
    return 0.0


class S3Store:
    """An :class:`~sightline.storage.base.ObjectStore` over an S3 API."""

    def __init__(self, settings: S3Settings, *, client: Any = None) -> None:
        import boto3
        from boto3.s3.transfer import TransferConfig
        from botocore.config import Config

        self.settings = settings
        if client is None:
            secret = settings.secret_access_key
            client = boto3.session.Session().client(
                "s3",
                endpoint_url=settings.endpoint_url,
                region_name=settings.region,
                aws_access_key_id=settings.access_key_id,
                aws_secret_access_key=secret.get_secret_value() if secret else None,
                config=Config(
                    s3={"addressing_style": "path" if settings.path_style else "auto"},
                    retries={"max_attempts": 4, "mode": "standard"},
                    max_pool_connections=settings.max_pool_connections,
                ),
            )
        self.client = client
        self._transfer = TransferConfig(
            multipart_threshold=settings.multipart_threshold,
            multipart_chunksize=settings.multipart_chunksize,
            max_concurrency=4,
        )

    def _fail(self, exc: Exception, bucket: str, key: str | None = None) -> NoReturn:
        from botocore.exceptions import ClientError

        where = f"s3://{bucket}/{key}" if key is not None else f"s3://{bucket}"
        if isinstance(exc, ClientError):
            err = exc.response.get("Error", {})
            code = str(err.get("Code", ""))
            if code == "NoSuchBucket":
                raise ObjectNotFoundError(f"The bucket {bucket!r} does not exist.") from exc
            if code in _NOT_FOUND:
                if key is None:
                    raise ObjectNotFoundError(f"The bucket {bucket!r} does not exist.") from exc
                raise ObjectNotFoundError(
                    f"The object {key!r} does not exist in bucket {bucket!r}."
                ) from exc
            raise StorageError(f"{where}: {code or 'error'}: {err.get('Message', exc)}") from exc
        raise StorageError(f"{where}: {type(exc).__name__}: {exc}") from exc

    def get(self, bucket: str, key: str, *, byte_range: tuple[int, int] | None = None) -> bytes:
        args: dict[str, Any] = {"Bucket": check_bucket(bucket), "Key": check_key(key)}
        if byte_range is not None:
            args["Range"] = range_header(byte_range)
        try:
            response = self.client.get_object(**args)
            return bytes(response["Body"].read())
        except Exception as exc:
            self._fail(exc, bucket, key)

    def open(self, bucket: str, key: str) -> BinaryIO:
        try:
            response = self.client.get_object(Bucket=check_bucket(bucket), Key=check_key(key))
        except Exception as exc:
            self._fail(exc, bucket, key)
        body: BinaryIO = response["Body"]
        return body

    def put(
        self, bucket: str, key: str, data: bytes | BinaryIO, *, content_type: str | None = None
    ) -> ObjectInfo:
        check_bucket(bucket)
        check_key(key)
        extra: dict[str, Any] = {"ContentType": content_type} if content_type else {}
        try:
            if (
                isinstance(data, (bytes, bytearray))
                and len(data) < self._transfer.multipart_threshold
            ):
                r = self.client.put_object(Bucket=bucket, Key=key, Body=bytes(data), **extra)
                return ObjectInfo(
                    bucket,
                    key,
                    len(data),
                    _etag(r.get("ETag")),
                    dt.datetime.now(dt.timezone.utc).timestamp(),
                    r.get("VersionId"),
                    content_type,
                )
            stream = io.BytesIO(data) if isinstance(data, (bytes, bytearray)) else data
            self.client.upload_fileobj(
                stream, bucket, key, ExtraArgs=extra or None, Config=self._transfer
            )
        except Exception as exc:
            self._fail(exc, bucket, key)
        return self.head(bucket, key)

    def head(self, bucket: str, key: str) -> ObjectInfo:
        try:
            r = self.client.head_object(Bucket=check_bucket(bucket), Key=check_key(key))
        except Exception as exc:
            self._fail(exc, bucket, key)
        return ObjectInfo(
            bucket,
            key,
            int(r.get("ContentLength", 0)),
            _etag(r.get("ETag")),
            _epoch(r.get("LastModified")),
            r.get("VersionId"),
            r.get("ContentType"),
        )

    def probe(self, bucket: str, key: str, size: int = PROBE_BYTES) -> tuple[ObjectInfo, bytes]:
        from botocore.exceptions import ClientError

        args = {"Bucket": check_bucket(bucket), "Key": check_key(key)}
        try:
            r = self.client.get_object(Range=range_header((0, size - 1)), **args)
            head = bytes(r["Body"].read())
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "InvalidRange":
                return self.head(bucket, key), b""  # an empty object has no byte 0
            self._fail(exc, bucket, key)
        except Exception as exc:
            self._fail(exc, bucket, key)
        match = _CONTENT_RANGE.match(str(r.get("ContentRange", "")))
        total = int(match.group(1)) if match else int(r.get("ContentLength", len(head)))
        info = ObjectInfo(
            bucket,
            key,
            total,
            _etag(r.get("ETag")),
            _epoch(r.get("LastModified")),
            r.get("VersionId"),
            r.get("ContentType"),
        )
        return info, head

    def list(self, bucket: str, prefix: str = "", start_after: str = "") -> Iterator[ObjectInfo]:
        args: dict[str, Any] = {"Bucket": check_bucket(bucket), "Prefix": prefix}
        if start_after:
            args["StartAfter"] = start_after
        paginator = self.client.get_paginator("list_objects_v2")
        try:
            for page in paginator.paginate(**args):
                for obj in page.get("Contents", ()):
                    yield ObjectInfo(
                        bucket,
                        obj["Key"],
                        int(obj.get("Size", 0)),
                        _etag(obj.get("ETag")),
                        _epoch(obj.get("LastModified")),
                    )
        except Exception as exc:
            self._fail(exc, bucket)

    def delete(self, bucket: str, key: str) -> None:
        try:
            self.client.delete_object(Bucket=check_bucket(bucket), Key=check_key(key))
        except Exception as exc:
            try:
                self._fail(exc, bucket, key)
            except ObjectNotFoundError:
                return

    def url(self, bucket: str, key: str) -> str:
        url: str = self.client.generate_presigned_url(
            "get_object",
            Params={"Bucket": check_bucket(bucket), "Key": check_key(key)},
            ExpiresIn=self.settings.presign_seconds,
        )
        return url

    def ensure_bucket(self, bucket: str) -> None:
        from botocore.exceptions import ClientError

        check_bucket(bucket)
        try:
            self.client.head_bucket(Bucket=bucket)
            return
        except ClientError as exc:
            if str(exc.response.get("Error", {}).get("Code")) not in _NOT_FOUND:
                self._fail(exc, bucket)
        except Exception as exc:
            self._fail(exc, bucket)
        args: dict[str, Any] = {"Bucket": bucket}
        if self.settings.region != "us-east-1":
            args["CreateBucketConfiguration"] = {"LocationConstraint": self.settings.region}
        try:
            self.client.create_bucket(**args)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code"))
            if code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                self._fail(exc, bucket)
