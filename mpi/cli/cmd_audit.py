"""``mpi audit``: a table of benefit payments and the registries to cross-match it with in,
the ranked leads and a report out."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click
import numpy as np
import pandas as pd

from mpi._common.labels import LANGUAGES, text
from mpi.auditing.audit import audit as run_audit
from mpi.auditing.rules import RULES
from mpi.auditing.standardise import BENEFICIARY_OPTIONAL, BENEFICIARY_REQUIRED
from mpi.cli.app import debug_option
from mpi.cli.common import Steps, read_table, split_list, step_text
from mpi.cli.options import input_options
from mpi.errors import ValidationError
from mpi.io import apply_value_labels
from mpi.reporting import report

__all__ = ["audit", "parse_pairs", "column_maps", "id_text", "LEADS_FILE"]

#: The CSV file of every lead that ``mpi audit`` writes next to the report.
LEADS_FILE = "leads.csv"
#: The largest integer a float64 holds exactly (an 18-digit identity number does not fit).
_EXACT = 2**53


def parse_pairs(values: Sequence[str], option: str, example: str) -> list[tuple[str, str]]:
    """``NAME=VALUE`` option values as pairs (``"death=deaths.csv"`` -> ``("death", ...)``).

    Parameters
    ----------
    values
        The option's values (a repeated option).
    option
        The option's name, for the message (``"--registry"``).
    example
        An example value, for the message.

    Returns
    -------
    list of (str, str)
        The pairs, stripped, in order.

    Examples
    --------
    >>> parse_pairs(["death = deaths.csv"], "--registry", "death=deaths.csv")
    [('death', 'deaths.csv')]
    """
    out = []
    for value in values:
        name, sep, rest = value.partition("=")
        if not sep or not name.strip() or not rest.strip():
            raise ValidationError(
                f"{option} {value!r} is not NAME=VALUE; write e.g. {option} {example}"
            )
        out.append((name.strip(), rest.strip()))
    names = [n for n, _ in out]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValidationError(f"{option} gives {', '.join(twice)} more than once; give each once")
    return out


def column_maps(
    pairs: Sequence[tuple[str, str]], kinds: Sequence[str]
) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """The ``--column`` option as the ``columns`` and ``registry_columns`` of :func:`mpi.audit`.

    ``STD=COL`` names a beneficiaries column; ``KIND.STD=COL`` a column of the registry
    ``KIND`` (e.g. ``death.died_on=date_of_death``).

    Parameters
    ----------
    pairs
        ``(STD, COL)`` pairs of :func:`parse_pairs`.
    kinds
        The registry kinds given with ``--registry``.

    Returns
    -------
    (dict, dict)
        ``{standard name: column}`` and ``{kind: {standard name: column}}``.
    """
    known = (*BENEFICIARY_REQUIRED, *BENEFICIARY_OPTIONAL)
    columns: dict[str, str] = {}
    registry: dict[str, dict[str, str]] = {}
    for std, col in pairs:
        kind, dot, name = std.rpartition(".")
        if dot:
            if kind not in kinds:
                given = ", ".join(kinds) or "none"
                raise ValidationError(
                    f"--column {std}={col}: {kind!r} is not a registry given with --registry "
                    f"(given: {given}); write KIND.NAME=COLUMN for a registry, e.g. "
                    "--column death.died_on=date_of_death"
                )
            registry.setdefault(kind, {})[name] = col
        elif std in known:
            columns[std] = col
        else:
            raise ValidationError(
                f"--column {std}={col}: {std!r} is not a column of the beneficiaries; use one "
                f"of {', '.join(known)} (or KIND.NAME=COLUMN for a registry)"
            )
    return columns, registry


def id_text(frame: pd.DataFrame, column: str, where: str) -> pd.DataFrame:
    """``frame`` with its identity-number column as text, exactly as written in the file.

    A file without a letter in any number (no final ``X``) reads the column as numbers:
    whole numbers become their digits; decimal numbers (a column with empty cells) are
    exact only below 2**53, so 18-digit numbers read that way are an error.

    Parameters
    ----------
    frame
        A table read from a file.
    column
        Its identity-number column (absent: ``frame`` unchanged, :func:`mpi.audit` names it).
    where
        The file's role and path, for the message.

    Returns
    -------
    pandas.DataFrame
        ``frame`` itself, or a copy with the column as text (missing values kept).
    """
    if column not in frame.columns or not pd.api.types.is_numeric_dtype(frame[column].dtype):
        return frame
    values = frame[column]
    if pd.api.types.is_float_dtype(values.dtype):
        filled = values.dropna().to_numpy(dtype=float)
        if (np.abs(filled) >= _EXACT).any() or (filled != np.round(filled)).any():
            raise ValidationError(
                f"{where}: column {column!r} was read as decimal numbers (it has empty cells "
                "and no letter X), which cannot hold 18-digit identity numbers exactly; save "
                "the table with the column as text (.parquet, .xlsx, .dta or .sav), or name "
                "the right column with --column id_number=COLUMN"
            )
    digits = values.astype("Int64").astype(str).to_numpy(dtype=object)
    digits[values.isna().to_numpy()] = None
    return frame.assign(**{column: pd.Series(digits, index=frame.index, dtype=object)})


def _read(path: str, options: dict[str, Any], where: str) -> pd.DataFrame:
    """A table of any format of :func:`mpi.read`; Stata/SPSS coded columns as their labels."""
    data = read_table(
        path, columns=None, labelled=[], encoding=options["encoding"], sheet=options["sheet"]
    )
    if not isinstance(data, pd.DataFrame):
        raise ValidationError(
            f"{where} {path!r} is a panel dataset; give a table with one row per payment or "
            "record (.csv, .tsv, .parquet, .dta, .sav, .xlsx)"
        )
    coded = [c for c in data.attrs.get("value_labels", {}) or {} if c in data.columns]
    return apply_value_labels(data, coded) if coded else data


_EXAMPLES = """\b
Examples:
  mpi datasets export benefit_audit data/            # the bundled county's tables
  mpi audit data/benefit_audit_beneficiaries.csv \\
      --registry death=data/benefit_audit_death.csv \\
      --registry vehicle=data/benefit_audit_vehicle.csv --out audit/
  # your own column names, two rules, a Chinese report
  mpi audit payments.xlsx --column id_number=sfzh --column paid_on=ffrq \\
      --registry death=deaths.dta --column death.died_on=swrq \\
      --rules paid_after_death,duplicate_in_period --lang zh --out audit/
"""


@click.command(epilog=_EXAMPLES)
@click.argument("beneficiaries", metavar="BENEFICIARIES")
@click.option(
    "--registry",
    "registries",
    multiple=True,
    metavar="KIND=PATH",
    help="A registry to cross-match (repeat the option): death, business, vehicle, property, "
    "tax, staff, or another list a rule needs.",
)
@click.option(
    "--rules",
    metavar="NAME,...",
    help=f"Rules to run, separated by commas (default: every default rule whose registry is "
    f"given). Rules: {', '.join(RULES)}.",
)
@click.option(
    "--column",
    "columns",
    multiple=True,
    metavar="STD=COL",
    help="Your column for a standard name (repeat the option): id_number, name, programme, "
    "amount, paid_on, household_id, village, account; KIND.STD=COL for a registry.",
)
@click.option(
    "--threshold",
    type=click.FloatRange(0, 1, min_open=True),
    default=0.9,
    show_default=True,
    help="Match probability a record-linkage pair needs (dirty identity numbers).",
)
@click.option(
    "--lang",
    type=click.Choice(list(LANGUAGES)),
    default="en",
    show_default=True,
    help="Language of the report.",
)
@click.option("--title", metavar="TEXT", help="Title of the report.")
@input_options
@click.option("--no-progress", is_flag=True, help="No progress line on stderr.")
@click.option(
    "--out",
    required=True,
    metavar="DIR",
    help="Folder for report.html, report.xlsx, leads.csv, tables/*.csv and charts/*.png.",
)
@debug_option
def audit(
    beneficiaries: str,
    registries: tuple[str, ...],
    rules: str | None,
    columns: tuple[str, ...],
    threshold: float,
    **options: Any,
) -> None:
    """Cross-match benefit payments with registries and write the ranked leads and a report.

    BENEFICIARIES is one long table of payments of any number of programmes (.csv, .tsv,
    .parquet, .dta, .sav, .xlsx) with the columns id_number, name, programme, amount and
    paid_on (optionally household_id, village, account; other names with --column).
    Identity numbers are checked (GB 11643) and linked exactly; invalid ones by record
    linkage on name, birth date and region. --out receives report.html, report.xlsx (every
    lead on its own sheet), leads.csv, tables/*.csv and charts/*.png.
    """
    lang = options["lang"]
    kinds = parse_pairs(registries, "--registry", "death=deaths.csv")
    std, registry_std = column_maps(
        parse_pairs(columns, "--column", "id_number=sfzh"), [k for k, _ in kinds]
    )
    chosen = split_list(rules, "--rules") if rules is not None else None
    if chosen is not None:
        unknown = [r for r in chosen if r not in RULES]
        if unknown:
            raise ValidationError(
                f"--rules: {', '.join(unknown)} is not a rule; choose from {', '.join(RULES)}"
            )
    enabled = False if options["no_progress"] else None
    with Steps(3 + len(kinds), enabled) as steps:
        steps.step(step_text("read", lang, name=Path(beneficiaries).name))
        payments = _read(beneficiaries, options, "BENEFICIARIES")
        payments = id_text(payments, std.get("id_number", "id_number"), "BENEFICIARIES")
        tables = {}
        for kind, path in kinds:
            steps.step(step_text("read", lang, name=Path(path).name))
            table = _read(path, options, f"--registry {kind}")
            column = registry_std.get(kind, {}).get("id_number", "id_number")
            tables[kind] = id_text(table, column, f"--registry {kind}={path}")
        steps.step(step_text("audit", lang))
        result = run_audit(
            payments,
            tables,
            chosen,
            columns=std or None,
            registry_columns=registry_std or None,
            threshold=threshold,
            progress=enabled,
        )
        steps.step(step_text("report", lang))
        out = Path(options["out"])
        files = report(
            {text("cli.section.audit", lang): result},
            out,
            lang=lang,
            title=options["title"] or text("cli.title.audit", lang, name=Path(beneficiaries).name),
            suppression=None,
            progress=enabled,
        )
        leads = result.leads
        leads.to_csv(out / LEADS_FILE, index=False, encoding="utf-8-sig")
    click.echo(text("cli.done", lang, path=str(out)))
    for path in files:
        click.echo(f"  {path}")
    amount = float(leads["amount_at_risk"].sum()) if len(leads) else 0.0
    click.echo(text("cli.audit.leads", lang, n=len(leads), amount=amount))
    click.echo(f"  {out / LEADS_FILE}")
