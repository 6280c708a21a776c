"""``make demo`` runs the command line on the bundled data; its recipe, run here as written in
the Makefile, writes the three reports and the person-weighted global MPI the README quotes."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import warnings
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

import mpi

ROOT = Path(__file__).resolve().parents[1]


def _demo_commands() -> list[list[str]]:
    """The ``mpi`` command lines of the Makefile's demo recipe, as argument lists."""
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = text.split("\ndemo:", 1)[1].split("\n\n", 1)[0]
    lines = [ln.strip() for ln in recipe.splitlines()[1:] if ln.startswith("\t$(BIN)/mpi ")]
    return [shlex.split(ln)[1:] for ln in lines]


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    """Run the demo recipe in a fresh folder (``python -m mpi`` is the ``mpi`` script)."""
    where = tmp_path_factory.mktemp("demo")
    commands = _demo_commands()
    assert [c[0] for c in commands] == ["datasets", "datasets", "measure", "change", "panel"]
    for args in commands:
        run = subprocess.run(
            [sys.executable, "-m", "mpi", *args, "--no-progress"]
            if args[0] != "datasets"
            else [sys.executable, "-m", "mpi", *args],
            cwd=where, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        assert run.returncode == 0, f"mpi {' '.join(args)}\n{run.stderr}"
        assert "Traceback" not in run.stderr
    return where / "report"


def test_demo_writes_the_three_reports(demo):
    for folder in (demo, demo / "change", demo / "panel"):
        assert (folder / "report.html").stat().st_size > 50_000, folder  # charts embedded
        assert load_workbook(folder / "report.xlsx", read_only=True).sheetnames
        assert list((folder / "charts").glob("*.png")), folder
        assert list((folder / "tables").glob("*.csv")), folder


def test_demo_gives_the_readme_global_mpi(demo):
    """The national M0 of the survey report is the README's person-weighted global MPI
    (dhs_rounds, round 2020, weight x household size), with a design-based SE and CI."""
    frame = pd.read_csv(demo / "tables" / "measures_results_frame.csv", encoding="utf-8-sig")
    row = frame[(frame.measure == "M0") & frame.subgroup.isna()].iloc[0]
    df = mpi.datasets.load("dhs_rounds").query("round == 2020")
    people = df.assign(people=df["weight"] * df["hh_size"])
    design = mpi.Design("people", strata="stratum", psu="psu")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mpi.MissingDataWarning)
        res = mpi.measure(people, mpi.presets.global_mpi_2018(), by="region", design=design)
    assert row.b == pytest.approx(float(res.overall.M0), abs=1e-12)
    assert row.se == pytest.approx(float(res.overall.se["M0"]), abs=1e-12)
    assert row.ll < row.b < row.ul
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert re.search(rf"global MPI \(M0 at k = 1/3\): {row.b:.4f}", readme)


def test_demo_change_and_panel(demo):
    change = pd.read_csv(demo / "change" / "tables" / "changes_results_frame.csv",
                         encoding="utf-8-sig")
    m0 = change[(change.measure == "M0") & (change.change == "absolute")]
    assert len(m0) == 1 and m0.se.iloc[0] > 0 and m0.b.iloc[0] < 0
    page = (demo / "panel" / "report.html").read_text(encoding="utf-8")
    for word in ("relapse", "chronic", "transition"):
        assert word in page.lower(), word
