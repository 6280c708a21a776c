"""The composite-index presets: UNDP HDI (2020 method) and the county LSI of UNDP China 2016."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

import mpi
import mpi.datasets
import mpi.presets
from mpi.composites import engine
from mpi.composites.compute import composite
from mpi.composites.spec import CompositeSpec
from mpi.errors import SpecError, ValidationError

HDI_INPUTS = [
    "life_expectancy",
    "expected_years_schooling",
    "mean_years_schooling",
    "gni_per_capita",
]

# UNDP (2020), Human Development Report 2020. The Next Frontier: Human Development and the
# Anthropocene, Table 1 (Human Development Index and its components): HDI 2019, life expectancy
# at birth (years), expected years of schooling, mean years of schooling, GNI per capita
# (2017 PPP $).
HDR2020_TABLE1 = pd.DataFrame.from_records(
    [
        ("Norway", 0.957, 82.4, 18.1, 12.9, 66494),
        ("Ireland", 0.955, 82.3, 18.7, 12.7, 68371),
        ("Switzerland", 0.955, 83.8, 16.3, 13.4, 69394),
        ("Germany", 0.947, 81.3, 17.0, 14.2, 55314),
        ("China", 0.761, 76.9, 14.0, 8.1, 16057),
        ("India", 0.645, 69.7, 12.2, 6.5, 6681),
        ("Niger", 0.394, 62.4, 6.5, 2.1, 1201),
    ],
    columns=["country", "hdi", *HDI_INPUTS],
    index="country",
)
# Published values use unrounded inputs; from the published (rounded) inputs the HDI agrees
# to about +-0.0015 (../shared/reference/applications.md, section 3).
TOL_HDI = 0.0015

PUBLISHED_LSI = {
    "Zhejiang": 75.1,
    "Jiangsu": 73.7,
    "Beijing": 71.8,
    "Shanghai": 71.7,
    "Tianjin": 66.5,
}


@pytest.fixture(scope="module")
def counties() -> pd.DataFrame:
    return mpi.datasets.load("county_lsi")


def hdi_evaluation(table: pd.DataFrame) -> engine.Evaluation:
    spec = mpi.presets.hdi()
    return engine.evaluate(engine.plan(table[list(spec.indicator_names)].to_numpy(), spec))


# --- listing and loading ---------------------------------------------------------------------------


def test_available_and_load() -> None:
    assert mpi.presets.available() == [
        "china_2b3g",
        "global_mpi_2018",
        "hdi",
        "undp_china_lsi_2016",
    ]
    assert mpi.presets.available(kind="composite") == ["hdi", "undp_china_lsi_2016"]
    assert mpi.presets.available(kind="af") == ["china_2b3g", "global_mpi_2018"]
    assert isinstance(mpi.presets.load("hdi"), CompositeSpec)
    assert isinstance(mpi.presets.load("undp_china_lsi_2016"), CompositeSpec)
    assert isinstance(mpi.presets.load("global_mpi_2018"), mpi.Spec)
    assert mpi.presets.load("hdi") == mpi.presets.hdi()
    assert mpi.presets.load("undp_china_lsi_2016") == mpi.presets.undp_china_lsi_2016()
    with pytest.raises(ValidationError, match="kind: must be None"):
        mpi.presets.available(kind="index")  # type: ignore[arg-type]
    with pytest.raises(SpecError, match="unknown preset 'hdi2020'"):
        mpi.presets.load("hdi2020")


@pytest.mark.parametrize("method", ["arithmetic", "geometric"])
def test_lsi_yaml_round_trip(method: str) -> None:
    spec = mpi.presets.undp_china_lsi_2016(method)  # type: ignore[arg-type]
    again = CompositeSpec.from_yaml(spec.to_yaml())
    assert again == spec
    assert again.to_yaml() == spec.to_yaml()


def test_hdi_yaml_round_trip(tmp_path) -> None:
    spec = mpi.presets.hdi()
    assert CompositeSpec.from_yaml(spec.to_yaml()) == spec
    path = tmp_path / "hdi.yml"
    spec.to_yaml(path)
    assert CompositeSpec.from_yaml(path) == spec


# --- HDI ---------------------------------------------------------------------------------------------


def test_hdi_spec_is_the_2020_method() -> None:
    spec = mpi.presets.hdi()
    assert spec.name == "hdi"
    assert spec.indicator_names == tuple(HDI_INPUTS)
    assert spec.dimension_names == ("health", "education", "standard_of_living")
    assert [d.weight for d in spec.dimensions] == [Fraction(1, 3)] * 3
    assert [d.mean for d in spec.dimensions] == ["arithmetic"] * 3
    assert (spec.normalisation, spec.mean, spec.floor, spec.scale, spec.clip) == (
        "goalposts",
        "geometric",
        None,
        1.0,
        True,
    )
    posts = {i.name: (i.goalposts, i.transform, i.weight) for i in spec.indicators}
    assert posts == {
        "life_expectancy": ((20.0, 85.0), None, Fraction(1)),
        "expected_years_schooling": ((0.0, 18.0), None, Fraction(1, 2)),
        "mean_years_schooling": ((0.0, 15.0), None, Fraction(1, 2)),
        "gni_per_capita": ((100.0, 75000.0), "log", Fraction(1)),
    }
    assert "Human Development Report 2020" in spec.source
    assert any("Technical note 1" in r for r in spec.references)


def test_hdi_reproduces_hdr2020_table1() -> None:
    ev = hdi_evaluation(HDR2020_TABLE1)
    published = HDR2020_TABLE1["hdi"].to_numpy()
    assert np.abs(ev.index - published).max() <= TOL_HDI
    # and through the public estimator, with the countries as units
    res = composite(HDR2020_TABLE1, mpi.presets.hdi())
    index = res.to_frame()["index"]
    assert list(index.index) == list(HDR2020_TABLE1.index)
    assert np.array_equal(index.to_numpy(), ev.index)
    assert list(res.to_frame()["rank"]) == [1, 2, 3, 4, 5, 6, 7]
    # Ireland's expected years (18.7) and Norway's (18.1) are capped at an index of 1
    assert ev.n_above.tolist() == [0, 2, 0, 0]


def test_hdi_dimension_indices_by_hand() -> None:
    ev = hdi_evaluation(HDR2020_TABLE1)
    norway = HDR2020_TABLE1.index.get_loc("Norway")
    lei, ei, ii = ev.dimension[norway]
    assert lei == pytest.approx((82.4 - 20) / 65, abs=1e-15)  # 0.96
    assert lei == pytest.approx(0.96, abs=1e-12)
    assert ei == pytest.approx((18 / 18 + 12.9 / 15) / 2, abs=1e-15)  # EYS 18.1 capped at 18
    assert ei == pytest.approx(0.93, abs=1e-12)
    expected_ii = (math.log(66494) - math.log(100)) / (math.log(75000) - math.log(100))
    assert ii == pytest.approx(expected_ii, abs=1e-14)
    assert ii == pytest.approx(0.98182, abs=5e-6)
    assert ev.index[norway] == pytest.approx((lei * ei * ii) ** (1 / 3), abs=1e-14)
    niger = HDR2020_TABLE1.index.get_loc("Niger")
    assert ev.dimension[niger, 1] == pytest.approx((6.5 / 18 + 2.1 / 15) / 2, abs=1e-15)


def test_hdi_goalposts_clip() -> None:
    table = pd.DataFrame(
        {
            "life_expectancy": [90.0, 15.0],
            "expected_years_schooling": [20.0, 0.0],
            "mean_years_schooling": [15.0, 0.0],
            "gni_per_capita": [120000.0, 50.0],
        }
    )
    ev = hdi_evaluation(table)
    assert ev.index.tolist() == [1.0, 0.0]  # no floor: a 0 makes the geometric mean 0
    assert ev.n_above.tolist() == [1, 1, 0, 1]
    assert ev.n_below.tolist() == [1, 0, 0, 1]


# --- county LSI ----------------------------------------------------------------------------------------


def test_lsi_spec() -> None:
    spec = mpi.presets.undp_china_lsi_2016()
    assert spec.dimension_names == ("living_standards",)
    assert [i.weight for i in spec.indicators] == [Fraction(1, 8)] * 8
    assert (spec.mean, spec.dimensions[0].mean, spec.scale) == ("arithmetic", "arithmetic", 100.0)
    geo = mpi.presets.undp_china_lsi_2016("geometric")
    assert (geo.dimensions[0].mean, geo.floor) == ("geometric", 0.01)
    assert geo.replace(dimensions=spec.dimensions) == spec
    logs = [i.name for i in spec.indicators if i.transform == "log"]
    assert logs == ["living_services", "road_density", "night_light", "financial_services"]
    with pytest.raises(ValidationError, match="method: must be 'arithmetic'"):
        mpi.presets.undp_china_lsi_2016("harmonic")  # type: ignore[arg-type]


def test_lsi_reproduces_the_stored_index_exactly(counties: pd.DataFrame) -> None:
    res = composite(counties, mpi.presets.undp_china_lsi_2016())
    assert np.array_equal(res.to_frame()["index"].to_numpy(), counties["lsi"].to_numpy())
    geo = composite(counties, mpi.presets.undp_china_lsi_2016("geometric"))
    assert np.array_equal(geo.to_frame()["index"].to_numpy(), counties["lsi_geometric"].to_numpy())


def test_lsi_published_figures(counties: pd.DataFrame) -> None:
    res = composite(counties, mpi.presets.undp_china_lsi_2016(), by="province")
    index = res.to_frame()["index"]
    assert index.mean() == pytest.approx(61.3, abs=0.2)
    means = index.groupby(counties["province"], observed=True).mean()
    for province, value in PUBLISHED_LSI.items():
        assert means[province] == pytest.approx(value, abs=0.5), province
    assert list(means.sort_values(ascending=False).index[:5]) == list(PUBLISHED_LSI)
    # the result's by-province means (each county counts 1) are the same means
    by_group = res.by_group()["index"].to_pandas()
    np.testing.assert_allclose(by_group[means.index].to_numpy(), means.to_numpy(), rtol=1e-13)
