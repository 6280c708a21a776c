"""Writing the report of a command and telling the user where it is."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

from mpi._common.labels import text
from mpi.cli.options import suppression_of
from mpi.measurement.change import ChangeResult
from mpi.measurement.result import MeasureResult

__all__ = ["write_report", "write_tables"]


def _table_name(index: int, result: Any) -> str:
    """``01_measure.csv``: the section's position and the kind of result (any language)."""
    kind = re.sub(r"(?<!^)(?=[A-Z])", "_", type(result).__name__.removesuffix("Result")).lower()
    return f"{index:02d}_{kind or 'result'}.csv"


def write_tables(results: Mapping[str, Any], out: Path, *, level: float) -> list[Path]:
    """Write every result's estimates as ``out/tables/NN_kind.csv``; nothing else.

    A measurement or a change (:class:`~mpi.MeasureResult`, :class:`~mpi.ChangeResult`) is
    written as :func:`mpi.results_frame` (every estimate with its SE, CI, p-value and
    unweighted count; ``mpitb``-style), any other result as its ``to_frame(level=...)``. No
    small-cell rule is applied: these are the numbers, not the publication tables. This is
    what ``--tables-only`` writes: it imports neither the report layer nor matplotlib.

    Parameters
    ----------
    results
        ``{section title: result}`` in the order of the sections.
    out
        The ``--out`` folder (created when missing).
    level
        Confidence level of the intervals.

    Returns
    -------
    list of pathlib.Path
        The CSV files written (UTF-8 with a byte-order mark, as the report's tables).
    """
    from mpi.reporting.frames import results_frame

    folder = out / "tables"
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for index, result in enumerate(results.values(), start=1):
        if isinstance(result, MeasureResult | ChangeResult):
            frame = results_frame(result, level=level)
        else:
            frame = result.to_frame(level=level)
        file = folder / _table_name(index, result)
        frame.to_csv(file, index=False, encoding="utf-8-sig")
        files.append(file)
    return files


def write_report(
    results: Mapping[str, Any],
    options: Mapping[str, Any],
    *,
    data: Any,
    spec: Any,
    default_title: str,
) -> list[Path]:
    """Write ``results`` as the report of ``--out`` and print the files written on stdout.

    Parameters
    ----------
    results
        ``{section title: result}``, in the report's language.
    options
        The command's report options (``out``, ``lang``, ``title``, ``min_cell``,
        ``max_cv``, ``flag``, ``level``, ``no_progress``, ``tables_only``).
    data
        The data measured (for the report's data-quality section).
    spec
        The spec measured.
    default_title
        The title when ``--title`` is not given.

    Returns
    -------
    list of pathlib.Path
        The files written (those of :func:`mpi.report`'s :class:`~mpi.ReportFiles`, or of
        :func:`write_tables` with ``--tables-only``).
    """
    lang = options["lang"]
    out = Path(options["out"])
    if options.get("tables_only"):
        files = write_tables(results, out, level=options["level"])
    else:
        from mpi.reporting.write import report  # the report layer (and matplotlib) on demand

        files = list(
            report(
                dict(results),
                out,
                lang=lang,
                title=options["title"] or default_title,
                suppression=suppression_of(options["min_cell"], options["max_cv"], options["flag"]),
                level=options["level"],
                data=data,
                spec=spec,
                progress=False if options["no_progress"] else None,
            )
        )
    click.echo(text("cli.done", lang, path=str(out)))
    for path in files:
        click.echo(f"  {path}")
    return files
