"""``mpi.read`` of CSV/TSV with pyarrow's parser gives exactly pandas' C-parser frame: the
same columns, dtypes, values (floats bit for bit) and missing values, with or without pyarrow,
and for the files pyarrow would read differently (then pandas reads them)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mpi
from mpi.errors import ValidationError
from mpi.io._csv_arrow import read_csv_arrow

RNG = np.random.default_rng(7)
N = 3000


def _frame() -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "hhid": np.arange(N),
            "i": RNG.integers(-(10**12), 10**12, N),
            "f": RNG.normal(size=N) * 10.0 ** RNG.integers(-5, 8, N),
            "w": RNG.uniform(0.5, 2, N).round(4),
            "s": RNG.choice(["a", "b", "北京", "x y", "a,b", 'q"uote'], N),
            "b": RNG.random(N) < 0.5,
        }
    )
    return frame


def _with_missing() -> pd.DataFrame:
    frame = _frame()
    frame["i"] = frame["i"].astype(float).where(np.arange(N) % 7 != 0)
    frame["f"] = frame["f"].where(np.arange(N) % 3 != 0)
    frame["s"] = frame["s"].where(np.arange(N) % 5 != 0)
    return frame


def _pandas(path: Path, sep: str = ",", usecols: list[str] | None = None) -> pd.DataFrame:
    frame = pd.read_csv(path, sep=sep, encoding="utf-8-sig", low_memory=False, usecols=usecols)
    return frame if usecols is None else frame[usecols]


def _assert_same(ours: pd.DataFrame, theirs: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(ours, theirs, check_exact=True)
    for name in theirs.columns:
        if theirs[name].dtype == np.float64:
            a, b = ours[name].to_numpy(), theirs[name].to_numpy()
            assert np.array_equal(a, b, equal_nan=True), name
            assert np.array_equal(np.signbit(a), np.signbit(b)), name


@pytest.mark.parametrize(
    ("name", "text", "sep"),
    [
        ("plain.csv", _frame().to_csv(index=False), ","),
        ("missing.csv", _with_missing().to_csv(index=False), ","),
        ("missing_na.csv", _with_missing().to_csv(index=False, na_rep="NA"), ","),
        ("bom.csv", "\ufeff" + _frame().to_csv(index=False), ","),
        ("tabs.tsv", _frame().to_csv(index=False, sep="\t"), "\t"),
        (
            "hard_floats.csv",
            "x\n" + "\n".join(repr(float(v)) for v in RNG.normal(size=N) * 1e-300) + "\n",
            ",",
        ),
        ("inf.csv", "a\ninf\n-inf\n1.5\n", ","),
        ("none.csv", "a,b\nNone,1\nx,2\n<NA>,3\n", ","),
        ("quoted.csv", 'a,b\n"1","x"\n"2",""\n', ","),
        ("mixed.csv", "a\n1\nx\n", ","),
        ("numeric_header.csv", "1,2\n3,4\n", ","),
    ],
)
def test_read_equals_pandas_c_parser(tmp_path, name, text, sep) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    fast = read_csv_arrow(path, sep, None)
    assert fast is not None  # read by pyarrow, not by the fallback
    _assert_same(mpi.read(path), _pandas(path, sep))


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("dates.csv", "d,x\n2020-01-01,1\n2021-02-03,2\n"),
        ("times.csv", "t,x\n12:30:00,1\n13:00:00,2\n"),
        ("empty_column.csv", "a,b\n1,\n2,\n"),
        ("bool_missing.csv", "a,b\nTrue,1\n,2\n"),
        ("no_rows.csv", "a,b\n"),
        ("duplicate_header.csv", "a,a\n1,2\n"),
        ("big_integers.csv", "a\n99999999999999999999\n1\n"),
    ],
)
def test_files_pyarrow_reads_differently_are_read_by_pandas(tmp_path, name, text) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    assert read_csv_arrow(path, ",", None) is None
    _assert_same(mpi.read(path), _pandas(path))


def test_columns_are_read_in_the_order_asked(tmp_path) -> None:
    path = tmp_path / "data.csv"
    _with_missing().to_csv(path, index=False)
    wanted = ["w", "s", "i"]
    frame = mpi.read(path, columns=wanted)
    assert list(frame.columns) == wanted
    _assert_same(frame, _pandas(path, usecols=wanted))


def test_a_missing_column_names_the_columns_of_the_file(tmp_path) -> None:
    path = tmp_path / "data.csv"
    _frame().to_csv(path, index=False)
    with pytest.raises(ValidationError, match="nope"):
        mpi.read(path, columns=["w", "nope"])


def test_without_pyarrow_the_c_parser_gives_the_same_frame(tmp_path, monkeypatch) -> None:
    path = tmp_path / "data.csv"
    _with_missing().to_csv(path, index=False)
    with_arrow = mpi.read(path, columns=["i", "s", "w"])
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow raises ImportError
    monkeypatch.setitem(sys.modules, "pyarrow.csv", None)
    assert read_csv_arrow(path, ",", None) is None
    _assert_same(mpi.read(path, columns=["i", "s", "w"]), with_arrow)


def test_other_encodings_are_read_by_pandas(tmp_path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes("name,x\nJosé,1\n".encode("latin-1"))
    frame = mpi.read(path, encoding="latin-1")
    assert frame["name"].tolist() == ["José"] and frame["x"].tolist() == [1]
