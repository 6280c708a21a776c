"""``mpi change`` and ``mpi panel`` end to end on the bundled data: the numbers of the report's
CSV tables are those of the Python calls the commands stand for (to 1e-12)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from cli_helpers import invoke, sheet_with_header

import mpi

DESIGN = ("--weight", "weight", "--size", "hh_size", "--strata", "stratum", "--psu", "psu")
MONITORING = (
    "--monitor-line", "monitoring_line", "--monitor-income", "income_per_capita",
    "--monitor-start", "2020", "--monitor-exited", "poverty_status",
    "--monitor-exited-values", "exited", "--monitor-labour", "labour_capacity",
    "--monitor-events", "shock_illness,shock_disaster",
)  # fmt: skip


def _numbers(folder: Path, pattern: str) -> np.ndarray:
    """Every number in the CSV tables ``tables/<pattern>`` of a report."""
    values = []
    for path in sorted((folder / "tables").glob(pattern)):
        frame = pd.read_csv(path)
        for col in frame.columns:
            numeric = pd.to_numeric(frame[col], errors="coerce").dropna()
            values.extend(numeric.to_numpy(float))
    assert values, f"no numbers in {folder}/tables/{pattern}"
    return np.asarray(values)


def _assert_reported(found: np.ndarray, value: float, what: str) -> None:
    assert np.isfinite(value), what
    assert np.min(np.abs(found - value)) < 1e-12, f"{what} = {value!r} is not in the tables"


# -- change -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def change_run(rounds_csv, tmp_path_factory):
    folder = tmp_path_factory.mktemp("change")
    args = ("--spec", "global_mpi_2018", "--rounds", "round", *DESIGN, "--no-progress")
    return folder, invoke("change", rounds_csv, *args, "--out", folder)


@pytest.fixture(scope="module")
def change_expected(dhs_rounds) -> tuple[mpi.MeasureResult, mpi.ChangeResult]:
    people = dhs_rounds.assign(person_weight=dhs_rounds["weight"] * dhs_rounds["hh_size"])
    design = mpi.Design("person_weight", strata="stratum", psu="psu", rounds="round")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mpi.MissingDataWarning)
        rounds = mpi.measure(people, mpi.presets.global_mpi_2018(), by="round", design=design)
    return rounds, rounds.change("round")


def test_change_reports_both_rounds_and_the_changes(change_run, change_expected):
    folder, result = change_run
    assert result.exit_code == 0, result.output
    assert (folder / "report.html").is_file() and (folder / "report.xlsx").is_file()
    rounds, change = change_expected
    frame = pd.read_csv(folder / "tables" / "measures_results_frame.csv")
    ds, se = rounds.to_dataset(), rounds.se
    for m in ("H", "A", "M0"):
        for year in (2015, 2020):
            value = pd.to_numeric(frame["subgroup_value"], errors="coerce")
            row = frame[(frame["measure"] == m) & (value == year) & frame["indicator"].isna()]
            assert len(row) == 1, (m, year)
            assert abs(row["b"].iloc[0] - float(ds[m].sel(round=year))) < 1e-12
            assert abs(row["se"].iloc[0] - float(se[m].sel(round=year))) < 1e-12
    found = _numbers(folder, "changes*.csv")
    changes = change.to_frame()
    for kind in ("absolute", "relative"):
        for m in ("M0", "H", "A"):
            row = changes[(changes["measure"] == m) & (changes["change"] == kind)].iloc[0]
            _assert_reported(found, float(row["estimate"]), f"{kind} change of {m}")
            _assert_reported(found, float(row["se"]), f"SE of the {kind} change of {m}")
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert "Change between rounds" in page and "Poverty by survey round" in page


# -- panel --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def panel_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("panel")
    exported = invoke("datasets", "export", "registry_panel", folder / "data")
    assert exported.exit_code == 0, exported.output
    args = (
        "--spec", "china_2b3g", "--unit", "unit", "--time", "time", "--weight", "weight",
        "--by", "county", *MONITORING, "--no-progress",
    )  # fmt: skip
    out = folder / "report"
    return out, invoke("panel", folder / "data" / "registry_panel.csv", *args, "--out", out)


@pytest.fixture(scope="module")
def panel_expected(registry_panel: xr.Dataset) -> dict[str, object]:
    spec = mpi.presets.china_2b3g()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mpi.MissingDataWarning)
        waves = mpi.measure(registry_panel, spec, weight="weight", by="county", balance="observed")
        states = mpi.panel_states(registry_panel, spec, weight="weight", by="county")
        rules = mpi.MonitoringRules(
            line="monitoring_line", income="income_per_capita", start=2020,
            exited="poverty_status", exited_values=("exited",), labour="labour_capacity",
            events=("shock_illness", "shock_disaster"),
        )  # fmt: skip
        return {
            "waves": waves,
            "transitions": mpi.transitions(states, balance="pairs"),
            "chronic": mpi.chronic(states, tau="1/2", balance="observed"),
            "decomposition": mpi.decompose_change(states, start=2015, end=2022, balance="pairs"),
            "relapse": mpi.relapse(states),
            "monitoring": mpi.monitoring(registry_panel, rules, weight="weight", by="county"),
        }


def test_panel_runs_every_estimator(panel_run):
    folder, result = panel_run
    assert result.exit_code == 0, result.output
    assert (folder / "report.html").is_file() and (folder / "report.xlsx").is_file()
    for kind in ("transition", "chronic", "decomposition", "relapse", "monitoring"):
        assert list((folder / "tables").glob(f"{kind}*.csv")), kind
        assert list((folder / "charts").glob(f"{kind}*.png")), kind
    page = (folder / "report.html").read_text(encoding="utf-8")
    for title in ("Poverty by wave", "Chronic poverty", "Relapse after exit",
                  "Change from 2015 to 2022: entries, exits and stayers",
                  "Monitoring to prevent relapse"):  # fmt: skip
        assert title in page, title


def test_panel_waves_equal_mpi_measure(panel_run, panel_expected):
    folder, _ = panel_run
    frame = pd.read_csv(folder / "tables" / "measures_results_frame.csv")
    waves = panel_expected["waves"]
    overall, by_county = waves.overall.to_dataset(), waves.to_dataset()
    headline = frame[frame["measure"].isin(["H", "A", "M0"]) & frame["indicator"].isna()]
    assert len(headline) == 3 * 8 * (1 + by_county.sizes["county"])
    for row in headline.itertuples():
        ds = overall if pd.isna(row.subgroup_value) else by_county.sel(county=row.subgroup_value)
        want = float(ds[row.measure].sel(time=row.time))
        assert (np.isnan(want) and np.isnan(row.b)) or abs(row.b - want) < 1e-12, row
        assert row.n == int(ds["n_obs"].sel(time=row.time))
    sheet = sheet_with_header(folder / "report.xlsx", list(frame.columns))
    got = np.array([r[list(frame.columns).index("b")] for r in sheet[: len(frame)]], dtype=float)
    np.testing.assert_allclose(got, frame["b"].to_numpy(float), rtol=0, atol=1e-12)


def test_panel_dynamics_equal_the_python_calls(panel_run, panel_expected):
    folder, _ = panel_run
    chronic = panel_expected["chronic"].to_dataset()
    found = _numbers(folder, "chronic*.csv")
    for name in ("M0", "H", "D", "A"):
        _assert_reported(found, float(chronic[name]), f"chronic {name}")
    dec = panel_expected["decomposition"].overall.to_dataset()
    found = _numbers(folder, "decomposition*.csv")
    for name in ("delta_M0", "entry", "exit", "stayers"):
        _assert_reported(found, float(dec[name]), f"decomposition {name}")
    rates = panel_expected["transitions"].to_dataset()
    found = _numbers(folder, "transition*.csv")
    for name in ("pooled_entry_rate", "pooled_exit_rate"):
        _assert_reported(found, float(rates[name]), name)
    life = panel_expected["relapse"].to_dataset()
    found = _numbers(folder, "relapse*.csv")
    _assert_reported(found, float(life["n_exits"]), "exits")
    _assert_reported(found, float(life["mean_score_at_reentry"]), "mean score at re-entry")
    shares = panel_expected["monitoring"].to_dataset()["share"]
    found = _numbers(folder, "monitoring*.csv")
    for category in shares["category_name"].values:
        value = float(shares.sel(time=2022, category_name=category))
        _assert_reported(found, value, f"monitoring share {category}")
