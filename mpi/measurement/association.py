"""``mpi.association``: association and redundancy between pairs of deprivation indicators.

The counterpart of the ``assoc`` command of the Stata toolbox mpitb (Suppa 2023). For every
pair of indicators ``(j, l)`` the weighted 2x2 table of their deprivation statuses gives
Cramér's V (and the signed phi coefficient) and the redundancy measure R0 of Alkire et al.
(2015, ch. 7), either on the uncensored deprivations ``g_ij`` or on the censored ones
``g_ij p_i`` (deprivations of the poor only).

Every cell of every table comes from one matrix product per block of units, so the data are
read once and memory stays at a few blocks of ``units x indicators`` floats.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Hashable
from fractions import Fraction
from typing import Any, Literal

import numpy as np
import xarray as xr

from mpi._common.exact import fraction_text
from mpi._common.table import as_table, encode_weight
from mpi._version import __version__
from mpi.errors import DataError, ValidationError
from mpi.measurement.association_result import AssociationResult
from mpi.measurement.encode import encode_indicator
from mpi.measurement.spec import Spec

__all__ = ["association", "AssociationResult"]

_MISSING = ("pairwise", "listwise")

#: Units per block: two ``2d x BLOCK`` float64 buffers stay in the L2/L3 cache.
BLOCK = 1 << 15

#: CF-style metadata of the output variables.
VARIABLE_ATTRS: dict[str, dict[str, str]] = {
    "cramers_v": {
        "long_name": "Cramér's V of the 2x2 deprivation table",
        "description": "|p11 p00 - p10 p01| / sqrt(p1. p0. p.1 p.0) from the weighted 2x2 "
        "table of the deprivation statuses of indicator and indicator2 among the units "
        "used for the pair; 0 = no association, 1 = perfect association; NaN when a "
        "margin is 0. Equal to |phi| for a 2x2 table.",
        "units": "1",
    },
    "phi": {
        "long_name": "Phi coefficient (signed)",
        "description": "(p11 p00 - p10 p01) / sqrt(p1. p0. p.1 p.0): the Pearson correlation "
        "of the two 0/1 deprivation statuses; NaN when a margin is 0.",
        "units": "1",
    },
    "redundancy": {
        "long_name": "Redundancy R0",
        "description": "p11 / min(p1., p.1): the share of units deprived in both indicators "
        "among those deprived in the less frequent one (Alkire et al. 2015, ch. 7); "
        "1 = every unit deprived in one is deprived in the other; NaN when min(p1., p.1) = 0.",
        "units": "1",
    },
    "both_deprived": {
        "long_name": "Joint deprivation share p11",
        "description": "Weighted share of the units used for the pair that are deprived in "
        "both indicator and indicator2.",
        "units": "1",
    },
    "n_obs": {
        "long_name": "Units used for the pair",
        "description": "Number of units (unweighted) in the 2x2 table of the pair.",
        "units": "1",
    },
    "uncensored_headcount": {
        "long_name": "Uncensored headcount ratio",
        "description": "Weighted share of the units used for the indicator (the diagonal "
        "pair) that are deprived in it.",
        "units": "1",
    },
    "censored_headcount": {
        "long_name": "Censored headcount ratio",
        "description": "Weighted share of the units used that are poor and deprived in the "
        "indicator.",
        "units": "1",
    },
}


# --------------------------------------------------------------------------------------
# Deprivation flags
# --------------------------------------------------------------------------------------
def _deprived(x: np.ndarray, rule: str, z: float) -> np.ndarray:
    """Boolean deprivation status of ``x`` (NaN is never deprived)."""
    if rule == "flag":
        return x == 1.0
    if rule == "<":
        return x < z
    if rule == "<=":
        return x <= z
    if rule == ">":
        return x > z
    if rule == ">=":
        return x >= z
    if rule == "==":
        return x == z
    if rule == "!=":
        return (x != z) & (x == x)
    raise AssertionError(f"unknown rule {rule!r}")  # pragma: no cover


def _check_flags(values: np.ndarray, ind: Any) -> None:
    bad = (values != 0.0) & (values != 1.0) & (values == values)
    if bad.any():
        value = values[np.flatnonzero(bad)[0]]
        raise DataError(
            f"variable {ind.variable!r} of indicator {ind.name!r} must hold 0/1 (1 = deprived) "
            f"because the indicator has no cutoff; found the value {value:g}. Give the "
            "indicator a cutoff and deprived_if, or recode the variable"
        )


# --------------------------------------------------------------------------------------
# The public function
# --------------------------------------------------------------------------------------
def association(
    data: Any,
    spec: Spec,
    *,
    weight: str | None = None,
    censored: bool = False,
    k: Any = None,
    missing: Literal["pairwise", "listwise"] = "pairwise",
) -> AssociationResult:
    """Association (Cramér's V) and redundancy (R0) between every pair of indicators.

    Parameters
    ----------
    data : pandas.DataFrame or xarray.Dataset
        One row (or one element along a single unit dimension) per unit, with a column for
        every indicator's ``variable``. Never modified.
    spec : mpi.Spec
        Indicators and deprivation cutoffs; the weights and ``k`` are used only with
        ``censored=True``.
    weight : str, optional
        Name of the sampling-weight variable (non-negative). Units with a missing weight
        are not used.
    censored : bool, default False
        ``False``: association of the uncensored deprivations :math:`g_{ij}`. ``True``:
        of the censored deprivations :math:`g_{ij} p_i` (a non-poor unit counts as not
        deprived); units with any missing indicator are then dropped (listwise) and
        counted in :attr:`AssociationResult.n_dropped`, whatever ``missing`` says.
    k : float, str or Fraction, optional
        Poverty cutoff for ``censored=True``, overriding ``spec.k``. Not allowed with
        ``censored=False``.
    missing : {"pairwise", "listwise"}
        Uncensored only. ``"pairwise"``: the table of a pair uses every unit that observes
        both indicators (``n_obs`` varies by pair). ``"listwise"``: only the units that
        observe every indicator.

    Returns
    -------
    AssociationResult
        ``.to_dataset()`` gives ``cramers_v``, ``phi``, ``redundancy``, ``both_deprived``
        and ``n_obs`` over ``(indicator, indicator2)``, and the headcount ratios over
        ``indicator``; ``.to_frame()`` the pairs as a tidy table.

    Notes
    -----
    For indicators *j* and *l* let :math:`p_{ab}` be the sampling-weighted share of the
    units used for the pair with deprivation status *a* in *j* and *b* in *l*
    (:math:`p_{1\\cdot} = p_{11} + p_{10}` and :math:`p_{\\cdot 1} = p_{11} + p_{01}` are
    the two headcount ratios). Then

    .. math::

        \\phi_{jl} = \\frac{p_{11} p_{00} - p_{10} p_{01}}
                          {\\sqrt{p_{1\\cdot}\\, p_{0\\cdot}\\, p_{\\cdot 1}\\, p_{\\cdot 0}}},
        \\qquad V_{jl} = |\\phi_{jl}|,
        \\qquad R^0_{jl} = \\frac{p_{11}}{\\min(p_{1\\cdot}, p_{\\cdot 1})} .

    Cramér's V is 0 for independent and 1 for perfectly associated deprivations; it is
    NaN when a margin is 0 (an indicator nobody, or everybody, is deprived in). R0 is the
    share of the units deprived in the rarer indicator that are also deprived in the other
    one: 1 means one deprivation implies the other (a candidate for dropping an indicator)
    even when V is low because the headcounts differ (Alkire et al. 2015, sec. 7.3). The
    diagonal is 1 where defined.

    With ``censored=True`` a unit is poor when its score :math:`c_i = \\sum_j w_j g_{ij}`
    is at least *k*. Identification is exact: with integer weights :math:`W_j = w_j D`
    over their common denominator *D* and :math:`k = a/b`, the unit is poor when
    :math:`b \\sum_j W_j g_{ij} \\ge a D`, an integer comparison, so a score of exactly
    *k* is poor.

    The weighted counts of all pairs come from one matrix product per block of units:
    with the flags stacked as :math:`A = [G; O - G]` (deprived; observed and not deprived),
    :math:`(A \\operatorname{diag}(s)) A^\\top` holds :math:`p_{11}, p_{10}, p_{01},
    p_{00}` (times the pair's total weight) of every pair at once.

    References
    ----------
    Alkire, S., Foster, J., Seth, S., Santos, M. E., Roche, J. M. and Ballon, P. (2015).
    *Multidimensional Poverty Measurement and Analysis*. Oxford University Press, ch. 7.
    Suppa, N. (2023). mpitb: A toolbox for multidimensional poverty indices.
    *The Stata Journal* 23(3).

    Examples
    --------
    Whoever is deprived in ``a2`` is also deprived in ``a1`` (R0 = 1), yet V is well below
    1 because ``a1`` is twice as common:

    >>> import pandas as pd, mpi
    >>> from mpi.measurement.association import association
    >>> spec = mpi.Spec.from_dimensions({"a": ["a1", "a2"], "b": ["b1"]}, k="1/2")
    >>> df = pd.DataFrame({"a1": [1, 1, 0, 0], "a2": [1, 0, 0, 0], "b1": [1, 1, 1, 0]})
    >>> res = association(df, spec)
    >>> ds = res.to_dataset()
    >>> pair = dict(indicator="a1", indicator2="a2")
    >>> round(float(ds.cramers_v.sel(pair)), 4), float(ds.redundancy.sel(pair))
    (0.5774, 1.0)
    >>> res.to_frame()[["indicator", "indicator2", "cramers_v", "redundancy"]].round(4)
      indicator indicator2  cramers_v  redundancy
    0        a1         a2     0.5774         1.0
    1        a1         b1     0.5774         1.0
    2        a2         b1     0.3333         1.0
    """
    if not isinstance(spec, Spec):
        raise ValidationError(
            f"spec must be an mpi.Spec (e.g. mpi.presets.global_mpi_2018()); got "
            f"{type(spec).__name__}"
        )
    if not isinstance(missing, str) or missing not in _MISSING:
        raise ValidationError(f"missing must be one of {', '.join(_MISSING)}; got {missing!r}")
    if not isinstance(censored, bool | np.bool_):
        raise ValidationError(f"censored must be True or False; got {censored!r}")
    censored = bool(censored)
    if censored:
        kk: Fraction | None = spec.cutoff_fraction(k)
    else:
        if k is not None:
            raise ValidationError(
                f"k is only used with censored=True (it identifies the poor); got k={k!r} "
                "with censored=False. Pass censored=True or drop k"
            )
        kk = None
    if weight is not None and (not isinstance(weight, Hashable) or isinstance(weight, bool)):
        raise ValidationError(f"weight must be the name of a variable; got {weight!r}")

    needed = [*spec.variables, *([weight] if weight is not None else [])]
    table = as_table(data, needed)
    if table.n == 0:
        raise DataError("data has no units (0 rows); nothing to measure")

    cols: list[np.ndarray] = []
    rules: list[tuple[str, float]] = []
    for ind in spec:
        values, rule, cut = encode_indicator(table.column(ind.variable, role="indicator"), ind)
        if rule == "flag":
            _check_flags(values, ind)
        cols.append(values)
        rules.append((rule, cut))
    sweight = None
    if weight is not None:
        sweight = encode_weight(table.column(weight, role="weight"), weight)
        bad = np.flatnonzero((sweight < 0) | (sweight == np.inf))
        if bad.size:
            raise DataError(
                f"weight variable {weight!r} must be non-negative and finite; found "
                f"{sweight[bad[0]]:g} (row {bad[0]}). Fix or drop those rows first"
            )

    listwise = censored or missing == "listwise"
    wint, denom = spec.integer_weights
    cells, counts, n_used = _accumulate(cols, rules, sweight, listwise, wint, denom, kk)
    ds = _dataset(cells, counts, spec, censored)

    call = (
        f"mpi.association(data, spec={spec.name or 'custom'!r}, weight={weight!r}, "
        f"censored={censored!r}, k={fraction_text(kk) if kk is not None else None!r}, "
        f"missing={missing!r})"
    )
    history = (
        f"{_dt.datetime.now(_dt.UTC).isoformat(timespec='seconds')}: {call} [xmpi {__version__}]"
    )
    return AssociationResult(
        ds,
        spec=spec,
        censored=censored,
        k=kk,
        weight=weight,
        missing="listwise" if censored else missing,
        n_units=table.n,
        n_dropped=table.n - n_used,
        history=history,
    )


def _accumulate(
    cols: list[np.ndarray],
    rules: list[tuple[str, float]],
    sweight: np.ndarray | None,
    listwise: bool,
    wint: np.ndarray,
    denom: int,
    k: Fraction | None,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Weighted and unweighted 2x2 cell counts of every pair, block by block.

    Returns ``(cells, counts, n_used)`` where ``cells`` (``2d x 2d``) is the sum over units
    of ``s_i a_i a_i^T`` with ``a_i = [g_i; o_i - g_i]`` (``g`` deprived, ``o`` observed,
    both zero for a unit not used), ``counts`` the same without the sampling weights and
    ``n_used`` the number of units used for at least one indicator.
    """
    d = len(cols)
    n = len(cols[0])
    m_max = min(BLOCK, n)
    a = np.empty((2 * d, m_max))
    a_s = np.empty((2 * d, m_max)) if sweight is not None else None
    cells = np.zeros((2 * d, 2 * d))
    counts = np.zeros((2 * d, 2 * d)) if sweight is not None else None
    score = np.empty(m_max, np.int64) if k is not None else None
    n_used = 0
    for i0 in range(0, n, BLOCK):
        m = min(BLOCK, n - i0)
        blk = a[:, :m]
        dep, obs = blk[:d], blk[d:]
        if score is not None:
            score[:m] = 0
        for j, (col, (rule, z)) in enumerate(zip(cols, rules, strict=True)):
            x = col[i0 : i0 + m]
            g = _deprived(x, rule, z)
            dep[j] = g
            obs[j] = x == x  # observed: not NaN
            if score is not None:
                score[:m] += wint[j] * g
        keep = None
        if sweight is not None:
            s = sweight[i0 : i0 + m]
            keep = s == s  # a unit with a missing sampling weight is not used
        if listwise:
            complete = obs.all(axis=0)
            keep = complete if keep is None else keep & complete
        if keep is not None and not keep.all():
            blk *= keep
        if k is not None:  # censor: exact integer identification, N * b >= a * D
            poor = score[:m] * k.denominator >= k.numerator * denom
            dep *= poor
        obs -= dep  # observed and not deprived
        n_used += int(np.count_nonzero(blk.any(axis=0)))
        if sweight is not None:
            s = np.where(keep, sweight[i0 : i0 + m], 0.0)
            blk_s = a_s[:, :m]
            np.multiply(blk, s, out=blk_s)
            cells += blk_s @ blk.T
            counts += blk @ blk.T
        else:
            cells += blk @ blk.T
    return cells, (counts if counts is not None else cells), n_used


def _mirror(x: np.ndarray) -> np.ndarray:
    """Symmetric matrix from the upper triangle (and diagonal) of ``x``."""
    upper = np.triu(np.ones(x.shape, dtype=bool))
    return np.where(upper, x, x.T)


def _dataset(cells: np.ndarray, counts: np.ndarray, spec: Spec, censored: bool) -> xr.Dataset:
    """2x2 cell totals of every pair -> association measures."""
    d = len(spec)
    w11, w10 = cells[:d, :d], cells[:d, d:]
    w01, w00 = cells[d:, :d], cells[d:, d:]
    total = w11 + w10 + w01 + w00
    n_obs = np.rint(counts[:d, :d] + counts[:d, d:] + counts[d:, :d] + counts[d:, d:])
    with np.errstate(divide="ignore", invalid="ignore"):
        p11, p10, p01, p00 = (np.where(total > 0, w / total, np.nan) for w in (w11, w10, w01, w00))
        row1, row0 = p11 + p10, p01 + p00  # margins of indicator (j)
        col1, col0 = p11 + p01, p10 + p00  # margins of indicator2 (l)
        # a margin is exactly 0 when its cells are: they are sums of non-negative terms
        defined = (w11 + w10 > 0) & (w01 + w00 > 0) & (w11 + w01 > 0) & (w10 + w00 > 0)
        phi = (p11 * p00 - p10 * p01) / np.sqrt(row1 * row0 * col1 * col0)
        phi = np.where(defined, np.clip(phi, -1.0, 1.0), np.nan)
        low = np.minimum(row1, col1)
        redundancy = np.where(low > 0, p11 / low, np.nan)
    eye = np.eye(d, dtype=bool)
    phi[eye & defined] = 1.0
    redundancy[eye & (low > 0)] = 1.0
    # exactly symmetric: the lower triangle is the mirror of the upper one
    phi, redundancy, p11, n_obs = (_mirror(x) for x in (phi, redundancy, p11, n_obs))
    head = np.diagonal(p11).copy()
    head_name = "censored_headcount" if censored else "uncensored_headcount"
    dims = ("indicator", "indicator2")
    ds = xr.Dataset(
        {
            "cramers_v": (dims, np.abs(phi)),
            "phi": (dims, phi),
            "redundancy": (dims, redundancy),
            "both_deprived": (dims, p11),
            "n_obs": (dims, n_obs.astype(np.int64)),
            head_name: (("indicator",), head),
        },
        coords={"indicator": spec.names, "indicator2": spec.names},
    )
    for name in ds.data_vars:
        ds[name].attrs.update(VARIABLE_ATTRS[name])
    ds["indicator"].attrs.update(long_name="Indicator (j)")
    ds["indicator2"].attrs.update(long_name="Indicator (l)")
    ds = ds.assign_coords(
        indicator_label=("indicator", [i.label or i.name for i in spec]),
        indicator_dimension=("indicator", [spec.dimension_of(i) for i in spec]),
    )
    return ds
