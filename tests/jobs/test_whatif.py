"""``mpi.jobs.what_if``: income deprivation and poverty before and after the job matches.

The hand-computed case: china_2b3g with a line of 4,000 yuan (k = 1/7, seven indicators of
weight 1/7, so one deprivation makes a household poor), six households in three villages:

======  =======  ======  ====  =====================  ====================================
hh      village  income  size  other deprivations     matched wages (monthly, yuan)
======  =======  ======  ====  =====================  ====================================
1       1        3000    2     -                      100 + 100 -> +1,200 -> 4,200: exits
2       1        5000    3     food                   -
3       2        3500    4     water                  200 -> +600 -> 4,100: income exits
4       2        2000    1     -                      (unmatched)
5       3        1000    2     -                      300 -> +1,800 -> 2,800: still below
6       3        4500    5     -                      1000 (not poor anyway)
======  =======  ======  ====  =====================  ====================================

plus a matched worker without a household (-1) and an unmatched one whose household id (99)
is not among the households. Scores before: 1, 1, 2, 1, 1, 0 (sevenths); after: 0, 1, 1, 1,
1, 0.
"""

from __future__ import annotations

import warnings
from fractions import Fraction as F

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import mpi
from mpi.errors import DataError, ValidationError
from mpi.jobs.whatif import VARIABLES, JobsWhatIf, what_if

SPEC = mpi.presets.china_2b3g(income_line=4000)
#: the hand-made households have no house of grade C or D (housing_safety's categories)
pytestmark = pytest.mark.filterwarnings("ignore::mpi.CategoryWarning")


def _households() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "unit": [1, 2, 3, 4, 5, 6],
            "village": [1, 1, 2, 2, 3, 3],
            "hh_size": [2, 3, 4, 1, 2, 5],
            "income_per_capita": [3000.0, 5000.0, 3500.0, 2000.0, 1000.0, 4500.0],
            "food_insecure": [0, 1, 0, 0, 0, 0],
            "clothing_insecure": 0,
            "dropout_children": 0,
            "medical_insured": 1,
            "housing_grade": "A",
            "safe_water": [1, 1, 0, 1, 1, 1],
        }
    )


def _workers() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "worker_id": [f"W{i}" for i in range(1, 9)],
            "household_id": [1, 1, 3, 4, 5, -1, 99, 6],
            "matched": [True, True, True, False, True, True, False, True],
            "wage": [100.0, 100.0, 200.0, np.nan, 300.0, 500.0, np.nan, 1000.0],
        }
    )


def _f(x: float) -> F:
    return F(x).limit_denominator(1000)


@pytest.fixture(scope="module")
def hand() -> JobsWhatIf:
    return what_if(_workers(), _households(), SPEC)


def test_hand_computed_by_village(hand):
    ds = hand.to_dataset()
    assert list(ds["village"].values) == [1, 2, 3]
    want = {
        "households": [2, 2, 2],
        "households_measured": [2, 2, 2],
        "workers_matched": [2, 1, 2],
        "households_with_match": [1, 1, 2],
        "income_added": [2400.0, 2400.0, 15600.0],
    }
    for name, values in want.items():
        assert ds[name].values.tolist() == values, name
    exact = {
        "income_deprived_before": [F(1, 2), F(1), F(1, 2)],
        "income_deprived_after": [F(0), F(1, 2), F(1, 2)],
        "H_before": [F(1), F(1), F(1, 2)],
        "H_after": [F(1, 2), F(1), F(1, 2)],
        "M0_before": [F(1, 7), F(3, 14), F(1, 14)],
        "M0_after": [F(1, 14), F(1, 7), F(1, 14)],
        "M0_change": [F(-1, 14), F(-1, 14), F(0)],
    }
    for name, values in exact.items():
        assert [_f(v) for v in ds[name].values] == values, name
        np.testing.assert_allclose(ds[name].values, [float(v) for v in values], atol=1e-15)


def test_hand_computed_overall(hand):
    o = hand.overall
    assert int(o["households"]) == 6 and int(o["workers_matched"]) == 5
    assert int(o["households_with_match"]) == 4 and float(o["income_added"]) == 20400.0
    assert _f(float(o["M0_before"])) == F(1, 7)
    assert _f(float(o["M0_after"])) == F(2, 21)
    assert _f(float(o["M0_change"])) == F(2, 21) - F(1, 7)
    assert _f(float(o["H_before"])) == F(5, 6) and _f(float(o["H_after"])) == F(2, 3)
    assert _f(float(o["income_deprived_before"])) == F(2, 3)
    assert _f(float(o["income_deprived_after"])) == F(1, 3)
    ds = hand.to_dataset()
    for name in VARIABLES:  # the overall row is in the dataset too
        assert float(ds[f"overall_{name}"]) == pytest.approx(float(o[name]), abs=0)


def test_agrees_with_measure_on_the_hand_made_after_table(hand):
    after = _households()
    after["income_per_capita"] += np.array([1200.0, 0, 600, 0, 1800, 2400])
    res = mpi.measure(after, SPEC, by="village").to_dataset()
    np.testing.assert_allclose(hand.to_dataset()["M0_after"].values, res["M0"].values, atol=0)
    np.testing.assert_allclose(hand.to_dataset()["H_after"].values, res["H"].values, atol=0)


def test_unlinked_workers_are_counted(hand):
    a = hand.to_dataset().attrs
    assert a["n_workers"] == 8 and a["n_workers_matched"] == 6
    assert a["n_workers_unlinked"] == 1  # household id -1
    assert a["n_workers_unknown_household"] == 1  # id 99
    assert a["n_matched_left_out"] == 1  # the matched one of the two (wage 500, not added)
    assert a["n_matched_linked"] == 5 and a["n_matched_unmeasured"] == 0
    notes = hand.summary().notes
    assert any("1 workers without a household" in n and "1 of them were matched" in n
               for n in notes)  # fmt: skip


def test_missing_household_id_counts_as_unlinked():
    w = _workers().astype({"household_id": float})
    w.loc[0, "household_id"] = np.nan  # worker 1 of household 1: not linked now
    res = what_if(w, _households(), SPEC)
    a = res.to_dataset().attrs
    assert a["n_workers_unlinked"] == 2 and a["n_matched_left_out"] == 2
    # household 1 gets 100 x 12 / 2 = 600 only: 3,600, still below the line
    assert res.to_dataset()["income_added"].values.tolist() == [1200.0, 2400.0, 15600.0]
    assert _f(float(res.to_dataset()["M0_after"].sel(village=1))) == F(1, 7)


def test_take_up_zero_changes_nothing():
    res = what_if(_workers(), _households(), SPEC, take_up=0.0)
    ds = res.to_dataset()
    for stem in ("M0", "H", "income_deprived"):
        np.testing.assert_array_equal(ds[f"{stem}_before"].values, ds[f"{stem}_after"].values)
    assert (ds["M0_change"].values == 0).all() and (ds["income_added"].values == 0).all()
    assert ds["workers_matched"].values.tolist() == [2, 1, 2]  # still counted


def test_half_take_up_and_months():
    # take_up 0.5: household 1 gets 200 x 12 x 0.5 / 2 = 600 (3,600: still below), household
    # 3 gets 300 (3,800: still below); six months of full take-up: the same
    for kwargs in ({"take_up": 0.5}, {"months": 6}):
        ds = what_if(_workers(), _households(), SPEC, **kwargs).to_dataset()
        np.testing.assert_array_equal(ds["M0_after"].values, ds["M0_before"].values)
        assert ds["income_added"].values.tolist() == [1200.0, 1200.0, 7800.0]
    ds = what_if(_workers(), _households(), SPEC, take_up=0.75, months=8).to_dataset()
    # household 1: 200 x 8 x 0.75 / 2 = 600 -> 3,600; household 3: 200 x 6 / 4 = 300
    assert ds["income_added"].values.tolist() == [1200.0, 1200.0, 7800.0]


def test_weights_and_no_groups():
    hh = _households().assign(w=[1.0, 1.0, 2.0, 1.0, 1.0, 3.0])
    res = what_if(_workers(), hh, SPEC, by=None, weight="w")
    ds = res.to_dataset()
    assert not any(ds[v].ndim for v in ds.data_vars)
    # before: weighted scores (1 + 1 + 2*2 + 1 + 1 + 0) / 7 / 9; after: (0 + 1 + 2 + 1 + 1 + 0)
    assert _f(float(ds["M0_before"])) == F(8, 63)
    assert _f(float(ds["M0_after"])) == F(5, 63)
    assert _f(float(ds["income_deprived_after"])) == F(2, 9)
    assert ds.attrs["weight"] == "w" and ds.attrs["by"] == ""
    with pytest.raises(ValidationError, match="by_group"):
        res.by_group()
    assert list(res.table().index) == ["Overall"]


def test_households_dropped_for_missing_values_are_counted():
    hh = pd.concat(
        [_households(), _households().iloc[[4]].assign(unit=7, food_insecure=np.nan)],
        ignore_index=True,
    )
    w = pd.concat([_workers(), pd.DataFrame({"household_id": [7], "matched": [True],
                                             "wage": [50.0]})], ignore_index=True)  # fmt: skip
    with pytest.warns(mpi.MissingDataWarning):
        res = what_if(w, hh, SPEC)
    ds = res.to_dataset()
    assert ds["households"].values.tolist() == [2, 2, 3]
    assert ds["households_measured"].values.tolist() == [2, 2, 2]
    assert ds["workers_matched"].values.tolist() == [2, 1, 3]
    assert ds.attrs["n_matched_unmeasured"] == 1 and ds.attrs["n_dropped"] == 1
    assert _f(float(ds["M0_before"].sel(village=3))) == F(1, 14)  # as without household 7
    assert any("dropped for missing values" in n for n in res.summary().notes)


def test_missing_group_counts_in_the_overall_only():
    hh = _households().astype({"village": float})
    hh.loc[5, "village"] = np.nan  # household 6, not poor, with its matched worker
    with pytest.warns(mpi.MissingDataWarning, match="by variable 'village'"):
        res = what_if(_workers(), hh, SPEC)
    ds = res.to_dataset()
    assert ds["households"].values.tolist() == [2, 2, 1]
    assert int(res.overall["households"]) == 6 and int(res.overall["workers_matched"]) == 5
    assert ds.attrs["n_missing_group"] == 1


def test_a_match_result_is_read_through_to_frame(hand):
    class Matched:  # what mpi.jobs.match returns, as far as what_if is concerned
        def to_frame(self) -> pd.DataFrame:
            return _workers()

    res = what_if(Matched(), _households(), SPEC)
    xr.testing.assert_identical(res.to_dataset().drop_attrs(), hand.to_dataset().drop_attrs())


def test_inputs_are_not_mutated():
    hh, w = _households(), _workers()
    hh0, w0 = hh.copy(), w.copy()
    what_if(w, hh, SPEC, take_up=0.5)
    pd.testing.assert_frame_equal(hh, hh0)
    pd.testing.assert_frame_equal(w, w0)


def test_default_spec_is_china_2b3g():
    res = what_if(_workers(), _households())
    a = res.to_dataset().attrs
    assert a["spec"] == "china_2b3g" and a["income_indicator"] == "income"
    assert a["income_line"] == "4000" and a["k"] == "1/7"


@pytest.mark.parametrize(
    ("kwargs", "word"),
    [
        ({"take_up": 1.5}, "take_up=1.5"),
        ({"take_up": -0.1}, "take_up=-0.1"),
        ({"take_up": True}, "take_up=True"),
        ({"take_up": "all"}, "take_up='all'"),
        ({"take_up": float("nan")}, "take_up=nan"),
        ({"months": 0}, "months=0"),
        ({"months": -3}, "months=-3"),
        ({"months": None}, "months=None"),
        ({"household_id": "hh_id"}, "household_id='hh_id'"),
        ({"size": "members"}, "size='members'"),
        ({"income": "earnings"}, "income='earnings'"),
        ({"income": "food_insecure"}, "income='food_insecure'"),
        ({"by": "county"}, "by='county'"),
        ({"by": ["village"]}, "by=\\['village'\\]"),
        ({"weight": "w"}, "weight='w'"),
    ],
)
def test_bad_arguments_name_the_argument(kwargs, word):
    with pytest.raises(ValidationError, match=word):
        what_if(_workers(), _households(), SPEC, **kwargs)


def test_bad_inputs():
    with pytest.raises(ValidationError, match="match must be"):
        what_if([1, 2], _households(), SPEC)
    with pytest.raises(ValidationError, match=r"lacks the columns \['wage'\]"):
        what_if(_workers().drop(columns="wage"), _households(), SPEC)
    with pytest.raises(ValidationError, match="households must be a pandas DataFrame"):
        what_if(_workers(), _households().to_dict(), SPEC)
    with pytest.raises(ValidationError, match="spec must be an mpi.Spec"):
        what_if(_workers(), _households(), "china_2b3g")
    with pytest.raises(DataError, match="occur more than once"):
        what_if(_workers(), pd.concat([_households(), _households().iloc[[0]]]), SPEC)
    with pytest.raises(DataError, match="non-positive size"):
        what_if(_workers(), _households().assign(hh_size=[2, 3, 0, 1, 2, 5]), SPEC)
    with pytest.raises(DataError, match="wage"):
        what_if(_workers().assign(wage=np.nan), _households(), SPEC)
    with pytest.raises(DataError, match="matched"):
        what_if(_workers().assign(matched="yes"), _households(), SPEC)
    text_ids = _workers().assign(household_id=["1", "1", "3", "4", "5", -1, "99", "6"])
    with pytest.raises(DataError, match="none of the 7 workers' household ids"):
        what_if(text_ids, _households(), SPEC)  # ids as text against integers
    with pytest.raises(DataError, match="safe_water"):
        what_if(_workers(), _households().drop(columns="safe_water"), SPEC)


@pytest.fixture(scope="module")
def registry() -> tuple[pd.DataFrame, mpi.Spec]:
    ds = mpi.datasets.load("registry_panel", format="xarray")
    hh = ds.sel(time=2022).to_dataframe().reset_index()
    spec = mpi.presets.china_2b3g(income_line=float(ds["poverty_line"].sel(time=2022)))
    return hh.iloc[:1200].copy(), spec


def test_more_take_up_never_raises_poverty(registry):
    hh, spec = registry
    rng = np.random.default_rng(23)
    n = 1500
    w = pd.DataFrame({
        "household_id": rng.choice(np.r_[hh["unit"].to_numpy(), -1], n),
        "matched": rng.random(n) < 0.5,
        "wage": rng.uniform(300.0, 4000.0, n),
    })  # fmt: skip
    runs = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mpi.MissingDataWarning)
        for take_up in (0.0, 0.1, 0.3, 0.6, 1.0):
            runs.append(what_if(w, hh, spec, take_up=take_up, weight="weight").to_dataset())
    for name in ("M0_after", "H_after", "income_deprived_after", "overall_M0_after"):
        values = np.stack([r[name].values for r in runs])
        ok = np.isfinite(values).all(axis=0)
        assert (np.diff(values[:, ok], axis=0) <= 0).all(), name
    first, last = runs[0], runs[-1]
    a = first.attrs  # the households measured are those mpi.measure kept
    assert a["n_households_measured"] == a["n_households"] - a["n_dropped"] > 0
    assert int(first["households_measured"].sum()) == a["n_households_measured"]
    assert float(first["overall_M0_change"]) == 0.0
    assert float(last["overall_M0_change"]) < 0  # the registry has income-poor households
    assert (last["M0_change"].fillna(0).values <= 0).all()


def test_registry_panel_households_have_the_spec_variables(registry):
    hh, spec = registry
    assert set(spec.variables) <= set(hh.columns)
    assert {"unit", "hh_size", "village", "weight"} <= set(hh.columns)
    assert hh["unit"].is_unique and (hh["hh_size"] > 0).all()


def test_summary_and_repr(hand):
    en, zh = hand.summary(), hand.summary(lang="zh")
    assert en.title.startswith(JobsWhatIf.title)
    assert "收入剥夺" in zh.title and len(zh.header) == len(en.header)
    assert [t.shape for _, t in en.tables] == [(4, 5), (4, 7)]  # the overall row + 3 villages
    assert en.tables[0][1].index[0] == "Overall" and zh.tables[0][1].index[0] == "总体"
    assert zh.tables[0][1].index.name == "村"
    r = repr(hand)
    assert r.startswith("<JobsWhatIf") and "M0 0.1429 -> 0.0952" in r
    frame = hand.to_frame()
    assert {"measure", "village", "estimate"} <= set(frame.columns)
    m0 = frame[frame["measure"] == "M0_after"].set_index("village")["estimate"]
    assert m0.to_dict() == pytest.approx({1: 1 / 14, 2: 1 / 7, 3: 1 / 14})
    ds = hand.to_dataset()
    assert ds.attrs["Conventions"].startswith("CF-") and "what_if" in ds.attrs["history"]
    assert all("long_name" in ds[v].attrs and "units" in ds[v].attrs for v in ds.data_vars)
    ds["M0_after"].values[:] = 9
    assert float(hand.to_dataset()["M0_after"].max()) < 1  # a copy
    assert hand.by_group().sizes == {"village": 3}


def test_from_a_match_of_the_labour_market(registry):
    from mpi.jobs.match import match

    _, spec = registry
    ds = mpi.datasets.load("registry_panel", format="xarray")
    hh = ds.sel(time=2022).to_dataframe().reset_index()
    data = mpi.datasets.generate("labour_market", n=400, seed=3)
    res = match(data["workers"], data["posts"])
    frame = res.to_frame()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mpi.MissingDataWarning)
        out = what_if(res, hh, spec, weight="weight")
    a = out.to_dataset().attrs
    linked = frame["household_id"].isin(hh["unit"])
    assert a["n_workers"] == len(frame) == 400
    assert a["n_workers_matched"] == int(frame["matched"].sum()) > 0
    assert a["n_matched_linked"] == int((frame["matched"] & linked).sum()) > 0
    assert a["n_matched_linked"] + a["n_matched_left_out"] == a["n_workers_matched"]
    assert a["n_workers_unlinked"] == int((frame["household_id"] == -1).sum())
    assert int(out.overall["workers_matched"]) == a["n_matched_linked"]
    assert int(out.to_dataset()["workers_matched"].sum()) == a["n_matched_linked"]
    wages = frame.loc[frame["matched"] & linked, "wage"].sum()
    assert float(out.overall["income_added"]) == pytest.approx(12 * wages, rel=1e-12)
    assert float(out.overall["M0_change"]) <= 0
