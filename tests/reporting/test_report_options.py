"""mpi.report's options and inputs: one file (.html or .xlsx), a flagging rule, no rule, a
result without a survey design and with several cutoffs, results that are not
measurements, bad arguments, inputs left unchanged, the progress switch."""

from __future__ import annotations

import copy
import re
import warnings
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
import xarray as xr

import mpi
from mpi._common.labels import text
from mpi.errors import ValidationError
from mpi.reporting import ReportFiles, Suppression, report
from mpi.reporting.write import build_document


@pytest.fixture(scope="module")
def latest() -> pd.DataFrame:
    df = mpi.datasets.load("dhs_rounds")
    return df[df["round"] == 2020]


@pytest.fixture(scope="module")
def by_region(latest: pd.DataFrame) -> mpi.MeasureResult:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mpi.MissingDataWarning)
        return mpi.measure(
            latest,
            mpi.presets.global_mpi_2018(),
            by="region",
            design=mpi.Design("weight", strata="stratum", psu="psu"),
        )


@pytest.fixture(scope="module")
def no_design(latest: pd.DataFrame) -> mpi.MeasureResult:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mpi.MissingDataWarning)
        return mpi.measure(
            latest, mpi.presets.global_mpi_2018(), by="region", weight="weight", k=[0.2, "1/3", 0.5]
        )


def _cells(page: str, table: str) -> list[list[str]]:
    """The cells of the table with id ``table-<table>`` (text, tags dropped)."""
    block = page.split(f'id="table-{table}"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", block)
    return [
        [re.sub("<[^>]+>", "", c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r)]
        for r in rows
    ]


def test_one_html_file(tmp_path: Path, by_region) -> None:
    out = tmp_path / "sub" / "poverty.html"
    files = report(by_region, out, progress=False)
    assert files == ReportFiles(html=out) and list(files) == [out]
    assert sorted(p.name for p in tmp_path.joinpath("sub").iterdir()) == ["poverty.html"]
    page = out.read_text(encoding="utf-8")
    # a single result gets the catalogue's section title
    assert f">{text('report.result.MeasureResult', 'en')}</h2>" in page


def test_one_workbook(tmp_path: Path, by_region) -> None:
    out = tmp_path / "poverty.xlsx"
    files = report({"Regions": by_region}, out, progress=False)
    assert files.excel == out and files.html is None and list(files) == [out]
    wb = openpyxl.load_workbook(out)
    ws = wb[files.sheets["measures_estimates"]]
    header = [c.value for c in ws[2]]
    rows = {r[0].value: r for r in ws.iter_rows(min_row=3) if r[0].value}
    ds = by_region.to_dataset()
    col = header.index("Adjusted headcount ratio (M0): Estimate")
    for region in ds.region.values:
        assert abs(rows[region][col].value - float(ds.M0.sel(region=region))) < 1e-12
    assert abs(rows["Overall"][col].value - float(by_region.overall.to_dataset().M0)) < 1e-12


def test_a_flagging_rule_keeps_the_values(tmp_path: Path, by_region) -> None:
    rule = Suppression(min_cell=400, action="flag")
    files = report(by_region, tmp_path / "flag", suppression=rule, progress=False)
    page = files.html.read_text(encoding="utf-8")
    ds = by_region.to_dataset()
    n = ds.n_obs.to_series()
    small = set(n[n < 400].index)
    assert small == {"Capital", "Highlands"}
    rows = {r[0]: r for r in _cells(page, "measures_estimates")[1:]}
    for region in ds.region.values:
        h = f"{100 * float(ds.H.sel(region=region)):.1f}"
        head = rows[region][1].split(" ")[0]
        assert head == (h + "*" if region in small else h)
    assert rule.describe("en") in page
    frame = pd.read_csv(files.tables[0].parent / "measures_estimates.csv", encoding="utf-8-sig")
    frame = frame.set_index(frame.columns[0])
    for region in small:  # flagged values are published
        assert (
            abs(frame.loc[region, "Headcount ratio (H): Estimate"] - float(ds.H.sel(region=region)))
            < 1e-12
        )
    wb = openpyxl.load_workbook(files.excel)
    ws = wb[files.sheets["measures_estimates"]]
    cells = {r[0].value: r[1] for r in ws.iter_rows(min_row=3) if r[0].value}
    assert cells["Capital"].number_format == '0.0%"*"'
    assert cells["Coast"].number_format == "0.0%"
    assert abs(cells["Capital"].value - float(ds.H.sel(region="Capital"))) < 1e-12


def test_no_rule_publishes_every_cell(tmp_path: Path, by_region) -> None:
    out = tmp_path / "all.html"
    report(by_region, out, suppression=None, progress=False)
    page = out.read_text(encoding="utf-8")
    assert "suppressed" not in re.findall(r'class="([^"]*)"', page.split("<main>", 1)[1])
    assert not any("suppressed" in c for c in re.findall(r'class="([^"]*)"', page))
    assert Suppression().describe("en") not in page
    rows = _cells(page, "measures_estimates")[1:]
    assert all(r[1] != "—" for r in rows)


def test_without_design_and_several_k(tmp_path: Path, no_design) -> None:
    files = report(no_design, tmp_path / "nd", lang="en", progress=False)
    page = files.html.read_text(encoding="utf-8")
    ds = no_design.overall.to_dataset()
    # the brief: the spec's k (1/3), no interval
    m0 = float(ds.M0.sel(k=1 / 3))
    assert f'<div class="value">{m0:.3f}</div><div class="detail"></div>' in page
    assert text("report.methods.no_inference", "en") in page
    # the table of every cutoff: the overall M0 at each k
    rows = _cells(page, "measures_by_k")
    got = {r[0]: r[3] for r in rows[1:]}
    for k, label in ((0.2, "1/5"), (1 / 3, "1/3"), (0.5, "1/2")):
        assert got[label] == f"{100 * float(ds.M0.sel(k=k)):.1f}"
    assert any(p.stem == "measures_k_curve" for p in files.charts)
    frame = pd.read_csv(tmp_path / "nd" / "tables" / "measures_by_k.csv", encoding="utf-8-sig")
    np.testing.assert_allclose(
        frame["Adjusted headcount ratio (M0): Estimate"], ds.M0.values, rtol=0, atol=1e-12
    )


def test_a_national_change_in_the_brief(tmp_path: Path) -> None:
    df = mpi.datasets.load("dhs_rounds")
    design = mpi.Design("weight", strata="stratum", psu="psu", rounds="round")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mpi.MissingDataWarning)
        rounds = mpi.measure(df, mpi.presets.global_mpi_2018(), by="round", design=design)
    change = rounds.change("round")
    files = report({"Rounds": rounds, "Change": change}, tmp_path / "n", progress=False)
    page = files.html.read_text(encoding="utf-8")
    est, ci = change.to_dataset(), change.ci()
    at = {"period": "2015-2020", "change": "absolute"}
    d = float(est.M0.sel(at))
    lo, hi = (float(ci.M0.sel({**at, "bound": b})) for b in ("lower", "upper"))
    assert hi < 0  # a significant fall, said so
    assert (
        f"M0 changed by {d:+.3f} (95% CI: {lo:+.3f} to {hi:+.3f}): a statistically "
        "significant reduction" in page
    )
    dh = 100 * float(est.H.sel(at))
    assert f'<div class="value">{dh:+.1f}</div>' in page
    rel = float(est.M0.sel(period="2015-2020", change="annualized_relative"))
    assert f'<div class="value">{rel:+.1f}%</div>' in page
    # the headline is the latest round, 2020
    m0 = float(rounds.to_dataset().M0.sel(round=2020))
    assert f'<div class="value">{m0:.3f}</div>' in page
    assert {"brief_change", "changes_changes"} <= {p.stem for p in files.charts}


@pytest.fixture(scope="module")
def dynamics() -> dict[str, object]:
    panel = mpi.datasets.load("registry_panel", format="xarray").isel(unit=slice(0, 1200))
    china = mpi.presets.china_2b3g()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mpi.MissingDataWarning)
        states = mpi.panel_states(panel, china, weight="weight", by="labour_capacity")
        return {
            "transitions": mpi.transitions(states, balance="pairs"),
            "chronic": mpi.chronic(states, tau="1/2", balance="observed"),
        }


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_other_results_get_their_summary_and_chart(tmp_path: Path, dynamics, lang) -> None:
    out = tmp_path / f"dyn_{lang}"
    files = report(dynamics, out, lang=lang, progress=False)
    page = files.html.read_text(encoding="utf-8")
    for name, res in dynamics.items():
        assert f">{name}</h2>" in page
        summary = res.summary(lang=lang)
        for label, value in summary.header:
            assert f'<th scope="row">{label}</th><td>{value}</td>'.replace("'", "&#x27;") in page
    assert {p.stem for p in files.charts} == {"transition_chart", "chronic_chart"}
    # a table of the summary, in the CSV, equals the result's own table
    title, table = dynamics["chronic"].summary(lang=lang).tables[0]
    frame = pd.read_csv(out / "tables" / "chronic_headline.csv", encoding="utf-8-sig")
    numeric = table.select_dtypes("number")
    for col in numeric.columns:
        np.testing.assert_allclose(
            frame[str(col)].to_numpy(dtype=float),
            numeric[col].to_numpy(dtype=float),
            rtol=0,
            atol=1e-12,
        )
    # no measurement: the brief and data quality say so
    assert text("report.brief.none", lang) in page
    assert text("report.quality.none", lang) in page


def test_inputs_are_not_changed(tmp_path: Path, latest, by_region) -> None:
    data = latest.copy()
    before = by_region.to_dataset()
    rule = Suppression(min_cell=400)
    report({"r": by_region}, tmp_path / "x.html", data=data, suppression=rule, progress=False)
    pd.testing.assert_frame_equal(data, latest)
    xr.testing.assert_identical(by_region.to_dataset(), before)
    assert rule == Suppression(min_cell=400)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"results": 42}, "results must be a result of mpi"),
        ({"results": {}}, "non-empty mapping"),
        ({"results": {"a": 1}}, r"results\['a'\] is a int"),
        ({"results": {"": "R"}}, "section title"),
        ({"lang": "fr"}, "lang='fr'"),
        ({"path": 3}, "path must be a file name"),
        ({"title": 5}, "title must be a string"),
        ({"suppression": 30}, "suppression must be mpi.Suppression"),
        ({"data": [1, 2]}, "data must be the pandas DataFrame"),
        ({"spec": "global_mpi_2018"}, "spec must be an mpi.Spec"),
        ({"level": 95}, "level must be a number strictly between 0 and 1"),
        ({"progress": "yes"}, "progress must be None"),
    ],
)
def test_bad_arguments(tmp_path: Path, by_region, kwargs, match) -> None:
    args = {"results": by_region, "path": tmp_path / "r.html", **kwargs}
    if args["results"] == {"": "R"}:
        args["results"] = {"": by_region}
    with pytest.raises(ValidationError, match=match):
        report(args.pop("results"), args.pop("path"), **args)
    assert not (tmp_path / "r.html").exists()


def test_a_file_where_a_directory_is_wanted(tmp_path: Path, by_region) -> None:
    target = tmp_path / "taken"
    target.write_text("x")
    with pytest.raises(ValidationError, match="is a file; give a directory"):
        report(by_region, target, progress=False)


def test_progress_on_stderr_only(tmp_path: Path, by_region, capsys) -> None:
    report(by_region, tmp_path / "p.html", progress=True)
    captured = capsys.readouterr()
    assert captured.out == ""
    report(by_region, tmp_path / "q.html", progress=False)
    assert capsys.readouterr().err == ""


def test_the_document_is_built_once_for_every_writer(by_region) -> None:
    doc = build_document(copy.copy({"r": by_region}), progress=False)
    keys = [t.key for t in doc.tables] + [c.key for c in doc.charts]
    assert len(keys) == len(set(keys))
    assert [s.key for s in doc.sections] == [
        "brief",
        "measures",
        "quality",
        "methods",
        "spec",
        "history",
    ]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_other_results_have_readable_headers(tmp_path: Path, dynamics, lang) -> None:
    """Result variables are shown by their catalogue names (not snake_case), and years
    without a thousands separator."""
    files = report({"transitions": dynamics["transitions"]}, tmp_path / lang, lang=lang,
                   progress=False)  # fmt: skip
    page = files.html.read_text(encoding="utf-8")
    frame = pd.read_csv(
        tmp_path / lang / "tables" / "transition_entry_and_exit_rates_by_wave.csv",
        encoding="utf-8-sig",
    )
    for name in ("entry_rate", "exit_rate", "persistence"):
        assert text(f"variable.{name}", lang) in frame.columns
        assert f">{text(f'variable.{name}', lang)}<" in page
        assert f">{name}<" not in page
    assert ">2,015<" not in page and ">2015<" in page
