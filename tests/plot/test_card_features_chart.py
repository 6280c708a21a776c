"""plot.card_features: the histogram of one card feature, its median and a policy line."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import mpi  # noqa: E402
from mpi.errors import ValidationError  # noqa: E402


@pytest.fixture(scope="module")
def feats() -> mpi.ScreeningFeatures:
    card = mpi.datasets.load("campus_card")
    keep = card["students"]["student_id"] <= 120
    tx = card["transactions"]
    return mpi.screening.features(tx[tx["student_id"] <= 120], card["students"][keep])


def test_histogram_counts_every_student_and_the_line_share(feats) -> None:
    before = plt.get_fignums()
    ax = mpi.plot.card_features(feats, line=200, bins=20)
    values = feats.to_frame()["canteen_spending"].to_numpy()
    heights = [p.get_height() for p in ax.patches]
    assert len(heights) == 20 and sum(heights) == len(values) == 120
    labels = ax.get_legend_handles_labels()[1]
    share = float(np.mean(values < 200))
    assert labels == [f"Median: {np.median(values):,.4g}", f"Line: 200 ({share:.1%} below)"]
    assert ax.lines[0].get_xdata()[0] == pytest.approx(np.median(values))
    assert plt.get_fignums() == before


def test_chinese_words_and_other_features(feats) -> None:
    ax = mpi.plot.card_features(feats, feature="library_visits", lang="zh")
    assert "120 个学生" in ax.get_title(loc="left")
    assert ax.get_ylabel() == "学生人数"
    # a feature that is missing for every student draws nothing but says so
    ax = mpi.plot.card_features(feats, feature="holiday_presence")
    assert ax.get_legend_handles_labels()[1] == ["120 without a value (not drawn)"]
    assert feats.plot() is not None


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"feature": "spend"}, "feature='spend' is not a feature"), ({"bins": 0}, "bins must be")],
)
def test_bad_arguments(feats, kwargs: dict, match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        mpi.plot.card_features(feats, **kwargs)
    with pytest.raises(ValidationError):
        mpi.plot.card_features(pd.DataFrame())  # type: ignore[arg-type]
