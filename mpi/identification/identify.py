"""``mpi.identify``: who is poor, unit by unit (the unit-level counterpart of
:func:`mpi.measure`).

The inputs are validated as :func:`mpi.measure` validates them (spec, ``k``, ``missing``,
the weight; panels laid out by :mod:`mpi.measurement.panel_measure`), the identification is
:mod:`mpi.identification.identify_core`, the result :class:`IdentificationResult`.
"""

from __future__ import annotations

import datetime as _dt
import warnings
from collections.abc import Hashable
from fractions import Fraction
from typing import Any, Literal

import numpy as np
import pandas as pd
import xarray as xr

from mpi._common.exact import fraction_text
from mpi._common.panel_layout import check_panel
from mpi._common.table import as_table
from mpi._version import __version__
from mpi.errors import DataError, MissingDataWarning, ValidationError
from mpi.identification.identify_core import UnitStates, identify_units
from mpi.identification.identify_result import IdentificationResult
from mpi.measurement.panel_measure import flatten_panel, is_panel
from mpi.measurement.prepare import MISSING_RULES, cutoff_list
from mpi.measurement.spec import Spec

__all__ = ["identify", "IdentificationResult"]


def _frame_index(data: pd.DataFrame, unit: Hashable | None) -> pd.Index:
    """The index of the result for a DataFrame: its own index, or the ``unit`` column."""
    if unit is None:
        index = data.index
        what = "the DataFrame's index"
        fix = "reset_index() first or pass unit='<id column>'"
    else:
        if not isinstance(unit, Hashable) or unit not in data.columns:
            raise ValidationError(
                f"unit={unit!r} is not a column of the data; pass the name of the unit id "
                f"column (columns: {', '.join(map(str, list(data.columns)[:30]))}) or "
                "unit=None to keep the DataFrame's index"
            )
        ids = data[unit]
        if ids.isna().any():
            raise ValidationError(
                f"unit={unit!r}: {int(ids.isna().sum())} unit id(s) are missing; every unit "
                "needs an id (drop or fill those rows)"
            )
        index = pd.Index(ids.to_numpy(), name=unit)
        what = f"the unit column {unit!r}"
        fix = "merge or drop the duplicates"
    if index.has_duplicates:
        dup = index[index.duplicated()].unique()[:5].tolist()
        raise ValidationError(
            f"{what} has duplicate ids, e.g. {dup}; the result is aligned by id, so every "
            f"unit must appear once ({fix})"
        )
    return index


def _dataset_index(data: xr.Dataset, dim: Hashable, unit: Hashable | None) -> pd.Index:
    """The unit ids of a cross-section Dataset: ``unit`` (a variable along the unit dim),
    else the dim's coordinate, else positions."""
    if unit is not None and unit != dim:
        if unit not in data.variables or data[unit].dims != (dim,):
            raise ValidationError(
                f"unit={unit!r} is not a variable along the unit dimension {dim!r}; pass the "
                "name of the id variable, or unit=None to use the dimension's coordinate"
            )
        index = pd.Index(data[unit].values, name=unit)
    elif dim in data.coords:
        index = pd.Index(data[dim].values, name=dim)
    else:
        index = pd.RangeIndex(data.sizes[dim], name=dim)
    if index.has_duplicates:
        dup = index[index.duplicated()].unique()[:5].tolist()
        raise ValidationError(
            f"the unit ids along {dim!r} have duplicates, e.g. {dup}; every unit must appear "
            "once (merge or drop the duplicates)"
        )
    return index


def _dataset(
    st: UnitStates,
    spec: Spec,
    ks: list[Fraction],
    k_dim: bool,
    unit_dims: list[str],
    shape: tuple[int, ...],
    coords: dict[str, Any],
) -> xr.Dataset:
    """The result's Dataset from the flat per-unit arrays (reshaped to ``shape``)."""
    udims = tuple(unit_dims)

    def per_k(a: np.ndarray) -> tuple:
        a = a.reshape(*shape, len(ks))
        return (udims + ("k",), a) if k_dim else (udims, a[..., 0])

    dep = st.deprived_t.T.reshape(*shape, len(spec))  # a view: no n x d copy
    censored = dep[..., None] & st.poor.reshape(*shape, 1, len(ks))
    data: dict[str, Any] = {
        "score": (udims, st.score.reshape(shape)),
        "score_numerator": (udims, st.numerator.reshape(shape)),
        "score_denominator": (udims, st.denominator.reshape(shape)),
        "poor": per_k(st.poor),
        "vulnerable": per_k(st.vulnerable),
        "severe": per_k(st.severe),
        "deprived": (udims + ("indicator",), dep),
        "censored": (
            (udims + ("indicator", "k"), censored)
            if k_dim
            else (udims + ("indicator",), censored[..., 0])
        ),
        "missing": (udims, st.dropped.reshape(shape)),
        "n_missing_indicators": (udims, st.n_missing.reshape(shape)),
    }
    if st.sweight.size:
        data["sampling_weight"] = (udims, st.sweight.reshape(shape))
    out = xr.Dataset(data, coords={**coords, "indicator": spec.names})
    if k_dim:
        out = out.assign_coords(k=[float(f) for f in ks])
    return out


def identify(
    data: Any,
    spec: Spec,
    *,
    weight: str | None = None,
    k: Any = None,
    missing: Literal["drop", "reweight", "raise"] = "drop",
    unit: Hashable | None = None,
    time: Hashable = "time",
) -> IdentificationResult:
    """Alkire-Foster identification unit by unit: scores, poverty status and deprivations.

    The unit-level counterpart of :func:`mpi.measure` (same inputs, same validation, same
    missing-value rules, same exact identification): aggregating its output with the
    sampling weights reproduces every headcount, intensity and adjusted headcount of
    :func:`mpi.measure`.

    Parameters
    ----------
    data : pandas.DataFrame or xarray.Dataset
        One row per unit with a column for every indicator's ``variable``; or a panel: a
        Dataset with dims ``unit`` (or the ``unit=`` name) and ``time``, identified wave by
        wave (every unit-wave on its own). Never modified.
    spec : mpi.Spec
        Indicators, deprivation cutoffs, nested weights, ``k`` and the vulnerable and severe
        cutoffs.
    weight : str, optional
        Sampling-weight variable: validated as :func:`mpi.measure` does (non-negative,
        finite); a unit with a missing weight is dropped (as :func:`mpi.measure` drops it).
        Kept in the result (``sampling_weight``) for :meth:`IdentificationResult.shares`.
    k : float, str, Fraction or sequence, optional
        Poverty cutoff(s) overriding ``spec.k``; a sequence adds a ``k`` dimension.
    missing : {"drop", "reweight", "raise"}
        As in :func:`mpi.measure`. ``"drop"``: a unit with a missing value gets a NaN score,
        ``missing=True`` and no poverty status, and is counted (a
        :class:`~mpi.MissingDataWarning` gives the count). ``"reweight"``: the OPHI rule
        (weights re-spread within each dimension over the observed indicators; the score's
        denominator grows accordingly); a unit missing a whole dimension is dropped.
        ``"raise"``: a :class:`~mpi.DataError` on any missing value.
    unit : str, optional
        DataFrame: the unit id column to index the result by (ids must be unique); default:
        the DataFrame's own index (unique), so ``data.join(result.to_frame())`` works.
        Dataset: the unit id variable or dimension; panels: the unit dimension (default
        ``"unit"``).
    time : str
        Panels only: the wave dimension.

    Returns
    -------
    IdentificationResult
        ``to_dataset()``: per unit ``score`` (float), ``score_numerator`` and
        ``score_denominator`` (int64), ``poor``, ``vulnerable``, ``severe`` (bool, per ``k``),
        ``deprived`` and ``censored`` (bool, unit x indicator), ``missing`` (bool) and
        ``n_missing_indicators``; ``to_frame()``: one row per unit.

    Raises
    ------
    ValidationError
        For a bad ``spec``, ``k``, ``missing``, an unknown ``unit`` column or duplicate ids.
    DataError
        For data :func:`mpi.measure` refuses (unknown variables, invalid flags, negative
        weights, missing values with ``missing="raise"``).

    Notes
    -----
    The score of unit *i* is :math:`c_i = \\sum_j w_j g_{ij} = N_i / D` with integer
    :math:`N_i` over the common denominator :math:`D` of the weights; the unit is poor at
    :math:`k = a/b` iff :math:`N_i b \\ge a D` (integers, so a score of exactly *k* is poor),
    vulnerable iff :math:`v \\le c_i < k` and severely poor iff poor and :math:`c_i \\ge s`
    (``spec.vulnerable``, ``spec.severe``). The censored deprivation is :math:`g_{ij} p_i`.
    Memory is O(n) in compact dtypes: per unit three 8-byte numbers (score, numerator,
    denominator), one byte per flag (``poor``, ``vulnerable``, ``severe`` per cutoff,
    ``missing``), two bytes for ``n_missing_indicators`` and one byte per indicator for
    ``deprived`` and for ``censored`` (per cutoff): 58 bytes per unit with 10 indicators and
    one cutoff (index included), which is also the peak (``benchmarks/identify.py``; 1e7
    units in about 0.5 s).

    References
    ----------
    Alkire, S. and Foster, J. (2011). Counting and multidimensional poverty measurement.
    *Journal of Public Economics* 95(7-8), 476-487.

    Examples
    --------
    >>> import pandas as pd, mpi
    >>> from mpi.identification.identify import identify
    >>> spec = mpi.Spec.from_dimensions({"a": ["a1", "a2"], "b": ["b1", "b2"]}, k=0.5)
    >>> df = pd.DataFrame({"a1": [0, 1, 1, 0], "a2": [0, 0, 1, 1],
    ...                    "b1": [0, 0, 1, 0], "b2": [0, 1, 1, 0]})
    >>> res = identify(df, spec)
    >>> res.to_frame()["poor"].tolist()
    [False, True, True, False]
    """
    if not isinstance(spec, Spec):
        raise ValidationError(
            f"spec must be an mpi.Spec (e.g. mpi.presets.global_mpi_2018()); got "
            f"{type(spec).__name__}"
        )
    if missing not in MISSING_RULES:
        raise ValidationError(f"missing must be one of {', '.join(MISSING_RULES)}; got {missing!r}")
    if weight is not None and not isinstance(weight, Hashable):
        raise ValidationError(f"weight must be the name of a variable; got {weight!r}")
    ks, k_dim = cutoff_list(spec, k)
    time_dim = None
    if is_panel(data, spec, time):
        unit_dim = "unit" if unit is None else unit
        layout = check_panel(data, unit=unit_dim, time=time)
        flat, _, _ = flatten_panel(
            data, spec, weight=weight, by=None, time=time, unit=unit_dim,
            balance="observed", missing=missing,
        )  # fmt: skip
        table = as_table(flat, list(spec.variables))
        shape: tuple[int, ...] = (layout.n_units, layout.n_waves)
        dims = [str(unit_dim), str(time)]
        coords = {str(unit_dim): layout.units, str(time): layout.times}
        index: pd.Index = pd.MultiIndex.from_product(
            [layout.units, layout.times], names=[str(unit_dim), str(time)]
        )
        time_dim = str(time)
    else:
        needed = [*spec.variables, *([weight] if weight is not None else [])]
        table = as_table(data, list(dict.fromkeys(needed)))
        if isinstance(data, pd.DataFrame):
            index = _frame_index(data, unit)
            dims = [str(index.name) if index.name is not None else "unit"]
        else:
            index = _dataset_index(data, table.unit_dim, unit)
            dims = [str(index.name)]
        shape = (table.n,)
        coords = {dims[0]: index.to_numpy()}
    if table.n == 0:
        raise DataError("data has no units (0 rows); nothing to identify")
    st = identify_units(table, spec, ks, weight=weight, missing=missing)
    n_dropped = int(st.dropped.sum())
    if n_dropped and missing != "raise":
        per = ", ".join(
            f"{ind.variable}: {int(c)}"
            for ind, c in zip(spec, st.missing_by_indicator, strict=True)
            if c
        )
        warnings.warn(
            f"{n_dropped} of {table.n} units dropped for missing values ({missing!r} rule): "
            f"missing values per variable: {per or 'none'}"
            + (f", {weight} (weight)" if weight is not None and np.isnan(st.sweight).any() else "")
            + ". They have missing=True and a NaN score in the result",
            MissingDataWarning,
            stacklevel=2,
        )
    out = _dataset(st, spec, ks, k_dim, dims, shape, coords)
    k_text = ", ".join(fraction_text(f) for f in ks) if k_dim else fraction_text(ks[0])
    call = (
        f"mpi.identify(data, spec={spec.name or 'custom'!r}, weight={weight!r}, "
        f"k={k_text}, missing={missing!r})"
    )
    out.attrs = {
        "spec": spec.name or "custom",
        "n_dimensions": len(spec.dimensions),
        "k": k_text,
        "weight": weight or "",
        "missing": missing,
        "vulnerable": fraction_text(spec.vulnerable),
        "severe": fraction_text(spec.severe),
        "n_dropped": n_dropped,
        "history": f"{_dt.datetime.now(_dt.UTC).isoformat(timespec='seconds')}: {call} "
        f"[xmpi {__version__}]",
    }
    if time_dim is not None:
        out.attrs["time_dim"] = time_dim
    return IdentificationResult(out, index=index, k_dim=k_dim)
