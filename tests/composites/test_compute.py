"""mpi.composites.compute.composite: values computed by hand on a 4-unit, 2-dimension table,
contributions, ranks, group means and the missing-value rules."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

from mpi.composites.compute import as_spec, composite, group_means
from mpi.composites.spec import CompositeIndicator, CompositeSpec, Dimension
from mpi.errors import MissingDataWarning, ValidationError

# Dimension A: x1 (goalposts 0-10). Dimension B: x2 (0-40) and x3 (0-4, higher is worse),
# weights 1/2 each; dimensions 1/2 each.
#   goalpost scores  x1: .2 .4 .6 1    x2: .25 .5 1 .75    x3: 0 .75 .5 .25
#   dimension B (arithmetic): .125 .625 .75 .5
TABLE = pd.DataFrame(
    {
        "x1": [2.0, 4.0, 6.0, 10.0],
        "x2": [10.0, 20.0, 40.0, 30.0],
        "x3": [4.0, 1.0, 2.0, 3.0],
        "region": ["north", "north", "south", "south"],
        "pop": [1.0, 3.0, 2.0, 2.0],
    },
    index=pd.Index(["a", "b", "c", "d"], name="unit_id"),
)


def make_spec(**changes: object) -> CompositeSpec:
    inds = [
        CompositeIndicator("x1", "A", 1, goalposts=(0, 10)),
        CompositeIndicator("x2", "B", "1/2", goalposts=(0, 40)),
        CompositeIndicator("x3", "B", "1/2", direction="-", goalposts=(0, 4)),
    ]
    spec = CompositeSpec("toy", inds, [Dimension("A", "1/2"), Dimension("B", "1/2")])
    return spec.replace(**changes) if changes else spec


def index_of(res) -> np.ndarray:
    return res.to_frame()["index"].to_numpy()


# -- normalisations (arithmetic means) -----------------------------------------------------
def test_goalposts_arithmetic_by_hand() -> None:
    res = composite(TABLE, make_spec())
    frame = res.to_frame(["index", "rank", "A", "B", "score_x3"])
    np.testing.assert_allclose(frame["A"], [0.2, 0.4, 0.6, 1.0], rtol=0, atol=1e-15)
    np.testing.assert_allclose(frame["B"], [0.125, 0.625, 0.75, 0.5], rtol=0, atol=1e-15)
    np.testing.assert_allclose(frame["score_x3"], [0.0, 0.75, 0.5, 0.25], atol=1e-15)
    np.testing.assert_allclose(frame["index"], [0.1625, 0.5125, 0.675, 0.75], atol=1e-15)
    assert frame["rank"].tolist() == [4.0, 3.0, 2.0, 1.0]
    assert list(frame.index) == ["a", "b", "c", "d"] and frame.index.name == "unit_id"


def test_minmax_by_hand() -> None:
    # observed: x1 2..10 -> 0 .25 .5 1; x2 10..40 -> 0 1/3 1 2/3; x3 1..4 (-) -> 0 1 2/3 1/3
    res = composite(TABLE, make_spec(normalisation="minmax"))
    f = res.to_frame()
    np.testing.assert_allclose(f["B"], [0.0, 2 / 3, 5 / 6, 0.5], atol=1e-15)
    np.testing.assert_allclose(f["index"], [0.0, 11 / 24, 2 / 3, 0.75], atol=1e-15)


def test_zscore_by_hand() -> None:
    res = composite(TABLE, make_spec(normalisation="zscore"))
    sd1, sd2, sd3 = math.sqrt(35 / 3), math.sqrt(500 / 3), math.sqrt(5 / 3)
    z1 = [(v - 5.5) / sd1 for v in (2, 4, 6, 10)]
    z2 = [(v - 25) / sd2 for v in (10, 20, 40, 30)]
    z3 = [-(v - 2.5) / sd3 for v in (4, 1, 2, 3)]  # higher is worse
    want = [0.5 * a + 0.5 * (0.5 * b + 0.5 * c) for a, b, c in zip(z1, z2, z3, strict=True)]
    f = res.to_frame(["index", "score_x3"])
    np.testing.assert_allclose(f["score_x3"], z3, rtol=1e-14)
    np.testing.assert_allclose(f["index"], want, rtol=1e-14, atol=1e-15)


def test_rank_by_hand() -> None:
    # percentile ranks (r - 1)/3: x1 0 1/3 2/3 1; x2 0 1/3 1 2/3; x3 (-) 0 1 2/3 1/3
    res = composite(TABLE, make_spec(normalisation="rank"))
    f = res.to_frame(["index", "score_x2", "score_x3"])
    np.testing.assert_allclose(f["score_x2"], [0, 1 / 3, 1, 2 / 3], atol=1e-15)
    np.testing.assert_allclose(f["score_x3"], [0, 1, 2 / 3, 1 / 3], atol=1e-15)
    np.testing.assert_allclose(f["index"], [0.0, 0.5, 0.75, 0.75], atol=1e-15)


def test_frontier_by_hand() -> None:
    # x1 / 10; x2 / 40; x3 (-): 1 / x3
    res = composite(TABLE, make_spec(normalisation="frontier"))
    f = res.to_frame()
    np.testing.assert_allclose(f["B"], [0.25, 0.75, 0.75, (0.75 + 1 / 3) / 2], atol=1e-15)
    np.testing.assert_allclose(
        f["index"], [0.225, 0.575, 0.675, (1 + (0.75 + 1 / 3) / 2) / 2], atol=1e-15
    )


# -- means ---------------------------------------------------------------------------------
def test_geometric_index_by_hand() -> None:
    res = composite(TABLE, make_spec(mean="geometric"))
    want = [math.sqrt(0.2 * 0.125), 0.5, math.sqrt(0.6 * 0.75), math.sqrt(0.5)]
    np.testing.assert_allclose(index_of(res), want, rtol=1e-15)


def test_harmonic_index_by_hand() -> None:
    res = composite(TABLE, make_spec(mean="harmonic"))
    want = [1 / (2.5 + 4), 1 / (1.25 + 0.8), 1 / 1.5, 1 / 1.5]
    np.testing.assert_allclose(index_of(res), want, rtol=1e-15)


def test_geometric_dimension_mean_with_a_zero_and_a_floor() -> None:
    dims = [Dimension("A", "1/2"), Dimension("B", "1/2", mean="geometric")]
    res = composite(TABLE, make_spec(dimensions=dims))
    # unit a has x3 score 0: its geometric dimension B is 0
    np.testing.assert_allclose(
        res.to_frame()["B"], [0.0, math.sqrt(0.5 * 0.75), math.sqrt(0.5), math.sqrt(0.75 * 0.25)],
        rtol=1e-15,
    )  # fmt: skip
    floored = composite(TABLE, make_spec(dimensions=dims, floor=0.01))
    assert floored.to_frame()["B"].iloc[0] == pytest.approx(math.sqrt(0.25 * 0.01), rel=1e-15)
    attrs = floored.to_dataset().attrs
    assert attrs["n_floored_x3"] == 1 and attrs["n_floored"] == 1


def test_floor_at_the_index_level_is_counted() -> None:
    res = composite(TABLE, make_spec(mean="geometric", floor=0.2))
    # unit a: dimension B 0.125 is raised to 0.2, so the index is sqrt(0.2 * 0.2)
    assert index_of(res)[0] == pytest.approx(0.2, rel=1e-15)
    attrs = res.to_dataset().attrs
    assert attrs["n_floored_dimension_B"] == 1 and attrs["n_floored_dimension_A"] == 0
    assert any("0.2" in n for n in res.summary().notes)


def test_log_transform_and_scale() -> None:
    spec = CompositeSpec(
        "income", [CompositeIndicator("gni", "I", transform="log", goalposts=(100, 75000))],
        scale=100,
    )  # fmt: skip
    res = composite(pd.DataFrame({"gni": [10000.0, 100.0, 75000.0]}), spec)
    want = [100 * math.log(100) / math.log(750), 0.0, 100.0]
    np.testing.assert_allclose(index_of(res), want, rtol=1e-14)


def test_clip_and_cap_are_counted() -> None:
    table = TABLE.assign(x1=[2.0, 4.0, -1.0, 12.0])
    res = composite(table, make_spec())
    f = res.to_frame(["A"])
    assert f["A"].tolist() == [0.2, 0.4, 0.0, 1.0]
    attrs = res.to_dataset().attrs
    assert (attrs["n_below_x1"], attrs["n_above_x1"]) == (1, 1)
    inds = [
        CompositeIndicator("x1", "A", 1, goalposts=(0, 10), cap=(None, 8)),
        *make_spec().indicators[1:],
    ]
    capped = composite(TABLE, make_spec(indicators=inds))
    assert capped.to_frame()["A"].iloc[3] == pytest.approx(0.8, abs=1e-15)
    assert capped.to_dataset().attrs["n_capped_x1"] == 1


# -- contributions and ranks ---------------------------------------------------------------
@pytest.mark.parametrize("mean", ["arithmetic", "geometric", "harmonic"])
@pytest.mark.parametrize("dim_mean", ["arithmetic", "geometric", "harmonic"])
def test_contributions_sum_to_the_index(mean: str, dim_mean: str) -> None:
    rng = np.random.default_rng(7)
    table = pd.DataFrame(rng.uniform(0.5, 9.5, size=(50, 3)), columns=["x1", "x2", "x3"])
    table["x2"] *= 4
    table["x3"] /= 2.5  # inside the goalposts: no score is 0, so every share is defined
    dims = [Dimension("A", "1/2"), Dimension("B", "1/2", mean=dim_mean)]
    res = composite(table, make_spec(mean=mean, dimensions=dims, scale=100))
    ds = res.to_dataset()
    assert (ds["index"] > 0).all()
    total = ds["contribution"].sum("indicator").to_numpy()
    np.testing.assert_allclose(total, ds["index"].to_numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(ds["share"].sum("indicator"), 1.0, atol=1e-12)


def test_contributions_by_hand() -> None:
    res = composite(TABLE, make_spec())
    f = res.to_frame(["contribution_x1", "contribution_x2", "contribution_x3", "share_x1"])
    # unit a: 0.5 * 0.2, 0.5 * 0.5 * 0.25, 0 (x3 scores 0)
    assert f.iloc[0, :3].tolist() == pytest.approx([0.1, 0.0625, 0.0], abs=1e-15)
    assert f["share_x1"].iloc[0] == pytest.approx(0.1 / 0.1625, rel=1e-14)
    geo = composite(TABLE, make_spec(mean="geometric")).to_frame(["index", "contribution_x1"])
    # geometric index: each dimension contributes half the index
    np.testing.assert_allclose(geo["contribution_x1"], geo["index"] / 2, rtol=1e-14)


def test_ties_share_the_lowest_rank() -> None:
    table = TABLE.assign(
        x1=[2.0, 6.0, 6.0, 2.0], x2=[10.0, 40.0, 40.0, 10.0], x3=[4.0, 2.0, 2.0, 4.0]
    )
    res = composite(table, make_spec())
    assert res.to_frame()["rank"].tolist() == [3.0, 1.0, 1.0, 3.0]


# -- missing values ------------------------------------------------------------------------
MISSING = TABLE.assign(x3=[4.0, np.nan, 2.0, 3.0])


def test_drop_rule_counts_warns_and_ranks_the_rest() -> None:
    with pytest.warns(MissingDataWarning, match=r"1 of 4 units .*1 dropped .*missing='drop'"):
        res = composite(MISSING, make_spec())
    f = res.to_frame(["index", "rank", "dropped"])
    assert f["dropped"].tolist() == [False, True, False, False]
    assert np.isnan(f["index"].iloc[1]) and np.isnan(f["rank"].iloc[1])
    assert f["rank"].drop("b").tolist() == [3.0, 2.0, 1.0]
    ds = res.to_dataset()
    assert ds.attrs["n_dropped"] == 1 and ds.attrs["n_ranked"] == 3
    assert res.groups()["n_dropped"].iloc[-1] == 1


def test_reweight_rule_by_hand() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = composite(MISSING, make_spec(missing="reweight"))
    f = res.to_frame(["index", "B", "contribution_x3"])
    # unit b: dimension B = score of x2 alone (0.5); index (0.4 + 0.5)/2
    assert f["B"].iloc[1] == pytest.approx(0.5, abs=1e-15)
    assert f["index"].iloc[1] == pytest.approx(0.45, abs=1e-15)
    assert f["contribution_x3"].iloc[1] == 0.0
    assert f["index"].drop("b").tolist() == pytest.approx([0.1625, 0.675, 0.75], abs=1e-15)


def test_reweight_drops_a_unit_with_an_empty_dimension() -> None:
    table = MISSING.assign(x1=[np.nan, 4.0, 6.0, 10.0])
    with pytest.warns(MissingDataWarning, match="1 dropped"):
        res = composite(table, make_spec(missing="reweight"))
    assert res.to_frame(["dropped"])["dropped"].tolist() == [True, False, False, False]


def test_impute_rule_by_group_and_overall() -> None:
    # by group: b's x3 is the north mean (a: 4) -> score 0 -> B 0.25 -> index 0.325
    res = composite(MISSING, make_spec(missing="impute"), by="region")
    assert index_of(res)[1] == pytest.approx(0.325, abs=1e-15)
    assert res.to_dataset().attrs["n_imputed_x3"] == 1
    assert any("imputed" in n for n in res.summary().notes)
    # no groups: the overall mean (4 + 2 + 3)/3 = 3 -> score 0.25 -> B 0.375 -> 0.3875
    overall = composite(MISSING, make_spec(missing="impute"))
    assert index_of(overall)[1] == pytest.approx(0.3875, abs=1e-15)


def test_missing_weight_leaves_the_unit_out() -> None:
    table = TABLE.assign(pop=[1.0, np.nan, 2.0, 2.0])
    with pytest.warns(MissingDataWarning, match="missing weight 'pop'"):
        res = composite(table, make_spec(), weight="pop")
    assert list(res.to_frame().index) == ["a", "c", "d"]
    assert res.to_dataset().attrs["n_missing_weight"] == 1
    joined = table.join(res.to_frame())
    assert np.isnan(joined.loc["b", "index"]) and joined.loc["d", "rank"] == 1.0


# -- group means ---------------------------------------------------------------------------
def test_group_means_equal_pandas_weighted_means() -> None:
    rng = np.random.default_rng(3)
    n = 300
    table = pd.DataFrame(
        {
            "x1": rng.uniform(0, 10, n),
            "x2": rng.uniform(0, 40, n),
            "x3": np.where(rng.random(n) < 0.1, np.nan, rng.uniform(0, 4, n)),
            "prov": rng.choice(["p1", "p2", "p3"], n),
            "kind": rng.choice([1, 2], n),
            "pop": rng.uniform(1, 100, n),
        }
    )
    res = composite(table, make_spec(missing="reweight"), weight="pop", by=["prov", "kind"])
    frame = table.join(res.to_frame(["index", "A", "B", "score_x3"]))
    got = res.groups()
    for col in ("index", "A", "B", "score_x3"):
        ok = frame[col].notna()
        w = frame["pop"].where(ok)
        want = (frame[col] * w).groupby([frame["prov"], frame["kind"]]).sum() / w.groupby(
            [frame["prov"], frame["kind"]]
        ).sum()
        np.testing.assert_allclose(got[col].iloc[:-1].to_numpy(), want.to_numpy(), rtol=1e-12)
        overall = (frame[col] * w).sum() / w.sum()
        assert got[col].iloc[-1] == pytest.approx(overall, rel=1e-12)
    sizes = table.groupby(["prov", "kind"]).size()
    assert got["n_units"].iloc[:-1].tolist() == sizes.tolist()
    assert got["weight_total"].iloc[-1] == pytest.approx(table["pop"].sum(), rel=1e-12)
    assert list(got.index[:-1]) == list(sizes.index)


def test_group_means_helper_by_hand() -> None:
    values = np.array([[1.0], [3.0], [np.nan], [5.0]])
    weight = np.array([1.0, 3.0, 1.0, 2.0])
    means, n_units, n_dropped, total = group_means(
        values, weight, np.array([True, True, True, False]), np.array([0, 0, 1, -1]), 2
    )
    np.testing.assert_allclose(means[:, 0], [2.5, np.nan, 2.5])  # (1 + 9)/4 twice
    assert n_units.tolist() == [2, 1, 3] and n_dropped.tolist() == [0, 0, 1]
    assert total.tolist() == [4.0, 1.0, 5.0]


# -- the spec argument ---------------------------------------------------------------------
def test_spec_from_yaml_text_and_mapping() -> None:
    spec = make_spec()
    want = index_of(composite(TABLE, spec))
    np.testing.assert_array_equal(index_of(composite(TABLE, spec.to_yaml())), want)
    np.testing.assert_array_equal(index_of(composite(TABLE, spec.to_dict())), want)
    assert as_spec(spec) is spec


def test_bad_spec_is_named() -> None:
    with pytest.raises(ValidationError, match="spec must be a CompositeSpec.*got int"):
        composite(TABLE, 3)
