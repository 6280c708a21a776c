"""``--tables-only``: just ``tables/*.csv`` (every estimate, the numbers of ``mpi.measure``),
no HTML, workbook or charts, and a process that never imports the report layer or matplotlib."""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap
import warnings

import pandas as pd
import pytest
from cli_helpers import invoke

import mpi

ARGS = (
    "--spec", "global_mpi_2018", "--weight", "weight", "--size", "hh_size", "--by", "region",
    "--strata", "stratum", "--psu", "psu", "--no-progress", "--tables-only",
)  # fmt: skip


@pytest.fixture(scope="module")
def expected(latest: pd.DataFrame) -> mpi.MeasureResult:
    people = latest.assign(person_weight=latest["weight"] * latest["hh_size"])
    design = mpi.Design("person_weight", strata="stratum", psu="psu")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mpi.MissingDataWarning)
        return mpi.measure(people, mpi.presets.global_mpi_2018(), by="region", design=design)


def test_tables_only_writes_the_results_frame_and_nothing_else(latest_files, expected, tmp_path):
    out = tmp_path / "run"
    result = invoke("measure", latest_files["csv"], *ARGS, "--out", out)
    assert result.exit_code == 0, result.output + result.stderr
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert written == ["tables/01_measure.csv"]
    assert "tables/01_measure.csv" in result.stdout
    frame = pd.read_csv(out / "tables" / "01_measure.csv", encoding="utf-8-sig")
    want = pd.read_csv(io.StringIO(mpi.results_frame(expected).to_csv(index=False)))
    assert list(frame.columns) == list(want.columns)
    assert len(frame) == len(want) >= 3 * 7
    keys = ["k", "measure", "indicator", "subgroup", "subgroup_value"]
    both = frame.merge(want, on=keys, validate="1:1")  # the regions in another order
    assert len(both) == len(want)
    for column in ("b", "se", "ll", "ul", "n"):
        gap = (both[f"{column}_x"] - both[f"{column}_y"]).abs()
        assert gap.max() < 1e-12 and both[f"{column}_x"].isna().equals(both[f"{column}_y"].isna())
    assert set(frame["weighting"]) == {"weight*hh_size"}


def test_tables_only_change_writes_the_rounds_and_the_changes(rounds_csv, tmp_path):
    args = (
        "--spec", "global_mpi_2018", "--rounds", "round", "--weight", "weight",
        "--size", "hh_size", "--strata", "stratum", "--psu", "psu", "--no-progress",
        "--tables-only", "--out", tmp_path / "change",
    )  # fmt: skip
    result = invoke("change", rounds_csv, *args)
    assert result.exit_code == 0, result.output + result.stderr
    files = sorted(p.name for p in (tmp_path / "change" / "tables").iterdir())
    assert files == ["01_measure.csv", "02_change.csv"]
    assert not (tmp_path / "change" / "report.html").exists()
    change = pd.read_csv(tmp_path / "change" / "tables" / "02_change.csv", encoding="utf-8-sig")
    assert {"b", "se"} <= set(change.columns) and change["se"].notna().any()


def test_a_tables_only_process_imports_neither_reports_nor_matplotlib(latest_files, tmp_path):
    code = f"""
        import sys
        from mpi.cli import main
        args = ["measure", {str(latest_files["csv"])!r}, *{list(ARGS)!r}, "--out",
                {str(tmp_path / "run")!r}]
        try:
            main(args, prog_name="mpi")
        except SystemExit as stop:
            assert not stop.code, stop.code
        heavy = ("matplotlib", "mpi.reporting.write", "mpi.plot", "openpyxl",
                 "mpi.cli.cmd_panel", "mpi.cli.cmd_audit", "mpi.auditing")
        print(sorted(m for m in heavy if m in sys.modules))
    """
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().splitlines()[-1] == "[]"


def test_help_lists_every_command_without_running_them() -> None:
    result = invoke("--help")
    assert result.exit_code == 0
    commands = result.stdout.split("Commands:")[1].split()
    for name in ("measure", "change", "panel", "spec", "datasets", "audit"):
        assert name in commands
    assert invoke("nope").exit_code == 2
