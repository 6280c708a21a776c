"""Cross-section charts (mpi.plot.contributions, k_curve, estimates, changes, robustness,
contrasts) and the association, monitoring and source charts: every form of k that
mpi.measure accepts, the language of the words (lang="en"/"zh"), and the point-estimate
ranking of a result without a design. Drawn numbers are compared with mpi.measure run at
the single cutoff (to 1e-12)."""

from __future__ import annotations

import re
from fractions import Fraction

import matplotlib
import numpy as np
import pytest
from cross_section_cases import CHARTS, DESIGN, SPEC, results

import mpi
from mpi._common.labels import measure_label, text

matplotlib.use("Agg")

#: Every form of 1/3 and of 1/5 that mpi.measure accepts.
THIRDS = [Fraction(1, 3), "1/3", 1 / 3, np.float64(1 / 3), " 1/3 "]
FIFTHS = [0.2, "0.2", Fraction(1, 5), "1/5", np.float64(0.2)]
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def cases():
    return results()


@pytest.fixture(scope="module")
def at_k(cases):
    """The same data measured at one cutoff: {Fraction: MeasureResult}."""
    return {
        Fraction(1, 3): mpi.measure(cases["data"], SPEC, by="region", design=DESIGN, k="1/3"),
        Fraction(1, 5): mpi.measure(cases["data"], SPEC, by="region", design=DESIGN, k="1/5"),
    }


def _widths(ax) -> np.ndarray:
    """Bar widths per indicator (rows) and bar (columns)."""
    return np.array([[p.get_width() for p in c] for c in ax.containers])


def _expected_contributions(res: mpi.MeasureResult) -> np.ndarray:
    """Absolute contributions w_j h_j of each region (sorted by M0, ascending) and overall."""
    ds = res.to_dataset()
    order = np.argsort(ds["M0"].values, kind="stable")
    overall = res.overall.to_dataset()
    rows = [ds.isel(region=i) for i in order] + [overall]
    return np.array(
        [[float(r["contribution"].sel(indicator=j) * r["M0"]) for r in rows] for j in SPEC.names]
    )


# -- every k form ----------------------------------------------------------------------------
@pytest.mark.parametrize(("forms", "frac"), [(THIRDS, Fraction(1, 3)), (FIFTHS, Fraction(1, 5))])
def test_contributions_take_every_k_form(cases, at_k, forms, frac):
    want = _expected_contributions(at_k[frac])
    for k in forms:
        ax = mpi.plot.contributions(cases["ks"], k=k)
        np.testing.assert_allclose(_widths(ax), want, rtol=1e-12, atol=1e-15)
        assert ax.get_title(loc="left").endswith(f"(k = {frac})")


@pytest.mark.parametrize(("forms", "frac"), [(THIRDS, Fraction(1, 3)), (FIFTHS, Fraction(1, 5))])
def test_estimates_take_every_k_form(cases, at_k, forms, frac):
    ds = at_k[frac].to_dataset()
    ci = at_k[frac].ci(0.95, "logit")
    order = np.argsort(ds["M0"].values, kind="stable")
    for k in forms:
        ax = mpi.plot.estimates(cases["ks"], k=k)
        points = ax.lines[0]
        np.testing.assert_allclose(points.get_xdata(), ds["M0"].values[order], rtol=1e-12)
        # the whiskers end at the single-k result's interval
        segments = ax.collections[0].get_segments()
        lo = np.array([s[0][0] for s in segments])
        hi = np.array([s[1][0] for s in segments])
        np.testing.assert_allclose(lo, ci["M0"].sel(bound="lower").values[order], rtol=1e-12)
        np.testing.assert_allclose(hi, ci["M0"].sel(bound="upper").values[order], rtol=1e-12)
        overall = float(at_k[frac].overall.to_dataset()["M0"])
        assert ax.lines[-1].get_xdata()[0] == pytest.approx(overall, rel=1e-12)  # the dashed line


def test_changes_take_every_k_form(cases):
    single = mpi.measure(cases["rounds"], SPEC, by="round", design=DESIGN, k="1/3")
    want = single.change("round").to_dataset().sel(change="annualized_absolute")
    expected = [float(want[m].sel(period=p)) for m in ("M0", "H", "A") for p in want["period"]]
    for k in THIRDS:
        ax = mpi.plot.changes(cases["change_ks"], k=k)
        drawn = [p.get_width() for p in ax.patches]
        np.testing.assert_allclose(drawn, expected, rtol=1e-12)
        assert "(k = 1/3)" in ax.get_title(loc="left")


def test_a_k_the_result_does_not_have_names_the_ks_it_has(cases):
    for func, key in [
        (mpi.plot.contributions, "ks"),
        (mpi.plot.estimates, "ks"),
        (mpi.plot.changes, "change_ks"),
    ]:
        with pytest.raises(mpi.ValidationError, match=r"k=0\.25 .*it has k = 1/5, 1/3, 1/2"):
            func(cases[key], k=0.25)
        with pytest.raises(mpi.ValidationError, match="several poverty cutoffs k = 1/5, 1/3"):
            func(cases[key])
        with pytest.raises(mpi.ValidationError, match="k must be a number"):
            func(cases[key], k="a third")
        with pytest.raises(mpi.ValidationError, match="k must be a number"):
            func(cases[key], k=True)


def test_a_single_k_result_checks_k(cases):
    res = cases["design"]  # measured at the spec's k = 1/3, no k dimension
    for k in THIRDS:
        ax = mpi.plot.contributions(res, k=k)
        np.testing.assert_allclose(_widths(ax), _expected_contributions(res), rtol=1e-12)
    with pytest.raises(mpi.ValidationError, match=r"not the poverty cutoff .* it has k = 1/3"):
        mpi.plot.contributions(res, k="1/2")
    with pytest.raises(mpi.ValidationError, match="no k dimension"):
        mpi.plot.changes(cases["change"], k="1/3")


def test_the_natural_chart_of_a_one_k_dim_result(cases):
    res = mpi.measure(cases["data"], SPEC, by="region", weight="w", k=["1/4"])
    ax = res.plot()
    assert ax.get_title(loc="left").endswith("(k = 1/4)")


# -- a ranking without a design -----------------------------------------------------------
def test_estimates_without_a_design_draws_the_points(cases):
    res = cases["plain"]
    assert not res.has_design
    ax = mpi.plot.estimates(res, "H")
    ds = res.to_dataset()
    order = np.argsort(ds["H"].values, kind="stable")
    np.testing.assert_allclose(ax.lines[0].get_xdata(), ds["H"].values[order], rtol=1e-12)
    assert [t.get_text() for t in ax.get_yticklabels()] == list(ds["region"].values[order])
    assert not ax.collections  # no whiskers
    assert ax.get_xlabel() == text("plot.measures.point_axis", "en", measure=measure_label("H"))
    assert "no confidence intervals" in ax.get_xlabel()
    zh = mpi.plot.estimates(res, "H", lang="zh")
    assert zh.get_xlabel() == "贫困发生率 (H)（点估计：未给出抽样设计，无置信区间）"


def test_estimates_ranks_one_margin_of_several_by(cases):
    data = cases["data"].assign(urban=lambda d: np.where(d.index % 3 == 0, "urban", "rural"))
    res = mpi.measure(data, SPEC, by=["region", "urban"], design=DESIGN)
    with pytest.raises(mpi.ValidationError, match="pass by= one of them"):
        mpi.plot.estimates(res)
    ax = mpi.plot.estimates(res, by="urban")
    margin = res.marginal("urban").to_dataset()["M0"]
    np.testing.assert_allclose(np.sort(ax.lines[0].get_xdata()), np.sort(margin.values), 1e-12)
    with pytest.raises(mpi.ValidationError, match="method must be"):
        mpi.plot.estimates(cases["design"], method="exact")


# -- language ------------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "func", "key", "kwargs"), CHARTS, ids=[c[0] for c in CHARTS])
def test_lang_chooses_the_words(cases, name, func, key, kwargs):
    en = func(cases[key], lang="en", **kwargs)
    zh = func(cases[key], lang="zh", **kwargs)
    en_words = [en.get_title(loc="left"), en.get_xlabel(), en.get_ylabel()]
    assert not any(CJK.search(w) for w in en_words), en_words
    assert CJK.search(zh.get_title(loc="left")), zh.get_title(loc="left")
    assert CJK.search(zh.get_xlabel() + zh.get_ylabel()), (zh.get_xlabel(), zh.get_ylabel())
    assert func(cases[key], **kwargs).get_title(loc="left") == en.get_title(loc="left")
    with pytest.raises(mpi.ValidationError, match="lang='fr'"):
        func(cases[key], lang="fr", **kwargs)


def test_zh_words_are_the_catalogue(cases):
    ax = mpi.plot.contributions(cases["design"], lang="zh")
    level = text("plot.measures.level_indicator", "zh")
    assert ax.get_title(loc="left") == (
        text("plot.measures.contributions_title_by", "zh", level=level, by="region")
        + "（k = 1/3）"
    )
    assert ax.get_title(loc="left") == "按 region 分组的各指标对多维贫困指数 (M0) 的贡献（k = 1/3）"
    assert [t.get_text() for t in ax.get_yticklabels()][-1] == "总体"
    assert ax.get_legend().get_title().get_text() == "指标"
    ax = mpi.plot.k_curve(cases["ks"], lang="zh")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "多维贫困指数 (M0)", "贫困发生率 (H)", "贫困强度 (A)"
    ]  # fmt: skip
    assert ax.get_xlabel() == "贫困临界值 k（加权剥夺份额）"
    ax = mpi.plot.monitoring(cases["monitoring"], lang="zh")
    assert "边缘易致贫户" in [t.get_text() for t in ax.get_legend().get_texts()]
    assert ax.get_title(loc="left") == "防止返贫动态监测：各类监测对象占比"
    ax = mpi.plot.monitoring(cases["monitoring"], lang="zh", labels="en")
    assert "Edge" in [t.get_text() for t in ax.get_legend().get_texts()]
    with pytest.raises(mpi.ValidationError, match="labels='fr'"):
        mpi.plot.monitoring(cases["monitoring"], labels="fr")
    ax = mpi.plot.changes(cases["change"], lang="zh", kind="relative")
    assert ax.get_xlabel() == "相对变化 (%)，95% 置信区间"
    assert [t.get_text() for t in ax.get_yticklabels()][0].startswith("多维贫困指数 M0  ")


def test_indicator_names_come_from_the_spec_labels(cases):
    spec = mpi.Spec(
        [
            mpi.Indicator(f"d{j}", dimension=dim, weight="1/4", label=label)
            for j, dim, label in [(1, "a", "营养"), (2, "a", "卫生"), (3, "b", "教育"),
                                  (4, "b", "住房")]
        ],
        k="1/3",
    )  # fmt: skip
    res = mpi.measure(cases["data"], spec, by="region", weight="w")
    ax = mpi.plot.contributions(res, lang="en")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["营养", "卫生", "教育", "住房"]
    ax = mpi.plot.association(mpi.association(cases["data"], spec, weight="w"), lang="zh")
    assert "营养" in [t.get_text() for t in ax.get_yticklabels() + ax.get_xticklabels()]
