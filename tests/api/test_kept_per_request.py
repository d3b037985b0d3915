"""The API's addresses and labels are made once per request (`api.serializers.slug_url`, `_label`):
the same strings as `external_url` and the enum's label, for any slug, under a script root too."""

import pytest

from clearinghouse.agreements.models import AgreementKind, AgreementState
from clearinghouse.api import serializers
from clearinghouse.directory.models import ProductStatus
from clearinghouse.urls import external_url

ENDPOINTS = ["api.product", "api.vendor", "api.school", "directory.product", "directory.vendor", "directory.school"]


@pytest.mark.parametrize("script_root", ["", "/clearinghouse"])
def test_addresses_are_external_urls(app, script_root):
    with app.test_request_context("/api/v1/products", environ_base={"SCRIPT_NAME": script_root}):
        for endpoint in ENDPOINTS:
            for slug in ("lantern-reader-2", "x", "Odd Slug/é", "a b", "lantern-reader-2"):  # the last: kept
                assert serializers.slug_url(endpoint, slug) == external_url(endpoint, slug=slug)
        assert serializers.html_url("product", "x-1") == external_url("directory.product", slug="x-1")
        assert serializers.html_url("document", 7) == external_url("directory.agreement_document", agreement_id=7)


def test_labels_are_the_enums_labels(app):
    members = [*ProductStatus, *AgreementKind, *AgreementState]
    with app.test_request_context("/api/v1/products"):
        for _ in range(2):  # made, then kept
            assert [serializers._label(member) for member in members] == [str(member.label) for member in members]
    with app.app_context():  # outside a request: made each time
        assert serializers._label(ProductStatus.APPROVED) == str(ProductStatus.APPROVED.label)
