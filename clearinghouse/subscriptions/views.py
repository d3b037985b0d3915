"""Public pages for following changes by e-mail. Public: no login; no CSRF token (blueprint.py).

- `/follow` (`?scope=product&target=<slug>`, `school`, or nothing for the whole district): the form.
  Whatever the address, the answer is the same page ("check your e-mail").
- `/follow/confirm/<token>`: the link in the confirmation e-mail; a button confirms (a GET changes
  nothing, so a mail scanner that opens links confirms nothing).
- `/follow/manage/<token>`: what the address follows and its language; change them, or delete it all.
- `/staff/subscribers`: how many subscribers, and removing an address a parent wrote in to remove
  (the List-Unsubscribe mailto goes to the privacy office); never who subscribes.
- `/follow/unsubscribe/<token>`: the List-Unsubscribe address. A POST (RFC 8058 one-click, or the
  button its GET shows) deletes the subscriber; repeating it is harmless.

Pages reached by a link with a token are `no-store`, never kept by the public answers' cache, and
not indexed.
"""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from clearinghouse.extensions import after_commit, unit_of_work
from clearinghouse.i18n import current_language
from clearinghouse.notices.services import deliver_queued
from clearinghouse.page_cache import never_cached
from clearinghouse.subscriptions import queries, services, tokens
from clearinghouse.subscriptions.blueprint import bp, staff_bp
from clearinghouse.subscriptions.forms import (
    ConfirmForm,
    DeleteForm,
    FollowForm,
    ManageForm,
    RemoveAddressForm,
    UnsubscribeForm,
)
from clearinghouse.subscriptions.models import Scope, Subscriber
from clearinghouse.timeutil import utcnow

# The e-mails that name what a subscription follows say it in the manage page's words.
bp.add_app_template_global(queries.following)


@bp.context_processor
def confirmation_days() -> dict:
    return {"confirm_days": tokens.CONFIRM_DAYS}


def _private(response: Response | str, status: int = 200) -> Response:
    """A page reached through a secret link: kept by no cache, indexed by no search engine."""
    response = response if isinstance(response, Response) else Response(response, status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _link_problem(expired: bool = False) -> Response:
    status = 410 if expired else 404
    return _private(render_template("subscriptions/link_problem.html", expired=expired), status)


def _deliver_at_once(notice_id: int) -> None:
    """Send the confirmation now rather than at the outbox's next round (a failure stays queued)."""
    after_commit(lambda: deliver_queued(notice_ids=[notice_id]))


@bp.route("/follow", methods=["GET", "POST"])
def follow():
    if request.method == "GET":
        target = queries.resolve_target(request.args.get("scope"), request.args.get("target"))
        if target is None:
            abort(404)
        form = FollowForm(formdata=None, data={"scope": target.scope.value, "target": request.args.get("target", "")})
        return render_template("subscriptions/follow.html", form=form, target=target)
    form = FollowForm()
    valid = form.validate()
    target = queries.resolve_target(form.scope.data, form.target.data)
    if target is None:
        form.form_errors.append(_("We could not find what you asked to follow. Go back to its page and try again."))
    if not valid or target is None:
        shown = target or services.Target(Scope.DISTRICT)
        return render_template("subscriptions/follow.html", form=form, target=shown), 422
    try:
        with unit_of_work():
            notice = services.request_subscription(
                form.email.data, target, current_language(), client=request.remote_addr or "", now=utcnow()
            )
            if notice is not None:
                _deliver_at_once(notice.id)
    except services.SubscribeThrottled as err:
        minutes = max(1, round(err.wait.total_seconds() / 60))
        page = render_template("subscriptions/follow.html", form=form, target=target, throttled_minutes=minutes)
        return page, 429, {"Retry-After": str(int(err.wait.total_seconds()) + 1)}
    return redirect(url_for(".sent"), 303)


@bp.get("/follow/sent")
def sent():
    return render_template("subscriptions/sent.html")


@bp.route("/follow/confirm/<token>", methods=["GET", "POST"])
@never_cached
def confirm(token: str):
    now = utcnow()
    try:
        tokens.read_confirmation(token, now)
    except tokens.ExpiredLink:
        return _link_problem(expired=True)
    except tokens.InvalidLink:
        return _link_problem()
    form = ConfirmForm()
    if request.method == "POST":
        try:
            with unit_of_work():
                subscriber = services.confirm(token, now)
                links = services.links(subscriber)
        except tokens.InvalidLink:
            return _link_problem()
        return _private(render_template("subscriptions/confirmed.html", manage_url=links["manage_url"]))
    return _private(render_template("subscriptions/confirm.html", form=form))


def _subscriber_or_problem(token: str) -> Subscriber | Response | None:
    try:
        return queries.subscriber_for(token)
    except tokens.InvalidLink:
        return _link_problem()


@bp.route("/follow/manage/<token>", methods=["GET", "POST"])
@never_cached
def manage(token: str):
    subscriber = _subscriber_or_problem(token)
    if isinstance(subscriber, Response):
        return subscriber
    if subscriber is None:
        return _private(render_template("subscriptions/gone.html"))
    follows = [(subscription.id, queries.describe(subscription)) for subscription in subscriber.confirmed]
    pending = [
        queries.describe(subscription) for subscription in subscriber.subscriptions if not subscription.confirmed_at
    ]
    initial = {"keep": [subscription_id for subscription_id, _label in follows], "language": subscriber.language}
    form = ManageForm(follows=follows, data=None if request.method == "POST" else initial)
    if request.method == "POST":
        if form.validate():
            with unit_of_work():
                services.update_subscriber(subscriber, set(form.keep.data or []), form.language.data)
            if not form.keep.data:
                return _private(render_template("subscriptions/gone.html", deleted=True))
            return redirect(url_for(".manage", token=token, saved=1), 303)
        status = 422
    else:
        status = 200
    page = render_template(
        "subscriptions/manage.html",
        form=form,
        delete_form=DeleteForm(),
        subscriber=subscriber,
        pending=pending,
        token=token,
        saved=request.args.get("saved") == "1",
    )
    return _private(page, status)


@bp.post("/follow/manage/<token>/delete")
@never_cached
def delete(token: str):
    subscriber = _subscriber_or_problem(token)
    if isinstance(subscriber, Response):
        return subscriber
    if subscriber is not None:
        with unit_of_work():
            services.delete_subscriber(subscriber)
    return _private(render_template("subscriptions/gone.html", deleted=True))


@bp.route("/follow/unsubscribe/<token>", methods=["GET", "POST"])
@never_cached
def unsubscribe(token: str):
    """RFC 8058: a POST to this address unsubscribes at once, whatever its body; a GET only asks."""
    subscriber = _subscriber_or_problem(token)
    if isinstance(subscriber, Response):
        return subscriber
    if request.method == "GET":
        if subscriber is None:
            return _private(render_template("subscriptions/gone.html"))
        return _private(render_template("subscriptions/unsubscribe.html", form=UnsubscribeForm()))
    if subscriber is not None:
        with unit_of_work():
            services.delete_subscriber(subscriber)
    return _private(render_template("subscriptions/gone.html", deleted=True))


@staff_bp.route("/", methods=["GET", "POST"])
def staff():
    """How many follow changes, by what they follow; removing an address on a parent's request."""
    form = RemoveAddressForm()
    status = 200
    if form.validate_on_submit():
        with unit_of_work():
            services.remove_address(form.email.data)
        flash("If that address was subscribed, it is removed now, and nothing more is sent to it.", "success")
        return redirect(url_for(".staff"), 303)
    if form.is_submitted():
        status = 422
    return render_template("subscriptions/staff.html", form=form, counts=queries.counts()), status
