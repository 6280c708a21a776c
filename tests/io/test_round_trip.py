"""The bundled survey written to every table format and read back: same frame, same measures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import mpi
from mpi.io import FORMATS, read, write

TABLE_FORMATS = ["csv", "parquet", "dta", "sav", "xlsx"]
#: Formats that store categoricals (Parquet as dictionaries, Stata/SPSS as labelled codes).
KEEP_CATEGORIES = {"parquet", "dta", "sav"}
KEYS = ["measure", "indicator", "dimension", "region", "k"]


@pytest.fixture(scope="module")
def dhs() -> pd.DataFrame:
    frame = mpi.datasets.load("dhs_rounds")
    frame.attrs["variable_labels"] = {"region": "Region of residence", "weight": "Sample weight"}
    return frame


@pytest.fixture(scope="module")
def files(dhs, tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("formats")
    before = dhs.copy(deep=True)
    out = {fmt: write(dhs, folder / f"dhs_rounds.{fmt}") for fmt in TABLE_FORMATS}
    pd.testing.assert_frame_equal(dhs, before)  # writing never changes the frame
    assert dhs.attrs == before.attrs
    return out


def test_formats_are_described() -> None:
    for suffix in (".csv", ".tsv", ".parquet", ".dta", ".sav", ".xlsx", ".zarr", ".nc"):
        assert suffix in FORMATS and FORMATS[suffix]


@pytest.mark.parametrize("fmt", TABLE_FORMATS)
def test_read_back_equals_the_original(fmt, files, dhs) -> None:
    back = read(files[fmt])
    assert list(back.columns) == list(dhs.columns)
    assert isinstance(back.index, pd.RangeIndex) and len(back) == len(dhs)
    categorical = [c for c in dhs.columns if isinstance(dhs[c].dtype, pd.CategoricalDtype)]
    assert len(categorical) == 10
    for name in categorical:
        if fmt in KEEP_CATEGORIES:
            assert isinstance(back[name].dtype, pd.CategoricalDtype), name
            assert back[name].cat.categories.tolist() == dhs[name].cat.categories.tolist()
        else:
            assert not isinstance(back[name].dtype, pd.CategoricalDtype), name
    if fmt == "parquet":  # every dtype kept
        pd.testing.assert_frame_equal(back, dhs, check_exact=True)
    if fmt == "dta":  # Stata keeps integers apart from floats
        for name in dhs.columns:
            if dhs[name].dtype.kind in "iu" and name != "hh_id":  # hh_id > 2**31: a double
                assert back[name].dtype.kind == "i", name
    # values are exact once the dtypes the format does not store are restored
    restored = back.astype(dhs.dtypes.to_dict())
    pd.testing.assert_frame_equal(restored, dhs, check_exact=True)


@pytest.mark.parametrize("fmt", ["dta", "sav"])
def test_labels_round_trip(fmt, files, dhs) -> None:
    back = read(files[fmt])
    labels = back.attrs["value_labels"]
    assert labels["region"] == dict(enumerate(dhs["region"].cat.categories, start=1))
    assert set(labels) == {c for c in dhs.columns if isinstance(dhs[c].dtype, pd.CategoricalDtype)}
    assert back.attrs["variable_labels"]["region"] == "Region of residence"
    assert back.attrs["variable_labels"]["weight"] == "Sample weight"
    assert back["region"].tolist() == dhs["region"].tolist()


def test_parquet_keeps_variable_labels(files) -> None:
    back = read(files["parquet"])
    assert back.attrs["variable_labels"] == {
        "region": "Region of residence", "weight": "Sample weight"
    }
    assert back.attrs["value_labels"] == {}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_formats_without_labels_have_empty_mappings(fmt, files) -> None:
    back = read(files[fmt], columns=["region"])
    assert back.attrs == {"value_labels": {}, "variable_labels": {}}
    assert back["region"].iloc[0] == "Lakes"


def _latest(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["round"] == frame["round"].max()]


def _measured(frame: pd.DataFrame, spec) -> pd.DataFrame:
    design = mpi.Design("weight", strata="stratum", psu="psu")
    result = mpi.measure(_latest(frame), spec, by="region", design=design)
    table = result.to_frame()
    table[KEYS[:4]] = table[KEYS[:4]].astype(object).fillna("")
    return table.sort_values(KEYS).reset_index(drop=True)


@pytest.fixture(scope="module")
def in_memory(dhs) -> pd.DataFrame:
    with pytest.warns(mpi.MissingDataWarning):
        return _measured(dhs, mpi.presets.global_mpi_2018())


@pytest.mark.parametrize("fmt", TABLE_FORMATS)
def test_measure_from_every_format_equals_in_memory(fmt, files, in_memory, global_mpi) -> None:
    with pytest.warns(mpi.MissingDataWarning):
        got = _measured(read(files[fmt]), global_mpi)
    assert len(got) == len(in_memory) > 100
    pd.testing.assert_frame_equal(
        got[KEYS].astype(str), in_memory[KEYS].astype(str), check_dtype=False
    )
    for column in ("estimate", "se", "lower", "upper"):
        np.testing.assert_allclose(
            got[column].to_numpy(float), in_memory[column].to_numpy(float), rtol=0, atol=1e-12
        )
    assert set(got["region"]) - {""} == set(mpi.datasets.load("dhs_rounds")["region"].cat.categories)


@pytest.mark.parametrize("fmt", TABLE_FORMATS)
def test_columns_reads_only_those_in_that_order(fmt, files, dhs) -> None:
    back = read(files[fmt], columns=["weight", "region", "round"])
    assert list(back.columns) == ["weight", "region", "round"]
    np.testing.assert_array_equal(back["weight"].to_numpy(), dhs["weight"].to_numpy())
    assert back["region"].astype(str).tolist() == dhs["region"].astype(str).tolist()
    assert read(files[fmt], columns="psu")["psu"].tolist() == dhs["psu"].tolist()


@pytest.mark.parametrize("fmt", TABLE_FORMATS)
def test_missing_columns_are_named_with_what_the_file_has(fmt, files) -> None:
    with pytest.raises(mpi.errors.ValidationError) as info:
        read(files[fmt], columns=["region", "regoin", "wieght"])
    message = str(info.value)
    assert "['regoin', 'wieght']" in message and str(files[fmt]) in message
    assert "the file has: round, year, hh_id, psu" in message
    assert "\n" not in message


def test_tsv_txt_and_compressed_csv(dhs, tmp_path) -> None:
    small = dhs.head(50)
    for name in ("s.tsv", "s.txt", "s.csv.gz"):
        path = write(small, tmp_path / name)
        back = read(path).astype(small.dtypes.to_dict())
        pd.testing.assert_frame_equal(back, small, check_exact=True)
    assert "\t" in (tmp_path / "s.tsv").read_text().splitlines()[0]


def test_delimiter_of_txt_is_found(tmp_path) -> None:
    (tmp_path / "semi.txt").write_text("a;b;c\n1;2,5;x\n3;4;y\n", encoding="utf-8")
    back = read(tmp_path / "semi.txt")
    assert list(back.columns) == ["a", "b", "c"] and back["b"].tolist() == ["2,5", "4"]
    (tmp_path / "space.txt").write_text("a b\n1 2\n", encoding="utf-8")
    assert read(tmp_path / "space.txt").to_dict("list") == {"a": [1], "b": [2]}


def test_format_argument_overrides_the_suffix(files, tmp_path) -> None:
    renamed = tmp_path / "export.dat"
    renamed.write_bytes(files["dta"].read_bytes())
    for name in ("dta", ".dta", "stata", "STATA"):
        back = read(renamed, format=name, columns=["region"])
        assert back["region"].cat.categories[0] == "Capital"
    out = write(read(files["csv"]), tmp_path / "plain.dat", format="text")
    assert out.read_text().startswith("round,year,hh_id")
