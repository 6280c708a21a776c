"""The one result interface on the measurement results that compare and test: ChangeResult,
RobustnessResult, AssociationResult and WaldTest (issue 15), and the split of the spec module.

Each result answers ``to_dataset``, ``to_frame``, ``summary``, ``has_inference``, ``se``,
``ci`` and ``by_group`` with the documented types, and its frame agrees with its dataset.
"""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import mpi
from mpi._common.result import ResultBase, Summary
from mpi.errors import ValidationError

SPEC = mpi.Spec.from_dimensions({"a": ["d1", "d2"], "b": ["d3"]}, k="1/3")
DESIGN = mpi.Design("w", strata="stratum", psu="psu")


def _rounds(n: int = 400, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frames = []
    for r, year in enumerate((2010, 2019)):
        p = 0.45 - 0.1 * r
        df = pd.DataFrame(
            {f"d{j}": (rng.random(n) < p + 0.05 * j).astype(float) for j in (1, 2, 3)}
        )
        df["round"] = year
        df["stratum"] = rng.integers(0, 4, n)
        df["psu"] = df["stratum"] * 100 + rng.integers(0, 10, n)
        df["w"] = rng.uniform(0.5, 2.0, n)
        df["region"] = rng.choice(["N", "S", "W"], n)
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return _rounds()


@pytest.fixture(scope="module")
def results(data: pd.DataFrame) -> dict[str, ResultBase]:
    by_round = mpi.measure(data, SPEC, by="round", design=DESIGN)
    by_both = mpi.measure(data, SPEC, by=["round", "region"], design=DESIGN)
    alt = mpi.Spec([mpi.Indicator(f"d{j}", weight="1/3") for j in (1, 2, 3)], k="1/3", name="eq")
    return {
        "change": by_round.change("round"),
        "change_by_region": by_both.change("round"),
        "robustness": mpi.robustness(
            data, SPEC, over="region", design=DESIGN, k=[1 / 3, 2 / 3], alternatives=[alt]
        ),
        "association": mpi.association(data, SPEC, weight="w"),
        "wald": by_both.wald_test("M0", over="region"),
    }


@pytest.mark.parametrize(
    "name", ["change", "change_by_region", "robustness", "association", "wald"]
)
def test_interface(name: str, results: dict) -> None:
    res = results[name]
    assert isinstance(res, ResultBase)
    ds = res.to_dataset()
    assert isinstance(ds, xr.Dataset) and len(ds.data_vars) > 0
    first = next(iter(ds.data_vars))
    ds[first].values[...] = -12345  # a copy: the result does not change
    assert not res.to_dataset()[first].equals(ds[first])

    frame = res.to_frame()
    assert isinstance(frame, pd.DataFrame) and len(frame) > 0
    if name != "association":  # one row per indicator pair, one column per measure
        assert {"measure", "estimate"} <= set(frame.columns)

    s = res.summary()
    assert isinstance(s, Summary) and s.html.startswith("<div")
    assert str(res) == s.text and res._repr_html_() == s.html
    assert res.summary(precision=2).text != s.text

    if res.has_inference:
        assert isinstance(res.se, xr.Dataset)
        ci = res.ci(0.9)
        assert list(ci["bound"].values) == ["lower", "upper"]
        assert {"se", "lower", "upper"} <= set(frame.columns)
        with pytest.raises(ValidationError, match="level"):
            res.ci(1.5)
    else:
        with pytest.raises(ValidationError, match="no standard errors"):
            res.se  # noqa: B018
        with pytest.raises(ValidationError):
            res.ci()

    if name == "change_by_region":
        grouped = res.by_group()
        assert grouped["M0"].dims[0] == "region"
    else:
        with pytest.raises(ValidationError, match="by_group"):
            res.by_group()


def test_which_results_have_inference(results: dict) -> None:
    assert results["change"].has_inference and results["robustness"].has_inference
    assert not results["association"].has_inference and not results["wald"].has_inference


def test_change_frame_matches_its_dataset_and_t_intervals(results: dict) -> None:
    ch = results["change_by_region"]
    frame = ch.to_frame(0.9)
    assert list(frame.columns[:4]) == ["measure", "region", "change", "period"]
    assert list(frame.columns[-4:]) == ["estimate", "se", "lower", "upper"]
    ci = ch.ci(0.9)
    row = frame[(frame.measure == "H") & (frame.region == "S") & (frame.change == "relative")]
    at = dict(region="S", change="relative", period=row.period.item())
    assert row.estimate.item() == ch.to_dataset().H.sel(at).item()
    assert row.se.item() == ch.se.H.sel(at).item()
    assert row.lower.item() == ci.H.sel(bound="lower", **at).item()
    assert list(ch.to_frame(variables=["A"]).measure.unique()) == ["A"]
    log = ch.ci(0.9, method="log")
    assert (log.M0.sel(change="relative", bound="lower") > -100).all()
    assert "Rounds (round)" in ch.summary() and "Design degrees of freedom" in ch.summary()


def test_robustness_dataset_frame_and_intervals(results: dict) -> None:
    rb = results["robustness"]
    ds = rb.to_dataset()
    assert dict(ds.sizes) == {"pair": 3, "spec": 2, "k": 2}
    assert list(ds.spec.values) == ["baseline", "eq"]
    # the dataset holds the comparisons table, value for value
    for row in rb.comparisons.itertuples():
        at = dict(pair=f"{row.a} vs {row.b}", spec=row.spec, k=row.k)
        assert ds.difference.sel(at).item() == row.difference
        assert ds.p_value.sel(at).item() == row.p_value
        assert bool(ds.robust_in_setting.sel(at)) == row.robust
    pairs = rb.pairs.set_index(rb.pairs.a + " vs " + rb.pairs.b)
    np.testing.assert_array_equal(ds.robust_share.values, pairs.loc[ds.pair.values].robust_share)
    # at 1 - level the t interval excludes 0 exactly when the difference is significant
    frame = rb.to_frame()
    assert list(frame.columns) == [
        "measure", "pair", "spec", "k", "estimate", "se", "lower", "upper", "p_value",
        "significant",
    ]  # fmt: skip
    excludes = (frame.lower > 0) | (frame.upper < 0)
    assert (excludes == frame.significant).all()
    # and the interval is the t interval on the design df
    from scipy import stats

    t = stats.t.ppf(0.975, ds.design_df.sel(spec="eq").item())
    ci = rb.ci(0.95).difference.sel(spec="eq")
    want = ds.difference.sel(spec="eq") + t * ds.se.sel(spec="eq")
    np.testing.assert_allclose(ci.sel(bound="upper"), want, rtol=1e-14)
    assert "Share robust" in rb.summary() and "share robust" in repr(rb)


def test_robustness_repeated_spec_names_stay_apart(data: pd.DataFrame) -> None:
    same = mpi.Spec([mpi.Indicator(f"d{j}", weight="1/3") for j in (1, 2, 3)], k="1/3", name="x")
    rb = mpi.robustness(data, SPEC, over="region", design=DESIGN, alternatives=[same, same])
    assert list(rb.to_dataset().spec.values) == ["baseline", "x (1)", "x (2)"]
    assert list(rb.comparisons.spec.unique()) == ["baseline", "x"]  # the table is unchanged


def test_association_keeps_its_pair_table(results: dict) -> None:
    res = results["association"]
    assert list(res.to_frame().columns) == [
        "indicator", "indicator2", "cramers_v", "phi", "redundancy", "both_deprived", "n_obs",
    ]  # fmt: skip
    text = res.summary()
    assert "Uncensored headcount ratios" in text and "Pairs by Cramér's V" in text
    assert res.summary().html.count("<table") == 3


def test_wald_test_as_a_result(results: dict) -> None:
    t = results["wald"]
    ds = t.to_dataset()
    for name in ("statistic", "df1", "df2", "p_value", "wald"):
        assert ds[name].item() == getattr(t, name)
    np.testing.assert_array_equal(ds.contrast.values.ravel(), t.contrasts.estimate.to_numpy())
    frame = t.to_frame()
    assert list(frame.measure) == ["statistic", "df1", "df2", "p_value", "wald"]
    assert frame.estimate.tolist() == [t.statistic, t.df1, t.df2, t.p_value, t.wald]
    assert repr(t).startswith("<mpi.WaldTest equal across region = N, S, W: F(")
    assert t.hypothesis in t.summary() and "Contrasts" in t.summary()


def test_spec_names_import_from_the_old_module() -> None:
    from mpi.measurement.spec import DEFAULT_SEVERE, DEFAULT_VULNERABLE, RULES, Indicator, Spec

    assert Spec is mpi.Spec and Indicator is mpi.Indicator
    assert "in" in RULES and DEFAULT_VULNERABLE < DEFAULT_SEVERE


def test_change_does_not_import_the_result_module() -> None:
    """result -> result_inference -> change: change must not import result back."""
    source = Path(mpi.measurement.change.__file__).read_text(encoding="utf-8")
    imported = {
        node.module
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ImportFrom) and node.module
    }
    assert not {m for m in imported if m.startswith("mpi.measurement.result")}
