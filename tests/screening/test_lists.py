"""Suggested lists (issue 20): the cut at a budget with ties, ranks, reasons with labels,
privacy refusals and small-cell suppression of the group counts."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import mpi
from mpi.errors import MissingDataWarning, ValidationError
from mpi.screening.lists import suggested_list
from mpi.screening.lists_result import SuggestedList

CJK = re.compile(r"[\u3400-\u9fff]")
IDS = pd.Index(range(101, 111), name="student_id")


@pytest.fixture(scope="module")
def card() -> dict:
    return mpi.datasets.load("campus_card")


@pytest.fixture(scope="module")
def spending(card: dict) -> pd.Series:
    spend, _ = mpi.datasets.monthly_canteen_spending(card)
    return spend.mean(axis=1)


def ten() -> pd.Series:
    # student 104 and 105 tie at 0.7, the third-highest score
    return pd.Series([0.9, 0.8, 0.1, 0.7, 0.7, 0.2, 0.5, 0.3, 0.6, 0.4], index=IDS, name="risk")


def reasons10() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "cheap_meals": [0.5, 0.1, 0.0, 0.3, -0.2, 0.0, 0.0, 0.0, 0.0, 0.0],
            "few_meals": [0.2, 0.4, 0.0, 0.3, 0.1, 0.0, 0.0, 0.0, 0.0, 0.0],
            "stays_holidays": [0.1, -0.3, 0.0, np.nan, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
            "rural": [0.0, 0.2, 0.0, 0.05, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        },
        index=IDS,
    )


# -- the cut ---------------------------------------------------------------------------
def test_ten_students_ties_at_the_cut_are_all_listed_and_said() -> None:
    res = suggested_list(ten(), n=3)
    frame = res.to_frame()
    assert frame.index.tolist() == [101, 102, 104, 105]
    assert frame.index.name == "student_id"
    assert frame["rank"].tolist() == [1, 2, 3, 3]
    assert frame["score"].tolist() == [0.9, 0.8, 0.7, 0.7]
    a = res.to_dataset().attrs
    assert (a["n_listed"], a["n_wanted"], a["n_tied_extra"], a["cut_score"]) == (4, 3, 1, 0.7)
    assert "1 student(s) more than the budget" in res.summary().text
    assert "名单比名额多 1 名学生" in res.summary(lang="zh").text
    no_tie = suggested_list(ten(), n=2)
    assert no_tie.to_frame().index.tolist() == [101, 102]
    assert no_tie.to_dataset().attrs["n_tied_extra"] == 0
    assert "here none beyond the budget" in no_tie.summary().text


def test_share_cut_is_the_smallest_number_reaching_the_share() -> None:
    # 0.25 of 10 students = 2.5 -> 3 students, then the tie at 0.7 -> 4
    assert suggested_list(ten(), share=0.25).to_frame().index.tolist() == [101, 102, 104, 105]
    assert suggested_list(ten(), share=0.2).to_frame().index.tolist() == [101, 102]
    assert len(suggested_list(ten(), share=1.0).to_frame()) == 10


def test_list_equals_targeting_curve_budget(card: dict, spending: pd.Series) -> None:
    truth = card["truth"].set_index("student_id")["hardship"]
    df = pd.DataFrame({"score": -spending, "hardship": truth})
    for kw in ({"n": 90}, {"share": 0.137}):
        res = suggested_list(-spending, **kw)
        curve_kw = {"top": kw["n"]} if "n" in kw else {"share": kw["share"]}
        curve = mpi.targeting_curve(df, "score", "hardship", **curve_kw).to_dataset()
        want = df.index[df["score"] >= float(curve["cut_score"])]
        assert sorted(res.to_frame().index) == sorted(want)
        assert res.to_dataset().attrs["n_listed"] == int(curve["n_listed"])
        assert res.to_dataset().attrs["cut_score"] == float(curve["cut_score"])


# -- reasons ---------------------------------------------------------------------------
def test_reasons_are_the_largest_positive_entries() -> None:
    res = suggested_list(ten(), n=3, reasons=reasons10(), top_reasons=2)
    frame = res.to_frame()
    assert list(frame.columns) == ["rank", "score", "reason_1", "reason_2"]
    assert frame.loc[101, ["reason_1", "reason_2"]].tolist() == ["cheap_meals", "few_meals"]
    assert frame.loc[102, ["reason_1", "reason_2"]].tolist() == ["few_meals", "rural"]
    # a tie (0.3, 0.3) keeps the column order; NaN and negatives are never reasons
    assert frame.loc[104, ["reason_1", "reason_2"]].tolist() == ["cheap_meals", "few_meals"]
    assert frame.loc[105, "reason_1"] == "few_meals" and frame.loc[105, "reason_2"] is None
    values = res.to_dataset()["reason_value"].sel(student=101).values
    np.testing.assert_array_equal(values, [0.5, 0.2])
    counts = res.reason_counts()
    assert counts["n_students"].to_dict() == {"few_meals": 4, "cheap_meals": 2, "rural": 1}
    assert counts.loc["few_meals", "share"] == 1.0


def test_reason_labels_in_english_and_chinese() -> None:
    labels = {"few_meals": {"en": "Few canteen meals", "zh": "食堂就餐次数少"}, "rural": "Rural"}
    res = suggested_list(ten(), n=3, reasons=reasons10(), labels=labels)
    assert res.label("few_meals", "zh") == "食堂就餐次数少"
    assert res.label("rural", "zh") == "Rural" and res.label("cheap_meals", "en") == "cheap_meals"
    en, zh = res.summary(), res.summary(lang="zh")
    (_, t_en), (_, t_zh) = en.tables[1], zh.tables[1]
    assert t_en.index.tolist() == ["Few canteen meals", "cheap_meals", "Rural", "stays_holidays"]
    assert t_zh.index.tolist()[0] == "食堂就餐次数少"
    np.testing.assert_array_equal(t_en.to_numpy(), t_zh.to_numpy())  # same numbers
    assert CJK.search(zh.title) and zh.title != en.title
    assert all(CJK.search(label) for label, _ in zh.header)
    assert "few_meals, rural, cheap_meals" in en.text  # 102's reasons, by name


def test_top_reasons_beyond_the_columns_pads_with_none() -> None:
    res = suggested_list(ten(), n=1, reasons=reasons10()[["rural", "few_meals"]], top_reasons=3)
    assert res.to_frame().loc[101, ["reason_1", "reason_2", "reason_3"]].tolist() == [
        "few_meals", None, None,
    ]  # fmt: skip


# -- privacy ---------------------------------------------------------------------------
@pytest.mark.parametrize("column", ["name", "姓名", "student_name", "Name", "Student Name"])
def test_name_like_columns_are_refused(column: str) -> None:
    with pytest.raises(ValidationError, match="pseudonymous"):
        suggested_list(ten(), n=3, reasons=reasons10().assign(**{column: 1.0}))
    groups = pd.DataFrame({"college": ["a"] * 10, column: ["张三"] * 10}, index=IDS)
    with pytest.raises(ValidationError, match="name-like"):
        suggested_list(ten(), n=3, groups=groups)


def test_name_like_index_is_refused() -> None:
    s = ten()
    with pytest.raises(ValidationError, match="pseudonymous"):
        suggested_list(s.rename_axis("姓名"), n=3)
    r = reasons10().rename_axis("student_name")
    with pytest.raises(ValidationError, match="student_name"):
        suggested_list(s, n=3, reasons=r)


# -- group counts and suppression --------------------------------------------------------
def _grouped(counts: dict[str, int]) -> tuple[pd.Series, pd.DataFrame]:
    colleges = [c for c, k in counts.items() for _ in range(k)]
    ids = pd.Index(range(1, len(colleges) + 1), name="student_id")
    scores = pd.Series(np.linspace(1, 0, len(colleges)), index=ids)
    return scores, pd.DataFrame({"college": colleges}, index=ids)


def test_small_cells_are_suppressed_and_counted() -> None:
    scores, groups = _grouped({"physics": 12, "law": 3, "maths": 4, "art": 15})
    res = suggested_list(scores, share=1.0, groups=groups, min_cell=10)
    g = res.group_counts()
    assert g["suppressed"].to_dict() == {"art": False, "law": True, "maths": True, "physics": False}
    assert g.loc["art", "n_listed"] == 15 and g.loc["physics", "n_listed"] == 12
    assert g["n_listed"].isna().sum() == 2
    ds = res.to_dataset()
    assert ds.attrs["n_suppressed"] == 2 and ds.attrs["n_cells"] == 4
    assert np.isnan(ds["cell_count"].values).sum() == 2  # no small count stored
    table = res.summary().tables[-1][1]
    assert table["n_listed"].tolist() == ["15", "<10", "<10", "12"]
    assert "2 of 4 group cell(s) suppressed (shown as <10)" in res.summary().text
    assert "4 个分组单元中有 2 个不予公布" in res.summary(lang="zh").text


def test_one_small_cell_hides_the_next_smallest_too() -> None:
    scores, groups = _grouped({"physics": 12, "law": 3, "art": 15})
    g = suggested_list(scores, n=30, groups=groups).group_counts()
    # law (3) could be recovered as 30 - 12 - 15: physics, the smallest shown, is hidden too
    assert g["suppressed"].to_dict() == {"art": False, "law": True, "physics": True}
    assert g.loc["art", "n_listed"] == 15


def test_min_cell_and_cross_classification(card: dict, spending: pd.Series) -> None:
    st = card["students"].set_index("student_id")
    res = suggested_list(-spending, n=200, groups=st[["sex", "grade"]], min_cell=20)
    g = res.group_counts()
    listed = st.loc[res.ids]
    want = listed.groupby(["sex", "grade"], observed=True).size()
    shown = g[~g["suppressed"]]
    assert len(g) == len(want)
    for key, row in shown.iterrows():
        assert row["n_listed"] == want[key] >= 20
    assert (g["suppressed"] == (want < 20).to_numpy()).sum() >= len(g) - 1
    assert isinstance(res.by_group(), xr.Dataset)


# -- checks ------------------------------------------------------------------------------
def test_missing_scores_are_left_out_and_counted() -> None:
    s = ten()
    s.iloc[0] = np.nan
    with pytest.warns(MissingDataWarning, match="1 of 10 students"):
        res = suggested_list(s, n=2)
    assert res.to_frame().index.tolist() == [102, 104, 105]
    assert res.to_dataset().attrs["n_missing"] == 1
    assert "1 student(s) without a score" in res.summary().text


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({}, "give the budget"),
        ({"n": 2, "share": 0.1}, "not both"),
        ({"n": 0}, "from 1 to 10"),
        ({"n": 11}, "from 1 to 10"),
        ({"n": 2.0}, "whole number"),
        ({"share": 0.0}, r"\(0, 1\]"),
        ({"share": 1.5}, r"\(0, 1\]"),
        ({"n": 2, "top_reasons": 0}, "top_reasons"),
        ({"n": 2, "min_cell": 0}, "min_cell"),
        ({"n": 2, "labels": ["a"]}, "labels must be a mapping"),
        ({"n": 2, "labels": {"a": {"en": "x"}}}, "'en' and 'zh'"),
    ],
)
def test_bad_arguments(kwargs: dict, match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        suggested_list(ten(), **kwargs)


def test_bad_scores_and_reasons() -> None:
    with pytest.raises(ValidationError, match="pandas Series"):
        suggested_list(ten().to_numpy(), n=2)
    with pytest.raises(ValidationError, match="infinite"):
        suggested_list(ten().replace(0.9, np.inf), n=2)
    with pytest.raises(ValidationError, match="numeric"):
        suggested_list(ten().astype(str), n=2)
    with pytest.raises(ValidationError, match="repeated"):
        suggested_list(pd.concat([ten(), ten()]), n=2)
    with pytest.raises(ValidationError, match="no row for 1 listed"):
        suggested_list(ten(), n=2, reasons=reasons10().drop(index=102))
    with pytest.raises(ValidationError, match="not numeric"):
        suggested_list(ten(), n=2, reasons=reasons10().assign(rural="x"))


def test_inputs_are_not_mutated() -> None:
    s, r = ten(), reasons10()
    s0, r0 = s.copy(), r.copy()
    suggested_list(s, n=3, reasons=r)
    pd.testing.assert_series_equal(s, s0)
    pd.testing.assert_frame_equal(r, r0)


def test_result_interface() -> None:
    res = suggested_list(ten(), n=3, reasons=reasons10())
    assert isinstance(res, SuggestedList) and not res.has_inference
    ds = res.to_dataset()
    ds["rank"].values[:] = 0
    assert res.to_dataset()["rank"].values.tolist() == [1, 2, 3, 3]
    with pytest.raises(ValidationError, match="by_group"):
        res.by_group()
    with pytest.raises(ValidationError, match="group counts"):
        res.group_counts()
    with pytest.raises(ValidationError, match="lang"):
        res.summary(lang="fr")
    assert str(res) == res.summary().text
