"""One interface for every public result (issue 15): each public result class derives from
:class:`mpi._common.result.ResultBase`, and one result of each, built from the bundled data,
answers every method with its documented type."""

from __future__ import annotations

import inspect
import re
import warnings
from collections.abc import Callable

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import xarray as xr  # noqa: E402

import mpi  # noqa: E402
from mpi._common.labels import catalogue, has_text, text  # noqa: E402
from mpi._common.result import ResultBase, Summary  # noqa: E402
from mpi.composites.spec import CompositeIndicator as CI  # noqa: E402
from mpi.composites.spec import CompositeSpec, Dimension  # noqa: E402
from mpi.errors import ValidationError  # noqa: E402

#: Public classes that are not results (specs, designs, rules, values, report options and
#: files, errors).
NOT_RESULTS = {
    "Indicator", "Spec", "Design", "ReplicateDesign", "BootstrapDesign", "Estimate",
    "MonitoringRules", "Suppression", "ReportFiles", "CompositeSpec",
    "ReviewLists",  # a pair of ranked tables (inclusion, exclusion), not an estimate
}  # fmt: skip


def _public_result_classes() -> list[type]:
    out = []
    for name in mpi.__all__:
        obj = getattr(mpi, name, None)
        if not inspect.isclass(obj) or name in NOT_RESULTS or issubclass(obj, Warning | Exception):
            continue
        out.append(obj)
    return out


@pytest.fixture(scope="module")
def survey() -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mpi.MissingDataWarning)
        return mpi.datasets.load("mpi_survey").iloc[:3000]


@pytest.fixture(scope="module")
def panel() -> xr.Dataset:
    p = mpi.datasets.load("registry_panel", format="xarray")
    return p.isel(unit=slice(0, 1500))


@pytest.fixture(scope="module")
def results(survey: pd.DataFrame, panel: xr.Dataset) -> dict[str, Callable[[], object]]:
    spec = mpi.presets.global_mpi_2018()
    china = mpi.presets.china_2b3g()
    design = mpi.Design(weight="weight", strata="stratum", psu="psu")
    tables = mpi.datasets.load("registry_panel")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mpi.MissingDataWarning)
        res = mpi.measure(survey, spec, by="region", design=design)
        states = mpi.panel_states(panel, china, weight="weight", by="labour_capacity")
        rules = mpi.MonitoringRules(
            line="monitoring_line", income="income_per_capita", start=2020,
            exited="poverty_status", exited_values=("exited",),
        )  # fmt: skip
        hh = tables["households"]
        keep = set(hh["hh_id"].iloc[:300])
        departments = ["poverty_office", "health", "education", "housing", "water"]
        sources = {
            "households": hh[hh["hh_id"].isin(keep)],
            **{d: tables[d][tables[d]["hh_id"].isin(keep)] for d in departments},
        }
        # a second registry reporting income: the merge compares the two sources
        office = sources["poverty_office"]
        sources["civil_affairs"] = office[["hh_id", "year", "income_per_capita"]].assign(
            income_per_capita=office["income_per_capita"].to_numpy()
            * np.where(np.arange(len(office)) % 7 == 0, 1.5, 1.0)
        )
        first17 = ("42010219500101123", "42010219620505234")
        ids = [f + mpi.auditing.check_character(f) for f in first17]
        pay = pd.DataFrame({
            "id_number": ids * 2, "name": ["张三", "李四"] * 2, "programme": "dibao",
            "amount": 300.0, "paid_on": ["2021-01-15"] * 2 + ["2021-04-15"] * 2,
            "village": ["东村", "西村"] * 2,
        })  # fmt: skip
        death = pd.DataFrame({"id_number": [ids[0]], "name": ["张三"], "died_on": ["2021-03-02"]})
        lsi_table = mpi.datasets.load("county_lsi")
        logs = {"living_services": (1.0, 500.0), "road_density": (0.01, 5.0),
                "night_light": (0.01, 50.0), "financial_services": (0.5, 50.0)}
        lsi_spec = CompositeSpec(
            "lsi_interface",
            [CI(n, "amenities", "1/3", goalposts=(0, 1))
             for n in ("sanitary_toilet", "indoor_kitchen", "piped_water")]
            + [CI(n, "big_data", "1/5", transform="log" if n in logs else None,
                  goalposts=logs.get(n, (0, 1)))
               for n in ("mobile_internet", "living_services", "road_density", "night_light",
                         "financial_services")],
            [Dimension("amenities", "3/8"), Dimension("big_data", "5/8")],
            mean="geometric", floor=0.01, scale=100, title="County living standards (test)",
        )  # fmt: skip
        lsi_res = mpi.composite(
            lsi_table, lsi_spec, weight="population", by="province", id="county_id"
        )
        card = mpi.datasets.load("campus_card")
        spend, meals = mpi.datasets.monthly_canteen_spending(card)
        cst = card["students"].set_index("student_id")
        ctruth = card["truth"].set_index("student_id")["hardship"]
        card_features = mpi.screening.features(card["transactions"], card["students"])
        out = {
            "ScreeningFeatures": card_features,
            "SignalScore": mpi.screening.signal_score(card_features),
            "ScreeningModel": mpi.screening.fit_screening(card_features, ctruth),
            "ScreeningEvaluation": mpi.screening.evaluate_screening(
                {"naive": spend.mean(axis=1) < 200, "spending": -spend.mean(axis=1)}, ctruth,
                groups=cst[["sex", "grade"]], subsidy=150, bootstrap=50,
            ),
            "SuggestedList": mpi.screening.suggested_list(
                -spend.mean(axis=1), n=90, groups=cst[["college"]],
                reasons=pd.DataFrame({"low_spending": (400 - spend.mean(axis=1)) / 100,
                                      "few_meals": (60 - meals.mean(axis=1)) / 10}),
            ),  # fmt: skip
            "MeasureResult": res,
            "CompositeResult": lsi_res,
            "PoorAreasResult": mpi.poor_areas(
                lsi_table.assign(official=(lsi_table["lsi"] < 45).astype(int)),
                index=lsi_res, cutoff=50, weight="population", by="province", id="county_id",
                official="official",
            ),  # fmt: skip
            "CompositeUncertaintyResult": mpi.composite(
                lsi_table.iloc[:200], lsi_spec, id="county_id"
            ).uncertainty(
                draws=20, normalisation=["goalposts", "minmax"], weights=0.2, bootstrap=20
            ),
            "ChangeResult": mpi.measure(survey, spec, by="area", design=design).change(
                "area", years={"urban": 2010, "rural": 2015}
            ),
            "RobustnessResult": mpi.robustness(
                survey, spec, over="region", design=design, k=[0.25, 0.5]
            ),
            "AssociationResult": mpi.association(survey, spec, weight="weight"),
            "PanelStates": states,
            "TransitionResult": mpi.transitions(states, balance="pairs"),
            "SpellResult": mpi.spells(states),
            "ChronicResult": mpi.chronic(states, tau="1/2", balance="observed"),
            "DurationAdjustedResult": mpi.duration_adjusted(
                panel, "income_per_capita", line="poverty_line", tau="1/2",
                weight="weight", balance="observed",
            ),  # fmt: skip
            "DecompositionResult": mpi.decompose_change(
                states, start=2016, end=2022, balance="pairs"
            ),
            "RelapseResult": mpi.relapse(states, bootstrap=20, seed=1),
            "RiskResult": mpi.relapse_risk(states, fit_until=2020),
            "MonitoringResult": mpi.monitoring(panel, rules, spec=china, weight="weight"),
            "MergeReport": mpi.merge_sources(
                sources, unit="hh_id", duplicates=("last", "record_id"),
                rules={"income_per_capita": "first"},
            )[1],
            "WaldTest": res.wald_test("M0", "region"),
            "IdentificationResult": mpi.identify(survey, spec, weight="weight"),
            "TargetingCurveResult": mpi.targeting_curve(
                tables["truth"], "p_listed", "latent_poor", top=500
            ),
            "TargetingResult": mpi.targeting(
                tables["truth"].merge(tables["households"][["hh_id", "county"]], on="hh_id"),
                "listed", "latent_poor", by="county",
            ),  # fmt: skip
            "TargetingChangeResult": mpi.targeting(
                tables["truth"].merge(tables["households"][["hh_id", "village"]], on="hh_id"),
                "listed", "latent_poor", by="year", design=mpi.Design(None, psu="village"),
            ).change("year"),  # fmt: skip
            "AuditResult": mpi.audit(pay, {"death": death}, ["paid_after_death"]),
        }
        market = mpi.datasets.generate("labour_market", n=400, seed=3)
        matched = mpi.jobs.match(market["workers"], market["posts"])
        households = panel.sel(time=2022).to_dataframe().reset_index()
        out["MatchResult"] = matched
        out["JobsWhatIf"] = mpi.jobs.what_if(matched, households, china, weight="weight")
    return out


def test_every_public_result_class_is_covered(results: dict) -> None:
    names = {c.__name__ for c in _public_result_classes()}
    assert names == set(results), "add the new result class to this test"


@pytest.mark.parametrize("cls", _public_result_classes(), ids=lambda c: c.__name__)
def test_derives_from_the_one_base(cls: type) -> None:
    assert issubclass(cls, ResultBase)


def _names(results: dict) -> list[str]:
    return sorted(results)


@pytest.mark.parametrize(
    "name",
    [c.__name__ for c in _public_result_classes()],
)
def test_interface(name: str, results: dict) -> None:
    res = results[name]
    assert isinstance(res, ResultBase)
    ds = res.to_dataset()
    assert isinstance(ds, xr.Dataset) and len(ds.data_vars) > 0
    name0 = next(iter(ds.data_vars))
    ds[name0].values[...] = ~ds[name0].values if ds[name0].dtype == bool else 0
    ds.attrs["changed"] = 1
    assert "changed" not in res.to_dataset().attrs  # a copy: the result does not change

    frame = res.to_frame()
    assert isinstance(frame, pd.DataFrame) and len(frame) > 0
    # documented exceptions: monitoring's tidy unit is the household-wave, association's the
    # indicator pair (several measures per pair, as columns), identification's the unit (one
    # row per unit with its score and status, to merge back into the data), an audit's the
    # lead (one row per person x programme x rule), a matching's the worker (the row the
    # office pushes: status, post, wage)
    per_unit = (
        "IdentificationResult", "CompositeResult", "CompositeUncertaintyResult", "PoorAreasResult",
        "SuggestedList", "ScreeningFeatures", "SignalScore", "MatchResult",
    )  # fmt: skip  # to_frame: one row per unit
    if name not in ("MonitoringResult", "AssociationResult", "AuditResult", *per_unit):
        assert {"measure", "estimate"} <= set(frame.columns)

    s = res.summary()
    assert isinstance(s, Summary) and isinstance(s, str)
    assert len(s.text.splitlines()) > 2 and s.html.startswith("<div")
    assert res._repr_html_() == s.html
    # a readable one-line repr, never the default "<... object at 0x...>"
    assert name in repr(res) and " at 0x" not in repr(res)
    assert str(res) == s.text

    assert isinstance(res.has_inference, bool)
    if res.has_inference:
        se = res.se
        assert isinstance(se, xr.Dataset) and len(se.data_vars) > 0
        ci = res.ci(0.9)
        assert isinstance(ci, xr.Dataset) and list(ci["bound"].values) == ["lower", "upper"]
        assert {"se", "lower", "upper"} <= set(frame.columns)
    else:
        with pytest.raises(ValidationError):
            res.se  # noqa: B018
        with pytest.raises(ValidationError):
            res.ci(0.95)

    assert callable(res.by_group)
    try:
        grouped = res.by_group()
    except ValidationError as err:
        assert "by_group" in str(err)
    else:
        assert isinstance(grouped, xr.Dataset)

    fig, ax = plt.subplots()
    try:
        out = res.plot(ax=ax)
        assert out is ax
        drawn = len(ax.lines) + len(ax.patches) + len(ax.collections) + len(ax.images)
        assert drawn > 0, f"{name}.plot() drew nothing"
    finally:
        plt.close(fig)


def test_with_inference_where_expected(results: dict) -> None:
    assert results["MeasureResult"].has_inference
    assert results["ChangeResult"].has_inference
    assert results["RelapseResult"].has_inference  # bootstrap replicates


def test_ci_level_is_checked(results: dict) -> None:
    with pytest.raises(ValidationError, match="level"):
        results["RelapseResult"].ci(1.5)


def test_frame_estimates_match_the_dataset(results: dict) -> None:
    res = results["TransitionResult"]
    frame = res.to_frame()
    ds = res.to_dataset()
    name = frame["measure"].iloc[0]
    want = np.asarray(ds[name].values, dtype=float).ravel()
    got = frame.loc[frame["measure"] == name, "estimate"].to_numpy(dtype=float)
    np.testing.assert_array_equal(np.sort(got), np.sort(want))


# -- summaries in English and Chinese (issue 16, point 2) ----------------------------------
CJK = re.compile(r"[\u3400-\u9fff]")
#: Proper names and method names that a Chinese text keeps (as Chinese statistical texts do).
KEPT_NAMES = {"alkire", "foster", "wald", "logit", "cramér", "rao", "markov"}


def _is_word(token: str) -> bool:
    """An English word (not a symbol such as M0, H_entry, PSU, chi2, k)."""
    return (
        len(token) > 2
        and token.isalpha()
        and not CJK.search(token)
        and not token.isupper()
        and token.lower() not in KEPT_NAMES
    )


def _words(value: str) -> set[str]:
    return {t.lower() for t in re.findall(r"\w+", value) if _is_word(t)}


@pytest.fixture(scope="module")
def catalogue_words() -> set[str]:
    """English words of the catalogue's summary texts (titles, labels, table titles, notes,
    the shared common.* words)."""
    out: set[str] = set()
    for key, texts in catalogue().items():
        if key.startswith(("result.title.", "result.header.", "result.table.", "result.note.")):
            out |= _words(texts["en"])
        elif key.startswith("common."):
            out |= _words(texts["en"])
    return out


def _variable_names(res: ResultBase) -> set[str]:
    ds = res.to_dataset()
    names = {*map(str, ds.variables), *map(str, ds.dims)}
    return {n.lower() for n in names}


def _headers(frame: pd.DataFrame) -> list[object]:
    """Column labels, then the names of the column and index levels, in order."""
    cols = [v for c in frame.columns for v in (c if isinstance(c, tuple) else (c,))]
    return [*cols, *frame.columns.names, *frame.index.names]


def _catalogued_header(header: object) -> str | None:
    """The Chinese header the catalogue gives a column or level name (None: not named)."""
    if not isinstance(header, str):
        return None
    for key in (f"result.column.{header}", f"measure_short.{header}", f"measure.{header}"):
        if has_text(key):
            return text(key, "zh")
    return None


@pytest.mark.parametrize("name", [c.__name__ for c in _public_result_classes()])
def test_summary_in_chinese(name: str, results: dict, catalogue_words: set[str]) -> None:
    res = results[name]
    en, zh = res.summary(), res.summary(lang="zh")
    allowed = _variable_names(res)

    # the title and every header label are Chinese, with no English word of the catalogue
    assert CJK.search(zh.title) and zh.title != en.title
    assert len(zh.header) == len(en.header) > 0
    for label, _ in zh.header:
        assert CJK.search(label), f"{name}: header label {label!r} is not Chinese"
    texts = [zh.title, *(k for k, _ in zh.header), *(t for t, _ in zh.tables), *zh.notes]
    for value in texts:
        left = (_words(value) & catalogue_words) - allowed
        assert not left, f"{name}: English words {left} left in {value!r}"

    # the same tables with the same numbers; catalogued headers translated
    assert len(zh.tables) == len(en.tables) and len(zh.notes) == len(en.notes)
    for (t_en, f_en), (t_zh, f_zh) in zip(en.tables, zh.tables, strict=True):
        assert CJK.search(t_zh) or t_zh.lower() in allowed, f"{name}: table {t_zh!r}"
        assert f_zh.shape == f_en.shape
        assert pd.DataFrame(f_zh.to_numpy()).equals(pd.DataFrame(f_en.to_numpy())), t_en
        for h_en, h_zh in zip(_headers(f_en), _headers(f_zh), strict=True):
            want = _catalogued_header(h_en)
            if want is not None:
                assert h_zh == want, f"{name}: header {h_en!r} shown as {h_zh!r}, not {want!r}"
    assert zh.text != en.text and CJK.search(zh.html)


@pytest.mark.parametrize("name", [c.__name__ for c in _public_result_classes()])
def test_summary_in_english_is_the_default(name: str, results: dict) -> None:
    res = results[name]
    en, default = res.summary(lang="en"), res.summary()
    assert en.text == default.text and en.html == default.html
    assert (en.title, en.header, en.notes) == (default.title, default.header, default.notes)
    assert str(res) == default.text and res._repr_html_() == default.html
    # every word of the English title comes from the class's own title (not translated)
    assert en.title.startswith(str(res.title))
    with pytest.raises(ValidationError, match="lang='fr'"):
        res.summary(lang="fr")
