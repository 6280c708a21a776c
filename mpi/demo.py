"""The xmpi demo: the global MPI on the bundled two-round survey, with tables and charts.

Run ``python -m mpi.demo --out report`` (this is what ``make demo`` does). On the bundled
``dhs_rounds`` survey it measures the global MPI 2018 (k = 1/3) for people (household
weight x household size): the latest round nationally and by region, and both rounds side
by side, with design-based standard errors and 95 % confidence intervals (strata and
clusters of the survey), and the change between rounds with its decomposition. It prints the
tables and writes into ``--out``: ``summary.txt``, ``measures.csv`` (tidy), ``regions.csv``
(estimates with SEs and CIs), ``rounds.csv``, ``changes.csv``, ``contributions_by_region.png``,
``m0_by_region.png``, ``changes.png``, ``k_curve.png`` and ``index.html`` tying them together.

A second part follows households of the bundled poverty registry (``registry_panel``,
2015-2022) with China's exit standard: poverty per wave, transitions, chronic poverty and the
change from 2016 to 2022 split into entries (relapses and first entries), exits and stayers,
written as ``dynamics.csv``, ``chronic.csv``, ``decomposition.csv``, ``trend.png``,
``transitions.png``, ``chronic_durations.png`` and ``decomposition.png``. Relapse after exit
(the Kaplan-Meier life table with bootstrap SEs), an early-warning watch list scored on the
last wave and the relapse-prevention monitoring categories follow, as ``relapse.csv``,
``watch_list.csv``, ``monitoring.csv`` and ``relapse.png``.
"""

from __future__ import annotations

import argparse
import html
import warnings
from pathlib import Path

import mpi

K_GRID = [0.1, 0.2, "1/3", 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]


def _table(res: mpi.MeasureResult, by: list[str]):
    """Estimate, SE and 95% logit CI of H, A and M0 per group, plus the sample size."""
    ds, se, ci = res.to_dataset(), res.se, res.ci()
    cols = {}
    for m in ("H", "A", "M0"):
        cols[m] = ds[m]
        cols[f"{m}_se"] = se[m]
        cols[f"{m}_lower"] = ci[m].sel(bound="lower", drop=True)
        cols[f"{m}_upper"] = ci[m].sel(bound="upper", drop=True)
    cols["n_obs"] = ds["n_obs"]
    import xarray as xr

    return xr.Dataset(cols).reset_coords(drop=True).to_dataframe()[list(cols)]


def run(out: Path) -> mpi.MeasureResult:
    """Compute the demo results and write the report into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    households = mpi.datasets.load("dhs_rounds")
    people = households.assign(person_weight=households["weight"] * households["hh_size"])
    latest_round = int(people["round"].max())
    latest = people[people["round"] == latest_round]
    spec = mpi.presets.global_mpi_2018()
    print(spec, end="\n\n")

    # each round is its own sample in the same strata; 40% of the clusters were revisited
    design = mpi.Design("person_weight", strata="stratum", psu="psu", rounds="round")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", mpi.MissingDataWarning)
        res = mpi.measure(latest, spec, by="region", design=design)
        res_k = mpi.measure(latest, spec, weight="person_weight", k=K_GRID)
        rounds = mpi.measure(people, spec, by="round", design=design)
    for w in caught[:1]:
        print(f"note: {w.message}\n")

    summary = f"Round {latest_round}\n\n" + res.summary()
    print(summary)
    regions = _table(res, ["region"])
    print("\nBy region, with design-based 95% confidence intervals (logit)\n"
          + regions.to_string(float_format="{:.4f}".format))
    regions.to_csv(out / "regions.csv")
    by_round = _table(rounds, ["round"])
    print("\nBoth rounds (national)\n" + by_round.to_string(float_format="{:.4f}".format))
    by_round.to_csv(out / "rounds.csv")
    change = rounds.change("round")
    changes = change.to_frame()
    print("\n" + change.summary())
    dec = change.decomposition()
    print(
        f"\ndM0 = {float(dec.delta_M0[0]):+.4f} = H part {float(dec.H_part[0]):+.4f} "
        f"+ A part {float(dec.A_part[0]):+.4f} (Shapley)"
    )
    changes.to_csv(out / "changes.csv", index=False)
    (out / "summary.txt").write_text(summary + "\n", encoding="utf-8")
    res.to_frame().to_csv(out / "measures.csv", index=False)
    ax = mpi.plot.estimates(res, "M0")
    ax.figure.savefig(out / "m0_by_region.png", dpi=150)
    ax = mpi.plot.changes(change)
    ax.figure.savefig(out / "changes.png", dpi=150)

    ax = mpi.plot.contributions(res)
    ax.figure.savefig(out / "contributions_by_region.png", dpi=150)
    ax = mpi.plot.k_curve(res_k)
    ax.figure.savefig(out / "k_curve.png", dpi=150)

    dynamics_html = _dynamics(out)

    page = f"""<!doctype html><html><head><meta charset="utf-8">
<title>xmpi demo: global MPI on the bundled two-round survey</title>
<style>body{{font-family:sans-serif;max-width:60rem;margin:2rem auto}}
table{{border-collapse:collapse}}td,th{{padding:2px 8px;border-bottom:1px solid #ddd}}</style>
</head><body><h1>Global MPI 2018 on the bundled survey (<code>dhs_rounds</code>)</h1>
<h2>Round {latest_round}</h2>
{res._repr_html_()}
<h2>By region, with 95% confidence intervals</h2>
{regions.to_html(float_format="{:.4f}".format)}<img src="m0_by_region.png" width="650">
<h2>Both rounds</h2>{by_round.to_html(float_format="{:.4f}".format)}
<h2>Change between rounds</h2>{changes.to_html(index=False, float_format="{:.4f}".format)}
<img src="changes.png" width="650">
<h2>Contributions by region</h2><img src="contributions_by_region.png" width="800">
<h2>Robustness to k</h2><img src="k_curve.png" width="650">
<h2>Specification</h2><pre>{html.escape(repr(spec))}</pre>
{dynamics_html}
<p>Generated by xmpi {mpi.__version__}. Data: synthetic, CC0.</p></body></html>"""
    (out / "index.html").write_text(page, encoding="utf-8")
    print(f"\nreport written to {out.resolve()}/ (index.html, 9 charts, tables)")
    return res


def _dynamics(out: Path) -> str:
    """Panel part of the report: the registry's households followed over 2015-2022."""
    panel = mpi.datasets.load("registry_panel", format="xarray")
    spec = mpi.presets.china_2b3g()
    print("\n" + "=" * 72 + "\nPoverty dynamics in the registry panel (China's exit standard)\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mpi.MissingDataWarning)
        per_wave = mpi.measure(panel, spec, weight="weight", by="county", balance="observed")
    states = mpi.panel_states(panel, spec, weight="weight")
    tr = mpi.transitions(states, balance="pairs")
    ch = mpi.chronic(states, tau="1/2", balance="observed")
    dc = mpi.decompose_change(states, start=2016, end=2022, balance="pairs")
    rates = tr.to_dataset()[["entry_rate", "exit_rate"]].to_dataframe()
    rates.insert(0, "H", per_wave.overall.to_dataset()["H"].to_series().iloc[1:].values)
    print("Headcount and entry/exit rates by wave\n" + rates.to_string(float_format="{:.4f}".format))
    chronic = ch.to_frame(["M0", "H", "D", "A", "M0_transient"])
    print("\nChronic poverty (poor in at least half of the observed waves)\n"
          + chronic.to_string(index=False, float_format="{:.4f}".format))
    dec = dc.to_frame(["delta_M0", "entry", "reentry", "first_entry", "exit", "stayers"])
    print("\nChange in M0, 2016-2022 = entry - exit + stayers\n"
          + dec.to_string(index=False, float_format="{:.4f}".format))
    rates.to_csv(out / "dynamics.csv")
    chronic.to_csv(out / "chronic.csv", index=False)
    dec.to_csv(out / "decomposition.csv", index=False)
    charts = {
        "trend.png": mpi.plot.trend(per_wave, "H", group="county"),
        "transitions.png": mpi.plot.transition_matrix(tr),
        "chronic_durations.png": mpi.plot.chronic_durations(ch),
        "decomposition.png": mpi.plot.decomposition(dc),
    }
    for name, ax in charts.items():
        ax.figure.savefig(out / name, dpi=150)
    relapse_html = _relapse(out, panel, states)
    fmt = "{:.4f}".format
    return f"""<h1>Poverty dynamics in the registry panel (<code>registry_panel</code>)</h1>
<p>{states.layout.n_units:,} households followed 2015-2022, measured with China's exit standard
(<code>china_2b3g</code>).</p>
<h2>Headcount by county</h2><img src="trend.png" width="650">
<h2>Entries and exits</h2>{rates.to_html(float_format=fmt)}<img src="transitions.png" width="500">
<h2>Chronic poverty</h2>{chronic.to_html(index=False, float_format=fmt)}
<img src="chronic_durations.png" width="650">
<h2>Change 2016-2022: entries, relapses, exits, stayers</h2>
{dec.to_html(index=False, float_format=fmt)}<img src="decomposition.png" width="650">
{relapse_html}"""


def _relapse(out: Path, panel, states) -> str:
    """Relapse after exit, early warning and monitoring categories."""
    rl = mpi.relapse(states, bootstrap=200, seed=2020)
    life = rl.to_dataset()[["at_risk", "events", "hazard", "cumulative_relapse",
                            "cumulative_relapse_se"]].to_dataframe()
    print("\nRelapse after an exit (Kaplan-Meier; bootstrap SE, 200 unit resamples)\n"
          + life.to_string(float_format="{:.4f}".format))
    risk = mpi.relapse_risk(states, fit_until=2020)
    ev = risk.evaluate()
    auc = {m: float(ev["auc"].sel(model=m)) for m in ev["model"].values}
    print("\nEarly warning, fitted to 2020, scored on 2021 -> 2022: AUC "
          + ", ".join(f"{m} {v:.3f}" for m, v in auc.items()))
    watch = risk.watch_list(top=20)
    print("\nWatch list (highest risk of being poor next year)\n" + watch.head(10).to_string())
    rules = mpi.MonitoringRules(
        line="monitoring_line", income="income_per_capita", start=2020,
        exited="poverty_status", exited_values=("exited",), labour="labour_capacity",
        events=("shock_illness", "shock_disaster"),
    )
    mon = mpi.monitoring(panel, rules, weight="weight")
    counts = mon.to_dataset()["share"].sel(time=[2020, 2021, 2022]).to_pandas()
    print("\nMonitoring categories (weighted shares)\n"
          + counts.to_string(float_format="{:.4f}".format))
    life.to_csv(out / "relapse.csv")
    watch.to_csv(out / "watch_list.csv", index=False)
    counts.to_csv(out / "monitoring.csv")
    mpi.plot.relapse(rl).figure.savefig(out / "relapse.png", dpi=150)
    fmt = "{:.4f}".format
    return f"""<h1>Relapse (返贫) and early warning</h1>
<h2>Relapse after an exit</h2>{life.to_html(float_format=fmt)}<img src="relapse.png" width="650">
<h2>Early warning</h2><p>Fitted to 2020, scored on 2021 &rarr; 2022: AUC
{", ".join(f"{html.escape(str(m))} {v:.3f}" for m, v in auc.items())}.</p>
{watch.head(20).to_html(index=False, float_format=fmt)}
<h2>Monitoring categories (weighted shares)</h2>{counts.to_html(float_format=fmt)}"""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("report"), help="output folder")
    args = parser.parse_args(argv)
    run(args.out)


if __name__ == "__main__":
    main()
