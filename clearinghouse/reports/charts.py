"""Horizontal bar charts as geometry for server-rendered SVG (templates/reports/_bar_chart.html).

No JavaScript and no style attributes (the CSP forbids inline styles): colours are SVG
presentation attributes. Each chart has a title and a description, and its page shows the
same figures in a table, which is the text equivalent.
"""

from dataclasses import dataclass

from clearinghouse.i18n import LocalizedText, format_number
from clearinghouse.i18n import kept_gettext as _
from clearinghouse.reports.queries import Figure

# Each label stands on its own line above its bar, so a chart 360 units wide keeps its 14-unit text
# readable when a 375 px phone draws it at nearly full size, and no label is clipped at any width.
WIDTH = 360
LABEL_LINE = 20  # the label's line above its bar
VALUE_WIDTH = 48
BAR_HEIGHT = 18
GAP = 12
PADDING = 8
LABEL_MAX = 38  # characters shown in the chart; the table beside it has the whole label

# Dark enough for text contrast (WCAG AA) on white, and told apart by label, never colour alone.
TONES = {"neutral": "#1f5f8b", "ok": "#1b6e3a", "warn": "#8a5a00", "bad": "#a12622"}
TEXT_COLOUR = "#1d1d1f"
AXIS_COLOUR = "#6b6b70"


@dataclass(frozen=True)
class BarShape:
    label: str  # shortened for the chart (the table next to it has the whole label)
    language: str | None  # set when the label is a name shown in another language than the page's
    value: int
    y: int  # top of the bar
    width: int
    fill: str

    @property
    def label_y(self) -> int:
        """The label's baseline, on its line above the bar."""
        return self.y - 6

    @property
    def text_y(self) -> int:
        """The value's baseline, beside the bar's end."""
        return self.y + BAR_HEIGHT // 2 + 5


@dataclass(frozen=True)
class BarChart:
    id: str
    title: str
    description: str
    width: int
    height: int
    bar_x: int
    bars: list[BarShape]
    bar_height = BAR_HEIGHT
    text_colour = TEXT_COLOUR
    axis_colour = AXIS_COLOUR


def _shorten(label: str) -> str:
    return label if len(label) <= LABEL_MAX else label[: LABEL_MAX - 1].rstrip() + "…"


def _summary(figure: Figure) -> str:
    """The chart's description: what it counts and its largest values, in words."""
    if figure.is_empty:
        return _("%(figure)s There is nothing to count yet.", figure=figure.description)
    ranked = sorted((bar for bar in figure.bars if bar.value), key=lambda bar: -bar.value)[:3]
    leaders = "; ".join(f"{bar.label}: {format_number(bar.value)}" for bar in ranked)
    return _(
        "%(figure)s Largest: %(leaders)s. The table next to the chart lists every figure.",
        figure=figure.description,
        leaders=leaders,
    )


def bar_chart(figure: Figure) -> BarChart:
    """Lay out one bar per row, scaled to the largest value."""
    top = max((bar.value for bar in figure.bars), default=0) or 1
    span = WIDTH - VALUE_WIDTH - 2 * PADDING
    row = LABEL_LINE + BAR_HEIGHT + GAP
    shapes = [
        BarShape(
            label=_shorten(str(bar.label)),
            language=bar.label.language if isinstance(bar.label, LocalizedText) and bar.label.is_fallback else None,
            value=bar.value,
            y=PADDING + LABEL_LINE + index * row,
            width=round(span * bar.value / top),
            fill=TONES.get(bar.tone, TONES["neutral"]),
        )
        for index, bar in enumerate(figure.bars)
    ]
    height = 2 * PADDING + max(len(shapes), 1) * row - GAP
    return BarChart(
        id=f"chart-{figure.slug}",
        title=figure.title,
        description=_summary(figure),
        width=WIDTH,
        height=height,
        bar_x=PADDING,
        bars=shapes,
    )
