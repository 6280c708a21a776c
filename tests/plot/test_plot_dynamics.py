"""Charts of panel dynamics (mpi.plot.trend, transition_matrix, rates, survival,
chronic_durations, duration_adjusted, decomposition, relapse, risk): the drawn data equal the
result's values, and with ``lang="zh"`` every word is the label catalogue's Chinese, drawn in a
CJK font when one is installed."""

from __future__ import annotations

import io
import re
import warnings
from fractions import Fraction

import matplotlib
import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.text import Text
from panel_data import random_panel, random_spec

import mpi
from mpi._common.labels import measure_label, text

NO_CJK_FONT = (
    "no CJK font on this machine: the Chinese-label font check needs one "
    "(e.g. apt-get install fonts-noto-cjk)"
)

matplotlib.use("Agg")

YEARS = [2010, 2011, 2013, 2016, 2017]


@pytest.fixture(scope="module")
def panel_spec():
    rng = np.random.default_rng(7)
    panel = random_panel(rng, n=240, waves=YEARS, d=4, gap_rate=0.05)
    return panel, random_spec(rng, 4, k="1/4")


@pytest.fixture(scope="module")
def states(panel_spec):
    panel, spec = panel_spec
    return mpi.panel_states(panel, spec, weight="w")


@pytest.fixture(scope="module")
def results(states):
    return {
        "tr": mpi.transitions(states, balance="pairs"),
        "bands": mpi.transitions(states, balance="pairs", states="bands"),
        "pooled": mpi.transitions(states, balance="pairs", pooled=True),
        "sp": mpi.spells(states),
        "ch": mpi.chronic(states, tau="1/2", balance="observed"),
        "chb": mpi.chronic(states, tau="1/2", balance="balanced"),
        "dc": mpi.decompose_change(states, start=2011, end=2017, balance="pairs"),
        "dcc": mpi.decompose_change(states, chained=True, balance="pairs"),
    }


def _image(ax) -> np.ndarray:
    return np.ma.filled(ax.images[0].get_array().astype(float), np.nan)


def _heights(container) -> np.ndarray:
    return np.array([p.get_height() for p in container])


# -- transition_matrix -------------------------------------------------------------------
def test_transition_matrix_pooled_pair_and_bands(results, tmp_path):
    tr = results["tr"]
    ds = tr.to_dataset()
    ax = mpi.plot.transition_matrix(tr)  # default: the pooled matrix
    np.testing.assert_array_equal(_image(ax), ds["pooled_probability"].values)
    texts = [t.get_text() for t in ax.texts]
    assert texts == [f"{100 * v:.1f}%" for v in ds["pooled_probability"].values.ravel()]
    assert ax.get_title(loc="left").startswith("Transition probabilities, pooled")
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Non-poor", "Poor"]

    ax = mpi.plot.transition_matrix(tr, time=2013)
    np.testing.assert_array_equal(_image(ax), ds["probability"].sel(time=2013).values)
    assert "2011 → 2013" in ax.get_title(loc="left")
    ax = mpi.plot.transition_matrix(tr, pooled=False)  # the last pair
    np.testing.assert_array_equal(_image(ax), ds["probability"].isel(time=-1).values)
    # white text on the darkest cell, dark text on the lightest
    prob = ds["probability"].isel(time=-1).values.ravel()
    colors = [t.get_color() for t in ax.texts]
    assert colors[int(np.nanargmax(prob))] == "white"
    assert colors[int(np.nanargmin(prob))] != "white"

    bands = results["bands"].to_dataset()
    ax = mpi.plot.transition_matrix(results["bands"], time=2016, colorbar=True)
    expected = bands["probability"].sel(time=2016).values
    assert _image(ax).shape == (4, 4)
    np.testing.assert_array_equal(_image(ax), expected)
    assert len(ax.get_figure().axes) == 2  # the colorbar
    ax.get_figure().savefig(tmp_path / "tm.png")

    pooled = results["pooled"]
    ax = mpi.plot.transition_matrix(pooled)
    np.testing.assert_array_equal(_image(ax), pooled.to_dataset()["probability"].values)


def test_transition_matrix_errors(results):
    with pytest.raises(mpi.ValidationError, match="TransitionResult"):
        mpi.plot.transition_matrix(results["sp"])
    with pytest.raises(mpi.ValidationError, match="later wave"):
        mpi.plot.transition_matrix(results["tr"], time=2012)
    with pytest.raises(mpi.ValidationError, match="not both"):
        mpi.plot.transition_matrix(results["tr"], time=2013, pooled=True)
    with pytest.raises(mpi.ValidationError, match="pooled"):
        mpi.plot.transition_matrix(results["pooled"], time=2013)


# -- rates -----------------------------------------------------------------------------------
def test_rates(results, tmp_path):
    ds = results["tr"].to_dataset()
    ax = mpi.plot.rates(results["tr"])
    entry, exit_ = ax.lines[:2]
    np.testing.assert_array_equal(entry.get_xdata(), ds["time"].values.astype(float))
    np.testing.assert_array_equal(entry.get_ydata(), ds["entry_rate"].values)
    np.testing.assert_array_equal(exit_.get_ydata(), ds["exit_rate"].values)
    # the pooled reference lines
    assert ax.lines[2].get_ydata()[0] == pytest.approx(float(ds["pooled_entry_rate"]))
    assert ax.lines[3].get_ydata()[0] == pytest.approx(float(ds["pooled_exit_rate"]))
    ax.get_figure().savefig(tmp_path / "rates.png")

    ax = mpi.plot.rates(results["tr"], annual=True, pooled=False)
    assert len(ax.lines) == 2
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), ds["entry_rate_annual"].values)
    np.testing.assert_array_equal(ax.lines[1].get_ydata(), ds["exit_rate_annual"].values)
    # uneven spacing: the annual rates differ from the per-pair rates
    assert not np.allclose(ds["entry_rate_annual"].values, ds["entry_rate"].values)
    assert "annualised" in ax.get_title(loc="left")

    with pytest.raises(mpi.ValidationError, match="pooled"):
        mpi.plot.rates(results["pooled"])
    with pytest.raises(mpi.ValidationError, match="TransitionResult"):
        mpi.plot.rates(results["ch"])


# -- survival --------------------------------------------------------------------------------
@pytest.mark.parametrize("state", ["poor", "nonpoor"])
def test_survival(results, state, tmp_path):
    ds = results["sp"].to_dataset()
    s = ds["survival"].sel(state=state).values
    ok = np.isfinite(s)
    ax = mpi.plot.survival(results["sp"], state=state)
    line = ax.lines[0]
    assert line.get_drawstyle() == "steps-post"
    np.testing.assert_array_equal(line.get_ydata(), np.concatenate([[1.0], s[ok]]))
    np.testing.assert_array_equal(
        line.get_xdata(), np.concatenate([[0.0], ds["duration"].values[ok]])
    )
    hz = ds["hazard"].sel(state=state).values[ok]
    np.testing.assert_allclose(_heights(ax.containers[0]), hz)
    assert len(ax.texts) == ok.sum()  # S(d) written at each step
    ax.get_figure().savefig(tmp_path / f"surv_{state}.png")

    ax = mpi.plot.survival(results["sp"], state=state, hazard=False, annotate=False)
    assert not ax.containers and not ax.texts


def test_survival_errors(results):
    with pytest.raises(mpi.ValidationError, match="state must be one of"):
        mpi.plot.survival(results["sp"], state="vulnerable")
    with pytest.raises(mpi.ValidationError, match="SpellResult"):
        mpi.plot.survival(results["tr"])


# -- chronic_durations -----------------------------------------------------------------------
@pytest.mark.parametrize("key", ["ch", "chb"])
def test_chronic_durations(results, key, tmp_path):
    ds = results[key].to_dataset()
    share = ds["share_by_periods_poor"].values
    ax = mpi.plot.chronic_durations(results[key])
    other, chronic = ax.containers[:2]
    np.testing.assert_allclose(_heights(other) + _heights(chronic), share, atol=1e-15)
    np.testing.assert_allclose(
        _heights(chronic), share * ds["chronic_by_periods_poor"].values, atol=1e-15
    )
    np.testing.assert_array_equal(
        [p.get_x() + p.get_width() / 2 for p in chronic], ds["periods_poor"].values
    )
    np.testing.assert_array_equal(
        ax.lines[0].get_ydata(), ds["contribution_by_periods_poor"].values
    )
    # under "balanced" every bar is wholly chronic or not: a line marks m = ceil(tau T)
    marked = any("chronic: ≥" in t.get_text() for t in ax.texts)
    assert marked == (key == "chb")
    if key == "chb":
        m = int(np.ceil(len(YEARS) / 2))
        np.testing.assert_allclose(_heights(chronic)[m:], share[m:], rtol=1e-12)
        np.testing.assert_allclose(_heights(chronic)[:m], 0, atol=1e-15)
    ax.get_figure().savefig(tmp_path / f"chronic_{key}.png")

    ax = mpi.plot.chronic_durations(results[key], contribution=False, annotate=False)
    assert len(ax.lines) == (1 if key == "chb" else 0)  # only the m marker


def test_chronic_durations_errors(results, states):
    with pytest.raises(mpi.ValidationError, match="ChronicResult"):
        mpi.plot.chronic_durations(results["dc"])
    dims_first = mpi.chronic(states, tau="1/2", balance="observed", order="dimensions_first")
    with pytest.raises(mpi.ValidationError, match="time_first"):
        mpi.plot.chronic_durations(dims_first)


# -- decomposition ---------------------------------------------------------------------------
def test_decomposition_waterfall(results, tmp_path):
    dc = results["dc"]
    ds = dc.to_dataset()
    ax = mpi.plot.decomposition(dc)
    h = _heights(ax.containers[0])
    expected = [ds[v].item() for v in ("reentry", "first_entry")]
    expected += [-ds["exit"].item(), ds["stayers"].item(), ds["delta_M0"].item()]
    np.testing.assert_array_equal(h, expected)
    assert h[:-1].sum() == pytest.approx(h[-1], abs=1e-12)  # the terms add up to the net
    # a waterfall: each term starts where the previous one ended, the net from zero
    bottoms = [p.get_y() for p in ax.containers[0]]
    np.testing.assert_allclose(bottoms[:-1], np.concatenate([[0], np.cumsum(h[:-2])]))
    assert bottoms[-1] == 0
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == ["Re-entry", "First entry", "Exit (−)", "Stayers", "Net ΔM0"]
    ax.get_figure().savefig(tmp_path / "dec.png")

    ax = mpi.plot.decomposition(dc, measure="H", split_entry=False)
    np.testing.assert_array_equal(
        _heights(ax.containers[0]),
        [ds["H_entry"].item(), -ds["H_exit"].item(), ds["delta_H"].item()],
    )
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Entry", "Exit (−)", "Net ΔH"]


def test_decomposition_chained(results, tmp_path):
    dcc = results["dcc"]
    ds = dcc.to_dataset()
    ax = mpi.plot.decomposition(dcc)
    bars = {c.get_label(): _heights(c) for c in ax.containers}  # stacked: top - bottom
    np.testing.assert_allclose(bars["Re-entry"], ds["reentry"].values, rtol=1e-12)
    np.testing.assert_allclose(bars["First entry"], ds["first_entry"].values, rtol=1e-12)
    np.testing.assert_allclose(bars["Exit (−)"], -ds["exit"].values, rtol=1e-12)
    np.testing.assert_allclose(bars["Stayers"], ds["stayers"].values, rtol=1e-12)
    net = ax.lines[0]
    assert net.get_label() == "Net ΔM0"
    np.testing.assert_array_equal(net.get_xdata(), ds["time"].values.astype(float))
    np.testing.assert_array_equal(net.get_ydata(), ds["delta_M0"].values)
    # positive terms stack up from zero, negative ones down
    first = next(c for c in ax.containers if c.get_label() == "First entry")
    np.testing.assert_allclose([p.get_y() for p in first], np.maximum(ds["reentry"].values, 0))
    ax.get_figure().savefig(tmp_path / "dec_chain.png")

    ax = mpi.plot.decomposition(dcc, time=2016)  # one pair of the chain as a waterfall
    sel = ds.sel(time=2016)
    np.testing.assert_array_equal(_heights(ax.containers[0])[-1], sel["delta_M0"].item())
    assert "2013–2016" in ax.get_title(loc="left")


def test_decomposition_groups_and_errors(results, panel_spec):
    panel, spec = panel_spec
    grouped = mpi.decompose_change(
        panel, spec, weight="w", start=2011, end=2017, balance="pairs", by="region"
    )
    assert "region" in grouped.to_dataset()["delta_M0"].dims
    ax = mpi.plot.decomposition(grouped)
    assert _heights(ax.containers[0])[-1] == grouped.overall.to_dataset()["delta_M0"].item()
    with pytest.raises(mpi.ValidationError, match="'M0' or 'H'"):
        mpi.plot.decomposition(results["dc"], measure="A")
    with pytest.raises(mpi.ValidationError, match="DecompositionResult"):
        mpi.plot.decomposition(results["tr"])
    with pytest.raises(mpi.ValidationError, match="chained"):
        mpi.plot.decomposition(results["dc"], time=2017)
    with pytest.raises(mpi.ValidationError, match="later wave"):
        mpi.plot.decomposition(results["dcc"], time=2012)
    with pytest.raises(mpi.ValidationError):
        mpi.plot.decomposition(results["dc"].to_dataset())


# -- shared conventions ----------------------------------------------------------------------
CALLS = [
    ("tr", mpi.plot.transition_matrix),
    ("tr", mpi.plot.rates),
    ("sp", mpi.plot.survival),
    ("ch", mpi.plot.chronic_durations),
    ("dc", mpi.plot.decomposition),
    ("dcc", mpi.plot.decomposition),
]


@pytest.mark.parametrize(("key", "func"), CALLS)
def test_given_ax_is_used_and_returned(results, key, func):
    fig = Figure()
    given = fig.add_subplot()
    assert func(results[key], ax=given) is given
    assert fig.axes[0] is given
    assert given.has_data()
    new = func(results[key])
    assert new is not given and new.get_figure() is not fig


@pytest.mark.parametrize(("key", "func"), CALLS)
def test_cjk_title(results, key, func):
    ax = func(results[key], title="贫困动态（2010–2017年）")
    assert ax.get_title(loc="left") == "贫困动态（2010–2017年）"
    if mpi.plot.cjk_font() is None:  # the labels were checked above
        pytest.skip(NO_CJK_FONT)
    assert mpi.plot.cjk_font() in ax.title.get_fontfamily()


def test_cjk_state_labels(results):
    ax = mpi.plot.transition_matrix(results["tr"], labels={"poor": "贫困", "nonpoor": "非贫困"})
    assert [t.get_text() for t in ax.get_xticklabels()] == ["非贫困", "贫困"]
    if mpi.plot.cjk_font() is None:  # the labels were checked above
        pytest.skip(NO_CJK_FONT)
    assert mpi.plot.cjk_font() in ax.get_xticklabels()[0].get_fontfamily()


def test_exported():
    for name in ("transition_matrix", "rates", "survival", "chronic_durations", "decomposition"):
        assert name in mpi.plot.__all__
        assert getattr(mpi.plot, name).__doc__


def test_registry_panel_smoke(tmp_path):
    panel = mpi.datasets.load("registry_panel", format="xarray")
    st = mpi.panel_states(panel, mpi.presets.china_2b3g(), weight="weight")
    tr = mpi.transitions(st, balance="pairs")
    charts = [
        mpi.plot.transition_matrix(tr),
        mpi.plot.transition_matrix(mpi.transitions(st, balance="pairs", states="bands")),
        mpi.plot.rates(tr),
        mpi.plot.survival(mpi.spells(st)),
        mpi.plot.chronic_durations(mpi.chronic(st, tau="1/2", balance="observed")),
        mpi.plot.decomposition(mpi.decompose_change(st, start=2016, end=2022, balance="pairs")),
        mpi.plot.decomposition(mpi.decompose_change(st, chained=True, balance="pairs")),
    ]
    for i, ax in enumerate(charts):
        ax.get_figure().savefig(tmp_path / f"chart{i}.png", dpi=72)
        assert (tmp_path / f"chart{i}.png").stat().st_size > 5000


def test_relapse_chart_draws_cumulative_relapse_and_band():
    rng = np.random.default_rng(11)
    panel = random_panel(rng, n=400, waves=[2010, 2011, 2013, 2016, 2017], gap_rate=0.05)
    spec = random_spec(rng, d=4)
    res = mpi.relapse(panel, spec, weight="w")
    ds = res.to_dataset()
    ax = mpi.plot.relapse(res)
    line = ax.get_lines()[0]
    f = 1.0 - ds["survival"].values
    ok = np.isfinite(f)
    np.testing.assert_allclose(line.get_ydata(), np.concatenate([[0.0], f])[np.r_[True, ok]])
    # the band is +-1.96 linearised SE around F, clipped to [0, 1]
    band = ax.collections[0].get_paths()[0].vertices[:, 1]
    se = ds["survival_se"].values[ok]
    assert band.max() <= 1.0 and band.min() >= 0.0
    assert np.isclose(band.max(), min(1.0, (f[ok] + 1.959963984540054 * se).max()))
    fig_ax = mpi.plot.relapse(res, years=True, ax=ax)
    assert fig_ax is ax
    with pytest.raises(mpi.ValidationError, match="RelapseResult"):
        mpi.plot.relapse(mpi.spells(panel, spec))
    panel = panel.assign(flag=panel.i0)
    with pytest.raises(mpi.ValidationError, match="no band at exit"):
        mpi.plot.relapse(mpi.relapse(panel, status="flag"), by_band=True)


# -- lang= : the words of every chart come from the label catalogue ---------------------------
#: Tokens a Chinese chart may still show in Latin script: symbols of the measures and scores.
LATIN_OK = re.compile(r"\$[^$]*\$|\b(?:M0|H|A|D|K|S|h|d|AUC|Brier|FGT)\b")
CJK = re.compile(r"[\u2e80-\u9fff\uff00-\uffef]")


@pytest.fixture(scope="module")
def registry_results():
    """Results on a small generated registry panel: relapse, risk, duration-adjusted."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mpi.MissingDataWarning)
        panel = mpi.datasets.generate("registry_panel", n=300, seed=1, format="xarray")
        st = mpi.panel_states(panel, mpi.presets.china_2b3g(), weight="weight")
        return {
            "relapse": mpi.relapse(st),
            "risk": mpi.relapse_risk(st, fit_until=2020),
            "risk_bands": mpi.relapse_risk(st),
            "dur": mpi.duration_adjusted(
                panel, "income_per_capita", line="poverty_line", tau="1/2", weight="weight",
                balance="observed",
            ),
        }  # fmt: skip


def _cases(states, results, registry_results):
    """name -> a chart call taking ``**kwargs`` (lang=, title=), one per chart and variant."""
    tr, dc, dcc, rr = results["tr"], results["dc"], results["dcc"], registry_results
    return {
        "trend": lambda **k: mpi.plot.trend(states, "H", **k),
        "transition_matrix": lambda **k: mpi.plot.transition_matrix(tr, **k),
        "transition_pair": lambda **k: mpi.plot.transition_matrix(tr, time=2013, **k),
        "transition_bands": lambda **k: mpi.plot.transition_matrix(
            results["bands"], time=2016, colorbar=True, **k
        ),
        "rates": lambda **k: mpi.plot.rates(tr, **k),
        "rates_annual": lambda **k: mpi.plot.rates(tr, annual=True, **k),
        "survival": lambda **k: mpi.plot.survival(results["sp"], **k),
        "survival_nonpoor": lambda **k: mpi.plot.survival(results["sp"], state="nonpoor", **k),
        "chronic_durations": lambda **k: mpi.plot.chronic_durations(results["chb"], **k),
        "duration_adjusted": lambda **k: mpi.plot.duration_adjusted(rr["dur"], **k),
        "decomposition": lambda **k: mpi.plot.decomposition(dc, **k),
        "decomposition_H": lambda **k: mpi.plot.decomposition(dc, measure="H", **k),
        "decomposition_chained": lambda **k: mpi.plot.decomposition(dcc, **k),
        "relapse": lambda **k: mpi.plot.relapse(rr["relapse"], **k),
        "relapse_by_band": lambda **k: mpi.plot.relapse(rr["relapse"], by_band=True, **k),
        "risk": lambda **k: mpi.plot.risk(rr["risk"], **k),
        "risk_bands": lambda **k: mpi.plot.risk(rr["risk_bands"], **k),
    }


CASES = [
    "trend", "transition_matrix", "transition_pair", "transition_bands", "rates", "rates_annual",
    "survival", "survival_nonpoor", "chronic_durations", "duration_adjusted", "decomposition",
    "decomposition_H", "decomposition_chained", "relapse", "relapse_by_band", "risk",
    "risk_bands",
]  # fmt: skip

#: The default title of each case, in English (as before lang=) and in Chinese.
TITLES = {
    "trend": ("Headcount ratio (H) by wave", "贫困发生率 (H)：各轮次变化"),
    "transition_matrix": (
        "Transition probabilities, pooled 2010–2017", "贫困状态转移概率（2010–2017年各期合并）"
    ),
    "transition_pair": ("Transition probabilities, 2011 → 2013", "贫困状态转移概率（2011 → 2013）"),
    "transition_bands": ("Transition probabilities, 2013 → 2016", "贫困状态转移概率（2013 → 2016）"),
    "rates": ("Entry into and exit from poverty", "新增贫困与脱贫"),
    "rates_annual": ("Entry into and exit from poverty, annualised", "新增贫困与脱贫（年化）"),
    "survival": ("Survival in poverty", "贫困持续期的生存曲线"),
    "survival_nonpoor": ("Survival out of poverty", "脱贫后稳定不返贫的生存曲线"),
    "chronic_durations": ("Population by number of waves in poverty", "按贫困轮次数划分的人口分布"),
    "duration_adjusted": ("Duration-adjusted poverty (τ = 1/2)", "持续时间调整的贫困指数（τ = 1/2）"),
    "decomposition": (
        "Change in M0, 2011–2017: entries, exits and stayers",
        "多维贫困指数 M0 的变化（2011–2017年）：新增贫困、脱贫与持续贫困",
    ),
    "decomposition_H": (
        "Change in H, 2011–2017: entries and exits",
        "贫困发生率 H 的变化（2011–2017年）：新增贫困与脱贫",
    ),
    "decomposition_chained": (
        "Change in M0 per wave pair: entries, exits and stayers",
        "多维贫困指数 M0 的逐期变化：新增贫困、脱贫与持续贫困",
    ),
    "relapse": ("Relapse into poverty after an exit", "脱贫后返贫"),
    "relapse_by_band": ("Relapse into poverty after an exit", "脱贫后返贫"),
    "risk": (
        "Calibration of the early-warning risk, waves 2020, 2021",
        "返贫预警风险的校准（检验轮次：2020, 2021）",
    ),
    "risk_bands": ("Early-warning risk by current band", "按当前状态划分的返贫预警风险"),
}  # fmt: skip


def _texts(ax) -> list:
    """Every non-empty text of the figure of ``ax`` once laid out (ticks included)."""
    fig = ax.get_figure()
    fig.draw_without_rendering()
    return [t for t in fig.findobj(Text) if t.get_text().strip()]


def _words(ax) -> list[str]:
    """The texts of :func:`_texts`, sorted."""
    return sorted(t.get_text() for t in _texts(ax))


@pytest.fixture(scope="module")
def cases(states, results, registry_results):
    return _cases(states, results, registry_results)


@pytest.mark.parametrize("case", CASES)
def test_lang_en_is_the_default_and_unchanged(cases, case):
    chart = cases[case]
    ax = chart()
    assert ax.get_title(loc="left") == TITLES[case][0]
    assert _words(chart(lang="en")) == _words(ax)
    assert not any(CJK.search(t) for t in _words(ax))


@pytest.mark.parametrize("case", CASES)
def test_lang_zh_draws_every_word_in_chinese(cases, case):
    ax = cases[case](lang="zh")
    assert ax.get_title(loc="left") == TITLES[case][1]
    texts = _texts(ax)
    assert sum(bool(CJK.search(t.get_text())) for t in texts) >= 3  # title and axis labels
    for t in texts:  # no English word left: only numbers, years and symbols besides Chinese
        latin = re.findall(r"[A-Za-z]{2,}", LATIN_OK.sub("", t.get_text()))
        assert not latin, f"{case}: {t.get_text()!r} keeps {latin}"
    font = mpi.plot.cjk_font()
    if font is None:  # the words were checked above
        pytest.skip(NO_CJK_FONT)
    for t in texts:
        if CJK.search(t.get_text()):
            assert font in t.get_fontfamily(), f"{case}: {t.get_text()!r} not in {font}"
    with warnings.catch_warnings():  # a glyph missing from the fonts would be drawn as a box
        warnings.simplefilter("error")
        ax.get_figure().savefig(io.BytesIO(), format="png", dpi=50)


def test_lang_zh_words_are_the_catalogue(results, registry_results, states):
    """Legend entries, axis labels and state names are exactly the catalogue's Chinese."""
    ax = mpi.plot.transition_matrix(results["bands"], time=2016, lang="zh")
    names = [text(f"state.{s}", "zh") for s in ("nonpoor", "vulnerable", "poor", "severe")]
    assert [t.get_text() for t in ax.get_yticklabels()] == names
    assert [t.get_text() for t in ax.get_xticklabels()] == names
    assert ax.get_xlabel() == "后一期状态" and ax.get_ylabel() == "前一期状态"

    ax = mpi.plot.rates(results["tr"], lang="zh")
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["新增贫困率（非贫困 → 贫困）", "脱贫率（贫困 → 非贫困）"]
    pooled = float(results["tr"].to_dataset()["pooled_exit_rate"])
    assert f"各期合并 {100 * pooled:.1f}%" in [t.get_text() for t in ax.texts]

    ax = mpi.plot.decomposition(results["dc"], lang="zh")
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert ticks == ["返贫", "首次致贫", "脱贫 (−)", "持续贫困人口", "ΔM0 净变化"]
    ax = mpi.plot.decomposition(results["dcc"], lang="zh")
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[-1] == "ΔM0 净变化"  # the net change stays last in the legend
    terms = {"返贫", "首次致贫", "脱贫 (−)", "持续贫困人口"}
    assert {c.get_label() for c in ax.containers} == terms

    ax = mpi.plot.chronic_durations(results["chb"], lang="zh")
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["非持续贫困", "持续贫困（τ = 1/2）", "对 $M^C$ 的贡献占比"]
    assert "持续贫困：贫困轮次 ≥ 3" in [t.get_text() for t in ax.texts]

    ax = mpi.plot.survival(results["sp"], state="nonpoor", lang="zh")
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["生存率 S(d)：仍未返贫", "返贫风险率 h(d)"]  # lines before bars

    ax = mpi.plot.relapse(registry_results["relapse"], by_band=True, lang="zh")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["稳定脱贫", "脱贫但仍脆弱"]
    assert ax.get_legend().get_title().get_text() == "95% 置信带（线性化）"
    assert ax.get_xlabel() == "脱贫后轮次数"
    assert mpi.plot.relapse(registry_results["relapse"], years=True, lang="zh").get_xlabel() == (
        "脱贫后年数"
    )

    ax = mpi.plot.risk(registry_results["risk_bands"], lang="zh")
    assert ax.get_legend().get_title().get_text() == "当前状态"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["非贫困", "贫困", "深度贫困"]
    ax = mpi.plot.risk(registry_results["risk"], lang="zh")
    ds = registry_results["risk"].to_dataset()
    auc = float(ds["auc"].sel(model="model"))
    brier = float(ds["brier"].sel(model="model"))
    model = ax.get_legend().get_texts()[0].get_text()
    assert model == f"预警模型（AUC {auc:.3f}，Brier 分数 {brier:.3f}）"

    ax = mpi.plot.trend(states, "M0", lang="zh")
    assert ax.get_ylabel() == text("measure.M0", "zh") == measure_label("M0", "zh")
    assert ax.lines[-1].get_label() == "总体"


def test_lang_keeps_what_the_user_gave(results):
    """A title or state labels passed by the user are drawn as given, in either language."""
    ax = mpi.plot.transition_matrix(
        results["tr"], labels={"poor": "Poor households"}, title="My own title", lang="zh"
    )
    assert ax.get_title(loc="left") == "My own title"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["非贫困", "Poor households"]
    ax = mpi.plot.decomposition(results["dc"], title="分解", lang="en")
    assert ax.get_title(loc="left") == "分解"
    assert ax.get_ylabel() == "Contribution to ΔM0"


@pytest.mark.parametrize(
    "func",
    [mpi.plot.trend, mpi.plot.transition_matrix, mpi.plot.rates, mpi.plot.survival,
     mpi.plot.chronic_durations, mpi.plot.duration_adjusted, mpi.plot.decomposition,
     mpi.plot.relapse, mpi.plot.risk],
)  # fmt: skip
def test_unknown_lang_is_refused(results, func):
    with pytest.raises(mpi.ValidationError, match=r"lang='fr'.*use one of \('en', 'zh'\)"):
        func(results["tr"], lang="fr")


def test_trend_takes_every_k_form(panel_spec):
    """A panel measured at several cutoffs: trend(k=...) in every form mpi.measure accepts
    draws that cutoff's series; no k, or one the result lacks, is a clear error."""
    panel, spec = panel_spec
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mpi.MissingDataWarning)
        res = mpi.measure(panel, spec, weight="w", k=[0.2, "1/3"], by="region")
    expected = res.overall.to_dataset()["H"].sel(k=1 / 3).values
    for k in ("1/3", 1 / 3, Fraction(1, 3)):
        ax = mpi.plot.trend(res, "H", k=k, group="region")
        np.testing.assert_array_equal(ax.lines[-1].get_ydata(), expected)
    with pytest.raises(mpi.ValidationError, match="pass k= one of them"):
        mpi.plot.trend(res, "H")
    with pytest.raises(mpi.ValidationError, match="it has k = 1/5, 1/3"):
        mpi.plot.trend(res, "H", k=0.25)
