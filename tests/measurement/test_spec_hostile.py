"""Hostile specifications (issue 14, points 3, 10 and 12).

* 3: every serialisation round-trips exactly, types included (``"01"`` stays a string);
* 10: the bands are coherent: ``0 < vulnerable <= k <= severe <= 1``;
* 12: malformed documents and paths raise :class:`mpi.SpecError` naming the key and the fix.
"""

from __future__ import annotations

import json
import tempfile
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import fraction_weights

import mpi
from mpi import Indicator, Spec, SpecError

# -- strategies -------------------------------------------------------------------------

#: Strings that a careless reader turns into numbers, booleans, nulls, lists or nothing.
TRICKY = [
    "01", "1e3", "1.0", "-0", "+5", "0x10", "1_000", ".5", "5.", "nan", "NaN", "inf", "-inf",
    "True", "true", "FALSE", "yes", "no", "null", "~", "None", " a ", "a ", " ", "", "小学",
    "营养", ",", ";", '"', "'", 'say "hi"', '"01"', "a|b", "|", "||", "=1", "==", "#", "- a",
    ": x", "[1]", "{a: 1}", "\\", "\\u0041", "_x000D_", "\t", "a\nb", "x\ry", "\u200b",
    "\ufeff", "\u2028", "\x00", "\x85",
]  # fmt: skip
#: Text for names and labels that an Excel file can hold (no C0 controls but tab/newline).
EXCEL_SAFE = st.characters(
    blacklist_categories=("Cs",),
    blacklist_characters="".join(map(chr, [*range(0, 9), 11, 12, *range(13, 32)])) + "\ufffe\uffff",
)


def texts(excel: bool) -> st.SearchStrategy[str]:
    tricky = [t for t in TRICKY if t and (not excel or t.isprintable() or t in "\t\n")]
    free = st.text(EXCEL_SAFE, min_size=1, max_size=6) if excel else st.text(min_size=1, max_size=6)
    return st.one_of(st.sampled_from(tricky), free)


def categories() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.sampled_from(TRICKY),
        st.text(max_size=6),
        st.integers(-(10**15), 10**15),
        st.floats(allow_nan=False, allow_infinity=False),
        st.booleans(),
    )


@st.composite
def indicators(draw: Any, name: str, weight: Fraction, excel: bool) -> Indicator:
    kind = draw(st.sampled_from(["flag", "order", "equal", "in"]))
    cardinal = None
    if kind == "flag":
        cutoff, rule = None, draw(st.sampled_from(["<", "flag"]))
    elif kind == "order":
        rule = draw(st.sampled_from(["<", "<=", ">", ">="]))
        cutoff = draw(
            st.one_of(
                st.integers(-(10**6), 10**6), st.floats(allow_nan=False, allow_infinity=False)
            )
        )
        natural = rule == "<" and cutoff > 0
        cardinal = draw(st.sampled_from([None, False, True] if natural else [None, False]))
    elif kind == "equal":
        rule, cutoff = draw(st.sampled_from(["==", "!="])), draw(categories())
    else:
        rule = "in"
        cutoff = draw(st.lists(categories(), min_size=1, max_size=5, unique_by=lambda c: c))
    optional = st.none() | texts(excel)
    return Indicator(
        name,
        weight=weight,
        dimension=draw(optional),
        variable=draw(optional),
        cutoff=cutoff,
        deprived_if=rule,
        cardinal=cardinal,
        label=draw(optional),
        description=draw(optional),
    )


@st.composite
def specs(draw: Any, excel: bool = False) -> Spec:
    n = draw(st.integers(1, 5))
    weights = draw(fraction_weights(d=n))
    names = draw(st.lists(texts(excel), min_size=n, max_size=n, unique=True))
    inds = [draw(indicators(nm, w, excel)) for nm, w in zip(names, weights, strict=True)]
    den = draw(st.integers(1, 12))
    k = Fraction(draw(st.integers(1, den)), den)
    vul = draw(st.none() | st.integers(1, 60).map(lambda i: k * Fraction(i, 60)))
    sev = draw(st.none() | st.integers(0, 60).map(lambda i: k + (1 - k) * Fraction(i, 60)))
    optional = st.none() | texts(excel)
    return Spec(
        inds,
        k=k,
        vulnerable=vul,
        severe=sev,
        name=draw(optional),
        title=draw(optional),
        source=draw(optional),
    )


def typed(x: Any) -> Any:
    """Plain data with the type of every leaf, so that 1, 1.0, True and "1" differ."""
    if isinstance(x, dict):
        return {key: typed(v) for key, v in x.items()}
    if isinstance(x, list | tuple):
        return [typed(v) for v in x]
    return (type(x).__name__, repr(x))


def assert_same(back: Spec, spec: Spec) -> None:
    assert typed(back.to_dict()) == typed(spec.to_dict())
    assert back == spec and hash(back) == hash(spec)
    for a, b in zip(back, spec, strict=True):
        assert a == b
        assert type(a.cutoff) is type(b.cutoff)
        assert a.weight == b.weight and isinstance(a.weight, Fraction)
    for key in ("k", "vulnerable", "severe"):
        assert getattr(back, key) == getattr(spec, key)


def table_kwargs(spec: Spec) -> dict[str, Any]:
    return dict(
        k=spec.k,
        vulnerable=spec.vulnerable,
        severe=spec.severe,
        name=spec.name,
        title=spec.title,
        source=spec.source,
    )


HYPO = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])

# -- point 3: round trips ---------------------------------------------------------------


@HYPO
@given(specs())
def test_round_trip_text_formats(spec):
    before = typed(spec.to_dict())
    assert_same(Spec.from_dict(spec.to_dict()), spec)
    assert_same(Spec.from_dict(json.loads(json.dumps(spec.to_dict()))), spec)
    assert_same(Spec.from_yaml(spec.to_yaml()), spec)
    assert_same(Spec.from_json(spec.to_json()), spec)
    assert_same(Spec.from_table(spec.to_table(), **table_kwargs(spec)), spec)
    assert typed(spec.to_dict()) == before  # nothing mutated


@settings(HYPO, max_examples=40)
@given(specs())
def test_round_trip_files(spec):
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        spec.to_yaml(d / "spec.YML")
        spec.to_json(d / "spec.Json")
        spec.to_table(d / "spec.CSV")
        assert_same(Spec.from_yaml(str(d / "spec.YML")), spec)
        assert_same(Spec.from_json(str(d / "spec.Json")), spec)
        assert_same(Spec.from_table(str(d / "spec.CSV"), **table_kwargs(spec)), spec)


@settings(HYPO, max_examples=25)
@given(specs(excel=True))
def test_round_trip_excel(spec):
    pytest.importorskip("openpyxl")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "spec.XLSX"
        spec.to_table(path)
        assert_same(Spec.from_table(path, **table_kwargs(spec)), spec)


@pytest.mark.parametrize("fmt", ["table", ".csv", ".xlsx", "yaml", "json"])
def test_numeric_looking_categories_stay_strings(tmp_path, fmt):
    cats = ["01", "1.0", "True", "1e3", " a ", "a|b", "", 1, 2.5, False, "小学", 'x "y"', "nan"]
    spec = Spec(
        [
            Indicator("edu", weight="1/2", cutoff=cats, deprived_if="in"),
            Indicator("grade", weight="1/4", cutoff="007", deprived_if="=="),
            Indicator("flag", weight="1/4", cutoff=False, deprived_if="!="),
        ],
        k="1/2",
    )
    if fmt == "table":
        back = Spec.from_table(spec.to_table(), k="1/2")
    elif fmt.startswith("."):
        pytest.importorskip("openpyxl") if fmt == ".xlsx" else None
        spec.to_table(tmp_path / f"s{fmt}")
        back = Spec.from_table(tmp_path / f"s{fmt}", k="1/2")
    else:
        back = getattr(Spec, f"from_{fmt}")(getattr(spec, f"to_{fmt}")())
    assert list(back["edu"].cutoff) == cats
    assert [type(c) for c in back["edu"].cutoff] == [type(c) for c in cats]
    assert back["grade"].cutoff == "007" and back["flag"].cutoff is False
    assert back == spec


def test_table_cells_are_readable():
    spec = Spec(
        [
            Indicator("water", weight="1/3", cutoff=["piped", "01", 3, True], deprived_if="in"),
            Indicator("school", weight="1/3", cutoff=6),
            Indicator("fuel", weight="1/3", cutoff=2.5, deprived_if=">="),
        ],
        k="1/3",
    )
    assert spec.to_table()["cutoff"].tolist() == ['piped|"01"|3|true', "6", "2.5"]


def test_old_tables_read_as_before():
    old = pd.DataFrame(
        {
            "indicator": ["a", "b", "c", "d"],
            "weight": ["1/4"] * 4,
            "cutoff": ["C|D", " 6 ", "2.5", "x|1|2.0"],
            "rule": ["in", "<", ">", "in"],
        }
    )
    spec = Spec.from_table(old, k="1/4")
    assert spec["a"].cutoff == ("C", "D") and spec["b"].cutoff == 6 and spec["c"].cutoff == 2.5
    assert [type(c) for c in spec["d"].cutoff] == [str, int, float]
    # a DataFrame edited with pandas may hold numbers and NaN instead of text
    edited = old.assign(cutoff=["C|D", 8, 2.5, "x"], label=[np.nan, "L", None, ""])
    spec = Spec.from_table(edited, k="1/4")
    assert spec["b"].cutoff == 8 and spec["a"].label is None and spec["b"].label == "L"


def test_table_text_columns_keep_nan_and_spaces():
    spec = Spec([Indicator("a", weight=1, dimension="nan", label=" NaN ", description="None")], k=1)
    back = Spec.from_table(spec.to_table(), k=1)
    assert back["a"].dimension == "nan" and back["a"].label == " NaN "
    assert back["a"].description == "None"


def test_csv_keeps_carriage_returns(tmp_path):
    spec = Spec([Indicator("a", weight=1, label="x\ry", description="p\r\nq")], k=1)
    spec.to_table(tmp_path / "s.csv")
    assert Spec.from_table(tmp_path / "s.csv", k=1) == spec


def test_excel_refuses_text_it_cannot_hold(tmp_path):
    pytest.importorskip("openpyxl")
    spec = Spec([Indicator("a", weight=1, label="x\ry")], k=1)
    with pytest.raises(SpecError, match=r"label of indicator 'a' holds the control char"):
        spec.to_table(tmp_path / "s.xlsx")
    # categories are quoted with escapes, so any string fits
    spec = Spec([Indicator("a", weight=1, cutoff=["x\ry", "\x01"], deprived_if="in")], k=1)
    spec.to_table(tmp_path / "t.xlsx")
    assert Spec.from_table(tmp_path / "t.xlsx", k=1) == spec


def test_equality_is_exact_and_consistent_with_hash():
    def one(cutoff: Any, rule: str = "==") -> Spec:
        return Spec([Indicator("a", weight=1, cutoff=cutoff, deprived_if=rule)], k=1)

    variants = [one("1"), one("01"), one(1), one(1.0), one(True)]
    for i, a in enumerate(variants):
        for j, b in enumerate(variants):
            assert (a == b) == (i == j)
    assert one(6, "<") != one(6.0, "<") and hash(one(6, "<")) == hash(one(6, "<"))
    assert Indicator("a", weight=1, cutoff=[1], deprived_if="in") != Indicator(
        "a", weight=1, cutoff=[True], deprived_if="in"
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Fraction(1, 2), 0.5),
        (Fraction(6), 6),
        (np.int64(6), 6),
        (np.float32(0.5), 0.5),
    ],
)
def test_numeric_cutoffs_become_plain_numbers(value, expected):
    spec = Spec([Indicator("a", weight=1, cutoff=value)], k=1)
    assert spec["a"].cutoff == expected and type(spec["a"].cutoff) is type(expected)
    assert Spec.from_yaml(spec.to_yaml()) == spec  # a Fraction could not be written before


def test_inexact_numeric_cutoff_is_refused():
    with pytest.raises(SpecError, match=r"not exactly a float64.*0\.333"):
        Indicator("a", weight=1, cutoff=Fraction(1, 3))


# -- point 10: bands --------------------------------------------------------------------

INDS = [Indicator("a", weight="1/2"), Indicator("b", weight="1/2")]


def test_vulnerable_above_k_is_refused():
    with pytest.raises(
        SpecError, match=r"vulnerable must be at most k.*=2/5 with k=1/3.*\(0, 1/3\]"
    ):
        Spec(INDS, k="1/3", vulnerable="2/5")


def test_severe_below_k_is_refused():
    with pytest.raises(SpecError, match=r"severe must be at least k.*=1/4 with k=1/3.*\[1/3, 1\]"):
        Spec(INDS, k="1/3", severe="1/4")


def test_band_edges_are_allowed():
    spec = Spec(INDS, k="1/2", vulnerable="1/2", severe="1/2")
    assert spec.vulnerable == spec.k == spec.severe


@pytest.mark.parametrize(
    ("k", "vulnerable", "severe"),
    [("1/10", "1/10", "1/2"), ("1/3", "1/5", "1/2"), ("9/10", "1/5", "9/10"), (1, "1/5", 1)],
)
def test_default_bands_follow_k(k, vulnerable, severe):
    spec = Spec(INDS, k=k)
    assert spec.vulnerable == Fraction(vulnerable) and spec.severe == Fraction(severe)
    assert Spec.from_yaml(spec.to_yaml()) == spec


def test_bands_are_checked_in_documents_and_with_k():
    doc = {"k": "1/2", "severe": "1/3", "indicators": [{"name": "a", "weight": 1}]}
    with pytest.raises(SpecError, match="severe must be at least k"):
        Spec.from_dict(doc)
    table = pd.DataFrame({"indicator": ["a"], "weight": ["1"], "rule": ["flag"]})
    with pytest.raises(SpecError, match="vulnerable must be at most k"):
        Spec.from_table(table, k="1/10", vulnerable="1/5")
    gmpi = mpi.presets.global_mpi_2018()
    with pytest.raises(SpecError, match="severe must be at least k"):
        gmpi.with_k("3/5")
    with pytest.raises(SpecError, match="vulnerable must be at most k"):
        gmpi.with_k("1/10")
    moved = gmpi.with_k("3/5", severe="3/5")
    assert (moved.k, moved.vulnerable, moved.severe) == (
        Fraction(3, 5),
        Fraction(1, 5),
        Fraction(3, 5),
    )
    assert gmpi.severe == Fraction(1, 2)  # the original is untouched


def test_presets_take_bands():
    with pytest.raises(SpecError, match="severe must be at least k"):
        mpi.presets.global_mpi_2018(k="3/5")
    assert mpi.presets.global_mpi_2018(k="3/5", severe="3/5").severe == Fraction(3, 5)
    china = mpi.presets.china_2b3g(k="4/7", severe="5/7")
    assert (china.k, china.severe) == (Fraction(4, 7), Fraction(5, 7))
    with pytest.raises(SpecError, match="severe must be at least k"):
        mpi.presets.china_2b3g(k="4/7")


# -- point 12: malformed documents ------------------------------------------------------

IND = {"name": "a", "weight": 1}


@pytest.mark.parametrize(
    ("doc", "match"),
    [
        (None, r"document is empty.*k.*indicators"),
        ([IND], r"must be a mapping.*got list"),
        ("spec.yml", r"must be a mapping.*file"),
        (3, r"must be a mapping.*got int"),
        ({"indicators": [IND]}, r"no 'k'.*k: 1/3"),
        ({"k": 1}, r"no 'indicators'"),
        ({"kk": 1, "indicators": [IND]}, r"^kk: unknown key.*did you mean 'k'\?"),
        ({"k": 1, "indicator": [IND]}, r"^indicator: unknown key.*did you mean 'indicators'\?"),
        ({"k": 1, "indicators": {"a": {"weight": 1}}}, r"indicators must be a list.*got dict"),
        ({"k": 1, "indicators": "a"}, r"indicators must be a list.*got str"),
        ({"k": 1, "indicators": 5}, r"indicators must be a list.*got int"),
        ({"k": 1, "indicators": []}, r"indicators is empty"),
        ({"k": 1, "indicators": ["a"]}, r"indicators\[0\] is the bare name 'a'.*name and weight"),
        ({"k": 1, "indicators": [IND, 7]}, r"indicators\[1\] must be a mapping.*got int"),
        (
            {"k": 1, "indicators": [{**IND, "cutof": 3}]},
            r"^indicators\[0\]\.cutof: unknown key in indicator 'a'; did you mean 'cutoff'\?",
        ),
        (
            {"k": 1, "indicators": [{**IND, "rule": "<"}]},
            r"indicators\[0\]\.rule: unknown key.*did you mean 'deprived_if'\?",
        ),
        (
            {"k": 1, "indicators": [{"name": "a"}]},
            r"indicators\[0\] in indicator 'a' has no 'weight'",
        ),
        ({"k": 1, "indicators": [{"weight": 1}]}, r"indicators\[0\] has no 'name'"),
        (
            {"k": 1, "indicators": [{"name": "a", "weight": [1]}]},
            r"indicators\[0\]: weight of .*list",
        ),
        (
            {"k": 1, "indicators": [{"name": "a", "weight": True}]},
            r"indicators\[0\]: weight.*boolean",
        ),
        ({"k": 1, "indicators": [{"name": "a", "weight": None}]}, r"indicators\[0\]: .*no weight"),
        ({"k": 1, "indicators": [{"name": 3, "weight": 1}]}, r"indicators\[0\]: .*name must be"),
        ({"k": [1], "indicators": [IND]}, r"^k must be a number, got list"),
        ({"k": "a third", "indicators": [IND]}, r"^k must be a number or a fraction"),
        ({"k": True, "indicators": [IND]}, r"^k must be a number, got the boolean"),
        ({"k": 1, "vulnerable": "x", "indicators": [IND]}, r"^vulnerable must be a number"),
        ({"k": 1, "name": 2018, "indicators": [IND]}, r"name must be a string or None.*2018"),
        (
            {"k": 1, "indicators": [{**IND, "cardinal": "yes"}]},
            r"indicators\[0\]: cardinal of indicator 'a' must be true, false",
        ),
        ({"k": 1, "indicators": [{**IND, "label": 5}]}, r"label of indicator 'a' must be a str"),
        (
            {"k": 1, "indicators": [{**IND, "cutoff": [[1]], "deprived_if": "in"}]},
            r"indicators\[0\]: .*category \[1\] must be a string",
        ),
        (
            {"k": 1, "indicators": [{**IND, "cutoff": {"a": 1}, "deprived_if": "in"}]},
            r"indicators\[0\]: .*cutoff must be a list of categories; got dict",
        ),
        (
            {"k": 1, "indicators": [{**IND, "cutoff": 1, "deprived_if": ["<"]}]},
            r"indicators\[0\]: deprived_if of indicator 'a' must be one of",
        ),
    ],
)
def test_malformed_documents(doc, match):
    with pytest.raises(SpecError, match=match):
        Spec.from_dict(doc)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("", r"document is empty"),
        ("# only a comment\n", r"document is empty"),
        ("k: 1\nk: 2\nindicators: []\n", r"line 2: duplicate key 'k' \(first at line 1\)"),
        ("k: 1\nindicators: [a, b]\n", r"indicators\[0\] is the bare name 'a'"),
        ("k: 1\nindicators:\n- {name: a, weight: 1, cutof: 2}\n", r"did you mean 'cutoff'"),
        ("k: [1\n", r"not valid YAML"),
        ("- a\n- b\n", r"must be a mapping.*got list"),
    ],
)
def test_malformed_yaml(text, match):
    with pytest.raises(SpecError, match=match):
        Spec.from_yaml(text)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("", r"document is empty"),
        ('{"k": 1, "k": 2}', r"duplicate key 'k'"),
        ('{"k": 1,', r"not valid JSON"),
        ('{"k": 1, "indicators": [{"name": "a", "weight": 1, "cutof": 1}]}', r"cutoff"),
    ],
)
def test_malformed_json(text, match):
    with pytest.raises(SpecError, match=match):
        Spec.from_json(text)


@pytest.mark.parametrize(
    ("dims", "match"),
    [
        ([["a"]], r"dimensions must be a mapping"),
        ({"h": 5}, r"dimensions\['h'\] must be a list"),
        ({"h": "a"}, r"dimensions\['h'\] must be a list.*\['a'\]"),
        ({"h": []}, r"dimensions\['h'\] is an empty list"),
        ({"h": [{"name": "a", "cutof": 1}]}, r"dimensions\['h'\]\[0\]\.cutof: .*'cutoff'"),
        ({"h": [{"cutoff": 1}]}, r"dimensions\['h'\]\[0\] has no 'name'"),
        ({"h": [{"name": "a", "dimension": "e"}]}, r"listed under 'h'"),
        ({"h": [3]}, r"dimensions\['h'\]\[0\]: cannot make an indicator from int"),
    ],
)
def test_malformed_from_dimensions(dims, match):
    with pytest.raises(SpecError, match=match):
        Spec.from_dimensions(dims, k=1)


def test_indicator_replace_unknown_key():
    with pytest.raises(SpecError, match=r"cutof: unknown key.*did you mean 'cutoff'"):
        Indicator("a", weight=1).replace(cutof=3)


def test_spec_needs_a_list_of_indicators():
    with pytest.raises(SpecError, match="indicators must be a list"):
        Spec(5, k=1)
    with pytest.raises(SpecError, match="indicators must be a list"):
        Spec(Indicator("a", weight=1), k=1)


# -- point 12: paths ----------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".yml", ".YML", ".Yaml", ".YAML", ".json", ".JSON"])
def test_file_extensions_are_case_insensitive(tmp_path, suffix):
    spec = mpi.presets.global_mpi_2018()
    path = tmp_path / f"spec{suffix}"
    (spec.to_json if "j" in suffix.lower() else spec.to_yaml)(path)
    assert Spec.from_yaml(str(path)) == spec
    if "j" in suffix.lower():
        assert Spec.from_json(str(path)) == spec


@pytest.mark.parametrize("suffix", [".CSV", ".Csv", ".XLSX"])
def test_table_extensions_are_case_insensitive(tmp_path, suffix):
    pytest.importorskip("openpyxl") if "x" in suffix.lower() else None
    spec = mpi.presets.china_2b3g()
    spec.to_table(tmp_path / f"spec{suffix}")
    assert Spec.from_table(str(tmp_path / f"spec{suffix}"), **table_kwargs(spec)) == spec


@pytest.mark.parametrize("name", ["missing.YML", "no/such/dir/spec.yaml", "x.JSON"])
def test_missing_files_are_named(name):
    with pytest.raises(SpecError, match=rf"spec file '{name}' does not exist"):
        Spec.from_yaml(name)


def test_missing_table_is_named(tmp_path):
    path = tmp_path / "missing.CSV"
    with pytest.raises(SpecError, match=r"spec table '.*missing\.CSV' does not exist"):
        Spec.from_table(path, k=1)


def test_wrong_reader_for_the_extension(tmp_path):
    with pytest.raises(SpecError, match=r"is a table \(\.csv\); read it with Spec\.from_table"):
        Spec.from_yaml("spec.CSV")
    with pytest.raises(SpecError, match=r"read it with Spec\.from_yaml"):
        Spec.from_json("spec.yml")
    with pytest.raises(SpecError, match=r"must end in \.csv or \.xlsx.*from_yaml"):
        Spec.from_table(tmp_path / "spec.yml", k=1)
    with pytest.raises(SpecError, match=r"Spec\.from_dict"):
        Spec.from_yaml({"k": 1})
    with pytest.raises(SpecError, match=r"must end in \.csv or \.xlsx"):
        mpi.presets.global_mpi_2018().to_table(tmp_path / "spec.txt")


def test_a_directory_is_not_a_spec_file(tmp_path):
    (tmp_path / "d.yml").mkdir()
    with pytest.raises(SpecError, match="is not a file"):
        Spec.from_yaml(tmp_path / "d.yml")


def test_a_yaml_file_with_bom_and_crlf(tmp_path):
    spec = mpi.presets.global_mpi_2018()
    path = tmp_path / "s.yml"
    path.write_bytes(b"\xef\xbb\xbf" + spec.to_yaml().replace("\n", "\r\n").encode("utf-8"))
    assert Spec.from_yaml(path) == spec


# -- point 12: tables -------------------------------------------------------------------

BASE = {
    "indicator": ["a", "b"],
    "weight": ["1/2", "1/2"],
    "cutoff": ["", "6"],
    "rule": ["flag", "<"],
}


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"cutof": ["", "6"]}, r"unknown column 'cutof'; did you mean 'cutoff'\?"),
        ({"name": ["a", "b"]}, r"unknown column 'name'; did you mean 'indicator'\?"),
        ({"rule": ["flag", "~"]}, r"row 1, indicator 'b': rule must be flag or one of"),
        ({"cutoff": ["3", "6"]}, r"row 0, indicator 'a': the rule is flag .* holds '3'"),
        ({"cutoff": ["", " "]}, r"indicator 'b': the cutoff cell is empty"),
        ({"cutoff": ["", '"x'], "rule": ["flag", "=="]}, r"quoted value .* not closed"),
        ({"cutoff": ["", '"x" y'], "rule": ["flag", "=="]}, r"unexpected 'y' after a quoted"),
        ({"cutoff": ["", "a||b"], "rule": ["flag", "in"]}, r"empty category in the cutoff"),
        ({"cutoff": ["", "a|"], "rule": ["flag", "in"]}, r"empty category in the cutoff"),
        ({"weight": ["1/2", ""]}, r"indicator 'b': weight of indicator 'b' must be a number"),
        ({"indicator": ["a", ""]}, r"row 1: the indicator cell is empty"),
        ({"cardinal": ["", "maybe"]}, r"indicator 'b': cardinal must be true or false"),
    ],
)
def test_malformed_tables(change, match):
    table = pd.DataFrame({**BASE, **change})
    if "cutof" in change or "name" in change:
        table = table.drop(columns=["cutoff"] if "cutof" in change else [])
    with pytest.raises(SpecError, match=match):
        Spec.from_table(table, k="1/2")


def test_table_file_errors_give_the_row(tmp_path):
    path = tmp_path / "s.csv"
    pd.DataFrame({**BASE, "rule": ["flag", "less"]}).to_csv(path, index=False)
    with pytest.raises(SpecError, match=r"s\.csv', row 3 \(the header is row 1\), indicator 'b'"):
        Spec.from_table(path, k="1/2")
    path.write_text("indicator,weight,rule\n", encoding="utf-8")
    with pytest.raises(SpecError, match="indicators is empty"):
        Spec.from_table(path, k="1/2")
    bad = tmp_path / "bad.xlsx"
    bad.write_text("not a zip", encoding="utf-8")
    with pytest.raises(SpecError, match=r"cannot read the spec table"):
        Spec.from_table(bad, k="1/2")


def test_csv_from_excel_with_bom(tmp_path):
    path = tmp_path / "s.csv"
    path.write_bytes("\ufeffindicator,weight,cutoff,rule\na,1,小学|初中,in\n".encode())
    assert Spec.from_table(path, k=1)["a"].cutoff == ("小学", "初中")
