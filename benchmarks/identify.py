#!/usr/bin/env python
"""Benchmark unit-level identification, ``mpi.identify``: time, memory, agreement.

Run from the repository root::

    .venv/bin/python benchmarks/identify.py                   # 1e4 .. 1e7 units, best of 3
    .venv/bin/python benchmarks/identify.py --sizes 1e4 --repeat 1 --check   # smoke test

Workload: the units of ``benchmarks/run.py`` (``n`` x 10 cardinal indicators uniform on
[0, 1), deprived when ``x < 0.3``, weights 4 x 1/6 and 6 x 1/18, ``k = 1/3``), the indicators
grouped as the global MPI groups them (education x0 x1, health x2 x3, living standards
x4 .. x9; the dimensions matter only to the reweighting). The reweight variant: 10 % of
the units (drawn at random) miss one indicator value each (drawn at random), identified
with ``missing="reweight"`` (the OPHI rule; a unit missing a whole dimension would be
dropped, here none can be).

Timed (best of ``--repeat`` after a JIT warm-up; seconds):

* ``X.sum()``: one pass over the n x d indicator values (the floor for reading the data);
* ``mpi.measure(df, spec)`` (aggregates only, for scale);
* ``mpi.identify(df, spec)``; then ``.to_frame()`` on its result (one row per unit);
* plain numpy: flags ``X < z``, integer scores ``G @ w_int`` over the weights' common
  denominator ``L``, poor iff ``N * 3 >= L`` (exact integers), the score as a float;
* the reweight variant of both: numpy writes every reweighted score over one common
  denominator ``L * lcm(1 .. max W_q)`` (every observed dimension weight ``b_q`` divides it).

Checks (the script exits non-zero if they fail): poor status and dropped units identical,
the exact scores equal (``N_mpi * D_np == N_np * D_mpi`` in integers), the float scores to
1e-12.

Memory, per unit: the peak extra resident memory of the first ``mpi.identify`` call (RSS
high-water mark above the RSS before it, Linux ``/proc``), the peak of numpy allocations
during a separate call (``tracemalloc``), and the bytes the result keeps
(``Dataset.nbytes``).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import gc
import os
import platform
import sys
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import (  # noqa: E402
    NAMES,
    Data,
    _reset_peak_rss,
    _status_kb,
    cpu_model,
    source_version,
    wait_for_quiet,
)

import mpi  # noqa: E402

ROOT = Path(__file__).resolve().parent
D = len(NAMES)
Z = 0.3
DIMENSION = ["education"] * 2 + ["health"] * 2 + ["living"] * 6
MISSING_UNITS = 0.10
K_NUM, K_DEN = 1, 3


def make_spec() -> mpi.Spec:
    """benchmarks/run.py's spec, its indicators grouped into the global MPI's dimensions."""
    return mpi.Spec(
        [
            mpi.Indicator(
                f"x{j}", weight="1/6" if j < 4 else "1/18", cutoff=Z, dimension=DIMENSION[j]
            )
            for j in range(D)
        ],
        k="1/3",
    )


def with_missing(data: Data, seed: int = 99) -> None:
    """10 % of the units miss one indicator value each (in place)."""
    rng = np.random.default_rng(seed)
    rows = np.flatnonzero(rng.random(data.n) < MISSING_UNITS)
    cols = rng.integers(0, D, rows.size)
    data.X_cols[cols, rows] = np.nan


# ------------------------------------------------------------------------------------
# plain numpy
# ------------------------------------------------------------------------------------
def numpy_identify(X: np.ndarray, wint: np.ndarray, denom: int) -> dict[str, np.ndarray]:
    """Exact identification as a user would write it with numpy (n x d temporaries)."""
    G = X < Z
    num = G @ wint
    poor = num * K_DEN >= K_NUM * denom
    return {"num": num, "den": np.full(len(num), denom), "poor": poor, "score": num / denom,
            "dropped": np.zeros(len(num), bool)}  # fmt: skip


def numpy_reweight(
    X: np.ndarray, wint: np.ndarray, denom: int, dim_of: np.ndarray
) -> dict[str, np.ndarray]:
    """The OPHI rule in numpy: per dimension the observed weight ``b_q`` and deprived
    observed weight ``a_q``; score ``sum_q W_q a_q / (b_q L)``, written exactly over
    ``L * M`` with ``M = lcm(1 .. max_q W_q)`` (every ``b_q <= W_q`` divides it)."""
    obs = ~np.isnan(X)
    G = X < Z  # NaN compares false: a missing value is never deprived
    n_dims = int(dim_of.max()) + 1
    w_dim = np.bincount(dim_of, weights=wint, minlength=n_dims).astype(np.int64)
    big = int(np.lcm.reduce(np.arange(1, int(w_dim.max()) + 1)))
    num = np.zeros(len(X), np.int64)
    usable = np.ones(len(X), bool)
    for q in range(n_dims):
        cols = dim_of == q
        b = obs[:, cols] @ wint[cols]
        a = (G[:, cols] & obs[:, cols]) @ wint[cols]
        usable &= b > 0
        num += w_dim[q] * a * (big // np.where(b > 0, b, 1))
    den = denom * big
    num[~usable] = 0
    poor = (num * K_DEN >= K_NUM * den) & usable
    score = np.where(usable, num / den, np.nan)
    return {"num": num, "den": np.where(usable, den, 0), "poor": poor, "score": score,
            "dropped": ~usable}  # fmt: skip


def check(res: mpi.identification.identify.IdentificationResult, ref: dict, label: str) -> float:
    """Poor status, dropped units and exact scores identical; float scores to 1e-12."""
    ds = res.to_dataset()
    poor = ds["poor"].values
    if not np.array_equal(poor, ref["poor"]):
        raise SystemExit(
            f"{label}: poor status differs in {int((poor != ref['poor']).sum())} units"
        )
    if not np.array_equal(ds["missing"].values, ref["dropped"]):
        raise SystemExit(f"{label}: dropped units differ")
    num, den = ds["score_numerator"].values, ds["score_denominator"].values
    if not np.array_equal(num * ref["den"], ref["num"] * den):
        raise SystemExit(f"{label}: exact scores differ")
    diff = float(np.nanmax(np.abs(ds["score"].values - ref["score"])))
    same_nan = np.array_equal(np.isnan(ds["score"].values), np.isnan(ref["score"]))
    if not (diff <= 1e-12 and same_nan):
        raise SystemExit(f"{label}: scores differ by {diff:.3g}")
    return diff


# ------------------------------------------------------------------------------------
# timing and memory
# ------------------------------------------------------------------------------------
def best_of(fn, repeat: int, *, rss: bool = False):
    """(best seconds, peak extra RSS in bytes of the first call or None, last output)."""
    times, out, peak = [], None, None
    for i in range(repeat):
        out = None
        gc.collect()
        tracked = rss and i == 0 and _reset_peak_rss()
        base = _status_kb("VmRSS") if tracked else None
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
        if tracked and base is not None:
            peak = ((_status_kb("VmHWM") or base) - base) * 1024
    return min(times), peak, out


def traced_peak(fn) -> int:
    """Peak bytes allocated through Python and numpy during ``fn()`` (its result included)."""
    gc.collect()
    tracemalloc.start()
    try:
        out = fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del out
    return peak


def identify_quiet(df, spec, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mpi.MissingDataWarning)
        return mpi.identify(df, spec, **kw)


def bench(n: int, repeat: int, spec: mpi.Spec, log) -> dict:
    wint, denom = spec.integer_weights
    dim_of = spec.dimension_index
    row: dict = {"n": n, "t": {}, "mem": {}}
    t, mem = row["t"], row["mem"]
    data = Data(n)
    df = data.df
    t["sum"], _, _ = best_of(data.X_cols.sum, repeat)
    t["measure"], _, _ = best_of(lambda: mpi.measure(df, spec).to_dataset(), repeat)
    t["identify"], mem["rss"], res = best_of(lambda: mpi.identify(df, spec), repeat, rss=True)
    t["to_frame"], mem["rss_frame"], frame = best_of(res.to_frame, repeat, rss=True)
    assert len(frame) == n and frame["poor"].dtype == bool
    del frame
    mem["kept"] = res.to_dataset().nbytes
    mem["traced"] = traced_peak(lambda: mpi.identify(df, spec))
    t["numpy"], mem["rss_numpy"], ref = best_of(
        lambda: numpy_identify(data.X, wint, denom), repeat, rss=True
    )
    row["diff"] = check(res, ref, "numpy")
    del res, ref, df, data
    gc.collect()
    data = Data(n)
    with_missing(data)
    df = data.df
    row["missing_share"] = float(np.isnan(data.X_cols).any(axis=0).mean())
    t["identify_rw"], mem["rss_rw"], res = best_of(
        lambda: identify_quiet(df, spec, missing="reweight"), repeat, rss=True
    )
    t["numpy_rw"], _, ref = best_of(lambda: numpy_reweight(data.X, wint, denom, dim_of), repeat)
    row["diff_rw"] = check(res, ref, "numpy (reweight)")
    row["reweighted"] = int((res.to_dataset()["score_denominator"].values > denom).sum())
    log(
        f"n={n:.0e}: X.sum {t['sum']:.4f}  measure {t['measure']:.4f}  identify "
        f"{t['identify']:.4f} (+to_frame {t['to_frame']:.4f})  numpy {t['numpy']:.4f}  | "
        f"reweight: identify {t['identify_rw']:.4f} numpy {t['numpy_rw']:.4f}  | memory/unit: "
        f"RSS {_per(mem['rss'], n)}  traced {_per(mem['traced'], n)}  kept "
        f"{_per(mem['kept'], n)}  | max diff {max(row['diff'], row['diff_rw']):.1e}"
    )
    return row


def _per(nbytes: float | None, n: int) -> str:
    return "–" if nbytes is None else f"{max(nbytes, 0) / n:.0f}"


def render(rows: list[dict], meta: str) -> str:
    head = (
        "| n | X.sum() | measure | identify | to_frame | identify ÷ X.sum() | plain numpy | "
        "numpy ÷ identify | identify, 10 % reweight | numpy, reweight | peak extra RSS, "
        "B/unit (identify / to_frame / numpy) | numpy-traced peak, B/unit | result keeps, "
        "B/unit |\n|---|" + "---:|" * 13
    )
    lines = [meta, "", head]
    for r in rows:
        t, m, n = r["t"], r["mem"], r["n"]
        lines.append(
            f"| {n:.0e} | {t['sum']:.4f} | {t['measure']:.4f} | {t['identify']:.4f} | "
            f"{t['to_frame']:.4f} | {t['identify'] / t['sum']:.1f} | {t['numpy']:.4f} | "
            f"{t['numpy'] / t['identify']:.1f} | {t['identify_rw']:.4f} | {t['numpy_rw']:.4f} | "
            f"{_per(m['rss'], n)} / {_per(m['rss_frame'], n)} / {_per(m['rss_numpy'], n)} | "
            f"{_per(m['traced'], n)} | {_per(m['kept'], n)} |"
        )
    last = rows[-1]
    lines += [
        "",
        f"Checks: poor status, dropped units and exact scores identical to plain numpy; float "
        f"scores within {max(max(r['diff'], r['diff_rw']) for r in rows):.1e}. Reweight "
        f"variant: {100 * last['missing_share']:.1f} % of the units miss a value, "
        f"{last['reweighted']:,} reweighted scores with a larger denominator at "
        f"n = {last['n']:.0e}.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--sizes", nargs="+", type=float, default=[1e4, 1e5, 1e6, 1e7])
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--check", action="store_true", help="smoke test: run, cross-check, no file")
    p.add_argument("--out", type=Path, default=None)
    p.add_argument("--max-load", type=float, default=0.5, help="wait for this load average")
    p.add_argument("--max-wait", type=float, default=600.0, help="seconds to wait at most")
    args = p.parse_args(argv)
    if args.repeat < 1 or min(args.sizes) < 1000:
        p.error("sizes must be >= 1000 and repeat >= 1")
    spec = make_spec()
    t0 = time.perf_counter()
    bench(2000, 1, spec, lambda s: None)  # JIT warm-up (or numba cache load)
    warm = time.perf_counter() - t0
    load = os.getloadavg()[0]
    if not args.check:
        load = wait_for_quiet(args.max_load, args.max_wait)
    rows = [bench(int(n), args.repeat, spec, print) for n in sorted(args.sizes)]
    meta = (
        f"Results ({_dt.datetime.now(_dt.UTC):%Y-%m-%d %H:%M} UTC; seconds, best of "
        f"{args.repeat} after a {warm:.1f} s warm-up; {cpu_model()}, {os.cpu_count()} cores, "
        f"load {load:.2f} before, {os.getloadavg()[0]:.2f} after; Python "
        f"{platform.python_version()}, numpy {np.__version__}; xmpi {source_version()})"
    )
    text = render(rows, meta)
    print(text)
    out = (
        args.out if args.out is not None else (None if args.check else ROOT / "identify_results.md")
    )
    if out is not None:
        out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
