#!/usr/bin/env python
"""Benchmark the panel-dynamics estimators against one pass over the data and plain numpy.

Run from the repository root::

    .venv/bin/python benchmarks/dynamics.py                    # 1e4 .. 1e6 units, best of 3
    .venv/bin/python benchmarks/dynamics.py --sizes 1e4 --repeat 1 --check   # smoke test

Workload: ``n`` units x 8 waves (2015 .. 2022) x 10 cardinal indicators ``x0 .. x9`` in
``(unit, time)`` float64 arrays (uniform on [0, 1), deprived when ``x < 0.3``, each value
kept from the previous wave with probability 0.7, so poverty persists), 2% of unit-waves
missing (gaps), global-MPI weights (4 x 1/6, 6 x 1/18), ``k = 1/3``, a panel weight ``w``
and 5 groups ``g`` over ``unit``.

Timed (best of ``--repeat`` after a JIT warm-up):

* ``X.sum()``: one pass over the ``n x 8 x 10`` indicator values;
* ``mpi.panel_states(panel, spec, weight="w")``: the one pass over the data that
  every estimator starts from;
* ``mpi.transitions(states, balance="pairs")``, ``mpi.spells(states)`` (duration
  distributions and hazards; the one-row-per-spell table separately),
  ``mpi.chronic(states, tau="1/2")`` (the measure with indicator, duration, period and
  group decompositions) and ``mpi.decompose_change(states, chained=True, balance="pairs")``;
* the issue's target, **transitions + spells + chronic** = states + the three estimators,
  as a ratio to ``X.sum()``; and the same with 5 groups (states with ``by="g"``, every
  estimator also per group: ``by_group()``);
* ``mpi.relapse(states)`` (issue 6: the Kaplan-Meier life table of re-entry after exit with
  linearised SEs, period relapse and first-entry rates, composition), whose target is
  ``panel_states`` + ``relapse`` within 3x ``X.sum()``, and
  ``mpi.relapse_risk(states, fit_until=2020)`` (the nonparametric early-warning model,
  fitted on the waves up to 2020 and scoring every unit-wave);
* a plain numpy implementation of the same transitions, spell-length counts, chronic
  headline and one-wave relapse hazard (:func:`numpy_dynamics`), checked against mpi to
  1e-12.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import platform
import sys
from pathlib import Path

import numpy as np
import xarray as xr

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import cpu_model, source_version, wait_for_quiet  # noqa: E402
from survey import best_of  # noqa: E402

import mpi  # noqa: E402

ROOT = Path(__file__).resolve().parent
D = 10
YEARS = np.arange(2015, 2023)
T = len(YEARS)
Z = 0.3
GAP = 0.02
TARGET = 3.0  # transitions + spells + chronic within 3x of one pass over the data


def make_spec() -> mpi.Spec:
    return mpi.Spec(
        [mpi.Indicator(f"x{j}", weight="1/6" if j < 4 else "1/18", cutoff=Z) for j in range(D)],
        k="1/3",
    )


def make_panel(n: int, seed: int = 2015) -> xr.Dataset:
    rng = np.random.default_rng(seed)
    data = {}
    gaps = rng.random((n, T)) < GAP
    for j in range(D):
        x = np.empty((n, T))
        x[:, 0] = rng.random(n)
        for t in range(1, T):
            keep = rng.random(n) < 0.7
            x[:, t] = np.where(keep, x[:, t - 1], rng.random(n))
        x[gaps] = np.nan
        data[f"x{j}"] = (("unit", "time"), x)
    data["w"] = ("unit", rng.uniform(0.5, 2.0, n))
    data["g"] = ("unit", rng.integers(0, 5, n))
    return xr.Dataset(data, coords={"unit": np.arange(n), "time": YEARS})


def numpy_dynamics(panel: xr.Dataset) -> dict[str, np.ndarray]:
    """Transitions, spell-length counts and the chronic headline in plain numpy."""
    X = np.stack([panel[f"x{j}"].values for j in range(D)])  # (d, n, T)
    w18 = np.array([3] * 4 + [1] * 6)
    observed = ~np.isnan(X).any(axis=0)
    score = np.tensordot(w18, X < Z, axes=1)  # integer score over 18
    poor = observed & (score >= 6)
    s = panel["w"].values
    # transitions, units observed in both waves of each pair
    both = observed[:, 1:] & observed[:, :-1]
    code = 2 * poor[:, :-1] + poor[:, 1:]
    flows = np.stack(
        [np.bincount(code[:, t][both[:, t]], s[both[:, t]], minlength=4) for t in range(T - 1)]
    ).reshape(T - 1, 2, 2)
    prob = flows / flows.sum(axis=2, keepdims=True)
    # spells: runs of equal observed status; a gap breaks a run
    status = np.where(observed, poor.astype(np.int8), -1)
    new = np.ones((len(s), T), bool)
    new[:, 1:] = status[:, 1:] != status[:, :-1]
    run_id = np.cumsum(new.ravel()) - 1
    lengths = np.bincount(run_id)
    run_state = status.ravel()[new.ravel()]
    keep = run_state >= 0
    spell_counts = np.stack(
        [np.bincount(lengths[keep & (run_state == st)], minlength=T + 1) for st in (0, 1)]
    )
    # chronic (balanced: observed in every wave), tau = 1/2 -> m = 4 of 8 waves
    bal = observed.all(axis=1)
    n_poor = poor.sum(axis=1)
    chi = bal & (n_poor >= 4)
    sb = s[bal].sum()
    H = s[chi].sum() / sb
    M0 = (s[chi] * (score * poor)[chi].sum(axis=1) / (18 * T)).sum() / sb
    # relapse hazard one wave after an exit (poor at t-1, non-poor at t, observed at t+1)
    exit_ = observed[:, :-2] & observed[:, 1:-1] & poor[:, :-2] & ~poor[:, 1:-1]
    at_risk = exit_ & observed[:, 2:]
    event = at_risk & poor[:, 2:]
    sw = s[:, None]
    relapse_hazard_1 = (sw * event).sum() / (sw * at_risk).sum()
    return {
        "probability": prob,
        "spell_counts": spell_counts,
        "H": H,
        "M0": M0,
        "relapse_hazard_1": relapse_hazard_1,
    }


def bench(n: int, repeat: int, spec: mpi.Spec, log) -> dict:
    panel = make_panel(n)
    arrays = [panel[f"x{j}"].values for j in range(D)]
    row: dict = {"n": n}
    row["pass"], _ = best_of(lambda: sum(float(a.sum()) for a in arrays), repeat)
    row["states"], states = best_of(lambda: mpi.panel_states(panel, spec, weight="w"), repeat)
    row["transitions"], tr = best_of(
        lambda: mpi.transitions(states, balance="pairs").to_dataset(), repeat
    )
    row["spells"], sp = best_of(lambda: mpi.spells(states).to_dataset(), repeat)
    sp_res = mpi.spells(states)
    row["spell_table"], table = best_of(sp_res.table, repeat)
    row["chronic"], ch = best_of(lambda: mpi.chronic(states, tau="1/2").to_dataset(), repeat)
    row["decompose"], _ = best_of(
        lambda: mpi.decompose_change(states, chained=True, balance="pairs").to_dataset(), repeat
    )
    row["relapse"], rl = best_of(lambda: mpi.relapse(states).to_dataset(), repeat)
    row["risk"], _ = best_of(
        lambda: mpi.relapse_risk(states, fit_until=int(YEARS[-3])).to_dataset(), repeat
    )
    row["target"] = row["states"] + row["transitions"] + row["spells"] + row["chronic"]
    row["relapse_target"] = row["states"] + row["relapse"]
    # the same with 5 groups (states by group, every estimator also per group)
    row["grouped"], _ = best_of(lambda: _all_by_group(panel, spec), repeat)
    row["numpy"], ref = best_of(lambda: numpy_dynamics(panel), repeat)
    # cross-checks
    err = float(np.nanmax(np.abs(tr["probability"].values - ref["probability"])))
    counts = sp["spell_count"].sum(["left_censored", "right_censored"])
    ours = np.zeros_like(ref["spell_counts"], dtype=float)
    for i, st in enumerate(("nonpoor", "poor")):
        c = counts.sel(state=st)
        ours[i, c["length"].values] = c.values
    err = max(err, float(np.abs(ours - ref["spell_counts"]).max()))
    err = max(err, abs(float(ch["H"]) - ref["H"]), abs(float(ch["M0"]) - ref["M0"]))
    err = max(err, abs(float(rl["hazard"].sel(time_since_exit=1)) - ref["relapse_hazard_1"]))
    row["max_abs_diff"] = err
    row["n_spells"] = len(table)
    log(
        f"n={n:>9,}: pass {row['pass']:.4f}  states {row['states']:.4f}  transitions "
        f"{row['transitions']:.4f}  spells {row['spells']:.4f} (+table {row['spell_table']:.4f}, "
        f"{len(table):,} spells)  chronic {row['chronic']:.4f}  decompose {row['decompose']:.4f}"
        f"  | target {row['target']:.4f} = {row['target'] / row['pass']:.2f}x pass, by group "
        f"{row['grouped']:.4f} = {row['grouped'] / row['pass']:.2f}x  | relapse "
        f"{row['relapse']:.4f} (states + relapse = {row['relapse_target'] / row['pass']:.2f}x "
        f"pass)  risk model {row['risk']:.4f}  | numpy "
        f"{row['numpy']:.4f}  | max diff {err:.1e}"
    )
    return row


def _all_by_group(panel: xr.Dataset, spec: mpi.Spec) -> None:
    states = mpi.panel_states(panel, spec, weight="w", by="g")
    mpi.transitions(states, balance="pairs").by_group()
    mpi.spells(states).by_group()
    mpi.chronic(states, tau="1/2").to_dataset()


def render(rows: list[dict], meta: str) -> str:
    head = (
        "| n | X.sum() | panel_states | transitions | spells | spell table | chronic | "
        "decompose (chained) | transitions + spells + chronic | ÷ X.sum() | same, by 5 groups | "
        "÷ X.sum() | relapse | states + relapse ÷ X.sum() | risk model (fit + score) | "
        "plain numpy | numpy ÷ ours |\n|---|" + "---:|" * 16
    )
    lines = [meta, "", head]
    for r in rows:
        lines.append(
            f"| {r['n']:.0e} | {r['pass']:.4f} | {r['states']:.4f} | {r['transitions']:.4f} | "
            f"{r['spells']:.4f} | {r['spell_table']:.4f} | {r['chronic']:.4f} | "
            f"{r['decompose']:.4f} | {r['target']:.4f} | {r['target'] / r['pass']:.2f} | "
            f"{r['grouped']:.4f} | {r['grouped'] / r['pass']:.2f} | {r['relapse']:.4f} | "
            f"{r['relapse_target'] / r['pass']:.2f} | {r['risk']:.4f} | "
            f"{r['numpy']:.4f} | {r['numpy'] / r['target']:.1f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--sizes", nargs="+", type=float, default=[1e4, 1e5, 1e6])
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--check", action="store_true", help="smoke test: run, cross-check, no file")
    p.add_argument("--out", type=Path, default=None)
    p.add_argument("--max-load", type=float, default=0.5, help="wait for this load average")
    p.add_argument("--max-wait", type=float, default=600.0, help="seconds to wait at most")
    args = p.parse_args(argv)
    if not args.check:
        wait_for_quiet(args.max_load, args.max_wait)
    spec = make_spec()
    bench(2000, 1, spec, lambda s: None)  # JIT warm-up
    rows = [bench(int(n), args.repeat, spec, print) for n in args.sizes]
    meta = (
        f"Results ({_dt.datetime.now(_dt.UTC):%Y-%m-%d %H:%M} UTC, seconds, best of "
        f"{args.repeat}; {cpu_model()}, {platform.python_version()}, xmpi "
        f"{source_version()})"
    )
    text = render(rows, meta)
    print(text)
    bad = [r for r in rows if r["max_abs_diff"] > 1e-12]
    if bad:
        print("numpy and mpi disagree", file=sys.stderr)
        return 1
    out = (
        args.out if args.out is not None else (None if args.check else ROOT / "dynamics_results.md")
    )
    if out is not None:
        out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
