"""Independent reference implementation of the Alkire–Foster measures (tests only).

Written straight from the formulas (``/work/shared/reference/oracles.md`` and ``methods.md``
§0) and deliberately naive: identification uses exact :class:`fractions.Fraction`
arithmetic unit by unit, aggregation uses plain float64 numpy over ``n × d`` temporaries.
It shares no code with ``mpi.measure`` or ``mpi.kernels``; from the package it only reads
the :class:`mpi.Spec` / :class:`mpi.Indicator` attributes (names, weights, dimensions,
variables, cutoffs, rules, cardinality, k and the band cutoffs).

Conventions (the contract of ``mpi.measure``)
---------------------------------------------
* ``g_ij`` deprivation (0/1, NaN = missing), ``gap_ij`` normalised gap: ``min(1, (z-x)/z)``
  for a deprived cardinal indicator, 1 for a deprived non-cardinal one, 0 otherwise.
* ``c_i = Σ_j w_ij g_ij`` (exact); poor iff ``c_i >= k``; vulnerable iff
  ``vulnerable <= c_i < k``; severe iff ``c_i >= max(severe, k)`` (the severely poor are
  among the poor, also at a cutoff k above the severity cutoff).
* ``missing="drop"``: units with a missing indicator or sampling weight are dropped.
  ``missing="reweight"``: inside each dimension the weights are re-spread over the observed
  indicators, ``w_ij = W_D · w_j / Σ_{observed j' in D} w_j'``; a unit with a dimension
  that has nothing observed (or with a missing sampling weight) is dropped.
* Every share is a sampling-weighted mean over the units used.
* Headcounts of indicator ``j`` use as denominator the units that observe ``j``.
* ``contribution_j = Σ_i s_i w_ij g_ij p_i / (M0 · Σ_i s_i)``.
* Groups: ``population_share_g = Σ_{i in g} s_i / Σ_{i with known group} s_i`` (units used)
  and ``group_contribution_g = population_share_g · M0_g / M0``.
"""

from __future__ import annotations

import math
import operator
import warnings
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "SCALAR_MEASURES",
    "INDICATOR_MEASURES",
    "DIMENSION_MEASURES",
    "GROUP_MEASURES",
    "as_fraction",
    "deprivations",
    "reference_core",
    "reference_measure",
    "from_result",
    "assert_measures_close",
]

SCALAR_MEASURES = (
    "H",
    "A",
    "M0",
    "M1",
    "M2",
    "vulnerable",
    "severe",
    "intensity_variance",
    "n_obs",
    "n_dropped",
)
INDICATOR_MEASURES = ("uncensored_headcount", "censored_headcount", "contribution")
DIMENSION_MEASURES = ("dimension_contribution",)
GROUP_MEASURES = ("population_share", "group_contribution")
#: Measures that are 0/0 when nobody is poor (or M0 = 0): the reference gives NaN; the
#: contract does not fix the convention, so comparisons accept NaN or 0 there.
UNDEFINED_WHEN_NOBODY_POOR = (
    "contribution",
    "dimension_contribution",
    "intensity_variance",
    "group_contribution",
)

_OPS = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}


def as_fraction(x: Any) -> Fraction:
    """Exact fraction; a float becomes the simplest fraction within 1e-9 of it."""
    if isinstance(x, Fraction):
        return x
    if isinstance(x, bool):
        raise TypeError("boolean is not a cutoff")
    if isinstance(x, int | np.integer):
        return Fraction(int(x))
    if isinstance(x, str):
        return Fraction(x)
    xf = float(x)
    den = 1
    while den <= 10**6:
        f = Fraction(xf).limit_denominator(den)
        if abs(float(f) - xf) <= 1e-9:
            return f
        den *= 10
    raise ValueError(f"{x!r} is not a simple fraction")


# --------------------------------------------------------------------------------------
# Deprivation status and gaps from data
# --------------------------------------------------------------------------------------
def _column(data: Any, var: str) -> np.ndarray:
    if isinstance(data, pd.DataFrame):
        return data[var].to_numpy(dtype=object)
    # xarray.Dataset (one dimension)
    return np.asarray(data[var].values, dtype=object).reshape(-1)


def _n_units(data: Any) -> int:
    if isinstance(data, pd.DataFrame):
        return len(data)
    (n,) = tuple(data.sizes.values())
    return int(n)


def deprivations(data: Any, spec: Any) -> tuple[np.ndarray, np.ndarray]:
    """``(g, gap)``: ``n × d`` float arrays, NaN where the indicator's variable is missing."""
    n = _n_units(data)
    d = len(spec.indicators)
    g = np.full((n, d), np.nan)
    gap = np.full((n, d), np.nan)
    for j, ind in enumerate(spec.indicators):
        values = _column(data, ind.variable)
        for i, x in enumerate(values):
            if x is None or x is pd.NA or (not isinstance(x, str) and pd.isna(x)):
                continue
            if ind.cutoff is None:  # the variable is the deprivation flag
                flag = float(x)
                if flag not in (0.0, 1.0):
                    raise ValueError(f"flag {ind.variable} holds {x!r}")
                dep = flag == 1.0
            elif ind.deprived_if == "in":
                dep = x in ind.cutoff
            else:
                dep = bool(_OPS[ind.deprived_if](x, ind.cutoff))
            g[i, j] = 1.0 if dep else 0.0
            if not dep:
                gap[i, j] = 0.0
            elif ind.cardinal:
                z = float(ind.cutoff)
                gap[i, j] = min(1.0, (z - float(x)) / z)
            else:
                gap[i, j] = 1.0
    return g, gap


# --------------------------------------------------------------------------------------
# The measures for one k
# --------------------------------------------------------------------------------------
def _nan_dict(d: int, n_dim: int) -> dict[str, Any]:
    out: dict[str, Any] = dict.fromkeys(SCALAR_MEASURES, np.nan)
    for name in INDICATOR_MEASURES:
        out[name] = np.full(d, np.nan)
    out["dimension_contribution"] = np.full(n_dim, np.nan)
    return out


def effective_weights(
    g: np.ndarray, s: np.ndarray, w: Sequence[Fraction], dims: Sequence[Any], missing: str
) -> tuple[np.ndarray, np.ndarray]:
    """Exact effective weights ``w_ij`` (object array of Fractions) and the units kept.

    ``"drop"``: a unit with any missing indicator (or weight) is dropped. ``"reweight"``:
    within each dimension the observed indicators share the dimension's weight in
    proportion to their nominal weights; a unit missing a whole dimension is dropped.
    """
    n, d = g.shape
    dim_names = list(dict.fromkeys(dims))
    observed = ~np.isnan(g)
    keep = ~np.isnan(s)
    W = np.full((n, d), Fraction(0), dtype=object)
    dim_total = {D: sum((w[j] for j in range(d) if dims[j] == D), Fraction(0)) for D in dim_names}
    for i in range(n):
        if not keep[i]:
            continue
        if missing == "drop":
            if not observed[i].all():
                keep[i] = False
                continue
            for j in range(d):
                W[i, j] = w[j]
        elif missing == "reweight":
            for D in dim_names:
                members = [j for j in range(d) if dims[j] == D]
                seen = sum((w[j] for j in members if observed[i, j]), Fraction(0))
                if seen == 0:
                    keep[i] = False
                    break
                for j in members:
                    W[i, j] = dim_total[D] * w[j] / seen if observed[i, j] else Fraction(0)
            if not keep[i]:
                W[i, :] = Fraction(0)
        else:
            raise ValueError(f"missing={missing!r}")
    return W, keep


def reference_core(
    g: np.ndarray,
    weights: Sequence[Any],
    *,
    k: Any,
    gap: np.ndarray | None = None,
    dimensions: Sequence[Any] | None = None,
    s: np.ndarray | None = None,
    missing: str = "drop",
    vulnerable: Any = Fraction(1, 5),
    severe: Any = Fraction(1, 2),
) -> dict[str, Any]:
    """All measures from a deprivation matrix (no groups): a dict for one k, a list of
    dicts when ``k`` is a sequence.

    Parameters
    ----------
    g
        ``n × d`` deprivation matrix (0/1, NaN = missing).
    weights
        ``d`` indicator weights (converted to exact fractions; must sum to 1).
    k, vulnerable, severe
        Cutoffs (converted to exact fractions).
    gap
        ``n × d`` normalised gaps; defaults to ``g`` (all indicators non-cardinal).
    dimensions
        Dimension label of each indicator (default: each indicator is its own dimension).
        ``dimension_contribution`` follows the order of first appearance.
    s
        Sampling weights (NaN = missing); default all ones.
    missing
        ``"drop"`` or ``"reweight"``.
    """
    g = np.asarray(g, dtype=float)
    if g.ndim != 2:
        raise ValueError("g must be n × d")
    n, d = g.shape
    gap = g.copy() if gap is None else np.asarray(gap, dtype=float)
    w = [as_fraction(x) for x in weights]
    if len(w) != d or sum(w) != 1:
        raise ValueError(f"weights {w} must be d={d} fractions summing to 1")
    dims = list(range(d)) if dimensions is None else list(dimensions)
    dim_names = list(dict.fromkeys(dims))
    vq, sq = as_fraction(vulnerable), as_fraction(severe)
    s = np.ones(n) if s is None else np.asarray(s, dtype=float).reshape(-1)

    W, keep = effective_weights(g, s, w, dims, missing)

    # exact scores
    score = [Fraction(0)] * n
    for i in range(n):
        if keep[i]:
            score[i] = sum((W[i, j] for j in range(d) if g[i, j] == 1), Fraction(0))
    many = _is_sequence(k)
    results = [
        _identify_and_aggregate(as_fraction(kk), vq, sq, score, keep, g, gap, W, s, dims, dim_names)
        for kk in (k if many else [k])
    ]
    return results if many else results[0]


def _is_sequence(k: Any) -> bool:
    return k is not None and not isinstance(k, str) and isinstance(k, Sequence | np.ndarray)


def _identify_and_aggregate(
    kq: Fraction,
    vq: Fraction,
    sq: Fraction,
    score: list[Fraction],
    keep: np.ndarray,
    g: np.ndarray,
    gap: np.ndarray,
    W: np.ndarray,
    s: np.ndarray,
    dims: list[Any],
    dim_names: list[Any],
) -> dict[str, Any]:
    n, d = g.shape
    observed = ~np.isnan(g)
    # exact identification
    poor = np.array([bool(keep[i] and score[i] >= kq) for i in range(n)])
    vuln = np.array([bool(keep[i] and vq <= score[i] < kq) for i in range(n)])
    sev = np.array([bool(keep[i] and score[i] >= max(sq, kq)) for i in range(n)])

    out = _nan_dict(d, len(dim_names))
    out["n_obs"] = int(keep.sum())
    out["n_dropped"] = int(n - keep.sum())
    if not keep.any():
        return out

    # float aggregation over the units used
    sk = s[keep]
    gk = np.where(observed[keep], g[keep], 0.0)
    gapk = np.where(observed[keep], gap[keep], 0.0)
    obsk = observed[keep].astype(float)
    Wf = np.array([[float(x) for x in row] for row in W[keep]], dtype=float).reshape(-1, d)
    c = np.array([float(score[i]) for i in np.flatnonzero(keep)])
    p = poor[keep].astype(float)
    total = sk.sum()
    out["sum_s"] = float(total)
    if total == 0:
        return out

    H = np.sum(sk * p) / total
    M0 = np.sum(sk * c * p) / total
    out["H"] = H
    out["M0"] = M0
    out["A"] = np.sum(sk * c * p) / np.sum(sk * p) if np.sum(sk * p) > 0 else np.nan
    out["M1"] = np.sum(sk * p * np.sum(Wf * gk * gapk, axis=1)) / total
    out["M2"] = np.sum(sk * p * np.sum(Wf * gk * gapk**2, axis=1)) / total
    out["vulnerable"] = np.sum(sk * vuln[keep]) / total
    out["severe"] = np.sum(sk * sev[keep]) / total
    sp = np.sum(sk * p)
    if sp > 0:
        out["intensity_variance"] = np.sum(sk * p * (c - out["A"]) ** 2) / sp

    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        den_j = np.sum(sk[:, None] * obsk, axis=0)
        out["uncensored_headcount"] = np.sum(sk[:, None] * gk, axis=0) / den_j
        out["censored_headcount"] = np.sum(sk[:, None] * gk * p[:, None], axis=0) / den_j
        out["contribution"] = np.sum(sk[:, None] * Wf * gk * p[:, None], axis=0) / (M0 * total)
    out["dimension_contribution"] = np.array(
        [sum(out["contribution"][j] for j in range(d) if dims[j] == D) for D in dim_names]
    )
    return out


def _is_missing(x: Any) -> bool:
    return x is None or x is pd.NA or (not isinstance(x, str | tuple) and pd.isna(x))


def _key(x: Any) -> Any:
    return x.item() if isinstance(x, np.generic) else x


def reference_measure(
    data: Any,
    spec: Any,
    *,
    weight: str | None = None,
    by: str | Sequence[str] | None = None,
    k: Any = None,
    missing: str = "drop",
    # matrix form only:
    gap: np.ndarray | None = None,
    dimensions: Sequence[Any] | None = None,
    s: np.ndarray | None = None,
    groups: Sequence[Any] | None = None,
    vulnerable: Any = Fraction(1, 5),
    severe: Any = Fraction(1, 2),
) -> dict[str, Any]:
    """Reference measures: a dict for one k, a list of dicts when ``k`` is a sequence.

    ``data`` is either a pandas DataFrame / xarray Dataset with ``spec`` an
    :class:`mpi.Spec` (then ``weight``, ``by`` and ``k`` are read as in ``mpi.measure``), or
    an ``n × d`` deprivation matrix with ``spec`` the sequence of weights (then ``gap``,
    ``dimensions``, ``s``, ``groups``, ``vulnerable`` and ``severe`` apply, and ``k`` is
    required).

    Returns a dict with the scalar measures, the per-indicator arrays (spec order), the
    ``dimension_contribution`` array (order of first appearance of the dimensions) and, when
    groups are given, ``"groups"``: ``{group key: dict}`` where each group dict also has
    ``population_share`` and ``group_contribution``. Group keys are the group values (a
    tuple of values when ``by`` is a list). Units with an unknown group count in the overall
    measures only.
    """
    if isinstance(data, np.ndarray) or isinstance(data, list):
        g = np.asarray(data, dtype=float)
        weights = list(spec)
        if k is None:
            raise ValueError("k is required with a deprivation matrix")
        keys = None if groups is None else [_key(x) for x in groups]
    else:
        g, gap = deprivations(data, spec)
        weights = [ind.weight for ind in spec.indicators]
        dimensions = [spec.dimension_of(ind) for ind in spec.indicators]
        vulnerable, severe = spec.vulnerable, spec.severe
        k = spec.k if k is None else k
        s = None if weight is None else np.asarray(_column(data, weight), dtype=float)
        keys = None
        if by is not None:
            cols = [by] if isinstance(by, str) else list(by)
            vals = [_column(data, col) for col in cols]
            keys = []
            for i in range(g.shape[0]):
                row = [_key(v[i]) for v in vals]
                if any(_is_missing(x) for x in row):
                    keys.append(None)
                else:
                    keys.append(row[0] if isinstance(by, str) else tuple(row))
    kw = dict(
        k=k,
        dimensions=dimensions,
        missing=missing,
        vulnerable=vulnerable,
        severe=severe,
    )
    many = _is_sequence(k)
    outs = reference_core(g, weights, gap=gap, s=s, **kw)
    outs = outs if many else [outs]
    if keys is not None:
        n = g.shape[0]
        sv = np.ones(n) if s is None else np.asarray(s, dtype=float)
        gp = g.copy() if gap is None else gap
        known = [not _is_missing(x) for x in keys]
        per_group: dict[Any, list[dict[str, Any]]] = {}
        for key in dict.fromkeys(x for x, kn in zip(keys, known, strict=True) if kn):
            rows = np.array([kn and x == key for x, kn in zip(keys, known, strict=True)])
            res = reference_core(g[rows], weights, gap=gp[rows], s=sv[rows], **kw)
            per_group[key] = res if many else [res]
        for pos, out in enumerate(outs):
            group_out = {key: res[pos] for key, res in per_group.items()}
            # Σ s over the units used that have a known group
            used_total = sum(res.get("sum_s", 0.0) for res in group_out.values())
            for res in group_out.values():
                share = res.get("sum_s", 0.0) / used_total if used_total > 0 else np.nan
                res["population_share"] = share
                res["group_contribution"] = (
                    share * res["M0"] / out["M0"] if out["M0"] > 0 else np.nan
                )
            out["groups"] = group_out
    return outs if many else outs[0]


# --------------------------------------------------------------------------------------
# Reading an mpi.measure result into the same layout
# --------------------------------------------------------------------------------------
def _scalar_or_array(da: Any) -> Any:
    v = np.asarray(da.values)
    return v.item() if v.ndim == 0 else v


def from_result(
    res: Any,
    spec: Any,
    *,
    by: str | Sequence[str] | None = None,
    k_index: int | None = None,
) -> dict[str, Any]:
    """Read ``res.to_dataset()`` (one k: position ``k_index`` along ``k`` if present) into
    the layout of :func:`reference_measure`."""
    ds = res.to_dataset() if hasattr(res, "to_dataset") else res
    if "k" in ds.dims:
        if k_index is None:
            raise ValueError("the result has a k dimension; pass k_index")
        ds = ds.isel(k=k_index)
    if "indicator" in ds.coords:
        assert list(map(str, ds["indicator"].values)) == spec.names, ds["indicator"].values
    if "dimension" in ds.coords:
        assert list(map(str, ds["dimension"].values)) == spec.dimensions, ds["dimension"].values

    def one(sub: Any) -> dict[str, Any]:
        out = {}
        for name in SCALAR_MEASURES + INDICATOR_MEASURES + DIMENSION_MEASURES:
            if name in sub:
                out[name] = _scalar_or_array(sub[name])
        for name in GROUP_MEASURES:
            if name in sub:
                out[name] = _scalar_or_array(sub[name])
        return out

    if by is None:
        return one(ds)
    cols = [by] if isinstance(by, str) else list(by)
    coords = [[_key(x) for x in ds[c].values] for c in cols]
    groups = {}
    for combo in _product(coords):
        sub = ds.sel(dict(zip(cols, combo, strict=True)))
        key = combo[0] if isinstance(by, str) else tuple(combo)
        groups[key] = one(sub)
    overall = res.overall.to_dataset()
    out = one(overall.isel(k=k_index) if "k" in overall.dims else overall)
    out["groups"] = groups
    return out


def _product(lists: list[list[Any]]) -> list[list[Any]]:
    out: list[list[Any]] = [[]]
    for values in lists:
        out = [prev + [v] for prev in out for v in values]
    return out


# --------------------------------------------------------------------------------------
# Comparison
# --------------------------------------------------------------------------------------
def _close(name: str, got: Any, exp: Any, rtol: float, atol: float, where: str) -> None:
    g = np.asarray(got, dtype=float)
    e = np.asarray(exp, dtype=float)
    assert g.shape == e.shape, f"{where}{name}: shape {g.shape} != expected {e.shape}"
    if name in UNDEFINED_WHEN_NOBODY_POOR:
        # 0/0 in the reference: accept NaN or 0 from the implementation
        undefined = np.isnan(e)
        ok = np.isnan(g[undefined]) | (g[undefined] == 0)
        assert ok.all(), f"{where}{name}: got {g} where undefined (expected NaN) {e}"
        g, e = g[~undefined], e[~undefined]
    np.testing.assert_allclose(g, e, rtol=rtol, atol=atol, equal_nan=True, err_msg=f"{where}{name}")


def assert_measures_close(
    got: dict[str, Any],
    exp: dict[str, Any],
    *,
    rtol: float = 1e-12,
    atol: float = 1e-12,
    names: Sequence[str] | None = None,
    where: str = "",
) -> None:
    """Compare two measure dicts (reference layout), groups included.

    Groups of ``exp`` with ``n_obs == 0`` are not compared; groups in ``got`` that are not
    in ``exp`` must have ``n_obs == 0`` (empty cells of a cross-classification).
    """
    keys = names or (SCALAR_MEASURES + INDICATOR_MEASURES + DIMENSION_MEASURES)
    for name in keys:
        if name in ("population_share", "group_contribution"):
            continue
        assert name in got, f"{where}measure {name!r} missing from the result"
        _close(name, got[name], exp[name], rtol, atol, where)
    if "groups" in exp:
        assert "groups" in got, f"{where}no groups in the result"
        for key, eg in exp["groups"].items():
            if eg["n_obs"] == 0:
                continue
            assert key in got["groups"], f"{where}group {key!r} missing; has {list(got['groups'])}"
            gg = got["groups"][key]
            sub = f"{where}group {key!r}: "
            assert_measures_close(gg, eg, rtol=rtol, atol=atol, names=names, where=sub)
            for name in GROUP_MEASURES:
                if names is None or name in names:
                    assert name in gg, f"{sub}measure {name!r} missing"
                    _close(name, gg[name], eg[name], rtol, atol, sub)
        for key, gg in got["groups"].items():
            if key not in exp["groups"]:
                n_obs = gg.get("n_obs", 0)
                assert n_obs == 0 or (isinstance(n_obs, float) and math.isnan(n_obs)), (
                    f"{where}unexpected group {key!r} with n_obs={n_obs}"
                )


# --------------------------------------------------------------------------------------
# One entry point for both implementations (used by the test modules)
# --------------------------------------------------------------------------------------
def run_measure(impl: str, data: Any, spec: Any, **kwargs: Any) -> Any:
    """Measures in the reference layout from ``impl`` = ``"mpi"`` or ``"reference"``.

    Keyword arguments are those of ``mpi.measure`` (``weight``, ``by``, ``k``,
    ``missing``). A sequence ``k`` gives a list of dicts, one per k, in the given order.
    """
    k = kwargs.get("k")
    seq = _is_sequence(k)
    if impl == "reference":
        return reference_measure(data, spec, **kwargs)
    if impl != "mpi":
        raise ValueError(impl)
    import mpi

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mpi.MissingDataWarning)
        res = mpi.measure(data, spec, **kwargs)
    by = kwargs.get("by")
    if seq:
        ds = res.to_dataset()
        assert "k" in ds.dims, f"k={k!r} is a sequence but the result has no k dimension"
        np.testing.assert_allclose(ds["k"].values, [float(as_fraction(x)) for x in k])
        return [from_result(res, spec, by=by, k_index=i) for i in range(len(k))]
    return from_result(res, spec, by=by)
