"""Fixtures of the command-line tests: the bundled survey's latest round written in every table
format, and both rounds as one CSV file."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from cli_helpers import TABLE_FORMATS

import mpi
from mpi.io import write


@pytest.fixture(scope="session")
def dhs_rounds() -> pd.DataFrame:
    """The bundled two-round survey (households)."""
    return mpi.datasets.load("dhs_rounds")


@pytest.fixture(scope="session")
def latest(dhs_rounds: pd.DataFrame) -> pd.DataFrame:
    """The latest round of the bundled survey, with a fresh index."""
    last = dhs_rounds["round"].max()
    return dhs_rounds[dhs_rounds["round"] == last].reset_index(drop=True)


@pytest.fixture(scope="session")
def latest_files(latest: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The latest round as .csv, .parquet, .dta and .sav (Stata/SPSS with value labels)."""
    folder = tmp_path_factory.mktemp("latest")
    out = {}
    for fmt in TABLE_FORMATS:
        out[fmt] = folder / f"latest.{fmt}"
        write(latest, out[fmt])
    return out


@pytest.fixture(scope="session")
def rounds_csv(dhs_rounds: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Both rounds of the bundled survey as one CSV file."""
    path = tmp_path_factory.mktemp("rounds") / "dhs_rounds.csv"
    write(dhs_rounds, path)
    return path
