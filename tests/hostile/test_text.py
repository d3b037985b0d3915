"""The one place that decides which characters a stored value may hold, and how names compare."""

import re
import unicodedata

import pytest

from clearinghouse.text import UnsafeText, clean_line, clean_name, clean_text, name_key, visible_text, xml_safe


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("a\x00b", "U+0000"),
        ("Acme\x1b[31m", "U+001B"),
        ("Acme\u202egpj.exe", "direction-changing character U+202E"),
        ("Acme\u2066x", "U+2066"),
        ("line\nbreak", "must be one line"),
        ("line\rbreak", "must be one line"),
        ("next\x85line", "must be one line"),
        ("para\u2029graph", "must be one line"),
        ("lone \ud800 surrogate", "U+D800"),
        ("delete\x7f", "U+007F"),
    ],
)
def test_a_one_line_value_refuses_what_could_break_a_header_a_feed_or_the_database(value, message):
    with pytest.raises(UnsafeText) as refused:
        clean_line(value, field="name")
    assert message in refused.value.message
    assert refused.value.field == "name"
    assert isinstance(refused.value, ValueError)  # so a WTForms filter shows it on the field


def test_a_one_line_value_is_stored_in_nfc_stripped_with_tabs_as_spaces():
    decomposed = unicodedata.normalize("NFD", "  Émile\tÉcole ")
    assert clean_line(decomposed) == "Émile École"
    assert clean_line(decomposed) == unicodedata.normalize("NFC", "Émile École")
    assert clean_line(None) == ""


def test_multi_line_text_keeps_its_lines_and_refuses_other_control_characters():
    assert clean_text("one\r\ntwo\n\tthree") == "one\r\ntwo\n\tthree"
    assert clean_text("right\u2028here") == "right\u2028here"
    with pytest.raises(UnsafeText, match=re.escape("U+0000")):
        clean_text("a\x00b")
    with pytest.raises(UnsafeText, match=re.escape("U+000C")):
        clean_text("form\x0cfeed")


def test_a_name_has_single_spaces():
    assert clean_name("  Reading   Rocket  ") == "Reading Rocket"


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("ÉMILE", "Émile"),
        ("Émile", unicodedata.normalize("NFD", "Émile")),
        ("Emile", "ＥＭＩＬＥ"),
        ("Acme Learning", "acme   learning"),
        ("Acme", "Ac\u200bme"),
        ("ﬁle", "FILE"),
        ("Straße", "STRASSE"),
    ],
)
def test_look_alike_names_share_one_key(one, other):
    assert name_key(one) == name_key(other)


def test_different_names_keep_different_keys():
    assert name_key("Émile") != name_key("Emile")
    assert name_key("Acme") != name_key("Acme 2")


def test_xml_safe_drops_only_what_xml_cannot_carry():
    assert xml_safe("Acme\x1b Learning\x00 \ud800ok\ufffe") == "Acme Learning ok"
    assert xml_safe("tab\tline\ncr\r é") == "tab\tline\ncr\r é"


def test_search_text_is_never_an_error():
    assert visible_text("a\x00b\x1b  c\ud800", 200) == "ab c"
    assert visible_text("x" * 1000, 10) == "x" * 10
