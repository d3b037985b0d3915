"""A real S3-compatible server on loopback (moto's server mode) for the storage tests."""

from collections.abc import Iterator

import boto3
import pytest
from moto.server import ThreadedMotoServer

from tests.portal.helpers import world  # noqa: F401 - a fixture: a vendor with an open request


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(autouse=True)
def aws_credentials(monkeypatch) -> None:
    """boto3 reads credentials from the standard environment variables; moto accepts any."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def bucket(s3_endpoint, request) -> Iterator[str]:
    """A fresh bucket for one test, deleted with its objects afterwards."""
    name = "ch-" + request.node.name.lower().replace("_", "-")[:40].strip("-") + f"-{id(request) % 10_000}"
    client = s3_client(s3_endpoint)
    client.create_bucket(Bucket=name)
    yield name
    for item in client.list_objects_v2(Bucket=name).get("Contents", []):
        client.delete_object(Bucket=name, Key=item["Key"])
    client.delete_bucket(Bucket=name)


def s3_client(endpoint: str):
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")


def object_keys(endpoint: str, bucket: str) -> list[str]:
    return [item["Key"] for item in s3_client(endpoint).list_objects_v2(Bucket=bucket).get("Contents", [])]
