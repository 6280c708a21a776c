"""Charts of the screening scores (issue 20): signals (which features put students on the
list: mean contributions of the highest scores against all students) and coefficients (the
forest plot of the screening logit). Bar lengths and points are checked against pandas
computations on ``.contributions`` and ``.coefficients``."""

from __future__ import annotations

import io
import math
import os
import re
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from font_files import CJK_FILES, needs_cjk  # noqa: E402
from matplotlib import font_manager  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402
from matplotlib.container import BarContainer  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.text import Text  # noqa: E402

import mpi  # noqa: E402
from mpi._common.labels import text  # noqa: E402
from mpi.composites.spec import CompositeIndicator, CompositeSpec, Dimension  # noqa: E402
from mpi.errors import ValidationError  # noqa: E402
from mpi.plot.screening_scores import coefficients, signals, top_count  # noqa: E402
from mpi.screening.features import features  # noqa: E402
from mpi.screening.model import fit_screening  # noqa: E402
from mpi.screening.signals import signal_score  # noqa: E402

CJK = re.compile(r"[\u3400-\u9fff]")


@pytest.fixture(scope="module")
def bundled() -> tuple[pd.DataFrame, pd.Series]:
    card = mpi.datasets.load("campus_card")
    frame = features(card["transactions"], card["students"]).to_frame()
    return frame, card["truth"].set_index("student_id")["hardship"]


@pytest.fixture(scope="module")
def sig(bundled):
    return signal_score(bundled[0])


@pytest.fixture(scope="module")
def model(bundled):
    return fit_screening(*bundled)


@pytest.fixture(autouse=True)
def no_pyplot_figures():
    before = plt.get_fignums()
    yield
    assert plt.get_fignums() == before  # charts draw on Figure objects, never pyplot


def _bars(ax: Axes) -> list[BarContainer]:
    return [c for c in ax.containers if isinstance(c, BarContainer)]


def _expected(res, n_top: int) -> pd.DataFrame:
    """Top and all-students mean contributions with pandas, in the chart's order."""
    contrib = res.contributions
    scores = res.scores.dropna()
    top_ids = (-scores).sort_values(kind="stable").index[:n_top]
    table = pd.DataFrame({
        "top": contrib.loc[top_ids].mean(),
        "all": contrib.loc[scores.index].mean(),
        "category": [i.dimension for i in res.spec.indicators],
        "spec_pos": range(len(res.spec.indicators)),
    })  # fmt: skip
    table["cat_pos"] = table["category"].map({d.name: k for k, d in enumerate(res.spec.dimensions)})
    table["neg_top"] = -table["top"]
    return table.sort_values(["cat_pos", "neg_top", "spec_pos"], kind="stable")


# -- signals ----------------------------------------------------------------------------------
@pytest.mark.parametrize(("top", "n_top"), [(None, 80), (50, 50), (0.25, 200), (1, 1)])
def test_signals_bars_are_the_pandas_means(sig, top, n_top) -> None:
    before = sig.contributions.copy()
    ax = signals(sig, top=top)
    assert isinstance(ax, Axes) and isinstance(ax.figure, Figure)
    top_bars, all_bars = _bars(ax)
    exp = _expected(sig, n_top)
    assert len(top_bars) == len(all_bars) == len(sig.spec.indicators) == 10
    np.testing.assert_allclose([p.get_width() for p in top_bars], exp["top"], rtol=0, atol=1e-12)
    np.testing.assert_allclose([p.get_width() for p in all_bars], exp["all"], rtol=0, atol=1e-12)
    # a student's contributions sum to the score: the bars sum to the groups' mean scores
    scores = sig.scores.dropna()
    top_mean = (-scores).sort_values(kind="stable").iloc[:n_top].mul(-1).mean()
    assert sum(p.get_width() for p in top_bars) == pytest.approx(top_mean, abs=1e-12)
    assert sum(p.get_width() for p in all_bars) == pytest.approx(scores.mean(), abs=1e-12)
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert ticks == [text(f"feature.{n}", "en") for n in exp.index]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[-2:] == [
        text("plot.screening_scores.signals_top", "en", n=n_top),
        text("plot.screening_scores.signals_all", "en", n=800),
    ]
    assert ax.get_title(loc="left") == text(
        "plot.screening_scores.signals_title", "en", n=n_top, share=n_top / 800, total=800
    )
    pd.testing.assert_frame_equal(sig.contributions, before)


def test_signals_grouped_and_coloured_by_category(sig) -> None:
    ax = signals(sig)
    top_bars, all_bars = _bars(ax)
    exp = _expected(sig, 80)
    cats = exp["category"].tolist()
    # grouped: each category is one contiguous run, in the spec's order
    runs = [c for k, c in enumerate(cats) if k == 0 or cats[k - 1] != c]
    assert runs == ["consumption", "living", "study", "background"]
    colour = {}
    for c, p, q in zip(cats, top_bars, all_bars, strict=True):
        colour.setdefault(c, to_hex(p.get_facecolor()))
        assert to_hex(p.get_facecolor()) == colour[c]
        assert to_hex(q.get_facecolor()) != colour[c]  # the all-students bar is lighter
    assert len(set(colour.values())) == 4
    legend = ax.get_legend()
    names = [t.get_text() for t in legend.get_texts()][:4]
    assert names == [text(f"screening_features.category.{c}", "en") for c in runs]
    handles = legend.legend_handles[:4]
    assert [to_hex(h.get_facecolor()) for h in handles] == [colour[c] for c in runs]
    assert len(ax.lines) == 3  # separators between the four categories


def test_signals_hand_made_exact() -> None:
    feat = pd.DataFrame(
        {
            "canteen_spending": [150.0, 400.0, 300.0, 100.0, np.nan],
            "cheap_meal_share": [0.5, 0.1, 0.2, np.nan, np.nan],
            "rural": [1.0, 0.0, 0.0, 1.0, np.nan],
        },
        index=pd.Index([1, 2, 3, 4, 5], name="student_id"),
    )
    spec = CompositeSpec(
        "demo",
        [
            CompositeIndicator("canteen_spending", "consumption", "1/2", "-"),
            CompositeIndicator("cheap_meal_share", "consumption", "1/2", "+"),
            CompositeIndicator("rural", "background", 1, "+"),
        ],
        [Dimension("consumption", "3/4"), Dimension("background", "1/4")],
        normalisation="rank",
        missing="reweight",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # student 5 has no score (MissingDataWarning)
        res = signal_score(feat, spec)
    assert np.isnan(res.scores.loc[5])
    ax = signals(res, top=1)  # the highest score: student 4 (consumption rank 1, rural)
    top_bars, all_bars = _bars(ax)
    # consumption first (spec order); student 4: spending 3/4*1, cheap share 0
    assert [p.get_width() for p in top_bars] == pytest.approx([0.75, 0.0, 0.25 * 5 / 6],
                                                              abs=1e-15)  # fmt: skip
    # all four scored students (student 5 left out): rural ranks 5/6, 1/6, 1/6, 5/6, mean
    # 1/2, weight 1/4
    c = res.contributions.loc[[1, 2, 3, 4]].mean()
    np.testing.assert_allclose(
        [p.get_width() for p in all_bars],
        [c["canteen_spending"], c["cheap_meal_share"], c["rural"]],
        rtol=0,
        atol=1e-12,
    )
    assert all_bars[2].get_width() == pytest.approx(0.25 * 0.5, abs=1e-15)
    assert ax.get_title(loc="left") == text(
        "plot.screening_scores.signals_title", "en", n=1, share=0.25, total=4
    )


@pytest.mark.parametrize("top", [0, -3, 801, 0.0, 1.0, 1.5, -0.2, True, "10%", float("nan")])
def test_signals_bad_top(sig, top) -> None:
    with pytest.raises(ValidationError, match=r"signals\(top=.*number of students from 1 to 800"):
        signals(sig, top=top)


def test_top_count() -> None:
    assert top_count(None, 800) == 80 and top_count(None, 5) == 1 and top_count(None, 11) == 2
    assert top_count(0.015, 100) == 2 and top_count(np.int64(7), 10) == 7
    assert top_count(0.5, 3) == math.ceil(1.5)


# -- coefficients -----------------------------------------------------------------------------
def test_coefficients_points_and_intervals(model) -> None:
    ax = coefficients(model)
    assert isinstance(ax, Axes) and isinstance(ax.figure, Figure)
    exp = model.coefficients.drop(index="const").sort_values("coef", ascending=False)
    zero, points = ax.lines[:2]
    assert list(zero.get_xdata()) == [0.0, 0.0]
    assert len(points.get_xdata()) == len(exp) == 11
    np.testing.assert_allclose(points.get_xdata(), exp["coef"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(points.get_ydata(), np.arange(11))
    (ci,) = [c for c in ax.collections if isinstance(c, LineCollection)]
    segs = ci.get_segments()
    assert len(segs) == 11
    np.testing.assert_allclose([s[0][0] for s in segs], exp["lower"], rtol=0, atol=1e-12)
    np.testing.assert_allclose([s[1][0] for s in segs], exp["upper"], rtol=0, atol=1e-12)
    assert np.all(np.diff(points.get_xdata()) <= 0)  # sorted, largest on top
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert ticks == [text(f"feature.{n}", "en") for n in exp.index]
    assert ax.get_xlabel() == "log-odds per standard deviation"
    # colour: red above 0, blue below 0, grey across 0
    cols = [to_hex(c) for c in ci.get_colors()]
    for c, lo, hi in zip(cols, exp["lower"], exp["upper"], strict=True):
        assert c == ("#b2182b" if lo > 0 else "#2166ac" if hi < 0 else "#c8c8c8")
    attrs = model.to_dataset().attrs
    assert ax.get_title(loc="left") == text(
        "plot.screening_scores.coefficients_title", "en", n=800, k=int(attrs["n_hardship"])
    )
    lo, hi = ax.get_xlim()
    assert lo < min(exp["lower"].min(), 0) and hi > max(exp["upper"].max(), 0)


def test_coefficients_penalised_fit_has_no_intervals(bundled) -> None:
    model = fit_screening(*bundled, features=["canteen_spending", "rural"], regularisation="l2")
    ax = coefficients(model)
    exp = model.coefficients.drop(index="const").sort_values("coef", ascending=False)
    np.testing.assert_allclose(ax.lines[1].get_xdata(), exp["coef"], rtol=0, atol=1e-12)
    assert len(ax.collections[0].get_segments()) == 0
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[-1] == text("plot.screening_scores.coefficients_no_interval", "en")


# -- both ----------------------------------------------------------------------------------------
def test_given_axes_are_used(sig, model) -> None:
    fig = Figure()
    a, b = fig.subplots(1, 2)
    assert signals(sig, a) is a and coefficients(model, ax=b) is b
    assert len(_bars(a)) == 2 and len(b.lines) == 2


@needs_cjk
def test_chinese_titles_and_a_cjk_font(sig, model) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing glyph warns
        axes = [signals(sig, lang="zh"), coefficients(model, lang="zh")]
        for ax in axes:
            ax.get_figure().savefig(io.BytesIO(), format="png", dpi=40)
    assert axes[0].get_title(loc="left") == (
        "学生为何进入名单：得分最高的 80 名（10.0%）与全部 800 名学生对比"
    )
    assert axes[0].get_xlabel() == "对得分的平均贡献"
    assert axes[1].get_title(loc="left").startswith("筛查 logit 模型：系数及 95% 置信区间")
    assert axes[1].get_xlabel() == "每个标准差的对数几率变化"
    assert [t.get_text() for t in axes[0].get_yticklabels()][-2:] == ["农村户口", "建档立卡家庭"]
    for ax in axes:
        assert all(CJK.search(t.get_text()) for t in ax.get_legend().get_texts())
        texts = [t for t in ax.figure.findobj(Text) if t.get_visible() and t.get_text().strip()]
        for t in texts:
            path = os.path.realpath(str(font_manager.findfont(t.get_fontproperties())))
            assert path in CJK_FILES, (t.get_text(), t.get_fontfamily())


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda s, m: signals(m), r"signals\(\) draws a SignalScore.*got ScreeningModel"),
        (lambda s, m: coefficients(s), r"coefficients\(\) draws a ScreeningModel.*SignalScore"),
        (lambda s, m: signals(s, lang="fr"), r"lang='fr'"),
        (lambda s, m: coefficients(m, lang="de"), r"lang='de'"),
    ],
)
def test_bad_calls(sig, model, call, match) -> None:
    with pytest.raises(ValidationError, match=match):
        call(sig, model)


def test_results_plot_their_natural_chart(sig, model) -> None:
    """``SignalScore.plot()`` is :func:`signals`, ``ScreeningModel.plot()`` is
    :func:`coefficients` (registered in mpi/plot/_registry.py)."""
    import mpi.plot  # noqa: F401  (registers the charts)

    a, b = sig.plot(top=50), signals(sig, top=50)
    assert a.get_title(loc="left") == b.get_title(loc="left")
    assert [p.get_width() for p in _bars(a)[0]] == [p.get_width() for p in _bars(b)[0]]
    a, b = model.plot(lang="zh"), coefficients(model, lang="zh")
    assert a.get_title(loc="left") == b.get_title(loc="left")
    assert list(a.lines[1].get_xdata()) == list(b.lines[1].get_xdata())
