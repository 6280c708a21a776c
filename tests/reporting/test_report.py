"""mpi.report on the bundled two-round survey: one report in English and one in Chinese,
written to a directory (report.html, report.xlsx, tables/*.csv, charts/*.png).

The page must be valid HTML5 and self-contained; the numbers of the page (to the digits
shown), of the workbook read back with openpyxl and of the CSV files (to 1e-12) must be
those of ``result.to_dataset()``, ``se`` and ``ci()``; the Chinese report must be Chinese
throughout; the cells under the small-cell rule must be exactly the marked ones.
"""

from __future__ import annotations

import base64
import re
import warnings
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

import mpi
from mpi._common.labels import catalogue, measure_label, text
from mpi.reporting import ReportFiles, Suppression, report

#: The rule of these tests: 4 of the 12 round x region cells have fewer than 400 units.
RULE = Suppression(min_cell=400)
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}  # fmt: skip
#: Elements a <p> may not contain (the parser would close the <p> before them).
BLOCKS = {"div", "table", "section", "figure", "pre", "ul", "ol", "h1", "h2", "h3", "p", "nav",
          "header", "footer", "main"}  # fmt: skip


class Checker(HTMLParser):
    """Balanced tags, a doctype, unique ids, no <p> around blocks, rows inside row groups;
    collects the text outside <pre>, the <img> sources and the cells of every table."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.doctype = ""
        self.ids: list[str] = []
        self.images: list[str] = []
        self.links: list[str] = []
        self.words: list[str] = []
        self.tables: dict[str, list[list[tuple[str, str]]]] = {}
        self.counts: dict[str, int] = {}
        self.html_lang = ""
        self._table: str | None = None
        self._cell: list[str] | None = None
        self._cell_class = ""

    def handle_decl(self, decl: str) -> None:
        self.doctype = decl

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        self.counts[tag] = self.counts.get(tag, 0) + 1
        if "id" in a:
            self.ids.append(a["id"])
        if tag == "html":
            self.html_lang = a.get("lang", "")
        if tag in ("script", "iframe", "object", "embed", "link", "base"):
            self.errors.append(f"<{tag}> in a self-contained page")
        if "src" in a:
            self.images.append(a["src"])
        if "href" in a:
            self.links.append(a["href"])
        if tag in BLOCKS and "p" in self.stack:
            self.errors.append(f"<{tag}> inside <p>")
        if tag == "tr" and self.stack and self.stack[-1] not in ("thead", "tbody", "tfoot"):
            self.errors.append(f"<tr> inside <{self.stack[-1]}>")
        if tag == "table":
            self._table = a.get("id", f"anonymous{len(self.tables)}")
            self.tables[self._table] = []
        if tag == "tr" and self._table is not None:
            self.tables[self._table].append([])
        if tag in ("td", "th") and self._table is not None:
            self._cell, self._cell_class = [], a.get("class", "")
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            self.errors.append(f"end tag of the void element {tag}")
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
            return
        self.stack.pop()
        if tag in ("td", "th") and self._cell is not None and self._table is not None:
            self.tables[self._table][-1].append(("".join(self._cell).strip(), self._cell_class))
            self._cell = None
        if tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if "pre" not in self.stack and "style" not in self.stack and data.strip():
            self.words.append(data.strip())


def check(page: str) -> Checker:
    parser = Checker()
    parser.feed(page)
    parser.close()
    return parser


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return mpi.datasets.load("dhs_rounds")


@pytest.fixture(scope="module")
def rounds(data: pd.DataFrame) -> mpi.MeasureResult:
    design = mpi.Design("weight", strata="stratum", psu="psu", rounds="round")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mpi.MissingDataWarning)
        return mpi.measure(
            data, mpi.presets.global_mpi_2018(), by=["round", "region"], design=design
        )


@pytest.fixture(scope="module")
def change(rounds: mpi.MeasureResult) -> mpi.ChangeResult:
    return rounds.change("round")


#: Section titles (the caller's words) per language.
TITLES = {"en": ("Rounds", "Change"), "zh": ("各轮次测算", "变化")}


def _write(tmp: Path, lang: str, rounds, change, data) -> tuple[ReportFiles, Path]:
    out = tmp / f"report_{lang}"
    a, b = TITLES[lang]
    files = report(
        {a: rounds, b: change}, out, lang=lang, data=data, suppression=RULE, progress=False
    )
    return files, out


@pytest.fixture(scope="module")
def en(tmp_path_factory, rounds, change, data) -> tuple[ReportFiles, Path]:
    return _write(tmp_path_factory.mktemp("en"), "en", rounds, change, data)


@pytest.fixture(scope="module")
def zh(tmp_path_factory, rounds, change, data) -> tuple[ReportFiles, Path]:
    return _write(tmp_path_factory.mktemp("zh"), "zh", rounds, change, data)


def _pct(x: float) -> str:
    return f"{100 * x:.1f}"


# -- the files ------------------------------------------------------------------------------
def test_a_directory_gets_page_workbook_tables_and_charts(en) -> None:
    files, out = en
    assert files.html == out / "report.html" and files.excel == out / "report.xlsx"
    assert list(files) == files.paths and len(files) == 2 + len(files.tables) + len(files.charts)
    assert all(p.is_file() and p.stat().st_size > 0 for p in files)
    assert {p.parent.name for p in files.tables} == {"tables"}
    assert {p.suffix for p in files.tables} == {".csv"}
    assert {p.parent.name for p in files.charts} == {"charts"}
    names = {p.stem for p in files.tables}
    assert {"measures_estimates_cross", "measures_estimates_round", "measures_indicators",
            "measures_results_frame", "changes_changes", "changes_decomposition",
            "quality_missing", "quality_cells", "data_missing"} <= names  # fmt: skip
    from PIL import Image

    for png in files.charts:
        with Image.open(png) as im:
            assert im.format == "PNG"
            assert tuple(round(d) for d in im.info["dpi"]) == (150, 150)


# -- the page ---------------------------------------------------------------------------------
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_page_is_valid_self_contained_html5(lang, en, zh) -> None:
    page = (en if lang == "en" else zh)[0].html.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    doc = check(page)
    assert doc.errors == []
    assert doc.stack == []
    assert doc.doctype.lower() == "doctype html"
    assert doc.html_lang == {"en": "en", "zh": "zh-CN"}[lang]
    assert doc.counts["html"] == doc.counts["head"] == doc.counts["body"] == 1
    assert doc.counts.get("title") == 1 and '<meta charset="utf-8">' in page
    assert len(doc.ids) == len(set(doc.ids)), "duplicate ids"
    # nothing from the network: images are embedded PNGs, links are anchors of the page
    assert doc.images and all(s.startswith("data:image/png;base64,") for s in doc.images)
    for src in doc.images:
        assert base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    assert all(h.startswith("#") and h[1:] in doc.ids for h in doc.links)
    assert "http://" not in page and "https://" not in page and "@import" not in page
    assert "@media print" in page


def test_sections_in_order(en) -> None:
    doc = check(en[0].html.read_text(encoding="utf-8"))
    sections = [
        i
        for i in doc.ids
        if i in ("brief", "measures", "changes", "quality", "methods", "spec", "history")
    ]
    assert sections == ["brief", "measures", "changes", "quality", "methods", "spec", "history"]


def test_the_brief_shows_the_latest_round_with_intervals(en, rounds) -> None:
    page = en[0].html.read_text(encoding="utf-8")
    by_round = rounds.marginal("round")
    ds = by_round.to_dataset().sel(round=2020)
    ci = by_round.ci().sel(round=2020)
    for name in ("H", "A"):
        lo, hi = (float(ci[name].sel(bound=b)) for b in ("lower", "upper"))
        card = (
            f'{_pct(float(ds[name]))}%</div><div class="detail">95% CI: {_pct(lo)}% to {_pct(hi)}%'
        )
        assert card in page
    m0, lo, hi = float(ds.M0), *(float(ci.M0.sel(bound=b)) for b in ("lower", "upper"))
    assert f'{m0:.3f}</div><div class="detail">95% CI: {lo:.3f} to {hi:.3f}' in page
    assert f"{int(ds.n_obs):,}</div>" in page
    # the ranking sentence names the groups with the highest and lowest M0 in 2020
    m0r = rounds.to_dataset().M0.sel(round=2020)
    top, bottom = str(m0r.idxmax().values), str(m0r.idxmin().values)
    assert f"highest in {top} ({float(m0r.max()):.3f}) and lowest in {bottom}" in page
    # the largest contribution of the latest round
    contrib = ds.contribution
    best = str(contrib.indicator_label.values[int(np.argmax(contrib.values))])
    assert f"are {best} ({_pct(float(contrib.max()))}%)" in page


def test_the_publication_table_shows_the_dataset_to_its_digits(en, rounds) -> None:
    doc = check(en[0].html.read_text(encoding="utf-8"))
    rows = doc.tables["table-measures_estimates_cross"]
    ds, se, ci = rounds.to_dataset(), rounds.se, rounds.ci()
    body = {r[0][0]: r[1:] for r in rows[1:] if "/" in r[0][0]}
    assert len(body) == 12
    checked = 0
    for year in (2015, 2020):
        for region in ds.region.values:
            cells = body[f"{year} / {region}"]
            n = int(ds.n_obs.sel(round=year, region=region))
            assert cells[-1][0] == f"{n:,}"
            for j, name in enumerate(("H", "A", "M0")):
                shown, cls = cells[j]
                if n < 400:
                    assert shown == "—" and "suppressed" in cls
                    continue
                at = dict(round=year, region=region)
                want = (
                    f"{_pct(float(ds[name].sel(at)))} ({_pct(float(se[name].sel(at)))}) "
                    f"[{_pct(float(ci[name].sel({**at, 'bound': 'lower'})))}, "
                    f"{_pct(float(ci[name].sel({**at, 'bound': 'upper'})))}]"
                )
                assert shown == want and "suppressed" not in cls
                checked += 1
    assert checked == 8 * 3


def test_suppression_marks_exactly_the_cells_under_the_rule(en, rounds) -> None:
    doc = check(en[0].html.read_text(encoding="utf-8"))
    n = rounds.to_dataset().n_obs.to_series()
    small = {f"{y} / {r}" for (y, r), v in n.items() if v < 400}
    assert small == {"2015 / Coast", "2015 / Highlands", "2020 / Capital", "2020 / Highlands"}
    rows = doc.tables["table-measures_estimates_cross"]
    marked = {r[0][0] for r in rows if any("suppressed" in c for _, c in r)}
    assert marked == small
    # the rule is stated under the table and in the methodology
    page = en[0].html.read_text(encoding="utf-8")
    assert page.count(RULE.describe("en")) >= 2
    # the group sizes of the data-quality section flag the same groups
    cells = doc.tables["table-quality_cells"]
    flagged = {f"{r[0][0]} / {r[1][0]}" for r in cells[1:] if "suppressed" in r[2][1]}
    assert flagged == small
    assert all(r[2][0].endswith("*") == (f"{r[0][0]} / {r[1][0]}" in small) for r in cells[1:])


def test_the_changes_are_shown_to_their_digits(en, change) -> None:
    doc = check(en[0].html.read_text(encoding="utf-8"))
    rows = doc.tables["table-changes_changes"]
    ds, se = change.to_dataset(), change.se
    ci = change.ci()
    header = [c for c, _ in rows[0]]
    col = header.index("Change in M0 (percentage points)")
    for row in rows[1:]:
        region = row[0][0]
        at = dict(region=region, period="2015-2020", change="absolute")
        v, s = 100 * float(ds.M0.sel(at)), 100 * float(se.M0.sel(at))
        lo, hi = (100 * float(ci.M0.sel({**at, "bound": b})) for b in ("lower", "upper"))
        assert row[col][0] == f"{v:.1f} ({s:.1f}) [{lo:.1f}, {hi:.1f}]"


def test_data_quality_counts(en, rounds, data) -> None:
    doc = check(en[0].html.read_text(encoding="utf-8"))
    overall = rounds.overall.to_dataset()
    missing = {r[0][0]: r for r in doc.tables["table-quality_missing"][1:]}
    for ind in rounds.spec:
        row = missing[ind.label]
        assert row[1][0] == ind.variable
        assert row[3][0] == f"{int(overall.n_missing.sel(indicator=ind.name)):,}"
    in_data = {r[0][0]: r for r in doc.tables["table-data_missing"][1:]}
    for column in ("undernourished", "weight", "stratum", "psu", "round", "region"):
        assert in_data[column][2][0] == f"{int(data[column].isna().sum()):,}"
    page = en[0].html.read_text(encoding="utf-8")
    assert f"<td>{int(overall.n_dropped):,}</td>" in page
    assert f"<td>{len(data):,}</td>" in page
    assert "24 strata, 240 primary sampling units" in page
    assert text("report.quality.rule_drop", "en").replace("'", "&#x27;") in page


def test_methodology_spec_and_history(en, rounds, change) -> None:
    page = en[0].html.read_text(encoding="utf-8")
    import html

    plain = html.unescape(page)
    assert text("report.def.M0", "en") in plain
    assert rounds.spec.to_yaml().strip() in plain
    for res in (rounds, change):
        assert res.to_dataset().attrs["history"].strip() in plain
    for ref in ("Alkire, S. and Foster, J. (2011)", "Alkire, S., Roche, J. M. and Vaz, A. (2017)"):
        assert ref in plain
    assert f"xmpi {mpi.__version__}" in plain


# -- the CSV files ----------------------------------------------------------------------------
def test_the_csv_numbers_are_the_datasets(en, rounds) -> None:
    out = en[1]
    frame = pd.read_csv(out / "tables" / "measures_estimates_cross.csv", encoding="utf-8-sig")
    ds, se, ci = rounds.to_dataset(), rounds.se, rounds.ci()
    group = frame.columns[0]
    frame = frame.set_index(group)
    for year in (2015, 2020):
        for region in ds.region.values:
            row = frame.loc[f"{year} / {region}"]
            at = dict(round=year, region=region)
            n = int(ds.n_obs.sel(at))
            assert row["Units (unweighted)"] == n
            for name in ("H", "A", "M0"):
                label = measure_label(name, "en")
                got = [
                    row[f"{label}: {s}"]
                    for s in ("Estimate", "Standard error", "Lower bound", "Upper bound")
                ]
                if n < 400:
                    assert all(np.isnan(got))
                    continue
                want = [
                    float(ds[name].sel(at)),
                    float(se[name].sel(at)),
                    float(ci[name].sel({**at, "bound": "lower"})),
                    float(ci[name].sel({**at, "bound": "upper"})),
                ]
                np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
    overall = frame.loc["Overall"]
    np.testing.assert_allclose(
        overall["Adjusted headcount ratio (M0): Estimate"],
        float(rounds.overall.to_dataset().M0),
        rtol=0,
        atol=1e-12,
    )


def test_the_results_frame_csv(en, rounds) -> None:
    frame = pd.read_csv(
        en[1] / "tables" / "measures_results_frame.csv",
        encoding="utf-8-sig",
        keep_default_na=False,
        na_values=[""],
    )
    assert {
        "spec",
        "weighting",
        "k",
        "measure",
        "indicator",
        "subgroup",
        "subgroup_value",
        "b",
        "se",
        "ll",
        "ul",
        "pval",
        "n",
        "suppressed",
    } <= set(frame.columns)
    m0 = frame[(frame.measure == "M0") & (frame.subgroup == "round / region")]
    ds, se = rounds.to_dataset(), rounds.se
    for _, row in m0.iterrows():
        year, region = row.subgroup_value.split(" / ")
        at = dict(round=int(year), region=region)
        assert row.n == int(ds.n_obs.sel(at))
        assert bool(row.suppressed) == (row.n < 400)
        if row.suppressed:
            assert np.isnan(row.b) and np.isnan(row.se)
        else:
            assert abs(row.b - float(ds.M0.sel(at))) < 1e-12
            assert abs(row.se - float(se.M0.sel(at))) < 1e-12
    assert set(frame.k) == {"1/3"}


def test_the_change_csv(en, change) -> None:
    frame = pd.read_csv(en[1] / "tables" / "changes_changes.csv", encoding="utf-8-sig")
    frame = frame.set_index(frame.columns[0])
    ds, se = change.to_dataset(), change.se
    for region in ds.region.values:
        at = dict(region=region, period="2015-2020", change="relative")
        assert (
            abs(frame.loc[region, "Relative change in M0 (%): Estimate"] - float(ds.M0.sel(at)))
            < 1e-12
        )
        assert (
            abs(
                frame.loc[region, "Relative change in M0 (%): Standard error"]
                - float(se.M0.sel(at))
            )
            < 1e-12
        )


# -- the workbook -------------------------------------------------------------------------------
def _sheet_frame(ws) -> tuple[list, list[list]]:
    header = [c.value for c in ws[2]]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=3)]
    rows = [r for r in rows if any(v is not None for v in r)]
    return header, rows


def test_the_workbook_holds_the_numbers_with_formats(en, rounds) -> None:
    files = en[0]
    wb = openpyxl.load_workbook(files.excel)
    assert all(len(name) <= 31 for name in wb.sheetnames)
    assert len(set(n.lower() for n in wb.sheetnames)) == len(wb.sheetnames)
    assert set(files.sheets) == {p.stem for p in files.tables}
    ws = wb[files.sheets["measures_estimates_cross"]]
    assert ws.freeze_panes == "A3"
    assert all(c.font.bold for c in ws[2] if c.value is not None)
    header, rows = _sheet_frame(ws)
    by_label = {r[0]: r for r in rows if isinstance(r[0], str) and "/" in r[0]}
    ds, se = rounds.to_dataset(), rounds.se
    est = header.index("Headcount ratio (H): Estimate")
    err = header.index("Headcount ratio (H): Standard error")
    units = header.index("Units (unweighted)")
    for year in (2015, 2020):
        for region in ds.region.values:
            at = dict(round=year, region=region)
            r = by_label[f"{year} / {region}"]
            n = int(ds.n_obs.sel(at))
            assert r[units] == n
            if n < 400:
                assert r[est] == "—"
                continue
            assert abs(r[est] - float(ds.H.sel(at))) < 1e-12
            assert abs(r[err] - float(se.H.sel(at))) < 1e-12
    row3 = list(ws.iter_rows(min_row=3, max_row=3))[0]
    assert row3[est].number_format == "0.0%"
    assert row3[err].number_format == "0.0000"
    assert row3[units].number_format == "#,##0"
    widths = [ws.column_dimensions[c].width for c in ("A", "B")]
    assert all(w is not None and w >= 8 for w in widths)


def test_the_workbook_has_notes_and_charts(en, rounds) -> None:
    files = en[0]
    wb = openpyxl.load_workbook(files.excel)
    notes = wb["notes"]
    lines = [(r[0].value, r[1].value) for r in notes.iter_rows(min_row=2)]
    texts = [t for _, t in lines]
    assert RULE.describe("en") in texts
    assert text("report.def.H", "en") in texts
    assert "name: global_mpi_2018" in texts  # the spec, line by line
    assert any(t and t.startswith("xmpi ") for t in texts)
    assert rounds.to_dataset().attrs["history"].strip() in texts
    assert ("Survey design", "Stratified cluster sample") in lines
    charts = wb["charts"]
    assert len(charts._images) == len(files.charts)


# -- the Chinese report -----------------------------------------------------------------------
def test_the_chinese_report_is_chinese(zh, rounds) -> None:
    files, _ = zh
    page = files.html.read_text(encoding="utf-8")
    doc = check(page)
    shown = "\n".join(doc.words)
    for key in (
        "report.brief.title",
        "report.quality.title",
        "report.methods.title",
        "report.spec.title",
        "report.history.title",
        "measure.n_obs",
    ):
        assert text(key, "zh") in shown
    for name in ("H", "A", "M0"):
        assert measure_label(name, "zh") in shown
    # no English text of the catalogue is left: the words of the data and of the spec
    # (its title, references, indicator labels) aside, and English terms that the Chinese
    # texts keep themselves ("logit")
    spec = rounds.spec
    for data_text in (
        spec.title,
        spec.source,
        *(i.label for i in spec),
        *(i.rule for i in spec),  # the indicators' rules hold data values ('none')
        *rounds.to_dataset().attrs["references"].split(" Spec: "),
    ):
        shown = shown.replace(data_text, "")
    zh_texts = "\n".join(t["zh"] for t in catalogue().values())
    english = {
        t["en"]
        for t in catalogue().values()
        if t["en"] != t["zh"]
        and re.search("[a-z]{4}", t["en"])
        and "{" not in t["en"]
        and t["en"] not in zh_texts
    }
    left = sorted(e for e in english if e in shown)
    assert left == []
    assert "政策简报" in shown and "置信区间" in shown


def test_the_chinese_workbook(zh) -> None:
    files, _ = zh
    wb = openpyxl.load_workbook(files.excel)
    assert "说明" in wb.sheetnames and "图表" in wb.sheetnames
    assert all(len(name) <= 31 and not set(name) & set("[]:*?/\\'") for name in wb.sheetnames)
    ws = wb[files.sheets["measures_estimates_cross"]]
    header = [c.value for c in ws[2]]
    assert f"{measure_label('H', 'zh')}：{text('common.estimate', 'zh')}" in header
    assert RULE.describe("zh") in [r[1].value for r in wb["说明"].iter_rows(min_row=2)]


def test_the_chinese_csv_headers(zh) -> None:
    frame = pd.read_csv(zh[1] / "tables" / "measures_estimates_region.csv", encoding="utf-8-sig")
    assert f"{measure_label('M0', 'zh')}：{text('common.se', 'zh')}" in frame.columns
    assert frame.iloc[0, 0] == text("common.overall", "zh")
    # the rounds are separate samples (Design(rounds="round")): no row pools them
    by_round = pd.read_csv(zh[1] / "tables" / "measures_estimates_round.csv", encoding="utf-8-sig")
    assert by_round.iloc[:, 0].tolist() == [2015, 2020]


def test_the_brief_counts_the_groups_with_a_significant_change(en, change) -> None:
    page = en[0].html.read_text(encoding="utf-8")
    ci = change.ci().sel(period="2015-2020", change="absolute")
    down = int((ci.M0.sel(bound="upper") < 0).sum())
    up = int((ci.M0.sel(bound="lower") > 0).sum())
    assert (down, up) == (3, 0)
    assert (
        f"M0 fell significantly (at the 95% level) in {down} of the 6 groups of region; "
        "it rose significantly in none." in page
    )
