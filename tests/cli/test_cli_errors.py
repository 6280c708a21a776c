"""Errors of the command line: one line on stderr, ``mpi: error: ...``, exit code 2, nothing
written; ``--debug`` shows the traceback; click's usage errors exit 2 too. One test runs the
installed ``mpi`` script in a real subprocess."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cli_helpers import invoke

import mpi

SPEC = ("--spec", "global_mpi_2018")


def _one_error_line(result, starts: str) -> str:
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    errors = [line for line in lines if line.startswith("mpi: error: ")]
    assert len(errors) == 1 and lines[-1] == errors[0], result.stderr
    assert "Traceback" not in result.stderr
    assert errors[0].startswith("mpi: error: " + starts), errors[0]
    return errors[0]


def test_missing_file(tmp_path):
    result = invoke("measure", tmp_path / "survey.csv", *SPEC, "--out", tmp_path / "out")
    line = _one_error_line(result, f"path '{tmp_path / 'survey.csv'}' does not exist")
    assert "check the name" in line
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--by", "regoin", "--by 'regoin' is not a column of DATA (did you mean 'region'?)"),
        ("--weight", "wt", "--weight 'wt' is not a column of DATA"),
        ("--size", "hhsize", "--size 'hhsize' is not a column of DATA (did you mean 'hh_size'?)"),
        ("--psu", "cluster", "--psu 'cluster' is not a column of DATA"),
    ],
)
def test_missing_column_names_the_option(latest_files, tmp_path, option, value, message):
    for fmt in ("csv", "dta"):
        result = invoke("measure", latest_files[fmt], *SPEC, option, value, "--out", tmp_path)
        line = _one_error_line(result, message)
        assert "; it has: round, year, hh_id" in line
    assert list(tmp_path.iterdir()) == []


def test_missing_indicator_variable(latest, tmp_path):
    path = tmp_path / "no_assets.parquet"
    mpi.io.write(latest.drop(columns=["assets"]), path)
    result = invoke("measure", path, *SPEC, "--out", tmp_path / "out")
    _one_error_line(result, "indicator variable 'assets' is not in the data")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("k: 1/3\n", "the spec has no 'indicators'"),
        ("k: 1/3\nindicators:\n- {name: a, weight: 1/2}\n", "weights must sum to 1"),
        ("k: [1/3\n", "spec file"),
        ("k: 1/3\nindicators:\n- {name: a, weight: 1, cutof: 2}\n", "indicators[0]"),
    ],
)
def test_bad_spec(latest_files, tmp_path, body, message):
    spec = tmp_path / "spec.yml"
    spec.write_text(body, encoding="utf-8")
    result = invoke("measure", latest_files["csv"], "--spec", spec, "--out", tmp_path / "out")
    _one_error_line(result, "")
    assert message in result.stderr
    checked = invoke("spec", "check", spec)
    _one_error_line(checked, "")
    assert not (tmp_path / "out").exists()


def test_unknown_spec_name(latest_files, tmp_path):
    result = invoke("measure", latest_files["csv"], "--spec", "global_mpi", "--out", tmp_path)
    _one_error_line(result, "--spec 'global_mpi' is neither a preset (china_2b3g, global_mpi_2018)")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("survey.foo", b"a,b\n1,2\n", "file type '.foo' is not supported"),
        ("survey.yml", b"k: 1/3\n", "file type '.yml' is not supported"),
        ("survey.dta", b"\x89PNG\r\n\x1a\n" + bytes(200), "could not read"),
        ("survey.parquet", b"a,b\n1,2\n", "could not read"),
    ],
)
def test_wrong_file_type(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    result = invoke("measure", path, *SPEC, "--out", tmp_path / "out")
    _one_error_line(result, message)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--query", "round === 2"), "--query 'round === 2' failed (SyntaxError"),
        (("--query", "round == 1999"), "--query 'round == 1999' selects no rows of the 3,000"),
        (("--query", "provinc == 1"), "--query 'provinc == 1' failed"),
        (("--k", "2"), "--k '2' is not a poverty cutoff (not in (0, 1])"),
        (("--k", "1/3,,0.5"), "--k '1/3,,0.5' has an empty name"),
        (("--by", "region,"), "--by 'region,' has an empty name"),
        (("--fpc", "weight"), "--fpc 'weight' needs the design's --strata and/or --psu"),
    ],
)
def test_bad_options(latest_files, tmp_path, args, message):
    result = invoke("measure", latest_files["csv"], *SPEC, *args, "--out", tmp_path / "out")
    _one_error_line(result, message)


def test_change_needs_a_design(rounds_csv, tmp_path):
    result = invoke("change", rounds_csv, *SPEC, "--rounds", "round", "--out", tmp_path)
    _one_error_line(result, "mpi change needs standard errors, so the survey design")


def test_panel_errors(tmp_path, registry_panel):
    long = tmp_path / "long.csv"
    registry_panel[["income_per_capita", "weight"]].to_dataframe().reset_index().to_csv(
        long, index=False
    )
    result = invoke("panel", long, "--spec", "china_2b3g", "--unit", "hh_id", "--out", tmp_path)
    _one_error_line(result, "--unit 'hh_id' is not a column of DATA (a long table")
    result = invoke("panel", long, "--spec", "china_2b3g", "--k", "1/7,2/7", "--out", tmp_path)
    _one_error_line(result, "--k '1/7,2/7': mpi panel takes one poverty cutoff")
    result = invoke(
        "panel", long, "--spec", "china_2b3g", "--monitor-line", "5000", "--out", tmp_path
    )
    _one_error_line(result, "monitoring needs the income (--monitor-income")


def test_debug_shows_the_exception(latest_files, tmp_path):
    with pytest.raises(mpi.ValidationError, match="--by 'regoin'"):
        invoke(
            "measure", latest_files["csv"], *SPEC, "--by", "regoin", "--out", tmp_path, "--debug"
        )
    with pytest.raises(mpi.ValidationError, match="--by 'regoin'"):
        invoke(
            "--debug", "measure", latest_files["csv"], *SPEC, "--by", "regoin", "--out", tmp_path
        )


def test_usage_errors_exit_2():
    result = invoke("measure", "x.csv", "--out", "o")  # no --spec
    assert result.exit_code == 2 and "Missing option '--spec'" in result.stderr
    result = invoke("measure", "x.csv", *SPEC, "--out", "o", "--lang", "fr")
    assert result.exit_code == 2 and "'fr' is not one of 'en', 'zh'" in result.stderr
    result = invoke("measure", "x.csv", *SPEC, "--out", "o", "--min-cell", "0")
    assert result.exit_code == 2 and "--min-cell" in result.stderr
    assert invoke("nonsense").exit_code == 2


def test_every_command_has_help_with_examples():
    commands = [
        ("measure",), ("change",), ("panel",), ("spec", "template"), ("spec", "check"),
        ("datasets", "export"),
    ]  # fmt: skip
    top = invoke("--help")
    assert top.exit_code == 0 and "Examples:" in top.stdout
    for command in commands:
        result = invoke(*command, "--help")
        assert result.exit_code == 0, command
        assert "Examples:" in result.stdout and f"mpi {' '.join(command)}" in result.stdout
    for command in [("spec",), ("datasets",), ("datasets", "list"), ("datasets", "describe")]:
        result = invoke(*command, "--help")
        assert result.exit_code == 0 and "Example" in result.stdout, command


def _script() -> str:
    found = shutil.which("mpi", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.skip("the mpi script is not installed next to this Python (pip install -e .)")
    return found


def test_real_mpi_script(tmp_path, latest_files):
    env = {**os.environ, "XMPI_PROGRESS": "0"}
    script = _script()
    version = subprocess.run([script, "--version"], capture_output=True, text=True, env=env)
    assert version.returncode == 0 and version.stdout == f"mpi (xmpi) {mpi.__version__}\n"
    bad = subprocess.run(
        [script, "measure", str(latest_files["csv"]), *SPEC, "--by", "province", "--out",
         str(tmp_path)],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert bad.returncode == 2
    assert bad.stdout == ""
    assert bad.stderr.startswith("mpi: error: --by 'province' is not a column of DATA")
    assert bad.stderr.count("\n") == 1
    module = subprocess.run(
        [sys.executable, "-m", "mpi", "spec", "check", "global_mpi_2018"],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert module.returncode == 0 and module.stdout.endswith("The spec is valid.\n")
