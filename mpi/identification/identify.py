"""``mpi.identify``: who is poor, unit by unit (the unit-level counterpart of
:func:`mpi.measure`).

The inputs are validated as :func:`mpi.measure` validates them (spec, ``k``, ``missing``,
the weight; panels laid out by :mod:`mpi.measurement.panel_measure`), the identification is
:mod:`mpi.identification.identify_core`, the result :class:`IdentificationResult`.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any, Literal

import numpy as np

from mpi._common.chunked import is_lazy
from mpi.errors import ValidationError
from mpi.identification.identify_chunked import identify_chunked
from mpi.identification.identify_core import identify_units
from mpi.identification.identify_layout import (
    check_units,
    needed_variables,
    prepare_units,
    result_attrs,
    unit_dataset,
    warn_dropped,
)
from mpi.identification.identify_result import IdentificationResult
from mpi.measurement.prepare import MISSING_RULES, cutoff_list
from mpi.measurement.spec import Spec

__all__ = ["identify", "IdentificationResult"]


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
        wave (every unit-wave on its own). Never modified. A dask-backed Dataset
        (chunked along the units, e.g. a zarr store opened lazily) is identified block by
        block without being loaded: counts, warnings and errors come at the call (one pass
        over the blocks), the per-unit outputs stay lazy (dask arrays chunked like the
        input; :attr:`IdentificationResult.lazy`) and equal the in-memory ones bit for bit
        (:mod:`mpi.identification.identify_chunked`).
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
    if is_lazy(data, needed_variables(spec, weight)):
        # dask-backed: counts in one pass over the blocks, per-unit outputs lazily
        return identify_chunked(
            data, spec, ks, k_dim, weight=weight, missing=missing, unit=unit, time=time
        )
    units = prepare_units(data, spec, weight=weight, missing=missing, unit=unit, time=time)
    table = units.table
    check_units(table.n)
    st = identify_units(table, spec, ks, weight=weight, missing=missing)
    n_dropped = int(st.dropped.sum())
    warn_dropped(
        spec, missing, weight, n_dropped=n_dropped, n=table.n,
        missing_by_indicator=st.missing_by_indicator,
        weight_missing=bool(weight is not None and np.isnan(st.sweight).any()), stacklevel=3,
    )  # fmt: skip
    out = unit_dataset(
        st, spec, ks, k_dim, units.dims, units.shape, units.coords, weighted=weight is not None
    )
    out.attrs = result_attrs(spec, ks, k_dim, weight, missing, n_dropped, units.time_dim)
    return IdentificationResult(out, index=units.index, k_dim=k_dim)
