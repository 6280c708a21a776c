"""The benchmark script runs and its cross-checks (numpy, pandas vs mpi.measure) pass."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(script: str, *args: str) -> subprocess.CompletedProcess:
    """``benchmarks/<script> *args`` (default ``--sizes 1e4 --repeat 1 --check``: smoke mode,
    no file written), which must exit 0."""
    args = args or ("--sizes", "1e4", "--repeat", "1", "--check")
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return proc


def test_benchmark_smoke():
    _run("run.py")


def test_survey_benchmark_smoke():
    """benchmarks/survey.py runs and its numpy textbook SEs agree with mpi to 1e-10."""
    assert "numpy textbook vs mpi SE" in _run("survey.py").stdout


def test_dynamics_benchmark_smoke():
    """benchmarks/dynamics.py runs and its numpy transitions, spells and chronic agree."""
    assert "max diff" in _run("dynamics.py").stdout


def test_identify_benchmark_smoke():
    """benchmarks/identify.py runs and agrees with plain numpy (status exact, score 1e-12)."""
    assert "Checks: poor status" in _run("identify.py").stdout


def test_audit_benchmark_smoke():
    """benchmarks/audit.py at 12 x 1,000 payments vs 5,000 records: every planted hit found,
    counts add up (the script exits non-zero otherwise)."""
    proc = _run("audit.py", "--sizes", "1e3", "--repeat", "1", "--check")
    assert "| 1e+03 | 12,000 | 5,000 |" in proc.stdout
    assert "60 / 60" in proc.stdout


def test_composite_benchmark_smoke():
    """benchmarks/composite.py with 50 draws: the uncertainty analysis runs and its checks
    pass (fixed choices reproduce the point ranks; the script exits non-zero otherwise)."""
    proc = _run("composite.py", "--draws", "50", "--check")
    assert "checks: passed" in proc.stdout


def test_screening_features_benchmark_smoke():
    """benchmarks/screening_features.py on 300 students: the numba features equal the pandas
    groupby reference (the script exits non-zero otherwise)."""
    proc = _run("screening_features.py", "--n", "300", "--repeat", "1")
    assert "| 300 |" in proc.stdout


def test_scale_benchmark_smoke():
    """benchmarks/scale.py on small stores: lazy measure, identify and panel dynamics from zarr
    equal the in-memory results (the script exits non-zero otherwise)."""
    _run(
        "scale.py", "--units", "2e4", "--chunk", "2e3", "--panel-units", "5e3", "--panel-chunk",
        "1e3", "--long-units", "2e4", "--long-chunk", "3e3", "--check",
    )  # fmt: skip


def test_jobs_benchmark_smoke():
    """benchmarks/jobs.py on the bundled labour database: capacities respected, the optimal
    total at least the stable one, dense and sparse solvers equal (the script exits non-zero
    otherwise)."""
    proc = _run("jobs.py", "--scales", "1", "--repeat", "1", "--check")
    assert "| bundled labour_market x1 | 7,658 |" in proc.stdout
    assert "checks: passed" in proc.stdout
