"""Every estimand of :class:`~mpi.MeasureResult` as an :class:`~mpi.Estimate`.

:func:`estimates` evaluates the one formula table (:data:`mpi.measurement.formulas.FORMULAS`)
on estimates of totals (:class:`~mpi.measurement.formulas.EstimateOps`), which yields
linearised influence values (delta method) or replicate estimates for all estimands at once:
the perturbations are the exact linearisations (or replicate recomputations) of the
published numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import xarray as xr

from mpi.errors import ValidationError
from mpi.measurement.cell_totals import Inference
from mpi.measurement.formulas import (
    FORMULAS,
    EstimateOps,
    Terms,
    dimension_membership,
    evaluate,
    formula_names,
)
from mpi.survey.estimate import Estimate

__all__ = ["estimates", "ESTIMANDS", "PROPORTIONS"]

#: Variables of :meth:`MeasureResult.to_dataset` that are estimates (they get SEs).
ESTIMANDS = tuple(name for name, f in FORMULAS.items() if f.in_dataset)
#: Estimands bounded by [0, 1], for which logit confidence intervals apply.
PROPORTIONS = frozenset(name for name in ESTIMANDS if FORMULAS[name].proportion)


def estimates(
    stats: xr.Dataset,
    inference: Inference | None,
    spec: Any,
    *,
    missing: str,
    k_dim: bool,
    cell_dims: Sequence[str],
    above_severe: np.ndarray | None,
    missing_group: xr.Dataset | None,
) -> dict[str, Estimate]:
    """Every estimand as an :class:`~mpi.Estimate` built from totals.

    Parameters
    ----------
    stats : xarray.Dataset
        The result's additive statistics (:attr:`mpi.MeasureResult.statistics`), with the
        cell dims, ``k`` and ``indicator``.
    inference : Inference or None
        Totals per PSU or replicate and the variance engine (None: no design, an error).
    spec : mpi.Spec
        The specification (indicator weights and dimensions).
    missing : {"drop", "reweight"}
        The missing-value rule of the result.
    k_dim : bool
        Whether the result keeps a ``k`` dimension (else ``k`` is squeezed out).
    cell_dims : sequence of str
        The dims of ``stats`` that index groups: the ``by`` variables, or ``cell`` for a
        sparse table; empty without groups (then no group shares).
    above_severe : numpy.ndarray or None
        Booleans along ``k`` (0-d for one cutoff): the cutoff lies above the severity
        cutoff; None when no cutoff does.
    missing_group : xarray.Dataset or None
        Statistics of the units with a missing group (they count in the overall totals).

    Returns
    -------
    dict
        ``name -> Estimate`` for every formula of the table (the group shares only with
        groups), including ``absolute_contribution`` (``w_j h_j``, summing to M0).
    """
    if inference is None:
        raise ValidationError(
            "this result has no survey design; pass design=mpi.Design(...) to mpi.measure "
            "for standard errors"
        )
    by = list(cell_dims)
    fetch = _estimate_fetch(stats, inference, spec, missing, k_dim, by, missing_group)
    terms = Terms(
        fetch,
        EstimateOps(),
        membership=dimension_membership(spec),
        above_severe=above_severe,
    )
    out = evaluate(terms, formula_names(groups=bool(by)))
    if not k_dim:
        out = {n: e.squeeze("k") if "k" in e.dims else e for n, e in out.items()}
    return out


def _estimate_fetch(
    stats: xr.Dataset,
    inf: Inference,
    spec: Any,
    missing: str,
    k_dim: bool,
    by: list[str],
    missing_group: xr.Dataset | None,
) -> Callable[[str, Terms], Estimate]:
    """``fetch`` of the estimate evaluation: estimates of the statistics' totals, and of
    the sums over the groups (units with a missing group added to the overall ones)."""
    engine = inf.engine
    coord_vars = {c: stats.variables[c] for c in stats.coords}

    def tot(name: str) -> Estimate:
        like = stats.variables[name]  # a Variable: no DataArray built per statistic
        coords = {c: v for c, v in coord_vars.items() if set(v.dims) <= set(like.dims)}
        terms = inf.pert_terms(name, by, like) if engine.kind == "linearized" else None
        pert = inf.pert_values(name, by, like) if terms is None else None
        e = Estimate(like.values, pert, engine, dims=like.dims, coords=coords, terms=terms)
        # one cutoff: drop k from the totals, not from every estimate built on them
        return e.squeeze("k") if not k_dim and "k" in e.dims else e

    mg = missing_group
    has_missing_group = mg is not None and mg["NOBS"].values.sum() + mg["NDROP"].values.sum() > 0

    def fetch(name: str, t: Terms) -> Estimate:
        if name == "CONTRIB" and missing != "reweight":
            # w_j times the censored counts: a coefficient on their totals, no new array
            wint, denom = spec.integer_weights
            return t.CDEP * xr.DataArray(wint / denom, dims="indicator")
        if name == "SUMW_KNOWN":
            return t.SUMW.sum(by)
        if name in ("SUMW_ALL", "CP_ALL"):
            stat = name.split("_")[0]
            known = t.SUMW_KNOWN if stat == "SUMW" else t.CP.sum(by)
            if not has_missing_group:  # the totals are the known groups'
                return known
            assert mg is not None
            # units with a missing group count in the totals
            return Estimate(known.value + mg[stat], inf.pert_all(stat, mg[stat]), engine)
        return tot(name)

    return fetch
