"""Shared test set-up: the tests mirror the package (tests/measurement, tests/survey,
tests/dynamics, tests/plot, tests/kernels, tests/datasets, tests/oracles; package-wide checks
at this level), and the helpers here are importable from every test module (this directory
is on ``sys.path``): ``reference`` (plain-numpy AF), ``survey_reference``, ``strategies``
(hypothesis), ``panel_data`` (random panels).

Session fixtures hold the bundled data, loaded once; tests must not modify them (the package
never does: inputs are never mutated, which tests check separately).
"""

from __future__ import annotations

import re
import warnings

import matplotlib

matplotlib.use("Agg")  # charts render off-screen everywhere, whatever the test imports first

from pathlib import Path  # noqa: E402

import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import xarray as xr  # noqa: E402

import mpi  # noqa: E402


def pytest_configure(config: pytest.Config) -> None:
    """Without a CJK font (a machine where ``.ci/run`` could not install one), matplotlib
    warns once per missing glyph whenever a Chinese label is drawn, reports say so once
    (:data:`mpi.plot._fonts.NO_CJK_FONT`), and the suite turns warnings into errors. The
    tests that draw Chinese still check every label's text; the checks that need the font
    itself skip, saying so. CI provides the font, so there these filters are not added."""
    if mpi.plot.cjk_font() is None:
        from mpi.plot._fonts import GLYPH_MISSING, NO_CJK_FONT

        # an ini line is "action:message": the message up to its first colon, escaped
        no_font = re.escape(NO_CJK_FONT.split(":")[0])
        for message in (GLYPH_MISSING, no_font):
            config.addinivalue_line("filterwarnings", f"ignore:{message}")


@pytest.fixture(scope="session")
def mpi_survey() -> pd.DataFrame:
    """The bundled household survey (``mpi.datasets.load("mpi_survey")``)."""
    return mpi.datasets.load("mpi_survey")


@pytest.fixture(scope="session")
def registry_panel() -> xr.Dataset:
    """The bundled registry panel as a ``unit`` x ``time`` Dataset."""
    return mpi.datasets.load("registry_panel", format="xarray")


@pytest.fixture(scope="session")
def registry_tables() -> dict[str, pd.DataFrame]:
    """The bundled registry panel as its source tables (households and departments)."""
    return mpi.datasets.load("registry_panel")


@pytest.fixture(scope="session")
def global_mpi() -> mpi.Spec:
    """The global MPI 2018 specification."""
    return mpi.presets.global_mpi_2018()


@pytest.fixture(scope="session")
def china_2b3g() -> mpi.Spec:
    """China's 2 assurances, 3 guarantees specification."""
    return mpi.presets.china_2b3g()


@pytest.fixture
def quiet_missing():
    """Silence the MissingDataWarning that counts units dropped for missing values."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mpi.MissingDataWarning)
        yield


# -- the command-line tests (tests/cli): one conftest per test tree, so they live here --------
#: Table formats the command line is tested on, all written from the same data.
CLI_TABLE_FORMATS = ("csv", "parquet", "dta", "sav")


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
    from mpi.io import write

    folder = tmp_path_factory.mktemp("latest")
    out = {}
    for fmt in CLI_TABLE_FORMATS:
        out[fmt] = folder / f"latest.{fmt}"
        write(latest, out[fmt])
    return out


@pytest.fixture(scope="session")
def rounds_csv(dhs_rounds: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Both rounds of the bundled survey as one CSV file."""
    from mpi.io import write

    path = tmp_path_factory.mktemp("rounds") / "dhs_rounds.csv"
    write(dhs_rounds, path)
    return path
