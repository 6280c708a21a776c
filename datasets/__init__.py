"""Bundled example datasets and their generators.

>>> import mpi.datasets
>>> "mpi_survey" in mpi.datasets.list()
True
>>> df = mpi.datasets.load("mpi_survey")
>>> df.shape
(5000, 18)

:func:`load` reads the small bundled copy; :func:`generate` draws the same synthetic survey at
any size (10 million households take about 0.8 GB), deterministically for a seed. The bundled
file is exactly ``generate(name, n=5000, seed=2018)``. :func:`describe` returns the data card
(codebook, generating process, licence).
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from importlib import resources
from types import ModuleType
from typing import Any, Literal

import numpy as np
import pandas as pd
import xarray as xr

from . import _mpi_survey
from ._errors import DataError, ValidationError
from ._progress import check_progress

__all__ = [
    "list",
    "load",
    "describe",
    "generate",
    "to_households",
    "monthly_canteen_spending",
]


def __getattr__(name: str) -> Any:
    """Dataset helpers, imported on first use: ``to_households`` (dhs_rounds persons ->
    households with the global MPI variables), ``monthly_canteen_spending`` (campus_card
    canteen yuan and meals by student and month)."""
    import importlib

    homes = {
        "to_households": "_dhs_rounds",
        "monthly_canteen_spending": "_campus_card",
    }
    if name in homes:
        return getattr(importlib.import_module(f"{__name__}.{homes[name]}"), name)
    if name == "targeting_errors":
        raise AttributeError(
            f"{__name__}.targeting_errors was removed: use mpi.targeting(data, listed=<0/1 "
            "column>, poor=<0/1 column>), whose inclusion_error and exclusion_error are the same"
        )
    if name == "lsi":
        raise AttributeError(
            f"{__name__}.lsi was removed (an index is not data): use "
            "mpi.composite(df, mpi.presets.undp_china_lsi_2016()), whose to_frame()['index'] "
            "is the stored lsi column; mpi.presets.undp_china_lsi_2016('geometric') gives "
            "lsi_geometric, and to_dataset()['indicator_score'] the eight goalpost indices"
        )
    if name == "canteen_rule":
        raise AttributeError(
            f"{__name__}.canteen_rule was removed (a screening rule is not data): write the rule "
            "from the monthly canteen spending and evaluate it with mpi.targeting, e.g. "
            "spend, meals = mpi.datasets.monthly_canteen_spending(card); "
            'df = card["truth"].set_index("student_id")[["hardship"]]; '
            'df["flag"] = spend.mean(axis=1) < 200; '
            'mpi.targeting(df, listed="flag", poor="hardship"). The old min_meals=30 is '
            '"& (meals.mean(axis=1) >= 30)"; for two rules at the same number of beneficiaries '
            'use mpi.targeting_curve(df, score=<-spending>, poor="hardship", top=N)'
        )
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


Format = Literal["pandas", "xarray"]

# pandas 3 parses floats exactly by default (and deprecates ``float_precision``); pandas 2
# needs the round-trip parser for the bundled weights to equal the generated ones bit for bit.
_EXACT_FLOATS: dict[str, Any] = (
    {"float_precision": "round_trip"} if int(pd.__version__.split(".")[0]) < 3 else {}
)


@dataclass(frozen=True)
class _Dataset:
    generator: ModuleType  # a module with generate_columns, to_pandas, CATEGORIES, ...
    file: str
    card: str
    bundled_n: int
    bundled_seed: int


#: Dataset modules beyond ``mpi_survey``. Each module ``datasets/<module>.py`` defines
#: ``NAME`` (str), ``CARD`` (file name in ``cards/``), ``FORMATS`` (tuple of accepted
#: ``format`` values, the first being the default), ``load(*, format)`` and
#: ``generate(*, n, seed, chunk_size, format, progress)``. Modules that are not present are
#: skipped.
_PLUGIN_MODULES = (
    "_dhs_rounds",
    "_registry_panel",
    "_campus_card",
    "_county_lsi",
    "_benefit_audit",
    "_labour_market",
)


def _plugins() -> dict[str, ModuleType]:
    import importlib
    import importlib.util

    found = {}
    for mod in _PLUGIN_MODULES:
        if importlib.util.find_spec(f"{__name__}.{mod}") is None:
            continue
        module = importlib.import_module(f"{__name__}.{mod}")
        found[module.NAME] = module
    return found


_DATASETS: dict[str, _Dataset] = {
    "mpi_survey": _Dataset(
        generator=_mpi_survey,
        file="mpi_survey.csv.gz",
        card="mpi_survey.md",
        bundled_n=_mpi_survey.BUNDLED_N,
        bundled_seed=_mpi_survey.BUNDLED_SEED,
    ),
}


def list() -> builtins.list[str]:  # noqa: A001 - public name asked for by the API
    """Names of the bundled datasets.

    Returns
    -------
    list of str
        Dataset names accepted by :func:`load`, :func:`describe` and :func:`generate`.

    Examples
    --------
    >>> import mpi.datasets
    >>> "mpi_survey" in mpi.datasets.list()
    True
    """
    return sorted([*_DATASETS, *_plugins()])


def _get(name: object) -> _Dataset:
    if isinstance(name, str) and name in _DATASETS:
        return _DATASETS[name]
    available = ", ".join(repr(k) for k in list())
    raise DataError(
        f"name: unknown dataset {name!r}; available datasets: {available}. See mpi.datasets.list()"
    )


def _check_format(format: object) -> Format:
    if format not in ("pandas", "xarray"):
        raise ValidationError(f"format: must be 'pandas' or 'xarray'; got {format!r}")
    return format  # type: ignore[return-value]


def _check_plugin_format(plugin: ModuleType, format: object) -> str:
    if format is None or format == "pandas" and "pandas" not in plugin.FORMATS:
        return plugin.FORMATS[0]
    if format not in plugin.FORMATS:
        raise ValidationError(
            f"format: dataset {plugin.NAME!r} comes as {' or '.join(map(repr, plugin.FORMATS))}; "
            f"got {format!r}"
        )
    return format  # type: ignore[return-value]


def _check_int(value: object, argument: str, lo: int, hi: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ValidationError(f"{argument}: must be an integer; got {value!r}")
    value = int(value)
    if value < lo or (hi is not None and value > hi):
        bound = f">= {lo}" if hi is None else f"between {lo} and {hi}"
        raise ValidationError(f"{argument}: must be {bound}; got {value!r}")
    return value


def _to_xarray(df: pd.DataFrame, name: str, ds_info: _Dataset, **attrs: Any) -> xr.Dataset:
    """One variable per column along the dimension ``unit``; categories become strings."""
    data_vars = {}
    for col in df.columns:
        s = df[col]
        if isinstance(s.dtype, pd.CategoricalDtype):
            labels = np.empty(len(s.cat.categories) + 1, dtype=object)
            labels[:-1] = [str(c) for c in s.cat.categories]
            labels[-1] = np.nan  # code -1 (missing) picks the last entry
            values = labels[s.cat.codes.to_numpy()]
            var_attrs = {"categories": [str(c) for c in s.cat.categories]}
        else:
            values = s.to_numpy()
            var_attrs = {}
        label = ds_info.generator.LABELS.get(col)
        if label:
            var_attrs["long_name"] = label
        data_vars[col] = xr.Variable(("unit",), values, attrs=var_attrs)
    ds_attrs = {"title": name, "description": f"see mpi.datasets.describe({name!r})"}
    ds_attrs.update(attrs)
    return xr.Dataset(data_vars, attrs=ds_attrs)


def load(name: str, *, format: Format = "pandas") -> pd.DataFrame | xr.Dataset:
    """Load a bundled dataset.

    Parameters
    ----------
    name : str
        Dataset name, one of :func:`list`.
    format : str, default "pandas"
        For ``"mpi_survey"``: ``"pandas"`` gives a :class:`pandas.DataFrame` with one row
        per household (string columns as :class:`pandas.Categorical`); ``"xarray"`` gives
        an :class:`xarray.Dataset` with the single dimension ``"unit"`` and every column as
        a variable (string columns as object arrays of ``str``, missing values ``nan``).
        Other datasets have their own formats (the first is the default, also used for
        ``"pandas"`` when a dataset has no pandas format): ``"dhs_rounds"``:
        ``"households"``, ``"persons"``, ``"xarray"``; ``"registry_panel"``: ``"tables"``
        (a dict of DataFrames) or ``"xarray"`` (dims ``unit`` and ``time``);
        ``"campus_card"``: ``"tables"``; ``"county_lsi"``: ``"pandas"``, ``"xarray"``;
        ``"benefit_audit"``: ``"tables"`` (12 benefit lists, 6 registries, the truth and
        the planted anomalies); ``"labour_market"``: ``"tables"`` (``"workers"`` and
        ``"posts"``). See each data card (:func:`describe`).

    Returns
    -------
    pandas.DataFrame, dict of DataFrames or xarray.Dataset
        The dataset; identical to ``generate(name)`` with the bundled size and seed.

    Raises
    ------
    mpi.errors.DataError
        If ``name`` is not a bundled dataset.
    mpi.errors.ValidationError
        If ``format`` is not ``"pandas"`` or ``"xarray"``.

    Examples
    --------
    >>> import mpi.datasets
    >>> ds = mpi.datasets.load("mpi_survey", format="xarray")
    >>> ds.sizes["unit"]
    5000
    """
    plugin = _plugins().get(name) if isinstance(name, str) else None
    if plugin is not None:
        return plugin.load(format=_check_plugin_format(plugin, format))
    info = _get(name)
    fmt = _check_format(format)
    gen = info.generator
    dtypes: dict[str, Any] = dict(gen.NUMERIC_DTYPES)
    dtypes.update({c: pd.CategoricalDtype(builtins.list(v)) for c, v in gen.CATEGORIES.items()})
    with resources.files(__name__).joinpath("data", info.file).open("rb") as fh:
        df = pd.read_csv(
            fh,
            compression="gzip",
            dtype=dtypes,
            keep_default_na=False,
            na_values=[""],
            **_EXACT_FLOATS,
        )
    df = df[builtins.list(gen.COLUMNS)]
    if fmt == "xarray":
        return _to_xarray(df, name, info, n=info.bundled_n, seed=info.bundled_seed)
    return df


def describe(name: str) -> str:
    """Return the data card of a dataset.

    Parameters
    ----------
    name : str
        Dataset name, one of :func:`list`.

    Returns
    -------
    str
        The data card in (MyST) Markdown: what the data imitate, the codebook, the generating
        process, the targeted poverty figures and the licence.

    Raises
    ------
    mpi.errors.DataError
        If ``name`` is not a bundled dataset.

    Examples
    --------
    >>> import mpi.datasets
    >>> print(mpi.datasets.describe("mpi_survey").splitlines()[0])
    # mpi_survey: a synthetic household survey
    """
    plugin = _plugins().get(name) if isinstance(name, str) else None
    card = plugin.CARD if plugin is not None else _get(name).card
    return resources.files(__name__).joinpath("cards", card).read_text(encoding="utf-8")


def generate(
    name: str,
    *,
    n: int | None = None,
    seed: int = 0,
    chunk_size: int = 1_000_000,
    format: Format = "pandas",
    progress: bool | None = None,
) -> pd.DataFrame | xr.Dataset:
    """Generate a synthetic dataset of any size, deterministically for a seed.

    Rows are drawn in fixed internal blocks (2,048 clusters of 25 households, 51,200 rows, for
    ``"mpi_survey"``), block ``b`` from the ``b``-th child of
    ``numpy.random.SeedSequence(seed)``, and each block is written straight into preallocated
    compact arrays (categoricals, int8/int32, float64 for weights and for numeric columns with
    missing values). The result therefore depends only on ``seed`` and ``n`` -- never on
    ``chunk_size`` or on available memory -- and ``generate(name, n=k, seed=s)`` is the first
    ``k`` rows of ``generate(name, n=m, seed=s)`` for any ``m >= k``. Peak memory is the
    output plus one block of workspace (about 30 MB): 10 million households take about
    0.8 GB as a DataFrame and roughly 15 seconds.

    Parameters
    ----------
    name : str
        Dataset name, one of :func:`list`.
    n : int, optional
        Number of households (rows). Defaults to the size of the bundled file.
    seed : int, default 0
        Non-negative seed.
    chunk_size : int, default 1_000_000
        Upper bound on the rows materialised per step. Must be positive; the generator always
        works in internal blocks of 51,200 rows, so any value gives the same values and the
        same (block-sized) workspace. Kept for compatibility with chunked readers.
    format : str, default "pandas"
        Output type, as in :func:`load`.
    progress : bool or None, default None
        A progress bar on stderr counting the rows (households, students, counties)
        generated: ``None`` when stderr is a terminal (and the environment variable
        ``XMPI_PROGRESS`` is not ``"0"``), ``True`` always, ``False`` never. Small sizes
        finish before a bar would appear; the data are the same either way.

    Returns
    -------
    pandas.DataFrame or xarray.Dataset
        The generated dataset, with the same columns and dtypes as :func:`load`.

    Raises
    ------
    mpi.errors.DataError
        If ``name`` is not a bundled dataset.
    mpi.errors.ValidationError
        If ``n``, ``seed``, ``chunk_size``, ``format`` or ``progress`` is invalid.

    Examples
    --------
    >>> import mpi.datasets
    >>> big = mpi.datasets.generate("mpi_survey", n=100_000, seed=1)
    >>> len(big)
    100000
    >>> small = mpi.datasets.generate("mpi_survey", n=10, seed=1)
    >>> small.equals(big.head(10))
    True
    """
    check_progress(progress)
    plugin = _plugins().get(name) if isinstance(name, str) else None
    if plugin is not None:
        if n is not None:
            n = _check_int(n, "n", 1)
        return plugin.generate(
            n=n,
            seed=_check_int(seed, "seed", 0),
            chunk_size=_check_int(chunk_size, "chunk_size", 1),
            format=_check_plugin_format(plugin, format),
            progress=progress,
        )
    info = _get(name)
    fmt = _check_format(format)
    gen = info.generator
    n = info.bundled_n if n is None else _check_int(n, "n", 1, gen.MAX_N)
    seed = _check_int(seed, "seed", 0)
    _check_int(chunk_size, "chunk_size", 1)
    df = gen.to_pandas(gen.generate_columns(n, seed, progress))
    if fmt == "xarray":
        return _to_xarray(df, name, info, n=n, seed=seed)
    return df
