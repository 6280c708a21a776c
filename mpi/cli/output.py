"""Writing the report of a command and telling the user where it is."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

from mpi._common.labels import text
from mpi.cli.options import suppression_of
from mpi.reporting import ReportFiles, report

__all__ = ["write_report"]


def write_report(
    results: Mapping[str, Any],
    options: Mapping[str, Any],
    *,
    data: Any,
    spec: Any,
    default_title: str,
) -> ReportFiles:
    """Write ``results`` as the report of ``--out`` and print the files written on stdout.

    Parameters
    ----------
    results
        ``{section title: result}``, in the report's language.
    options
        The command's report options (``out``, ``lang``, ``title``, ``min_cell``,
        ``max_cv``, ``flag``, ``level``, ``no_progress``).
    data
        The data measured (for the report's data-quality section).
    spec
        The spec measured.
    default_title
        The title when ``--title`` is not given.

    Returns
    -------
    mpi.ReportFiles
        What :func:`mpi.report` returned.
    """
    lang = options["lang"]
    out = Path(options["out"])
    files = report(
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
    click.echo(text("cli.done", lang, path=str(out)))
    for path in files:
        click.echo(f"  {path}")
    return files
