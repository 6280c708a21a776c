"""Charts of job matching: ``mpi.plot.match_chart``, ``training_needs_chart`` and
``whatif_chart``.

The hand-made market: posts P1 (manufacturing, welding, 1 opening), P2 (services, no skill,
1 opening) and P3 (manufacturing, driving, 2 openings), all at the origin; eight workers,
each unmatched one blocked by a different constraint: W1 (welder) gets P1, W2 gets P2, W3
lives 100 km away (no post in reach), W4 asks 5,000 yuan (wage floor above the offers), W5
wants construction (sector preference), W6 is 62 (requirements), W7 wants manufacturing
without a skill (skill gap) and W8 could take P2 only, which W2 took (outcompeted). Driving
would place W7 and W8 in P3's openings; welding nobody (P1 is full).
"""

from __future__ import annotations

import io
import os

import matplotlib
import numpy as np
import pandas as pd
import pytest
from font_files import CJK_FILES, needs_cjk
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.figure import Figure
from matplotlib.text import Text

import mpi
from mpi._common.labels import text
from mpi.errors import ValidationError
from mpi.jobs.match import match
from mpi.jobs.whatif import what_if
from mpi.plot.jobs import (
    match_chart,
    status_counts,
    training_needs_chart,
    whatif_chart,
    whatif_rows,
)

matplotlib.use("Agg")

#: the hand-made households have no house of grade C or D (housing_safety's categories)
pytestmark = pytest.mark.filterwarnings("ignore::mpi.CategoryWarning")

STATUSES = [
    "matched", "no_post_in_reach", "wage_floor_above_offers", "sector_preference",
    "requirements_not_met", "skill_gap", "outcompeted",
]  # fmt: skip


def _market() -> tuple[pd.DataFrame, pd.DataFrame]:
    workers = pd.DataFrame({
        "worker_id": [f"W{i}" for i in range(1, 9)],
        "household_id": [1, 1, 3, -1, 5, 6, 2, 99],
        "x_km": [0.0, 0, 100, 0, 0, 0, 0, 0], "y_km": 0.0,
        "age": [30, 30, 30, 30, 30, 62, 30, 30],
        "education": [3, 3, 3, 3, 3, 0, 3, 3],
        "health": "good",
        "skills": ["welding", "", "", "", "", "", "", ""],
        "wage_floor": [2000.0, 2000, 2000, 5000, 2000, 2000, 2000, 2000],
        "max_distance_km": 10.0,
        "sectors": ["", "", "", "", "construction", "", "manufacturing", ""],
    })  # fmt: skip
    posts = pd.DataFrame({
        "post_id": ["P1", "P2", "P3"], "sector": ["manufacturing", "services", "manufacturing"],
        "x_km": 0.0, "y_km": 0.0, "wage": [3000.0, 2500.0, 3000.0], "openings": [1, 1, 2],
        "min_age": 18, "max_age": [50, 60, 50], "min_education": [2, 0, 0],
        "skill": ["welding", "", "driving"], "health_required": "any",
    })  # fmt: skip
    return workers, posts


def _households() -> pd.DataFrame:
    """Three villages; see tests/jobs/test_whatif.py for the hand computation."""
    return pd.DataFrame({
        "unit": [1, 2, 3, 4, 5, 6],
        "village": [1, 1, 2, 2, 3, 3],
        "hh_size": [2, 3, 4, 1, 2, 5],
        "income_per_capita": [3000.0, 5000.0, 3500.0, 2000.0, 1000.0, 4500.0],
        "food_insecure": [0, 1, 0, 0, 0, 0],
        "clothing_insecure": 0, "dropout_children": 0, "medical_insured": 1,
        "housing_grade": "A", "safe_water": [1, 1, 0, 1, 1, 1],
    })  # fmt: skip


SPEC = mpi.presets.china_2b3g(income_line=4000)


@pytest.fixture(scope="module")
def matched() -> mpi.jobs.result.MatchResult:
    return match(*_market())


@pytest.fixture(scope="module")
def whatif() -> mpi.jobs.whatif.JobsWhatIf:
    workers = pd.DataFrame({
        "household_id": [1, 1, 3, 5, 6, -1],
        "matched": True,
        "wage": [100.0, 100.0, 200.0, 300.0, 1000.0, 500.0],
    })  # fmt: skip
    return what_if(workers, _households(), SPEC)


def _bars(ax: Axes) -> tuple[list[str], list[float], list[str]]:
    """Tick labels, bar widths and bar-end texts from the top bar down."""
    patches = sorted(ax.containers[0].patches, key=lambda p: -p.get_y())
    ticks = {
        round(t, 6): lab.get_text()
        for t, lab in zip(ax.get_yticks(), ax.get_yticklabels(), strict=True)
    }
    labels = [ticks[round(p.get_y() + p.get_height() / 2, 6)] for p in patches]
    notes = sorted(ax.texts, key=lambda t: -t.xy[1])
    return labels, [p.get_width() for p in patches], [t.get_text() for t in notes]


# -- match_chart -------------------------------------------------------------------------------
def test_the_market_has_every_status(matched):
    assert matched.to_frame()["status"].tolist() == [
        "matched", "matched", "no_post_in_reach", "wage_floor_above_offers",
        "sector_preference", "requirements_not_met", "skill_gap", "outcompeted",
    ]  # fmt: skip
    counts = status_counts(matched)
    assert list(counts.index) == STATUSES
    assert counts["workers"].tolist() == [2, 1, 1, 1, 1, 1, 1]
    assert counts["share"].tolist() == [0.25] + [0.125] * 6


def test_match_chart_bars_matched_first(matched):
    ax = match_chart(matched)
    assert isinstance(ax, Axes) and isinstance(ax.figure, Figure)
    labels, widths, notes = _bars(ax)
    assert widths == [2, 1, 1, 1, 1, 1, 1]
    assert labels == [text(f"plot.jobs.status.{s}", "en") for s in STATUSES]
    assert labels[0] == "Matched" and labels[-1] == "Posts taken by others"
    assert notes == ["2 (25.0%)"] + ["1 (12.5%)"] * 6
    colors = [tuple(p.get_facecolor()) for p in sorted(ax.containers[0].patches,
                                                        key=lambda p: -p.get_y())]  # fmt: skip
    assert colors[0] != colors[1] and len(set(colors[1:])) == 1  # matched stands out
    assert ax.get_title(loc="left") == "Workers by matching outcome"
    assert ax.get_xlabel() == "Workers"


def test_match_chart_on_given_axes_and_natural_chart(matched):
    fig = Figure()
    ax = fig.add_subplot()
    assert match_chart(matched, ax, title="Mine") is ax
    assert ax.get_title(loc="left") == "Mine"
    other = fig.add_subplot(2, 1, 2)
    assert matched.plot(ax=other) is other  # MatchResult's chart is registered
    assert _bars(other)[1] == [2, 1, 1, 1, 1, 1, 1]


def test_match_chart_in_chinese(matched):
    ax = match_chart(matched, lang="zh")
    labels, _, _ = _bars(ax)
    assert labels == [text(f"plot.jobs.status.{s}", "zh") for s in STATUSES]
    assert labels[0] == "已匹配" and ax.get_title(loc="left") == "劳动力岗位匹配结果"


# -- training_needs_chart ----------------------------------------------------------------------
def test_training_needs_chart(matched):
    ax = training_needs_chart(matched)
    labels, widths, notes = _bars(ax)
    assert labels == ["Driving", "Welding"] and widths == [2, 0]
    assert notes == ["2 (33.3%)", "0 (0.0%)"]
    assert ax.get_title(loc="left") == text("plot.jobs.training.title", "en")
    top = training_needs_chart(matched, top=1, lang="zh")
    labels, widths, _ = _bars(top)
    assert labels == ["驾驶"] and widths == [2]
    assert top.get_title(loc="left").endswith("（前 1 项，共 2 项）")
    fig = Figure()
    ax = fig.add_subplot()
    assert training_needs_chart(matched, ax, 5) is ax


def test_training_needs_chart_without_unmatched_workers():
    workers, posts = _market()
    res = match(workers.iloc[:2], posts)  # W1 and W2: both matched
    ax = training_needs_chart(res)
    labels, widths, _ = _bars(ax)
    assert widths == [0, 0]  # the skills posts require, none placing anybody


# -- whatif_chart ------------------------------------------------------------------------------
def test_whatif_chart_dumbbells_sorted_by_change(whatif):
    rows = whatif_rows(whatif)
    # changes: village 1 -1/14, village 2 -1/14, village 3 0: ties keep the village order
    assert rows["group"].tolist() == ["1", "2", "3"]
    ax = whatif_chart(whatif)
    lines = [c for c in ax.collections if isinstance(c, LineCollection)]
    dots = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(lines) == 1 and len(lines[0].get_segments()) == 3
    assert len(dots) == 2 and [len(d.get_offsets()) for d in dots] == [3, 3]
    before, after = (np.asarray(d.get_offsets()) for d in dots)
    ds = whatif.to_dataset()
    order = np.argsort(-before[:, 1])  # top row first
    np.testing.assert_allclose(before[order, 0], ds["M0_before"].values, atol=1e-15)
    np.testing.assert_allclose(after[order, 0], ds["M0_after"].values, atol=1e-15)
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert sorted(ticks) == ["1", "2", "3"]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["Before (overall 0.1429)", "After (overall 0.0952)"]
    assert ax.get_title(loc="left") == "M0 before and after the job matches, by village"


def test_whatif_chart_top_and_given_axes(whatif):
    fig = Figure()
    ax = fig.add_subplot()
    assert whatif_chart(whatif, ax, 2) is ax
    dots = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert [len(d.get_offsets()) for d in dots] == [2, 2]
    assert ax.get_title(loc="left").endswith("(top 2 of 3)")
    other = fig.add_subplot(2, 1, 2)
    assert whatif.plot(ax=other) is other  # JobsWhatIf's chart is registered
    zh = whatif_chart(whatif, lang="zh")
    assert zh.get_title(loc="left") == "岗位匹配前后的 M0（按村）"
    assert [t.get_text() for t in zh.get_legend().get_texts()][0] == "匹配前（总体 0.1429）"


def test_whatif_chart_leaves_out_unmeasured_groups_and_says_so():
    hh = _households()
    hh.loc[hh["village"] == 3, "food_insecure"] = np.nan  # village 3: nobody measured
    workers = pd.DataFrame({"household_id": [1], "matched": [True], "wage": [100.0]})
    with pytest.warns(mpi.MissingDataWarning):
        res = what_if(workers, hh, SPEC)
    ax = whatif_chart(res)
    dots = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert [len(d.get_offsets()) for d in dots] == [2, 2]
    assert [t.get_text() for t in ax.texts] == ["Not shown, without a measured household: 1"]


def test_whatif_chart_without_groups():
    workers = pd.DataFrame({"household_id": [1], "matched": [True], "wage": [100.0]})
    res = what_if(workers, _households(), SPEC, by=None)
    ax = whatif_chart(res)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Overall"]
    dots = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert [len(d.get_offsets()) for d in dots] == [1, 1]


# -- bad arguments -----------------------------------------------------------------------------
def test_bad_arguments(matched, whatif):
    with pytest.raises(ValidationError, match="match_chart"):
        match_chart(whatif)
    with pytest.raises(ValidationError, match="training_needs_chart"):
        training_needs_chart(whatif)
    with pytest.raises(ValidationError, match="whatif_chart"):
        whatif_chart(matched)
    for top in (0, -1, 1.5, True, "3"):
        with pytest.raises(ValidationError, match="top="):
            training_needs_chart(matched, top=top)
        with pytest.raises(ValidationError, match="top="):
            whatif_chart(whatif, top=top)
    with pytest.raises(ValidationError, match="lang='fr'"):
        match_chart(matched, lang="fr")


def test_exported_from_mpi_plot():
    assert mpi.plot.match_chart is match_chart
    assert mpi.plot.training_needs_chart is training_needs_chart
    assert mpi.plot.whatif_chart is whatif_chart
    assert {"match_chart", "training_needs_chart", "whatif_chart"} <= set(mpi.plot.__all__)


# -- Chinese labels in a CJK font --------------------------------------------------------------
def _texts(fig: Figure) -> list[Text]:
    fig.savefig(io.BytesIO(), format="png", dpi=60)  # draws: layout, ticks, glyph checks
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]


@needs_cjk
@pytest.mark.filterwarnings("error::UserWarning")  # a missing glyph (a box) fails the test
@pytest.mark.parametrize("chart", ["match", "training", "whatif"])
def test_zh_chart_every_text_in_a_cjk_font(chart, matched, whatif):
    if chart == "match":
        ax = match_chart(matched, lang="zh")
    elif chart == "training":
        ax = training_needs_chart(matched, lang="zh")
    else:
        ax = whatif_chart(whatif, lang="zh")
    texts = _texts(ax.get_figure())
    assert len(texts) >= 4
    for t in texts:
        path = os.path.realpath(str(font_manager.findfont(t.get_fontproperties())))
        assert path in CJK_FILES, (chart, t.get_text(), t.get_fontfamily())
