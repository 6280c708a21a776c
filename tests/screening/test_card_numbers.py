"""The numbers the campus_card data card and the screening tutorial quote: every screen at
the naive rule's flagged share on a draw not used for fitting (seed 7), fitted on seed 1."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

import mpi

HOLIDAYS = pd.date_range("2023-09-29", "2023-10-06").append(
    pd.date_range("2023-12-30", "2024-01-01")
)


@pytest.fixture(scope="module")
def evaluation() -> pd.DataFrame:
    last = mpi.datasets.generate("campus_card", n=6000, seed=1)
    this = mpi.datasets.generate("campus_card", n=6000, seed=7)
    f_last = mpi.screening.features(last["transactions"], last["students"], holidays=HOLIDAYS)
    f_this = mpi.screening.features(this["transactions"], this["students"], holidays=HOLIDAYS)
    y_last = last["truth"].set_index("student_id")["hardship"]
    y_this = this["truth"].set_index("student_id")["hardship"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mpi.MissingDataWarning)
        model = mpi.screening.fit_screening(f_last, y_last)
    register = this["students"].set_index("student_id")
    ev = mpi.screening.evaluate_screening(
        {
            "naive": mpi.screening.canteen_rule(f_this),
            "spending": -f_this.to_frame()["canteen_spending"],
            "signals": mpi.screening.signal_score(f_this).scores,
            "logit": model.predict(f_this),
        },
        y_this, groups=register[["sex"]], subsidy=150, bootstrap=200, seed=1,
    )  # fmt: skip
    return ev.to_frame().set_index(["measure", "rule"])


# (rule, measure): (estimate, lower, upper) as printed in datasets/cards/campus_card.md
CARD = {
    ("naive", "inclusion_error"): (0.338, 0.303, 0.375),
    ("naive", "exclusion_error"): (0.338, 0.306, 0.377),
    ("naive", "auc"): (0.809, None, None),
    ("spending", "inclusion_error"): (0.338, 0.304, 0.383),
    ("spending", "exclusion_error"): (0.338, 0.306, 0.371),
    ("spending", "auc"): (0.952, 0.946, 0.957),
    ("signals", "inclusion_error"): (0.235, 0.196, 0.281),
    ("signals", "exclusion_error"): (0.235, 0.204, 0.266),
    ("signals", "auc"): (0.977, 0.973, 0.980),
    ("logit", "inclusion_error"): (0.152, 0.120, 0.197),
    ("logit", "exclusion_error"): (0.152, 0.123, 0.191),
    ("logit", "auc"): (0.990, 0.988, 0.991),
}


@pytest.mark.parametrize(("rule", "measure"), list(CARD))
def test_card_table(evaluation: pd.DataFrame, rule: str, measure: str) -> None:
    row = evaluation.loc[(measure, rule)]
    estimate, lower, upper = CARD[(rule, measure)]
    assert row["estimate"] == pytest.approx(estimate, abs=5e-4)
    if lower is not None:
        assert row["lower"] == pytest.approx(lower, abs=5e-4)
        assert row["upper"] == pytest.approx(upper, abs=5e-4)


def test_both_scores_beat_the_naive_rule(evaluation: pd.DataFrame) -> None:
    # the criterion: at the same flagged share, lower errors and a higher AUC, with
    # bootstrap intervals that do not overlap the naive rule's
    for score in ("signals", "logit"):
        for measure in ("inclusion_error", "exclusion_error"):
            assert (
                evaluation.loc[(measure, score), "upper"]
                < evaluation.loc[(measure, "naive"), "lower"]
            )
        assert (
            evaluation.loc[("auc", score), "lower"] > evaluation.loc[("auc", "spending"), "upper"]
        )
