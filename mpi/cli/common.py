"""What the ``mpi`` subcommands share: option values, the spec and data readers, the person
weight, the survey design and the progress steps (the options themselves:
:mod:`mpi.cli.options`).

Everything here raises :class:`mpi.errors.ValidationError` with the option's name, the value
and the fix, so that :class:`mpi.cli.app.MpiGroup` shows it as one line.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mpi._common.exact import to_fraction
from mpi._common.labels import text
from mpi._common.progress import progress
from mpi.errors import ValidationError
from mpi.io import apply_value_labels, read
from mpi.measurement.spec import Spec
from mpi.presets import available, load
from mpi.survey.design import Design

__all__ = [
    "split_list",
    "parse_k",
    "load_spec",
    "label_columns",
    "read_table",
    "select_rows",
    "check_columns",
    "person_weight",
    "make_design",
    "Steps",
    "step_text",
]


def split_list(value: str | None, option: str) -> list[str]:
    """Names of a comma-separated option value (``"region,area"`` -> ``["region", "area"]``).

    Parameters
    ----------
    value
        The option's text, or None.
    option
        The option's name, for the message (``"--by"``).

    Returns
    -------
    list of str
        The names, stripped; empty when ``value`` is None.

    Examples
    --------
    >>> split_list("region, area", "--by")
    ['region', 'area']
    """
    if value is None:
        return []
    names = [part.strip() for part in value.split(",")]
    if not all(names):
        raise ValidationError(
            f"{option} {value!r} has an empty name; separate names by single commas, e.g. "
            f"{option} region,area"
        )
    return names


def parse_k(value: str | None) -> Fraction | list[Fraction] | None:
    """The ``--k`` option: one cutoff, or several separated by commas, each exact.

    Parameters
    ----------
    value
        ``"1/3"``, ``"0.2"``, ``"1/3,0.2"`` or None.

    Returns
    -------
    Fraction, list of Fraction or None
        One fraction for one value, a list for several, None when not given.

    Examples
    --------
    >>> parse_k("1/3,0.2")
    [Fraction(1, 3), Fraction(1, 5)]
    """
    if value is None:
        return None
    out = []
    for part in split_list(value, "--k"):
        try:
            k = to_fraction(part, argument="k")
        except ValidationError as err:
            problem = " ".join(str(err).split())
        else:
            if 0 < k <= 1:
                out.append(k)
                continue
            problem = "not in (0, 1]"
        raise ValidationError(
            f"--k {part!r} is not a poverty cutoff ({problem}); give fractions or decimals in "
            "(0, 1] separated by commas, e.g. --k 1/3 or --k 0.2,1/3,0.5"
        )
    return out[0] if len(out) == 1 else out


def load_spec(source: str, k: Fraction | list[Fraction] | None = None) -> Spec:
    """The ``--spec`` option: a preset name, a YAML/JSON document or a CSV/Excel spec table.

    Parameters
    ----------
    source
        A name of :func:`mpi.presets.available`, or the path of a ``.yml``, ``.yaml`` or
        ``.json`` spec (:meth:`mpi.Spec.from_yaml`), or of a ``.csv``/``.xlsx`` spec table
        (:meth:`mpi.Spec.from_table`, which holds no ``k``: the first ``--k`` is used).
    k
        The ``--k`` option, needed only by a spec table.

    Returns
    -------
    mpi.Spec
    """
    if source in available(kind="af"):
        return load(source)
    suffix = Path(source).suffix.lower()
    if suffix in (".yml", ".yaml"):
        return Spec.from_yaml(Path(source))
    if suffix == ".json":
        return Spec.from_json(Path(source))
    if suffix in (".csv", ".xlsx", ".xlsm"):
        if not Path(source).is_file():
            raise ValidationError(f"--spec: spec table {source!r} does not exist")
        if k is None:
            raise ValidationError(
                f"--spec {source!r} is a spec table, which holds no poverty cutoff; give it "
                "with --k, e.g. --k 1/3 (or write the spec as YAML: mpi spec template)"
            )
        return Spec.from_table(Path(source), k=k[0] if isinstance(k, list) else k)
    raise ValidationError(
        f"--spec {source!r} is neither a preset ({', '.join(available(kind='af'))}) nor a spec file "
        "(.yml, .yaml, .json, or a .csv/.xlsx table); write one with 'mpi spec template "
        "my_spec.yml'"
    )


def label_columns(spec: Spec | None, names: Iterable[str | None]) -> list[str]:
    """Columns to read as labelled categories: the grouping ``names`` and the variables of
    indicators whose rule compares with text (``in [dung, wood]``, ``== "C"``).

    Stata and SPSS files store such columns as numbers with value labels; the other
    indicators stay numeric (their cutoffs are numbers).

    Parameters
    ----------
    spec
        The spec, or None.
    names
        Grouping variables (None entries are skipped).

    Returns
    -------
    list of str
        Unique names, in order.
    """
    out = [n for n in names if n]
    for ind in spec.indicators if spec is not None else ():
        cut = ind.cutoff
        values = cut if isinstance(cut, list | tuple) else [cut]
        if any(isinstance(v, str) for v in values):
            out.append(ind.variable)
    return list(dict.fromkeys(out))


def read_table(
    path: str,
    *,
    columns: Sequence[str] | None,
    labelled: Sequence[str],
    encoding: str | None = None,
    sheet: str | None = None,
) -> Any:
    """Read DATA (any format of :data:`mpi.io.FORMATS`) with the ``labelled`` columns as
    categories of their value labels and every other column as stored.

    Parameters
    ----------
    path
        The data file (or a ``.zarr`` folder).
    columns
        Columns to read (None: all).
    labelled
        Columns to turn into labelled categories when the file has value labels for them.
    encoding
        Text encoding of a CSV/Stata/SPSS file (``--encoding``), or None.
    sheet
        Excel sheet name or 0-based position as text (``--sheet``), or None.

    Returns
    -------
    pandas.DataFrame or xarray.Dataset
    """
    options: dict[str, Any] = {
        "value_labels": "codes",
        "encoding": encoding,
        "sheet": int(sheet) if sheet is not None and sheet.isdigit() else sheet,
    }
    try:
        data = read(path, columns=list(columns) if columns is not None else None, **options)
    except ValidationError:
        if columns is None:
            raise
        # a column is missing (or the file is unreadable: then this raises again); read it
        # all, so that the caller names the option whose column is missing
        data = read(path, **options)
    if isinstance(data, pd.DataFrame):
        has = data.attrs.get("value_labels", {}) or {}
        wanted = [c for c in labelled if c in has and c in data.columns]
        if wanted:
            data = apply_value_labels(data, wanted)
    return data


def check_columns(data: Any, columns: dict[str, str | list[str] | None]) -> None:
    """Every column named by an option is in DATA, else an error naming the option.

    Parameters
    ----------
    data
        A DataFrame (columns) or a Dataset (variables and dimensions).
    columns
        ``{option: column name(s) or None}``, e.g. ``{"--by": ["region"], "--weight": "w"}``.

    Returns
    -------
    None

    Examples
    --------
    >>> check_columns(pd.DataFrame({"region": [1]}), {"--by": ["regoin"]})
    Traceback (most recent call last):
    ...
    mpi.errors.ValidationError: --by 'regoin' is not a column of DATA (did you mean 'region'?); it has: region
    """
    have = [str(c) for c in (data.columns if isinstance(data, pd.DataFrame) else data.variables)]
    for option, names in columns.items():
        for name in [names] if isinstance(names, str) else names or []:
            if name in have:
                continue
            close = difflib.get_close_matches(name, have, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            listed = ", ".join(have[:40]) + (
                f" ... ({len(have) - 40} more)" if len(have) > 40 else ""
            )
            raise ValidationError(
                f"{option} {name!r} is not a column of DATA{hint}; it has: {listed}"
            )


def select_rows(data: Any, query: str | None) -> Any:
    """The ``--query`` option: the rows of a table that satisfy a pandas query.

    Parameters
    ----------
    data
        A DataFrame (a Dataset only without a query).
    query
        A :meth:`pandas.DataFrame.query` expression (``"round == 2020"``), or None.

    Returns
    -------
    pandas.DataFrame or xarray.Dataset
        ``data`` itself without a query; a new frame otherwise.
    """
    if query is None:
        return data
    if not isinstance(data, pd.DataFrame):
        raise ValidationError(
            f"--query {query!r} selects rows of a table; DATA is a panel dataset. Select "
            "waves or units before writing it, or give a long table (.csv, .parquet ...)"
        )
    try:
        out = data.query(query)
    except Exception as err:  # pandas raises NameError, SyntaxError, ValueError, TypeError...
        raise ValidationError(
            f"--query {query!r} failed ({type(err).__name__}: {' '.join(str(err).split())}); "
            'write a pandas query on the data\'s columns, e.g. --query "round == 2020" '
            "(text in quotes: --query \"region == 'North'\")"
        ) from None
    if not isinstance(out, pd.DataFrame) or len(out) == 0:
        raise ValidationError(
            f"--query {query!r} selects no rows of the {len(data):,} in DATA; check the "
            "column names and values"
        )
    return out


def person_weight(data: Any, weight: str | None, size: str | None) -> tuple[Any, str | None]:
    """The ``--size`` option: people as the unit of analysis (weight x household size).

    Parameters
    ----------
    data
        A DataFrame (or a Dataset when ``size`` is None).
    weight
        The household weight column, or None (every household weighs 1).
    size
        The household size column, or None (``data`` and ``weight`` unchanged).

    Returns
    -------
    (data, weight)
        A new frame with the column ``"<weight>*<size>"`` (or ``size`` itself without a
        weight) and its name.
    """
    if size is None:
        return data, weight
    if not isinstance(data, pd.DataFrame):
        raise ValidationError(
            f"--size {size!r} needs a table (one row per household); DATA is a panel dataset"
        )
    check_columns(data, {"--size": size, "--weight": weight})
    sizes = data[size]
    if not pd.api.types.is_numeric_dtype(sizes.dtype) or pd.api.types.is_bool_dtype(sizes.dtype):
        raise ValidationError(
            f"--size {size!r} must be a numeric column (household size); it has dtype {sizes.dtype}"
        )
    bad = np.asarray(sizes.to_numpy(dtype=float, na_value=np.nan) < 0)
    if bad.any():
        raise ValidationError(
            f"--size {size!r} has {int(bad.sum()):,} negative values; household sizes are "
            "counts of people (0 or more)"
        )
    if weight is None:
        return data, size
    name = f"{weight}*{size}"
    if name in data.columns:
        raise ValidationError(
            f"DATA already has a column {name!r}, the name --size gives the person weight; "
            "rename it or pass the person weight itself with --weight"
        )
    values = data[weight].astype(float) * sizes.astype(float)
    return data.assign(**{name: values}), name


def make_design(
    weight: str | None,
    strata: str | None,
    psu: str | None,
    fpc: str | None,
    lonely_psu: str,
    rounds: str | None = None,
) -> Design | None:
    """The survey design of ``--strata``/``--psu``/``--fpc`` (None without them).

    Parameters
    ----------
    weight
        The weight column (the person weight with ``--size``).
    strata, psu, fpc
        Design columns.
    lonely_psu
        Rule for strata with one PSU (:class:`mpi.Design`).
    rounds
        The round column of ``mpi change`` (each round its own sample).

    Returns
    -------
    mpi.Design or None
    """
    if strata is None and psu is None:
        if fpc is not None:
            raise ValidationError(
                f"--fpc {fpc!r} needs the design's --strata and/or --psu; add them or drop --fpc"
            )
        return None
    return Design(weight, strata=strata, psu=psu, fpc=fpc, lonely_psu=lonely_psu, rounds=rounds)


class Steps:
    """One progress line over the steps of a command (``reading``, ``measuring`` ...).

    A :func:`mpi._common.progress.progress` bar on stderr: shown when stderr is a terminal
    and ``--no-progress`` is not given, advanced by :meth:`step` with the step's name.

    Parameters
    ----------
    total
        Number of steps.
    enabled
        ``False`` (``--no-progress``) or ``None`` (automatic).
    """

    def __init__(self, total: int, enabled: bool | None) -> None:
        self.bar = progress(total=total, desc="mpi", unit="step", enabled=enabled)
        self.started = False

    def step(self, description: str) -> None:
        """Finish the previous step and start the next one.

        Parameters
        ----------
        description
            What the step does, in the report's language.

        Returns
        -------
        None
        """
        if self.started:
            self.bar.update(1)
        self.started = True
        self.bar.set_description_str(description)

    def __enter__(self) -> Steps:
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.started and exc[0] is None:
            self.bar.update(1)
        self.bar.close()


def step_text(key: str, lang: str, **fields: Any) -> str:
    """A progress step's words in ``lang`` (catalogue key ``cli.step.<key>``).

    Parameters
    ----------
    key
        The step.
    lang
        The report's language.
    **fields
        Fields of the text.

    Returns
    -------
    str
    """
    return text(f"cli.step.{key}", lang, **fields)
