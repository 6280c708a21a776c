"""Tests of the progress bars (mpi._common.progress) and of the ``progress=`` argument of the
long-running public calls: bars go to stderr only, the automatic mode stays silent when stderr
is not a terminal, and every result is bit-identical with progress on or off."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import mpi
import mpi.datasets
from mpi._common import progress as pmod
from mpi._common.progress import check_progress, progress, progress_enabled
from mpi.dynamics.build import merge_sources, panel_from_long
from mpi.errors import ValidationError
from mpi.survey.bootstrap import (
    iter_unit_bootstrap_factors,
    rao_wu_factors,
    unit_bootstrap_factors,
)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def no_env(monkeypatch):
    """The automatic mode without an ``XMPI_PROGRESS`` switch."""
    monkeypatch.delenv("XMPI_PROGRESS", raising=False)


@pytest.fixture
def at_once(monkeypatch):
    """Bars drawn from the first item on (no delay), so short tests see them."""
    monkeypatch.setattr(pmod, "DELAY", 0.0)
    monkeypatch.setattr(pmod, "MININTERVAL", 0.0)


# --- the helper ---------------------------------------------------------------------------------
def test_enabled_explicit_values_win_over_the_environment(monkeypatch):
    monkeypatch.setenv("XMPI_PROGRESS", "0")
    assert progress_enabled(True, stream=io.StringIO()) is True
    monkeypatch.setenv("XMPI_PROGRESS", "1")
    assert progress_enabled(False, stream=_Terminal()) is False


def test_automatic_mode_follows_the_terminal_and_the_switch(no_env, monkeypatch):
    assert progress_enabled(None, stream=_Terminal()) is True
    assert progress_enabled(None, stream=io.StringIO()) is False
    assert progress_enabled(None, stream=object()) is False  # no isatty at all
    closed = io.StringIO()
    closed.close()
    assert progress_enabled(None, stream=closed) is False  # isatty raises ValueError
    monkeypatch.setenv("XMPI_PROGRESS", "0")
    assert progress_enabled(None, stream=_Terminal()) is False
    monkeypatch.setenv("XMPI_PROGRESS", "1")
    assert progress_enabled(None, stream=io.StringIO()) is True
    monkeypatch.setenv("XMPI_PROGRESS", "yes")  # not a switch: the terminal decides
    assert progress_enabled(None, stream=io.StringIO()) is False


@pytest.mark.parametrize("bad", ["yes", 1, 0, "auto", [True]])
def test_bad_progress_values_are_rejected(bad):
    with pytest.raises(ValidationError, match=r"progress must be None .* True .* False.*got"):
        check_progress(bad)
    with pytest.raises(ValidationError, match="progress"):
        progress(range(2), desc="x", enabled=bad)


def test_numpy_bools_are_accepted():
    assert check_progress(np.bool_(True)) is True
    assert check_progress(np.bool_(False)) is False


def test_bar_goes_to_stderr_and_erases_itself(capsys, at_once):
    with progress(total=5, desc="counting", unit="rows", enabled=True) as bar:
        for _ in range(5):
            bar.update(1)
    out, err = capsys.readouterr()
    assert out == ""
    assert "counting" in err and "5/5" in err
    assert err.rsplit("\r", 1)[-1].strip() == ""  # the last write blanks the line
    assert "\n" not in err  # leave=False: no line left behind


def test_iterable_passes_through_unchanged(capsys, at_once):
    items = [3, 1, 2]
    assert list(progress(items, desc="items", enabled=True)) == items
    assert list(progress(items, desc="items", enabled=False)) == items
    out, err = capsys.readouterr()
    assert out == "" and err.count("items") >= 1


def test_disabled_and_automatic_bars_write_nothing(capsys, at_once, no_env):
    for enabled in (False, None):  # pytest's captured stderr is not a terminal
        with progress(total=3, desc="quiet", enabled=enabled) as bar:
            bar.update(3)
    assert capsys.readouterr() == ("", "")


def test_slow_start_delay_hides_quick_work(capsys):
    assert pmod.DELAY >= 0.1  # quick work (well under the delay) shows nothing
    with progress(total=3, desc="quick", enabled=True) as bar:
        bar.update(3)
    assert capsys.readouterr() == ("", "")


# --- the public calls: same result with the bar on and off -------------------------------------
def _run_both(capsys, call: Callable[[bool], Any], desc: str) -> tuple[Any, Any]:
    """``call(progress)`` with the bar off then on: (off, on); checks stderr and stdout."""
    off = call(False)
    assert capsys.readouterr() == ("", ""), "progress=False wrote something"
    on = call(True)
    out, err = capsys.readouterr()
    assert out == "", "a bar wrote to stdout"
    assert desc in err, f"no {desc!r} bar on stderr: {err!r}"
    return off, on


def _same_frames(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame]) -> None:
    assert list(a) == list(b)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], check_exact=True)


@pytest.mark.parametrize(
    ("name", "kwargs", "desc"),
    [
        ("mpi_survey", {"n": 60_000}, "mpi_survey"),  # two internal blocks
        ("dhs_rounds", {"n": 300}, "dhs_rounds"),
        ("dhs_rounds", {"n": 300, "format": "persons"}, "dhs_rounds"),
        ("registry_panel", {"n": 300}, "registry_panel"),
        ("registry_panel", {"n": 300, "format": "xarray"}, "registry_panel"),
        ("campus_card", {"n": 40}, "campus_card"),
        ("county_lsi", {"n": 500}, "county_lsi"),
    ],
)
def test_generate_is_identical_with_progress(capsys, at_once, name, kwargs, desc):
    off, on = _run_both(
        capsys, lambda p: mpi.datasets.generate(name, seed=3, progress=p, **kwargs), desc
    )
    if isinstance(off, dict):
        _same_frames(off, on)
    elif isinstance(off, xr.Dataset):
        xr.testing.assert_identical(off, on)
    else:
        pd.testing.assert_frame_equal(off, on, check_exact=True)
    default = mpi.datasets.generate(name, seed=3, **kwargs)  # automatic: silent here
    assert capsys.readouterr() == ("", "")
    if isinstance(off, pd.DataFrame):
        pd.testing.assert_frame_equal(off, default, check_exact=True)


def test_generate_rejects_a_bad_progress_before_working():
    with pytest.raises(ValidationError, match="progress must be"):
        mpi.datasets.generate("mpi_survey", n=10, progress="on")
    with pytest.raises(ValidationError, match="progress must be"):
        mpi.datasets.generate("registry_panel", n=10, progress=2)


def test_bootstrap_factors_are_identical_with_progress(capsys, at_once):
    n_h, starts, fpc = [3, 1, 4], [0, 3, 4], [1.0, 1.0, 0.5]
    off, on = _run_both(
        capsys, lambda p: rao_wu_factors(n_h, starts, fpc, 25, seed=4, progress=p), "bootstrap"
    )
    assert np.array_equal(off, on)
    assert np.array_equal(off, rao_wu_factors(n_h, starts, fpc, 25, seed=4))
    off, on = _run_both(
        capsys, lambda p: unit_bootstrap_factors(9, 7, seed=2, progress=p), "bootstrap"
    )
    assert np.array_equal(off, on)
    rows = list(iter_unit_bootstrap_factors(9, 7, 2, progress=True))
    assert np.array_equal(np.stack(rows), off)
    assert "7/7" in capsys.readouterr().err
    with pytest.raises(ValidationError, match="progress must be"):
        rao_wu_factors(n_h, starts, fpc, 5, progress="yes")
    with pytest.raises(ValidationError, match="progress must be"):
        next(iter_unit_bootstrap_factors(3, 2, progress="yes"))


def test_relapse_bootstrap_is_identical_with_progress(capsys, at_once, registry_panel):
    def call(p: bool) -> xr.Dataset:
        res = mpi.relapse(
            registry_panel, status="latent_poor", weight="weight", bootstrap=12, seed=5,
            progress=p,
        )  # fmt: skip
        return res.to_dataset()

    off, on = _run_both(capsys, call, "bootstrap")
    xr.testing.assert_identical(off, on)
    assert "survival_bse" in off and np.isfinite(off["survival_bse"]).any()
    with pytest.raises(ValidationError, match="progress must be"):
        mpi.relapse(registry_panel, status="latent_poor", progress="yes")


def _registry_sources(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    depts = ["poverty_office", "civil_affairs", "health", "education", "housing", "water"]
    src = {"households": tables["households"], **{d: tables[d] for d in depts}}
    src["civil_affairs"] = src["civil_affairs"].rename(
        columns={"income_assessed": "income_per_capita"}
    )
    return src


def test_merge_sources_is_identical_with_progress(capsys, at_once, registry_tables):
    sources = _registry_sources(registry_tables)

    def call(p: bool):
        return merge_sources(
            sources,
            unit="hh_id",
            duplicates=("last", "record_id"),
            rules={"hh_size": "first", "income_per_capita": "first"},
            rtol={"income_per_capita": 0.1},
            progress=p,
        )

    (ds_off, rep_off), (ds_on, rep_on) = _run_both(capsys, call, "merge_sources")
    ds_off.attrs.pop("history"), ds_on.attrs.pop("history")  # time stamps
    xr.testing.assert_identical(ds_off, ds_on)
    pd.testing.assert_frame_equal(rep_off.conflicts, rep_on.conflicts, check_exact=True)
    pd.testing.assert_frame_equal(rep_off.sources, rep_on.sources, check_exact=True)
    with pytest.raises(ValidationError, match="progress must be"):
        merge_sources(sources, unit="hh_id", progress="yes")


def test_panel_from_long_is_identical_with_progress(capsys, at_once):
    rng = np.random.default_rng(0)
    n = 2000
    df = pd.DataFrame(
        {
            "id": np.repeat(np.arange(n // 4), 4),
            "year": np.tile([2015, 2016, 2018, 2019], n // 4),
            "x": rng.normal(size=n),
            "k": rng.integers(0, 5, n),
            "w": np.repeat(rng.random(n // 4), 4),
        }
    )

    def call(p: bool) -> xr.Dataset:
        return panel_from_long(df, unit="id", time="year", static=["w"], progress=p)

    off, on = _run_both(capsys, call, "panel_from_long")
    off.attrs.pop("history"), on.attrs.pop("history")
    xr.testing.assert_identical(off, on)
    assert off["x"].values[3, 2] == df["x"].iloc[14]
    with pytest.raises(ValidationError, match="progress must be"):
        panel_from_long(df, unit="id", time="year", progress="yes")


@pytest.mark.parametrize("method", ["nonparametric", "logit"])
def test_relapse_risk_is_identical_with_progress(capsys, at_once, registry_panel, method):
    spec = mpi.presets.china_2b3g()

    def call(p: bool) -> xr.Dataset:
        res = mpi.relapse_risk(
            registry_panel, spec, weight="weight", fit_until=2020, method=method, progress=p
        )
        return res.to_dataset()

    off, on = _run_both(capsys, call, "relapse_risk")
    xr.testing.assert_identical(off, on)
    assert np.isfinite(off["risk"].values).any()
    with pytest.raises(ValidationError, match="progress must be"):
        mpi.relapse_risk(registry_panel, spec, weight="weight", progress="yes")
