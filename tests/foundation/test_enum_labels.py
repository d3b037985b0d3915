"""Every enum's human label lives on the enum, once: no template, view, form or e-mail spells it again."""

import enum
import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import clearinghouse
from tests.conftest import in_app

PROJECT = Path(clearinghouse.__file__).resolve().parent.parent


def _labelled_enums() -> dict[type[enum.StrEnum], Path]:
    found: dict[type[enum.StrEnum], Path] = {}
    for module_info in pkgutil.walk_packages(clearinghouse.__path__, "clearinghouse."):
        module = importlib.import_module(module_info.name)
        for _, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, enum.StrEnum) and value.__module__ == module.__name__ and hasattr(value, "label"):
                found[value] = Path(module.__file__)
    return found


def test_every_member_of_a_labelled_enum_has_a_label(app):
    enums = _labelled_enums()
    assert {cls.__name__ for cls in enums} >= {
        "RequestStatus",
        "CertificateStatus",
        "DisposalMethod",
        "RequestScope",
        "DispositionNature",
        "DispositionSchedule",
        "NoticeStatus",
        "AgreementState",
        "AgreementKind",
        "ProductStatus",
        "Role",
    }
    with in_app(app):  # a label may be a lazy translation, read in the app's default language
        for cls in enums:
            for member in cls:
                assert str(member.label).strip(), (cls.__name__, member)
        request_status = next(cls for cls in enums if cls.__name__ == "RequestStatus")
        assert all(str(member.vendor_label).strip() for member in request_status)


# Their labels are phrases specific enough that any other quoted occurrence is a copy. (Labels of
# one common word, "Active" or "Retired", also name other things: users, schools.)
CHECKED = (
    "RequestStatus",
    "CertificateStatus",
    "DisposalMethod",
    "RequestScope",
    "DispositionNature",
    "DispositionSchedule",
    "NoticeStatus",
)


def test_no_label_is_written_out_a_second_time(app):
    """No request, certificate, disposal or notice label is quoted in Python, or set between quotes
    or tags in a template or e-mail, outside its enum's module."""
    enums = {cls: home for cls, home in _labelled_enums().items() if cls.__name__ in CHECKED}
    assert len(enums) == len(CHECKED)
    paths = [*(PROJECT / "clearinghouse").rglob("*.py"), *(PROJECT / "templates").rglob("*.*")]
    sources = {path: path.read_text(encoding="utf-8") for path in paths}
    copies = []
    for cls, home in enums.items():
        with in_app(app):
            labels = [str(member.label) for member in cls] + [
                str(getattr(member, "vendor_label", "")) for member in cls
            ]
        for label in filter(None, labels):
            pattern = re.compile(rf"[\"'>]{re.escape(label)}[\"'<]")
            copies += [
                (cls.__name__, label, str(path.relative_to(PROJECT)))
                for path, text in sources.items()
                if path != home and pattern.search(text)
            ]
    assert copies == [], "\n".join(map(str, copies))


def test_templates_read_labels_from_the_enums_not_from_dicts():
    """`{{ dr.status.label }}`, never `{{ status_labels[dr.status] }}` from a context processor."""
    lookups = [
        (str(path.relative_to(PROJECT)), match.group(0))
        for path in (PROJECT / "templates").rglob("*.*")
        for match in re.finditer(r"\w+_labels\[", path.read_text(encoding="utf-8"))
    ]
    assert lookups == []
