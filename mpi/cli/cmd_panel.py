"""``mpi panel``: households followed over waves -- transitions, chronic poverty, the
decomposition of change, relapse and monitoring -- in one report."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click
import pandas as pd
import xarray as xr

from mpi._common.labels import text
from mpi._common.yaml_text import load_yaml
from mpi.cli.common import (
    Steps,
    check_columns,
    label_columns,
    load_spec,
    parse_k,
    read_table,
    split_list,
    step_text,
)
from mpi.cli.options import data_argument, input_options, report_options, spec_option
from mpi.cli.output import write_report
from mpi.dynamics.build import panel_from_long
from mpi.dynamics.chronic import chronic
from mpi.dynamics.decompose import decompose_change
from mpi.dynamics.monitoring import MonitoringRules, monitoring
from mpi.dynamics.relapse import relapse
from mpi.dynamics.states import panel_states
from mpi.dynamics.transitions import transitions
from mpi.errors import ValidationError
from mpi.measurement.measure import measure
from mpi.measurement.spec_io import load_json

__all__ = ["panel", "static_columns", "monitoring_rules", "as_panel"]

#: MonitoringRules arguments that are tuples (lists in a rules file, commas on the line).
_TUPLES = ("exited_values", "deprivations", "expenditure", "loss", "events", "no_labour_values")


def static_columns(
    frame: pd.DataFrame, unit: str, time: str, exclude: Sequence[str], force: Sequence[str]
) -> list[str]:
    """Columns of a long table that are constant within every unit (they become ``(unit,)``
    variables of the panel: weights, groups, household characteristics).

    Parameters
    ----------
    frame
        The long table (one row per unit and wave).
    unit, time
        The unit id and wave columns.
    exclude
        Columns kept time-varying even when constant (the indicators of the spec).
    force
        Columns that must be static (the weight and the groups); a panel build error says
        so when one varies within a unit.

    Returns
    -------
    list of str
    """
    candidates = [c for c in frame.columns if c not in (unit, time) and c not in exclude]
    if not candidates:
        return list(dict.fromkeys(force))
    counts = frame.groupby(unit, sort=False, observed=True)[candidates].nunique(dropna=True)
    constant = [c for c in candidates if bool((counts[c] <= 1).all())]
    return list(dict.fromkeys([*force, *constant]))


def as_panel(
    data: Any,
    unit: str,
    time: str,
    spec_vars: Sequence[str],
    force: Sequence[str],
    progress: bool | None = None,
) -> tuple[xr.Dataset, str, str]:
    """DATA as a ``unit x time`` panel: a long table is built into one, a dataset kept.

    Parameters
    ----------
    data
        A long DataFrame or a panel Dataset.
    unit, time
        The unit id and wave columns (dimensions of a Dataset).
    spec_vars
        The spec's variables (kept time-varying).
    force
        Columns that must be along ``unit`` only (weight, groups).
    progress
        Progress bar of the panel build (None: when stderr is a terminal; False: never).

    Returns
    -------
    (panel, unit_dim, time_dim)
    """
    if isinstance(data, xr.Dataset):
        for option, dim in (("--unit", unit), ("--time", time)):
            if dim not in data.dims:
                raise ValidationError(
                    f"{option} {dim!r} is not a dimension of the panel in DATA; its dimensions "
                    f"are {', '.join(map(str, data.dims))}"
                )
        return data, unit, time
    for option, col in (("--unit", unit), ("--time", time)):
        if col not in data.columns:
            raise ValidationError(
                f"{option} {col!r} is not a column of DATA (a long table, one row per unit "
                f"and wave); it has: {', '.join(map(str, data.columns[:30]))}"
            )
    static = static_columns(data, unit, time, spec_vars, force)
    ds = panel_from_long(data, unit=unit, time=time, static=static, progress=progress)
    return ds, "unit", "time"


def _scalar(value: str) -> Any:
    try:
        return float(value)
    except ValueError:
        return value


def monitoring_rules(options: dict[str, Any]) -> MonitoringRules | None:
    """The monitoring rules of ``--monitoring FILE`` and the ``--monitor-*`` options.

    Parameters
    ----------
    options
        The command's options.

    Returns
    -------
    mpi.MonitoringRules or None
        None when no monitoring option is given.
    """
    kwargs: dict[str, Any] = {}
    source = options["monitoring"]
    if source is not None:
        path = Path(source)
        if not path.is_file():
            raise ValidationError(f"--monitoring: rules file {source!r} does not exist")
        where = f"rules file {source!r}"
        raw = path.read_text(encoding="utf-8-sig")
        doc = load_json(raw, where) if path.suffix.lower() == ".json" else load_yaml(raw, where)
        if not isinstance(doc, dict):
            raise ValidationError(
                f"--monitoring {source!r} must map arguments of mpi.MonitoringRules to values, "
                "e.g. line: monitoring_line and income: income_per_capita"
            )
        kwargs.update(doc)
    for key, value in (
        ("line", options["monitor_line"]),
        ("income", options["monitor_income"]),
        ("start", options["monitor_start"]),
        ("exited", options["monitor_exited"]),
        ("labour", options["monitor_labour"]),
    ):
        if value is not None:
            kwargs[key] = _scalar(value) if key == "line" else value
    for key, value in (
        ("exited_values", options["monitor_exited_values"]),
        ("events", options["monitor_events"]),
        ("deprivations", options["monitor_deprivations"]),
    ):
        if value is not None:
            kwargs[key] = split_list(value, f"--monitor-{key.replace('_', '-')}")
    if not kwargs:
        return None
    allowed = [f.name for f in dataclasses.fields(MonitoringRules)]
    unknown = sorted(set(kwargs) - set(allowed))
    if unknown:
        raise ValidationError(
            f"--monitoring: unknown rule argument(s) {unknown}; the arguments of "
            f"mpi.MonitoringRules are {', '.join(allowed)}"
        )
    for key in ("line", "income"):
        if key not in kwargs:
            raise ValidationError(
                f"monitoring needs the {key} (--monitor-{key} or '{key}:' in --monitoring); "
                "e.g. --monitor-line monitoring_line --monitor-income income_per_capita"
            )
    for key in _TUPLES:
        if isinstance(kwargs.get(key), list):
            kwargs[key] = tuple(kwargs[key])
    return MonitoringRules(**kwargs)


_PANEL_EXAMPLES = """\b
Examples:
  # a long registry table, one row per household and year
  mpi panel registry.csv --spec china_2b3g --unit unit --time time --weight weight \\
      --by county --out panel/
  # with relapse-prevention monitoring (every threshold a column or a number)
  mpi panel registry.parquet --spec china_2b3g --unit hh_id --time year --weight weight \\
      --monitor-line monitoring_line --monitor-income income_per_capita \\
      --monitor-start 2020 --monitor-exited poverty_status --monitor-exited-values exited \\
      --out panel/
  # a panel written by xarray (dimensions unit and time)
  mpi panel registry.zarr --spec china_2b3g --weight weight --out panel/
"""


@click.command(epilog=_PANEL_EXAMPLES)
@data_argument
@spec_option
@click.option(
    "--unit",
    default="unit",
    show_default=True,
    metavar="COLUMN",
    help="Unit id column (a panel's unit dimension).",
)
@click.option(
    "--time",
    default="time",
    show_default=True,
    metavar="COLUMN",
    help="Wave (year) column (a panel's time dimension).",
)
@click.option("--weight", metavar="COLUMN", help="Panel weight, constant within a unit.")
@click.option("--by", metavar="A,B", help="Time-invariant group columns, separated by commas.")
@click.option("--k", "k", metavar="K", help="Poverty cutoff (default: the spec's).")
@click.option(
    "--tau",
    default="1/2",
    show_default=True,
    help="Chronic poverty: poor in at least this share of the observed waves.",
)
@click.option(
    "--start", type=float, help="First wave of the decomposition of change (default: the first)."
)
@click.option(
    "--end", type=float, help="Last wave of the decomposition of change (default: the last)."
)
@click.option(
    "--bootstrap",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Bootstrap replicates for the relapse SEs (0: linearised SEs only).",
)
@click.option("--seed", type=int, default=None, help="Seed of the bootstrap.")
@input_options
@click.option(
    "--monitoring", metavar="FILE", help="A YAML/JSON file of mpi.MonitoringRules arguments."
)
@click.option(
    "--monitor-line",
    metavar="COLUMN|NUMBER",
    help="Monitoring line (a column or a number); turns monitoring on.",
)
@click.option("--monitor-income", metavar="COLUMN", help="Per-capita income column for monitoring.")
@click.option("--monitor-start", type=float, help="First monitored wave (year).")
@click.option(
    "--monitor-exited",
    metavar="COLUMN",
    help="Registry flag: the unit has exited poverty registration.",
)
@click.option(
    "--monitor-exited-values", metavar="A,B", help="Values of --monitor-exited meaning 'exited'."
)
@click.option("--monitor-labour", metavar="COLUMN", help="Labour-capacity column.")
@click.option("--monitor-events", metavar="A,B", help="0/1 hardship-event columns.")
@click.option(
    "--monitor-deprivations",
    metavar="A,B",
    help="Indicators of the spec whose deprivation identifies a unit for monitoring.",
)
@report_options
def panel(data: str, **options: Any) -> None:
    """Poverty dynamics of a panel: waves, transitions, chronic poverty, relapse, monitoring.

    DATA is a long table (one row per unit and wave: .csv, .parquet, .dta, .sav, .xlsx)
    or a panel dataset (.zarr, .nc) with dimensions --unit and --time. Columns constant
    within every unit (weights, regions, household head) become unit variables. The report
    holds poverty by wave, entries and exits, chronic poverty (poor in at least --tau of
    the waves), the change from the first to the last wave split into entries, exits and
    stayers, relapse after exit (Kaplan-Meier) and, with the --monitor-* options,
    relapse-prevention monitoring categories.
    """
    lang = options["lang"]
    k = parse_k(options["k"])
    if isinstance(k, list):
        raise ValidationError(
            f"--k {options['k']!r}: mpi panel takes one poverty cutoff; run it once per cutoff"
        )
    spec = load_spec(options["spec"], k)
    by = split_list(options["by"], "--by")
    rules = monitoring_rules(options)
    weight = options["weight"]
    bars = False if options["no_progress"] else None
    with Steps(9 if rules is not None else 8, bars) as steps:
        steps.step(step_text("read", lang, name=Path(data).name))
        table = read_table(
            data,
            columns=None,
            labelled=label_columns(spec, by),
            encoding=options["encoding"],
            sheet=options["sheet"],
        )
        check_columns(table, {"--weight": weight, "--by": by})
        steps.step(step_text("panel", lang))
        force = [c for c in (weight, *by) if c]
        ds, unit, time = as_panel(
            table, options["unit"], options["time"], spec.variables, force, bars
        )
        dims = {"unit": unit, "time": time}
        steps.step(step_text("measure", lang))
        waves = measure(ds, spec, weight=weight, by=by or None, k=k, balance="observed", **dims)
        steps.step(step_text("states", lang))
        states = panel_states(ds, spec, k=k, weight=weight, by=by or None, **dims)
        years = ds[time].values
        start = years[0] if options["start"] is None else options["start"]
        end = years[-1] if options["end"] is None else options["end"]
        steps.step(step_text("transitions", lang))
        results: dict[str, Any] = {
            text("cli.section.waves", lang): waves,
            text("cli.section.transitions", lang): transitions(states, balance="pairs"),
        }
        steps.step(step_text("chronic", lang))
        results[text("cli.section.chronic", lang)] = chronic(
            states, tau=options["tau"], balance="observed"
        )
        results[text("cli.section.decomposition", lang, start=_year(start), end=_year(end))] = (
            decompose_change(states, start=start, end=end, balance="pairs")
        )
        steps.step(step_text("relapse", lang))
        results[text("cli.section.relapse", lang)] = relapse(
            states, bootstrap=options["bootstrap"], seed=options["seed"], progress=bars
        )
        if rules is not None:
            steps.step(step_text("monitoring", lang))
            results[text("cli.section.monitoring", lang)] = monitoring(
                ds,
                rules,
                spec=spec if rules.deprivations is not None else None,
                weight=weight,
                by=by or None,
                **dims,
            )
        steps.step(step_text("report", lang))
        write_report(
            results,
            options,
            data=ds,
            spec=spec,
            default_title=text("cli.title.panel", lang, spec=spec.name or ""),
        )


def _year(value: Any) -> str:
    """A wave for a title: ``2016`` rather than ``2016.0``."""
    number = float(value)
    return str(int(number)) if number.is_integer() else f"{number:g}"
