"""Arguments and design-based variance of :func:`mpi.identification.curves.targeting_curve`:
the ``by`` and ``design`` arguments, and the AUC as an :class:`~mpi.survey.estimate.Estimate`.

With an :class:`~mpi.Design` the AUC of every group is linearised: the weighted influence
values of :func:`~mpi.identification.curves_core.auc_influence` are summed per PSU (domains
by zeroing, never by subsetting the design) and go through the stratified with-replacement
variance of :class:`~mpi.survey.estimate.LinearizedEngine`. With a bootstrap design (Rao-Wu
factors on the PSUs) or an :class:`~mpi.ReplicateDesign` the AUC is recomputed with every
replicate weight.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from mpi._common.table import Table, encode_weight
from mpi.errors import ValidationError
from mpi.identification.curves_core import Bins, auc_influence, auc_values
from mpi.survey.bootstrap import rao_wu_factors
from mpi.survey.design import BootstrapDesign, ReplicateDesign, encode_design
from mpi.survey.estimate import Estimate, LinearizedEngine, ReplicateEngine

__all__ = ["auc_estimate", "AucUnits", "group_coords"]


class AucUnits:
    """The units used for the AUC: their rows in the table, bins, groups, status, weights.

    Parameters
    ----------
    rows
        Positions in the table of the units with a score, a status and a weight.
    bins
        Their score bins.
    group
        Their group codes (-1: a missing group value).
    n_groups
        Number of groups.
    poor
        Their status.
    w
        Their weights.
    """

    def __init__(
        self, rows: np.ndarray, bins: Bins, group: np.ndarray, n_groups: int,
        poor: np.ndarray, w: np.ndarray,
    ) -> None:  # fmt: skip
        self.rows, self.bins, self.group, self.n_groups = rows, bins, group, n_groups
        self.poor, self.w = poor, w


def auc_estimate(
    table: Table,
    design: Any,
    units: AucUnits,
    p: np.ndarray,
    q: np.ndarray,
    auc: np.ndarray,
    shape: tuple[int, ...],
    coords: dict[str, Any],
) -> tuple[Estimate, int, tuple[str, dict]]:
    """The groups' AUC with its PSU totals of influence values or its replicate values.

    Parameters
    ----------
    table
        The data (design variables and replicate weights are read from it).
    design
        An :class:`~mpi.Design`, a bootstrap design or an :class:`~mpi.ReplicateDesign`.
    units
        The units used.
    p, q
        Their weighted poor and non-poor totals per (group, bin).
    auc
        The groups' AUC, ``(n_groups,)``.
    shape
        The groups' shape (``()`` without groups).
    coords
        The group coordinates.

    Returns
    -------
    tuple
        The :class:`~mpi.survey.estimate.Estimate` (dims: the ``by`` variables), the degrees
        of freedom, and the variance method as a catalogue key ``targeting.design.*`` with
        its fields.
    """
    dims = tuple(coords)
    g = units.n_groups

    def shaped(arr: np.ndarray) -> np.ndarray:  # (..., n_groups) -> (..., *shape)
        return np.array(arr.reshape(arr.shape[:-1] + shape), dtype=np.float64)

    def replicate_aucs(weights: Any) -> np.ndarray:
        out = [auc_values(units.bins, units.group, g, units.poor, wr) for wr in weights]
        return np.stack(out)

    if isinstance(design, ReplicateDesign):
        weights = []
        for name in design.replicate_weights:
            w = encode_weight(table.column(name, role="replicate weight"), name)[units.rows]
            if np.isnan(w).any():
                raise ValidationError(
                    f"replicate weight {name!r} has missing values; replicate weights must be "
                    "complete (use 0 for units out of a replicate)"
                )
            weights.append(w)
        scale, rscales = design.multipliers()
        n = len(weights)
        engine: Any = ReplicateEngine(
            scale, rscales, design.mse, n - 1, f"{design.type} replicate weights ({n})"
        )
        pert = replicate_aucs(weights)
        return (
            Estimate(shaped(auc), shaped(pert), engine, dims=dims, coords=coords),
            n - 1,
            ("targeting.design.replicate", {"type": design.type, "n": n}),
        )
    base = design.design if isinstance(design, BootstrapDesign) else design
    enc = encode_design(table, base)
    psu = enc.psu[units.rows]
    if isinstance(design, BootstrapDesign):
        factors = rao_wu_factors(
            enc.n_h, enc.starts, enc.fpc_factor, design.replicates, design.seed,
            n_psu=enc.n_psu, progress=design.progress,
        )  # fmt: skip
        pert = replicate_aucs(units.w * factors[r, psu] for r in range(design.replicates))
        engine = ReplicateEngine(
            1.0 / (design.replicates - 1), np.ones(design.replicates), design.mse, enc.df,
            f"Rao-Wu bootstrap ({design.replicates})",
        )  # fmt: skip
        label = ("targeting.design.bootstrap", {"n": design.replicates, "seed": design.seed})
        return (
            Estimate(shaped(auc), shaped(pert), engine, dims=dims, coords=coords),
            enc.df,
            label,
        )
    z = auc_influence(units.bins, units.group, units.poor, units.w, p, q, auc)
    used = units.group >= 0
    idx = psu[used] * g + units.group[used]
    totals = np.bincount(idx, weights=z[used], minlength=enc.n_psu * g).reshape(enc.n_psu, g)
    label = ("targeting.design.linearized", {"psu": enc.n_psu, "strata": enc.n_strata})
    est = Estimate(shaped(auc), shaped(totals), LinearizedEngine(enc), dims=dims, coords=coords)
    return est, enc.df, label


def group_coords(by: list[str], labels: list[np.ndarray]) -> dict[str, xr.IndexVariable]:
    """The group coordinates of the result.

    Parameters
    ----------
    by
        The group variables.
    labels
        Their labels (those that occur).

    Returns
    -------
    dict
    """
    return {b: xr.IndexVariable(b, lab) for b, lab in zip(by, labels, strict=True)}
