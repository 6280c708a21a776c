"""Publication tables and the mpitb-style results frame: every number equals the result's
own (to_dataset, se, ci) on the bundled DHS-style survey, with and without a design, several
k, a panel and changes over time; English and Chinese headers; bad input refused."""

from __future__ import annotations

import warnings
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
import scipy.stats
from panel_data import random_panel, random_spec

import mpi
from mpi._common.labels import measure_label
from mpi.reporting.frames import CHANGE_COLUMNS, FRAME_COLUMNS, design_pvalue
from mpi.reporting.suppression import Suppression
from mpi.reporting.tables import estimates_table, publication_table, results_frame

SPEC = mpi.presets.global_mpi_2018()
DESIGN = mpi.Design("weight", strata="stratum", psu="psu")
HEADERS = ["Headcount ratio (H), %", "Intensity (A), %", "Adjusted headcount ratio (M0), %"]


def _quiet(func, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mpi.MissingDataWarning)
        return func(*args, **kwargs)


@pytest.fixture(scope="module")
def rounds() -> pd.DataFrame:
    return mpi.datasets.load("dhs_rounds")


@pytest.fixture(scope="module")
def latest(rounds) -> pd.DataFrame:
    return rounds[rounds["round"] == rounds["round"].max()]


@pytest.fixture(scope="module")
def res(latest):
    return _quiet(mpi.measure, latest, SPEC, by="region", design=DESIGN)


@pytest.fixture(scope="module")
def plain(latest):
    return _quiet(mpi.measure, latest, SPEC, by="region", weight="weight")


@pytest.fixture(scope="module")
def several_k(latest):
    return _quiet(mpi.measure, latest, SPEC, by="region", k=["1/3", 0.2, "1/2"], design=DESIGN)


@pytest.fixture(scope="module")
def change(rounds):
    design = mpi.Design("weight", strata="stratum", psu="psu", rounds="round")
    pooled = _quiet(mpi.measure, rounds, SPEC, by=["round", "region"], design=design)
    return pooled.change("round")


def _value(ds, name, row, k=None):
    """The element of ``ds[name]`` that a results-frame row describes."""
    da = ds[name]
    if row["subgroup"]:
        da = da.sel({row["subgroup"]: row["subgroup_value"]})
    if "indicator" in da.dims:
        da = da.sel(indicator=row["indicator"])
    if "dimension" in da.dims:
        da = da.sel(dimension=row["indicator"])
    if "k" in da.dims:
        da = da.sel(k=k)
    return float(da)


def _check_frame_against(frame, result, inference, k_values=None):
    pieces = {"": result.overall, "region": result}
    data = {s: r.to_dataset() for s, r in pieces.items()}
    se = {s: r.se for s, r in pieces.items()} if inference else {}
    ci = {s: r.ci(0.9) for s, r in pieces.items()} if inference else {}
    for row in frame.to_dict("records"):
        s, m = row["subgroup"], row["measure"]
        k = k_values[row["k"]] if k_values else None
        assert row["b"] == pytest.approx(_value(data[s], m, row, k), abs=1e-12, nan_ok=True)
        assert row["n"] == _value(data[s], "n_obs", {**row, "indicator": ""})
        if inference:
            assert row["se"] == pytest.approx(_value(se[s], m, row, k), abs=1e-12, nan_ok=True)
            lo = _value(ci[s].sel(bound="lower"), m, row, k)
            hi = _value(ci[s].sel(bound="upper"), m, row, k)
            assert row["ll"] == pytest.approx(lo, abs=1e-12, nan_ok=True)
            assert row["ul"] == pytest.approx(hi, abs=1e-12, nan_ok=True)
        else:
            assert np.isnan([row["se"], row["ll"], row["ul"], row["pval"]]).all()


def test_results_frame_equals_the_result(res):
    frame = results_frame(res, level=0.9)
    assert tuple(frame.columns) == FRAME_COLUMNS
    assert frame["n"].dtype == np.int64
    assert set(frame["spec"]) == {"global_mpi_2018"} and set(frame["weighting"]) == {"weight"}
    assert set(frame["k"]) == {"1/3"}
    assert set(frame["subgroup"]) == {"", "region"}
    # every estimate of the Dataset is a row, the national ones and the six regions
    ds = res.to_dataset()
    names = [n for n in ds.data_vars if ds[n].dtype.kind == "f"]
    assert list(dict.fromkeys(frame["measure"])) == names
    expected_rows = (
        sum(
            int(np.prod([ds[n].sizes[d] for d in ds[n].dims if d != "region"])) * 7
            for n in names
            if n not in ("population_share", "group_contribution")
        )
        + 2 * 6
    )
    assert len(frame) == expected_rows
    h = frame[(frame.measure == "H") & (frame.subgroup == "region")]
    assert h["subgroup_value"].tolist() == [str(v) for v in ds["region"].values]
    cont = frame[(frame.measure == "censored_headcount") & (frame.subgroup == "")]
    assert cont["indicator"].tolist() == [i.name for i in SPEC]
    dim = frame[(frame.measure == "dimension_contribution") & (frame.subgroup == "")]
    assert dim["indicator"].tolist() == list(ds["dimension"].values)
    assert (frame.loc[frame.measure == "H", "indicator"] == "").all()
    _check_frame_against(frame, res, inference=True)


def test_results_frame_overall_rows_equal_a_national_measurement(res, latest):
    national = _quiet(mpi.measure, latest, SPEC, design=DESIGN)
    frame = results_frame(res)
    ds, se = national.to_dataset(), national.se
    for m in ("H", "A", "M0", "M1", "vulnerable", "severe"):
        row = frame[(frame.measure == m) & (frame.subgroup == "")].iloc[0]
        assert row["b"] == pytest.approx(float(ds[m]), abs=1e-12)
        assert row["se"] == pytest.approx(float(se[m]), abs=1e-12)
        assert row["n"] == int(ds["n_obs"])


def test_pvalue_is_the_two_sided_t_test_with_the_design_df(res):
    """The p-value uses the design's degrees of freedom, as the t intervals of ci() do
    (Stata svy, mpitb): 0 lies outside the 95 % Wald interval exactly when p < 0.05."""
    frame = results_frame(res)
    t = scipy.stats.t(res.df)
    checked = 0
    for row in frame.to_dict("records"):
        if np.isfinite(row["se"]) and row["se"] > 0:
            expected = 2 * t.sf(abs(row["b"] / row["se"]))
            assert row["pval"] == pytest.approx(expected, abs=1e-12)
            checked += 1
    assert checked > 50
    half = t.ppf(0.975)
    assert design_pvalue(half, 1.0, res.df) == pytest.approx(0.05, abs=1e-12)
    assert np.isnan(design_pvalue(0.0, 0.0, 10)) and design_pvalue(0.2, 0.0, 10) == 0.0
    assert np.isnan(design_pvalue(0.2, np.nan, 10))
    # without finite degrees of freedom: the normal test
    assert design_pvalue(-1.959963984540054, 1.0) == pytest.approx(0.05, abs=1e-12)


def test_results_frame_without_a_design(plain):
    frame = results_frame(plain)
    assert set(frame["weighting"]) == {"weight"}
    _check_frame_against(frame, plain, inference=False)


def test_results_frame_with_several_k(several_k):
    frame = results_frame(several_k, level=0.9)
    assert list(dict.fromkeys(frame["k"])) == ["1/3", "1/5", "1/2"]
    ks = {"1/3": 1 / 3, "1/5": 0.2, "1/2": 0.5}
    sample = frame[frame.measure.isin(["H", "M0", "censored_headcount", "severe"])]
    _check_frame_against(sample, several_k, inference=True, k_values=ks)
    # a measure that does not depend on k is repeated for every k, with the same value
    severe = frame[(frame.measure == "severe") & (frame.subgroup == "region")]
    assert len(severe) == 3 * 6
    by_k = severe.pivot(index="subgroup_value", columns="k", values="b")
    assert (by_k.nunique(axis=1) == 1).all()


def test_results_frame_of_changes(change):
    frame = results_frame(change)
    assert tuple(frame.columns) == (*FRAME_COLUMNS[:7], *CHANGE_COLUMNS, *FRAME_COLUMNS[7:])
    assert set(frame["spec"]) == {"global_mpi_2018"} and set(frame["weighting"]) == {"weight"}
    assert set(frame["change"]) == {
        "absolute", "relative", "annualized_absolute", "annualized_relative"
    }  # fmt: skip
    assert set(frame["subgroup"]) == {"region"} and set(frame["k"]) == {"1/3"}
    assert set(frame["period"]) == {"2015-2020"}
    assert set(frame["t0"]) == {2015} and set(frame["yt1"]) == {2020.0}
    assert frame["n"].isna().all() and str(frame["n"].dtype) == "Int64"
    ds, se, ci = change.to_dataset(), change.se, change.ci()
    t = scipy.stats.t(change.df)
    for row in frame.to_dict("records"):
        at = {"period": row["period"], "change": row["change"], "region": row["subgroup_value"]}
        m = row["measure"]
        assert row["b"] == pytest.approx(float(ds[m].sel(at)), abs=1e-12)
        assert row["se"] == pytest.approx(float(se[m].sel(at)), abs=1e-12)
        assert row["ll"] == pytest.approx(float(ci[m].sel({**at, "bound": "lower"})), abs=1e-12)
        assert row["ul"] == pytest.approx(float(ci[m].sel({**at, "bound": "upper"})), abs=1e-12)
        expected = 2 * t.sf(abs(row["b"] / row["se"]))
        assert row["pval"] == pytest.approx(expected, abs=1e-12)
    # relative changes are in percent of the earlier round
    rel = frame[(frame.change == "relative") & (frame.measure == "H")].set_index("subgroup_value")
    absolute = frame[(frame.change == "absolute") & (frame.measure == "H")]
    pooled_h = absolute.set_index("subgroup_value")["b"]
    assert (rel["b"].abs() > pooled_h.abs()).all()  # percent of a share < 1: larger numbers


def _cell(b, se, lo, hi, digits=1, scale=100):
    f = f"{{:,.{digits}f}}".format
    return f"{f(b * scale)} ({f(se * scale)}) [{f(lo * scale)}, {f(hi * scale)}]"


def test_publication_table_cells(res):
    table = publication_table(res)
    assert list(table.columns) == [*HEADERS, "Units (unweighted)"]
    assert table.index.name == "region"
    assert list(table.index) == ["Overall", *[str(r) for r in res.to_dataset()["region"].values]]
    assert table.shape == table.attrs["suppressed"].shape
    assert not table.attrs["suppressed"].to_numpy().any()  # every region has 292+ units
    for label, piece in (("Overall", res.overall), ("North", res)):
        ds, se, ci = piece.to_dataset(), piece.se, piece.ci()
        at = {} if label == "Overall" else {"region": label}
        for header, m in zip(HEADERS, ("H", "A", "M0"), strict=True):
            b, s = float(ds[m].sel(at)), float(se[m].sel(at))
            lo, hi = (float(ci[m].sel({**at, "bound": x})) for x in ("lower", "upper"))
            assert table.loc[label, header] == _cell(b, s, lo, hi)
    assert table.loc["Overall", "Units (unweighted)"] == "2,602"
    assert table.loc["North", "Units (unweighted)"] == "448"
    notes = table.attrs["notes"]
    assert notes[0].startswith("Poverty cutoff k = 1/3")
    assert "Cells: estimate (standard error) [95% confidence interval]." in notes
    assert any("108 degrees of freedom" in n for n in notes)
    assert "Estimates weighted by the sampling weight 'weight'." in notes
    assert notes[-1] == Suppression().describe()
    assert table.attrs["k"] == "1/3" and table.attrs["mark"] == "—"


def test_publication_table_in_chinese(res):
    table = publication_table(res, lang="zh")
    assert list(table.columns) == [
        "贫困发生率 (H) (%)", "贫困强度 (A) (%)", "多维贫困指数 (M0) (%)", "样本数 (未加权)"
    ]  # fmt: skip
    assert table.index[0] == "总体"
    assert table.attrs["notes"][0].startswith("贫困临界值 k = 1/3")
    assert table.attrs["title"] == "多维贫困估计"
    english = publication_table(res)
    np.testing.assert_array_equal(table.to_numpy(), english.to_numpy())  # same numbers
    est = estimates_table(res, lang="zh")
    assert list(dict.fromkeys(est.columns.get_level_values(1))) == [
        "估计值", "标准误", "置信下限", "置信上限", ""
    ]  # fmt: skip


def test_publication_table_without_a_design_and_without_percent(plain):
    table = publication_table(plain, percent=False, digits=3)
    ds = plain.to_dataset()
    assert list(table.columns[:3]) == [
        "Headcount ratio (H)", "Intensity (A)", "Adjusted headcount ratio (M0)"
    ]  # fmt: skip
    assert table.loc["Coast", "Intensity (A)"] == f"{float(ds['A'].sel(region='Coast')):.3f}"
    assert "(" not in "".join(table.iloc[:, :3].to_numpy().ravel())
    notes = table.attrs["notes"]
    assert "No standard errors: the estimates were computed without a survey design." in notes
    assert not any("confidence" in n for n in notes)


def test_k_in_every_form(several_k):
    tables = [publication_table(several_k, k=k) for k in (Fraction(1, 5), "1/5", 0.2, "0.2", 1 / 5)]
    for t in tables[1:]:
        assert t.equals(tables[0])
    assert tables[0].attrs["k"] == "1/5"
    ds, se = several_k.to_dataset(), several_k.se
    ci = several_k.ci()
    at = {"region": "Lakes", "k": 0.2}
    b, s = float(ds["H"].sel(at)), float(se["H"].sel(at))
    lo, hi = (float(ci["H"].sel({**at, "bound": x})) for x in ("lower", "upper"))
    assert tables[0].loc["Lakes", HEADERS[0]] == _cell(b, s, lo, hi)
    with pytest.raises(mpi.ValidationError, match=r"several poverty cutoffs \(1/3, 1/5, 1/2\)"):
        publication_table(several_k)
    with pytest.raises(mpi.ValidationError, match=r"k=0.25 is not a poverty cutoff"):
        estimates_table(several_k, k=0.25)
    with pytest.raises(mpi.ValidationError, match="k"):
        publication_table(several_k, k="one third")


def test_estimates_table_numbers_and_formats(res):
    table = estimates_table(res, ["H", "M0", "intensity_variance"], level=0.9)
    ds, se, ci = res.to_dataset(), res.se, res.ci(0.9)
    stats = ["Estimate", "Standard error", "Lower bound", "Upper bound"]
    variance = measure_label("intensity_variance", "en")
    assert list(table.columns.get_level_values(0).unique()) == [
        "Headcount ratio (H)", "Adjusted headcount ratio (M0)", variance, "Units (unweighted)"
    ]  # fmt: skip
    for region in ("Capital", "Highlands"):
        for m, header in (("H", "Headcount ratio (H)"), ("intensity_variance", variance)):
            got = table.loc[region, header]
            want = [
                float(ds[m].sel(region=region)),
                float(se[m].sel(region=region)),
                float(ci[m].sel(region=region, bound="lower")),
                float(ci[m].sel(region=region, bound="upper")),
            ]
            np.testing.assert_allclose(got[stats].to_numpy(float), want, rtol=0, atol=1e-12)
    assert table.loc["Overall", ("Units (unweighted)", "")] == 2602
    formats = table.attrs["formats"]
    assert formats[("Headcount ratio (H)", "Standard error")] == "percent"
    assert formats[(variance, "Estimate")] == "decimal"
    assert formats[("Units (unweighted)", "")] == "integer"
    assert set(formats) == set(table.columns)
    assert table.attrs["suppressed"].shape == table.shape
    national = estimates_table(res, ["H", "M0", "intensity_variance"], by=(), level=0.9)
    assert list(national.index) == ["Overall"]
    np.testing.assert_array_equal(national.to_numpy(float), table.loc[["Overall"]].to_numpy(float))


def test_change_tables(change):
    table = publication_table(change)
    assert list(table.columns) == [
        "Change in H (percentage points)", "p-value of the change in H", "Relative change in H (%)",
        "Change in A (percentage points)", "p-value of the change in A", "Relative change in A (%)",
        "Change in M0 (percentage points)", "p-value of the change in M0",
        "Relative change in M0 (%)",
    ]  # fmt: skip
    assert "Overall" not in table.index and len(table) == 6
    ds, se, ci = change.to_dataset(), change.se, change.ci()
    frame = results_frame(change)
    for region in ("Coast", "North"):
        at = {"region": region, "period": "2015-2020"}
        for kind, header, scale in (
            ("absolute", "Change in M0 (percentage points)", 100),
            ("relative", "Relative change in M0 (%)", 1),
        ):
            v = {"change": kind, **at}
            b, s = float(ds["M0"].sel(v)), float(se["M0"].sel(v))
            lo, hi = (float(ci["M0"].sel({**v, "bound": x})) for x in ("lower", "upper"))
            assert table.loc[region, header] == _cell(b, s, lo, hi, scale=scale)
        p = frame[
            (frame.measure == "M0")
            & (frame.change == "absolute")
            & (frame.subgroup_value == region)
        ]["pval"].item()
        shown = table.loc[region, "p-value of the change in M0"]
        assert shown == ("<0.001" if p < 0.001 else f"{p:.3f}")
    notes = table.attrs["notes"]
    assert "Changes from 2015 to 2020." in notes
    assert "Relative change = 100 × (later − earlier) / earlier." in notes
    assert any(n.startswith("p-values: two-sided test of no change") for n in notes)
    assert not table.attrs["suppressed"].to_numpy().any()
    zh = publication_table(change, lang="zh")
    assert zh.columns[0] == "贫困发生率 H 变化 (百分点)"
    assert zh.columns[2] == "贫困发生率 H 相对变化 (%)"
    est = estimates_table(change, ["M0"])
    assert list(est.columns.get_level_values(0).unique()) == [
        "Change in M0", "Relative change in M0 (%)"
    ]  # fmt: skip
    v = {"region": "Lakes", "period": "2015-2020", "change": "absolute"}
    assert est.loc["Lakes", ("Change in M0", "Estimate")] == pytest.approx(
        float(ds["M0"].sel(v)), abs=1e-12
    )
    assert est.attrs["formats"][("Change in M0", "p-value")] == "decimal"
    with pytest.raises(mpi.ValidationError, match="ChangeResult"):
        publication_table(change, by=())


def test_groupings_of_a_cross_classification(latest):
    res = _quiet(mpi.measure, latest, SPEC, by=["region", "area"], weight="weight")
    frame = results_frame(res)
    assert list(dict.fromkeys(frame["subgroup"])) == ["", "region", "area", "region / area"]
    area = publication_table(res, by="area", suppression=None)
    margin = res.marginal("area").to_dataset()
    assert list(area.index) == ["Overall", "urban", "rural"]
    for a in ("urban", "rural"):
        assert area.loc[a, HEADERS[2]] == f"{100 * float(margin['M0'].sel(area=a)):.1f}"
    cross = publication_table(res, suppression=None)
    assert cross.index.name == "region / area" and len(cross) == 1 + 6 * 2
    assert cross.index[1] == "Capital / urban"
    assert publication_table(res, by=["area", "region"]).equals(publication_table(res))
    overall = publication_table(res, by=())
    assert list(overall.index) == ["Overall"] and overall.index.name == "Group"
    with pytest.raises(mpi.ValidationError, match="by='district'"):
        publication_table(res, by="district")
    with pytest.raises(mpi.ValidationError, match="by="):
        estimates_table(res, by=["region", "urban"])


def test_indicator_columns_use_the_spec_labels(res):
    table = publication_table(res, ["censored_headcount"], by=())
    assert table.columns[0] == "Censored headcount ratio: Nutrition, %"
    assert len(table.columns) == len(SPEC) + 1
    zh = publication_table(res, "censored_headcount", by=(), lang="zh")
    assert zh.columns[1] == "删减剥夺率：Child mortality (%)"


def test_panel_tables_have_a_wave_level():
    panel = random_panel(np.random.default_rng(3), n=200, waves=[2010, 2012], gap_rate=0.05)
    spec = random_spec(np.random.default_rng(4), d=4)
    res = _quiet(mpi.measure, panel, spec, weight="w", by="region")
    frame = results_frame(res)
    assert "time" in frame.columns and set(frame["time"]) == {2010.0, 2012.0}
    table = publication_table(res, suppression=None)
    assert table.index.names == ["region", "Wave"]
    ds = res.to_dataset()
    b = float(ds["M0"].sel(region=1, time=2012.0))
    assert table.loc[("1", 2012.0), HEADERS[2]] == f"{100 * b:.1f}"


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"measures": "X"}, "measures"),
        ({"measures": []}, "measures"),
        ({"measures": ["H", "H"]}, "measures"),
        ({"measures": 3}, "measures"),
        ({"measures": ["H", "n_obs"]}, "n_obs"),
        ({"by": "district"}, "by='district'"),
        ({"by": 5}, "by=5"),
        ({"level": 1.5}, "level"),
        ({"level": "95%"}, "level"),
        ({"lang": "fr"}, "lang='fr'"),
        ({"digits": -1}, "digits"),
        ({"digits": 1.5}, "digits"),
        ({"percent": "yes"}, "percent"),
        ({"suppression": "30"}, "suppression"),
    ],
)
def test_bad_arguments(res, kwargs, words):
    with pytest.raises(mpi.ValidationError, match=words.replace("(", r"\(")):
        publication_table(res, **kwargs)


def test_other_results_are_refused(res):
    for func in (publication_table, estimates_table, results_frame):
        with pytest.raises(mpi.ValidationError, match=f"{func.__name__}.*MeasureResult"):
            func(res.to_dataset())


def test_inputs_are_not_mutated(res, change):
    before, before_change = res.to_dataset(), change.to_dataset()
    publication_table(res, suppression=Suppression(max_cv=0.1, action="flag"))
    estimates_table(change)
    results_frame(res)
    assert res.to_dataset().identical(before)
    assert change.to_dataset().identical(before_change)
