"""The options the ``mpi`` subcommands share (click decorators) and the small-cell rule they
set."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from mpi._common.labels import LANGUAGES
from mpi.cli.app import debug_option
from mpi.presets import available
from mpi.reporting import Suppression

__all__ = [
    "data_argument",
    "spec_option",
    "weight_options",
    "input_options",
    "design_options",
    "report_options",
    "suppression_of",
    "LONELY_PSU",
]

#: Rules of :class:`mpi.Design` for strata with a single PSU (``--lonely-psu``).
LONELY_PSU = ("fail", "adjust", "average", "remove", "certainty")


def _stack(*decorators: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def apply(func: Any) -> Any:
        for decorator in reversed(decorators):
            func = decorator(func)
        return func

    return apply


def data_argument(func: Any) -> Any:
    """The DATA argument (a path; missing files are reported by the reader in one line).

    Parameters
    ----------
    func
        The command function.

    Returns
    -------
    callable
    """
    return click.argument("data", metavar="DATA")(func)


def spec_option(func: Any) -> Any:
    """The required ``--spec`` option.

    Parameters
    ----------
    func
        The command function.

    Returns
    -------
    callable
    """
    return click.option(
        "--spec",
        "spec",
        required=True,
        metavar="SPEC",
        help=f"A preset ({', '.join(available(kind='af'))}) or a spec file (.yml/.json; a .csv/.xlsx "
        "spec table with --k). Start one with 'mpi spec template'.",
    )(func)


def weight_options(func: Any) -> Any:
    """``--weight``, ``--size``, ``--by``, ``--k``, ``--missing`` and ``--query``.

    Parameters
    ----------
    func
        The command function.

    Returns
    -------
    callable
    """
    return _stack(
        click.option(
            "--weight",
            metavar="COLUMN",
            help="Sampling weight column (default: none, every row weighs 1).",
        ),
        click.option(
            "--size",
            metavar="COLUMN",
            help="Household size column: people are the unit of analysis (weight x size), as "
            "in the official global MPI.",
        ),
        click.option(
            "--by", metavar="A,B", help="Group columns, separated by commas (e.g. region,area)."
        ),
        click.option(
            "--k",
            "k",
            metavar="K",
            help="Poverty cutoff(s): 1/3, or several, e.g. 0.2,1/3,0.5 (default: the spec's).",
        ),
        click.option(
            "--missing",
            type=click.Choice(["drop", "reweight", "raise"]),
            default="drop",
            show_default=True,
            help="Units with a missing indicator: dropped (and counted), reweighted, or an error.",
        ),
        click.option(
            "--query", metavar="EXPR", help='Rows to keep, a pandas query, e.g. "round == 2020".'
        ),
        input_options,
    )(func)


def input_options(func: Any) -> Any:
    """``--encoding`` (text files) and ``--sheet`` (Excel workbooks) of DATA.

    Parameters
    ----------
    func
        The command function.

    Returns
    -------
    callable
    """
    return _stack(
        click.option(
            "--encoding",
            metavar="NAME",
            help="Text encoding of a CSV, Stata or SPSS file (e.g. gb18030); default UTF-8.",
        ),
        click.option(
            "--sheet",
            metavar="NAME|N",
            help="Sheet of an Excel file (name or 0-based number); default the first.",
        ),
    )(func)


def design_options(func: Any) -> Any:
    """``--strata``, ``--psu``, ``--fpc`` and ``--lonely-psu``.

    Parameters
    ----------
    func
        The command function.

    Returns
    -------
    callable
    """
    return _stack(
        click.option("--strata", metavar="COLUMN", help="Stratum column of the survey design."),
        click.option("--psu", metavar="COLUMN", help="Primary sampling unit (cluster) column."),
        click.option(
            "--fpc",
            metavar="COLUMN",
            help="Finite population correction column (with --strata/--psu).",
        ),
        click.option(
            "--lonely-psu",
            type=click.Choice(list(LONELY_PSU)),
            default="fail",
            show_default=True,
            help="Strata with a single PSU.",
        ),
    )(func)


def report_options(func: Any) -> Any:
    """The report's options: language, title, suppression, CI level, progress, output.

    ``--tables-only`` writes just the numbers (see :func:`mpi.cli.output.write_tables`).

    Parameters
    ----------
    func
        The command function.

    Returns
    -------
    callable
    """
    return _stack(
        click.option(
            "--lang",
            type=click.Choice(list(LANGUAGES)),
            default="en",
            show_default=True,
            help="Language of the report.",
        ),
        click.option("--title", metavar="TEXT", help="Title of the report."),
        click.option(
            "--min-cell",
            type=click.IntRange(min=1),
            default=30,
            show_default=True,
            help="Cells estimated from fewer unweighted units are suppressed (or flagged).",
        ),
        click.option(
            "--max-cv",
            type=click.FloatRange(min=0, min_open=True),
            help="Cells with a coefficient of variation (SE / estimate) above this are suppressed too.",
        ),
        click.option(
            "--flag", is_flag=True, help="Flag small cells with a mark instead of suppressing them."
        ),
        click.option(
            "--level",
            type=click.FloatRange(0, 1, min_open=True, max_open=True),
            default=0.95,
            show_default=True,
            help="Confidence level of the intervals.",
        ),
        click.option("--no-progress", is_flag=True, help="No progress line on stderr."),
        click.option(
            "--tables-only",
            is_flag=True,
            help="Write only tables/*.csv, every estimate with its SE and CI (no small-cell "
            "rule), without report.html, report.xlsx or charts: fast, for scripted runs.",
        ),
        click.option(
            "--out",
            required=True,
            metavar="DIR",
            help="Folder for report.html, report.xlsx, tables/*.csv and charts/*.png.",
        ),
        debug_option,
    )(func)


def suppression_of(min_cell: int, max_cv: float | None, flag: bool) -> Suppression:
    """The small-cell rule of ``--min-cell``, ``--max-cv`` and ``--flag``.

    Parameters
    ----------
    min_cell, max_cv, flag
        The options.

    Returns
    -------
    mpi.Suppression
    """
    return Suppression(min_cell=min_cell, max_cv=max_cv, action="flag" if flag else "suppress")
