"""The one-line "compiling numba kernels" notice of kernels/_config.py.

numba announces a compilation (its ``"numba:compile"`` event) only after its disk cache
missed, so a fresh ``NUMBA_CACHE_DIR`` makes a process compile and print the notice, and a
second process with the same cache directory loads the kernels and prints nothing. The fast
tests compile two small helpers of ``_config`` (about a second); the end-to-end test with a
tiny :func:`mpi.measure` compiles the whole AF kernel chain (about 30 s on a cold cache) and
is marked slow.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from mpi.kernels import _config

NOTICE = "xmpi: compiling numba kernels (first run only; cached afterwards)…"

SMALL = """
from mpi.kernels import _config as c
assert c.cap_chunks(64, 100_000, 1000) == 16
assert c.chunk_range(10, 3, 2) == (8, 10)
"""

TINY_MEASURE = """
import pandas as pd, mpi
spec = mpi.Spec.from_dimensions({"a": ["a1", "a2"], "b": ["b1", "b2"]}, k=0.5)
df = pd.DataFrame({"a1": [0, 1, 1, 0], "a2": [0, 0, 1, 1], "b1": [0, 0, 1, 0], "b2": [0, 1, 1, 0]})
print(float(mpi.measure(df, spec)["M0"]))
"""


def _run(code: str, cache: Path, switch: str | None, cwd: Path) -> subprocess.CompletedProcess:
    """Run ``code`` in a new interpreter with numba's cache in ``cache`` (stderr a pipe)."""
    env = {k: v for k, v in os.environ.items() if k not in ("XMPI_PROGRESS", "NUMBA_DISABLE_JIT")}
    env.update(NUMBA_CACHE_DIR=str(cache), XMPI_NUMBA_CACHE="1", PYTHONIOENCODING="utf-8")
    if switch is not None:
        env["XMPI_PROGRESS"] = switch
    proc = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    return proc


def _notices(proc: subprocess.CompletedProcess) -> int:
    assert NOTICE not in proc.stdout  # stderr only
    return proc.stderr.splitlines().count(NOTICE)


def _cached_files(cache: Path) -> list[Path]:
    return [p for p in cache.rglob("*") if p.suffix in (".nbi", ".nbc")]


def test_the_notice_text_is_the_documented_one():
    assert _config.NOTICE == NOTICE


def test_notice_once_on_a_cold_cache_and_absent_on_a_warm_one(tmp_path):
    cache = tmp_path / "numba_cache"
    cache.mkdir()
    cold = _run(SMALL, cache, "1", tmp_path)
    assert _notices(cold) == 1  # two kernels compiled, one line
    assert _cached_files(cache), "numba wrote no cache entry: nothing was compiled"
    warm = _run(SMALL, cache, "1", tmp_path)
    assert _notices(warm) == 0
    assert warm.stderr == ""


@pytest.mark.parametrize("switch", ["0", None], ids=["XMPI_PROGRESS=0", "not-a-terminal"])
def test_silent_when_switched_off_or_stderr_is_not_a_terminal(tmp_path, switch):
    cache = tmp_path / "numba_cache"
    cache.mkdir()
    proc = _run(SMALL, cache, switch, tmp_path)
    assert _cached_files(cache), "numba wrote no cache entry: nothing was compiled"
    assert _notices(proc) == 0 and proc.stderr == ""


# --- the listener in this process ---------------------------------------------------------------
def _event(module: str) -> SimpleNamespace:
    func = SimpleNamespace(__module__=module)
    return SimpleNamespace(data={"dispatcher": SimpleNamespace(py_func=func)})


def test_listener_prints_once_for_the_package_only(capsys, monkeypatch):
    monkeypatch.setenv("XMPI_PROGRESS", "1")
    listener = _config.CompileNotice()
    listener.on_start(_event("numba.cpython.builtins"))  # numba's own helper: silent
    listener.on_start(_event("mpi.kernelsx"))  # a look-alike name: silent
    assert capsys.readouterr() == ("", "")
    listener.on_start(_event(f"{_config.PACKAGE}.af"))
    listener.on_start(_event(f"{_config.PACKAGE}.transitions"))
    listener.on_end(_event(f"{_config.PACKAGE}.af"))
    out, err = capsys.readouterr()
    assert out == "" and err.splitlines() == [NOTICE]


def test_listener_follows_the_switch_and_the_terminal(capsys, monkeypatch):
    monkeypatch.setenv("XMPI_PROGRESS", "0")
    listener = _config.CompileNotice()
    listener.on_start(_event(f"{_config.PACKAGE}.af"))
    assert capsys.readouterr() == ("", "") and listener.shown  # logged, not printed
    listener = _config.CompileNotice()
    monkeypatch.delenv("XMPI_PROGRESS")
    listener.on_start(_event(f"{_config.PACKAGE}.af"))  # pytest's stderr: no terminal
    assert capsys.readouterr() == ("", "") and listener.shown

    class Terminal:
        def isatty(self) -> bool:
            return True

    assert _config.notice_wanted(Terminal()) is True
    assert _config.notice_wanted(object()) is False
    notebook = type("OutStream", (), {"__module__": "ipykernel.iostream"})()
    assert _config.notice_wanted(notebook) is True  # a notebook shows stderr: say it there
    monkeypatch.setenv("XMPI_PROGRESS", "0")
    assert _config.notice_wanted(Terminal()) is False


@pytest.mark.slow  # compiles every AF kernel on a cold cache: about 30 s, minutes on a busy box
def test_tiny_measure_prints_the_notice_once_then_never(tmp_path):
    cache = tmp_path / "numba_cache"
    cache.mkdir()
    cold = _run(TINY_MEASURE, cache, "1", tmp_path)
    assert cold.stdout.strip() == "0.375"
    assert _notices(cold) == 1
    warm = _run(TINY_MEASURE, cache, "1", tmp_path)
    assert warm.stdout.strip() == "0.375"
    assert _notices(warm) == 0


def test_the_notice_is_logged_whatever_the_stream(caplog, monkeypatch):
    monkeypatch.setenv("XMPI_PROGRESS", "0")
    listener = _config.CompileNotice()
    with caplog.at_level("INFO", logger="mpi"):
        listener.on_start(_event(f"{_config.PACKAGE}.af"))
        listener.on_start(_event(f"{_config.PACKAGE}.panel"))
    assert [r.getMessage().split(" (cache")[0] for r in caplog.records] == [NOTICE]


# --- where the compiled kernels live ------------------------------------------------------------
def test_cache_root_follows_numba_then_xmpi_then_the_user_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "n"))
    monkeypatch.setenv("XMPI_CACHE_DIR", str(tmp_path / "x"))
    assert _config.cache_root() == tmp_path / "n" / "xmpi"
    monkeypatch.delenv("NUMBA_CACHE_DIR")
    assert _config.cache_root() == tmp_path / "x"
    monkeypatch.delenv("XMPI_CACHE_DIR")
    root = _config.cache_root()
    assert root.name == "numba" and "xmpi" in root.parts  # the user's cache folder
    assert _config.SOURCE_DIR not in root.parents  # never inside the (maybe read-only) install
    sub = _config.cache_dir().name
    assert sub.endswith(_config.KERNELS_STAMP[:16]) and ("parallel" in sub or "serial" in sub)


def test_the_stamp_covers_every_kernel_source_not_the_install_path(tmp_path):
    copy = tmp_path / "elsewhere"
    copy.mkdir()
    for path in _config.SOURCE_DIR.glob("*.py"):
        (copy / path.name).write_bytes(path.read_bytes())
    same = _config.kernels_stamp(copy)
    assert same == _config.kernels_stamp()  # a reinstall elsewhere: the same compiled kernels
    helper = copy / "_config.py"  # a helper edited: every kernel compiled against it is stale
    helper.write_bytes(helper.read_bytes() + b"\n# edited\n")
    assert _config.kernels_stamp(copy) != same


def test_entries_are_written_to_the_versioned_folder_only(tmp_path):
    cache = tmp_path / "numba_cache"
    cache.mkdir()
    _run(SMALL, cache, "0", tmp_path)
    files = _cached_files(cache)
    assert files, "numba wrote no cache entry: nothing was compiled"
    (folder,) = {p.parent for p in files}
    assert folder.parent == cache / "xmpi"
    assert folder.name.endswith(_config.kernels_stamp()[:16])
