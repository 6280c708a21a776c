#!/usr/bin/env python
"""Benchmark the uncertainty and sensitivity analysis of a composite index.

Run from the repository root (only at the bundled size: the 2,284 counties of
``mpi.datasets.load("county_lsi")``)::

    .venv/bin/python benchmarks/composite.py                    # 1,000 draws, best of 1
    .venv/bin/python benchmarks/composite.py --draws 50 --check # smoke test, ~1 s

Workload: the bundled county data with the ``undp_china_lsi_2016`` preset (8 indicators,
one dimension, goalposts, arithmetic means, x 100), then
``result.uncertainty(draws=N, sobol=True)`` over 4 factors: normalisation in {goalposts,
minmax, rank}, aggregation of the index level in {arithmetic, geometric}, weights +-20 %
(one factor for both levels) and goalposts +-10 %: the Saltelli design, ``N (4 + 2)`` runs,
each an ``engine.evaluate`` + ``engine.ranks`` of all counties, Sobol indices of the mean
absolute rank shift (200 bootstrap resamples) and of every county's rank. The preset has one
dimension, so the index-level mean only applies the floor (0.01) to that one score: its Sobol
indices are about 0 here; it is a factor for the timing (and a real one for multi-dimension
specs such as the HDI).

Timed (seconds, best of ``--repeat``): ``mpi.composite`` (the point index, for scale), one
``engine.evaluate`` with contributions off (median of 50), and the whole analysis. Checks (exit
status 1 if they fail): with the spec's own choice (``normalisation=["goalposts"]``) every
run reproduces the point ranks exactly, and the analysis is reproducible with its seed.
Prints a markdown row for ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

import mpi.datasets
from mpi.composites import engine
from mpi.composites.compute import composite
from mpi.composites.spec import CompositeSpec
from mpi.composites.uncertainty import uncertainty
from mpi.errors import MissingDataWarning

ROOT = Path(__file__).resolve().parent.parent
PRESET = ROOT / "mpi" / "presets" / "undp_china_lsi_2016.yml"
FACTORS = {
    "normalisation": ["goalposts", "minmax", "rank"],
    "aggregation": ["arithmetic", "geometric"],
    "weights": 0.2,
    "goalposts": 0.1,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=1000, help="base rows N (default 1000)")
    parser.add_argument("--repeat", type=int, default=1, help="timed runs (best reported)")
    parser.add_argument("--bootstrap", type=int, default=200)
    parser.add_argument("--check", action="store_true", help="smoke mode: no README row")
    parser.add_argument(
        "--sizes", nargs="*", type=float, default=[],
        help="also time the point index on generated tables of these many counties (1e4 1e7)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if args.sizes:
        return scale(args.sizes, args.repeat)

    table = mpi.datasets.load("county_lsi")
    spec = CompositeSpec.from_yaml(PRESET)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingDataWarning)
        t0 = time.perf_counter()
        res = composite(table, spec, id="county_id")
        t_point = time.perf_counter() - t0
    n_units = int(np.isfinite(res.index.to_numpy()).sum())

    one = []
    for _ in range(50):
        t0 = time.perf_counter()
        engine.ranks(engine.evaluate(res.plan, contributions=False).index)
        one.append(time.perf_counter() - t0)

    best, out = float("inf"), None
    for _ in range(max(1, args.repeat)):
        t0 = time.perf_counter()
        out = uncertainty(res, draws=args.draws, bootstrap=args.bootstrap, seed=0, **FACTORS)
        best = min(best, time.perf_counter() - t0)
    assert out is not None
    runs = out.to_dataset().sizes["run"]

    ok = True
    fixed = uncertainty(res, draws=min(args.draws, 50), normalisation=["goalposts"])
    point = res.to_frame()["rank"].to_numpy()
    if not all(np.array_equal(r, point, equal_nan=True) for r in fixed.rank_draws):
        print("FAIL: the spec's own choices do not reproduce the point ranks", file=sys.stderr)
        ok = False
    again = uncertainty(res, draws=min(args.draws, 50), seed=3, **FACTORS)
    again2 = uncertainty(res, draws=min(args.draws, 50), seed=3, **FACTORS)
    if not np.array_equal(again.rank_draws, again2.rank_draws):
        print("FAIL: not reproducible with the seed", file=sys.stderr)
        ok = False

    sens = out.sensitivity()
    frame = out.to_frame()
    width = float((frame["rank_q95"] - frame["rank_q05"]).median())
    print(out.summary().text)
    print()
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"load {os.getloadavg()[0]:.2f}; python {platform.python_version()}"
    )
    print(
        f"mpi.composite (point): {t_point:.3f} s; one engine evaluate + ranks: "
        f"{1e3 * float(np.median(one)):.2f} ms; uncertainty: {best:.2f} s for {runs:,} runs "
        f"({1e3 * best / runs:.2f} ms/run); result {out.to_dataset().nbytes / 1e6:.0f} MB"
    )
    print("checks:", "passed" if ok else "FAILED")
    if not args.check:
        s = ", ".join(f"{f} {v:.2f}" for f, v in sens["total_order"].items())
        print()
        print(
            "| workload | runs | wall time (s) | ms / run | median 5-95 % rank width | "
            "total Sobol index of the mean abs. rank shift |"
        )
        print("|---|---|---|---|---|---|")
        print(
            f"| `county_lsi` 2,284 counties ({n_units:,} ranked), LSI preset, "
            f"`uncertainty(draws={args.draws}, sobol=True)`, 4 factors | {runs:,} | "
            f"{best:.2f} | {1e3 * best / runs:.2f} | {width:.0f} | {s} |"
        )
    return 0 if ok else 1


def plain_numpy_lsi(x: np.ndarray, posts: list[tuple[float, float, bool]]) -> np.ndarray:
    """The LSI recipe written directly in numpy: goalposts (logs for the densities), clip to
    [0, 1], arithmetic mean x 100; the reference the engine is timed and checked against."""
    total = np.zeros(x.shape[0])
    for j, (lo, hi, log) in enumerate(posts):
        col = np.log(x[:, j]) if log else x[:, j]
        a, b = (np.log(lo), np.log(hi)) if log else (lo, hi)
        total += np.clip((col - a) / (b - a), 0.0, 1.0)
    return 100.0 * (total / len(posts))


def _best(repeat: int, f: Callable[[], object]) -> float:
    times = []
    for _ in range(max(1, repeat)):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return min(times)


def scale(sizes: list[float], repeat: int) -> int:
    """The point index at 1e4..1e7 counties against plain numpy and one pass over the data."""
    spec = CompositeSpec.from_yaml(PRESET)
    names = list(spec.indicator_names)
    posts = [(*i.goalposts, i.transform == "log") for i in spec.indicators]  # type: ignore[misc]
    print(
        "| counties | `X.sum()` (s) | plain numpy LSI (s) | `mpi.composite` (s) | "
        "composite / numpy | composite / `X.sum()` | max abs. difference |"
    )
    print("|---|---|---|---|---|---|---|")
    ok = True
    for n in sizes:
        table = mpi.datasets.generate("county_lsi", n=int(n), seed=1, progress=False)
        x = table[names].to_numpy()

        t_sum = _best(repeat, lambda t=table: t[names].to_numpy().sum())
        t_np = _best(repeat, lambda t=table: plain_numpy_lsi(t[names].to_numpy(), posts))
        t_c = _best(repeat, lambda t=table: composite(t, spec))
        diff = float(
            np.max(np.abs(composite(table, spec).index.to_numpy() - plain_numpy_lsi(x, posts)))
        )
        ok &= diff <= 1e-12
        print(
            f"| {int(n):,} | {t_sum:.4f} | {t_np:.4f} | {t_c:.4f} | {t_c / t_np:.2f} | "
            f"{t_c / t_sum:.1f} | {diff:.1e} |"
        )
    print("checks:", "passed" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
