"""Charts of composite indices (mpi.plot.composite, composite_uncertainty): the bars, lines and
labels are the numbers of the results, words come from the catalogue in English and Chinese
(with a CJK font), no pyplot figure is left open, and bad calls are refused with the argument
named."""

from __future__ import annotations

import io
import os
import warnings

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from font_files import CJK_FILES, needs_cjk
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.container import BarContainer
from matplotlib.figure import Figure
from matplotlib.text import Text

import mpi
from mpi._common.labels import text
from mpi.composites.compute import composite as build
from mpi.composites.spec import CompositeSpec
from mpi.composites.uncertainty import uncertainty
from mpi.identification.areas import poor_areas as find_poor_areas
from mpi.plot.composite import composite, poor_areas
from mpi.plot.composite_uncertainty import rank_shifts, sensitivity

matplotlib.use("Agg")

UNITS = [f"c{i:02d}" for i in range(12)]


def _table() -> pd.DataFrame:
    """12 counties in 3 provinces, three indicators in two dimensions."""
    rng = np.random.default_rng(7)
    return pd.DataFrame(
        {
            "income": rng.uniform(500, 9000, 12), "school": rng.uniform(2, 14, 12),
            "mortality": rng.uniform(5, 60, 12), "province": np.repeat(["甲省", "乙省", "丙省"], 4),
            "pop": rng.uniform(1, 9, 12), "listed": [1, 1, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0],
        },
        index=pd.Index(UNITS, name="county"),
    )  # fmt: skip


def _spec(normalisation: str = "goalposts") -> CompositeSpec:
    return CompositeSpec(
        "toy",
        [
            {
                "name": "income",
                "dimension": "living",
                "weight": 1,
                "transform": "log",
                "goalposts": [100, 10000],
                "label": "Income",
            },
            {
                "name": "school",
                "dimension": "social",
                "weight": "1/2",
                "goalposts": [0, 15],
                "label": "Schooling",
            },
            {
                "name": "mortality",
                "dimension": "social",
                "weight": "1/2",
                "direction": "-",
                "goalposts": [0, 80],
                "label": "Mortality",
            },
        ],  # fmt: skip
        dimensions=[
            {"name": "living", "weight": "1/2", "label": "Living"},
            {"name": "social", "weight": "1/2", "label": "Social"},
        ],  # fmt: skip
        normalisation=normalisation,
        title="Toy index",
    )


TABLE = _table()


@pytest.fixture(scope="module")
def result() -> mpi.CompositeResult:
    return build(TABLE, _spec(), weight="pop", by="province")


@pytest.fixture(scope="module")
def plain() -> mpi.CompositeResult:
    return build(TABLE, _spec())


@pytest.fixture(scope="module")
def unc(result):
    return uncertainty(result, draws=32, normalisation=["goalposts", "rank"], weights=0.4,
                       aggregation=["arithmetic", "geometric"], bootstrap=40, seed=3)  # fmt: skip


def _bars(ax: Axes) -> list[BarContainer]:
    return [c for c in ax.containers if isinstance(c, BarContainer)]


def _widths(container: BarContainer) -> np.ndarray:
    return np.array([p.get_width() for p in container])


def _ticks(ax: Axes, axis: str = "y") -> list[str]:
    labels = ax.get_yticklabels() if axis == "y" else ax.get_xticklabels()
    return [t.get_text() for t in labels]


# -- composite(kind="ranking") -------------------------------------------------------------------
def test_ranking_bars_are_the_contributions_of_the_top_and_bottom_units(result):
    ax = composite(result, top=3)
    ds = result.to_dataset()
    frame = result.to_frame(["index", "rank"]).sort_values("rank")
    shown = [*frame.index[:3], *frame.index[-3:]]
    bars = _bars(ax)
    assert len(bars) == 3 and [len(b) for b in bars] == [6, 6, 6]
    for j, ind in enumerate(["income", "school", "mortality"]):
        want = ds["contribution"].sel(indicator=ind, unit=shown).values
        np.testing.assert_allclose(_widths(bars[j]), want, rtol=0, atol=1e-15)
    total = sum(_widths(b) for b in bars)
    np.testing.assert_allclose(total, frame.loc[shown, "index"].to_numpy(), atol=1e-12)
    ranks = frame.loc[shown, "rank"].astype(int).tolist()
    assert _ticks(ax) == [f"{r}. {u}" for r, u in zip(ranks, shown, strict=True)]
    assert ranks[:3] == [1, 2, 3] and ranks[-1] == 12
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "Income", "Schooling", "Mortality"
    ]  # fmt: skip
    title = text("plot.composite.ranking_title", "en", name="Toy index", n=3,
                 level=text("plot.composite.level_indicator", "en"))  # fmt: skip
    assert ax.get_title(loc="left") == title
    (separator,) = ax.lines  # no negative contribution: no index marks
    assert separator.get_linestyle() == ":" and separator.get_ydata()[0] == 3


def test_ranking_by_dimension_sums_the_indicators_and_shows_all_when_few(result):
    ax = composite(result, top=6, level="dimension")
    ds = result.to_dataset()
    order = result.to_frame(["rank"]).sort_values("rank").index.tolist()
    bars = _bars(ax)
    assert len(bars) == 2 and all(len(b) == 12 for b in bars)
    living = ds["contribution"].sel(indicator="income", unit=order).values
    social = ds["contribution"].sel(indicator=["school", "mortality"], unit=order).sum("indicator")
    np.testing.assert_allclose(_widths(bars[0]), living, atol=1e-15)
    np.testing.assert_allclose(_widths(bars[1]), social.values, atol=1e-15)
    assert ax.get_title(loc="left").startswith("Toy index: every unit")
    assert not ax.lines  # all units shown: no separator
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Living", "Social"]


def test_negative_contributions_stack_left_and_the_index_is_marked():
    res = build(TABLE, _spec("zscore"))
    ax = composite(res, top=2)
    ds = res.to_dataset()
    order = res.to_frame(["rank"]).sort_values("rank").index.tolist()
    shown = [*order[:2], *order[-2:]]
    contrib = ds["contribution"].sel(unit=shown).transpose("unit", "indicator").values
    assert (contrib < 0).any()
    for j, bars in enumerate(_bars(ax)):
        lefts = np.array([p.get_x() for p in bars])
        prior = contrib[:, :j]
        same_side = np.where(contrib[:, j : j + 1] >= 0, prior > 0, prior < 0) * prior
        np.testing.assert_allclose(lefts, same_side.sum(axis=1), atol=1e-12)
    separator, mark, zero = ax.lines
    assert zero.get_xdata()[0] == 0
    assert separator.get_linestyle() == ":"
    np.testing.assert_allclose(mark.get_xdata(), ds["index"].sel(unit=shown).values, atol=1e-15)


# -- composite(kind="groups"/"distribution") -----------------------------------------------------
def test_groups_are_the_weighted_means_sorted(result):
    ax = composite(result, kind="groups")
    g = result.groups()
    means = g["index"].iloc[:-1]
    order = np.argsort(means.to_numpy(), kind="stable")
    overall, dots = ax.lines
    assert overall.get_xdata()[0] == pytest.approx(g["index"].iloc[-1], abs=1e-15)
    np.testing.assert_allclose(dots.get_xdata(), means.to_numpy()[order], atol=1e-15)
    assert _ticks(ax) == [str(means.index[i]) for i in order]
    assert ax.get_title(loc="left") == "Toy index: weighted mean by province"


def test_groups_need_a_by(plain):
    with pytest.raises(mpi.ValidationError, match=r"kind='groups'.*no groups.*by="):
        composite(plain, kind="groups")


def test_distribution_counts_every_unit_and_marks_the_group_means(result):
    ax = composite(result, kind="distribution")
    (hist,) = _bars(ax)
    heights = np.array([p.get_height() for p in hist])
    assert len(hist) == 5 and heights.sum() == 12
    edges = np.array([p.get_x() for p in hist])
    index = result.index.to_numpy()
    assert edges[0] == pytest.approx(index.min()) and edges[-1] < index.max()
    g = result.groups()
    assert len(ax.lines) == 1 + 3
    assert ax.lines[0].get_xdata()[0] == pytest.approx(g["index"].iloc[-1], abs=1e-15)
    got = [float(line.get_xdata()[0]) for line in ax.lines[1:]]
    np.testing.assert_allclose(got, g["index"].iloc[:-1].to_numpy(), atol=1e-15)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[1] == f"{g.index[0]}: {g['index'].iloc[0]:.4g}"


def test_distribution_without_groups_has_the_mean_only(plain):
    ax = composite(plain, kind="distribution")
    assert len(ax.lines) == 1
    assert ax.lines[0].get_xdata()[0] == pytest.approx(np.mean(plain.index), abs=1e-12)


# -- rank_shifts and sensitivity ------------------------------------------------------------------
def test_rank_shifts_draws_the_rank_statistics_in_nominal_order(unc):
    ax = rank_shifts(unc, top=5)
    f = unc.to_frame().sort_values(["nominal_rank"], kind="stable").iloc[:5]
    nominal, median = ax.lines
    np.testing.assert_array_equal(nominal.get_xdata(), f["nominal_rank"].to_numpy())
    np.testing.assert_array_equal(median.get_xdata(), f["median_rank"].to_numpy())
    np.testing.assert_array_equal(nominal.get_ydata(), np.arange(5))
    segments = np.array(ax.collections[0].get_segments())
    np.testing.assert_array_equal(segments[:, 0, 0], f["rank_q05"].to_numpy())
    np.testing.assert_array_equal(segments[:, 1, 0], f["rank_q95"].to_numpy())
    assert _ticks(ax) == [str(u) for u in f.index]
    runs = int(unc.to_dataset().attrs["rank_stat_runs"])
    assert runs == 64
    assert ax.get_title(loc="left") == text(
        "plot.composite.title_order", "en",
        title=text("plot.composite.rank_shifts_title", "en", runs=runs),
        order=text("plot.composite.order_nominal", "en"),
    )  # fmt: skip


def test_rank_shifts_by_median_and_chosen_units(unc):
    f = unc.to_frame()
    ax = rank_shifts(unc, order="median", top=30)
    want = f.iloc[np.lexsort((f["nominal_rank"], f["median_rank"]))]
    assert _ticks(ax) == list(want.index)
    ax = rank_shifts(unc, units=["c05", "c01", "c09"])
    chosen = f.loc[["c05", "c01", "c09"]].sort_values("nominal_rank")
    assert _ticks(ax) == list(chosen.index)
    np.testing.assert_array_equal(ax.lines[1].get_xdata(), chosen["median_rank"].to_numpy())


def test_sensitivity_bars_and_bootstrap_intervals(unc):
    ax = sensitivity(unc)
    s = unc.sensitivity()
    first, total = _bars(ax)
    assert len(first) == len(total) == 3
    np.testing.assert_array_equal(_widths(first), s["first_order"].to_numpy())
    np.testing.assert_array_equal(_widths(total), s["total_order"].to_numpy())
    for bars, name in ((first, "first_order"), (total, "total_order")):
        seg = np.array(bars.errorbar.lines[2][0].get_segments())
        lo = np.minimum(s[f"{name}_lower"], s[name]).to_numpy()
        hi = np.maximum(s[f"{name}_upper"], s[name]).to_numpy()
        np.testing.assert_allclose(seg[:, 0, 0], lo, atol=1e-12)
        np.testing.assert_allclose(seg[:, 1, 0], hi, atol=1e-12)
    assert _ticks(ax) == [text(f"plot.composite.factor.{f}", "en") for f in s.index]
    assert ax.get_legend().get_title().get_text() == "Error bars: 90% bootstrap interval"


def test_sensitivity_needs_sobol(result):
    res = uncertainty(result, draws=8, weights=0.2, sobol=False)
    with pytest.raises(mpi.ValidationError, match=r"sobol=False.*sobol=True"):
        sensitivity(res)
    ax = rank_shifts(res)
    assert len(ax.lines[0].get_xdata()) == 12


# -- poor_areas -----------------------------------------------------------------------------------
def test_poor_areas_sorted_with_cutoff_and_official_list(result):
    res = find_poor_areas(TABLE, index=result, cutoff=0.5, weight="pop", official="listed")
    ax = poor_areas(res)
    f = res.to_frame()
    order = f.sort_values("rank", kind="stable")
    poor_bars, other_bars = _bars(ax)
    n_poor = int(f["poor"].sum())
    assert 0 < n_poor < 12 and len(poor_bars) == n_poor and len(other_bars) == 12 - n_poor
    heights = np.empty(12)
    for bars in (poor_bars, other_bars):
        for p in bars:
            heights[round(p.get_x() + p.get_width() / 2)] = p.get_height()
    np.testing.assert_array_equal(heights, order["index"].to_numpy())
    centres = [round(p.get_x() + p.get_width() / 2) for p in poor_bars]
    assert centres == list(range(n_poor))  # the poor areas come first
    assert _ticks(ax, "x") == list(order.index)
    rule, official = ax.lines
    assert rule.get_linestyle() == "--" and rule.get_ydata()[0] == 0.5
    listed = np.flatnonzero(TABLE.loc[order.index, "listed"].to_numpy() == 1)
    np.testing.assert_array_equal(official.get_xdata(), listed)
    assert ax.get_title(loc="left") == text("plot.composite.areas_title", "en", n_poor=n_poor, n=12)
    assert ax.get_ylabel() == "Index"


def test_poor_areas_by_count_marks_the_boundary(result):
    res = find_poor_areas(TABLE, index=result, count=4)
    ax = poor_areas(res)
    poor_bars, other_bars = _bars(ax)
    assert len(poor_bars) == 4 and len(other_bars) == 8
    (rule,) = ax.lines
    lowest = np.sort(result.index.to_numpy())
    assert rule.get_ydata()[0] == lowest[3]
    assert max(p.get_height() for p in poor_bars) == lowest[3]


def test_poor_areas_af_way_draws_the_scores_and_k():
    spec = mpi.Spec([
        mpi.Indicator("income", dimension="living", cutoff=3000, deprived_if="<", weight="1/2"),
        mpi.Indicator("school", dimension="social", cutoff=6, deprived_if="<", weight="1/4"),
        mpi.Indicator("mortality", dimension="social", cutoff=30, deprived_if=">", weight="1/4"),
    ], k="1/2")  # fmt: skip
    res = find_poor_areas(TABLE, spec=spec)
    ax = poor_areas(res, lang="zh")
    f = res.to_frame()
    (rule,) = ax.lines
    assert rule.get_ydata()[0] == 0.5
    bars = [p for c in _bars(ax) for p in c]
    assert sorted(p.get_height() for p in bars) == sorted(f["score"])
    assert ax.get_ylabel() == "剥夺得分"


# -- Chinese, pyplot, the Axes given -------------------------------------------------------------
def _all_charts(result, unc, lang: str) -> list[Axes]:
    areas = find_poor_areas(TABLE, index=result, cutoff=0.5, official="listed")
    return [
        composite(result, lang=lang, top=3),
        composite(result, kind="groups", lang=lang),
        composite(result, kind="distribution", lang=lang),
        rank_shifts(unc, lang=lang),
        sensitivity(unc, lang=lang),
        poor_areas(areas, lang=lang),
    ]


def test_no_pyplot_figure_is_left_open(result, unc):
    before = plt.get_fignums()
    axes = _all_charts(result, unc, "en")
    assert plt.get_fignums() == before
    for ax in axes:
        assert isinstance(ax, Axes) and isinstance(ax.get_figure(), Figure)
        assert ax.get_title(loc="left") and ax.get_xlabel()


def test_charts_draw_on_the_axes_given(result, unc):
    fig = Figure()
    axes = fig.subplots(1, 3)
    assert composite(result, axes[0], kind="groups") is axes[0]
    assert rank_shifts(unc, axes[1]) is axes[1]
    assert sensitivity(unc, ax=axes[2]) is axes[2]


@needs_cjk
def test_chinese_titles_and_a_cjk_font(result, unc):
    titles = {
        "ranking": text("plot.composite.ranking_title", "zh", name="Toy index", n=3,
                        level=text("plot.composite.level_indicator", "zh")),
        "groups": "Toy index：按province分组的加权均值",
        "distribution": text("plot.composite.distribution_title", "zh", name="Toy index", n=12),
        "sensitivity": "排名对各项方法选择的敏感性",
    }  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing glyph warns
        axes = _all_charts(result, unc, "zh")
        for ax in axes:
            ax.get_figure().savefig(io.BytesIO(), format="png", dpi=50)
    got = [ax.get_title(loc="left") for ax in axes]
    assert got[:3] == [titles["ranking"], titles["groups"], titles["distribution"]]
    assert got[3].startswith("排名的不确定性") and got[4] == titles["sensitivity"]
    assert got[5].startswith("贫困地区：12 个地区中的")
    assert axes[3].get_xlabel() == "排名（1 = 指数最高）"
    for ax in axes:
        fig = ax.get_figure()
        texts = [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]
        for t in texts:
            path = os.path.realpath(str(font_manager.findfont(t.get_fontproperties())))
            assert path in CJK_FILES, (t.get_text(), t.get_fontfamily())


# -- bad calls ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"kind": "pie"}, r"composite\(kind='pie'\): kind must be one of \['ranking'"),
        ({"level": "indicators"}, r"level='indicators'"),
        ({"top": 0}, r"top=0.*positive integer"),
        ({"top": 2.5}, r"top=2\.5"),
        ({"lang": "fr"}, r"lang='fr'"),
    ],
)
def test_bad_composite_calls(result, kwargs, match):
    with pytest.raises(mpi.ValidationError, match=match):
        composite(result, **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"order": "mean"}, r"order='mean'.*'nominal' or 'median'"),
        ({"units": ["c01", "zz"]}, r"'zz' is not a unit of the result"),
        ({"units": "c01"}, r"units='c01'.*list of unit ids"),
        ({"units": ["c01", "c01"]}, r"twice"),
        ({"top": -1}, r"top=-1"),
    ],
)
def test_bad_rank_shifts_calls(unc, kwargs, match):
    with pytest.raises(mpi.ValidationError, match=match):
        rank_shifts(unc, **kwargs)


def test_wrong_result_types(result, unc):
    with pytest.raises(mpi.ValidationError, match=r"composite\(\) draws a CompositeResult"):
        composite(unc)
    with pytest.raises(mpi.ValidationError, match=r"draws a CompositeUncertaintyResult"):
        rank_shifts(result)
    with pytest.raises(mpi.ValidationError, match=r"draws a CompositeUncertaintyResult"):
        sensitivity(result)
    with pytest.raises(mpi.ValidationError, match=r"draws a PoorAreasResult"):
        poor_areas(result)
