"""Charts drawn on the server by pygal, as small inline SVG: no JavaScript, readable at 360 px.

Each chart comes with the same numbers as a plain table (see dashboard.html): the SVG is a
picture of the table, never the only place a number is written.
"""

import re
from dataclasses import dataclass, field
from html import escape

import pygal
from markupsafe import Markup
from pygal.style import Style

# Colour-blind-safe colours (Okabe-Ito, then Tol's muted), dark enough on white.
PALETTE = (
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#56B4E9", "#E69F00",
    "#332288", "#882255", "#117733", "#999933", "#44AA99", "#AA4499", "#6D6D6D",
)
# The drawing's own width; the SVG scales to its container (no fixed size), so at 360 px the
# text is drawn at about the size chosen here.
WIDTH = 360
PLOT_HEIGHT = 230
LEGEND_ROW = 26

_STYLE = Style(
    font_family="system-ui, sans-serif",
    background="#fff",
    plot_background="#fff",
    foreground="#1b1b1b",
    foreground_strong="#1b1b1b",
    foreground_subtle="#767676",
    colors=PALETTE,
    label_font_size=15,
    major_label_font_size=15,
    legend_font_size=16,
    no_data_font_size=16,
    title_font_size=15,
)
# Only what a static bar chart needs; pygal's own stylesheets are mostly for its JavaScript.
_CSS = (
    ".pygal-chart .background{fill:#fff}"
    ".pygal-chart text{fill:#1b1b1b}"
    ".pygal-chart .axis .line{stroke:#1b1b1b}"
    ".pygal-chart .guide.line{fill:none;stroke:#c8c8c8}"
    ".pygal-chart .vertical .axis.x .guide.line{opacity:0}"
    ".pygal-chart .axis.x text,.pygal-chart .title,.pygal-chart text.no_data{text-anchor:middle}"
    ".pygal-chart .axis.y text{text-anchor:end}"
)
_DESC = re.compile(r"<desc[^>]*>.*?</desc>", re.S)
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_ATTRIBUTE = re.compile(r'(\s[\w:-]+=")([^"]*)(")')
_LONG_DECIMAL = re.compile(r"(\d+\.\d)\d+")
# A bar as pygal writes it for its JavaScript (wrapper, tooltip classes), and as it is drawn.
_BAR = re.compile(
    r'<g class="bar"><rect (x="[^"]*" y="[^"]*") rx="0" ry="0" (width="[^"]*" height="[^"]*") '
    r'class="rect reactive tooltip-trigger" /></g>'
)
_SCRIPT_ONLY = re.compile(
    r"<script\b.*?</script>"  # pygal writes its config for its JavaScript even with js=[]
    r'| id="activate-serie-\d+"'
    r'|<g [^>]*class="plot (?:text-)?overlay">(?:<g class="series serie-\d+ color-\d+" />)*</g>'
    r'|<g [^>]*class="plot tooltip-overlay"><g [^>]*class="tooltip"><rect [^>]*/><g class="text" /></g></g>',
    re.S,
)
# More series than this and a stacked bar is unreadable: the smallest share one "others" bar.
MAX_SERIES = 8


@dataclass
class Series:
    label: str
    values: list[int]

    @property
    def total(self) -> int:
        return sum(self.values)


@dataclass
class Table:
    """Counts per row label (a week) and series: what the chart draws and its text alternative."""

    key: str  # names the chart in the page: kind, category, site
    title: str
    row_keys: list[str]  # machine-readable, e.g. ISO weeks "2026-W47"
    row_labels: list[str]  # as read in the table, e.g. "17 nov."
    axis_labels: list[str]  # short, under the bars, e.g. "17/11"
    series: list[Series] = field(default_factory=list)

    @property
    def rows(self) -> list[tuple[str, str, list[int], int]]:
        """(key, label, one count per series, row total) per row."""
        out = []
        for index, (key, label) in enumerate(zip(self.row_keys, self.row_labels, strict=True)):
            counts = [serie.values[index] for serie in self.series]
            out.append((key, label, counts, sum(counts)))
        return out

    @property
    def totals(self) -> list[int]:
        return [serie.total for serie in self.series]

    @property
    def total(self) -> int:
        return sum(self.totals)


def _colors_css(count: int) -> str:
    return "".join(
        f".pygal-chart .color-{index}{{fill:{PALETTE[index % len(PALETTE)]};stroke:{PALETTE[index % len(PALETTE)]}}}"
        for index in range(count)
    )


def _round_attributes(svg: str) -> str:
    """Coordinates to one decimal: fewer bytes, no visible difference in a 360-unit drawing."""
    return _ATTRIBUTE.sub(lambda m: m.group(1) + _LONG_DECIMAL.sub(r"\1", m.group(2)) + m.group(3), svg)


def _drawn(series: list[Series], others: str) -> list[Series]:
    if len(series) <= MAX_SERIES:
        return series
    biggest = sorted(series, key=lambda serie: -serie.total)[: MAX_SERIES - 1]
    rest = [serie for serie in series if serie not in biggest]
    kept = [serie for serie in series if serie in biggest]  # in the table's order
    return [*kept, Series(others, [sum(values) for values in zip(*(serie.values for serie in rest), strict=True)])]


def stacked_bars(table: Table, description: str, others: str = "Others") -> Markup:
    """A stacked bar chart of `table` (rows along the bottom, series stacked), as inline SVG.

    `description` is the accessible name; it should say that the table below has the numbers.
    `others` labels the bar that gathers the smallest series when there are too many to tell apart.
    """
    series = _drawn(table.series, others)
    chart = pygal.StackedBar(
        style=_STYLE,
        css=["inline:" + _CSS + _colors_css(len(series))],
        js=[],
        disable_xml_declaration=True,
        width=WIDTH,
        height=PLOT_HEIGHT + len(series) * LEGEND_ROW,
        margin=8,
        spacing=8,
        legend_at_bottom=True,
        # One name per line: long names ("Abuse or exploitation") fit at 360 px.
        legend_at_bottom_columns=1,
        legend_box_size=16,
        truncate_legend=34,
        truncate_label=-1,
        x_labels_major_every=2,
        show_minor_x_labels=False,
        show_x_guides=False,
        min_scale=2,
        max_scale=6,
        print_values=False,
        tooltip_fancy_mode=False,
        allow_interruptions=True,
    )
    chart.x_labels = table.axis_labels
    for serie in series:
        # A zero draws nothing: leave it out rather than emit an empty bar.
        chart.add(serie.label, [value or None for value in serie.values])
    svg = chart.render(is_unicode=True)
    svg = _COMMENT.sub("", _DESC.sub("", svg))
    # What only pygal's JavaScript uses; its ids would also repeat from one chart to the next.
    svg = _SCRIPT_ONLY.sub("", svg)
    svg = _BAR.sub(r"<rect \1 \2/>", svg)
    svg = _round_attributes(svg)
    svg = svg.replace("<title>Pygal</title>", f"<title>{escape(table.title)}</title>", 1)
    svg = svg.replace(
        "<svg ", f'<svg role="img" focusable="false" aria-label="{escape(description)}" ', 1
    )
    return Markup(svg)
