"""MeasureResult: dataset layout, metadata, groups, tables, missing-data accounting, plots."""

import copy
import warnings
from fractions import Fraction

import matplotlib
import numpy as np
import pandas as pd
import pytest
import xarray as xr

import mpi
from mpi import Indicator, Spec
from mpi._common.result import Summary

NO_CJK_FONT = (
    "no CJK font on this machine: the Chinese-label font check needs one (e.g. apt-get install fonts-noto-cjk); issue 16 makes CI provide it"
)

matplotlib.use("Agg")


def quiet_measure(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mpi.MissingDataWarning)
        return mpi.measure(*args, **kwargs)


def test_dataset_layout_and_attrs(mpi_survey, global_mpi):
    res = quiet_measure(mpi_survey, global_mpi, weight="weight", by="region")
    ds = res.to_dataset()
    for v in ["H", "A", "M0", "M1", "M2", "vulnerable", "severe", "intensity_variance",
              "n_obs", "n_dropped", "population_share", "group_contribution"]:
        assert ds[v].dims == ("region",), v
        assert ds[v].attrs["long_name"]
    for v in ["uncensored_headcount", "censored_headcount", "contribution"]:
        assert ds[v].dims == ("region", "indicator")
    assert ds["dimension_contribution"].dims == ("region", "dimension")
    assert list(ds.indicator.values) == global_mpi.names
    assert list(ds.dimension.values) == global_mpi.dimensions
    assert list(ds.region.values) == list(mpi_survey["region"].cat.categories)
    assert float(ds.k) == pytest.approx(1 / 3)
    assert ds.attrs["k"] == "1/3" and ds.attrs["spec"] == "global_mpi_2018"
    assert "Alkire, S. and Foster, J. (2011)" in ds.attrs["references"]
    assert "mpi.measure(" in ds.attrs["history"] and mpi.__version__ in ds.attrs["history"]
    assert "nutrition=1/6" in ds.attrs["weights"]
    np.testing.assert_allclose(ds.indicator_weight.sum(), 1.0)
    # to_dataset returns a copy: changing it does not change the result
    ds["M0"][:] = -1
    assert float(res.to_dataset().M0.min()) >= 0


def test_overall_equals_ungrouped_and_decomposes(mpi_survey, global_mpi):
    grouped = quiet_measure(mpi_survey, global_mpi, weight="weight", by="region")
    plain = quiet_measure(mpi_survey, global_mpi, weight="weight")
    a, b = grouped.overall.to_dataset(), plain.to_dataset()
    for v in ["H", "A", "M0", "M1", "M2", "vulnerable", "severe", "intensity_variance",
              "censored_headcount", "uncensored_headcount", "contribution"]:
        np.testing.assert_allclose(a[v], b[v], rtol=1e-13, atol=1e-15)
    assert int(a.n_obs) == int(b.n_obs) and int(a.n_dropped) == int(b.n_dropped)
    ds = grouped.to_dataset()
    np.testing.assert_allclose(float((ds.population_share * ds.M0).sum()), float(b.M0), rtol=1e-13)
    np.testing.assert_allclose(float(ds.group_contribution.sum()), 1.0, rtol=1e-13)
    assert int(ds.n_obs.sum()) == int(b.n_obs)
    assert int(ds.n_dropped.sum()) == int(b.n_dropped)


def test_cross_classification_and_marginals(mpi_survey, global_mpi):
    res = quiet_measure(mpi_survey, global_mpi, weight="weight", by=["region", "area"], k=[0.2, "1/3"])
    ds = res.to_dataset()
    assert ds["M0"].dims == ("region", "area", "k")
    by_area = quiet_measure(mpi_survey, global_mpi, weight="weight", by="area", k=[0.2, "1/3"])
    np.testing.assert_allclose(
        res.marginal("area").to_dataset().M0, by_area.to_dataset().M0, rtol=1e-13
    )
    np.testing.assert_allclose(res.overall.to_dataset().H, by_area.overall.to_dataset().H)
    with pytest.raises(KeyError, match="not a grouping variable"):
        res.marginal("urban")


def test_k_order_is_the_users(mpi_survey, global_mpi):
    ks = [0.5, 0.2, "1/3", 1.0]
    res = quiet_measure(mpi_survey, global_mpi, weight="weight", k=ks)
    ds = res.to_dataset()
    np.testing.assert_allclose(ds.k.values, [0.5, 0.2, 1 / 3, 1.0])
    for k in ks:
        one = quiet_measure(mpi_survey, global_mpi, weight="weight", k=k).to_dataset()
        sel = ds.sel(k=float(eval(k)) if isinstance(k, str) else k)
        for v in ["H", "M0", "M1", "M2", "vulnerable", "A"]:
            np.testing.assert_allclose(sel[v], one[v], rtol=1e-13)
        np.testing.assert_allclose(sel.contribution, one.contribution, rtol=1e-13)
    assert (np.diff(ds.sortby("k").M0.values) <= 0).all()


def test_input_not_mutated(mpi_survey, global_mpi):
    df = mpi_survey.copy(deep=True)
    before = copy.deepcopy(df)
    quiet_measure(df, global_mpi, weight="weight", by=["region", "urban"], k=[0.2, 0.5],
                  missing="reweight")
    pd.testing.assert_frame_equal(df, before)
    ds = mpi.datasets.load("mpi_survey", format="xarray")
    ds_before = ds.copy(deep=True)
    quiet_measure(ds, global_mpi, weight="weight", by="region")
    xr.testing.assert_identical(ds, ds_before)


def test_dataset_and_dataframe_agree(mpi_survey, global_mpi):
    ds = mpi.datasets.load("mpi_survey", format="xarray")
    a = quiet_measure(ds, global_mpi, weight="weight", by="region").to_dataset()
    b = quiet_measure(mpi_survey, global_mpi, weight="weight", by="region").to_dataset()
    a = a.sel(region=b.region.values)  # string labels from xarray come sorted
    for v in ["H", "M0", "M2", "contribution", "n_dropped"]:
        np.testing.assert_allclose(a[v], b[v], rtol=1e-13)


@pytest.mark.filterwarnings("ignore::mpi.CategoryWarning")  # 2-4 rows: most categories absent
def test_dropped_units_are_counted_and_warned(global_mpi):
    df = pd.DataFrame(
        {v: [0.0, 1.0, np.nan, 0.0] for v in ["undernourished"]}
        | {"child_deaths_5y": [0, 1, 1, np.nan], "max_schooling": [8, 2, 3, 4],
           "children_out_of_school": [0, 0, 1, 0], "cooking_fuel": ["lpg", "wood", "wood", "lpg"],
           "sanitation": ["pit_slab"] * 4, "drinking_water": ["piped"] * 4,
           "electricity": [1, 0, 0, 1], "inadequate_materials": [0, 1, 1, 0],
           "assets": [5, 1, 1, 3], "weight": [1.0, 1.0, 1.0, np.nan]}
    )
    with pytest.warns(mpi.MissingDataWarning, match=r"2 of 4 units dropped .*undernourished: 1, child_deaths_5y: 1"):
        res = mpi.measure(df, global_mpi, weight="weight")
    ds = res.to_dataset()
    assert int(ds.n_obs) == 2 and int(ds.n_dropped) == 2
    assert ds.n_missing.sel(indicator="nutrition").item() == 1
    assert "Units dropped (missing) 2" in res.summary()


@pytest.mark.filterwarnings("ignore::mpi.CategoryWarning")  # 2-4 rows: most categories absent
def test_reweight_hand_example(global_mpi):
    """Nutrition missing: child mortality carries the health weight 1/3 alone (OPHI rule)."""
    base = {"undernourished": np.nan, "child_deaths_5y": 1, "max_schooling": 8,
            "children_out_of_school": 0, "cooking_fuel": "lpg", "sanitation": "pit_slab",
            "drinking_water": "piped", "electricity": 1, "inadequate_materials": 0, "assets": 5}
    df = pd.DataFrame([base, base | {"undernourished": 0.0}])
    res = mpi.measure(df, global_mpi, missing="reweight")
    ds = res.to_dataset()
    assert int(ds.n_obs) == 2 and int(ds.n_dropped) == 0
    assert float(ds.H) == 0.5  # first unit: 1/3 >= k exactly; second: 1/6 < k
    assert float(ds.M0) == pytest.approx(1 / 6, rel=1e-15)
    assert float(ds.contribution.sel(indicator="child_mortality")) == pytest.approx(1.0)
    # among units observing nutrition (only the second), nobody is deprived in it
    assert float(ds.uncensored_headcount.sel(indicator="nutrition")) == 0.0
    assert float(ds.uncensored_headcount.sel(indicator="child_mortality")) == 1.0
    # both health indicators missing: the unit is dropped and counted
    both = pd.DataFrame([base | {"child_deaths_5y": np.nan}])
    with pytest.warns(mpi.MissingDataWarning):
        r2 = mpi.measure(both, global_mpi, missing="reweight")
    assert int(r2.to_dataset().n_dropped) == 1


def test_missing_group_units_count_in_overall_only():
    global_mpi = Spec([Indicator("a", weight=0.5), Indicator("b", weight=0.5)], k=0.5)
    df = pd.DataFrame({"a": [1, 0, 1, 1], "b": [0, 0, 1, 0], "g": ["x", "y", None, "x"]})
    with pytest.warns(mpi.MissingDataWarning, match="1 of 4 units have a missing value"):
        res = mpi.measure(df, global_mpi, by="g")
    ds = res.to_dataset()
    assert list(ds.g.values) == ["x", "y"]
    assert int(ds.n_missing_group) == 1
    assert float(res.overall.H) == 0.75
    # shares among the three units with a known group
    np.testing.assert_allclose(ds.population_share.values, [2 / 3, 1 / 3])
    # scores 1/2, 0, 1, 1/2: overall M0 = 1/2 (the unit with no group counts there),
    # so group x contributes (2/3 * 1/2) / (1/2)
    np.testing.assert_allclose(ds.group_contribution.values, [2 / 3, 0.0])


def test_integer_groups_use_present_values_and_categoricals_keep_categories():
    global_mpi = Spec([Indicator("a", weight=1)], k=1)
    df = pd.DataFrame({"a": [1, 0, 1, 0], "g": np.array([7, 3, 7, 9], dtype=np.int64)})
    ds = mpi.measure(df, global_mpi, by="g").to_dataset()
    assert ds.g.values.tolist() == [3, 7, 9]
    np.testing.assert_allclose(ds.H.values, [0, 1, 0])
    cat = df.assign(g=pd.Categorical(["b", "a", "b", "a"], categories=["a", "b", "c"]))
    ds = mpi.measure(cat, global_mpi, by="g").to_dataset()
    assert ds.g.values.tolist() == ["a", "b", "c"]
    assert np.isnan(float(ds.H.sel(g="c"))) and int(ds.n_obs.sel(g="c")) == 0


def test_to_frame_is_tidy(mpi_survey, global_mpi):
    res = quiet_measure(mpi_survey, global_mpi, weight="weight", by="region", k=[0.2, "1/3"])
    frame = res.to_frame()
    # issue 15: the value column is "estimate", as in every result's to_frame (ResultBase)
    assert list(frame.columns) == [
        "measure", "indicator", "dimension", "region", "k", "estimate"
    ]  # fmt: skip
    m0 = frame.query("measure == 'M0' and region == 'North'").set_index("k")["estimate"]
    assert m0.loc[1 / 3] == pytest.approx(float(res.to_dataset().M0.sel(region="North", k=1 / 3)))
    contrib = frame.query("measure == 'contribution'")
    assert contrib["indicator"].notna().all()
    assert set(frame.measure) >= {"H", "A", "M0", "dimension_contribution", "population_share"}


def test_summary_repr_html(mpi_survey, global_mpi):
    res = quiet_measure(mpi_survey, global_mpi, weight="weight", by="region")
    text = res.summary()
    assert "global_mpi_2018" in text and "Overall" in text and "North" in text
    assert "years_schooling" in text
    assert repr(res).startswith("<mpi.MeasureResult spec='global_mpi_2018', by=['region']")
    assert "M0=" in repr(res)
    html = res._repr_html_()
    assert "<table" in html and "North" in html
    assert float(res["M0"].sel(region="North")) == float(res.M0.sel(region="North"))


def test_the_result_interface(mpi_survey, global_mpi):
    """ResultBase parts (issue 15): Summary with HTML, by_group(), public read-only state."""
    res = quiet_measure(mpi_survey, global_mpi, weight="weight", by="region")
    s = res.summary()
    assert isinstance(s, Summary) and isinstance(s, str)
    assert s.text == str(res) and res._repr_html_() == s.html and s.html.startswith("<div")
    assert res.by_group().identical(res.to_dataset())
    assert not res.has_inference and res.inference is None
    assert res.cell_dims == res.group_dims == ["region"] and res.above_severe is None
    assert float(res.missing_group_statistics["SUMW"]) == 0  # no unit lacks a region
    frame = res.to_frame(["H"])
    assert set(frame.measure) == {"H"} and len(frame) == res.to_dataset().sizes["region"]
    with pytest.raises(mpi.ValidationError, match="by_group"):
        quiet_measure(mpi_survey, global_mpi, weight="weight").by_group()
    with pytest.raises(mpi.ValidationError, match="design"):
        res.se  # noqa: B018

def test_statistics_are_additive_sums(mpi_survey, global_mpi):
    res = quiet_measure(mpi_survey, global_mpi, weight="weight", by="region")
    stats = res.statistics
    assert {"SUMW", "POOR", "CP", "CDEP"} <= set(stats.data_vars)
    whole = quiet_measure(mpi_survey, global_mpi, weight="weight").statistics
    np.testing.assert_allclose(stats.SUMW.sum("region") + 0, whole.SUMW, rtol=1e-13)


def test_plots_return_axes(mpi_survey, global_mpi):
    res = quiet_measure(mpi_survey, global_mpi, weight="weight", by="region")
    ax = mpi.plot.contributions(res)
    assert isinstance(ax, matplotlib.axes.Axes)
    assert len(ax.get_yticklabels()) == mpi_survey["region"].nunique() + 1
    ax2 = mpi.plot.contributions(res, level="dimension", relative=True)
    widths = sum(p.get_width() for p in ax2.patches) / (mpi_survey["region"].nunique() + 1)
    assert widths == pytest.approx(100.0)
    res_k = quiet_measure(mpi_survey, global_mpi, weight="weight", k=[0.2, "1/3", 0.5])
    ax3 = mpi.plot.k_curve(res_k)
    assert len(ax3.get_lines()) >= 3
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2)
    assert mpi.plot.k_curve(res_k, ax=axes[0]) is axes[0]
    plt.close(fig)
    with pytest.raises(mpi.ValidationError, match="several k"):
        mpi.plot.k_curve(res)
    with pytest.raises(mpi.ValidationError, match="level must be"):
        mpi.plot.contributions(res, level="group")
    # every k form of mpi.measure selects the same cutoff, exactly
    at_third = quiet_measure(mpi_survey, global_mpi, weight="weight", k="1/3").to_dataset()
    want = [float(at_third["contribution"].sel(indicator=j) * at_third["M0"])
            for j in global_mpi.names]  # fmt: skip
    for k in (Fraction(1, 3), "1/3", 1 / 3):
        ax4 = mpi.plot.contributions(res_k, k=k)
        np.testing.assert_allclose([c[0].get_width() for c in ax4.containers], want, rtol=1e-12)
    with pytest.raises(mpi.ValidationError, match="it has k = 1/5, 1/3, 1/2"):
        mpi.plot.contributions(res_k, k="1/4")


def test_plot_chinese_labels():
    global_mpi = mpi.presets.china_2b3g()
    rng = np.random.default_rng(1)
    n = 200
    df = pd.DataFrame(
        {
            "income_per_capita": rng.lognormal(8.5, 0.6, n),
            "food_insecure": rng.integers(0, 2, n) * (rng.random(n) < 0.1),
            "clothing_insecure": (rng.random(n) < 0.05).astype(int),
            "dropout_children": rng.poisson(0.05, n),
            "medical_insured": (rng.random(n) < 0.95).astype(int),
            "housing_grade": rng.choice(list("ABCD"), n, p=[0.5, 0.35, 0.1, 0.05]),
            "safe_water": (rng.random(n) < 0.9).astype(int),
            "county": rng.choice(["甲县", "乙县"], n),
        }
    )
    res = mpi.measure(df, global_mpi, by="county")
    ax = mpi.plot.contributions(res, title="贫困贡献")
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "收入 Income" in labels
    zh = mpi.plot.contributions(res, lang="zh")
    assert zh.get_title(loc="left").startswith("按 county 分组的各指标对多维贫困指数 (M0) 的贡献")
    assert [t.get_text() for t in zh.get_yticklabels()][-1] == "总体"
    if mpi.plot.cjk_font() is None:  # the labels were checked above
        pytest.skip(NO_CJK_FONT)
    for chart in (ax, zh):
        assert mpi.plot.cjk_font() in chart.title.get_fontfamily()
        assert mpi.plot.cjk_font() in chart.get_legend().get_texts()[0].get_fontfamily()
        assert mpi.plot.cjk_font() in chart.get_yticklabels()[0].get_fontfamily()
