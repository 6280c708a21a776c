"""Charts of campus-card screening (issue 20): screening (errors with bootstrap intervals),
fairness (errors per group) and suggested (reasons of a list)."""

from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.container import BarContainer  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import mpi  # noqa: E402
from mpi.errors import ValidationError  # noqa: E402
from mpi.plot.screening import fairness, screening, suggested  # noqa: E402
from mpi.screening.evaluate import evaluate_screening  # noqa: E402
from mpi.screening.lists import suggested_list  # noqa: E402

CJK = re.compile(r"[\u3400-\u9fff]")


@pytest.fixture(scope="module")
def card() -> dict:
    return mpi.datasets.load("campus_card")


@pytest.fixture(scope="module")
def evaluation(card: dict):
    spend, _ = mpi.datasets.monthly_canteen_spending(card)
    truth = card["truth"].set_index("student_id")
    groups = card["students"].set_index("student_id")[["grade", "sex"]]
    scores = {
        "naive": spend.mean(axis=1) < 200,
        "spending": -spend.mean(axis=1),
        "budget": -truth["monthly_budget"].astype(float),
    }
    return evaluate_screening(scores, truth["hardship"], groups=groups, bootstrap=50, seed=2)


@pytest.fixture(scope="module")
def listed(card: dict):
    spend, meals = mpi.datasets.monthly_canteen_spending(card)
    st = card["students"].set_index("student_id")
    reasons = pd.DataFrame({
        "low_spending": (400 - spend.mean(axis=1)) / 100,
        "few_meals": (60 - meals.mean(axis=1)) / 10,
        "rural": st["rural"].astype(float),
    })  # fmt: skip
    labels = {"rural": {"en": "Rural household", "zh": "农村户口"}}
    return suggested_list(-spend.mean(axis=1), n=90, reasons=reasons, labels=labels)


def _bars(ax: Axes) -> list[BarContainer]:
    return [c for c in ax.containers if isinstance(c, BarContainer)]


@pytest.fixture(autouse=True)
def no_pyplot_figures():
    before = plt.get_fignums()
    yield
    assert plt.get_fignums() == before  # charts draw on Figure objects, never pyplot


def test_screening_bars_and_intervals(evaluation) -> None:
    ax = screening(evaluation)
    assert isinstance(ax, Axes) and isinstance(ax.figure, Figure)
    inc, exc = _bars(ax)
    ds, ci = evaluation.to_dataset(), evaluation.ci()
    np.testing.assert_allclose([p.get_width() for p in inc], ds["inclusion_error"].values)
    np.testing.assert_allclose([p.get_width() for p in exc], ds["exclusion_error"].values)
    assert inc.errorbar is not None and exc.errorbar is not None
    segments = inc.errorbar.lines[2][0].get_segments()
    np.testing.assert_allclose(
        [s[:, 0] for s in segments],
        np.column_stack([ci["inclusion_error"].sel(bound=b).values for b in ("lower", "upper")]),
    )  # fmt: skip
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert ticks[1] == f"spending (AUC {ds['auc'].sel(rule='spending').item():.3f})"
    assert "11.2%" in ax.get_title(loc="left")
    assert "95% bootstrap intervals" in ax.get_xlabel()


def test_screening_in_chinese_and_on_a_given_axes(evaluation) -> None:
    fig = Figure()
    ax0 = fig.add_subplot()
    ax = screening(evaluation, ax0, lang="zh")
    assert ax is ax0
    assert CJK.search(ax.get_title(loc="left")) and CJK.search(ax.get_xlabel())
    assert all(CJK.search(t.get_text()) for t in ax.get_legend().get_texts())


def test_screening_without_bootstrap_has_no_error_bars(card: dict) -> None:
    spend, _ = mpi.datasets.monthly_canteen_spending(card)
    truth = card["truth"].set_index("student_id")["hardship"]
    res = evaluate_screening({"naive": spend.mean(axis=1) < 200}, truth, bootstrap=0)
    ax = screening(res)
    assert all(c.errorbar is None for c in _bars(ax))
    assert ax.get_xlabel() == "Share"


def test_fairness_bars_per_group_and_rule(evaluation) -> None:
    ax = fairness(evaluation, by="sex")
    bars = _bars(ax)
    assert len(bars) == 3 * 2  # rules x measures, rule-major
    g = evaluation.by_group()
    sel = np.flatnonzero(g["group_variable"].values == "sex")
    want = g["exclusion_error"].sel(rule="spending").values[sel]
    np.testing.assert_allclose([p.get_width() for p in bars[3]], want)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["female", "male"]
    assert "sex" in ax.get_title(loc="left")
    first = fairness(evaluation, measures=["false_positive_rate"], lang="zh")
    assert len(_bars(first)) == 3 and len(_bars(first)[0]) == 4  # default by: grade, 4 grades
    assert CJK.search(first.get_title(loc="left"))
    with pytest.raises(ValidationError, match="not a group column"):
        fairness(evaluation, by="college")
    with pytest.raises(ValidationError, match="measures"):
        fairness(evaluation, measures=["auc"])


def test_fairness_needs_groups(card: dict) -> None:
    spend, _ = mpi.datasets.monthly_canteen_spending(card)
    truth = card["truth"].set_index("student_id")["hardship"]
    res = evaluate_screening({"naive": spend.mean(axis=1) < 200}, truth, bootstrap=0)
    with pytest.raises(ValidationError, match="groups="):
        fairness(res)


def test_suggested_reason_frequencies(listed) -> None:
    ax = suggested(listed)
    (bars,) = _bars(ax)
    counts = listed.reason_counts()
    np.testing.assert_allclose([p.get_width() for p in bars], counts["share"].to_numpy())
    assert [t.get_text() for t in ax.get_yticklabels()] == counts["label"].tolist()
    assert "Rural household" in [t.get_text() for t in ax.get_yticklabels()]
    assert ax.get_title(loc="left") == "Reasons among the 90 listed students"
    zh = suggested(listed, lang="zh", top=2)
    assert len(_bars(zh)[0]) == 2
    assert CJK.search(zh.get_title(loc="left"))
    with pytest.raises(ValidationError, match="top"):
        suggested(listed, top=0)


def test_suggested_needs_reasons_and_charts_check_their_result(listed, evaluation) -> None:
    plain = suggested_list(pd.Series([0.3, 0.2, 0.1]), n=1)
    with pytest.raises(ValidationError, match="reasons"):
        suggested(plain)
    with pytest.raises(ValidationError, match="SuggestedList"):
        suggested(evaluation)
    with pytest.raises(ValidationError, match="ScreeningEvaluation"):
        screening(listed)
    with pytest.raises(ValidationError, match="lang"):
        screening(evaluation, lang="fr")
