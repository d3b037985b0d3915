"""S3 storage against a real S3-compatible server on loopback, alone and behind a second app."""

from collections.abc import Iterator

import pytest
from botocore.exceptions import ClientError
from flask import Flask
from sqlalchemy import select

from clearinghouse.app import create_app
from clearinghouse.destruction.models import DisposalCertificate
from clearinghouse.extensions import db
from clearinghouse.storage import storage
from clearinghouse.storage_s3 import S3Storage
from tests.conftest import client_as, in_app
from tests.portal import pdfs
from tests.portal.helpers import stored_file_count, upload
from tests.storage.conftest import object_keys


def url(endpoint: str, bucket: str, prefix: str = "") -> str:
    return f"s3://{bucket}{'/' + prefix if prefix else ''}?endpoint_url={endpoint}&region=us-east-1"


def test_write_read_exists_delete_round_trip(s3_endpoint, bucket):
    store = S3Storage.from_url(url(s3_endpoint, bucket, "certificates/2027"))
    store.check()
    assert not store.exists("abc123")
    store.write("abc123", b"%PDF-1.7 hello")
    assert store.exists("abc123")
    assert store.read("abc123") == b"%PDF-1.7 hello"
    assert object_keys(s3_endpoint, bucket) == ["certificates/2027/abc123"]
    store.delete("abc123")
    store.delete("abc123")  # deleting twice is fine, as on disk
    assert not store.exists("abc123")
    with pytest.raises(FileNotFoundError):
        store.read("abc123")


def test_keys_that_could_escape_the_prefix_are_refused(s3_endpoint, bucket):
    store = S3Storage.from_url(url(s3_endpoint, bucket, "files"))
    for key in ("../secret", "a/b", "", "x" * 101):
        with pytest.raises(ValueError, match="Storage keys"):
            store.write(key, b"data")
    assert object_keys(s3_endpoint, bucket) == []


def test_check_fails_for_a_missing_bucket(s3_endpoint):
    with pytest.raises(ClientError):
        S3Storage.from_url(url(s3_endpoint, "no-such-bucket-here")).check()


@pytest.mark.parametrize("bad", ["s3://?region=us-east-1", "s3://bucket?colour=blue", "http://bucket"])
def test_malformed_urls_stop_with_a_clear_message(bad):
    with pytest.raises(ValueError, match="STORAGE_URL"):
        S3Storage.from_url(bad)


@pytest.fixture
def s3_app(database_url, tmp_path, s3_endpoint, bucket) -> Iterator[Flask]:
    """A second app on the same test database whose uploads go to the bucket."""
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret-key-not-for-production",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "UPLOAD_DIR": str(tmp_path / "unused"),
            "STORAGE_URL": url(s3_endpoint, bucket, "uploads"),
            "WTF_CSRF_ENABLED": False,
        }
    )
    yield app
    with app.app_context():
        db.engine.dispose()


def test_an_uploaded_certificate_is_kept_in_s3_and_read_back(
    s3_app, world, vendor_user_id, officer_id, s3_endpoint, bucket, tmp_path
):
    with in_app(s3_app):
        assert isinstance(storage(), S3Storage)
        storage().check()
    data, _certificate = pdfs.signed_pdf("S3 Signer")
    response = upload(client_as(s3_app, vendor_user_id), world.request_id, data)
    assert response.status_code == 303

    with in_app(s3_app):
        cert = db.session.scalars(select(DisposalCertificate)).one()
        key = cert.file.storage_key
        assert cert.signature_report["signatures"][0]["signer"] == "S3 Signer"
        assert storage().read(key) == data
    assert object_keys(s3_endpoint, bucket) == [f"uploads/{key}"]
    assert not (tmp_path / "unused").exists()  # nothing went to the local directory

    download = client_as(s3_app, officer_id).get(f"/staff/requests/certificates/{cert.id}/file")
    assert download.status_code == 200
    assert download.data == data


def test_a_refused_upload_leaves_no_object_in_the_bucket(s3_app, world, vendor_user_id, s3_endpoint, bucket):
    client = client_as(s3_app, vendor_user_id)
    assert upload(client, world.request_id, pdfs.make_pdf()).status_code == 303
    keys_after_first = object_keys(s3_endpoint, bucket)
    # A second certificate for the same request is refused; so is a fake PDF; neither leaves an object.
    assert upload(client, world.request_id, pdfs.make_pdf(text="Again")).status_code == 422
    assert upload(client, world.request_id, pdfs.PNG_BYTES).status_code == 422
    assert object_keys(s3_endpoint, bucket) == keys_after_first
    assert stored_file_count(s3_app) == 1
