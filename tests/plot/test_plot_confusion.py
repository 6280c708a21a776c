"""mpi.plot.confusion (the listed x poor table by group) and mpi.plot.deciles (coverage of the
list by decile of a ranking): what is drawn equals the result's numbers, the intervals its
confidence intervals, Chinese charts use a CJK font, bad calls are refused."""

from __future__ import annotations

import io
import os
import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest
from font_files import CJK_FILES, needs_cjk
from matplotlib import font_manager
from matplotlib.colors import to_rgba
from matplotlib.container import BarContainer, ErrorbarContainer
from matplotlib.figure import Figure
from matplotlib.text import Text

import mpi
from mpi._common.labels import text
from mpi.plot._style import ENTRY, EXIT, percent_text

matplotlib.use("Agg")

CELLS = ("listed_poor", "listed_nonpoor", "unlisted_poor", "unlisted_nonpoor")


def _survey(seed: int = 3, n: int = 1500) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    region = rng.choice(["north", "south", "west"], n)
    income = rng.lognormal(8.0, 0.6, n) * np.where(region == "south", 0.7, 1.0)
    poor = income < np.quantile(income, 0.3)
    listed = np.where(poor, rng.random(n) < 0.65, rng.random(n) < 0.12)
    strata = rng.integers(0, 4, n)
    return pd.DataFrame(
        {
            "listed": listed.astype(np.int64), "poor": poor.astype(np.int64),
            "income": np.round(income, 2), "region": region,
            "year": rng.choice([2021, 2022], n), "w": rng.uniform(0.5, 3.0, n),
            "stratum": strata, "psu": strata * 100 + rng.integers(0, 10, n),
        }
    )  # fmt: skip


DATA = _survey()
DESIGN = mpi.Design("w", strata="stratum", psu="psu")


@pytest.fixture(scope="module")
def by_region() -> mpi.TargetingResult:
    return mpi.targeting(DATA, "listed", "poor", by="region", design=DESIGN, rank="income")


@pytest.fixture(scope="module")
def two_dims() -> mpi.TargetingResult:
    return mpi.targeting(DATA, "listed", "poor", by=["region", "year"], weight="w")


def _bars(ax) -> list[BarContainer]:
    return [c for c in ax.containers if isinstance(c, BarContainer)]


# -- confusion ---------------------------------------------------------------------------------
def test_confusion_widths_are_the_weighted_totals(by_region):
    ds = by_region.to_dataset()
    ax = mpi.plot.confusion(by_region, normalize=False)
    bars = _bars(ax)
    assert len(bars) == 4
    left = np.zeros(ds.sizes["region"])
    for name, bar in zip(CELLS, bars, strict=True):
        np.testing.assert_array_equal([p.get_width() for p in bar], ds[name].values)
        np.testing.assert_array_equal([p.get_x() for p in bar], left)
        left = left + ds[name].values
    assert [t.get_text() for t in ax.get_yticklabels()] == [str(v) for v in ds["region"].values]
    assert ax.get_xlabel() == text("plot.confusion.total_axis", "en")


def test_confusion_shares_sum_to_one_per_group(by_region):
    ds = by_region.to_dataset()
    total = sum(ds[c].values for c in CELLS)
    ax = mpi.plot.confusion(by_region)
    bars = _bars(ax)
    widths = np.array([[p.get_width() for p in bar] for bar in bars])
    for name, row in zip(CELLS, widths, strict=True):
        np.testing.assert_allclose(row, ds[name].values / total, rtol=1e-15, atol=0)
    np.testing.assert_allclose(widths.sum(axis=0), 1.0, rtol=0, atol=1e-14)
    # the listed segments together are the share listed of the result
    np.testing.assert_allclose(widths[0] + widths[1], ds["listed_share"].values, atol=1e-14)
    assert ax.get_xlim() == (0.0, 1.0)
    # the two error cells stand out in the colours of plot.targeting
    assert bars[1].patches[0].get_facecolor() == to_rgba(EXIT)
    assert bars[2].patches[0].get_facecolor() == to_rgba(ENTRY)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == [text(f"plot.confusion.cell.{c}", "en") for c in CELLS]


def test_confusion_labels_wide_segments_with_their_share(by_region):
    ds = by_region.to_dataset()
    total = sum(ds[c].values for c in CELLS)
    ax = mpi.plot.confusion(by_region)
    labels = {(round(t.get_position()[1]), t.get_text()) for t in ax.texts}
    # the widest cell (neither listed nor poor, over half of every group) is labelled
    for i in range(ds.sizes["region"]):
        share = float(ds["unlisted_nonpoor"].values[i] / total[i])
        assert share > 0.5
        assert (i, percent_text(share)) in labels
    # every label sits at the centre of its segment and says the segment's share
    centres = {
        (round(p.get_y() + p.get_height() / 2), round(p.get_x() + p.get_width() / 2, 12)):
            percent_text(p.get_width())
        for bar in _bars(ax) for p in bar
    }  # fmt: skip
    for t in ax.texts:
        x, y = t.get_position()
        assert centres[(round(y), round(x, 12))] == t.get_text()
    # a narrow segment is not labelled
    small = mpi.plot.confusion(by_region, ax=Figure(figsize=(2.0, 3.0)).add_subplot())
    assert len(small.texts) < len(ax.texts)


def test_confusion_without_groups_draws_one_overall_bar():
    res = mpi.targeting(DATA, "listed", "poor", weight="w")
    ds = res.to_dataset()
    ax = mpi.plot.confusion(res, normalize=False)
    assert [t.get_text() for t in ax.get_yticklabels()] == [text("common.overall", "en")]
    assert [bar.patches[0].get_width() for bar in _bars(ax)] == [float(ds[c]) for c in CELLS]


def test_confusion_group_without_weight_draws_nothing():
    df = pd.DataFrame({"l": [1, 0, 1, 0], "p": [1, 0, 1, 1], "g": list("aabb"),
                       "w": [1.0, 2.0, 0.0, 0.0]})  # fmt: skip
    ax = mpi.plot.confusion(mpi.targeting(df, "l", "p", by="g", weight="w"))
    widths = np.array([[p.get_width() for p in bar] for bar in _bars(ax)])
    np.testing.assert_array_equal(widths[:, 0], [1 / 3, 0.0, 0.0, 2 / 3])
    assert np.isnan(widths[:, 1]).all()  # group b weighs 0: no shares
    assert sorted(t.get_text() for t in ax.texts) == ["33.3%", "66.7%"]


def test_confusion_several_groups_needs_by_and_sums_the_others(two_dims):
    ds = two_dims.to_dataset()
    with pytest.raises(mpi.ValidationError, match=r"several grouping variables.*by="):
        mpi.plot.confusion(two_dims)
    ax = mpi.plot.confusion(two_dims, by="year", normalize=False)
    for name, bar in zip(CELLS, _bars(ax), strict=True):
        want = ds[name].sum("region").values
        np.testing.assert_allclose([p.get_width() for p in bar], want, rtol=1e-15)
    # summed totals are the totals of the list evaluated by year alone
    alone = mpi.targeting(DATA, "listed", "poor", by="year", weight="w").to_dataset()
    np.testing.assert_allclose([p.get_width() for p in _bars(ax)[1]],
                               alone["listed_nonpoor"].values, rtol=1e-13)  # fmt: skip
    assert "region" in ax.get_title(loc="left")


def test_confusion_refuses_bad_calls(by_region):
    with pytest.raises(mpi.ValidationError, match="by='county'"):
        mpi.plot.confusion(by_region, by="county")
    with pytest.raises(mpi.ValidationError, match="draws a TargetingResult"):
        mpi.plot.confusion(mpi.measure(DATA.assign(d=DATA["poor"]),
                                       mpi.Spec.from_dimensions({"a": ["d"]}, k=1)))  # fmt: skip
    with pytest.raises(mpi.ValidationError, match="normalize must be True or False"):
        mpi.plot.confusion(by_region, normalize="yes")
    with pytest.raises(mpi.ValidationError, match="lang"):
        mpi.plot.confusion(by_region, lang="fr")


def test_confusion_on_given_axes_and_title(by_region):
    given = Figure().add_subplot()
    ax = mpi.plot.confusion(by_region, ax=given, title="名单对照")
    assert ax is given and ax.get_title(loc="left") == "名单对照"
    assert ax.get_title(loc="left") != mpi.plot.confusion(by_region).get_title(loc="left")


# -- deciles -----------------------------------------------------------------------------------
def _error_segments(container) -> np.ndarray:
    """(lower, upper) of the vertical error bars of a bar or errorbar container."""
    errorbar = container.errorbar if isinstance(container, BarContainer) else container
    assert isinstance(errorbar, ErrorbarContainer)
    segments = errorbar.lines[2][0].get_segments()
    return np.array([[s[0][1], s[1][1]] for s in segments])


def test_deciles_bars_are_the_coverage_with_the_ci(by_region):
    ds = by_region.to_dataset()
    ci = by_region.ci(0.9)["decile_coverage"]
    ax = mpi.plot.deciles(by_region, level=0.9)
    bars = _bars(ax)
    assert len(bars) == ds.sizes["region"]
    for i, bar in enumerate(bars):
        values = ds["decile_coverage"].isel(region=i).values
        finite = np.isfinite(values)
        heights = np.array([p.get_height() for p in bar])
        np.testing.assert_array_equal(heights[finite], values[finite])
        centres = [p.get_x() + p.get_width() / 2 for p in bar]
        assert np.all(np.diff(centres) > 0) and round(centres[0]) == 1
        lo = ci.sel(bound="lower").isel(region=i).values[finite]
        hi = ci.sel(bound="upper").isel(region=i).values[finite]
        segments = _error_segments(bar)
        np.testing.assert_allclose(segments[:, 0], lo, rtol=0, atol=1e-12)
        np.testing.assert_allclose(segments[:, 1], hi, rtol=0, atol=1e-12)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == list(ds["region"].values)
    assert [t.get_text() for t in ax.get_xticklabels()] == [str(d) for d in range(1, 11)]
    assert "90%" in ax.get_title(loc="left")


def test_deciles_lines_and_incidence(by_region):
    ds = by_region.to_dataset()
    ax = mpi.plot.deciles(by_region, variable="decile_incidence", kind="lines")
    assert len(ax.lines) >= ds.sizes["region"]
    containers = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    ci = by_region.ci(0.95)["decile_incidence"]
    for i, container in enumerate(containers):
        line = container.lines[0]
        values = ds["decile_incidence"].isel(region=i).values
        offset = 0.4 / len(containers) * (i - (len(containers) - 1) / 2)  # set apart
        np.testing.assert_allclose(line.get_xdata(), np.arange(1, 11) + offset, atol=1e-15)
        np.testing.assert_array_equal(line.get_ydata(), values)
        assert abs(np.nansum(line.get_ydata()) - 1) < 1e-12  # the listed of a group: 100%
        finite = np.isfinite(values)
        segments = _error_segments(container)
        np.testing.assert_allclose(segments[:, 0], ci.sel(bound="lower").values[i][finite],
                                   rtol=0, atol=1e-12)  # fmt: skip
    assert ax.get_ylabel() == text("plot.deciles.decile_incidence", "en")


def test_deciles_without_design_and_without_groups():
    res = mpi.targeting(DATA, "listed", "poor", weight="w", rank="income")
    ds = res.to_dataset()
    ax = mpi.plot.deciles(res)
    (bar,) = _bars(ax)
    assert bar.errorbar is None  # no design: no intervals
    np.testing.assert_array_equal([p.get_height() for p in bar], ds["decile_coverage"].values)
    assert ax.get_legend() is None
    # the poorest decile of income is the most covered: the list follows the poverty status
    assert ds["decile_coverage"].values[0] > ds["decile_coverage"].values[-1]


def test_deciles_refuses_bad_calls(by_region, two_dims):
    with pytest.raises(mpi.ValidationError, match="rank="):
        mpi.plot.deciles(two_dims)
    with pytest.raises(mpi.ValidationError, match="variable must be one of"):
        mpi.plot.deciles(by_region, variable="coverage")
    with pytest.raises(mpi.ValidationError, match="kind must be"):
        mpi.plot.deciles(by_region, kind="pie")
    with pytest.raises(mpi.ValidationError, match="level must be"):
        mpi.plot.deciles(by_region, level=95)
    with pytest.raises(mpi.ValidationError, match="by='year'"):
        mpi.plot.deciles(by_region, by="year")
    both = mpi.targeting(DATA, "listed", "poor", by=["region", "year"], rank="income")
    with pytest.raises(mpi.ValidationError, match="one grouping variable"):
        mpi.plot.deciles(both, by="region")
    with pytest.raises(mpi.ValidationError, match="draws a TargetingResult"):
        mpi.plot.deciles(DATA)


# -- Chinese charts ----------------------------------------------------------------------------


@needs_cjk
@pytest.mark.parametrize("chart", ["confusion", "deciles"])
def test_zh_charts_use_a_cjk_font(by_region, chart):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing glyph warns
        ax = getattr(mpi.plot, chart)(by_region, lang="zh")
        fig = ax.get_figure()
        fig.savefig(io.BytesIO(), format="png", dpi=60)
    texts = [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]
    assert len(texts) >= 6
    assert any("贫困" in t.get_text() or "名单" in t.get_text() for t in texts)
    for t in texts:
        path = os.path.realpath(str(font_manager.findfont(t.get_fontproperties())))
        assert path in CJK_FILES, (t.get_text(), t.get_fontfamily())
