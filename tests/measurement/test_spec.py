"""Specifications: exact weights, constructors, serialisation and presets."""

from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

import mpi
from mpi import Indicator, Spec


def test_global_mpi_preset_integer_weights():
    spec = mpi.presets.global_mpi_2018()
    w, L = spec.integer_weights
    assert L == 18
    assert w.tolist() == [3, 3, 3, 3, 1, 1, 1, 1, 1, 1]
    assert spec.k == Fraction(1, 3)
    assert spec.vulnerable == Fraction(1, 5) and spec.severe == Fraction(1, 2)
    assert spec.dimensions == ["health", "education", "living_standards"]
    assert len(spec) == 10
    assert "Methodological Note 46" in spec.source
    assert spec["years_schooling"].cardinal and not spec["assets"].cardinal


def test_china_preset_is_a_union_standard():
    spec = mpi.presets.china_2b3g(income_line=4500)
    assert len(spec) == 7
    assert spec.k == min(i.weight for i in spec)  # union: any one deprivation
    assert spec["income"].cutoff == 4500
    assert spec["housing_safety"].cutoff == ("C", "D")
    assert "两不愁" in spec.source


def test_presets_listing():
    assert mpi.presets.available() == ["china_2b3g", "global_mpi_2018", "hdi", "undp_china_lsi_2016"]
    assert mpi.presets.available(kind="af") == ["china_2b3g", "global_mpi_2018"]
    assert mpi.presets.available(kind="composite") == ["hdi", "undp_china_lsi_2016"]
    assert mpi.presets.load("global_mpi_2018") == mpi.presets.global_mpi_2018()
    assert mpi.presets.global_mpi_2018(k=0.5).k == Fraction(1, 2)


def test_from_dimensions_nested_weights():
    spec = Spec.from_dimensions(
        {"health": ["n", "m"], "education": ["y"], "living": ["a", "b", "c"]}, k="1/3"
    )
    assert [i.weight for i in spec] == [Fraction(1, 6)] * 2 + [Fraction(1, 3)] + [Fraction(1, 9)] * 3
    assert spec.integer_weights[1] == 18
    assert spec.dimension_index.tolist() == [0, 0, 1, 2, 2, 2]


def test_from_dimensions_accepts_dicts_and_indicators():
    spec = Spec.from_dimensions(
        {
            "edu": [{"name": "school", "variable": "yrs", "cutoff": 6}],
            "liv": [Indicator("fuel", weight=1, cutoff=["wood"], deprived_if="in")],
        },
        k=0.5,
    )
    assert spec["school"].weight == Fraction(1, 2) and spec["school"].variable == "yrs"
    assert spec["fuel"].dimension == "liv" and spec["fuel"].weight == Fraction(1, 2)
    with pytest.raises(mpi.SpecError, match="must not carry a weight"):
        Spec.from_dimensions({"a": [{"name": "x", "weight": 1}]}, k=1)


def test_exact_weights_from_floats():
    spec = Spec([Indicator("a", weight=0.3), Indicator("b", weight=0.6), Indicator("c", weight=0.1)], k=0.9)
    assert spec.integer_weights[0].tolist() == [3, 6, 1]
    assert spec.integer_weights[1] == 10
    assert spec.k == Fraction(9, 10)
    assert 0.3 + 0.6 < 0.9  # the float trap the integers avoid


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_text_round_trip(tmp_path, fmt):
    spec = mpi.presets.global_mpi_2018()
    path = tmp_path / f"spec.{'yml' if fmt == 'yaml' else 'json'}"
    text = getattr(spec, f"to_{fmt}")(path)
    assert path.read_text(encoding="utf-8") == text
    back_file = getattr(Spec, f"from_{fmt}")(path)
    back_text = getattr(Spec, f"from_{fmt}")(text)
    assert back_file == spec and back_text == spec
    assert "1/18" in text


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_table_round_trip(tmp_path, suffix):
    pytest.importorskip("openpyxl") if suffix == ".xlsx" else None
    spec = mpi.presets.china_2b3g()
    path = tmp_path / f"spec{suffix}"
    table = spec.to_table(path)
    assert list(table.columns[:6]) == ["dimension", "indicator", "variable", "weight", "cutoff", "rule"]
    back = Spec.from_table(path, k=spec.k, name=spec.name, title=spec.title, source=spec.source,
                           vulnerable=spec.vulnerable, severe=spec.severe)
    assert [i.to_dict() for i in back] == [i.to_dict() for i in spec]
    assert back == spec


def test_table_from_dataframe_with_flag_and_numbers():
    table = pd.DataFrame(
        {
            "dimension": ["h", "e"],
            "indicator": ["nut", "sch"],
            "variable": ["u", "yrs"],
            "weight": ["1/2", "1/2"],
            "cutoff": ["", "6"],
            "rule": ["flag", "<"],
        }
    )
    spec = Spec.from_table(table, k="1/2")
    assert spec["nut"].cutoff is None and spec["sch"].cutoff == 6 and spec["sch"].cardinal


def test_repr_and_describe():
    spec = mpi.presets.global_mpi_2018()
    text = repr(spec)
    assert "global_mpi_2018" in text and "k=1/3" in text and "max_schooling < 6" in text
    assert "nutrition=1/6" in spec.describe()
    assert repr(spec["nutrition"]).startswith("Indicator('nutrition', weight=1/6")


def test_weights_float_view():
    spec = mpi.presets.global_mpi_2018()
    np.testing.assert_allclose(spec.weights.sum(), 1.0)
    assert spec.variables[0] == "undernourished"


def test_spec_is_hashable_and_with_k():
    spec = mpi.presets.global_mpi_2018()
    assert hash(spec) == hash(mpi.presets.global_mpi_2018())
    assert spec.with_k(0.5).k == Fraction(1, 2) and spec.k == Fraction(1, 3)
