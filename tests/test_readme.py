"""The README's API example must run as written."""

import re
import warnings
from pathlib import Path

import mpi

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_example_runs(capsys):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert blocks, "README has no python example"
    code = blocks[0]
    assert len(code.strip().splitlines()) <= 12
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mpi.MissingDataWarning)
        namespace: dict = {}
        exec(compile(code, str(README), "exec"), namespace)
    out = capsys.readouterr().out
    m0 = float(out.splitlines()[0])
    assert 0.0 < m0 < 1.0
    res = namespace["res"]
    assert abs(float(res.overall.M0.sel(k=1 / 3)) - m0) < 1e-15
    # the comment quotes the number it prints (the person-weighted global MPI of the demo)
    assert f"{m0:.4f}" in code


def test_readme_survey_example_runs(capsys):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert len(blocks) >= 2, "README lost its survey example"
    code = blocks[1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mpi.MissingDataWarning)
        namespace: dict = {}
        exec(compile(code, str(README), "exec"), namespace)
    out = capsys.readouterr().out
    assert "annualized_relative" in out and "H_part" in out
    change = namespace["change"]
    dec = change.decomposition()
    assert abs(float((dec.H_part + dec.A_part - dec.delta_M0).max())) < 1e-15


def test_readme_panel_example_runs(capsys):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert len(blocks) >= 3, "README lost its panel-dynamics example"
    namespace: dict = {}
    exec(compile(blocks[2], str(README), "exec"), namespace)
    out = capsys.readouterr().out
    assert "exit_rate" in out or "2022" in out
    dec = namespace["dec"]
    total = dec.entry - dec.exit + dec.stayers
    assert abs(float(total - dec.delta_M0)) < 1e-15
    assert abs(float(dec.reentry + dec.first_entry - dec.entry)) < 1e-15
    assert float(dec.reentry) > 0
