"""The directory's filter fields, whose label, hint and ARIA are drawn once per language, are exactly
what the `field` macro draws, with the reader's value and chosen option, in English and Spanish."""

import pytest
from flask import get_template_attribute
from werkzeug.datastructures import MultiDict

from clearinghouse.directory import queries
from clearinghouse.directory.forms import DirectoryForm, directory_choices
from clearinghouse.directory.queries import Choice, FilterOptions
from clearinghouse.extensions import db

HINT = "A hint & its <markup>"


@pytest.mark.parametrize("prefix", ["", "/es"])
@pytest.mark.parametrize(
    "args",
    [
        {},
        {"q": "reading <b>", "element": "disability", "school": "lincoln", "sort": "name"},
        {"school": "no-such-school", "q": "x"},
    ],
)
def test_a_drawn_field_is_what_the_macro_draws(app, catalog, prefix, args):
    with app.test_request_context(f"{prefix}/directory"):
        app.preprocess_request()  # the URL's language, as a request sets it
        macro = get_template_attribute("_macros/forms.html", "field")
        options = queries.filter_options()  # one read, as the anonymous pages of a data version share it
        # Drawn, then from the kept outline and kept selects, with other values between.
        for asked in (args, {}, args, {"q": "\"quoted\" & 'single'", "element": "disability", "status": "all"}, args):
            form = DirectoryForm(MultiDict(asked), options)
            form.ignored_fields()
            for name, hint in [("q", HINT), *((name, None) for name in (*form.FILTER_FIELDS, "sort"))]:
                assert form.draw_field(name, hint=hint) == macro(form[name], hint=hint), name
        db.session.remove()


def test_a_field_with_an_error_is_drawn_by_the_macro(app, catalog):
    with app.test_request_context("/directory"):
        form = DirectoryForm(MultiDict({"element": "nope"}), queries.filter_options())
        form.validate()
        assert form.element.errors
        drawn = form.draw_field("element")
        assert 'aria-invalid="true"' in drawn
        assert drawn == get_template_attribute("_macros/forms.html", "field")(form.element)
        db.session.remove()


def test_equal_filter_lists_share_their_drawn_choices_and_changed_ones_do_not(app, catalog):
    """A FilterOptions read afresh (a signed-in reader, the page cache off) finds the choices drawn for
    equal options; options that differ (a school renamed) are drawn with what they hold."""
    with app.test_request_context("/directory"):
        first, again = queries.filter_options(), queries.filter_options()
        assert first is not again  # outside the page cache, each read is a new object
        assert directory_choices(first) is directory_choices(again)
        renamed = FilterOptions(
            elements=first.elements,
            categories=first.categories,
            schools=[Choice(school.id, school.slug, f"{school.name} Annex") for school in first.schools],
            tags=first.tags,
            kinds=first.kinds,
        )
        assert directory_choices(renamed) is not directory_choices(first)
        school = first.schools[0]
        drawn = DirectoryForm(MultiDict({"school": school.slug}), renamed).draw_field("school")
        assert f"{school.name} Annex</option>" in drawn
        assert f"{school.name} Annex</option>" not in DirectoryForm(MultiDict(), again).draw_field("school")
        db.session.remove()
