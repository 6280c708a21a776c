"""``mpi datasets list | describe NAME | export NAME DIR``: the bundled data as files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import pandas as pd
import xarray as xr

import mpi.datasets as bundled
from mpi._common.labels import text
from mpi.cli.app import debug_option
from mpi.errors import ValidationError
from mpi.io import write

__all__ = ["datasets", "title_of", "long_panel", "export_files", "TABLE_FORMATS", "PANEL_FORMATS"]

#: File types of ``export``: tables (and long panels) ...
TABLE_FORMATS = ("csv", "parquet", "dta", "sav", "xlsx")
#: ... and panels kept as ``unit x time`` datasets.
PANEL_FORMATS = ("zarr", "nc")


def title_of(name: str) -> str:
    """The one-line title of a bundled dataset (its data card's first heading).

    Parameters
    ----------
    name
        A bundled dataset.

    Returns
    -------
    str

    Examples
    --------
    >>> title_of("mpi_survey")
    'a synthetic household survey'
    """
    first = bundled.describe(name).splitlines()[0].lstrip("# ").strip()
    return first.split(": ", 1)[1] if first.startswith(f"{name}: ") else first


def long_panel(panel: xr.Dataset) -> pd.DataFrame:
    """A ``unit x time`` panel as a long table: one row per unit and wave, columns ``unit``,
    ``time`` and every variable (unit variables repeated over the waves, wave variables
    over the units).

    Parameters
    ----------
    panel
        A panel dataset with dimensions ``unit`` and ``time``.

    Returns
    -------
    pandas.DataFrame
    """
    return panel.to_dataframe().reset_index()


def _is_panel(name: str) -> bool:
    try:
        ds = bundled.load(name, format="xarray")
    except ValidationError:
        return False
    return isinstance(ds, xr.Dataset) and {"unit", "time"} <= set(ds.dims)


def export_files(name: str, folder: Path, fmt: str) -> list[tuple[Path, Any]]:
    """What ``export`` writes: ``[(path, table or dataset), ...]``.

    A panel is one long table (or a ``.zarr``/``.nc`` dataset); a dataset of several tables
    is one file per table (``<name>_<table>.<fmt>``); any other is one table.

    Parameters
    ----------
    name
        A bundled dataset.
    folder
        The output folder.
    fmt
        One of :data:`TABLE_FORMATS` or :data:`PANEL_FORMATS`.

    Returns
    -------
    list of (pathlib.Path, object)
    """
    if name not in bundled.list():
        raise ValidationError(
            f"unknown dataset {name!r}; the bundled datasets are {', '.join(bundled.list())} "
            "(mpi datasets list)"
        )
    panel = _is_panel(name)
    if fmt in PANEL_FORMATS:
        if not panel:
            raise ValidationError(
                f"--format {fmt} writes panels (unit x time); {name!r} is not a panel: use "
                f"one of {', '.join(TABLE_FORMATS)}"
            )
        return [(folder / f"{name}.{fmt}", bundled.load(name, format="xarray"))]
    if panel:
        return [(folder / f"{name}.{fmt}", long_panel(bundled.load(name, format="xarray")))]
    data = bundled.load(name)
    if isinstance(data, dict):
        return [(folder / f"{name}_{table}.{fmt}", frame) for table, frame in data.items()]
    return [(folder / f"{name}.{fmt}", data)]


@click.group(
    epilog="\b\nExamples:\n  mpi datasets list\n  mpi datasets describe registry_panel\n"
    "  mpi datasets export dhs_rounds data/ --format dta"
)
@debug_option
def datasets() -> None:
    """The bundled (synthetic, CC0) datasets: list, describe, export to files."""


@datasets.command("list", epilog="\b\nExample:\n  mpi datasets list")
@debug_option
def list_() -> None:
    """List the bundled datasets with their titles."""
    names = bundled.list()
    width = max(len(n) for n in names)
    for name in names:
        click.echo(f"{name:<{width}}  {title_of(name)}")


@datasets.command(epilog="\b\nExample:\n  mpi datasets describe dhs_rounds | less")
@click.argument("name")
@debug_option
def describe(name: str) -> None:
    """Print the data card of NAME: what it imitates, the codebook, the licence."""
    if name not in bundled.list():
        raise ValidationError(
            f"unknown dataset {name!r}; the bundled datasets are {', '.join(bundled.list())}"
        )
    click.echo(bundled.describe(name))


_EXPORT_EXAMPLES = """\b
Examples:
  mpi datasets export dhs_rounds data/                  # data/dhs_rounds.csv
  mpi datasets export dhs_rounds data/ --format dta     # Stata, with value labels
  mpi datasets export registry_panel data/              # long: one row per unit x wave
  mpi datasets export registry_panel data/ --format zarr
"""


@datasets.command(epilog=_EXPORT_EXAMPLES)
@click.argument("name")
@click.argument("folder", metavar="DIR")
@click.option(
    "--format",
    "fmt",
    type=click.Choice([*TABLE_FORMATS, *PANEL_FORMATS]),
    default="csv",
    show_default=True,
    help="File type; panels are written long (one row per unit x wave) except as zarr/nc.",
)
@click.option(
    "--lang",
    type=click.Choice(["en", "zh"]),
    default="en",
    show_default=True,
    help="Language of the message.",
)
@debug_option
def export(name: str, folder: str, fmt: str, lang: str) -> None:
    """Write the bundled dataset NAME into the folder DIR (created if needed)."""
    files = export_files(name, Path(folder), fmt)
    Path(folder).mkdir(parents=True, exist_ok=True)
    for path, obj in files:
        write(obj, path)
        if isinstance(obj, pd.DataFrame):
            click.echo(
                text("cli.export.table", lang, path=str(path), rows=len(obj), columns=obj.shape[1])
            )
        else:
            click.echo(
                text(
                    "cli.export.panel",
                    lang,
                    path=str(path),
                    units=obj.sizes["unit"],
                    waves=obj.sizes["time"],
                )
            )
