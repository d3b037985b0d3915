"""Purpose snippets in lists: the same text as text.plain_text, without Markdown when there is no markup."""

from hypothesis import given, settings
from hypothesis import strategies as st

from clearinghouse.directory.queries import SNIPPET_MAX, purpose_snippet
from clearinghouse.text import plain_text

PIECES = [*"abcXYZ éøßж中 0123456789 .,;:'\"?()-/=\n\t\u00a0", "  ", "\n\n", "\n1. ", "\n- ", "\n===", "    "]
PROSE = st.lists(st.sampled_from(PIECES), max_size=150).map("".join)
MARKUP = st.sampled_from(["**b**", "_i_", "[a](https://x.example)", "<b>x</b>", "&amp;", "# H", "`c`", "a | b", "\\*"])


@settings(max_examples=400, deadline=None)
@given(text=PROSE)
def test_snippet_equals_plain_text_for_any_prose(text):
    assert purpose_snippet(text) == plain_text(text, SNIPPET_MAX)


@settings(max_examples=200, deadline=None)
@given(before=PROSE, markup=MARKUP, after=PROSE)
def test_snippet_equals_plain_text_with_markup(before, markup, after):
    text = before + markup + after
    assert purpose_snippet(text) == plain_text(text, SNIPPET_MAX)


def test_snippet_examples():
    assert purpose_snippet("Adaptive **arithmetic** practice.") == "Adaptive arithmetic practice."
    assert purpose_snippet("Plain words\nover two lines.") == "Plain words over two lines."
    assert purpose_snippet("x" * 500).endswith("…")
    assert len(purpose_snippet("x" * 500)) == SNIPPET_MAX
    assert purpose_snippet(None) == ""
    assert purpose_snippet("<script>alert(1)</script>Hi") == plain_text("<script>alert(1)</script>Hi", SNIPPET_MAX)
