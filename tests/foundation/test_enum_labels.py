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


# A label of two words or more is specific enough that any other quoted occurrence is a copy. (Labels
# of one common word, "Active" or "Retired", also name other things: users, schools.) The sort
# orders' labels also head the columns and lists they sort by.
NOT_CHECKED = {"Sort": "its labels are also the names of the columns and lists it sorts"}


def _quoted(label: str) -> re.Pattern:
    """The label between matching quotes, or as the whole text of a tag."""
    text = re.escape(label)
    return re.compile(rf"\"{text}\"|'{text}'|>{text}<|%\}}{text}\{{%")


def test_every_label_is_written_out_once(app):
    """A label of two words or more stands between quotes, or as a tag's text, in one file of the
    code, templates and e-mails: its enum's module. An enum that says something in another enum's
    words reads that enum's label (`Decision.label` is its `ProductStatus`'s)."""
    paths = [*(PROJECT / "clearinghouse").rglob("*.py"), *(PROJECT / "templates").rglob("*.*")]
    sources = {str(path.relative_to(PROJECT)): path.read_text(encoding="utf-8") for path in paths}
    enums = {cls: home for cls, home in _labelled_enums().items() if cls.__name__ not in NOT_CHECKED}
    assert len(enums) > 15
    with in_app(app):
        labels = {
            str(label)
            for cls in enums
            for member in cls
            for label in (member.label, getattr(member, "vendor_label", ""))
            if len(str(label).split()) > 1
        }
    written = {label: [path for path, text in sources.items() if _quoted(label).search(text)] for label in labels}
    assert {label: paths for label, paths in written.items() if len(paths) != 1} == {}


def test_templates_read_labels_from_the_enums_not_from_dicts():
    """`{{ dr.status.label }}`, never `{{ status_labels[dr.status] }}` from a context processor."""
    lookups = [
        (str(path.relative_to(PROJECT)), match.group(0))
        for path in (PROJECT / "templates").rglob("*.*")
        for match in re.finditer(r"\w+_labels\[", path.read_text(encoding="utf-8"))
    ]
    assert lookups == []
