"""The officer's choices for one import, step by step, as plain data (an `ImportDraft` keeps them as JSON).

Each step of the import reads the choices of the steps before it and writes its own, so a refresh,
the back button or a second tab loses nothing. The command line builds the same choices from its
options. Pure: no database.
"""

import copy
from dataclasses import asdict, dataclass, field
from typing import Any

# The steps, in order: their URL part and their title.
STEPS: tuple[tuple[str, str], ...] = (
    ("columns", "Match the columns"),
    ("values", "Check what the values mean"),
    ("proposals", "Facts found in the text"),
    ("vendors", "Vendors and names"),
    ("duplicates", "Repeated rows"),
    ("preview", "Preview and confirm"),
)
STEP_NAMES = tuple(name for name, _ in STEPS)


class DuplicatePolicy:
    KEEP_FIRST = "keep-first"
    MERGE = "merge"
    SET_ASIDE = "set-aside"
    ALL = (KEEP_FIRST, MERGE, SET_ASIDE)


# Kinds of proposal read from free text; each is accepted or declined as a whole.
PROPOSAL_KINDS: dict[str, str] = {
    "status": "Approval and agreement status",
    "signed_on": "Date the agreement was signed or the product approved",
    "expires_on": "Date the agreement expires",
    "grades": "Grade bands",
    "name": "Product name without the facts",
}
# What the preview proposes by default (the command line's --yes accepts these).
DEFAULT_PROPOSALS = dict.fromkeys(PROPOSAL_KINDS, True)


@dataclass
class VendorChoices:
    """The vendors and names step: which kinds of proposal to follow, and what the officer wrote per row."""

    split: bool = True  # "A / B" becomes two products
    parent: bool = True  # "Product (Parent Co)" is Parent Co's product
    groups: bool = True  # spellings of one vendor become one vendor
    infer: bool = True  # without a vendor column: the vendor from the name or the website
    vendor_of_row: dict[str, str] = field(default_factory=dict)  # row → the vendor the officer wrote
    keep_rows: list[int] = field(default_factory=list)  # rows flagged "not a product" kept anyway


@dataclass
class PlanChoices:
    sheet: str | None = None
    mapping: dict[str, str] | None = None  # header → field ("" not imported); None until chosen
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # field → value key → meaning
    proposals: dict[str, bool] = field(default_factory=lambda: dict(DEFAULT_PROPOSALS))
    vendors: VendorChoices = field(default_factory=VendorChoices)
    duplicates: str = DuplicatePolicy.KEEP_FIRST  # the choice for groups the officer did not decide alone
    duplicate_groups: dict[str, str] = field(default_factory=dict)  # group key → keep:<row> | merge | set-aside
    set_aside: dict[str, str] = field(default_factory=dict)  # row → why it is set aside
    destruction: dict[str, bool] = field(default_factory=dict)  # ended agreement key → open a request
    keep: dict[str, str] = field(default_factory=dict)  # a header with no field → tags | notes | links
    done: list[str] = field(default_factory=list)  # the steps the officer has saved
    imported: str = ""  # once confirmed: what the import did, in one sentence

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> "PlanChoices":
        data = copy.deepcopy(dict(data or {}))  # never the draft's own JSON: changing it in place goes unsaved
        vendors = VendorChoices(**data.pop("vendors", {}) or {})
        known = {name: value for name, value in data.items() if name in cls.__dataclass_fields__}
        choices = cls(**known, vendors=vendors)
        choices.proposals = {**DEFAULT_PROPOSALS, **choices.proposals}
        return choices

    def mark_done(self, step: str) -> None:
        if step not in self.done:
            self.done.append(step)

    def reached(self, step: str) -> bool:
        """Whether the officer may open a step: every step before it has been saved."""
        index = STEP_NAMES.index(step)
        return all(name in self.done for name in STEP_NAMES[:index])

    @property
    def set_aside_rows(self) -> set[int]:
        return {int(row) for row in self.set_aside}
