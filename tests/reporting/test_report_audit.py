"""``mpi.report`` of an :class:`~mpi.AuditResult`: the summary and the first leads on the page,
every lead on its own workbook sheet and in a CSV file."""

from __future__ import annotations

import math
import numbers
from html.parser import HTMLParser

import matplotlib
import openpyxl
import pandas as pd
import pytest

import mpi
import mpi.reporting.sections_audit as sections_audit
from mpi._common.labels import text
from mpi.reporting import report

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def county() -> mpi.AuditResult:
    """Eight villages of the bundled county, against the death, vehicle and staff registries."""
    data = mpi.datasets.load("benefit_audit")
    pay = data["beneficiaries"]
    villages = sorted(pay["village"].dropna().unique())[:8]
    registries = {k: data[k] for k in ("death", "vehicle", "staff")}
    return mpi.audit(pay[pay["village"].isin(villages)], registries, progress=False)


class _Tables(HTMLParser):
    """Rows (cell texts) of every ``<table class="data">`` of a page, by table id."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.current: str | None = None
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "table" and a.get("class") == "data":
            self.current = str(a["id"])
            self.tables[self.current] = []
        elif self.current and tag == "tr":
            self.tables[self.current].append([])
        elif self.current and tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self.current = None
        elif self.current and tag in ("td", "th") and self.cell is not None:
            self.tables[self.current][-1].append("".join(self.cell).strip())
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def _page_tables(path) -> dict[str, list[list[str]]]:
    parser = _Tables()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.tables


def _same(cell: object, value: object) -> bool:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return cell is None
    if isinstance(value, numbers.Number):
        return isinstance(cell, int | float) and float(cell) == float(value)
    return cell == str(value)


def _sheet_rows(book_path, sheet: str) -> tuple[list[str], list[tuple]]:
    book = openpyxl.load_workbook(book_path, read_only=True)
    rows = list(book[sheet].iter_rows(min_row=2, values_only=True))
    book.close()
    header = [str(c) for c in rows[0]]
    body = [r for r in rows[1:] if any(c is not None for c in r)]
    return header, body


def test_every_lead_on_its_sheet_the_first_on_the_page(county, tmp_path, monkeypatch):
    leads = county.leads
    assert len(leads) > 5  # the split below is exercised
    monkeypatch.setattr(sections_audit, "PAGE_LEADS", 5)
    files = report(county, tmp_path / "out", progress=False)

    # the workbook: one sheet with every lead, first row = leads' first row, in order
    header, body = _sheet_rows(files.excel, files.sheets["audit_leads"])
    assert files.sheets["audit_leads"] == "Leads"
    assert header == list(leads.columns)
    assert len(body) == len(leads)
    for cell, value in zip(body[0], leads.iloc[0], strict=True):
        assert _same(cell, value), (cell, value)
    assert [r[header.index("rank")] for r in body] == leads["rank"].tolist()
    assert [r[header.index("id_number")] for r in body] == leads["id_number"].tolist()
    total = sum(r[header.index("amount_at_risk")] for r in body)
    assert total == pytest.approx(leads["amount_at_risk"].sum(), abs=1e-9)

    # the CSV file of the same table
    csv = pd.read_csv(tmp_path / "out" / "tables" / "audit_leads.csv", dtype={"id_number": str})
    assert len(csv) == len(leads) and csv["id_number"].tolist() == leads["id_number"].tolist()

    # the page: the first 5 leads, the summary's lines and tables, the chart
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    tables = _page_tables(tmp_path / "out" / "report.html")
    assert "table-audit_leads" not in tables  # the full table is not on the page
    top = tables["table-audit_leads_top"]
    assert len(top) == 1 + 5 and top[0] == list(leads.columns)
    assert [r[0] for r in top[1:]] == leads["id_number"].head(5).tolist()
    assert f"Leads: the first 5 of {len(leads):,}" in page
    by_rule = tables["table-audit_leads_by_rule"]
    want = leads.groupby("rule")["amount_at_risk"].sum()
    shown = {r[0]: r[-1] for r in by_rule[1:]}
    assert shown == {text(f"plot.audit.rule.{k}", "en"): f"{round(v):,}" for k, v in want.items()}
    assert "Vehicle owner" in shown
    for key in ("rows", "checked", "persons", "leads", "amount"):
        assert f'<th scope="row">{text(f"audit.result.header.{key}", "en")}</th>' in page
    assert f"<td>{len(leads):,}</td>" in page
    assert "Top leads" not in page  # the summary's top 10 is replaced by the leads table
    assert 'id="chart-audit_chart"' in page
    # the top table also has its sheet; every summary table has one
    assert files.sheets["audit_leads_top"] == "Top leads"
    for key in ("audit_leads_by_rule", "audit_leads_by_programme", "audit_leads_by_village"):
        assert key in files.sheets


def test_few_leads_one_table_in_chinese(county, tmp_path):
    leads = county.leads
    assert len(leads) <= sections_audit.PAGE_LEADS
    files = report({"审计": county}, tmp_path / "audit.xlsx", lang="zh", progress=False)
    header, body = _sheet_rows(files.excel, files.sheets["audit_leads"])
    assert files.sheets["audit_leads"] == "疑点线索"
    assert header[:3] == ["身份证号码", "姓名", "项目"] and "证据" in header
    assert len(header) == leads.shape[1] and len(body) == len(leads)
    assert all(_same(c, v) for c, v in zip(body[-1], leads.iloc[-1], strict=True))
    assert "audit_leads_top" not in files.sheets

    page = report(county, tmp_path / "audit.html", lang="zh", progress=False).html
    tables = _page_tables(page)
    assert len(tables["table-audit_leads"]) == 1 + len(leads)
    html = page.read_text(encoding="utf-8")
    assert f"疑点线索（全部 {len(leads):,} 条）" in html
    assert "按规则分的疑点线索" in html and "支付记录数" in html
    by_rule = tables["table-audit_leads_by_rule"]
    assert {r[0] for r in by_rule[1:]} == {
        text(f"plot.audit.rule.{r}", "zh") for r in leads["rule"]
    }
    assert "死亡后仍发放" in html
    # an audit alone is titled as one, not as a poverty report
    assert "<title>惠民资金名单审计报告" in html and "多维贫困报告" not in html


def test_leads_frame_keeps_values(county):
    frame, formats = sections_audit.leads_frame(county, "en")
    leads = county.leads.reset_index(drop=True)
    assert list(frame.columns) == list(leads.columns) and len(frame) == len(leads)
    pd.testing.assert_series_equal(frame["amount_at_risk"], leads["amount_at_risk"])
    assert formats["id_number"] == "text" and formats["amount_at_risk"] == "integer"
    assert frame["household_id"].map(lambda v: v is None or isinstance(v, str)).all()
