"""``mpi measure`` end to end: the same survey round as CSV, Parquet, Stata and SPSS gives the
numbers of ``mpi.measure`` (to 1e-12) in the CSV tables, the workbook and (to the digits
shown) the HTML page; Chinese reports; the small-cell rule marks exactly the cells under it."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from cli_helpers import TABLE_FORMATS, html_table, invoke, sheet_with_header
from click.testing import Result

import mpi
from mpi._common.labels import measure_label, text
from mpi.kernels._config import NOTICE
from mpi.plot._fonts import NO_CJK_FONT

#: The official global MPI, as a policy team would run it on one survey round.
ARGS = (
    "--spec", "global_mpi_2018", "--weight", "weight", "--size", "hh_size", "--by", "region",
    "--strata", "stratum", "--psu", "psu", "--no-progress",
)  # fmt: skip
HEADLINE = ("H", "A", "M0")


@pytest.fixture(scope="module")
def expected(latest: pd.DataFrame) -> mpi.MeasureResult:
    """What the command line must reproduce: people weighted, by region, with the design."""
    people = latest.assign(person_weight=latest["weight"] * latest["hh_size"])
    design = mpi.Design("person_weight", strata="stratum", psu="psu")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mpi.MissingDataWarning)
        return mpi.measure(people, mpi.presets.global_mpi_2018(), by="region", design=design)


#: The language of each format's report (the SPSS one in Chinese).
LANG = {"csv": "en", "parquet": "en", "dta": "en", "sav": "zh"}


@pytest.fixture(scope="module")
def reports(latest_files, tmp_path_factory) -> dict[str, tuple[Path, Result]]:
    """``mpi measure`` run once on each file format (bars asked for, and --no-progress)."""
    out = {}
    for fmt in TABLE_FORMATS:
        folder = tmp_path_factory.mktemp(f"report_{fmt}")
        args = (*ARGS, "--lang", LANG[fmt], "--out", folder)
        out[fmt] = folder, invoke("measure", latest_files[fmt], *args, env={"XMPI_PROGRESS": "1"})
    return out


_VALUES: dict[int, tuple[tuple[xr.Dataset, ...], tuple[xr.Dataset, ...]]] = {}


def _values(result: mpi.MeasureResult, region: str | None) -> tuple[xr.Dataset, ...]:
    """Estimates, SEs and 95% CIs of the whole population (None) or of one region."""
    if id(result) not in _VALUES:  # the standard errors and intervals are computed once
        overall = result.overall
        _VALUES[id(result)] = (
            (overall.to_dataset(), overall.se, overall.ci(0.95)),
            (result.to_dataset(), result.se, result.ci(0.95)),
        )
    whole, groups = _VALUES[id(result)]
    if region is None:
        return whole
    return tuple(ds.sel(region=region) for ds in groups)


def _select(da: xr.DataArray, item: str | None) -> float:
    if item is None or (isinstance(item, float) and math.isnan(item)):
        return float(da)
    dim = "indicator" if "indicator" in da.dims else "dimension"
    return float(da.sel({dim: item}))


@pytest.mark.parametrize("fmt", TABLE_FORMATS)
def test_measure_writes_the_report_and_warns_once(reports, fmt):
    folder, result = reports[fmt]
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == text("cli.done", LANG[fmt], path=str(folder))
    written = [Path(line.strip()) for line in lines[1:]]
    assert folder / "report.html" in written and folder / "report.xlsx" in written
    assert all(p.is_file() and p.stat().st_size > 0 for p in written)
    assert any(p.suffix == ".csv" for p in written) and any(p.suffix == ".png" for p in written)
    # XMPI_PROGRESS=1 also shows numba's one-line compile notice when this process compiles
    # (a cold cache, as in CI), and a machine without a CJK font one line saying so (CI has
    # the font): those lines aside, the one warning and nothing else
    aside = {NOTICE, f"mpi: warning: {NO_CJK_FONT}"}
    stderr = "".join(
        line for line in result.stderr.splitlines(keepends=True) if line.rstrip() not in aside
    )
    assert stderr.startswith("mpi: warning: 398 of 3000 units dropped for missing values")
    assert stderr.count("\n") == 1
    assert "\r" not in result.stderr  # --no-progress wins over XMPI_PROGRESS=1


@pytest.mark.parametrize("fmt", TABLE_FORMATS)
def test_results_frame_csv_equals_mpi_measure(reports, expected, fmt):
    folder, _ = reports[fmt]
    frame = pd.read_csv(folder / "tables" / "measures_results_frame.csv")
    assert set(frame["weighting"]) == {"weight*hh_size"} and set(frame["k"]) == {"1/3"}
    assert set(HEADLINE) <= set(frame["measure"])
    regions = set(expected.to_dataset()["region"].values)
    assert set(frame["subgroup_value"].dropna()) == regions
    checked = 0
    for row in frame.itertuples():
        region = None if pd.isna(row.subgroup_value) else row.subgroup_value
        ds, se, ci = _values(expected, region)
        item = None if pd.isna(row.indicator) else row.indicator
        assert abs(row.b - _select(ds[row.measure], item)) < 1e-12, row
        if row.measure in se:
            assert abs(row.se - _select(se[row.measure], item)) < 1e-12, row
        if row.measure in ci and row.measure in HEADLINE:
            assert abs(row.ll - _select(ci[row.measure].sel(bound="lower"), item)) < 1e-12
            assert abs(row.ul - _select(ci[row.measure].sel(bound="upper"), item)) < 1e-12
        assert row.n == int(ds["n_obs"])
        checked += 1
    assert checked == len(frame) >= 3 * 7


def _estimates_columns(lang: str = "en") -> dict[str, tuple[str, str]]:
    """Column of the estimates table -> (measure, statistic)."""
    stats = {"Estimate": "common.estimate", "Standard error": "common.se",
             "Lower bound": "common.lower", "Upper bound": "common.upper"}  # fmt: skip
    colon = ": " if lang == "en" else "："
    out = {}
    for m in HEADLINE:
        for stat, key in stats.items():
            out[f"{measure_label(m, lang)}{colon}{text(key, lang)}"] = (m, stat)
    return out


def _check_estimates(table: pd.DataFrame, expected: mpi.MeasureResult, lang: str = "en") -> None:
    overall = text("common.overall", lang)
    columns = _estimates_columns(lang)
    rows = table.set_index(table.columns[0])
    assert list(rows.index)[0] == overall
    assert set(rows.index) == {overall, *expected.to_dataset()["region"].values}
    for label, row in rows.iterrows():
        ds, se, ci = _values(expected, None if label == overall else str(label))
        assert row[measure_label("n_obs", lang)] == int(ds["n_obs"])
        for col, (m, stat) in columns.items():
            want = {
                "Estimate": ds[m],
                "Standard error": se[m],
                "Lower bound": ci[m].sel(bound="lower"),
                "Upper bound": ci[m].sel(bound="upper"),
            }[stat]
            assert abs(float(row[col]) - float(want)) < 1e-12, (label, col)


@pytest.mark.parametrize("fmt", TABLE_FORMATS)
def test_estimates_csv_and_workbook_equal_mpi_measure(reports, expected, fmt):
    folder, _ = reports[fmt]
    table = pd.read_csv(folder / "tables" / "measures_estimates.csv")
    _check_estimates(table, expected, LANG[fmt])
    sheet = sheet_with_header(folder / "report.xlsx", list(table.columns))
    assert len(sheet) == len(table) or not isinstance(sheet[len(table)][1], float)
    for row, (_, want) in zip(sheet[: len(table)], table.iterrows(), strict=True):
        assert row[0] == want.iloc[0]
        got = np.array(row[1 : len(table.columns)], dtype=float)
        np.testing.assert_allclose(got, want.iloc[1:].to_numpy(float), rtol=0, atol=1e-12)


@pytest.mark.parametrize("fmt", TABLE_FORMATS)
def test_html_shows_the_numbers(reports, expected, fmt):
    folder, _ = reports[fmt]
    lang = LANG[fmt]
    page = (folder / "report.html").read_text(encoding="utf-8")
    rows = html_table(page, "table-measures_estimates")
    header, body = rows[0], rows[1:]
    for cell, m in zip(header[1:4], HEADLINE, strict=True):
        assert measure_label(m, lang) in cell
    overall = text("common.overall", lang)
    assert body[0][0] == overall
    for row in body:
        ds, se, ci = _values(expected, None if row[0] == overall else row[0])
        for cell, m in zip(row[1:4], HEADLINE, strict=True):
            lo, hi = (float(ci[m].sel(bound=b)) for b in ("lower", "upper"))
            want = f"{100 * float(ds[m]):.1f} ({100 * float(se[m]):.1f}) [{100 * lo:.1f}, {100 * hi:.1f}]"
            assert cell == want, (row[0], m)
        assert row[4] == f"{int(ds['n_obs']):,}"


def test_query_selects_the_round_from_the_pooled_file(rounds_csv, reports, tmp_path):
    result = invoke("measure", rounds_csv, *ARGS, "--query", "round == 2020", "--out", tmp_path)
    assert result.exit_code == 0, result.output
    got = pd.read_csv(tmp_path / "tables" / "measures_estimates.csv")
    want = pd.read_csv(reports["csv"][0] / "tables" / "measures_estimates.csv")
    pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=0, atol=1e-12)


def test_chinese_report(reports):
    folder, result = reports["sav"]
    assert result.stdout.splitlines()[0] == f"报告已写入 {folder}："
    table = pd.read_csv(folder / "tables" / "measures_estimates.csv")
    assert f"{measure_label('M0', 'zh')}：{text('common.estimate', 'zh')}" in table.columns
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in page
    assert text("cli.title.measure", "zh", spec="global_mpi_2018") in page
    assert text("cli.section.measures", "zh") in page
    english = (reports["csv"][0] / "report.html").read_text(encoding="utf-8")
    assert text("cli.section.measures", "en") in english and '<html lang="en">' in english


@pytest.mark.parametrize("flag", [False, True])
def test_min_cell_marks_exactly_the_small_regions(latest_files, expected, tmp_path, flag):
    n = expected.to_dataset()["n_obs"].to_series()
    cut = int(n.sort_values().iloc[3])  # the three smallest regions fall under the rule
    options = ["--min-cell", str(cut)] + (["--flag"] if flag else [])
    result = invoke("measure", latest_files["csv"], *ARGS, *options, "--out", tmp_path)
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(tmp_path / "tables" / "measures_results_frame.csv")
    regional = frame[frame["subgroup"] == "region"]
    small = set(n[n < cut].index)
    assert len(small) == 3
    hit = regional["subgroup_value"].isin(small)
    assert regional["suppressed"].tolist() == hit.tolist()
    assert not frame.loc[frame["subgroup"] != "region", "suppressed"].any()
    if flag:  # flagged: the numbers stay
        assert regional["b"].notna().all()
    else:  # suppressed: withheld in the published tables
        assert regional.loc[hit, "b"].isna().all() and regional.loc[~hit, "b"].notna().all()
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    rows = html_table(page, "table-measures_estimates")[1:]
    mark = "*" if flag else "—"
    for row in rows:
        marked = [mark in cell for cell in row[1:4]]
        assert marked == [row[0] in small] * 3, row


def test_progress_steps_on_stderr_when_asked(latest_files, tmp_path):
    args = ("--spec", "global_mpi_2018", "--weight", "weight", "--out", tmp_path)
    shown = invoke("measure", latest_files["csv"], *args, env={"XMPI_PROGRESS": "1"})
    assert shown.exit_code == 0, shown.output
    for step in ("reading latest.csv", "measuring", "writing the report"):
        assert step in shown.stderr, step
    assert "\r" in shown.stderr and "\r" not in shown.stdout
    assert shown.stderr.count("mpi: warning: 398 of 3000 units dropped") == 1
    # the other tests run without XMPI_PROGRESS: automatic, and CliRunner's stderr is no
    # terminal, so they show no bar (checked in test_spec_datasets and test_errors)


def test_several_cutoffs_and_the_reweight_rule(latest_files, latest, tmp_path):
    args = ("--spec", "global_mpi_2018", "--weight", "weight", "--by", "area", "--no-progress")
    options = ("--k", "0.2,1/3", "--missing", "reweight")
    result = invoke("measure", latest_files["parquet"], *args, *options, "--out", tmp_path)
    assert result.exit_code == 0, result.output
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mpi.MissingDataWarning)
        want = mpi.measure(
            latest, mpi.presets.global_mpi_2018(), weight="weight", by="area", k=["1/5", "1/3"],
            missing="reweight",
        )  # fmt: skip
    assert "3 of 3000 units dropped for missing values ('reweight' rule)" in result.stderr
    frame = pd.read_csv(tmp_path / "tables" / "measures_results_frame.csv")
    assert set(frame["k"]) == {"1/5", "1/3"}
    assert set(frame["weighting"]) == {"weight"}
    headline = frame[frame["measure"].isin(HEADLINE) & frame["indicator"].isna()]
    assert len(headline) == 3 * 2 * 3  # measures x cutoffs x (overall, urban, rural)
    for row in headline.itertuples():
        k = 0.2 if row.k == "1/5" else 1 / 3
        res = want.overall if pd.isna(row.subgroup_value) else want
        ds = res.to_dataset().sel(k=k, method="nearest")
        if not pd.isna(row.subgroup_value):
            ds = ds.sel(area=row.subgroup_value)
        assert abs(row.b - float(ds[row.measure])) < 1e-12, row
        assert np.isnan(row.se)  # no design, no standard errors


def test_excel_data_with_a_sheet(latest, tmp_path):
    path = tmp_path / "survey.xlsx"
    with pd.ExcelWriter(path) as book:
        pd.DataFrame({"note": ["data on the next sheet"]}).to_excel(
            book, sheet_name="readme", index=False
        )
        latest.head(200).to_excel(book, sheet_name="households", index=False)
    for sheet in ("households", "1"):
        result = invoke("spec", "check", "global_mpi_2018", path, "--sheet", sheet)
        assert result.exit_code == 0, result.output
        assert result.stdout.endswith("with a usable type (200 rows).\n")
    first = invoke("spec", "check", "global_mpi_2018", path)
    assert first.exit_code == 2 and "10 of 10 indicators cannot be measured" in first.stderr
