"""Small-cell suppression: the rule (Suppression), and exactly the cells it marks in the
publication and estimates tables of a survey with groups of 29, 30 and 31 units and a group
with a high coefficient of variation."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import mpi
from mpi.reporting.suppression import Suppression
from mpi.reporting.tables import estimates_table, publication_table

SPEC = mpi.Spec.from_dimensions({"a": ["d1", "d2"], "b": ["d3"]}, k="1/3")
DESIGN = mpi.Design("w", strata="stratum", psu="psu")
#: Units per group: around the default min_cell of 30, a large group, and a large group with
#: two poor units (a headcount ratio with a coefficient of variation far above 30%).
SIZES = {"g29": 29, "g30": 30, "g31": 31, "big": 300, "rare": 200}


def _survey() -> pd.DataFrame:
    rng = np.random.default_rng(16)
    frames = []
    for s, (group, size) in enumerate(SIZES.items()):
        if group == "rare":
            dep = np.zeros((size, 3))
            dep[[7, 111], :] = [1.0, 1.0, 0.0]  # two poor units, in different PSUs
        else:
            dep = (rng.random((size, 3)) < 0.45).astype(float)
        df = pd.DataFrame(dep, columns=["d1", "d2", "d3"])
        df["group"] = group
        df["stratum"] = s
        df["psu"] = s * 100 + np.arange(size) % 6  # six PSUs per group
        df["w"] = rng.uniform(0.5, 2.0, size)
        frames.append(df)
    out = pd.concat(frames, ignore_index=True)
    out["group"] = pd.Categorical(out["group"], categories=list(SIZES))  # rows in this order
    return out


@pytest.fixture(scope="module")
def survey() -> pd.DataFrame:
    return _survey()


@pytest.fixture(scope="module")
def res(survey):
    return mpi.measure(survey, SPEC, by="group", design=DESIGN)


RULE = Suppression(min_cell=30, max_cv=0.5)
#: The cells the rule hits, row by row (H, A, M0, units): the 29-unit group entirely, the
#: rare group's H and M0 (CV above 50%) but not its A (two poor units with the same score).
EXPECTED = {
    "Overall": [False, False, False, False],
    "g29": [True, True, True, False],
    "g30": [False, False, False, False],
    "g31": [False, False, False, False],
    "big": [False, False, False, False],
    "rare": [True, False, True, False],
}


def _rule_by_hand(res, min_cell, max_cv) -> pd.DataFrame:
    """The rule applied to the dataset's numbers, independently of the tables."""
    rows = []
    for ds, se in ((res.overall.to_dataset(), res.overall.se), (res.to_dataset(), res.se)):
        n = np.atleast_1d(ds["n_obs"].values)
        hits = []
        for m in ("H", "A", "M0"):
            b, s = np.atleast_1d(ds[m].values), np.atleast_1d(se[m].values)
            hit = np.zeros(len(n), dtype=bool)
            if min_cell is not None:
                hit |= n < min_cell
            if max_cv is not None:
                with np.errstate(divide="ignore", invalid="ignore"):
                    hit |= s / np.abs(b) > max_cv
            hits.append(hit)
        rows += [[*h, False] for h in zip(*hits, strict=True)]
    return pd.DataFrame(rows)


def test_groups_are_as_designed(res):
    ds, se = res.to_dataset(), res.se
    assert ds["n_obs"].values.tolist() == list(SIZES.values())
    rare = ds.sel(group="rare")
    assert float(se["H"].sel(group="rare") / rare["H"]) > 0.5  # high CV: hit
    assert float(se["A"].sel(group="rare") / rare["A"]) < 0.5  # low CV: not hit
    for g in ("g30", "g31", "big"):
        for m in ("H", "A", "M0"):
            assert float(se[m].sel(group=g) / ds[m].sel(group=g)) < 0.5


def test_publication_table_marks_exactly_the_cells_under_the_rule(res):
    table = publication_table(res, suppression=RULE)
    mask = table.attrs["suppressed"]
    assert mask.shape == table.shape
    assert list(mask.columns) == list(table.columns)
    assert list(mask.index) == list(EXPECTED)
    for group, expected in EXPECTED.items():
        assert mask.loc[group].tolist() == expected, group
    by_hand = _rule_by_hand(res, 30, 0.5)
    np.testing.assert_array_equal(mask.to_numpy(), by_hand.to_numpy())
    for group, expected in EXPECTED.items():
        for col, hit in zip(table.columns[:3], expected, strict=False):
            assert (table.loc[group, col] == "—") == hit, (group, col)
    # the units column is never suppressed: it shows 29 for the suppressed group
    assert table.loc["g29"].iloc[-1] == "29"


def test_flag_keeps_values_and_adds_the_mark(res):
    flagged = publication_table(
        res, suppression=Suppression(min_cell=30, max_cv=0.5, action="flag")
    )
    plain = publication_table(res, suppression=None)
    mask = flagged.attrs["suppressed"]
    ds, se, ci = res.to_dataset(), res.se, res.ci()
    for group, expected in EXPECTED.items():
        for col, hit in zip(flagged.columns[:3], expected, strict=False):
            cell = flagged.loc[group, col]
            assert cell.endswith("*") is False  # the mark follows the value, not the interval
            assert ("*" in cell) == hit
            assert cell.replace("*", "") == plain.loc[group, col]
    b = 100 * float(ds["H"].sel(group="rare"))
    s = 100 * float(se["H"].sel(group="rare"))
    lo, hi = (100 * float(ci["H"].sel(group="rare", bound=x)) for x in ("lower", "upper"))
    assert flagged.loc["rare", flagged.columns[0]] == f"{b:.1f}* ({s:.1f}) [{lo:.1f}, {hi:.1f}]"
    assert mask.equals(publication_table(res, suppression=RULE).attrs["suppressed"])
    assert not plain.attrs["suppressed"].to_numpy().any()


def test_estimates_table_blanks_suppressed_cells_and_keeps_flagged_ones(res):
    ds = res.to_dataset()
    sup = estimates_table(res, suppression=RULE)
    flag = estimates_table(res, suppression=dataclasses.replace(RULE, action="flag"))
    mask = sup.attrs["suppressed"]
    assert mask.shape == sup.shape and mask.equals(flag.attrs["suppressed"])
    est = sup.columns.get_level_values(1) == "Estimate"
    assert mask.loc[:, est].to_numpy().tolist() == [v[:3] for v in EXPECTED.values()]
    for j, m in enumerate(("H", "A", "M0")):
        column = sup.columns[est][j]
        for group in ("g29", "g30", "g31", "big", "rare"):
            value = float(ds[m].sel(group=group))
            assert flag.loc[group, column] == pytest.approx(value, abs=1e-12)
            if mask.loc[group, column]:
                assert np.isnan(sup.loc[group, column])
                # the whole measure (SE and interval too) is blanked
                assert sup.loc[group, column[0]].isna().all()
            else:
                assert sup.loc[group, column] == pytest.approx(value, abs=1e-12)
    assert sup.attrs["mark"] == "—" and flag.attrs["mark"] == "*"


@pytest.mark.parametrize(
    ("rule", "hit_groups"),
    [
        (Suppression(min_cell=30), {"g29"}),
        (Suppression(min_cell=31), {"g29", "g30"}),
        (Suppression(min_cell=32), {"g29", "g30", "g31"}),
        (Suppression(min_cell=None, max_cv=0.5), {"rare"}),
        (Suppression(min_cell=None, max_cv=None), set()),
    ],
)
def test_each_criterion_alone(res, rule, hit_groups):
    mask = publication_table(res, suppression=rule).attrs["suppressed"]
    by_hand = _rule_by_hand(res, rule.min_cell, rule.max_cv)
    np.testing.assert_array_equal(mask.to_numpy(), by_hand.to_numpy())
    assert {g for g in mask.index if mask.loc[g].any()} == hit_groups


def test_without_a_design_only_the_unit_count_applies(survey):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = mpi.measure(survey, SPEC, by="group", weight="w")
    mask = publication_table(res, suppression=RULE).attrs["suppressed"]
    assert [g for g in mask.index if mask.loc[g].any()] == ["g29"]
    assert mask.loc["g29"].tolist() == [True, True, True, False]


def test_the_rule_is_stated_in_the_notes(res):
    notes = publication_table(res, suppression=RULE).attrs["notes"]
    assert notes[-1] == RULE.describe("en")
    zh = publication_table(res, suppression=RULE, lang="zh").attrs["notes"]
    assert zh[-1] == RULE.describe("zh")
    assert RULE.describe("en") not in publication_table(res, suppression=None).attrs["notes"]


def test_describe_and_mark():
    assert Suppression().describe() == (
        "— Suppressed: the estimate is based on fewer than 30 unweighted units."
    )
    assert Suppression(min_cell=1000, max_cv=0.166, action="flag").describe() == (
        "* Interpret with caution: the estimate is based on fewer than 1,000 unweighted units "
        "or has a coefficient of variation (standard error / |estimate|) above 16.6%."
    )
    assert Suppression(min_cell=50, max_cv=0.3).describe("zh") == (
        "— 不予公布：该估计基于少于 50 个未加权样本，或变异系数 (标准误 / |估计值|) 大于 30%。"
    )
    assert Suppression(min_cell=None, max_cv=None).describe("zh") == "未屏蔽或标记任何估计。"
    assert Suppression().mark == "—"
    assert Suppression(action="flag").mark == "*"
    with pytest.raises(mpi.ValidationError, match="lang"):
        Suppression().describe("fr")


def test_mask_is_vectorised_and_broadcasts():
    rule = Suppression(min_cell=30, max_cv=0.5)
    n = np.array([[29], [30], [31]])
    est = np.array([0.5, 0.1, 0.0, 0.0, np.nan])
    se = np.array([0.1, 0.06, 0.01, 0.0, 0.1])
    got = rule.mask(n, est, se)
    assert got.shape == (3, 5) and got.dtype == bool
    row = [False, True, True, False, False]  # CV 0.2, 0.6, inf, undefined, undefined
    assert got.tolist() == [[True] * 5, row, row]
    # without standard errors max_cv cannot apply
    assert rule.mask(n, est).tolist() == [[True] * 5, [False] * 5, [False] * 5]
    # a missing count is unknown, not a hit; pandas, xarray and scalars are accepted
    counts = pd.Series([29, pd.NA, 40], dtype="Int64")
    assert rule.mask(counts, 0.5).tolist() == [True, False, False]
    assert rule.mask(xr.DataArray([10, 100]), xr.DataArray([0.2, 0.2])).tolist() == [True, False]
    assert rule.mask(29, 0.5).shape == () and bool(rule.mask(29, 0.5))
    with pytest.raises(mpi.ValidationError, match="broadcast"):
        rule.mask([1, 2, 3], [0.1, 0.2])


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"min_cell": 0}, "min_cell"),
        ({"min_cell": -5}, "min_cell"),
        ({"min_cell": 2.5}, "min_cell"),
        ({"min_cell": True}, "min_cell"),
        ({"min_cell": "30"}, "min_cell"),
        ({"max_cv": 0}, "max_cv"),
        ({"max_cv": -0.1}, "max_cv"),
        ({"max_cv": float("nan")}, "max_cv"),
        ({"max_cv": float("inf")}, "max_cv"),
        ({"max_cv": "0.3"}, "max_cv"),
        ({"max_cv": True}, "max_cv"),
        ({"action": "hide"}, "action"),
        ({"action": None}, "action"),
    ],
)
def test_bad_rules_are_refused_naming_the_argument(kwargs, argument):
    with pytest.raises(mpi.ValidationError, match=argument) as err:
        Suppression(**kwargs)
    assert repr(next(iter(kwargs.values())))[:5] in str(err.value)


def test_rule_is_immutable_and_accepts_numpy_numbers():
    rule = Suppression(min_cell=np.int64(25), max_cv=np.float64(0.25))
    assert rule.mask(24, 1.0).item() and not rule.mask(25, 1.0).item()
    with pytest.raises(dataclasses.FrozenInstanceError):
        rule.min_cell = 10  # type: ignore[misc]


def test_bad_suppression_argument_of_a_table(res):
    with pytest.raises(mpi.ValidationError, match="suppression"):
        publication_table(res, suppression=30)
