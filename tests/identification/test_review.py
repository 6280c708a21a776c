"""Review lists (issue 17 point 3): exact rows on a hand-made example with ties at k, the
ranking, missing records, bad lists, unmutated inputs, panels."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import mpi
from mpi.errors import MissingDataWarning, ValidationError
from mpi.identification.review import REVIEW_COLUMNS, ReviewLists, review_lists

# four indicators of weight 1/4 (two per dimension); k = 1/2
SPEC = mpi.Spec.from_dimensions({"A": ["a1", "a2"], "B": ["b1", "b2"]}, k="1/2")


def _df() -> pd.DataFrame:
    rows = {  # id: a1, a2, b1, b2, listed
        "a": (0, 0, 0, 0, 1),  # score 0, listed: the most doubtful inclusion
        "b": (1, 0, 0, 0, 1),  # 1/4, listed
        "c": (1, 0, 1, 0, 0),  # 1/2 = k exactly: poor (tie), not listed
        "d": (1, 1, 1, 1, 0),  # 1, not listed: the first exclusion
        "e": (1, 1, 0, 0, 1),  # 1/2, poor and listed: in no list
        "f": (0, 0, 0, 0, 0),  # 0, not poor, not listed: in no list
        "g": (1, 0, 0, np.nan, 1),  # b2 missing; listed
        "h": (0, 0, 1, 0, 1),  # 1/4, listed: ties with b, after it (order of the data)
    }
    df = pd.DataFrame.from_dict(rows, orient="index", columns=["a1", "a2", "b1", "b2", "listed"])
    df.index.name = "hh"
    return df


def _expected(ids, score, frac, dist, dist_frac, poor, listed, n_dep, dep, n_miss, miss):
    return pd.DataFrame(
        {
            "rank": np.arange(1, len(ids) + 1, dtype=np.int64),
            "score": np.array(score, dtype=float),
            "score_fraction": frac,
            "distance_to_k": np.array(dist, dtype=float),
            "distance_fraction": dist_frac,
            "poor": np.array(poor, dtype=bool),
            "listed": np.array(listed, dtype=bool),
            "n_deprived": np.array(n_dep, dtype=np.int64),
            "deprived": dep,
            "n_missing_indicators": np.array(n_miss, dtype=np.int64),
            "missing_indicators": miss,
        },
        index=pd.Index(ids, name="hh"),
    )


def _quiet(*args, **kwargs) -> ReviewLists:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingDataWarning)
        return review_lists(*args, **kwargs)


def test_exact_rows_with_ties_at_k_and_drop_rule() -> None:
    with pytest.warns(MissingDataWarning, match="1 of 8 units dropped"):
        res = review_lists(_df(), SPEC, "listed")
    assert isinstance(res, ReviewLists)
    exp_inc = _expected(
        ["a", "b", "h"], [0, 0.25, 0.25], ["0", "1/4", "1/4"], [-0.5, -0.25, -0.25],
        ["-1/2", "-1/4", "-1/4"], [False] * 3, [True] * 3, [0, 1, 1], ["", "a1", "b1"],
        [0, 0, 0], ["", "", ""],
    )  # fmt: skip
    pd.testing.assert_frame_equal(res.inclusion, exp_inc)
    exp_exc = _expected(
        ["d", "c"], [1.0, 0.5], ["1", "1/2"], [0.5, 0.0], ["1/2", "0"], [True, True],
        [False, False], [4, 2], ["a1; a2; b1; b2", "a1; b1"], [0, 0], ["", ""],
    )  # fmt: skip
    pd.testing.assert_frame_equal(res.exclusion, exp_exc)
    exp_uns = _expected(
        ["g"], [np.nan], [""], [np.nan], [""], [False], [True], [1], ["a1"], [1], ["b2"]
    )
    pd.testing.assert_frame_equal(res.unscored, exp_uns)
    assert tuple(res.inclusion.columns) == REVIEW_COLUMNS


def test_reweight_rule_ranks_missing_records_after_complete_ones() -> None:
    res = _quiet(_df(), SPEC, "listed", missing="reweight")
    # g: b2 missing, B's weight moves to b1 (not deprived): score 1/4 like b and h, but
    # with a missing record it comes after them
    assert res.inclusion.index.tolist() == ["a", "b", "h", "g"]
    g = res.inclusion.loc["g"]
    assert (g["score_fraction"], g["distance_fraction"]) == ("1/4", "-1/4")
    assert (g["missing_indicators"], g["n_missing_indicators"]) == ("b2", 1)
    assert res.unscored.empty


def test_scores_and_lists_are_identify_output() -> None:
    rng = np.random.default_rng(7)
    n = 400
    df = pd.DataFrame(rng.integers(0, 2, (n, 4)), columns=["a1", "a2", "b1", "b2"]).astype(float)
    df.iloc[rng.choice(n, 30, replace=False), 3] = np.nan
    df["listed"] = rng.integers(0, 2, n)
    df["w"] = rng.uniform(1, 3, n)
    for k in ("1/4", "1/2", "3/4"):
        res = _quiet(df, SPEC, "listed", weight="w", k=k, missing="reweight")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MissingDataWarning)
            ident = mpi.identify(df, SPEC, weight="w", k=k, missing="reweight").to_frame()
        listed = df["listed"] == 1
        assert set(res.inclusion.index) == set(df.index[listed & ~ident["poor"]])
        assert set(res.exclusion.index) == set(df.index[~listed & ident["poor"]])
        for tab in (res.inclusion, res.exclusion):
            np.testing.assert_allclose(tab["score"], ident.loc[tab.index, "score"], atol=1e-12)
            np.testing.assert_allclose(tab["distance_to_k"], tab["score"] - eval(k), atol=1e-12)
            assert (tab["sampling_weight"] == df.loc[tab.index, "w"]).all()
            assert (tab["rank"] == np.arange(1, len(tab) + 1)).all()
        inc, exc = res.inclusion, res.exclusion
        assert (np.diff(inc["score"]) >= 0).all() and (np.diff(exc["score"]) <= 0).all()
        same = np.diff(inc["score"]) == 0  # ties: fewer missing records first
        assert (np.diff(inc["n_missing_indicators"])[same] >= 0).all()
        n_miss = ident.loc[inc.index, "n_missing_indicators"]
        assert (inc["n_missing_indicators"] == n_miss).all()
        top = _quiet(df, SPEC, "listed", weight="w", k=k, missing="reweight", top=5)
        pd.testing.assert_frame_equal(top.inclusion, inc.iloc[:5])
        pd.testing.assert_frame_equal(top.exclusion, exc.iloc[:5])


def test_series_list_aligned_by_id() -> None:
    df = _df().drop(columns="listed")
    on_list = pd.Series([1, 1, 1, 1], index=["a", "b", "h", "e"])  # others: not listed
    res = _quiet(df, SPEC, on_list)
    assert res.inclusion.index.tolist() == ["a", "b", "h"]
    assert res.exclusion.index.tolist() == ["d", "c"]
    with pytest.raises(ValidationError, match=r"not in the data, e\.g\. \['zz'\]"):
        _quiet(df, SPEC, pd.Series([1, 1], index=["a", "zz"]))


@pytest.mark.parametrize(
    ("listed", "match"),
    [
        ([1, 2, 0, 0, 1, 0, 1, 1], r"listed column 'listed' must hold 0/1 flags.*2"),
        (["yes", "no", "no", "no", "yes", "no", "yes", "yes"], r"listed column .*'yes'"),
    ],
)
def test_bad_listed_values(listed, match) -> None:
    df = _df().assign(listed=listed)
    with pytest.raises(ValidationError, match=match):
        _quiet(df, SPEC, "listed")


def test_bad_arguments() -> None:
    df = _df()
    with pytest.raises(ValidationError, match="listed='nope' is not a column"):
        _quiet(df, SPEC, "nope")
    with pytest.raises(ValidationError, match="one poverty cutoff"):
        _quiet(df, SPEC, "listed", k=[0.25, 0.5])
    for top in (0, -1, 2.5, True):
        with pytest.raises(ValidationError, match=f"top={top!r} must be a positive"):
            _quiet(df, SPEC, "listed", top=top)
    with pytest.raises(ValidationError, match="listed must be the name"):
        _quiet(df, SPEC, ["listed"])


def test_missing_flags_warn_and_are_left_out() -> None:
    df = _df()
    df.loc["a", "listed"] = np.nan
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = review_lists(df, SPEC, "listed")
    msgs = [str(w.message) for w in caught if issubclass(w.category, MissingDataWarning)]
    assert any("1 of 8 units have a missing 'listed' flag" in m for m in msgs)
    assert res.inclusion.index.tolist() == ["b", "h"]


def test_inputs_not_mutated() -> None:
    df = _df()
    before = df.copy(deep=True)
    on_list = pd.Series([1, 0], index=["a", "b"])
    s_before = on_list.copy()
    _quiet(df, SPEC, "listed")
    _quiet(df.drop(columns="listed"), SPEC, on_list)
    pd.testing.assert_frame_equal(df, before)
    pd.testing.assert_series_equal(on_list, s_before)


def test_panel_dataset_reviews_unit_waves() -> None:
    df = _df()
    # two waves: wave 2 swaps the list
    values = {c: (("unit", "time"), np.column_stack([df[c], df[c]])) for c in df.columns[:4]}
    listed = np.column_stack([df["listed"], 1 - df["listed"]])
    ds = xr.Dataset(
        {**values, "listed": (("unit", "time"), listed)},
        coords={"unit": df.index.to_numpy(), "time": [1, 2]},
    )
    before = ds.copy(deep=True)
    res = _quiet(ds, SPEC, "listed")
    xr.testing.assert_identical(ds, before)
    # ties at score 0 and at k = 1/2 across waves: in the order of the data (unit, then wave)
    assert res.inclusion.index.tolist() == [("a", 1), ("f", 2), ("b", 1), ("h", 1)]
    assert res.exclusion.index.tolist() == [("d", 1), ("c", 1), ("e", 2)]
    assert res.exclusion["distance_fraction"].tolist() == ["1/2", "0", "0"]
    assert res.unscored.index.tolist() == [("g", 1), ("g", 2)]
    assert res.unscored["missing_indicators"].tolist() == ["b2", "b2"]
    # a time-invariant list broadcasts over the waves
    res1 = _quiet(ds.assign(listed=("unit", df["listed"].to_numpy())), SPEC, "listed")
    assert res1.inclusion.index.tolist() == [
        ("a", 1), ("a", 2), ("b", 1), ("b", 2), ("h", 1), ("h", 2)
    ]  # fmt: skip
