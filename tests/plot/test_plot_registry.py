"""``result.plot()``: every public result class has a natural chart (registered by mpi.plot).

Each result is built small from bundled or random data; its chart must come back as an
Axes with something drawn and a title or an axis label, on a new figure or on a given Axes.
"""

from __future__ import annotations

import inspect
import warnings

import matplotlib
import matplotlib.pyplot
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from cross_section_cases import merge_report
from cross_section_cases import survey as random_survey
from matplotlib.axes import Axes
from matplotlib.figure import Figure

import mpi

matplotlib.use("Agg")

SPEC = mpi.Spec.from_dimensions({"a": ["d1", "d2"], "b": ["d3", "d4"]}, k="1/4")
DESIGN = mpi.Design("w", strata="stratum", psu="psu")


@pytest.fixture(scope="module")
def panel() -> xr.Dataset:
    return mpi.datasets.generate("registry_panel", n=300, seed=1, format="xarray")


@pytest.fixture(scope="module")
def results(panel) -> dict[str, object]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mpi.MissingDataWarning)
        spec = mpi.presets.china_2b3g()
        states = mpi.panel_states(panel, spec, weight="weight")
        by_county = mpi.panel_states(panel, spec, weight="weight", by="county")
        rules = mpi.MonitoringRules(line="monitoring_line", income="income_per_capita", start=2020)
        survey = random_survey()
        rounds = random_survey(rounds=(2010, 2014.5, 2019), n=300)
        return {
            "measure_groups": mpi.measure(survey, SPEC, weight="w", by="region"),
            "measure_plain": mpi.measure(survey, SPEC, weight="w"),
            "measure_one_k_dim": mpi.measure(survey, SPEC, weight="w", k=["1/4"]),
            "measure_ks": mpi.measure(survey, SPEC, weight="w", by="region", k=[0.25, 0.5, 0.75]),
            "measure_panel": mpi.measure(panel, spec, weight="weight", by="county"),
            "change": mpi.measure(rounds, SPEC, by="round", design=DESIGN).change("round"),
            "robustness": mpi.robustness(survey, SPEC, over="region", design=DESIGN, k=[0.5]),
            "association": mpi.association(survey, SPEC, weight="w"),
            "wald": mpi.measure(survey, SPEC, by="region", design=DESIGN).wald_test(
                "M0", over="region"
            ),
            "transitions": mpi.transitions(states, balance="pairs"),
            "spells": mpi.spells(states),
            "chronic": mpi.chronic(states, tau="1/2", balance="observed"),
            "duration_adjusted": mpi.duration_adjusted(
                panel, "income_per_capita", line="poverty_line", tau="1/2", weight="weight",
                balance="observed",
            ),
            "decomposition": mpi.decompose_change(states, start=2016, end=2022, balance="pairs"),
            "relapse": mpi.relapse(states),
            "risk": mpi.relapse_risk(states, fit_until=2020),
            "risk_no_evaluation": mpi.relapse_risk(states),
            "monitoring": mpi.monitoring(panel, rules, weight="weight"),
            "states": by_county,
            "merge": merge_report(),
            "identify": mpi.identify(survey, SPEC, weight="w", k=[0.25, 0.5]),
            "identify_panel": mpi.identify(panel, spec, weight="weight"),
            "curve": mpi.targeting_curve(survey.assign(s=survey["d1"] + survey["d3"] / 2), "s",
                                         "d2", weight="w", share=0.3),
            "targeting": mpi.targeting(survey.assign(listed=survey["d1"]), "listed", "d2",
                                       by="region", design=DESIGN),
            "targeting_change": mpi.targeting(
                rounds.assign(listed=rounds["d1"]), "listed", "d2", by="round", design=DESIGN
            ).change("round"),
            "audit": _audit(),
            **_composites(),
            **_jobs(panel),
        }


def _composites() -> dict[str, object]:
    """An LSI on 120 counties, its uncertainty (20 draws) and the counties below 55."""
    lsi = mpi.datasets.load("county_lsi").iloc[:120]
    res = mpi.composite(lsi, mpi.presets.undp_china_lsi_2016(), by="province", id="county_id")
    unc = res.uncertainty(draws=20, normalisation=["goalposts", "rank"], bootstrap=10)
    areas = mpi.poor_areas(lsi, index=res, cutoff=55, id="county_id")
    return {"composite": res, "composite_uncertainty": unc, "poor_areas": areas}


def _jobs(panel) -> dict[str, object]:
    """A matching of a generated labour market of 300 workers and its what-if on the
    registry panel's 2022 households."""
    market = mpi.datasets.generate("labour_market", n=300, seed=5)
    res = mpi.jobs.match(market["workers"], market["posts"])
    households = panel.sel(time=2022).to_dataframe().reset_index()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mpi.MissingDataWarning)
        effect = mpi.jobs.what_if(res, households, mpi.presets.china_2b3g(), weight="weight")
    return {"match": res, "jobs_what_if": effect}


def _audit() -> mpi.AuditResult:
    """Two payments to a dead man (a lead of paid_after_death); nothing else found."""
    ids = [f + mpi.auditing.check_character(f) for f in ("42010219500101123", "42010219620505234")]
    pay = pd.DataFrame({
        "id_number": ids * 2, "name": ["张三", "李四"] * 2, "programme": "dibao",
        "amount": 300.0, "paid_on": ["2021-01-15"] * 2 + ["2021-04-15"] * 2,
        "village": ["东村", "西村"] * 2,
    })  # fmt: skip
    death = pd.DataFrame({"id_number": [ids[0]], "name": ["张三"], "died_on": ["2021-03-02"]})
    return mpi.audit(pay, {"death": death}, ["paid_after_death", "duplicate_in_period"])


KEYS = [
    "measure_groups", "measure_plain", "measure_one_k_dim", "measure_ks", "measure_panel",
    "change", "robustness", "association", "wald", "transitions", "spells", "chronic",
    "duration_adjusted", "decomposition", "relapse", "risk", "risk_no_evaluation", "monitoring",
    "states", "merge", "identify", "identify_panel", "targeting", "curve",
    "targeting_change", "audit", "composite", "composite_uncertainty", "poor_areas",
    "match", "jobs_what_if",
]  # fmt: skip


def _drawn(ax: Axes) -> int:
    return len(ax.lines) + len(ax.patches) + len(ax.collections) + len(ax.images)


def _labelled(ax: Axes) -> bool:
    titles = [ax.get_title(loc) for loc in ("left", "center", "right")]
    return any([*titles, ax.get_xlabel(), ax.get_ylabel()])


@pytest.mark.parametrize("key", KEYS)
def test_plot_draws_the_natural_chart(results, key):
    result = results[key]
    ax = result.plot()
    assert isinstance(ax, Axes)
    assert _drawn(ax) > 0
    assert _labelled(ax)
    fig = Figure()
    given = fig.add_subplot()
    assert result.plot(ax=given) is given
    assert _drawn(given) > 0


def test_plot_charts_match_the_plot_functions(results):
    """The registered chart is the documented plot function (same drawing)."""
    pairs = [
        ("transitions", mpi.plot.transition_matrix),
        ("composite", mpi.plot.composite),
        ("composite_uncertainty", mpi.plot.rank_shifts),
        ("poor_areas", mpi.plot.poor_areas),
        ("spells", mpi.plot.survival),
        ("chronic", mpi.plot.chronic_durations),
        ("decomposition", mpi.plot.decomposition),
        ("relapse", mpi.plot.relapse),
        ("change", mpi.plot.changes),
        ("measure_groups", mpi.plot.contributions),
        ("measure_ks", mpi.plot.k_curve),
        ("association", mpi.plot.association),
        ("monitoring", mpi.plot.monitoring),
        ("merge", mpi.plot.conflicts),
        ("audit", mpi.plot.audit),
        ("match", mpi.plot.match_chart),
        ("jobs_what_if", mpi.plot.whatif_chart),
    ]
    for key, func in pairs:
        a, b = results[key].plot(), func(results[key])
        assert a.get_title(loc="left") == b.get_title(loc="left"), key
        assert _drawn(a) == _drawn(b), key
    panel = results["measure_panel"]  # a panel result with one by variable: lines per group
    a, b = panel.plot(), mpi.plot.trend(panel, group="county")
    assert len(a.lines) == len(b.lines) == 1 + panel.to_dataset().sizes["county"]


def test_plot_kwargs_reach_the_chart(results):
    ax = results["transitions"].plot(title="贫困转移矩阵", labels={"poor": "贫困"})
    assert ax.get_title(loc="left") == "贫困转移矩阵"
    assert "贫困" in [t.get_text() for t in ax.get_yticklabels()]
    ax = results["states"].plot(group="county")
    assert len(ax.lines) == 1 + len(results["states"].group_coords()["county"])


def test_every_public_result_class_has_a_chart(results):
    """Every public result class of mpi is covered above."""
    public = {
        obj
        for name, obj in vars(mpi).items()
        if inspect.isclass(obj)
        and (
            name.endswith("Result")
            or name in ("PanelStates", "MergeReport", "WaldTest", "JobsWhatIf")
        )
    }
    covered = {type(results[k]) for k in KEYS}
    assert public <= covered, sorted(c.__name__ for c in public - covered)


def test_states_trend_equals_the_cross_section_measure(results, panel):
    """trend() of PanelStates draws, per wave, the measure of the units observed at that
    wave: what mpi.measure gives on the wave's cross-section."""
    states = results["states"]
    spec = mpi.presets.china_2b3g()
    waves = [0, 3]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mpi.MissingDataWarning)
        cross = [mpi.measure(panel.isel(time=t), spec, weight="weight") for t in waves]
    for measure in ("H", "M0", "A", "severe"):
        drawn = mpi.plot.trend(states, measure).lines[-1].get_ydata()[waves]
        want = [float(res.overall.to_dataset()[measure]) for res in cross]
        np.testing.assert_allclose(drawn, want, rtol=1e-12)
    with pytest.raises(mpi.ValidationError, match="PanelStates"):
        mpi.plot.trend(states, "M1")


def test_risk_calibration_needs_an_evaluation(results):
    ax = mpi.plot.risk(results["risk"])
    ds = results["risk"].to_dataset()
    model = ds["calibration_predicted"].sel(model="model").values
    np.testing.assert_allclose(ax.lines[0].get_xdata(), model[np.isfinite(model)])
    with pytest.raises(mpi.ValidationError, match="held-out"):
        mpi.plot.risk(results["risk_no_evaluation"], kind="calibration")
    assert mpi.plot.risk(results["risk"], kind="bands").get_legend() is not None


def test_monitoring_bars_are_the_shares(results):
    mon = results["monitoring"]
    share = mon.to_dataset()["share"].sel(time=[2020, 2021, 2022])
    ax = mpi.plot.monitoring(mon)
    heights = [p.get_height() for p in ax.containers[0]]
    np.testing.assert_allclose(heights, share.sel(category_name="unstable_exited").values)
    zh = mpi.plot.monitoring(mon, labels="zh")
    assert "边缘易致贫户" in [t.get_text() for t in zh.get_legend().get_texts()]


def test_association_heatmap_holds_cramers_v(results):
    assoc = results["association"]
    v = assoc.to_dataset()["cramers_v"].values
    ax = mpi.plot.association(assoc, triangle=False)
    img = np.ma.filled(ax.images[0].get_array().astype(float), np.nan)
    off = ~np.eye(len(v), dtype=bool)
    np.testing.assert_array_equal(img[off], v[off])
    ax = mpi.plot.association(assoc)  # lower triangle: rows 2..d, columns 1..d-1
    img = np.ma.filled(ax.images[0].get_array().astype(float), np.nan)
    d = len(v) - 1
    assert img.shape == (d, d)
    low = np.tril_indices(d)
    np.testing.assert_array_equal(img[low], v[1:, :-1][low])


def test_conflicts_bars_are_the_report_counts(results):
    report = results["merge"]
    ax = mpi.plot.conflicts(report)
    table = report.variables.sort_values("conflicts", kind="stable")
    assert [p.get_width() for p in ax.containers[-1]] == table["conflicts"].tolist()
    assert report.n_conflicts > 0


def test_wrong_result_types_are_refused(results):
    for func in (mpi.plot.association, mpi.plot.risk, mpi.plot.monitoring, mpi.plot.conflicts,
                 mpi.plot.duration_adjusted, mpi.plot.robustness, mpi.plot.contrasts):
        with pytest.raises(mpi.ValidationError, match="draws a"):
            func(results["spells"])


def test_merge_report_without_shared_variables_charts_coverage(registry_tables):
    """The bundled registries share no variable: the report's chart is then the units each
    source holds per wave (a conflicts chart would be empty)."""
    t = registry_tables
    keep = set(t["households"]["hh_id"].iloc[:200])
    sources = {
        name: t[name][t[name]["hh_id"].isin(keep)]
        for name in ("households", "poverty_office", "health", "water")
    }
    _, report = mpi.merge_sources(sources, unit="hh_id", duplicates=("last", "record_id"))
    assert len(report.variables) == 0
    ax = report.plot()
    try:
        table = report.coverage
        assert len(ax.lines) == len(table) > 0
        for line, (_, row) in zip(ax.lines, table.iterrows(), strict=True):
            np.testing.assert_array_equal(line.get_ydata(), row.to_numpy(dtype=float))
        assert ax.get_ylabel() and ax.get_title(loc="left")
    finally:
        matplotlib.pyplot.close(ax.figure)


def test_identification_and_targeting_charts(results):
    """The score distribution sums to 1 with a line per cutoff; the targeting chart draws
    each group's inclusion and exclusion errors with their design-based intervals."""
    ax = results["identify"].plot()
    heights = [p.get_height() for p in ax.containers[0]]
    assert abs(sum(heights) - 1) < 1e-12 and len(ax.lines) == 2
    res = results["targeting"]
    ax = res.plot()
    ds = res.to_dataset()
    from matplotlib.container import BarContainer

    bars = [c for c in ax.containers if isinstance(c, BarContainer)]
    inclusion = [p.get_width() for p in bars[0]]
    exclusion = [p.get_width() for p in bars[1]]
    assert np.allclose(inclusion, ds["inclusion_error"].values, rtol=0, atol=1e-15)
    assert np.allclose(exclusion, ds["exclusion_error"].values, rtol=0, atol=1e-15)
    assert bars[0].errorbar is not None  # a design: intervals drawn
    with pytest.raises(mpi.ValidationError, match="by='nope'"):
        mpi.plot.targeting(res, by="nope")


def test_roc_chart_draws_the_curve_and_the_operating_point(results):
    res = results["curve"]
    ds = res.to_dataset()
    ax = res.plot()
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), ds["fpr"].values)
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), ds["tpr"].values)
    x, y = ax.lines[-1].get_xdata()[0], ax.lines[-1].get_ydata()[0]
    assert abs(y - (1 - float(ds["exclusion_error"]))) < 1e-15
    nonpoor = float(ds["listed_nonpoor"] + ds["unlisted_nonpoor"])
    assert abs(x - float(ds["listed_nonpoor"]) / nonpoor) < 1e-15
    ax = mpi.plot.roc(res, curve="pr", lang="zh")
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), ds["precision"].values)
    with pytest.raises(mpi.ValidationError, match="curve must be"):
        mpi.plot.roc(res, curve="auc")


def test_roc_chart_draws_one_curve_per_group_with_its_operating_point():
    rng = np.random.default_rng(3)
    n = 600
    poor = rng.random(n) < 0.35
    import pandas as pd

    df = pd.DataFrame({"s": rng.normal(size=n) + 1.2 * poor, "poor": poor.astype(int),
                       "w": rng.uniform(0.5, 2, n), "region": rng.choice(["a", "b", "c"], n)})
    res = mpi.targeting_curve(df, "s", "poor", weight="w", by="region", top=150)
    ds = res.to_dataset()
    ax = res.plot()
    regions = ["a", "b", "c"]
    for i, region in enumerate(regions):  # the curves first, in the result's order
        g = ds.sel(region=region)
        np.testing.assert_array_equal(ax.lines[i].get_xdata(), g["fpr"].values)
        np.testing.assert_array_equal(ax.lines[i].get_ydata(), g["tpr"].values)
        assert ax.lines[i].get_label() == f"{region} (AUC = {float(g['auc']):.3f})"
    points = ax.lines[-3:]  # then each group's point on the national list, same colours
    for i, (line, region) in enumerate(zip(points, regions, strict=True)):
        g = ds.sel(region=region)
        nonpoor = float(g["listed_nonpoor"] + g["unlisted_nonpoor"])
        assert abs(line.get_xdata()[0] - float(g["listed_nonpoor"]) / nonpoor) < 1e-15
        assert abs(line.get_ydata()[0] - (1 - float(g["exclusion_error"]))) < 1e-15
        assert line.get_color() == ax.lines[i].get_color()
    assert ax.get_title(loc="left") == "ROC curves of the score by region"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "Each group on the national list (top=150)" in legend
    ax = mpi.plot.roc(res, curve="pr", lang="zh", by="region")
    assert ax.get_title(loc="left") == "按 region 分组的得分精确率-召回率曲线"
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), ds["precision"].sel(region="a").values)
    assert ax.lines[0].get_label().startswith("a（AP = ")
    with pytest.raises(mpi.ValidationError, match="not a grouping variable"):
        mpi.plot.roc(res, by="county")
