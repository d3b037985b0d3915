"""The directory's filter fields, whose label, hint and ARIA are drawn once per language, are exactly
what the `field` macro draws, with the reader's value and chosen option, in English and Spanish; the
whole form, kept per chosen values, is what its template draws, and follows the data and the language."""

import pytest
from flask import get_template_attribute, render_template_string
from flask_babel import gettext
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from clearinghouse.directory import queries, services
from clearinghouse.directory.forms import VALUE_MARK, DirectoryForm, directory_choices
from clearinghouse.directory.models import School
from clearinghouse.directory.queries import Choice, FilterOptions
from clearinghouse.extensions import db, unit_of_work
from tests.conftest import in_app

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


def test_the_kept_filter_form_is_what_the_template_draws(app, catalog):
    """The search and filter form kept per chosen values (`kept_filters`) is, with each page's words
    put in, what its template draws afresh: words with markup, quotes or the mark itself, a value
    that is not a choice (dropped), filters chosen or not, in English and Spanish."""
    fields = "".join(f"{{{{ form.draw_field('{name}') }}}}" for name in (*DirectoryForm.FILTER_FIELDS, "sort"))
    inner = (
        "<form action=\"{{ url_for('directory.directory') }}\">{{ form.draw_field('q', hint='H') }}"
        + fields
        + "{% if form.has_filters %}<a>{{ _('Clear search and filters') }}</a>{% endif %}</form>"
    )
    kept = '{% call form.kept_filters("test") %}' + inner + "{% endcall %}"
    asked = [
        {},
        {"q": "reading <b> & \"quoted\" 'single'"},
        {"q": "other words", "element": "disability", "school": "lincoln", "sort": "name"},
        {"q": VALUE_MARK, "element": "disability", "school": "lincoln", "sort": "name"},
        {"q": "x", "school": "no-such-school"},
        {"element": "disability", "school": "lincoln", "sort": "name"},
        {"q": "   "},
    ]
    for prefix in ("", "/es"):
        with app.test_request_context(f"{prefix}/directory"):
            app.preprocess_request()
            options = queries.filter_options()
            for args in asked * 2:  # drawn and kept, then from what was kept
                form = DirectoryForm(MultiDict(args), options)
                form.ignored_fields()
                afresh = render_template_string(inner, form=form)
                assert render_template_string(kept, form=form) == afresh, args
            assert afresh.startswith(f'<form action="{prefix}/directory">')  # the page's language
            assert ("Cualquier escuela" in afresh) == (prefix == "/es")
            db.session.remove()


def test_the_kept_filter_form_follows_the_data_and_the_language(app, catalog):
    """A school renamed through its service shows in the form at once (its lists are a new data
    version's); the Spanish form stays Spanish and the English one English."""
    path = "/directory?school=lincoln&q=maths"
    assert "Lincoln Elementary</option>" in app.test_client().get(path).get_data(as_text=True)
    with in_app(app), unit_of_work():
        school = db.session.scalars(select(School).where(School.slug == "lincoln")).one()
        services.update_school(school, None, name="Lincoln Academy", grade_band="K-5")
    for _ in range(2):  # made, then served from the cache
        english = app.test_client().get(path).get_data(as_text=True)
        spanish = app.test_client().get("/es" + path).get_data(as_text=True)
        assert '<option selected value="lincoln">Lincoln Academy</option>' in english
        assert "Lincoln Elementary" not in english
        assert '<option selected value="lincoln">Lincoln Academy</option>' in spanish
        with app.test_request_context("/es/directory"):
            app.preprocess_request()
            assert gettext("Any school") in spanish
            assert gettext("Any school") != "Any school"
        assert "Any school" in english
        assert 'value="maths"' in english
        assert 'value="maths"' in spanish


def test_fields_bound_once_are_each_forms_own(app, catalog):
    """The directory's fields are bound once per worker (`BoundOnce`); each form's copy holds its own
    values and errors, and its form's meta, as a field WTForms binds afresh does."""
    with app.test_request_context("/directory"):
        options = queries.filter_options()
        wrong = DirectoryForm(MultiDict({"element": "nope", "q": "first"}), options)
        right = DirectoryForm(MultiDict({"element": "disability"}), options)
        assert not wrong.validate()
        assert right.validate()
        assert wrong.element.errors
        assert not right.element.errors
        assert (wrong.q.data, right.q.data) == ("first", "")
        assert wrong.element is not right.element
        assert wrong.element.meta is wrong.meta
        assert right.element.meta is right.meta
        assert [field.label.text for field in wrong] == [field.label.text for field in right]
        assert wrong.ignored_fields() == ["Data element"]
        assert right.ignored_fields() == []
        db.session.remove()
