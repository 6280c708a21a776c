"""The report of one or several results: :func:`report` and what it wrote, :class:`ReportFiles`."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import xarray as xr

from mpi._common.labels import check_lang, text
from mpi._common.progress import check_progress
from mpi._common.progress import progress as progress_bar
from mpi._common.result import ResultBase, check_level
from mpi._version import __version__
from mpi.auditing.result import AuditResult
from mpi.errors import ValidationError
from mpi.measurement.change import ChangeResult
from mpi.measurement.result import MeasureResult
from mpi.measurement.spec import Spec
from mpi.reporting.brief import brief_section
from mpi.reporting.document import Document, Section, slug
from mpi.reporting.excel import write_workbook
from mpi.reporting.html import render_html
from mpi.reporting.methods import history_section, methods_section, spec_section
from mpi.reporting.quality import quality_section
from mpi.reporting.sections import measure_section
from mpi.reporting.sections_audit import audit_section
from mpi.reporting.sections_change import change_section
from mpi.reporting.sections_generic import generic_section
from mpi.reporting.shared import result_title
from mpi.reporting.suppression import Suppression
from mpi.reporting.views import headline_k

__all__ = ["report", "ReportFiles", "build_document"]

#: Default small-cell rule of :func:`report` (fewer than 30 unweighted units: suppressed).
DEFAULT_SUPPRESSION = Suppression()


@dataclass(frozen=True)
class ReportFiles:
    """The files :func:`report` wrote.

    Iterating gives every path (the page, the workbook, the CSV tables, the chart images).

    Attributes
    ----------
    html : pathlib.Path or None
        The HTML page.
    excel : pathlib.Path or None
        The Excel workbook.
    tables : tuple of pathlib.Path
        The CSV files (``tables/*.csv``; a report written to a directory only).
    charts : tuple of pathlib.Path
        The PNG images (``charts/*.png``; a report written to a directory only).
    sheets : dict
        Table name (the CSV file's stem) -> its sheet in the workbook.
    """

    html: Path | None = None
    excel: Path | None = None
    tables: tuple[Path, ...] = ()
    charts: tuple[Path, ...] = ()
    sheets: dict[str, str] = field(default_factory=dict, hash=False)

    @property
    def paths(self) -> list[Path]:
        """Every file written: the page, the workbook, the tables, the charts."""
        return [p for p in (self.html, self.excel) if p is not None] + [*self.tables, *self.charts]

    def __iter__(self) -> Iterator[Path]:
        return iter(self.paths)

    def __len__(self) -> int:
        return len(self.paths)


def _named(results: Any, lang: str) -> list[tuple[str, ResultBase]]:
    if isinstance(results, ResultBase):
        return [(result_title(results, lang), results)]
    if isinstance(results, Mapping) and results:
        out = []
        for name, res in results.items():
            if not isinstance(name, str) or not name.strip():
                raise ValidationError(
                    f"results: every section title must be a non-empty string; got {name!r}. "
                    "Pass {'Poverty by region': result, ...}"
                )
            if not isinstance(res, ResultBase):
                raise ValidationError(
                    f"results[{name!r}] is a {type(res).__name__}, not a result of mpi; pass "
                    "what mpi.measure, mpi.change, mpi.transitions ... return"
                )
            out.append((name, res))
        return out
    raise ValidationError(
        f"results must be a result of mpi (e.g. mpi.measure(...)) or a non-empty mapping "
        f"{{section title: result}}; got {type(results).__name__} {results!r:.80}"
    )


def _check(path: Any, title: Any, suppression: Any, data: Any, spec: Any) -> Path:
    if not isinstance(path, str | os.PathLike) or not str(path).strip():
        raise ValidationError(
            f"path must be a file name ending in .html or .xlsx, or a directory; got {path!r}"
        )
    if title is not None and not isinstance(title, str):
        raise ValidationError(f"title must be a string or None; got {title!r}")
    if suppression is not None and not isinstance(suppression, Suppression):
        raise ValidationError(
            f"suppression must be mpi.Suppression(min_cell=..., max_cv=..., "
            f"action=...) or None (publish every cell); got {suppression!r}"
        )
    if data is not None and not isinstance(data, pd.DataFrame | xr.Dataset):
        raise ValidationError(
            f"data must be the pandas DataFrame or xarray Dataset the results were computed "
            f"from, or None; got {type(data).__name__}"
        )
    if spec is not None and not isinstance(spec, Spec):
        raise ValidationError(
            f"spec must be an mpi.Spec (e.g. mpi.presets.global_mpi_2018()) or None; got "
            f"{type(spec).__name__}"
        )
    out = Path(path)
    kind = out.suffix.lower()
    if kind not in (".html", ".xlsx") and out.exists() and not out.is_dir():
        raise ValidationError(
            f"path {str(out)!r} is a file; give a directory (for report.html, report.xlsx, "
            "tables/ and charts/), or a name ending in .html or .xlsx"
        )
    if kind in (".html", ".xlsx") and out.is_dir():
        raise ValidationError(f"path {str(out)!r} is a directory; give a file name or a new path")
    return out


def _specs(named: list[tuple[str, ResultBase]], spec: Spec | None) -> list[Spec]:
    out: list[Spec] = []
    candidates = [spec] + [getattr(r, "spec", None) for _, r in named]
    for s in candidates:
        if isinstance(s, Spec) and s not in out:
            out.append(s)
    return out


def _keys(named: list[tuple[str, ResultBase]]) -> list[str]:
    """A file-safe key per result: its kind, numbered when the kind repeats."""
    kinds = []
    for _, res in named:
        kind = (
            "measures"
            if isinstance(res, MeasureResult)
            else "changes"
            if isinstance(res, ChangeResult)
            else slug(type(res).__name__.removesuffix("Result"))
        )
        kinds.append(kind)
    out = []
    for i, kind in enumerate(kinds):
        n = kinds[: i + 1].count(kind)
        out.append(kind if kinds.count(kind) == 1 else f"{kind}{n}")
    return out


def _dedupe(sections: list[Section]) -> None:
    """Make the keys of all tables and all charts unique (they name files)."""
    for items in ([t for s in sections for t in s.tables], [c for s in sections for c in s.charts]):
        seen: dict[str, int] = {}
        for item in items:
            key = slug(item.key)
            if key in seen:
                seen[key] += 1
                key = f"{key}_{seen[key]}"
            else:
                seen[key] = 1
            item.key = key


def build_document(
    results: Any,
    *,
    lang: str = "en",
    title: str | None = None,
    suppression: Suppression | None = DEFAULT_SUPPRESSION,
    level: float = 0.95,
    data: Any = None,
    spec: Spec | None = None,
    progress: bool | None = None,
) -> Document:
    """The report of ``results`` as a :class:`~mpi.reporting.document.Document` (nothing written).

    Parameters
    ----------
    results, lang, title, suppression, level, data, spec, progress
        As in :func:`report`.

    Returns
    -------
    Document
    """
    lang = check_lang(lang)
    level = check_level(level)
    progress = check_progress(progress)
    named = _named(results, lang)
    measures = [(n, r) for n, r in named if isinstance(r, MeasureResult)]
    change_list = [r for _, r in named if isinstance(r, ChangeResult)]
    first_measure = measures[0][1] if measures else None
    first_change = change_list[0] if change_list else None
    specs = _specs(named, spec)
    k = headline_k(first_measure) if first_measure is not None else None
    keys = _keys(named)
    with progress_bar(
        total=len(named) + 2, desc=text("report.progress", lang), enabled=progress
    ) as bar:
        sections = [brief_section(first_measure, first_change, level=level, lang=lang)]
        bar.update(1)
        for (name, res), key in zip(named, keys, strict=True):
            if isinstance(res, MeasureResult):
                over = next((c.over for c in change_list if c.over in res.groups), None)
                sections.append(
                    measure_section(
                        name, res, key, over=over, level=level, lang=lang, suppression=suppression
                    )
                )
            elif isinstance(res, ChangeResult):
                sections.append(
                    change_section(
                        name, res, key, k=k, level=level, lang=lang, suppression=suppression
                    )
                )
            elif isinstance(res, AuditResult):
                sections.append(audit_section(name, res, key, lang=lang))
            else:
                sections.append(generic_section(name, res, key, lang=lang))
            bar.update(1)
        sections.append(quality_section(measures, data=data, suppression=suppression, lang=lang))
        sections.append(
            methods_section(
                [r for _, r in named], specs, suppression=suppression, level=level, lang=lang
            )
        )
        sections.append(spec_section(specs, lang))
        sections.append(history_section(named, lang))
        bar.update(1)
    _dedupe(sections)
    date = datetime.now(UTC).date().isoformat()
    what = (specs[0].title or specs[0].name or "") if specs else ""
    subtitle = text("report.subtitle", lang, what=what, date=date, version=__version__)
    if title is None:  # an audit alone is not a poverty report
        audits = all(isinstance(r, AuditResult) for _, r in named)
        title = text("report.title_audit" if audits else "report.title", lang)
    return Document(
        title=title,
        subtitle=subtitle,
        lang=lang,
        sections=sections,
        mark=suppression.mark if suppression is not None else "—",
        flag=suppression is not None and suppression.action == "flag",
    )


def _notes(doc: Document) -> list[tuple[str, str]]:
    """``(topic, text)`` lines of the workbook's notes sheet: the closing sections."""
    out: list[tuple[str, str]] = []
    for section in doc.sections:
        if section.key not in ("quality", "methods", "spec", "history"):
            continue
        out += [(k, v) for k, v in section.facts]
        out += [(section.title, p) for p in section.paragraphs]
        for table in section.tables:
            out += [(table.title, n) for n in table.notes]
        for heading, code in section.code:
            out += [(heading, line) for line in code.splitlines() if line.strip()]
        out += [(section.title, n) for n in section.notes]
    for table in doc.tables:
        if table.notes and not any(t == table.title for t, _ in out):
            out += [(table.title, n) for n in table.notes]
    return out


def report(
    results: Any,
    path: str | os.PathLike,
    *,
    lang: str = "en",
    title: str | None = None,
    suppression: Suppression | None = DEFAULT_SUPPRESSION,
    level: float = 0.95,
    data: Any = None,
    spec: Spec | None = None,
    progress: bool | None = None,
) -> ReportFiles:
    """Write a report of one or several results: an HTML page, an Excel workbook, or both
    with the tables as CSV files and the charts as PNG images.

    The report opens with a policy brief (the headline H, A and M0 with confidence
    intervals, the groups ranked by M0, the indicators' contributions, the change over
    time), then one section per result (for :func:`mpi.measure` and :func:`mpi.change`:
    publication tables "estimate (SE) [CI]" with the small-cell rule applied, the numbers,
    the ``mpitb``-style results frame and charts; for any other result its summary and its
    chart), data quality (units used and dropped and why, missing values by indicator and
    by variable, units with a missing group, group sizes, the survey design), methodology
    (definitions, cutoffs, indicators and weights, inference, the rule, references), the
    exact spec as YAML, and the version and call history. Every word is in ``lang``.

    Parameters
    ----------
    results : result or mapping
        A result of the package (``mpi.measure(...)``, ``result.change(...)``,
        ``mpi.transitions(...)`` ...) or ``{section title: result}`` in the order to show.
    path : str or path-like
        ``"*.html"``: one self-contained page (charts embedded, no network needed);
        ``"*.xlsx"``: one workbook; anything else: a directory (created when missing)
        receiving ``report.html``, ``report.xlsx``, ``tables/*.csv`` (the numeric tables)
        and ``charts/*.png`` (150 dpi).
    lang : {"en", "zh"}
        Language of every word of the report (``"zh"``: Chinese, ``<html lang="zh-CN">``).
    title : str, optional
        Title of the report (default: the catalogue's "Multidimensional poverty report").
    suppression : Suppression or None
        The small-cell rule of the published tables (default: estimates from fewer than 30
        unweighted units suppressed, "—"); None publishes every cell. It is stated in the
        tables' notes and the methodology.
    level : float
        Confidence level of every interval.
    data : pandas.DataFrame or xarray.Dataset, optional
        The data the results were computed from: the data-quality section then also counts
        its rows and the missing values of every variable the results use.
    spec : Spec, optional
        The spec measured, shown when no result carries it (a change over time).
    progress : bool or None
        A progress bar on stderr: None when stderr is a terminal, True always, False never.

    Returns
    -------
    ReportFiles
        The files written.

    Raises
    ------
    ValidationError
        For a bad argument (named, with the value and the fix).

    Examples
    --------
    >>> import warnings, mpi, tempfile, pathlib
    >>> from mpi.reporting import report
    >>> warnings.simplefilter("ignore", mpi.MissingDataWarning)
    >>> df = mpi.datasets.load("mpi_survey")
    >>> res = mpi.measure(df, mpi.presets.global_mpi_2018(), weight="weight", by="region")
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "report.html"
    >>> files = report(res, out, progress=False)
    >>> files.html == out and out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    True
    """
    out = _check(path, title, suppression, data, spec)
    doc = build_document(
        results,
        lang=lang,
        title=title,
        suppression=suppression,
        level=level,
        data=data,
        spec=spec,
        progress=progress,
    )
    kind = out.suffix.lower()
    if kind == ".html":
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(render_html(doc), encoding="utf-8")
        return ReportFiles(html=out)
    if kind == ".xlsx":
        out.parent.mkdir(parents=True, exist_ok=True)
        sheets = write_workbook(doc, out, notes=_notes(doc))
        return ReportFiles(excel=out, sheets=sheets)
    out.mkdir(parents=True, exist_ok=True)
    page = out / "report.html"
    page.write_text(render_html(doc), encoding="utf-8")
    book = out / "report.xlsx"
    sheets = write_workbook(doc, book, notes=_notes(doc))
    (out / "tables").mkdir(exist_ok=True)
    (out / "charts").mkdir(exist_ok=True)
    tables = []
    for table in doc.tables:
        file = out / "tables" / f"{table.key}.csv"
        table.frame.to_csv(file, index=False, encoding="utf-8-sig")
        tables.append(file)
    charts = []
    for chart in doc.charts:
        file = out / "charts" / f"{chart.key}.png"
        file.write_bytes(chart.png)
        charts.append(file)
    return ReportFiles(
        html=page, excel=book, tables=tuple(tables), charts=tuple(charts), sheets=sheets
    )
