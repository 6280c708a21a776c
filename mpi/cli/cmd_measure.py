"""``mpi measure`` and ``mpi change``: a survey file in, a report out."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import click

from mpi._common.labels import text
from mpi.cli.common import (
    Steps,
    check_columns,
    label_columns,
    load_spec,
    make_design,
    parse_k,
    person_weight,
    read_table,
    select_rows,
    split_list,
    step_text,
)
from mpi.cli.options import (
    data_argument,
    design_options,
    report_options,
    spec_option,
    weight_options,
)
from mpi.cli.output import write_report
from mpi.errors import ValidationError
from mpi.measurement.measure import measure as af_measure
from mpi.measurement.spec import Spec
from mpi.survey.design import Design

__all__ = ["measure", "change", "Prepared", "prepare"]


@dataclass(frozen=True)
class Prepared:
    """The inputs of a cross-section command, read and checked.

    Attributes
    ----------
    data
        The rows to measure (after ``--query``, with the person weight of ``--size``).
    spec
        The spec of ``--spec``.
    weight
        The weight column measured (the person weight with ``--size``), or None.
    design
        The survey design, or None.
    k
        The cutoffs of ``--k`` (None: the spec's).
    by
        The group columns.
    """

    data: Any
    spec: Spec
    weight: str | None
    design: Design | None
    k: Fraction | list[Fraction] | None
    by: list[str]


def prepare(
    path: str,
    options: dict[str, Any],
    steps: Steps,
    *,
    rounds: str | None = None,
) -> Prepared:
    """Read DATA and the spec as the options say, select rows, weight people, build the design.

    Parameters
    ----------
    path
        The DATA argument.
    options
        The command's options (``spec``, ``weight``, ``size``, ``by``, ``k``, ``query``,
        ``strata``, ``psu``, ``fpc``, ``lonely_psu``, ``lang``).
    steps
        The progress line.
    rounds
        The round column of ``mpi change`` (put first among the groups).

    Returns
    -------
    Prepared
    """
    k = parse_k(options["k"])
    spec = load_spec(options["spec"], k)
    by = split_list(options["by"], "--by")
    groups = list(dict.fromkeys([*([rounds] if rounds else []), *by]))
    wanted = [
        *spec.variables,
        *groups,
        *(options[o] for o in ("weight", "size", "strata", "psu", "fpc") if options[o]),
    ]
    columns = None if options["query"] else list(dict.fromkeys(wanted))
    steps.step(step_text("read", options["lang"], name=Path(path).name))
    data = read_table(
        path,
        columns=columns,
        labelled=label_columns(spec, groups),
        encoding=options["encoding"],
        sheet=options["sheet"],
    )
    check_columns(
        data,
        {
            "--rounds": rounds,
            "--by": by,
            **{f"--{o}": options[o] for o in ("weight", "size", "strata", "psu", "fpc")},
        },
    )
    data = select_rows(data, options["query"])
    data, weight = person_weight(data, options["weight"], options["size"])
    design = make_design(
        weight, options["strata"], options["psu"], options["fpc"], options["lonely_psu"], rounds
    )
    return Prepared(data, spec, weight, design, k, groups)


def _measure(prep: Prepared, missing: str) -> Any:
    return af_measure(
        prep.data,
        prep.spec,
        weight=None if prep.design is not None else prep.weight,
        by=prep.by or None,
        k=prep.k,
        missing=missing,  # type: ignore[arg-type]
        design=prep.design,
    )


_MEASURE_EXAMPLES = """\b
Examples:
  # the official global MPI: people (household weight x size), by region, one round,
  # with design-based standard errors
  mpi measure survey.dta --spec global_mpi_2018 --weight hhweight --size hhsize \\
      --by region --query "round == 2020" --strata stratum --psu cluster --out report/
  # your own spec, several cutoffs, a Chinese report, small cells flagged
  mpi measure survey.csv --spec my_spec.yml --k 0.2,1/3,0.5 --lang zh --flag --out out/
"""


@click.command(epilog=_MEASURE_EXAMPLES)
@data_argument
@spec_option
@weight_options
@design_options
@report_options
def measure(data: str, **options: Any) -> None:
    """Measure multidimensional poverty (H, A, M0 ...) in DATA and write a report.

    DATA is a table with one row per unit (.csv, .tsv, .parquet, .dta, .sav, .xlsx).
    Stata/SPSS value labels become the names of the groups. The report in --out holds
    report.html (self-contained), report.xlsx, tables/*.csv and charts/*.png; cells from
    fewer than --min-cell units are suppressed (or flagged with --flag).
    """
    lang = options["lang"]
    with Steps(3, False if options["no_progress"] else None) as steps:
        prep = prepare(data, options, steps)
        steps.step(step_text("measure", lang))
        result = _measure(prep, options["missing"])
        steps.step(step_text("report", lang))
        write_report(
            {text("cli.section.measures", lang): result},
            options,
            data=prep.data,
            spec=prep.spec,
            default_title=text("cli.title.measure", lang, spec=prep.spec.name or ""),
        )


_CHANGE_EXAMPLES = """\b
Examples:
  # two DHS-style rounds in one file: each round its own sample in the same strata
  mpi change rounds.csv --spec global_mpi_2018 --rounds round --weight weight \\
      --size hh_size --strata stratum --psu psu --out change/
  # changes by area as well
  mpi change rounds.parquet --spec global_mpi_2018 --rounds round --by area \\
      --weight weight --psu psu --out change_by_area/
"""


@click.command(epilog=_CHANGE_EXAMPLES)
@data_argument
@spec_option
@click.option(
    "--rounds",
    required=True,
    metavar="COLUMN",
    help="Round (survey year) column; its values are the years of the annualised changes.",
)
@weight_options
@design_options
@report_options
def change(data: str, rounds: str, **options: Any) -> None:
    """Changes of poverty between survey rounds, with standard errors, and a report.

    DATA holds the rounds pooled, a column --rounds telling them apart. Every round is
    measured (by --by as well) with the survey design, each round its own sample in the
    same strata (Design(..., rounds=ROUND)); then the absolute, relative and annualised
    changes of M0, H and A between rounds with delta-method SEs. The design (--psu and/or
    --strata) is required: a change needs standard errors.
    """
    lang = options["lang"]
    if options["strata"] is None and options["psu"] is None:
        raise ValidationError(
            "mpi change needs standard errors, so the survey design: give --psu (the cluster "
            "column; the unit id for a simple random sample) and --strata if the survey is "
            "stratified"
        )
    with Steps(4, False if options["no_progress"] else None) as steps:
        prep = prepare(data, options, steps, rounds=rounds)
        steps.step(step_text("measure", lang))
        result = _measure(prep, options["missing"])
        steps.step(step_text("change", lang))
        diff = result.change(rounds)
        steps.step(step_text("report", lang))
        write_report(
            {
                text("cli.section.rounds", lang): result,
                text("cli.section.change", lang): diff,
            },
            options,
            data=prep.data,
            spec=prep.spec,
            default_title=text("cli.title.change", lang, spec=prep.spec.name or ""),
        )
