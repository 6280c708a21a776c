"""CompositeResult: the Dataset, the per-unit frame, group means, summary (en, zh) and plan.

(Named test_composite_result.py: tests/measurement/test_result.py exists and the test
folders are not packages, so two test_result.py files would clash.)"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from test_compute import TABLE, make_spec

from mpi._common.result import ResultBase, Summary
from mpi.composites import engine
from mpi.composites.compute import composite
from mpi.composites.result import CompositeResult, frame_column
from mpi.composites.spec import CompositeIndicator, CompositeSpec, Dimension
from mpi.errors import ValidationError

CJK = re.compile(r"[\u3400-\u9fff]")


@pytest.fixture(scope="module")
def res() -> CompositeResult:
    return composite(TABLE, make_spec(title="Toy index"), weight="pop", by="region")


@pytest.fixture(scope="module")
def big() -> CompositeResult:
    rng = np.random.default_rng(11)
    n = 60
    table = pd.DataFrame(
        {
            "x1": rng.uniform(0, 10, n),
            "x2": rng.uniform(0, 40, n),
            "x3": rng.uniform(0, 4, n),
            "prov": rng.choice(["p1", "p2"], n),
            "kind": rng.choice(["u", "r"], n),
        },
        index=pd.Index([f"c{i:02d}" for i in range(n)], name="county"),
    )
    table.iloc[5, 0] = 12.0  # beyond the goalpost: clipped and counted
    return composite(table, make_spec(), by=["prov", "kind"])


def test_dataset(res: CompositeResult) -> None:
    ds = res.to_dataset()
    assert dict(ds.sizes) == {"unit": 4, "dimension": 2, "indicator": 3}
    assert ds["unit"].values.tolist() == ["a", "b", "c", "d"]
    assert ds["dimension_score"].dims == ("unit", "dimension")
    assert ds["contribution"].dims == ("unit", "indicator")
    assert ds["dropped"].dtype == bool and ds["weight"].values.tolist() == [1.0, 3.0, 2.0, 2.0]
    np.testing.assert_allclose(ds["index"], [0.1625, 0.5125, 0.675, 0.75], atol=1e-15)
    np.testing.assert_allclose(ds["indicator_score"].sel(indicator="x2"), [0.25, 0.5, 1, 0.75])
    assert ds["index"].attrs == {"long_name": "Toy index", "units": "1"}
    assert "rank" in ds["rank"].attrs["long_name"]
    a = ds.attrs
    assert (a["spec"], a["title"], a["normalisation"], a["mean"]) == (
        "toy", "Toy index", "goalposts", "arithmetic",
    )  # fmt: skip
    assert (a["n_units"], a["n_dropped"], a["weight"], a["by"]) == (4, 0, "pop", "region")
    assert a["n_capped_x1"] == 0 and a["n_floored"] == 0
    ds["index"].values[:] = 0  # a copy
    assert res.to_dataset()["index"].values[0] == pytest.approx(0.1625)


def test_dataset_writes_to_netcdf(res: CompositeResult, tmp_path) -> None:
    path = tmp_path / "composite.nc"
    res.to_dataset().to_netcdf(path, engine="h5netcdf")
    with xr.open_dataset(path, engine="h5netcdf") as back:
        np.testing.assert_array_equal(back["index"], res.to_dataset()["index"])
        assert back.attrs["n_units"] == 4


def test_frame_and_join(res: CompositeResult) -> None:
    frame = res.to_frame()
    assert list(frame.columns) == ["index", "rank", "A", "B"]
    assert frame.index.equals(TABLE.index)
    joined = TABLE.join(frame)
    assert joined["rank"].tolist() == [4.0, 3.0, 2.0, 1.0]
    wide = res.to_frame(["score_x1", "contribution_x3", "share_x2", "dropped", "weight"])
    assert wide["score_x1"].tolist() == pytest.approx([0.2, 0.4, 0.6, 1.0])
    assert wide["dropped"].dtype == bool
    assert res.to_frame("rank")["rank"].tolist() == [4.0, 3.0, 2.0, 1.0]
    with pytest.raises(ValidationError, match=r"variables: \['score_x9'\] are not columns"):
        res.to_frame(["score_x9"])


def test_index_property(res: CompositeResult) -> None:
    s = res.index
    assert isinstance(s, pd.Series) and s.name == "index" and list(s.index) == ["a", "b", "c", "d"]
    assert s.tolist() == pytest.approx([0.1625, 0.5125, 0.675, 0.75])
    s.iloc[0] = 99.0
    assert res.index.iloc[0] == pytest.approx(0.1625)


def test_groups_by_hand(res: CompositeResult) -> None:
    g = res.groups()
    assert list(g.index) == ["north", "south", "all"] and g.index.name == "region"
    # north: a (pop 1), b (pop 3); south: c, d (pop 2 each)
    assert g.loc["north", "index"] == pytest.approx((0.1625 + 3 * 0.5125) / 4, rel=1e-14)
    assert g.loc["south", "index"] == pytest.approx((0.675 + 0.75) / 2, rel=1e-14)
    all_ = (0.1625 + 3 * 0.5125 + 2 * 0.675 + 2 * 0.75) / 8
    assert g.loc["all", "index"] == pytest.approx(all_, rel=1e-14)
    assert g["n_units"].tolist() == [2, 2, 4] and g["weight_total"].tolist() == [4.0, 4.0, 8.0]
    assert list(g.columns) == [
        "index", "A", "B", "score_x1", "score_x2", "score_x3", "n_units", "n_dropped",
        "weight_total",
    ]  # fmt: skip
    assert list(res.groups(overall=False).index) == ["north", "south"]


def test_by_group_dataset(res: CompositeResult, big: CompositeResult) -> None:
    ds = res.by_group()
    assert ds["index"].dims == ("region",) and ds["region"].values.tolist() == ["north", "south"]
    assert ds["dimension_score"].dims == ("region", "dimension")
    np.testing.assert_allclose(ds["index"], res.groups()["index"].iloc[:2])
    two = big.by_group()
    assert set(two["index"].dims) == {"prov", "kind"}
    g = big.groups()
    assert two["index"].sel(prov="p2", kind="u").item() == pytest.approx(
        g.loc[("p2", "u"), "index"]
    )
    assert g.index[-1] == ("all", "")


def test_without_by() -> None:
    res = composite(TABLE, make_spec())
    assert list(res.groups().index) == ["all"]
    with pytest.raises(ValidationError, match="by_group"):
        res.by_group()
    assert len(res.summary().tables) == 1


def test_no_inference(res: CompositeResult) -> None:
    assert isinstance(res, ResultBase) and res.has_inference is False
    with pytest.raises(ValidationError, match="no standard errors"):
        res.se  # noqa: B018
    with pytest.raises(ValidationError):
        res.ci(0.9)


def test_plan_reproduces_the_point_index(res: CompositeResult) -> None:
    assert res.spec.name == "toy"
    again = engine.evaluate(res.plan)
    np.testing.assert_array_equal(again.index, res.to_dataset()["index"].to_numpy())
    assert res.plan.indicators == ("x1", "x2", "x3")


def test_summary_english(res: CompositeResult) -> None:
    s = res.summary()
    assert isinstance(s, Summary) and s.title == "Composite index" == res.title
    header = dict(s.header)
    assert header["Index"].startswith("toy: Toy index")
    assert header["Units"].startswith("4") and header["Population weight"] == "pop"
    assert header["Mean of the dimensions"] == "arithmetic" and header["Scale"] == "1"
    assert header["Groups"].startswith("region: 2 groups")
    (t_units, units), (t_groups, groups) = s.tables
    assert t_units == "Units by rank" and list(units.index) == ["d", "c", "b", "a"]
    assert list(units.columns) == ["rank", "index", "A", "B"]
    assert t_groups == "Weighted means by group" and list(groups.index)[-1] == "all"
    assert str(res) == s.text and "Toy index" in s.text


def test_summary_top_and_bottom_and_notes(big: CompositeResult) -> None:
    s = big.summary()
    titles = [t for t, _ in s.tables]
    assert titles == ["Top 10 units by rank", "Bottom 10 units by rank", "Weighted means by group"]
    top, bottom = s.tables[0][1], s.tables[1][1]
    assert top["rank"].tolist() == list(range(1, 11)) and bottom["rank"].iloc[-1] == 60
    want = big.to_frame().sort_values("rank").index
    assert list(top.index) == list(want[:10]) and list(bottom.index) == list(want[-10:])
    assert any("(x1: 0 below, 1 above)" in n for n in s.notes)


def test_summary_chinese(big: CompositeResult) -> None:
    en, zh = big.summary(), big.summary(lang="zh")
    assert zh.title == "综合指数" and len(zh.header) == len(en.header)
    assert all(CJK.search(label) for label, _ in zh.header)
    assert all(CJK.search(t) for t, _ in zh.tables) and len(zh.notes) == len(en.notes)
    assert list(zh.tables[0][1].columns[:2]) == ["排名", "指数"]
    assert list(zh.tables[2][1].index)[-1] == ("全部", "")
    for (_, f_en), (_, f_zh) in zip(en.tables, zh.tables, strict=True):
        np.testing.assert_array_equal(f_en.to_numpy(), f_zh.to_numpy())
    with pytest.raises(ValidationError, match="lang='fr'"):
        big.summary(lang="fr")


def test_repr(res: CompositeResult) -> None:
    text = repr(res)
    assert text.startswith("<CompositeResult spec='toy' units=4 dropped=0")
    assert "by=['region']" in text and "max=0.75" in text


def test_dimension_named_like_a_column() -> None:
    assert frame_column("index") == "dimension_index" and frame_column("health") == "health"
    spec = CompositeSpec(
        "clash",
        [CompositeIndicator("x1", "index", goalposts=(0, 10)),
         CompositeIndicator("x2", "rank", goalposts=(0, 40))],
        [Dimension("index", "1/2"), Dimension("rank", "1/2")],
    )  # fmt: skip
    res = composite(TABLE, spec)
    assert list(res.to_frame().columns) == ["index", "rank", "dimension_index", "dimension_rank"]
    assert res.to_frame()["dimension_index"].tolist() == pytest.approx([0.2, 0.4, 0.6, 1.0])
