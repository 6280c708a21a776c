"""mpi.identification.areas.poor_areas: poor areas on a composite index (cutoff, count) or by
the AF counting approach over area indicators, and the comparison with an official list."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import mpi
from mpi.composites.compute import composite
from mpi.composites.spec import CompositeIndicator, CompositeSpec, Dimension
from mpi.errors import MissingDataWarning, ValidationError
from mpi.identification.areas import PoorAreasResult, poor_areas
from mpi.identification.evaluate import evaluate_targeting
from mpi.identification.identify import identify

CJK = re.compile(r"[\u3400-\u9fff]")


@pytest.fixture
def areas() -> pd.DataFrame:
    """Six areas: index with a tie at 45, population, province, official flag, indicators."""
    return pd.DataFrame(
        {
            "lsi": [30.0, 45.0, 50.0, 45.0, 60.0, 20.0],
            "pop": [100.0, 200.0, 300.0, 400.0, 500.0, 600.0],
            "prov": ["p", "p", "q", "q", "r", "r"],
            "off": [1, 0, 0, 1, 0, 1],
            "toilet": [0.2, 0.6, 0.4, 0.7, 0.9, 0.1],
            "water": [0.5, 0.4, 0.8, 0.9, 0.3, 0.2],
            "road": [0.5, 1.5, 0.9, 2.0, 1.2, 0.3],
        },
        index=pd.Index(["A", "B", "C", "D", "E", "F"], name="county"),
    )


@pytest.fixture
def area_spec() -> mpi.Spec:
    return mpi.Spec(
        [
            mpi.Indicator("toilet", weight="1/3", cutoff=0.5),
            mpi.Indicator("water", weight="1/3", cutoff=0.5),
            mpi.Indicator("road", weight="1/3", cutoff=1.0),
        ],
        k="2/3",
        name="area_test",
    )


def _poor(res: PoorAreasResult) -> list[str]:
    frame = res.to_frame()
    return sorted(frame.index[frame["poor"]])


# -- the composite-index way --------------------------------------------------------------------
def test_cutoff_is_strictly_below(areas: pd.DataFrame) -> None:
    assert _poor(poor_areas(areas, index="lsi", cutoff=45)) == ["A", "F"]
    res = poor_areas(areas, index="lsi", cutoff=50, weight="pop")
    assert _poor(res) == ["A", "B", "D", "F"]  # C (exactly 50) is not poor
    frame = res.to_frame()
    assert list(frame.columns) == ["poor", "index", "rank"]
    assert frame["rank"].tolist() == [2.0, 3.0, 5.0, 3.0, 6.0, 1.0]
    ds = res.to_dataset()
    assert ds.attrs["method"] == "cutoff" and ds.attrs["cutoff"] == 50.0
    assert int(ds["n_poor"]) == 4 and int(ds["n_areas"]) == 6
    assert float(ds["share_poor"]) == pytest.approx(4 / 6, abs=1e-15)
    assert float(ds["population_poor"]) == 1300.0
    assert float(ds["population_share_poor"]) == pytest.approx(1300 / 2100, abs=1e-15)


def test_count_takes_the_lowest_and_every_tie(areas: pd.DataFrame) -> None:
    assert _poor(poor_areas(areas, index="lsi", count=2)) == ["A", "F"]
    res = poor_areas(areas, index="lsi", count=3)
    assert _poor(res) == ["A", "B", "D", "F"]  # B and D tie at 45, the third lowest
    a = res.to_dataset().attrs
    assert (a["count"], a["boundary"], a["n_tied_added"]) == (3, 45.0, 1)
    assert "ties at the boundary" in res.summary().header[0][1]
    assert any("45" in n and "4 areas" in n for n in res.summary().notes)
    assert list(res.poor_ids) == ["F", "A", "B", "D"]
    assert _poor(poor_areas(areas, index="lsi", count=6)) == list("ABCDEF")


def test_population_shares_equal_numpy(areas: pd.DataFrame) -> None:
    rng = np.random.default_rng(7)
    big = pd.DataFrame({
        "lsi": rng.normal(60, 10, 500), "pop": rng.integers(1_000, 900_000, 500).astype(float),
        "prov": rng.choice(["a", "b", "c", "d"], 500),
    })  # fmt: skip
    res = poor_areas(big, index="lsi", cutoff=52.5, weight="pop", by="prov")
    poor = big["lsi"].to_numpy() < 52.5
    w = big["pop"].to_numpy()
    ds = res.to_dataset()
    assert float(ds["population_share_poor"]) == pytest.approx(w[poor].sum() / w.sum(), abs=1e-12)
    assert int(ds["n_poor"]) == int(poor.sum())
    g = res.by_group()
    for prov in "abcd":
        m = big["prov"].to_numpy() == prov
        row = g.sel(prov=prov)
        assert int(row["n_areas"]) == int(m.sum())
        assert int(row["n_poor"]) == int((poor & m).sum())
        assert float(row["share_poor"]) == pytest.approx((poor & m).sum() / m.sum(), abs=1e-12)
        assert float(row["population_poor"]) == pytest.approx(w[poor & m].sum(), rel=1e-12)
        assert float(row["population_share_poor"]) == pytest.approx(
            w[poor & m].sum() / w[m].sum(), abs=1e-12
        )


def test_summary_shows_at_most_40_groups() -> None:
    table = pd.DataFrame({"lsi": np.arange(100.0), "g": np.arange(100) % 50})
    res = poor_areas(table, index="lsi", cutoff=30, by="g")
    assert res.by_group().sizes["g"] == 50
    title, frame = res.summary().tables[0]
    assert title == "Poor areas by group" and len(frame) == 40
    assert res.summary().notes[-1].startswith("… first 40 of 50 groups")
    assert frame.loc[3, "n_poor"] == 1 and frame.loc[30, "n_poor"] == 0


def test_composite_result_is_aligned_by_id(areas: pd.DataFrame) -> None:
    spec = CompositeSpec(
        "one", indicators=[CompositeIndicator("road", "access", 1, goalposts=[0, 2])],
        dimensions=[Dimension("access", 1)], scale=100,
    )  # fmt: skip
    comp = composite(areas, spec)
    # index = 100 * road / 2: A 25, B 75, C 45, D 100, E 60, F 15
    res = poor_areas(areas.iloc[::-1], index=comp, cutoff=50, weight="pop")
    assert _poor(res) == ["A", "C", "F"]
    assert res.to_frame()["index"].loc[["A", "C"]].tolist() == pytest.approx([25.0, 45.0])
    assert res.to_dataset().attrs["index"] == "one"
    with pytest.raises(ValidationError, match=r"index, a CompositeResult.*'F'"):
        poor_areas(areas.iloc[:5], index=comp, cutoff=50)
    other = areas.rename(index={"A": "Z"})
    with pytest.raises(ValidationError, match=r"CompositeResult.*\['Z'\].*\['A'\]"):
        poor_areas(other, index=comp, count=2)


def test_id_column_and_dataset_input(areas: pd.DataFrame) -> None:
    flat = areas.reset_index()
    res = poor_areas(flat, index="lsi", cutoff=45, id="county")
    assert _poor(res) == ["A", "F"]
    ds = xr.Dataset.from_dataframe(areas)
    assert _poor(poor_areas(ds, index="lsi", cutoff=45)) == ["A", "F"]


# -- the AF way ---------------------------------------------------------------------------------
def test_af_equals_identify_and_measure(areas: pd.DataFrame, area_spec: mpi.Spec) -> None:
    for k in ("1/3", "2/3", None):
        res = poor_areas(areas, spec=area_spec, k=k, weight="pop")
        status = identify(areas, area_spec, k=k, weight="pop").to_frame()
        frame = res.to_frame()
        assert frame["poor"].tolist() == status["poor"].tolist()
        np.testing.assert_allclose(frame["score"], status["score"], rtol=0, atol=1e-12)
        direct = mpi.measure(areas, area_spec, weight="pop", k=k)
        ds = res.to_dataset()
        for name in ("M0", "H", "A"):
            assert float(ds[name]) == pytest.approx(float(direct[name]), abs=1e-12)
            assert float(res.measure[name]) == pytest.approx(float(direct[name]), abs=1e-12)
        # the population share in poor areas is the area-level headcount ratio
        assert float(ds["population_share_poor"]) == pytest.approx(float(direct["H"]), abs=1e-12)
    # scores: A 2/3, B 1/3, C 2/3, D 0, E 1/3, F 1 -> poor at 2/3 (a score of exactly k is
    # poor): A, C, F; rank 1 = the highest score
    res = poor_areas(areas, spec=area_spec, weight="pop")
    assert _poor(res) == ["A", "C", "F"]
    assert res.to_frame()["score"].tolist() == pytest.approx([2 / 3, 1 / 3, 2 / 3, 0, 1 / 3, 1])
    assert res.to_frame()["rank"].tolist() == [2.0, 4.0, 2.0, 6.0, 4.0, 1.0]
    assert res.to_dataset().attrs["k"] == "2/3"


def test_af_on_the_county_data_by_province(area_spec: mpi.Spec) -> None:
    data = mpi.datasets.load("county_lsi")
    spec = mpi.Spec(
        [
            mpi.Indicator("sanitary_toilet", weight="1/4", cutoff=0.5),
            mpi.Indicator("piped_water", weight="1/4", cutoff=0.6),
            mpi.Indicator("mobile_internet", weight="1/4", cutoff=0.6),
            mpi.Indicator("road_density", weight="1/4", cutoff=0.5),
        ],
        k="1/2",
    )
    res = poor_areas(data, spec=spec, weight="population", by="province", id="county_id")
    direct = mpi.measure(data, spec, weight="population", by="province")
    status = identify(data, spec, weight="population", unit="county_id").to_frame()
    assert res.to_frame()["poor"].to_numpy().tolist() == status["poor"].tolist()
    g = res.by_group()
    np.testing.assert_allclose(
        g["population_share_poor"].values,
        direct.to_dataset()["H"].sel(province=g["province"].values).values,
        rtol=0, atol=1e-12,
    )  # fmt: skip
    assert float(res.to_dataset()["M0"]) == pytest.approx(float(direct.overall["M0"]), abs=1e-12)


# -- the official list --------------------------------------------------------------------------
def test_official_column_equals_targeting(areas: pd.DataFrame) -> None:
    res = poor_areas(areas, index="lsi", cutoff=50, weight="pop", official="off", by="prov")
    flags = areas.assign(p=res.to_frame()["poor"].astype(int))
    direct = evaluate_targeting(flags, "off", "p", weight="pop", by="prov")
    xr.testing.assert_allclose(res.targeting.to_dataset(), direct.to_dataset())
    whole = evaluate_targeting(flags, "off", "p", weight="pop").to_dataset()
    ds = res.to_dataset()
    # poor A B D F; listed A D F: listed_poor 1100, listed_nonpoor 0, unlisted_poor 200
    assert float(ds["inclusion_error"]) == float(whole["inclusion_error"]) == 0.0
    assert float(ds["exclusion_error"]) == pytest.approx(200 / 1300, abs=1e-15)
    assert float(ds["agreement"]) == pytest.approx((1100 + 800) / 2100, abs=1e-15)
    assert ds["official"].values.tolist() == [1.0, 0.0, 0.0, 1.0, 0.0, 1.0]
    g = res.by_group()
    np.testing.assert_array_equal(
        g["exclusion_error"].values, direct.to_dataset()["exclusion_error"].values
    )
    header = dict(res.summary().header)
    assert header["Exclusion error (identified, not listed)"] == "15.4%"


def test_official_ids_equal_the_column(areas: pd.DataFrame) -> None:
    by_col = poor_areas(areas, index="lsi", count=2, weight="pop", official="off")
    by_ids = poor_areas(areas, index="lsi", count=2, weight="pop", official=["A", "D", "F"])
    for name in ("inclusion_error", "exclusion_error", "agreement"):
        assert float(by_ids.to_dataset()[name]) == float(by_col.to_dataset()[name])
    # poor A F, listed A D F: inclusion error = D's population / listed population
    assert float(by_ids.to_dataset()["inclusion_error"]) == pytest.approx(400 / 1100, abs=1e-15)
    flat = areas.reset_index()
    with_id = poor_areas(flat, index="lsi", count=2, official=["A", "D", "F"], id="county")
    assert float(with_id.to_dataset()["inclusion_error"]) == pytest.approx(1 / 3, abs=1e-15)
    with pytest.raises(ValidationError, match="not in the data"):
        poor_areas(areas, index="lsi", count=2, official=["A", "X"])


# -- dropped areas ------------------------------------------------------------------------------
def test_dropped_areas_are_counted_and_warned(areas: pd.DataFrame) -> None:
    holes = areas.assign(
        lsi=areas["lsi"].where(areas.index != "B"), pop=areas["pop"].where(areas.index != "F")
    )
    with pytest.warns(MissingDataWarning, match="2 of 6 areas dropped"):
        res = poor_areas(holes, index="lsi", cutoff=50, weight="pop")
    ds = res.to_dataset()
    assert (ds.attrs["n_dropped"], ds.attrs["n_dropped_value"], ds.attrs["n_dropped_weight"]) == (
        2, 1, 1,
    )  # fmt: skip
    assert ds["dropped"].values.tolist() == [False, True, False, False, False, True]
    assert _poor(res) == ["A", "D"]
    assert np.isnan(ds["rank"].sel(unit=["B", "F"]).values).all()
    assert int(ds["n_areas"]) == 4
    assert float(ds["population_share_poor"]) == pytest.approx(500 / 1300, abs=1e-15)
    with pytest.warns(MissingDataWarning, match="1 of 6 areas dropped"):
        af = poor_areas(
            areas.assign(water=areas["water"].where(areas.index != "A")),
            spec=mpi.Spec.from_dimensions({"w": [{"name": "water", "cutoff": 0.5}]}, k=1),
        )
    assert af.to_dataset().attrs["n_dropped_value"] == 1
    with pytest.warns(MissingDataWarning, match="missing value in a by variable"):
        res = poor_areas(areas.assign(prov=areas["prov"].where(areas.index != "A")),
                         index="lsi", cutoff=50, by="prov")  # fmt: skip
    assert res.to_dataset().attrs["n_missing_group"] == 1
    assert int(res.by_group()["n_areas"].sum()) == 5


# -- errors -------------------------------------------------------------------------------------
def test_errors_name_the_argument_and_value(areas: pd.DataFrame, area_spec: mpi.Spec) -> None:
    cases = [
        (dict(), "got neither"),
        (dict(index="lsi", spec=area_spec, cutoff=50), "got both"),
        (dict(index="lsi", cutoff=50, count=2), r"got both \(cutoff=50, count=2\)"),
        (dict(index="lsi"), "cutoff= .*count=.*got neither"),
        (dict(index="lsi", count=0), "count must be a positive whole number.*got 0"),
        (dict(index="lsi", count=-1), "got -1"),
        (dict(index="lsi", count=True), "got True"),
        (dict(index="lsi", count=7), "count=7 is more than the 6 areas"),
        (dict(index="lsi", cutoff="50"), "cutoff must be a finite number.*'50'"),
        (dict(index="nope", cutoff=50), "index='nope' is not a column of data"),
        (dict(index="prov", cutoff=50), "index='prov' must be a numeric column"),
        (dict(index=[1, 2], cutoff=50), "index must be a CompositeResult"),
        (dict(index="lsi", cutoff=50, weight="nope"), "weight='nope' is not a column"),
        (dict(index="lsi", cutoff=50, by="nope"), "by='nope' is not a column"),
        (dict(index="lsi", cutoff=50, official="nope"), "official='nope' is not a column"),
        (dict(index="lsi", cutoff=50, id="nope"), "id='nope' is not a column"),
        (dict(index="lsi", cutoff=50, k="1/3"), "k='1/3' applies with spec= only"),
        (dict(spec=area_spec, cutoff=50), "cutoff=50 and count=None apply to an index="),
        (dict(spec="area_test"), "spec must be an mpi.Spec"),
        (dict(spec=area_spec, k=[0.3, 0.5]), "give one poverty cutoff"),
        (dict(index="lsi", cutoff=50, official="lsi"), "official column 'lsi' must hold 0/1"),
        (dict(index="lsi", cutoff=50, id="prov"), "duplicate ids"),
    ]
    for kwargs, message in cases:
        with pytest.raises(ValidationError, match=message):
            poor_areas(areas, **kwargs)
    with pytest.raises(ValidationError, match="infinite"):
        poor_areas(areas.assign(lsi=np.inf), index="lsi", cutoff=50)
    with pytest.raises(ValidationError, match="data must be a pandas DataFrame"):
        poor_areas(areas.to_numpy(), index="lsi", cutoff=50)


def test_inputs_are_not_modified(areas: pd.DataFrame) -> None:
    before = areas.copy()
    poor_areas(areas, index="lsi", count=3, weight="pop", official="off", by="prov")
    pd.testing.assert_frame_equal(areas, before)


# -- the result ---------------------------------------------------------------------------------
def test_result_interface(areas: pd.DataFrame, area_spec: mpi.Spec, tmp_path) -> None:
    res = poor_areas(areas, index="lsi", count=3, weight="pop", official="off", by="prov")
    ds = res.to_dataset()
    assert ds["poor"].dims == ("unit",) and list(ds["unit"].values) == list("ABCDEF")
    assert ds.attrs["Conventions"].startswith("CF-") and ds["rank"].attrs["long_name"]
    assert ds["population_share_poor"].attrs["units"] == "1"
    ds["poor"].values[:] = False
    assert res.to_dataset()["poor"].values.sum() == 4  # a copy
    path = tmp_path / "areas.nc"
    res.to_dataset().to_netcdf(path, engine="h5netcdf")
    with xr.open_dataset(path, engine="h5netcdf") as back:
        assert back["n_poor"].item() == 4
    assert list(res.to_frame(["rank", "official"]).columns) == ["rank", "official"]
    with pytest.raises(ValidationError, match="not columns of the result"):
        res.to_frame(["M0"])
    assert not res.has_inference
    with pytest.raises(ValidationError, match="by_group"):
        poor_areas(areas, index="lsi", count=3).by_group()
    en, zh = res.summary(), res.summary(lang="zh")
    assert en.title == "Poor areas" and CJK.search(zh.title)
    assert len(en.header) == len(zh.header) and all(CJK.search(k) for k, _ in zh.header)
    assert len(en.tables) == len(zh.tables) == 2 and len(en.notes) == len(zh.notes)
    assert "贫困地区数" in zh.tables[0][1].columns
    af = poor_areas(areas, spec=area_spec, weight="pop")
    assert "M0 = " in dict(af.summary().header)["Area-level measures (population-weighted)"]
    assert repr(res) == (
        "<PoorAreasResult method='count' count=3 index='lsi' areas=6 poor=4 (66.7%) dropped=0>"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert "Poor areas" in str(res)
