"""The report as data: sections of facts, tables, charts and notes, in one language.

:func:`mpi.report` first builds a :class:`Document` from the results (the words already in
the report's language, the numbers still numbers), then hands it to the writers: the HTML
page (:mod:`mpi.reporting.html`), the Excel workbook (:mod:`mpi.reporting.excel`) and the CSV and
PNG files (:mod:`mpi.reporting.write`). Every writer shows the same tables and charts, so the
numbers of the page, the workbook and the CSV files are the same numbers.
"""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import pandas as pd

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "FORMATS",
    "Card",
    "Chart",
    "Document",
    "Section",
    "Table",
    "figure_png",
    "slug",
]

#: The number formats a table column may have (the Excel writer maps them to number formats).
FORMATS = ("percent", "integer", "decimal", "se", "text")
#: Resolution of the chart images (PNG files and the images embedded in the page and workbook).
DPI = 150

Format = Literal["percent", "integer", "decimal", "se", "text"]


def slug(text: str) -> str:
    """A file-safe ASCII name (``"M0 by region"`` -> ``"m0_by_region"``).

    Parameters
    ----------
    text
        Any text.

    Returns
    -------
    str
        Lower-case letters, digits and ``_`` (``"x"`` when nothing is left).
    """
    out = re.sub(r"[^0-9a-zA-Z]+", "_", text).strip("_").lower()
    return out or "x"


@dataclass
class Table:
    """One table of the report.

    Attributes
    ----------
    key
        File-safe name: ``tables/<key>.csv`` and the workbook sheet's fallback name.
    title
        Title in the report's language.
    frame
        The numbers (what the CSV file and the workbook sheet hold); flat, readable column
        names, the row labels as ordinary columns.
    formats
        Column -> one of :data:`FORMATS` (columns not listed: ``"decimal"`` for floats,
        ``"integer"`` for integers, ``"text"`` otherwise).
    display
        What the HTML page shows, as text (a statistical release table: ``"12.3 (1.4) [9.6,
        15.1]"``); None: the page shows :attr:`frame` formatted by :attr:`formats`.
    suppressed
        Cells of :attr:`frame` withheld or flagged by the small-cell rule, a bool frame of
        its shape; None when the rule marks nothing.
    display_suppressed
        The same for :attr:`display` (its shape).
    notes
        Footnotes in the report's language.
    sheet
        Short name of the workbook sheet (default: :attr:`title`); the writer shortens it to
        Excel's 31 characters and makes it unique.
    in_page
        Whether the HTML page shows the table (long machine-readable frames are in the
        workbook and the CSV files only).
    keep_values
        Whether the cells of :attr:`suppressed` keep their values (marked, as flagged
        cells) even under a suppressing rule: a table of group sizes marks the groups under
        the rule, it does not withhold their counts.
    """

    key: str
    title: str
    frame: pd.DataFrame
    formats: dict[str, str] = field(default_factory=dict)
    display: pd.DataFrame | None = None
    suppressed: pd.DataFrame | None = None
    display_suppressed: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)
    sheet: str = ""
    in_page: bool = True
    keep_values: bool = False

    def format_of(self, column: str) -> str:
        """The number format of ``column`` (see :attr:`formats`).

        Parameters
        ----------
        column
            A column of :attr:`frame`.

        Returns
        -------
        str
            One of :data:`FORMATS`.
        """
        if column in self.formats:
            return self.formats[column]
        dtype = self.frame[column].dtype
        if pd.api.types.is_bool_dtype(dtype):
            return "text"
        if pd.api.types.is_integer_dtype(dtype):
            return "integer"
        if pd.api.types.is_float_dtype(dtype):
            return "decimal"
        return "text"


@dataclass
class Chart:
    """One chart of the report: a matplotlib figure, saved once as PNG.

    Attributes
    ----------
    key
        File-safe name: ``charts/<key>.png``.
    title
        Caption in the report's language.
    png
        The image (PNG bytes at :data:`DPI` dots per inch).
    """

    key: str
    title: str
    png: bytes


@dataclass
class Card:
    """A headline number of the policy brief.

    Attributes
    ----------
    label
        What it is (``"Headcount ratio (H)"``).
    value
        The number as shown (``"29.6%"``).
    detail
        The interval or other detail as shown (``"95% CI 27.1%-32.1%"``), may be empty.
    number
        The number itself (for the workbook), NaN when there is none.
    """

    label: str
    value: str
    detail: str = ""
    number: float = float("nan")


@dataclass
class Section:
    """A part of the report: a heading, then facts, cards, text, tables, charts and notes.

    Attributes
    ----------
    key
        Anchor of the heading in the page (ASCII).
    title
        Heading in the report's language.
    facts
        ``(label, value)`` lines shown as a small two-column table.
    cards
        Headline numbers (the policy brief).
    paragraphs
        Sentences in the report's language.
    tables
        The tables, in order.
    charts
        The charts, in order.
    notes
        Sentences shown under the section.
    code
        Preformatted text shown as is (the spec's YAML, the call history).
    """

    key: str
    title: str
    facts: list[tuple[str, str]] = field(default_factory=list)
    cards: list[Card] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    code: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Document:
    """The whole report in one language.

    Attributes
    ----------
    title
        Title of the report.
    subtitle
        Line under the title (the spec, the date, the package version).
    lang
        ``"en"`` or ``"zh"``.
    sections
        Brief, results, data quality, methodology, spec, history: in order.
    mark
        The small-cell rule's mark ("—" replaces a suppressed value, "*" follows a flagged
        one).
    flag
        Whether the rule flags (keeps the values) rather than suppresses.
    """

    title: str
    subtitle: str
    lang: str
    sections: list[Section]
    mark: str = "—"
    flag: bool = False

    @property
    def tables(self) -> list[Table]:
        """Every table of every section, in order."""
        return [t for s in self.sections for t in s.tables]

    @property
    def charts(self) -> list[Chart]:
        """Every chart of every section, in order."""
        return [c for s in self.sections for c in s.charts]


def figure_png(fig: Figure) -> bytes:
    """The figure as PNG bytes at :data:`DPI` dots per inch.

    Chinese text on a machine without a CJK font gives one warning per process
    (:data:`mpi.plot._fonts.NO_CJK_FONT`) instead of matplotlib's one per character.

    Parameters
    ----------
    fig
        A matplotlib figure.

    Returns
    -------
    bytes
    """
    from matplotlib.text import Text

    from mpi.plot._fonts import GLYPH_MISSING, warn_without_cjk_font

    buf = io.BytesIO()
    with warnings.catch_warnings():
        # Chinese text without a CJK font: one clear warning instead of one per character
        if warn_without_cjk_font(t.get_text() for t in fig.findobj(Text)):
            warnings.filterwarnings("ignore", GLYPH_MISSING, UserWarning)
        fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return buf.getvalue()
