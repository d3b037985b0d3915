"""Who sees each field of each table: the public, the vendor, the district's staff. One table, read by all.

Three audiences:
- public: anyone, without an account (directory pages, open data, CSV, the Atom feed, reports);
- vendor: a vendor's users, about their own vendor's records only (the vendor portal and the
  e-mails a vendor's contacts receive);
- staff: privacy officers and administrators (staff screens, staff e-mails, the audit log).

Each audience sees what the one before it sees. A field that the public or a vendor must not
see says why. Pages, open data serializers, exports, feeds, vendor pages and vendor e-mails
show only what this table allows, staff forms take their "who sees this" hints from it, and
tests/visibility walks every public route, every vendor page and every vendor e-mail with a
marker in each field to prove it. A new column is refused by that test until it is added here.
"""

from dataclasses import dataclass
from enum import StrEnum

from flask import Flask


class Audience(StrEnum):
    PUBLIC = "public"
    VENDOR = "vendor"  # a vendor's own users, about their own vendor's records
    STAFF = "staff"


@dataclass(frozen=True)
class Visibility:
    """Who may see a field, and why it goes no further."""

    audience: Audience | None  # the widest audience; None: shown to nobody, not even staff
    why: str = ""

    def shown_to(self, viewer: Audience) -> bool:
        return self.audience is not None and _WIDTH[viewer] <= _WIDTH[self.audience]

    @property
    def hint(self) -> str:
        """A form hint for staff: who will see what they type."""
        return HINTS[self.audience]


_WIDTH = {Audience.STAFF: 0, Audience.VENDOR: 1, Audience.PUBLIC: 2}
HINTS = {
    Audience.PUBLIC: "Shown to the public.",
    Audience.VENDOR: "Shown to the vendor, not to the public.",
    Audience.STAFF: "Staff only: never shown to the public or to the vendor.",
    None: "Never shown.",
}

PUBLIC = Visibility(Audience.PUBLIC)


def vendor(why: str) -> Visibility:
    return Visibility(Audience.VENDOR, why)


def staff(why: str) -> Visibility:
    return Visibility(Audience.STAFF, why)


def nobody(why: str) -> Visibility:
    return Visibility(None, why)


BOOKKEEPING = staff("Bookkeeping: when the row was written or changed, and its version (optimistic locking).")
ROW_TIMES = {"created_at": BOOKKEEPING, "version": BOOKKEEPING}
NAME_KEY = nobody("How the name is compared (text.name_key), derived from it; the name itself is what people see.")

FIELDS: dict[str, dict[str, Visibility]] = {
    # --- the public directory -------------------------------------------------------------------
    "vendor": {
        "id": PUBLIC,
        "name": PUBLIC,
        "name_key": NAME_KEY,
        "slug": PUBLIC,
        "website": PUBLIC,
        "privacy_policy_url": PUBLIC,
        "contact_email": PUBLIC,
        "description_md": PUBLIC,
        "translations": PUBLIC,  # the public text above in other languages (clearinghouse.i18n)
        "internal_notes": staff("The district's own notes about the company."),
        "is_retired": PUBLIC,
        "product_count": PUBLIC,  # its products not retired: the home page counts the vendors with one
        "updated_at": PUBLIC,
        **ROW_TIMES,
    },
    # Listed products per approval status: the reports show them, the home page their sum.
    "product_status_count": {"status": PUBLIC, "product_count": PUBLIC},
    # The vendors with a listed product, the data elements some listed product receives: the home page shows them.
    "headline_count": {"id": PUBLIC, "vendor_count": PUBLIC, "element_count": PUBLIC},
    "product": {
        "id": PUBLIC,
        "vendor_id": PUBLIC,
        "name": PUBLIC,
        "name_key": NAME_KEY,
        "slug": PUBLIC,
        "kind_id": PUBLIC,
        "status": PUBLIC,
        "status_note": PUBLIC,  # the conditions of an approval, or the reason for refusing it
        "agreement_status": PUBLIC,
        "agreement_note": PUBLIC,  # the vendor's reason for declining the agreement
        "agreement_key": PUBLIC,  # none, its sole agreement, or several: drawn from the public links
        "school_names": PUBLIC,  # the names of the schools that use it: drawn from the public links
        "received_element_ids": PUBLIC,  # the data elements it receives: drawn from its public data uses
        "website": PUBLIC,
        "purpose_md": PUBLIC,
        "translations": PUBLIC,  # the public text above in other languages (clearinghouse.i18n)
        "grade_bands": PUBLIC,
        "internal_notes": staff("The district's own notes about the product."),
        "category_text": staff(
            "A file's category that matches no kind, unchecked; the public reads the kind an officer chooses."
        ),
        "updated_at": PUBLIC,
        **ROW_TIMES,
    },
    "product_kind": {  # the district's kinds of product: their names show on every listing
        "id": PUBLIC,
        "slug": PUBLIC,
        "name": PUBLIC,
        "name_key": NAME_KEY,
        "translations": PUBLIC,
        "position": PUBLIC,
        "is_retired": PUBLIC,  # a retired kind still names the products that have it
        "placed_product_count": PUBLIC,  # its listed products used at some school: the reports' overlap
        "school_count": PUBLIC,  # the schools that use them: the reports' overlap
    },
    "data_category": {
        "id": PUBLIC,
        "name": PUBLIC,
        "name_key": NAME_KEY,
        "slug": PUBLIC,
        "position": PUBLIC,
        "translations": PUBLIC,
        "product_count": PUBLIC,  # listed products that receive its data: the reports show it
    },
    "data_element": {
        "id": PUBLIC,
        "category_id": PUBLIC,
        "name": PUBLIC,
        "name_key": NAME_KEY,
        "slug": PUBLIC,
        "description": PUBLIC,
        "translations": PUBLIC,  # the public text above in other languages (clearinghouse.i18n)
        "is_sensitive": PUBLIC,
        "is_retired": PUBLIC,
        "position": PUBLIC,
        "receiver_count": PUBLIC,  # how many listed products receive it: the data elements index shows it
    },
    "data_use": {
        "id": PUBLIC,
        "product_id": PUBLIC,
        "data_element_id": PUBLIC,
        "purpose": PUBLIC,
        "translations": PUBLIC,
    },
    "school": {
        "id": PUBLIC,
        "name": PUBLIC,
        "name_key": NAME_KEY,
        "slug": PUBLIC,
        "grade_band": PUBLIC,
        "is_retired": PUBLIC,
        "product_count": PUBLIC,  # listed products used there: the schools index shows it
        "sensitive_product_count": PUBLIC,  # those of them that receive sensitive data: shown beside it
    },
    "product_school": {"product_id": PUBLIC, "school_id": PUBLIC},
    # Listed products used at a school that receive a data element: a school's page shows the sensitive ones.
    "school_element_count": {"school_id": PUBLIC, "data_element_id": PUBLIC, "product_count": PUBLIC},
    "tag": {"id": PUBLIC, "name": PUBLIC, "name_key": NAME_KEY, "slug": PUBLIC},
    "product_tag": {"product_id": PUBLIC, "tag_id": PUBLIC},
    "product_note": {
        "id": staff("The district's own notes about the product."),
        "product_id": staff("The district's own notes about the product."),
        "label": staff("The district's own notes about the product (what the note is, often a file's column)."),
        "body": staff("The district's own notes about the product."),
        "created_at": BOOKKEEPING,
    },
    # A link is public only when staff tick "public" (is_public); the others stay with staff.
    "evidence_link": {
        "id": PUBLIC,
        "product_id": PUBLIC,
        "label": PUBLIC,
        "url": PUBLIC,
        "is_public": PUBLIC,
    },
    # --- agreements -----------------------------------------------------------------------------
    "agreement": {
        "id": PUBLIC,
        "vendor_id": PUBLIC,
        "kind": PUBLIC,
        "reference": staff("How the district files the agreement; it may name internal matters."),
        "signed_on": PUBLIC,
        "effective_on": PUBLIC,
        "expires_on": PUBLIC,
        "auto_renews": PUBLIC,
        "terminated_on": PUBLIC,
        "termination_reason": staff(
            "Why the district ended the agreement is internal: the public and the vendor see the date only."
        ),
        "destruction_window_days": PUBLIC,  # families read what happens to the data before the agreement ends
        "disposal_method": PUBLIC,
        "document_id": staff("The signed PDF is public only while is_document_published is set."),
        "is_document_published": PUBLIC,
        "renewed_by_id": PUBLIC,
        "dates_recorded": PUBLIC,  # false: on file, dates not recorded
        "internal_notes": staff("The district's own notes about the agreement."),
        "destruction_not_requested": staff("The officer's decision at import, for the sweep; not a public fact."),
        "updated_at": PUBLIC,
        **ROW_TIMES,
    },
    "agreement_product": {"agreement_id": PUBLIC, "product_id": PUBLIC},
    # Listed products per (sole agreement, stated status): the reports' agreement status counts them.
    "agreement_standing_count": {"agreement_key": PUBLIC, "stated": PUBLIC, "product_count": PUBLIC},
    # Listed products per (term group of their sole agreement, stated status): the same counts, by dates.
    "agreement_term_standing_count": {"term_key": PUBLIC, "stated": PUBLIC, "product_count": PUBLIC},
    # Listed products receiving each data element per (term group of their sole agreement or none, stated
    # status): the directory counts an agreement filter with a data element from them.
    "agreement_term_element_count": {
        "data_element_id": PUBLIC,
        "term_key": PUBLIC,
        "stated": PUBLIC,
        "product_count": PUBLIC,
    },
    # The same per data category, school and kind: the directory counts an agreement filter with one of them.
    **{
        f"agreement_term_{facet}_count": dict.fromkeys((column, "term_key", "stated", "product_count"), PUBLIC)
        for facet, column in (("category", "category_id"), ("school", "school_id"), ("kind", "kind_id"))
    },
    # Agreements per group of the public columns their state is derived from: the home page and the
    # reports count them by state.
    "agreement_term_count": dict.fromkeys(
        (
            "term_key",
            "effective_on",
            "expires_on",
            "auto_renews",
            "terminated_on",
            "dates_recorded",
            "is_signed",
            "is_renewed",
            "agreement_count",
        ),
        PUBLIC,
    ),
    # --- destruction: the directive is written to the vendor; the public sees one status line ----
    "destruction_request": {
        "id": vendor("The public sees a status line per agreement, not the request itself."),
        "vendor_id": PUBLIC,
        "agreement_id": PUBLIC,
        "origin_key": staff("Bookkeeping: stops two sweeps opening the same request."),
        "origin": staff("Bookkeeping: whether the sweep or an officer opened it."),
        "reason": vendor("The directive's reason, written to the vendor."),
        "scope": vendor("Part of the directive to the vendor."),
        "nature": vendor("Part of the directive to the vendor."),
        "transfer_to": vendor("Part of the directive to the vendor."),
        "instructions": vendor("Part of the directive to the vendor."),
        "schedule": vendor("Part of the directive to the vendor."),
        "issued_on": vendor("Part of the directive to the vendor."),
        "due_on": PUBLIC,
        "status": PUBLIC,
        "status_reason": vendor("Why a certificate was rejected or the request withdrawn, written to the vendor."),
        "closed_on": PUBLIC,
        "district_signer_name": vendor("Signs the directive to the vendor."),
        "district_signer_title": vendor("Signs the directive to the vendor."),
        "opened_by_id": staff("Which officer issued it."),
        "updated_at": BOOKKEEPING,
        **ROW_TIMES,
    },
    "destruction_request_category": {
        "request_id": vendor("Part of the directive to the vendor."),
        "category_id": vendor("Part of the directive to the vendor."),
    },
    "disposal_certificate": {
        "id": vendor("The vendor's own answer to a directive."),
        "request_id": vendor("The vendor's own answer to a directive."),
        "vendor_id": vendor("The vendor's own answer to a directive."),
        "file_id": vendor("The vendor's own upload."),
        "signer_name": vendor("The vendor's own answer to a directive."),
        "signer_title": vendor("The vendor's own answer to a directive."),
        "disposed_on": vendor("The vendor's own answer to a directive."),
        "method": vendor("The vendor's own answer to a directive."),
        "method_other": vendor("The vendor's own answer to a directive."),
        "attests_all_copies": vendor("The vendor's own answer to a directive."),
        "submitted_by_id": staff("Which of the vendor's users uploaded it, for the reviewing officer."),
        "submitted_at": vendor("The vendor's own answer to a directive."),
        "status": vendor("The review's outcome, told to the vendor."),
        "reviewed_by_id": staff("Which officer reviewed it."),
        "reviewed_at": staff("Bookkeeping of the review."),
        "review_reason": vendor("Why the certificate was rejected, written to the vendor."),
        "signature_report": staff("What the signature check found, for the reviewing officer."),
    },
    "stored_file": {
        "id": staff("Files are reached through their agreement or certificate."),
        "storage_key": nobody("The file's random name in storage; never shown, not even to staff."),
        "original_name": vendor(
            "The name the file had on the uploader's computer: a vendor sees its own certificates' names; "
            "a published agreement is downloaded under a name built from public facts."
        ),
        "content_type": PUBLIC,
        "size": PUBLIC,
        "sha256": staff("For the reviewing officer."),
        "page_count": PUBLIC,
        "created_at": BOOKKEEPING,
    },
    # --- intake: tool requests are the district's own business ---------------------------------
    # A requester is district staff and sees their own requests; the public sees only what an
    # officer decides about a product (its status and note, on the product).
    "tool_request": {
        "id": staff("Requests are internal until the privacy office decides; the decision is on the product."),
        "name": staff("What a member of staff asked for: internal until it is a product."),
        "name_key": NAME_KEY,
        "lookup_key": staff("The request's name folded for the lookup: as internal as the name."),
        "website": staff("Part of an internal request."),
        "kind_id": staff("Part of an internal request."),
        "purpose": staff("Why a member of staff wants the tool: internal."),
        "grades": staff("Part of an internal request."),
        "student_count": staff("Part of an internal request."),
        "cost_kind": staff("What the district might spend: internal."),
        "cost": staff("What the district might spend: internal."),
        "data_needed": staff("A requester's guess; the vendor's declaration is what counts."),
        "needed_by": staff("Part of an internal request."),
        "state": staff("Where an internal request stands."),
        "state_reason": staff("Why a requester withdrew: internal."),
        "product_id": staff("Which product an internal request is about."),
        "decision": staff("The public reads the decision on the product (its status)."),
        "decision_note": staff("The public reads the conditions or the reason on the product (its status note)."),
        "decided_on": staff("Part of an internal request."),
        "decided_by_id": staff("Which officer decided."),
        "opened_by_id": staff("Names people."),
        "updated_at": BOOKKEEPING,
        **ROW_TIMES,
    },
    "tool_request_school": {
        "request_id": staff("Part of an internal request."),
        "school_id": staff("Part of an internal request."),
    },
    "tool_requester": {
        "request_id": staff("Names people."),
        "user_id": staff("Names people."),
        "joined_at": staff("Names people."),
        "is_opener": staff("Names people."),
    },
    # --- declarations: the vendor's answers to the district -------------------------------------
    # The vendor sees and writes its own answers; the public reads what the district accepts of
    # them as the product's data uses and purposes (data_use). The rest of a declaration, the
    # subprocessors included, is not published: the vendor gave it to the district as answers to
    # review, and the district has not yet decided to publish more than the data uses.
    "declaration": {
        "id": vendor("The vendor's own questionnaire."),
        "product_id": vendor("The vendor's own questionnaire."),
        "vendor_id": vendor("The vendor's own questionnaire."),
        "contact_id": vendor("The vendor's contact who was invited to answer."),
        "invited_by_id": vendor("The officer who invited the vendor, named in the invitation."),
        "invited_at": vendor("The vendor's own questionnaire."),
        "state": vendor("The vendor sees whether its answers were received and accepted."),
        "updated_at": BOOKKEEPING,
        **ROW_TIMES,
    },
    "declaration_version": {
        "id": vendor("The vendor's own answers."),
        "declaration_id": vendor("The vendor's own answers."),
        "number": vendor("The vendor's own answers."),
        "status": vendor("The vendor's own answers."),
        "no_student_data": vendor("The vendor's own answer; published as the product's data uses once accepted."),
        "storage_location": vendor("The vendor's own answer, for the district's review."),
        "retention": vendor("The vendor's own answer, for the district's review."),
        "disposal_method": vendor("The vendor's own answer, for the district's review."),
        "disposal_window_days": vendor("The vendor's own answer, for the district's review."),
        "breach_notice_hours": vendor("The vendor's own answer, for the district's review."),
        "sells_data": vendor("The vendor's own answer, for the district's review."),
        "targeted_ads": vendor("The vendor's own answer, for the district's review."),
        "cross_site_tracking": vendor("The vendor's own answer, for the district's review."),
        "terms": vendor("The vendor's own answer, for the district's review."),
        "submitted_at": vendor("The vendor's own answers."),
        "submitted_by_id": vendor("Which of the vendor's users submitted."),
        "reviewed_at": vendor("The vendor sees when the district accepted its answers."),
        "reviewed_by_id": staff("Which officer reviewed it."),
        "created_at": BOOKKEEPING,
        "updated_at": BOOKKEEPING,
    },
    "declared_element": {
        "id": vendor("The vendor's own answers; published as data uses once accepted."),
        "version_id": vendor("The vendor's own answers."),
        "data_element_id": vendor("The vendor's own answers; published as data uses once accepted."),
        "purpose": vendor("The vendor's own answers; published as data uses once accepted."),
    },
    "subprocessor": {
        "id": vendor("The vendor's own answers, for the district's review (not published; see above)."),
        "version_id": vendor("The vendor's own answers."),
        "position": vendor("The vendor's own answers."),
        "name": vendor("The vendor's own answers, for the district's review (not published; see above)."),
        "service": vendor("The vendor's own answers, for the district's review (not published; see above)."),
        "receives_student_data": vendor("The vendor's own answers, for the district's review."),
        "data_location": vendor("The vendor's own answers, for the district's review."),
    },
    # --- people -------------------------------------------------------------------------------
    "user_account": {
        "id": staff("People are not part of the public record."),
        "email": vendor("A vendor user sees their own address; no one outside the district sees anyone else's."),
        "name": vendor("A vendor user sees their own name, and the name of the officer who invited them."),
        "title": staff("People are not part of the public record."),
        "password_hash": nobody("A secret."),
        "role": staff("People are not part of the public record."),
        "vendor_id": staff("People are not part of the public record."),
        "is_active_account": staff("People are not part of the public record."),
        "session_version": nobody("Bookkeeping that ends old sessions."),
        "last_login_at": staff("People are not part of the public record."),
        "created_at": BOOKKEEPING,
        "updated_at": BOOKKEEPING,
        "oidc_issuer": staff("The district's sign-in service of a staff account; people are not public."),
        "oidc_subject": staff("A staff account's id at the district's sign-in service; people are not public."),
    },
    "invitation": {
        "id": staff("Bookkeeping of sign-up links."),
        "user_id": staff("Bookkeeping of sign-up links."),
        "token_hash": nobody("The digest of a secret link."),
        "invited_by_id": staff("Bookkeeping of sign-up links."),
        "created_at": BOOKKEEPING,
        "expires_at": vendor("The invitation e-mail says when its link expires."),
        "used_at": staff("Bookkeeping of sign-up links."),
        "revoked_at": staff("Bookkeeping of sign-up links."),
    },
    "throttle_hit": {
        "id": nobody("Requests of a throttled public form, kept only to throttle them."),
        "key": nobody("A keyed hash of a client or e-mail address: counts requests without keeping the address."),
        "attempted_at": nobody("Requests of a throttled public form, kept only to throttle them."),
    },
    # --- families who follow changes by e-mail (clearinghouse/subscriptions) -------------------------
    # A parent's address is used for the digest alone: staff see how many there are
    # (subscriptions.queries.counts), never who; the outbox shows "a subscriber" in its place. Each
    # subscriber reaches its own record only through the signed link in its e-mails.
    "subscriber": {
        "id": nobody("A member of the public's subscription; staff see counts only."),
        "email": nobody(
            "A parent's address, used only to send the e-mails they asked for, deleted with the subscription; "
            "the subscriber sees it on the page their own link opens, staff never see it."
        ),
        "language": nobody("A subscriber's choice; staff see counts only."),
        "nonce": nobody("Signed into a subscriber's links, so they die with the subscription."),
        "created_at": nobody("A subscriber's bookkeeping; staff see counts only."),
        "confirmed_at": nobody("A subscriber's bookkeeping; staff see counts only."),
        "reported_through": nobody("The digest's progress: the last change reported."),
    },
    "subscription": {
        "id": nobody("A subscriber's choice; staff see counts only."),
        "subscriber_id": nobody("A subscriber's choice; staff see counts only."),
        "scope": nobody("A subscriber's choice; staff see counts by scope only."),
        "product_id": nobody("A subscriber's choice; staff see counts only."),
        "school_id": nobody("A subscriber's choice; staff see counts only."),
        "target_key": nobody("Bookkeeping: one subscription per thing followed."),
        "created_at": nobody("A subscriber's bookkeeping; staff see counts only."),
        "confirmed_at": nobody("A subscriber's bookkeeping; staff see counts only."),
    },
    "login_attempt": {
        "id": nobody("Failed sign-ins, kept only to throttle them."),
        "key": nobody("An e-mail or client address of a failed sign-in, kept only to throttle them."),
        "attempted_at": nobody("Failed sign-ins, kept only to throttle them."),
    },
    # --- records about records ----------------------------------------------------------------
    "audit_event": {
        "id": staff("The audit log is for staff."),
        "occurred_at": staff("The audit log is for staff."),
        "actor_id": staff("The audit log is for staff."),
        "actor_label": staff("Names people."),
        "ip_address": staff("A person's network address."),
        "action": staff("The audit log is for staff."),
        "record_type": staff("The audit log is for staff."),
        "record_id": staff("The audit log is for staff."),
        "record_label": staff("Names internal references."),
        "changes": staff("Every field before and after, internal ones included."),
    },
    "disclosure_revision": {
        "id": PUBLIC,
        "occurred_at": PUBLIC,
        "vendor_id": PUBLIC,
        "product_id": PUBLIC,
        "kind": PUBLIC,
        "summary": PUBLIC,
        "details": PUBLIC,  # built from public facts only (directory/disclosure.py, agreements/disclosure.py)
    },
    "notice": {
        "id": staff("The outbox is for staff; each recipient reads only the e-mail sent to them."),
        "purpose_key": staff("Bookkeeping: sends each notice once."),
        "recipients": staff("Addresses of people."),
        "subject": staff("The outbox is for staff; each recipient reads only the e-mail sent to them."),
        "body_text": staff("The outbox is for staff; each recipient reads only the e-mail sent to them."),
        "body_html": staff("The outbox is for staff; each recipient reads only the e-mail sent to them."),
        "status": staff("Bookkeeping of delivery."),
        "attempts": staff("Bookkeeping of delivery."),
        "last_error": staff("Mail server errors, which may name addresses and hosts."),
        "created_at": staff("Bookkeeping of delivery."),
        "next_attempt_at": staff("Bookkeeping of delivery."),
        "sent_at": staff("Bookkeeping of delivery."),
        "subject_type": staff("Bookkeeping: what the notice is about."),
        "subject_id": staff("Bookkeeping: what the notice is about."),
        "headers": staff(
            "Bookkeeping of delivery: a digest's unsubscribe address, which the outbox page does not show."
        ),
    },
    "import_mapping": {
        "id": staff("How staff import files."),
        "header_signature": staff("How staff import files."),
        "mapping": staff("How staff import files."),
        "updated_at": staff("How staff import files."),
    },
    "import_value_choice": {
        "id": staff("How staff import files."),
        "field": staff("How staff import files."),
        "value_key": staff("How staff import files."),
        "meaning": staff("How staff import files."),
        "updated_at": staff("How staff import files."),
    },
    "import_draft": {
        "id": staff("An import in progress: the staff member's own work."),
        "user_id": staff("An import in progress: the staff member's own work."),
        "file_id": staff("An import in progress: the staff member's own work."),
        "filename": staff("An import in progress: the staff member's own work."),
        "choices": staff("An import in progress: the staff member's own work."),
        "created_at": staff("An import in progress: the staff member's own work."),
        "updated_at": staff("An import in progress: the staff member's own work."),
    },
    # --- the district -------------------------------------------------------------------------
    "district_settings": {
        "id": PUBLIC,
        "district_name": PUBLIC,
        "time_zone": PUBLIC,
        "privacy_office_email": PUBLIC,
        "sender_email": PUBLIC,  # the From address of every e-mail, parents' digests included
        "default_destruction_window_days": PUBLIC,  # the window of an agreement that sets none
        "expiry_warning_days": staff("When officers are warned."),
        "reminder_days_before_due": staff("Internal; the vendor sees each reminder."),
        "overdue_reminder_interval_days": staff("Internal; the vendor sees each reminder."),
        "sweep_time": staff("When the daily sweep runs."),
        "digest_business_days": PUBLIC,  # the follow form and the privacy notice promise it
        "privacy_notice_md": PUBLIC,
        "translations": PUBLIC,  # the public text above in other languages (clearinghouse.i18n)
        "district_signer_name": vendor("Signs the directives to vendors."),
        "district_signer_title": vendor("Signs the directives to vendors."),
        "updated_at": BOOKKEEPING,
        **ROW_TIMES,
    },
}


def visibility(table: str, column: str) -> Visibility:
    """Who may see `table.column`; KeyError for a field nobody has decided on yet."""
    return FIELDS[table][column]


def hint(table: str, column: str) -> str:
    """The staff form hint for a field: who will see what is typed in it."""
    return visibility(table, column).hint


def init_app(app: Flask) -> None:
    """Templates write `visibility_hint("agreement", "reference")` for a field's audience."""
    app.add_template_global(hint, "visibility_hint")
