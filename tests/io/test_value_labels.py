"""Stata/SPSS value labels: categories ordered by code, unlabelled codes as text, codes kept."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import mpi
from mpi.io import apply_value_labels, read, write


def _coded() -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "province": [50.0, 11.0, 7.0, np.nan, 50.0],
            "deprived": [1.0, 0.0, 1.0, 1.0, 0.0],
            "name": ["a", "", "c", "d", "e"],
        }
    )
    # 31 is labelled but absent; 7 occurs without a label
    frame.attrs["value_labels"] = {"province": {11: "Beijing", 31: "Shanghai", 50: "Chongqing"}}
    frame.attrs["variable_labels"] = {"province": "省份 (province)"}
    return frame


@pytest.mark.parametrize("suffix", [".dta", ".sav", ".zsav"])
def test_categories_are_labels_in_code_order(suffix, tmp_path) -> None:
    path = write(_coded(), tmp_path / f"coded{suffix}")
    back = read(path)
    province = back["province"]
    assert isinstance(province.dtype, pd.CategoricalDtype)
    assert province.cat.categories.tolist() == ["7", "Beijing", "Shanghai", "Chongqing"]
    assert not province.cat.ordered
    assert province.tolist()[:3] == ["Chongqing", "Beijing", "7"] and pd.isna(province[3])
    assert back.attrs["value_labels"] == {
        "province": {11: "Beijing", 31: "Shanghai", 50: "Chongqing"}
    }
    assert back.attrs["variable_labels"] == {"province": "省份 (province)"}
    assert back["deprived"].tolist() == [1, 0, 1, 1, 0]  # unlabelled columns stay numeric
    assert back["name"].tolist()[0] == "a" and pd.isna(back["name"][1])  # blank is missing


@pytest.mark.parametrize("suffix", [".dta", ".sav"])
def test_codes_mode_keeps_numbers_and_the_mapping(suffix, tmp_path) -> None:
    path = write(_coded(), tmp_path / f"coded{suffix}")
    codes = read(path, value_labels="codes")
    assert codes["province"].dtype.kind == "f"
    np.testing.assert_array_equal(codes["province"].to_numpy(), [50, 11, 7, np.nan, 50])
    assert codes.attrs["value_labels"]["province"][50] == "Chongqing"
    before = codes.copy(deep=True)
    labelled = apply_value_labels(codes, ["province"])
    pd.testing.assert_frame_equal(labelled, read(path))
    pd.testing.assert_frame_equal(codes, before)  # the input is not changed
    assert codes.attrs == before.attrs and labelled.attrs == codes.attrs


def test_category_frame_writes_back_the_file_codes(tmp_path) -> None:
    first = write(_coded(), tmp_path / "a.dta")
    again = write(read(first), tmp_path / "b.dta")  # categories, codes from attrs
    codes = read(again, value_labels="codes")
    np.testing.assert_array_equal(codes["province"].to_numpy(), [50, 11, 7, np.nan, 50])
    assert codes.attrs["value_labels"]["province"] == {
        11: "Beijing", 31: "Shanghai", 50: "Chongqing"
    }


def test_plain_categorical_is_numbered_from_one(tmp_path) -> None:
    frame = pd.DataFrame({"area": pd.Categorical(["rural", None, "urban"], ["urban", "rural"])})
    back = read(write(frame, tmp_path / "plain.sav"), value_labels="codes")
    np.testing.assert_array_equal(back["area"].to_numpy(), [2, np.nan, 1])
    assert back.attrs["value_labels"] == {"area": {1: "urban", 2: "rural"}}


def test_apply_value_labels_options() -> None:
    frame = pd.DataFrame({"g": [2, 1, 2], "h": [1, 1, 3], "x": [0.5, 1.5, 2.5]})
    frame.attrs["value_labels"] = {"g": {1: "one", 2: "two"}, "h": {1: "yes", 3: "no"}}
    everything = apply_value_labels(frame)
    assert everything["g"].tolist() == ["two", "one", "two"]
    assert everything["h"].tolist() == ["yes", "yes", "no"]
    only_g = apply_value_labels(frame, "g")
    assert only_g["h"].dtype.kind == "i" and only_g["g"].cat.categories.tolist() == ["one", "two"]
    unchanged = apply_value_labels(frame, ["x"])  # no mapping: left as it is
    pd.testing.assert_frame_equal(unchanged, frame)
    assert apply_value_labels(everything, ["g"])["g"].tolist() == ["two", "one", "two"]
    with pytest.raises(mpi.errors.ValidationError, match=r"columns=\['zz'\] not in the frame"):
        apply_value_labels(frame, ["g", "zz"])
    with pytest.raises(mpi.errors.ValidationError, match="must be a pandas DataFrame"):
        apply_value_labels(frame.to_dict(), ["g"])
    bad = frame.copy()
    bad.attrs["value_labels"] = {"g": ["one", "two"]}
    with pytest.raises(mpi.errors.ValidationError, match=r"\['g'\] must be a \{code: label\}"):
        apply_value_labels(bad, ["g"])


def test_duplicate_labels_share_a_category() -> None:
    frame = pd.DataFrame({"g": [1.0, 2.0, 3.0]})
    frame.attrs["value_labels"] = {"g": {1: "low", 2: "low", 3: "high"}}
    out = apply_value_labels(frame)
    assert out["g"].cat.categories.tolist() == ["low", "high"]
    assert out["g"].tolist() == ["low", "low", "high"]


def test_parquet_keeps_the_mapping_of_a_codes_frame(tmp_path) -> None:
    codes = read(write(_coded(), tmp_path / "c.dta"), value_labels="codes")
    back = read(write(codes, tmp_path / "c.parquet"))
    assert back.attrs["value_labels"] == codes.attrs["value_labels"]
    assert back.attrs["variable_labels"] == codes.attrs["variable_labels"]
    pd.testing.assert_frame_equal(back, codes)


def test_stata_needs_whole_number_codes(tmp_path) -> None:
    frame = pd.DataFrame({"g": [1.5, 2.0]})
    frame.attrs["value_labels"] = {"g": {1.5: "half", 2: "two"}}
    with pytest.raises(mpi.errors.ValidationError, match="whole-number codes.*'g'.*1.5.*sav"):
        write(frame, tmp_path / "g.dta")
    back = read(write(frame, tmp_path / "g.sav"))
    assert back["g"].tolist() == ["half", "two"]
    assert back.attrs["value_labels"] == {"g": {1.5: "half", 2: "two"}}


def test_named_index_is_written_as_a_column(tmp_path) -> None:
    frame = pd.DataFrame({"v": [1, 2]}, index=pd.Index([10, 20], name="hh"))
    for suffix in (".csv", ".parquet", ".dta"):
        back = read(write(frame, tmp_path / f"i{suffix}"))
        assert back.columns.tolist() == ["hh", "v"] and back["hh"].tolist() == [10, 20]
    subset = pd.DataFrame({"v": [1, 2, 3]}).iloc[1:]
    back = read(write(subset, tmp_path / "s.parquet"))
    assert back.columns.tolist() == ["v"] and isinstance(back.index, pd.RangeIndex)


def test_encoding_of_text_files(tmp_path) -> None:
    path = tmp_path / "gbk.csv"
    path.write_bytes("地区,权重\n重庆,1.5\n贵阳,2\n".encode("gb18030"))
    with pytest.raises(mpi.errors.ValidationError, match="encoding='gb18030'") as info:
        read(path)
    assert "\n" not in str(info.value)
    back = read(path, encoding="gb18030")
    assert back.columns.tolist() == ["地区", "权重"] and back["地区"].tolist() == ["重庆", "贵阳"]
    bom = tmp_path / "bom.csv"
    bom.write_bytes("地区,权重\n重庆,1.5\n".encode("utf-8-sig"))  # Excel's "CSV UTF-8"
    assert read(bom).columns.tolist() == ["地区", "权重"]
    with pytest.raises(mpi.errors.ValidationError, match="known encoding name"):
        read(path, encoding="no-such-codec")


def test_excel_sheets(tmp_path) -> None:
    path = tmp_path / "book.xlsx"
    with pd.ExcelWriter(path, engine="openpyxl") as book:
        pd.DataFrame({"a": [1, 2]}).to_excel(book, sheet_name="first", index=False)
        pd.DataFrame({"b": [3.5], "c": ["x"]}).to_excel(book, sheet_name="second", index=False)
    assert read(path).to_dict("list") == {"a": [1, 2]}
    assert read(path, sheet="second").to_dict("list") == {"b": [3.5], "c": ["x"]}
    assert read(path, sheet=1, columns=["c"]).to_dict("list") == {"c": ["x"]}
    for bad in ("third", 2):
        with pytest.raises(mpi.errors.ValidationError) as info:
            read(path, sheet=bad)
        assert f"sheet={bad!r} is not a sheet of" in str(info.value)
        assert "'first', 'second'" in str(info.value)


@pytest.mark.parametrize("suffix", [".dta", ".sav", ".parquet", ".csv"])
def test_datetimes_of_any_resolution(suffix, tmp_path) -> None:
    stamps = ["2023-09-03 06:52:46", None, "2024-01-31 23:59:59"]
    frame = pd.DataFrame({"t": pd.to_datetime(stamps).astype("datetime64[s]"), "x": [1, 2, 3]})
    back = read(write(frame, tmp_path / f"t{suffix}"))
    if suffix == ".csv":
        back["t"] = pd.to_datetime(back["t"])
    assert back["t"].dtype.kind == "M"
    assert back["t"].astype("datetime64[s]").tolist()[::2] == frame["t"].tolist()[::2]
    assert pd.isna(back["t"][1])


def test_parquet_written_by_pandas_with_label_attrs(tmp_path) -> None:
    frame = pd.DataFrame({"g": [1.0, 2.0]})
    frame.attrs["value_labels"] = {"g": {1: "one", 2: "two"}}
    frame.to_parquet(tmp_path / "p.parquet")  # JSON turns the codes into text
    back = read(tmp_path / "p.parquet")
    assert back.attrs["value_labels"] == {"g": {1: "one", 2: "two"}}
    assert apply_value_labels(back)["g"].tolist() == ["one", "two"]


def test_spss_portable_file_is_read(tmp_path) -> None:
    import pyreadstat

    frame = pd.DataFrame({"G": [1.0, 2.0, np.nan], "S": ["u", "", "w"]})
    pyreadstat.write_por(frame, str(tmp_path / "old.por"))
    back = read(tmp_path / "old.por", columns=["S", "G"])
    assert back.columns.tolist() == ["S", "G"]
    np.testing.assert_array_equal(back["G"].to_numpy(), [1.0, 2.0, np.nan])
    assert back["S"].tolist()[::2] == ["u", "w"] and pd.isna(back["S"][1])
    with pytest.raises(mpi.errors.ValidationError, match="'.por' is not supported for writing"):
        write(frame, tmp_path / "new.por")
