"""Uploaded files in an S3-compatible bucket: the same StorageBackend interface as LocalStorage.

STORAGE_URL = "s3://bucket[/prefix]?endpoint_url=https://…&region=us-east-1[&addressing_style=path]".
Credentials come from boto3's usual chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE,
instance roles); they never appear in the URL, so the URL can be logged and kept in config.
"""

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

from botocore.exceptions import BotoCoreError, ClientError

from clearinghouse.errors import StorageUnavailable, StoredFileMissing

# Keys are made by storage.store_pdf (random hex); anything else is refused, as LocalStorage refuses
# a key that would leave its directory.
KEY_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,100}$")
URL_OPTIONS = frozenset({"endpoint_url", "region", "addressing_style"})
NOT_FOUND_CODES = frozenset({"404", "NoSuchKey", "NotFound"})


class S3Storage:
    """Files as objects in one bucket, each under an optional key prefix."""

    def __init__(self, client: Any, bucket: str, prefix: str = ""):
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""

    @classmethod
    def from_url(cls, url: str) -> "S3Storage":
        parts = urlsplit(url)
        if parts.scheme != "s3" or not parts.netloc:
            raise ValueError(f"STORAGE_URL must look like s3://bucket?region=…, not {url!r}.")
        query = {name: values[-1] for name, values in parse_qs(parts.query).items()}
        unknown = set(query) - URL_OPTIONS
        if unknown:
            raise ValueError(f"STORAGE_URL has unknown options: {', '.join(sorted(unknown))}.")
        endpoint_url = query.get("endpoint_url") or None
        # boto3 costs a tenth of a second to import: only a site that stores files in S3 pays it.
        import boto3
        from botocore.config import Config

        # Self-hosted S3 servers (MinIO, moto, Ceph) rarely have per-bucket host names.
        style = query.get("addressing_style") or ("path" if endpoint_url else "auto")
        client = boto3.session.Session().client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=query.get("region") or None,
            config=Config(
                s3={"addressing_style": style},
                connect_timeout=5,
                read_timeout=30,
                retries={"max_attempts": 3, "mode": "standard"},
            ),
        )
        return cls(client, parts.netloc, parts.path)

    def _key(self, key: str) -> str:
        if not KEY_PATTERN.match(key):
            raise ValueError("Storage keys are letters, digits, '-' and '_' only.")
        return self.prefix + key

    def write(self, key: str, data: bytes) -> None:
        try:
            self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data)
        except (BotoCoreError, ClientError) as err:
            raise StorageUnavailable(f"Cannot write {key} to s3://{self.bucket}: {err}") from err

    def read(self, key: str) -> bytes:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
            return response["Body"].read()
        except ClientError as err:
            if _error_code(err) in NOT_FOUND_CODES:
                raise StoredFileMissing(f"{key} is missing from s3://{self.bucket}") from err
            raise StorageUnavailable(f"Cannot read {key} from s3://{self.bucket}: {err}") from err
        except BotoCoreError as err:
            raise StorageUnavailable(f"Cannot read {key} from s3://{self.bucket}: {err}") from err

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))  # no error when already gone

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as err:
            if _error_code(err) in NOT_FOUND_CODES:
                return False
            raise
        return True

    def check(self) -> None:
        """Raise if the bucket cannot be reached with these credentials (for /healthz)."""
        self.client.head_bucket(Bucket=self.bucket)


def _error_code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))
