"""The report's section of a benefit-list audit (:class:`~mpi.AuditResult`): the summary's
lines and tables, the chart, and the leads -- all of them in the workbook and the CSV files,
the first :data:`PAGE_LEADS` on the page."""

from __future__ import annotations

import pandas as pd

from mpi._common.labels import has_text, text
from mpi.auditing.result import AuditResult
from mpi.reporting.document import Section, Table
from mpi.reporting.sections_generic import generic_section

__all__ = ["audit_section", "leads_frame", "PAGE_LEADS"]

#: Leads shown on the page (the workbook sheet and the CSV file hold them all).
PAGE_LEADS = 100
#: Number formats of the leads' columns (others: by dtype).
_FORMATS = {
    "id_number": "text", "household_id": "text", "rank": "integer", "n_payments": "integer",
    "amount_at_risk": "integer",
}  # fmt: skip


def _header(column: str, lang: str) -> str:
    for key in (f"audit.result.column.{column}", f"report.audit.column.{column}"):
        if has_text(key):
            return text(key, lang)
    return column


def leads_frame(result: AuditResult, lang: str) -> tuple[pd.DataFrame, dict[str, str]]:
    """The leads as a report table: every row and column of :attr:`AuditResult.leads`, in
    order, the values unchanged (missing values empty), the headers in ``lang`` (in English
    the column names themselves).

    Parameters
    ----------
    result
        The audit.
    lang
        The report's language.

    Returns
    -------
    (pandas.DataFrame, dict)
        The table (a fresh RangeIndex) and its column formats.
    """
    leads = result.leads.reset_index(drop=True)
    frame = pd.DataFrame(index=leads.index)
    formats: dict[str, str] = {}
    for column in leads.columns:
        values = leads[column]
        header = _header(str(column), lang)
        if not pd.api.types.is_numeric_dtype(values.dtype):
            values = values.astype(object).where(values.notna(), None)
        elif pd.api.types.is_extension_array_dtype(values.dtype):
            values = values.astype(float)
        frame[header] = values
        if column in _FORMATS:
            formats[header] = _FORMATS[column]
    return frame, formats


def _name_rows(table: Table, kind: str, lang: str) -> None:
    """The rule (programme) names of a summary table's first column as readable words: the
    default rules and the bundled data's programmes from the catalogue, others as given."""
    first = table.frame.columns[0]
    table.frame[first] = [
        text(f"plot.audit.{kind}.{v}", lang) if has_text(f"plot.audit.{kind}.{v}") else v
        for v in table.frame[first]
    ]


def audit_section(name: str, result: AuditResult, key: str, *, lang: str) -> Section:
    """The section of an :class:`~mpi.AuditResult`.

    The summary's lines, notes and tables (leads, persons, payments and amount at risk by
    rule, programme and village; linkage; registries; rows not checkable; invalid identity
    numbers) and the chart (:func:`mpi.plot.audit`), as for any result; the summary's short
    list of top leads is replaced by the leads table: every lead in the workbook sheet and
    the CSV file ``<key>_leads``, the first :data:`PAGE_LEADS` on the page (when there are
    more, a second table ``<key>_leads_top`` holds them for the page and its own sheet).
    Amounts at risk are shown in whole yuan (the workbook's cells keep the exact values);
    the tables by rule and by programme name the default rules and the bundled data's
    programmes in words (``paid_after_death`` -> "Paid after death" / "死亡后仍发放").

    Parameters
    ----------
    name
        The section's title.
    result
        The audit (:func:`mpi.audit`).
    key
        File-safe prefix of its tables and charts.
    lang
        The report's language.

    Returns
    -------
    Section
    """
    section = generic_section(name, result, key, lang=lang)
    top_title = text("audit.result.table.top", lang)
    tables = [t for t in section.tables if t.title != top_title]
    amount = _header("amount_at_risk", lang)
    for table in tables:  # amounts in whole yuan (the cells keep the exact values)
        if amount in table.frame.columns:
            table.formats[amount] = "integer"
    named = {text(f"audit.result.table.by_{k}", lang): k for k in ("rule", "programme")}
    for table in tables:
        if table.title in named:
            _name_rows(table, named[table.title], lang)
    frame, formats = leads_frame(result, lang)
    total = len(frame)
    sheet = text("report.audit.leads", lang)
    if total <= PAGE_LEADS:
        title = text("report.audit.leads_all", lang, total=total)
        leads = [Table(f"{key}_leads", title, frame, formats=formats, sheet=sheet)]
    else:
        full = Table(
            f"{key}_leads",
            text("report.audit.leads_all", lang, total=total),
            frame,
            formats=formats,
            sheet=sheet,
            in_page=False,
        )
        page = Table(
            f"{key}_leads_top",
            text("report.audit.leads_top", lang, shown=PAGE_LEADS, total=total),
            frame.head(PAGE_LEADS).copy(),
            formats=formats,
            sheet=top_title,
        )
        leads = [page, full]
    section.tables = [*tables[:3], *leads, *tables[3:]]
    return section
