"""The report as an Excel workbook (openpyxl).

One sheet per table: a title row, a bold frozen header row, the numbers as numbers with
number formats (``0.0%`` shares, ``#,##0`` counts, ``0.0000`` standard errors and indices),
column widths fitted to the contents. A suppressed cell shows the rule's mark instead of
its value; a flagged cell keeps its value, shaded, with the mark after it (a number format,
so the cell stays a number). Then a notes sheet (definitions, spec, design, the small-cell
rule, version and call history) and a charts sheet with the charts as images.
"""

from __future__ import annotations

import io
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mpi._common.labels import text
from mpi.reporting.document import Document, Table

__all__ = ["write_workbook", "NUMBER_FORMATS", "sheet_name"]

#: Excel number format of each column format.
NUMBER_FORMATS = {
    "percent": "0.0%",
    "integer": "#,##0",
    "decimal": "0.0000",
    "se": "0.0000",
    "text": "@",
}
#: Characters Excel does not allow in a sheet name.
_BAD = re.compile(r"[\[\]:*?/\\']")
#: Width (characters) of a CJK character in a column.
_WIDE = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")
#: The mark after a flagged value (and after a marked count).
FLAG = "*"
#: Pixels of a chart's width in the charts sheet.
CHART_WIDTH = 720


def sheet_name(title: str, taken: set[str]) -> str:
    """A valid, unused sheet name for ``title``: at most 31 characters, none of ``[]:*?/\\'``.

    Parameters
    ----------
    title
        The wanted name (any language).
    taken
        Names already used (compared case-insensitively, as Excel does); the new name is added.

    Returns
    -------
    str
    """
    base = _BAD.sub(" ", title).strip() or "sheet"
    base = re.sub(r"\s+", " ", base)[:31].strip()
    name, i = base, 2
    while name.lower() in taken:
        suffix = f" ({i})"
        name = base[: 31 - len(suffix)].rstrip() + suffix
        i += 1
    taken.add(name.lower())
    return name


def _width(value: Any) -> int:
    s = str(value)
    return len(s) + len(_WIDE.findall(s))


def _cell_value(value: Any) -> Any:
    """A frame's cell as openpyxl writes it (NaN and NA: an empty cell)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float | np.floating):
        return None if math.isnan(float(value)) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, int | float | str | bool):
        return value
    return str(value)


def _fit(ws: Any, widths: dict[int, int]) -> None:
    from openpyxl.utils import get_column_letter

    for col, w in widths.items():
        ws.column_dimensions[get_column_letter(col)].width = min(60, max(8, w + 2))


def _table_sheet(ws: Any, table: Table, mark: str, flag: bool) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill

    frame = table.frame
    bold = Font(bold=True)
    ws.cell(row=1, column=1, value=table.title).font = Font(bold=True, size=12)
    head_fill = PatternFill("solid", fgColor="EDE7E3")
    hit_fill = PatternFill("solid", fgColor="FBEAEA")
    widths: dict[int, int] = {}
    for c, name in enumerate(frame.columns, start=1):
        cell = ws.cell(row=2, column=c, value=str(name))
        cell.font, cell.fill = bold, head_fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        widths[c] = min(_width(name), 28)
    formats = [table.format_of(str(col)) for col in frame.columns]
    marks = table.suppressed
    for r in range(len(frame)):
        for c, fmt in enumerate(formats, start=1):
            value = _cell_value(frame.iat[r, c - 1])
            hit = marks is not None and bool(marks.iat[r, c - 1])
            cell = ws.cell(row=r + 3, column=c)
            if hit and not (flag or table.keep_values):
                cell.value = mark
                cell.alignment = Alignment(horizontal="right")
                cell.fill = hit_fill
                widths[c] = max(widths[c], 2)
                continue
            cell.value = value
            if isinstance(value, int | float) and not isinstance(value, bool):
                number = NUMBER_FORMATS[fmt if fmt != "text" else "decimal"]
                tail = mark if not table.keep_values else FLAG
                cell.number_format = number + (f'"{tail}"' if hit else "")
                shown = f"{value:,.4f}" if fmt != "percent" else f"{100 * value:.1f}%"
                widths[c] = max(widths[c], _width(shown) + (1 if hit else 0))
            elif value is not None:
                widths[c] = max(widths[c], _width(value))
            if hit:
                cell.fill = hit_fill
    row = len(frame) + 4
    for note in table.notes:
        ws.cell(row=row, column=1, value=note).font = Font(italic=True, size=9)
        row += 1
    ws.freeze_panes = "A3"
    _fit(ws, widths)


def _notes_sheet(ws: Any, doc: Document, notes: list[tuple[str, str]]) -> None:
    from openpyxl.styles import Alignment, Font

    ws.cell(row=1, column=1, value=text("report.excel.topic", doc.lang)).font = Font(bold=True)
    ws.cell(row=1, column=2, value=text("report.excel.text", doc.lang)).font = Font(bold=True)
    for i, (topic, line) in enumerate(notes, start=2):
        ws.cell(row=i, column=1, value=topic).font = Font(bold=True)
        cell = ws.cell(row=i, column=2, value=line)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"
    width = max([_width(t) for t, _ in notes] + [10])
    _fit(ws, {1: min(width, 40)})
    ws.column_dimensions["B"].width = 110


def _charts_sheet(ws: Any, doc: Document) -> None:
    from openpyxl.drawing.image import Image
    from openpyxl.styles import Font

    row = 1
    for chart in doc.charts:
        ws.cell(row=row, column=1, value=chart.title).font = Font(bold=True)
        img = Image(io.BytesIO(chart.png))
        scale = CHART_WIDTH / img.width
        img.width, img.height = CHART_WIDTH, int(img.height * scale)
        ws.add_image(img, f"A{row + 1}")
        row += 3 + math.ceil(img.height / 20)


def _brief_sheet(ws: Any, doc: Document) -> None:
    from openpyxl.styles import Font

    brief = doc.sections[0]
    heads = ("report.excel.measure", "report.excel.value", "report.excel.detail")
    for c, key in enumerate(heads, start=1):
        ws.cell(row=1, column=c, value=text(key, doc.lang)).font = Font(bold=True)
    for r, card in enumerate(brief.cards, start=2):
        ws.cell(row=r, column=1, value=card.label)
        cell = ws.cell(row=r, column=2, value=_cell_value(card.number))
        if card.value.endswith("%"):
            cell.number_format = NUMBER_FORMATS["percent"]
        elif card.value.replace(",", "").lstrip("+-").isdigit():
            cell.number_format = NUMBER_FORMATS["integer"]
        else:
            cell.number_format = "0.000"
        ws.cell(row=r, column=3, value=card.detail)
    r = len(brief.cards) + 3
    for p in brief.paragraphs:
        ws.cell(row=r, column=1, value=p)
        r += 1
    ws.freeze_panes = "A2"
    _fit(
        ws,
        {
            1: max([_width(c.label) for c in brief.cards] + [12]),
            2: 12,
            3: max([_width(c.detail) for c in brief.cards] + [12]),
        },
    )


def write_workbook(
    doc: Document,
    path: Path,
    *,
    notes: list[tuple[str, str]],
) -> dict[str, str]:
    """Write ``doc`` to the workbook ``path``.

    Parameters
    ----------
    doc
        The report.
    path
        The ``.xlsx`` file to write.
    notes
        ``(topic, text)`` lines of the notes sheet.

    Returns
    -------
    dict
        Table key -> the name of its sheet.
    """
    from openpyxl import Workbook

    wb = Workbook()
    taken: set[str] = set()
    brief = wb.active
    brief.title = sheet_name(doc.sections[0].title, taken)
    _brief_sheet(brief, doc)
    sheets = {}
    for table in doc.tables:
        ws = wb.create_sheet(sheet_name(table.sheet or table.title, taken))
        _table_sheet(ws, table, doc.mark, doc.flag)
        sheets[table.key] = ws.title
    _notes_sheet(
        wb.create_sheet(sheet_name(text("report.excel.notes", doc.lang), taken)), doc, notes
    )
    if doc.charts:
        _charts_sheet(
            wb.create_sheet(sheet_name(text("report.excel.charts", doc.lang), taken)), doc
        )
    wb.properties.title = doc.title
    wb.properties.creator = "xmpi"
    wb.save(path)
    return sheets
