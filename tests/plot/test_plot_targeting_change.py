"""mpi.plot.targeting_changes (the changes over time of a list's targeting errors): the bars
are the changes of to_dataset(), the error bars the t intervals of ci(level), the colours say
whether a change is for the better, Chinese charts use a CJK font, bad calls are refused and
result.plot() draws the chart."""

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
from mpi.plot._fonts import GLYPH_MISSING
from mpi.plot._style import ENTRY, EXIT, STAYERS
from mpi.plot.targeting_change import _format_pp

matplotlib.use("Agg")

ERRORS = ("inclusion_error", "exclusion_error")


def _survey(seed: int = 11, n: int = 2400) -> pd.DataFrame:
    """Three rounds, three counties, a list that gets better for the poor over time."""
    rng = np.random.default_rng(seed)
    year = rng.choice([2019, 2021, 2023], n)
    county = rng.choice(["甲县", "乙县", "丙县"], n)
    poor = rng.random(n) < 0.3
    p_listed = np.select([year == 2019, year == 2021], [0.5, 0.65], 0.7)
    listed = np.where(poor, rng.random(n) < p_listed, rng.random(n) < 0.2 - 0.02 * (year - 2019))
    strata = rng.integers(0, 4, n)
    return pd.DataFrame(
        {
            "listed": listed.astype(np.int64), "poor": poor.astype(np.int64), "year": year,
            "county": county, "w": rng.uniform(0.5, 3.0, n), "stratum": strata,
            "psu": strata * 100 + rng.integers(0, 10, n),
        }
    )  # fmt: skip


DATA = _survey()
DESIGN = mpi.Design("w", strata="stratum", psu="psu")


@pytest.fixture(scope="module")
def by_year() -> mpi.TargetingChangeResult:
    res = mpi.targeting(DATA, "listed", "poor", by="year", design=DESIGN)
    return res.change("year", kind="insequence")


@pytest.fixture(scope="module")
def by_county() -> mpi.TargetingChangeResult:
    res = mpi.targeting(DATA, "listed", "poor", by=["year", "county"], design=DESIGN)
    return res.change("year", kind="insequence")


def _bars(ax) -> list[float]:
    (bars,) = [c for c in ax.containers if isinstance(c, BarContainer)]
    return [p.get_width() for p in bars]


def _intervals(ax) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lower and upper ends and rows (y) of the error bars."""
    (eb,) = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    segments = np.array(eb.lines[2][0].get_segments())  # (rows, 2 ends, xy)
    return segments[:, 0, 0], segments[:, 1, 0], segments[:, 0, 1]


def _expected(change, variables, *, group=None, level=0.95):
    """Rows in the documented order (rate, group, period) from to_dataset() and ci()."""
    ds, ci = change.to_dataset(), change.ci(level)
    if group:
        ds, ci = ds.sel(group), ci.sel(group)
    others = [d for d in change.by if d not in (group or {})]
    cells = [{}] if not others else [{others[0]: g} for g in ds[others[0]].values]
    vals, lo, hi = [], [], []
    for name in variables:
        for cell in cells:
            for p in ds["period"].values:
                at = {**cell, "period": p}
                vals.append(float(ds[name].sel(at)))
                lo.append(float(ci[name].sel(at).sel(bound="lower")))
                hi.append(float(ci[name].sel(at).sel(bound="upper")))
    return np.array(vals), np.array(lo), np.array(hi)


# -- what is drawn -------------------------------------------------------------------------------
def test_bars_are_the_changes_and_lines_the_intervals(by_year):
    ax = mpi.plot.targeting_changes(by_year)
    want, lo, hi = _expected(by_year, ERRORS)
    assert len(want) == 4  # two rates x two periods
    np.testing.assert_array_equal(_bars(ax), want)
    got_lo, got_hi, rows = _intervals(ax)
    np.testing.assert_array_equal(got_lo, lo)
    np.testing.assert_allclose(got_hi, hi, rtol=0, atol=1e-15)
    # the intervals are change -/+ t se (one t quantile, on the design's df), wider at 99%
    half = np.concatenate([by_year.se[n].values for n in ERRORS])
    t = (got_hi - got_lo) / 2 / half
    np.testing.assert_allclose(t, t[0], rtol=1e-12)
    assert 1.96 < t[0] < 2.1  # t_{0.975} on the design's df (40 PSUs - 4 strata = 36)
    wide_lo, wide_hi, _ = _intervals(mpi.plot.targeting_changes(by_year, level=0.99))
    assert np.all(wide_hi - wide_lo > hi - lo)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == [
        text("plot.targeting_change.row", "en", variable=text(f"targeting.var.{n}", "en"),
             period=p)
        for n in ERRORS for p in ("2019-2021", "2021-2023")
    ]  # fmt: skip
    assert list(rows) == [t.get_position()[1] for t in ax.get_yticklabels()]
    assert rows[0] > rows[1] > rows[2] > rows[3]  # top row first
    assert ax.get_xlabel() == text("plot.targeting_change.axis", "en", level=95.0)
    assert ax.get_title(loc="left") == text("plot.targeting_change.title", "en")
    assert [line.get_xdata()[0] for line in ax.lines if line.get_xdata()[0] == 0] == [0]


def test_one_row_per_group_and_a_selected_group(by_county):
    ax = mpi.plot.targeting_changes(by_county, variables=["exclusion_error", "coverage"])
    want, lo, hi = _expected(by_county, ["exclusion_error", "coverage"])
    assert len(want) == 2 * 3 * 2  # rates x counties x periods
    np.testing.assert_array_equal(_bars(ax), want)
    got_lo, got_hi, _ = _intervals(ax)
    np.testing.assert_array_equal(got_lo, lo)
    np.testing.assert_allclose(got_hi, hi, rtol=0, atol=1e-15)
    first = [t.get_text() for t in ax.get_yticklabels()][0]
    county = str(by_county.to_dataset()["county"].values[0])
    assert first == text("plot.targeting_change.row_group", "en",
                         variable=text("targeting.var.exclusion_error", "en"), group=county,
                         period="2019-2021")  # fmt: skip
    one = mpi.plot.targeting_changes(by_county, group={"county": "乙县"}, level=0.9)
    want, lo, hi = _expected(by_county, ERRORS, group={"county": "乙县"}, level=0.9)
    np.testing.assert_array_equal(_bars(one), want)
    np.testing.assert_array_equal(_intervals(one)[0], lo)
    assert one.get_title(loc="left").endswith("乙县")
    # the same numbers as the change of that county alone
    alone = mpi.targeting(DATA[DATA["county"] == "乙县"], "listed", "poor", by="year",
                          weight="w").change("year", kind="insequence")  # fmt: skip
    np.testing.assert_allclose(want, _expected(alone, ERRORS)[0], rtol=0, atol=1e-12)


def test_colours_say_better_or_worse(by_county):
    variables = ["inclusion_error", "coverage"]
    ax = mpi.plot.targeting_changes(by_county, variables=variables)
    (bars,) = [c for c in ax.containers if isinstance(c, BarContainer)]
    values = _expected(by_county, variables)[0]
    signs = np.repeat([-1, 1], 6)  # an error falling, coverage rising is better
    better = values * signs > 0
    assert better.any() and (~better).any()  # both kinds occur in these data
    for patch, good in zip(bars, better, strict=True):
        assert patch.get_facecolor() == to_rgba(EXIT if good else ENTRY, 0.85)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    kinds = [k for k, c in (("better", EXIT), ("worse", ENTRY))
             if any(p.get_facecolor() == to_rgba(c, 0.85) for p in bars)]  # fmt: skip
    assert legend == [text(f"plot.targeting_change.{k}", "en") for k in kinds]
    assert _format_pp(0.05) == "+5" and _format_pp(-0.125) == "\u221212.5"
    assert _format_pp(0.0) == "0"


def test_a_share_without_direction_is_grey():
    res = mpi.targeting(DATA, "listed", "poor", by="year", design=DESIGN)
    change = res.change("year", variables=["listed_share", "inclusion_error"])
    ax = mpi.plot.targeting_changes(change, variables=["listed_share"])
    (bars,) = [c for c in ax.containers if isinstance(c, BarContainer)]
    assert bars[0].get_width() == float(change.to_dataset()["listed_share"].values[0])
    assert bars[0].get_facecolor() == to_rgba(STAYERS, 0.85)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        text("plot.targeting_change.neutral", "en")
    ]


def test_without_standard_errors_no_error_bars():
    res = mpi.targeting(DATA, "listed", "poor", by="year", weight="w")
    change = res.change("year")
    assert np.isnan(change.se["inclusion_error"].values).all()
    ax = mpi.plot.targeting_changes(change)
    want, _, _ = _expected(change, ERRORS)
    np.testing.assert_array_equal(_bars(ax), want)
    assert not [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    assert ax.get_xlabel() == text("plot.targeting_change.axis_no_ci", "en")
    lo, hi = ax.get_xlim()
    assert lo < min(0.0, *want) and hi > max(0.0, *want)  # zero is inside, not on the edge


def test_an_undefined_change_has_no_bar_nor_interval():
    df = DATA.copy()
    df.loc[(df["year"] == 2023) & (df["county"] == "丙县"), "listed"] = 0  # nobody listed
    res = mpi.targeting(df, "listed", "poor", by=["year", "county"], design=DESIGN)
    change = res.change("year")
    ds = change.to_dataset()
    assert np.isnan(float(ds["inclusion_error"].sel(county="丙县").values[0]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        if mpi.plot.cjk_font() is None:  # the county names: boxes, one warning per character
            warnings.filterwarnings("ignore", GLYPH_MISSING, UserWarning)
        ax = mpi.plot.targeting_changes(change)
        ax.get_figure().savefig(io.BytesIO(), format="png", dpi=50)
    want, lo, _ = _expected(change, ERRORS)
    np.testing.assert_array_equal(_bars(ax), want)  # NaN where undefined
    got_lo, _, rows = _intervals(ax)
    assert len(got_lo) == int(np.isfinite(lo).sum()) == len(want) - 1
    np.testing.assert_array_equal(got_lo, lo[np.isfinite(lo)])


def test_plot_is_the_chart_and_draws_on_a_given_axes(by_year, by_county):
    a, b = by_year.plot(), mpi.plot.targeting_changes(by_year)
    assert a.get_title(loc="left") == b.get_title(loc="left")
    assert _bars(a) == _bars(b)
    given = Figure().add_subplot()
    assert by_county.plot(ax=given, variables=["leakage"]) is given
    assert _bars(given) == list(_expected(by_county, ["leakage"])[0])
    assert by_year.plot(title="名单误差").get_title(loc="left") == "名单误差"


# -- Chinese ---------------------------------------------------------------------------------


@needs_cjk
def test_zh_chart_uses_a_cjk_font(by_county):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing glyph warns
        ax = mpi.plot.targeting_changes(by_county, group={"county": "甲县"}, lang="zh")
        fig = ax.get_figure()
        fig.savefig(io.BytesIO(), format="png", dpi=60)
    assert ax.get_title(loc="left").startswith(text("plot.targeting_change.title", "zh"))
    assert ax.get_xlabel() == text("plot.targeting_change.axis", "zh", level=95.0)
    texts = [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]
    assert "错评率（纳入误差）  2019-2021" in [t.get_text() for t in texts]
    assert len(texts) >= 8
    for t in texts:
        path = os.path.realpath(str(font_manager.findfont(t.get_fontproperties())))
        assert path in CJK_FILES, (t.get_text(), t.get_fontfamily())


# -- bad calls -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"variables": ["inclusion_eror"]}, r"'inclusion_eror' is not a rate.*choose from"),
        ({"variables": ["listed_poor"]}, r"'listed_poor' is not a rate.*to_frame"),
        ({"variables": ["targeting_differential"]}, r"not in this change.*variables=\["),
        ({"variables": []}, r"names no rate; choose from"),
        ({"variables": ["leakage", "leakage"]}, r"twice"),
        ({"group": {"region": "x"}}, r"'region' is not a group variable.*\['county'\]"),
        ({"group": {"county": "丁县"}}, r"'丁县' is not a value of 'county'; choose from"),
        ({"level": 1.5}, r"level"),
        ({"lang": "fr"}, r"lang='fr'.*\('en', 'zh'\)"),
    ],
)
def test_bad_calls_are_refused(by_county, kwargs, match):
    with pytest.raises(mpi.ValidationError, match=match):
        mpi.plot.targeting_changes(by_county, **kwargs)


def test_two_group_variables_need_a_selection():
    df = DATA.assign(area=np.where(np.arange(len(DATA)) % 2 == 0, "urban", "rural"))
    res = mpi.targeting(df, "listed", "poor", by=["year", "county", "area"], weight="w")
    change = res.change("year")
    with pytest.raises(mpi.ValidationError, match=r"select the others with group=, e\.g\."):
        mpi.plot.targeting_changes(change)
    ax = mpi.plot.targeting_changes(change, group={"area": "urban"})
    want = change.to_dataset()["inclusion_error"].sel(area="urban").values.ravel()
    np.testing.assert_array_equal(_bars(ax)[: len(want)], want)
    with pytest.raises(mpi.ValidationError, match=r"draws a TargetingChangeResult"):
        mpi.plot.targeting_changes(res)
