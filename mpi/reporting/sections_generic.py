"""The report's section of any result other than a measurement or a change: its summary's
lines and tables, and its chart (``result.plot``)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from mpi._common.labels import has_text, text
from mpi._common.result import ResultBase
from mpi.reporting.charts import draw
from mpi.reporting.document import Section, Table, slug

__all__ = ["generic_section"]


def generic_section(name: str, result: ResultBase, key: str, *, lang: str) -> Section:
    """The section of any other result: its summary's lines and tables, and its chart.

    Parameters
    ----------
    name
        The section's title.
    result
        Any result of the package (:class:`~mpi._common.result.ResultBase`).
    key
        File-safe prefix of its tables and charts.
    lang
        The report's language.

    Returns
    -------
    Section
    """
    summary = result.summary(lang=lang)
    # file names from the English titles, whatever the report's language
    english = summary if lang == "en" else result.summary()
    stems = _stems(key, [t for t, _ in english.tables])
    section = Section(key, name, facts=list(summary.header), notes=list(summary.notes))
    for stem, (title, table) in zip(stems, summary.tables, strict=True):
        frame = table.copy()
        if isinstance(frame.columns, pd.MultiIndex):
            frame.columns = [" — ".join(str(p) for p in c if str(p)) for c in frame.columns]
        frame.columns = [str(c) for c in frame.columns]
        if not isinstance(frame.index, pd.RangeIndex):
            names = [
                str(n) if n is not None else text("common.group", lang) for n in frame.index.names
            ]
            frame.index = frame.index.set_names(names)
            frame = frame.reset_index()
            for n in names:
                frame[n] = frame[n].astype(str)
        for c in frame.columns:
            if frame[c].dtype == object:
                frame[c] = frame[c].astype(str)
        frame = readable(frame, lang)
        formats = {c: "text" for c in frame.columns if _years(frame[c])}
        section.tables.append(Table(stem, str(title), frame, formats=formats, sheet=str(title)))
    section.charts.append(draw(f"{key}_chart", name, result.plot, lang=lang))
    return section


def readable(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """``frame`` with result variable names as readable words in ``lang``: the column headers
    and the row labels of text columns that the catalogue names (``variable.*``, ``measure.*``:
    ``entry_rate`` -> "Entry rate" / "致贫率"); other names and all values unchanged.

    Parameters
    ----------
    frame
        A table of a result's summary (flat columns).
    lang
        The report's language.

    Returns
    -------
    pandas.DataFrame
        A relabelled copy.
    """

    def word(name: Any) -> Any:
        for key in (f"variable.{name}", f"measure.{name}"):
            if has_text(key):
                return text(key, lang)
        return name

    names: dict[Any, Any] = {}
    for c in frame.columns:  # two variables never share a header
        label = word(c)
        names[c] = label if label not in names.values() and label not in frame.columns else c
    out = frame.rename(columns=names)
    for c in out.columns:
        if out[c].dtype == object:
            out[c] = out[c].map(word)
    return out


def _years(column: pd.Series) -> bool:
    """Whether an integer column holds years (shown as 2015, not 2,015)."""
    if not pd.api.types.is_integer_dtype(column.dtype) or column.isna().all():
        return False
    return bool(column.between(1800, 2200).all())


def _stems(key: str, titles: list[str]) -> list[str]:
    """File stems ``<key>_<english_title>`` (``transition_rates_by_wave``), made unique."""
    out: list[str] = []
    for i, title in enumerate(titles, start=1):
        name = slug(str(title))[:48].rstrip("_")
        stem = f"{key}_{name if name != 'x' else f'table{i}'}"
        out.append(stem if stem not in out else f"{stem}_{i}")
    return out
