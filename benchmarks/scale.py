#!/usr/bin/env python
"""Bigger than memory: lazy estimators on Zarr stores, against one read of the same store.

Run from the repository root (needs about 12 GB free in ``--folder``; checks first)::

    .venv/bin/python benchmarks/scale.py                       # 1e8 units; 2e7 x 8 panel
    .venv/bin/python benchmarks/scale.py --units 2e5 --panel-units 1e5 --check   # smoke

Workloads, written block by block to Zarr stores in ``--folder`` (removed afterwards):

* **cross-section**: ``--units`` units (1e8) x 10 deprivation flags ``x0 .. x9`` (int8, 0/1,
  deprived with probability 0.3) and a float32 weight ``w``, in chunks of ``--chunk``
  units (1e6). Equal weights 1/10 over 3 dimensions, ``k = 1/3``;
* **panel**: ``--panel-units`` units (2e7) x 8 waves (2015 .. 2022) x 4 float64 flags
  ``i0 .. i3`` (each kept from the previous wave with probability 0.7; 2% of unit-waves
  missing) and a float64 weight ``w``, in chunks of ``--panel-chunk`` units (5e5).
  Weights 1/4, ``k = 1/2``.

Timed, once each, on the lazily opened store (``mpi.read``), with dask's threaded
scheduler (one thread per core, numba limited to one thread per task):

* ``read``: one pass over the store, summing every variable with dask (every chunk read and
  decompressed once): the floor any estimator pays;
* ``measure``: ``mpi.measure(ds, spec, weight="w")``, the AF measure with its unit counts;
* ``identify``: ``mpi.identify`` and the counts of poor, vulnerable and severely poor units
  (the per-unit outputs are computed block by block and summed, never held);
* ``panel_states + transitions``: ``mpi.transitions(mpi.panel_states(ds, spec,
  weight="w"))`` (the states stay lazy; the transition statistics are summed per block);
* **long table to panel store** (``--long-units``, 2e6 units x 8 waves, 5% of unit-waves
  absent, shuffled rows, 2 float64 variables and a static weight, as a Parquet file):
  ``mpi.panel_from_long(path, ..., store=..., chunk_units=2e5, rows=1e6)`` (run first, so
  its peak memory is its own) against the in-memory ``panel_from_long(pd.read_parquet(path))``.

For each: wall time, peak resident memory of the process during the step (``VmHWM``,
reset before each step through ``/proc/self/clear_refs``), throughput (values per
second) and the ratio to ``read``. ``--check`` (small sizes only) also runs the in-memory
estimators and asserts equal results. Results are printed as a Markdown table.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import os
import platform
import shutil
import sys
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import dask
import numba
import numpy as np
import xarray as xr

import mpi

YEARS = np.arange(2015, 2023)
D_CROSS = 10
D_PANEL = 4
P_DEPRIVED = 0.3
GAP = 0.02


# --- memory --------------------------------------------------------------------------------------
def status_kb(field: str) -> int:
    """A field of ``/proc/self/status`` in kB (0 where there is no such file)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def reset_peak() -> None:
    """Reset the peak resident memory (VmHWM) to the current one, where Linux allows it."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        pass


def timed(func: Callable[[], Any]) -> tuple[Any, float, float]:
    """``(result, seconds, peak GB)`` of one call."""
    reset_peak()
    t0 = time.perf_counter()
    out = func()
    return out, time.perf_counter() - t0, status_kb("VmHWM") / 2**20


# --- data ----------------------------------------------------------------------------------------
def write_cross_section(path: Path, n: int, chunk: int, seed: int = 1) -> int:
    """The cross-section store, written chunk by chunk; returns its size in bytes on disk."""
    rng = np.random.default_rng(seed)
    names = [f"x{j}" for j in range(D_CROSS)]
    template = xr.Dataset(
        {name: ("unit", dask.array.zeros(n, chunks=chunk, dtype=np.int8)) for name in names}
        | {"w": ("unit", dask.array.zeros(n, chunks=chunk, dtype=np.float32))}
    )
    template.to_zarr(path, mode="w", compute=False, zarr_format=2, consolidated=True)
    for lo in range(0, n, chunk):
        m = min(chunk, n - lo)
        block = {
            name: ("unit", (rng.random(m, dtype=np.float32) < P_DEPRIVED).astype(np.int8))
            for name in names
        }
        block["w"] = ("unit", rng.uniform(0.5, 2.0, m).astype(np.float32))
        xr.Dataset(block).to_zarr(path, region={"unit": slice(lo, lo + m)})
    return disk_bytes(path)


def write_panel(path: Path, n: int, chunk: int, seed: int = 2) -> int:
    """The panel store, written chunk by chunk; returns its size in bytes on disk."""
    rng = np.random.default_rng(seed)
    t = len(YEARS)
    names = [f"i{j}" for j in range(D_PANEL)]
    template = xr.Dataset(
        {name: (("unit", "time"), dask.array.zeros((n, t), chunks=(chunk, t))) for name in names}
        | {"w": ("unit", dask.array.zeros(n, chunks=chunk))},
        coords={"unit": np.arange(n), "time": YEARS},
    )
    template.to_zarr(path, mode="w", compute=False, zarr_format=2, consolidated=True)
    for lo in range(0, n, chunk):
        m = min(chunk, n - lo)
        g = np.empty((m, t, D_PANEL))
        g[:, 0] = rng.random((m, D_PANEL)) < P_DEPRIVED
        for w in range(1, t):
            keep = rng.random((m, D_PANEL)) < 0.7
            g[:, w] = np.where(keep, g[:, w - 1], rng.random((m, D_PANEL)) < P_DEPRIVED)
        g[rng.random((m, t)) < GAP] = np.nan
        block = {name: (("unit", "time"), g[:, :, j]) for j, name in enumerate(names)}
        block["w"] = ("unit", rng.uniform(0.5, 3.0, m))
        xr.Dataset(block).to_zarr(path, region={"unit": slice(lo, lo + m)})
    return disk_bytes(path)


def disk_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def cross_spec() -> mpi.Spec:
    inds = [
        mpi.Indicator(f"x{j}", weight=Fraction(1, D_CROSS), dimension=f"d{j % 3}")
        for j in range(D_CROSS)
    ]
    return mpi.Spec(inds, k=Fraction(1, 3))


def panel_spec() -> mpi.Spec:
    inds = [
        mpi.Indicator(f"i{j}", weight=Fraction(1, D_PANEL), dimension=f"d{j % 2}")
        for j in range(D_PANEL)
    ]
    return mpi.Spec(inds, k=Fraction(1, 2))


# --- steps ---------------------------------------------------------------------------------------
def read_all(ds: xr.Dataset) -> list[float]:
    """One pass over the store: every variable summed (every chunk read once)."""
    return [float(v) for v in dask.compute(*[ds[name].sum() for name in ds.data_vars])]


def identify_counts(ds: xr.Dataset, spec: mpi.Spec) -> dict[str, int]:
    out = mpi.identify(ds, spec, weight="w").to_dataset()
    names = ["poor", "vulnerable", "severe"]
    return dict(zip(names, map(int, dask.compute(*[out[n].sum() for n in names])), strict=True))


def dynamics(ds: xr.Dataset, spec: mpi.Spec) -> Any:
    return mpi.transitions(mpi.panel_states(ds, spec, weight="w"))


def write_long(path: Path, n: int, seed: int = 3) -> int:
    """A long table (one row per unit-wave, shuffled) as Parquet, in row groups of 1e6."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    t = len(YEARS)
    writer = None
    per = max(1, 1_000_000 // t)
    order = rng.permutation(-(-n // per))
    rows = 0
    for b in order:  # blocks of units in random order, rows shuffled within
        lo, hi = b * per, min(n, (b + 1) * per)
        unit = np.repeat(np.arange(lo, hi), t)
        year = np.tile(YEARS, hi - lo)
        keep = rng.random(len(unit)) >= 0.05
        shuffle = rng.permutation(int(keep.sum()))
        frame = {
            "hh": unit[keep][shuffle],
            "year": year[keep][shuffle],
            "income": rng.normal(3000.0, 800.0, int(keep.sum())),
            "deprived": (rng.random(int(keep.sum())) < P_DEPRIVED).astype(np.float64),
        }
        frame["weight"] = 1.0 + (frame["hh"] % 5) / 4.0
        table = pa.table(frame)
        writer = writer or pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
        rows += table.num_rows
    writer.close()
    return rows


def check_equal(a: xr.Dataset, b: xr.Dataset, what: str) -> None:
    a, b = a.compute(), b.compute()
    for name in a.data_vars:
        x, y = a[name].values, b[name].values
        if x.dtype.kind == "f":
            np.testing.assert_allclose(y, x, rtol=1e-12, atol=1e-12, equal_nan=True, err_msg=what)
        else:
            np.testing.assert_array_equal(y, x, err_msg=what)


def warm_up() -> None:
    """Load the compiled kernels (numba's disk cache) before anything is timed."""
    rng = np.random.default_rng(0)
    small = xr.Dataset(
        {f"x{j}": ("unit", (rng.random(100) < P_DEPRIVED).astype(np.int8)) for j in range(D_CROSS)}
        | {"w": ("unit", np.ones(100, np.float32))}
    ).chunk({"unit": 50})
    mpi.measure(small, cross_spec(), weight="w")
    identify_counts(small, cross_spec())
    g = (rng.random((100, len(YEARS))) < P_DEPRIVED).astype(float)
    panel = xr.Dataset(
        {f"i{j}": (("unit", "time"), g) for j in range(D_PANEL)} | {"w": ("unit", np.ones(100))},
        coords={"unit": np.arange(100), "time": YEARS},
    ).chunk({"unit": 50})
    dynamics(panel, panel_spec())


def row(
    what: str, values: float, data_gb: float, seconds: float, peak: float, base: float | None
) -> str:
    ratio = f"{seconds / base:.2f}×" if base else "1×"
    return (
        f"| {what} | {data_gb:.2f} | {seconds:.1f} | {values / seconds / 1e6:.0f} | "
        f"{peak:.2f} | {ratio} |"
    )


def run(args: argparse.Namespace) -> int:
    folder = Path(args.folder)
    folder.mkdir(parents=True, exist_ok=True)
    n, n_panel = int(float(args.units)), int(float(args.panel_units))
    chunk, panel_chunk = int(float(args.chunk)), int(float(args.panel_chunk))
    need = n * (D_CROSS + 4) + n_panel * (len(YEARS) * D_PANEL + 1) * 8
    free = shutil.disk_usage(folder).free
    if need > free * 0.8:
        print(
            f"needs up to {need / 1e9:.1f} GB in {folder}; {free / 1e9:.1f} GB free",
            file=sys.stderr,
        )
        return 2
    dask.config.set(scheduler="threads")
    warm_up()
    work = folder / f"xmpi-scale-{os.getpid()}"
    lines = []
    try:
        work.mkdir()
        cross, panel = work / "cross.zarr", work / "panel.zarr"
        t0 = time.perf_counter()
        disk = write_cross_section(cross, n, chunk)
        print(
            f"cross-section store: {disk / 1e9:.2f} GB on disk, written in "
            f"{time.perf_counter() - t0:.0f} s",
            file=sys.stderr,
            flush=True,
        )
        ds = mpi.read(cross)
        data_gb = sum(ds[v].nbytes for v in ds.data_vars) / 1e9
        values = n * (D_CROSS + 1)
        spec = cross_spec()
        _, base, peak = timed(lambda: read_all(ds))
        lines.append(
            row(
                f"cross-section {n:.0e}: read (sum every variable)",
                values,
                data_gb,
                base,
                peak,
                None,
            )
        )
        res, s, peak = timed(lambda: mpi.measure(ds, spec, weight="w"))
        lines.append(row("cross-section: `measure`", values, data_gb, s, peak, base))
        counts, s, peak = timed(lambda: identify_counts(ds, spec))
        lines.append(row("cross-section: `identify` + counts", values, data_gb, s, peak, base))
        print(
            f"M0 = {float(res['M0'].values.ravel()[0]):.6f}, H = "
            f"{float(res['H'].values.ravel()[0]):.6f}, counts {counts}",
            file=sys.stderr,
        )
        if args.check:
            mem = ds.load()
            check_equal(
                mpi.measure(mem, spec, weight="w").to_dataset(), res.to_dataset(), "measure"
            )
            assert counts == identify_counts(mem, spec)
        ds.close()
        shutil.rmtree(cross)

        t0 = time.perf_counter()
        disk = write_panel(panel, n_panel, panel_chunk)
        print(
            f"panel store: {disk / 1e9:.2f} GB on disk, written in "
            f"{time.perf_counter() - t0:.0f} s",
            file=sys.stderr,
            flush=True,
        )
        ds = mpi.read(panel)
        data_gb = sum(ds[v].nbytes for v in ds.data_vars) / 1e9
        values = n_panel * (len(YEARS) * D_PANEL + 1)
        spec = panel_spec()
        _, base, peak = timed(lambda: read_all(ds))
        lines.append(
            row(
                f"panel {n_panel:.0e} × 8: read (sum every variable)",
                values,
                data_gb,
                base,
                peak,
                None,
            )
        )
        res, s, peak = timed(lambda: dynamics(ds, spec))
        lines.append(row("panel: `panel_states` + `transitions`", values, data_gb, s, peak, base))
        if args.check:
            check_equal(dynamics(ds.load(), spec).to_dataset(), res.to_dataset(), "transitions")
        ds.close()
        shutil.rmtree(panel)

        n_long = int(float(args.long_units))
        if n_long:
            import pandas as pd

            long_path = work / "long.parquet"
            n_rows = write_long(long_path, n_long)
            options = {"unit": "hh", "time": "year", "static": ["weight"], "progress": False}
            values = n_rows * 5
            built, s, peak = timed(
                lambda: mpi.panel_from_long(
                    long_path,
                    store=work / "built.zarr",
                    chunk_units=int(float(args.long_chunk)),
                    rows=1_000_000,
                    **options,
                )
            )
            table_gb = n_rows * 5 * 8 / 1e9
            store_line = (
                f"long table {n_rows:.1e} rows: `panel_from_long(path, store=...)`",
                values,
                table_gb,
                s,
                peak,
            )
            whole, base, peak = timed(
                lambda: mpi.panel_from_long(pd.read_parquet(long_path), **options)
            )
            lines.append(
                row(
                    f"long table {n_rows:.1e} rows: `read_parquet` + `panel_from_long` in memory",
                    values,
                    table_gb,
                    base,
                    peak,
                    None,
                )
            )
            lines.append(row(*store_line, base))
            if args.check:
                assert built.load().equals(whole)
            del whole
    finally:
        shutil.rmtree(work, ignore_errors=True)
    stamp = _dt.date.today().isoformat()
    print(
        f"\n{stamp}, {platform.machine()}, {os.cpu_count()} cores, dask threaded scheduler, "
        f"numba pool {numba.config.NUMBA_NUM_THREADS} threads\n"
    )
    print(
        "| step | data in memory (GB) | wall (s) | throughput (M values/s) | "
        "peak RSS (GB) | time / read |"
    )
    print("|---|---|---|---|---|---|")
    print("\n".join(lines))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--units", default="1e8", help="cross-section units (1e8)")
    parser.add_argument("--chunk", default="1e6", help="cross-section units per chunk")
    parser.add_argument("--panel-units", default="2e7", help="panel units (2e7)")
    parser.add_argument("--panel-chunk", default="5e5", help="panel units per chunk")
    parser.add_argument(
        "--long-units",
        default="2e6",
        help="units of the long table built into a panel store (0: skip)",
    )
    parser.add_argument("--long-chunk", default="2e5", help="chunk_units of that store")
    parser.add_argument("--folder", default="/tmp", help="where the stores are written")
    parser.add_argument(
        "--check", action="store_true", help="also run in memory and compare (small sizes only)"
    )
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
