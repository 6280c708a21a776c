"""``mpi spec template`` (a commented spec to edit) and ``mpi spec check`` (validate a spec,
and that a data file has what it needs)."""

from __future__ import annotations

import unicodedata
import warnings
from pathlib import Path
from typing import Any

import click
import numpy as np
import pandas as pd

from mpi._common.exact import fraction_text
from mpi._common.labels import LANGUAGES, text
from mpi._common.yaml_text import dump_yaml
from mpi.cli.app import debug_option
from mpi.cli.common import label_columns, load_spec, parse_k, read_table
from mpi.cli.options import input_options
from mpi.errors import CategoryWarning, DataError, ValidationError
from mpi.measurement.encode import encode_indicator
from mpi.measurement.spec import Spec
from mpi.presets import load

__all__ = ["spec", "template_text", "spec_table", "check_data", "text_table"]

#: The preset the template is made of (its variables are those of the bundled surveys).
TEMPLATE_PRESET = "global_mpi_2018"


def _comment(block: str) -> list[str]:
    return [f"# {line}".rstrip() for line in block.strip("\n").splitlines()]


def template_text(lang: str = "en") -> str:
    """A commented YAML spec to edit: the global MPI 2018, every key explained in ``lang``.

    As written it reads with :meth:`mpi.Spec.from_yaml` into the preset
    ``global_mpi_2018`` and measures the bundled surveys (``dhs_rounds``, ``mpi_survey``).

    Parameters
    ----------
    lang
        Language of the comments (``"en"`` or ``"zh"``).

    Returns
    -------
    str
        The YAML text.

    Examples
    --------
    >>> from mpi.measurement.spec import Spec
    >>> Spec.from_yaml(template_text()).k
    Fraction(1, 3)
    """
    doc = load(TEMPLATE_PRESET).to_dict()
    lines = _comment(text("cli.template.header", lang))
    for key in ("name", "title", "source", "k", "vulnerable", "severe"):
        lines += ["", *_comment(text(f"cli.template.{key}", lang))]
        lines += dump_yaml({key: doc[key]}).rstrip("\n").splitlines()
    lines += ["", *_comment(text("cli.template.indicators", lang)), "indicators:"]
    dimension = None
    for item in doc["indicators"]:
        if item.get("dimension") != dimension:
            dimension = item.get("dimension")
            lines += ["", *_comment(text("cli.template.dimension", lang, dimension=dimension))]
        lines += dump_yaml([item]).rstrip("\n").splitlines()  # type: ignore[arg-type]
    return "\n".join(lines) + "\n"


def _rule(ind: Any, lang: str) -> str:
    if ind.cutoff is None:
        return text("cli.check.flag", lang)
    if ind.deprived_if == "in":
        return "in [" + ", ".join(map(str, ind.cutoff)) + "]"
    return f"{ind.deprived_if} {ind.cutoff}"


def spec_table(spec: Spec, lang: str) -> pd.DataFrame:
    """The spec's indicators as a table with headers in ``lang``.

    Parameters
    ----------
    spec
        The spec.
    lang
        Language of the headers.

    Returns
    -------
    pandas.DataFrame
        One row per indicator: dimension, indicator, variable, weight, rule.
    """
    rows = [
        [
            spec.dimension_of(ind),
            ind.name,
            ind.variable,
            fraction_text(ind.weight),
            _rule(ind, lang),
        ]
        for ind in spec.indicators
    ]
    headers = [
        text("common.dimension", lang),
        text("common.indicator", lang),
        text("cli.check.variable", lang),
        text("cli.check.weight", lang),
        text("cli.check.rule", lang),
    ]
    return pd.DataFrame(rows, columns=headers)


def _width(value: str) -> int:
    """Display width: East Asian wide characters take two columns of a terminal."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in value)


def text_table(frame: pd.DataFrame) -> str:
    """``frame`` as left-aligned plain text for a terminal (wide characters counted twice).

    Parameters
    ----------
    frame
        A table of text.

    Returns
    -------
    str

    Examples
    --------
    >>> print(text_table(pd.DataFrame({"a": ["x", "yyy"], "指标": ["1", "2"]})))
    a    指标
    x    1
    yyy  2
    """
    rows = [list(map(str, frame.columns))] + [[str(v) for v in row] for row in frame.to_numpy()]
    widths = [max(_width(row[j]) for row in rows) for j in range(len(rows[0]))]
    return "\n".join(
        "  ".join(
            cell + " " * (w - _width(cell)) for cell, w in zip(row, widths, strict=True)
        ).rstrip()
        for row in rows
    )


def _column(data: Any, name: str) -> pd.Series | None:
    if isinstance(data, pd.DataFrame):
        return data[name] if name in data.columns else None
    if name in data.variables:
        return pd.Series(np.asarray(data[name].values).ravel())
    return None


def check_data(spec: Spec, data: Any, lang: str) -> tuple[pd.DataFrame, list[str]]:
    """Whether every indicator's variable is in ``data`` with a type its rule can use.

    Each column goes through the encoder :func:`mpi.measure` uses, so a column that passes
    here is measured as checked.

    Parameters
    ----------
    spec
        The spec.
    data
        A DataFrame or a Dataset.
    lang
        Language of the table.

    Returns
    -------
    (table, problems)
        One row per indicator (type, missing values, status) and the problems found, one
        sentence each (empty when all is well).
    """
    dtypes, missing, status, problems = [], [], [], []
    ok = text("cli.check.ok", lang)
    for ind in spec.indicators:
        column = _column(data, ind.variable)
        if column is None:
            dtypes.append("")
            missing.append("")
            status.append(text("cli.check.absent", lang))
            problems.append(f"indicator {ind.name!r}: variable {ind.variable!r} is not in DATA")
            continue
        dtypes.append(str(column.dtype))
        missing.append(f"{int(column.isna().sum()):,}")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", CategoryWarning)
            try:
                encode_indicator(column, ind)
            except DataError as err:
                status.append(text("cli.check.unusable", lang))
                problems.append(" ".join(str(err).split()))
                continue
        absent = [w for w in caught if issubclass(w.category, CategoryWarning)]
        status.append(text("cli.check.absent_categories", lang) if absent else ok)
    table = spec_table(spec, lang)
    table[text("cli.check.dtype", lang)] = dtypes
    table[text("cli.check.missing", lang)] = missing
    table[text("cli.check.status", lang)] = status
    return table, problems


@click.group(
    epilog="\b\nExamples:\n  mpi spec template my_spec.yml\n  mpi spec check my_spec.yml survey.dta"
)
@debug_option
def spec() -> None:
    """Write a spec to edit, or check a spec (and a data file against it)."""


_TEMPLATE_EXAMPLES = """\b
Examples:
  mpi spec template my_spec.yml           # then edit my_spec.yml
  mpi spec template --lang zh my_spec.yml # comments in Chinese
  mpi spec template > my_spec.yml
"""


@spec.command(epilog=_TEMPLATE_EXAMPLES)
@click.argument("path", required=False, metavar="[PATH]")
@click.option(
    "--lang",
    type=click.Choice(list(LANGUAGES)),
    default="en",
    show_default=True,
    help="Language of the comments.",
)
@click.option("--force", is_flag=True, help="Overwrite PATH if it exists.")
@debug_option
def template(path: str | None, lang: str, force: bool) -> None:
    """Write a commented YAML spec to PATH (or print it).

    The template is the global MPI 2018 (10 indicators, k = 1/3) on the variables of the
    bundled survey, every key explained: edit the variables, rules, weights and k for your
    data, then run 'mpi spec check PATH DATA'.
    """
    body = template_text(lang)
    if path is None:
        click.echo(body, nl=False)
        return
    target = Path(path)
    if target.exists() and not force:
        raise ValidationError(
            f"{path!r} exists; choose another PATH or pass --force to overwrite it"
        )
    target.write_text(body, encoding="utf-8")
    click.echo(text("cli.template.written", lang, path=path))


_CHECK_EXAMPLES = """\b
Examples:
  mpi spec check my_spec.yml                 # is the spec valid?
  mpi spec check my_spec.yml survey.dta      # and does the survey have its variables?
  mpi spec check china_2b3g registry.zarr
"""


@spec.command(epilog=_CHECK_EXAMPLES)
@click.argument("source", metavar="SPEC")
@click.argument("data", required=False, metavar="[DATA]")
@click.option("--k", "k", metavar="K", help="Poverty cutoff, for a spec table (.csv/.xlsx) only.")
@click.option(
    "--lang",
    type=click.Choice(list(LANGUAGES)),
    default="en",
    show_default=True,
    help="Language of the summary.",
)
@input_options
@debug_option
def check(
    source: str,
    data: str | None,
    k: str | None,
    lang: str,
    encoding: str | None,
    sheet: str | None,
) -> None:
    """Validate SPEC (a preset or a spec file) and, with DATA, its variables in DATA.

    Prints the indicators with their weights and rules. With DATA, every indicator's
    variable must exist with a type its rule can use (numbers for comparisons, 0/1 for
    flags, categories or text for 'in' lists): each column is encoded as mpi measure would.
    Problems are listed, then one error line and exit code 2.
    """
    spec_obj = load_spec(source, parse_k(k))
    click.echo(
        text(
            "cli.check.header",
            lang,
            name=spec_obj.name or source,
            n=len(spec_obj),
            d=len(spec_obj.dimensions),
            k=fraction_text(spec_obj.k),
            vulnerable=fraction_text(spec_obj.vulnerable),
            severe=fraction_text(spec_obj.severe),
        )
    )
    if data is None:
        click.echo(text_table(spec_table(spec_obj, lang)))
        click.echo(text("cli.check.valid", lang))
        return
    frame = read_table(
        data, columns=None, labelled=label_columns(spec_obj, []), encoding=encoding, sheet=sheet
    )
    table, problems = check_data(spec_obj, frame, lang)
    click.echo(text_table(table))
    if problems:
        raise ValidationError(
            f"{len(problems)} of {len(spec_obj)} indicators cannot be measured in {data!r}: "
            + "; ".join(problems)
        )
    if isinstance(frame, pd.DataFrame):
        size = text("cli.check.rows", lang, n=len(frame))
    else:
        size = ", ".join(f"{dim} {n:,}" for dim, n in frame.sizes.items())
    click.echo(text("cli.check.data_ok", lang, data=Path(data).name, size=size))
