"""Media files of posts in the private media bucket: uploaded and fetched through presigned URLs, so
no file passes through the API, and tagged `status=posted` once published (the bucket's lifecycle
moves posted media to a cheaper storage class)."""

from __future__ import annotations

import tempfile
from typing import BinaryIO

from botocore.exceptions import ClientError

from contentflow.aws import client
from contentflow.ids import ulid
from contentflow.platforms.models import Media
from contentflow.publishing.models import MediaRequest, MediaUpload
from contentflow.resources import bucket_name

UPLOAD_EXPIRES_S = 900
FETCH_EXPIRES_S = 3600  # a platform fetching a video from the URL may take a while
POSTED_TAG = {"Key": "status", "Value": "posted"}


class MediaMissing(LookupError):
    pass


def upload_url(request: MediaRequest) -> MediaUpload:
    key = f"media/{ulid()}/{request.filename}"
    url = client("s3").generate_presigned_url(
        "put_object",
        Params={"Bucket": bucket_name("media"), "Key": key, "ContentType": request.content_type},
        ExpiresIn=UPLOAD_EXPIRES_S,
    )
    return MediaUpload(
        key=key, upload_url=url, headers={"Content-Type": request.content_type}, expires_in_s=UPLOAD_EXPIRES_S
    )


def describe(key: str) -> tuple[str, int]:
    """The stored file's content type and size; MediaMissing if it was never uploaded."""
    try:
        head = client("s3").head_object(Bucket=bucket_name("media"), Key=key)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            raise MediaMissing(key) from None
        raise
    return head.get("ContentType") or "application/octet-stream", head["ContentLength"]


def media(key: str) -> Media:
    """A stored file as connectors take it: a presigned GET for platforms that fetch it, and a
    spooled local copy for connectors that upload bytes."""
    content_type, size = describe(key)
    url = client("s3").generate_presigned_url(
        "get_object", Params={"Bucket": bucket_name("media"), "Key": key}, ExpiresIn=FETCH_EXPIRES_S
    )
    return Media(key=key, content_type=content_type, size=size, url=url, open=lambda: _download(key))


def _download(key: str) -> BinaryIO:
    copy = tempfile.TemporaryFile()  # noqa: SIM115 (the caller closes it) in /tmp on Lambda; seekable
    client("s3").download_fileobj(bucket_name("media"), key, copy)
    copy.seek(0)
    return copy


def mark_posted(keys: list[str]) -> None:
    for key in keys:
        client("s3").put_object_tagging(
            Bucket=bucket_name("media"), Key=key, Tagging={"TagSet": [POSTED_TAG]}
        )
