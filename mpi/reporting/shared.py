"""What the sections of a report share: a result's default title, the publication table
paired with its numbers, and table titles."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mpi._common.labels import has_text, text
from mpi._common.result import ResultBase
from mpi.reporting.document import Table
from mpi.reporting.tables import estimates_table, publication_table

__all__ = ["TABLE_MEASURES", "flat_table", "pair_table", "result_title", "row_title"]

#: The measures of the publication tables.
TABLE_MEASURES = ("H", "A", "M0")


def result_title(result: ResultBase, lang: str) -> str:
    """The title of a result's section when the caller gave none.

    Parameters
    ----------
    result
        Any result of the package.
    lang
        The report's language.

    Returns
    -------
    str
        The catalogue's name of the result's class (``report.result.<Class>``), else the
        result's own title.
    """
    key = f"report.result.{type(result).__name__}"
    return text(key, lang) if has_text(key) else str(result.summary(lang=lang).title or result.title)


def flat_table(frame: pd.DataFrame, *, key: str, title: str, lang: str, sheet: str = "") -> Table:
    """A :class:`Table` from a table of :func:`~mpi.reporting.tables.estimates_table`:
    MultiIndex columns joined into readable names, the rows as columns, the formats and the
    cells under the small-cell rule carried over (standard errors get the ``"se"`` format).

    Parameters
    ----------
    frame
        An estimates table (its ``attrs`` hold ``formats``, ``suppressed``, ``notes``).
    key, title, sheet
        The table's file name, title and sheet name.
    lang
        The report's language.

    Returns
    -------
    Table
    """
    se = text("common.se", lang)
    names, formats = [], {}
    for col in frame.columns:
        parts = [str(p) for p in (col if isinstance(col, tuple) else (col,)) if str(p)]
        name = (
            text("report.col.joined", lang, measure=parts[0], stat=parts[1])
            if len(parts) > 1
            else parts[0]
        )
        names.append(name)
        fmt = frame.attrs.get("formats", {}).get(col, "decimal")
        formats[name] = "se" if len(parts) > 1 and parts[1] == se else fmt
    index_names = [
        str(n) if n is not None else text("common.group", lang) for n in frame.index.names
    ]
    body = frame.copy()
    body.columns = names
    body.index = body.index.set_names(index_names)
    body = body.reset_index()
    for n in index_names:
        body[n] = body[n].astype(str)
        formats[n] = "text"
    hits = frame.attrs.get("suppressed")
    suppressed = None
    if hits is not None and bool(np.asarray(hits).any()):
        marks = pd.DataFrame(False, index=body.index, columns=body.columns)
        marks.iloc[:, len(index_names) :] = np.asarray(hits, dtype=bool)
        suppressed = marks
    return Table(
        key,
        title,
        body,
        formats,
        suppressed=suppressed,
        notes=list(frame.attrs.get("notes", [])),
        sheet=sheet,
    )


def pair_table(result: Any, *, key: str, title: str, sheet: str, lang: str, **kwargs: Any) -> Table:
    """The publication table (page) with its numbers (workbook, CSV) as one :class:`Table`.

    Parameters
    ----------
    result
        A MeasureResult or ChangeResult.
    key, title, sheet
        The table's file name, title and sheet name.
    lang
        The report's language.
    **kwargs
        Passed to :func:`~mpi.reporting.tables.publication_table` and (but ``percent`` and
        ``digits``) :func:`~mpi.reporting.tables.estimates_table`.

    Returns
    -------
    Table
    """
    shown = publication_table(result, lang=lang, **kwargs)
    numbers = estimates_table(
        result, lang=lang, **{k: v for k, v in kwargs.items() if k not in ("percent", "digits")}
    )
    table = flat_table(numbers, key=key, title=title, lang=lang, sheet=sheet)
    table.display = shown
    hits = shown.attrs.get("suppressed")
    table.display_suppressed = hits if hits is not None and bool(np.asarray(hits).any()) else None
    table.notes = list(shown.attrs.get("notes", []))
    return table


def row_title(base: str, by: Any, lang: str) -> str:
    """A table's title with the variables of its rows (``"... by round × region"``).

    Parameters
    ----------
    base
        The title.
    by
        The grouping variable(s) of the rows, or None / ``()`` for none.
    lang
        The report's language.

    Returns
    -------
    str
    """
    if by is None or by == ():
        return base
    names = [by] if isinstance(by, str) else list(by)
    return text("report.table.by", lang, title=base, by=" × ".join(names))
