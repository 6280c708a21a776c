"""Result summaries in English and Chinese (issue 16, point 2): the ``result.*`` words of the
label catalogue, the table helpers of :mod:`mpi._common.result`, and the exact lines of the
summaries that depend on the call (designs, groups, status variables, merges, tests).

Every public result class is checked in both languages by tests/test_result_interface.py;
here are the cases that its one result per class does not reach.
"""

from __future__ import annotations

import re
import string
import warnings

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import mpi
from mpi._common.labels import LANGUAGES, catalogue, text
from mpi._common.result import (
    ResultBase,
    build_summary,
    cell_label,
    column_label,
    display_width,
    label_table,
)
from mpi.dynamics.monitoring.categories import category_labels
from mpi.errors import ValidationError

CJK = re.compile(r"[\u3400-\u9fff]")
RESULT_KEYS = sorted(k for k in catalogue() if k.startswith("result."))


def _fields(template: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(template) if f is not None}


# -- the catalogue's result.* words ---------------------------------------------------------
def test_result_keys_exist_in_both_languages_with_the_same_fields() -> None:
    assert len(RESULT_KEYS) > 150
    for key in RESULT_KEYS:
        texts = catalogue()[key]
        assert set(texts) == set(LANGUAGES)
        assert texts["zh"] != texts["en"], f"{key} is not translated"
        assert _fields(texts["zh"]) == _fields(texts["en"]), key


@pytest.mark.parametrize("part", ["title", "header", "table", "note", "column", "cell"])
def test_reader_facing_texts_are_chinese(part: str) -> None:
    keys = [k for k in RESULT_KEYS if k.startswith(f"result.{part}.")]
    assert keys
    for key in keys:
        assert CJK.search(text(key, "zh")), f"{key}: {text(key, 'zh')!r}"


def test_column_and_cell_keys_are_named_by_their_english_text() -> None:
    # English tables keep their column names and values: the English text is the name itself
    for key in RESULT_KEYS:
        if key.startswith(("result.column.", "result.cell.")):
            assert text(key, "en") == key.split(".", 2)[2]


# -- helpers ------------------------------------------------------------------------------
def test_column_label() -> None:
    assert column_label("group", "en") == "group"
    assert column_label("group", "zh") == "分组"
    assert column_label("M0", "en") == "M0"
    assert column_label("M0", "zh") == text("measure_short.M0", "zh") == "多维贫困指数 M0"
    assert column_label("vulnerable", "en") == "vulnerable"  # English keeps variable names
    assert column_label("n_obs", "zh") == text("measure.n_obs", "zh")  # no short form
    assert column_label("entry_rate", "zh") == "entry_rate"  # not named: stays
    assert column_label(2015, "zh") == 2015
    assert column_label(None, "zh") is None


def test_cell_label() -> None:
    assert cell_label("poor", "zh") == "贫困"
    assert cell_label("poor", "en") == "poor"
    assert cell_label("unobserved", "zh") == "未观测"
    assert cell_label("annualized_relative", "zh") == "年均相对变化 (%)"
    assert cell_label("North", "zh") == "North"
    assert cell_label(True, "zh") is True


def test_label_table_renames_headers_of_a_copy() -> None:
    index = pd.MultiIndex.from_tuples([("Overall", "poor"), ("North", "nonpoor")])
    frame = pd.DataFrame(
        [[0.1, 5], [0.2, 7]], index=index.set_names(["group", "state"]), columns=["H", "n_obs"]
    )
    before = frame.copy()
    zh = label_table(frame, "zh")
    assert list(zh.columns) == ["贫困发生率 H", "样本数 (未加权)"]
    assert list(zh.index.names) == ["分组", "贫困状态"]
    assert list(zh.index) == list(frame.index)  # values untouched without cells=
    cells = label_table(frame, "zh", cells=True)
    assert list(cells.index) == [("Overall", "贫困"), ("North", "非贫困")]
    np.testing.assert_array_equal(cells.to_numpy(), frame.to_numpy())
    pd.testing.assert_frame_equal(frame, before)  # input not changed
    en = label_table(frame, "en", cells=True)
    pd.testing.assert_frame_equal(en, frame)


def test_label_table_keeps_non_string_columns_and_multiindex_columns() -> None:
    years = pd.DataFrame([[1, 2]], columns=pd.Index([2015, 2016], name="time"), index=["a"])
    out = label_table(years, "zh")
    assert out.columns.dtype == years.columns.dtype and list(out.columns) == [2015, 2016]
    assert out.columns.name == "年份"
    wide = pd.DataFrame(
        [[0.5, 0.6]],
        columns=pd.MultiIndex.from_tuples(
            [("population_share", 0.0), ("K_by_group", 0.0)], names=[None, "alpha"]
        ),
    )
    assert list(label_table(wide, "zh").columns) == [("人口比重", 0.0), ("K_by_group", 0.0)]
    pd.testing.assert_frame_equal(label_table(wide, "en"), wide)


def test_display_width_and_aligned_chinese_summary() -> None:
    assert display_width("Units used") == 10
    assert display_width("使用样本数") == 10
    assert display_width("k（规则）") == 9
    s = build_summary(
        "测算结果",
        [("使用样本数", "1,076"), ("分组变量缺失的样本数（按变量）", "7"), ("k", "1/3")],
        [],
    )
    lines = s.text.splitlines()
    assert lines[1] == "=" * 8
    # values start in the same terminal column whatever the labels' scripts
    starts = {display_width(line[: line.rindex(" ") + 1]) for line in lines[2:]}
    assert starts == {31}  # the widest label (30 columns) and one space


# -- the default hooks (a result without hooks of its own) --------------------------------
class _Tiny(ResultBase):
    title = "Tiny result"

    def _data(self) -> xr.Dataset:
        return xr.Dataset(
            {"M0": ((), 0.25), "share": (("group",), [0.5, 0.5])},
            coords={"group": ["a", "b"]},
        )


def test_default_hooks_in_both_languages() -> None:
    res = _Tiny()
    en, zh = res.summary(), res.summary(lang="zh")
    assert [t for t, _ in en.tables] == ["Estimates", "share"]
    assert [t for t, _ in zh.tables] == ["估计值", "比例"]
    assert list(en.tables[0][1].columns) == ["estimate"]
    assert list(zh.tables[0][1].columns) == ["估计值"]
    assert list(zh.tables[1][1].columns) == ["比例"] and zh.tables[1][1].index.name == "分组"
    assert en.title == zh.title == "Tiny result"  # a class the catalogue does not name


@pytest.mark.parametrize("lang", ["fr", "ZH", None, ""])
def test_unknown_language(lang: object) -> None:
    with pytest.raises(ValidationError, match=f"lang={lang!r}.*use one of"):
        _Tiny().summary(lang=lang)  # type: ignore[arg-type]


# -- measurement -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def survey() -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mpi.MissingDataWarning)
        return mpi.datasets.load("mpi_survey").iloc[:1200]


def _measure(data: pd.DataFrame, **kwargs: object) -> mpi.MeasureResult:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mpi.MissingDataWarning)
        return mpi.measure(data, mpi.presets.global_mpi_2018(), **kwargs)


def test_measure_header_in_chinese(survey: pd.DataFrame) -> None:
    res = _measure(survey)
    assert res.summary().header == [
        ("Spec", "global_mpi_2018 (10 indicators, 3 dimensions)"),
        ("Poverty cutoff k", "1/3"),
        ("Sampling weight", "none"),
        ("Groups", "none"),
        ("Units used", "1,076"),
        ("Units dropped (missing)", "124 (rule: drop)"),
    ]
    assert res.summary(lang="zh").header == [
        ("指标体系", "global_mpi_2018（10 个指标，3 个维度）"),
        ("贫困临界值 k", "1/3"),
        ("抽样权数", "无"),
        ("分组变量", "无"),
        ("使用样本数", "1,076"),
        ("剔除样本数（缺失）", "124（处理规则：drop）"),
    ]
    zh = res.summary(lang="zh")
    assert [t for t, _ in zh.tables] == ["主要指标", "分指标结果（全体人口）"]
    assert list(zh.tables[0][1].index) == ["总体"]
    head = zh.tables[0][1]
    assert float(head.loc["总体", "多维贫困指数 M0"]) == float(res.overall.M0)


@pytest.mark.parametrize(
    ("kind", "en", "zh"),
    [
        (
            "taylor",
            [
                ("Survey design", "10 strata, 48 PSUs"),
                ("Variance", "Taylor linearisation from PSU totals, df = 38"),
            ],
            [
                ("抽样设计", "10 层，48 个初级抽样单元 (PSU)"),
                ("方差估计", "基于 PSU 总量的泰勒线性化，自由度 = 38"),
            ],
        ),
        (
            "bootstrap",
            [
                ("Survey design", "10 strata, 48 PSUs"),
                ("Variance", "Rao-Wu bootstrap, 5 replicates (seed 7), df = 38"),
            ],
            [
                ("抽样设计", "10 层，48 个初级抽样单元 (PSU)"),
                ("方差估计", "Rao-Wu 自助法，5 次重复抽样（随机种子 7），自由度 = 38"),
            ],
        ),
        (
            "replicate",
            [
                ("Survey design", "replicate weights"),
                ("Variance", "JK1 replicate weights (3), df = 2"),
            ],
            [("抽样设计", "重复权数"), ("方差估计", "JK1 重复权数（3 组），自由度 = 2")],
        ),
    ],
)
def test_design_lines(survey: pd.DataFrame, kind: str, en: list, zh: list) -> None:
    design = mpi.Design(weight="weight", strata="stratum", psu="psu")
    data = survey
    if kind == "bootstrap":
        design = mpi.BootstrapDesign(design, replicates=5, seed=7)
    elif kind == "replicate":
        rng = np.random.default_rng(1)
        data = survey.assign(
            **{f"rw{i}": survey["weight"] * rng.uniform(0.5, 1.5, len(survey)) for i in range(3)}
        )
        design = mpi.ReplicateDesign("weight", ["rw0", "rw1", "rw2"], type="JK1")
    res = _measure(data, design=design)
    assert res.summary().header[-2:] == en
    assert res.summary(lang="zh").header[-2:] == zh
    assert res.summary(lang="zh").tables[1][0] == "标准误（基于抽样设计）"


def test_sparse_groups_note(survey: pd.DataFrame) -> None:
    res = _measure(survey, weight="weight", by=["hh_id", "stratum", "psu"])
    assert res.sparse
    assert res.summary().notes == [
        "… first 50 of 1,200 groups shown; all are in to_dataset() and to_frame()"
    ]
    assert res.summary(lang="zh").notes == [
        "… 仅显示 1,200 个分组中的前 50 个；全部结果见 to_dataset() 和 to_frame()"
    ]


def test_change_kinds_in_chinese(survey: pd.DataFrame) -> None:
    design = mpi.Design(weight="weight", strata="stratum", psu="psu")
    res = _measure(survey, by="area", design=design)
    ch = res.change("area", years={"urban": 2010, "rural": 2015})
    zh = ch.summary(lang="zh")
    assert zh.header == [
        ("调查轮次（area）", "urban（2010 年）, rural（2015 年）"),
        ("设计自由度", str(ch.df)),
    ]
    table = zh.tables[0][1]
    assert list(table.index.names) == ["指标", "变化类型", "时期"]
    assert list(table.index.get_level_values("变化类型").unique()) == [
        "绝对变化", "相对变化 (%)", "年均绝对变化", "年均相对变化 (%)",
    ]  # fmt: skip
    assert list(table.columns) == ["估计值", "标准误", "置信下限", "置信上限"]
    en = ch.summary().tables[0][1]
    np.testing.assert_array_equal(table.to_numpy(), en.to_numpy())


def test_wald_test_hypothesis(survey: pd.DataFrame) -> None:
    design = mpi.Design(weight="weight", strata="stratum", psu="psu")
    test = _measure(survey, by="area", design=design).wald_test("M0", "area")
    assert test.hypothesis == "equal across area = urban, rural"
    assert test.summary().header[0] == ("Null hypothesis", "equal across area = urban, rural")
    assert test.summary(lang="zh").header[0] == ("原假设", "area 各取值（urban, rural）相等")
    words_only = mpi.WaldTest(
        "H0 in words", 1.0, 1.0, 10.0, 0.3, 1.0, "F", test.contrasts
    )  # the hypothesis is shown as given when the compared dimension is unknown
    assert words_only.summary(lang="zh").header[0] == ("原假设", "H0 in words")


# -- panel dynamics --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def panel() -> xr.Dataset:
    p = mpi.datasets.load("registry_panel", format="xarray").isel(unit=slice(0, 400))
    return p.assign(status=p["income_per_capita"] < p["poverty_line"])


def test_panel_states_columns(panel: xr.Dataset) -> None:
    states = mpi.panel_states(panel, mpi.presets.china_2b3g(), weight="weight")
    zh = states.summary(lang="zh")
    table = zh.tables[0][1]
    assert list(table.columns) == ["未观测", "非贫困", "脆弱", "贫困", "深度贫困"]
    assert table.columns.name == "贫困状态" and table.index.name == "年份"
    assert zh.header[0] == ("指标体系", "china_2b3g（k=1/7）")
    assert ("分组变量", "无") in zh.header


def test_status_variable_instead_of_a_spec(panel: xr.Dataset) -> None:
    res = mpi.relapse(panel, status="status", weight="weight")
    assert res.summary().header[0] == ("Spec", "none (status=status) (k=n/a)")
    assert res.summary(lang="zh").header[0] == (
        "指标体系",
        "无（贫困状态取自变量 status）（k=不适用）",
    )
    risk = mpi.relapse_risk(panel, status="status", weight="weight", fit_until=2020)
    assert risk.summary().header[0] == ("Spec", "none (status) (k=none)")
    assert risk.summary(lang="zh").header[0] == ("指标体系", "无（贫困状态取自状态变量）（k=无）")


def test_decomposition_without_groups(panel: xr.Dataset) -> None:
    states = mpi.panel_states(panel, mpi.presets.china_2b3g(), weight="weight")
    res = mpi.decompose_change(states, start=2016, end=2022, balance="pairs")
    titles = [t for t, _ in res.summary(lang="zh").tables]
    assert titles == [
        "M0 的变化 = 新增贫困 − 脱贫 + 持续贫困",
        "贫困发生率：delta_H = H_entry − H_exit",
        "贫困强度",
        "动态分组",
        "分指标（删减剥夺率）",
    ]
    assert [t for t, _ in res.summary().tables][-2:] == [
        "Dynamic groups",
        "Indicators (censored headcount ratios)",
    ]


def test_monitoring_categories(panel: xr.Dataset) -> None:
    rules = mpi.MonitoringRules(
        line="monitoring_line", income="income_per_capita", start=2020,
        exited="poverty_status", exited_values=("exited",),
    )  # fmt: skip
    res = mpi.monitoring(panel, rules, spec=mpi.presets.china_2b3g(), weight="weight")
    zh = res.summary(lang="zh")
    assert [t for t, _ in zh.tables] == [
        "各轮各监测类别的比例（加权）",
        "各轮各监测类别的户数（未加权）",
    ]
    for (_, en_table), (_, zh_table) in zip(res.summary().tables, zh.tables, strict=True):
        assert list(zh_table.columns) == list(category_labels("zh"))
        assert zh_table.columns.name == "监测类别"
        np.testing.assert_array_equal(zh_table.to_numpy(), en_table.to_numpy())


def test_merge_report_title_and_notes() -> None:
    tables = mpi.datasets.load("registry_panel")
    hh = tables["households"]
    keep = set(hh["hh_id"].iloc[:40])
    sources = {
        "households": hh[hh["hh_id"].isin(keep)],
        "health": tables["health"][tables["health"]["hh_id"].isin(keep)],
    }
    _, report = mpi.merge_sources(sources, unit="hh_id")
    en, zh = report.summary(), report.summary(lang="zh")
    n_times = report.n_times
    assert en.title == f"MergeReport: 2 sources -> 40 units x {n_times} waves"
    assert zh.title == f"多源数据合并报告：2 个来源 → 40 个单位 × {n_times} 轮"
    assert en.notes[1:] == [
        f"duplicated keys: {report.n_duplicated_keys}",
        f"conflicts: {report.n_conflicts}",
        "units by number of sources: 1 source(s): 0, 2 source(s): 40",
    ]
    assert zh.notes[1:] == [
        f"重复键：{report.n_duplicated_keys}",
        f"冲突：{report.n_conflicts}",
        "按来源数分的单位数：1 个来源：0, 2 个来源：40",
    ]
    assert zh.header[0] == ("数据来源", "households, health")
