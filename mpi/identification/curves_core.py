"""Numbers of :func:`mpi.identification.curves.targeting_curve` per group: the weighted poor and
non-poor totals per distinct score, the curves, the AUC and average precision, and the
influence values of the AUC for its design-based variance.

Units are binned once by their score (bin 0 = the highest score), so every group's curve is
read on the same grid of thresholds (the distinct scores of all units) and every quantity is a
sum over bins: O(n log n) for the sort, O(n + groups x bins) for the rest.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mpi._common.ratio import ratio

__all__ = ["Bins", "score_bins", "bin_totals", "ranking", "auc_influence", "auc_values"]


@dataclass
class Bins:
    """The units' score bins: ``index`` (0 = highest score) and the ``scores`` (descending)."""

    index: np.ndarray
    scores: np.ndarray

    @property
    def n(self) -> int:
        """Number of distinct scores."""
        return int(self.scores.size)


def score_bins(s: np.ndarray) -> Bins:
    """Bin the units by their distinct scores, in descending order.

    Parameters
    ----------
    s
        Finite scores.

    Returns
    -------
    Bins
    """
    values, inverse = np.unique(s, return_inverse=True)
    return Bins((values.size - 1 - inverse).astype(np.int64), values[::-1].copy())


def bin_totals(
    bins: Bins, group: np.ndarray, n_groups: int, poor: np.ndarray, w: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weighted poor and non-poor totals and unit counts per (group, score bin).

    Parameters
    ----------
    bins
        The units' score bins.
    group
        Group code of every unit (-1: in no group, left out).
    n_groups
        Number of groups.
    poor
        Boolean status.
    w
        Weights.

    Returns
    -------
    tuple of numpy.ndarray
        ``p``, ``q`` (float) and ``count`` (int), each ``(n_groups, bins.n)``.
    """
    used = group >= 0
    idx = group[used] * bins.n + bins.index[used]
    size = n_groups * bins.n
    wu, pu = w[used], poor[used]
    p = np.bincount(idx, weights=np.where(pu, wu, 0.0), minlength=size)
    q = np.bincount(idx, weights=np.where(pu, 0.0, wu), minlength=size)
    count = np.bincount(idx, minlength=size)
    shape = (n_groups, bins.n)
    return p.reshape(shape), q.reshape(shape), count.reshape(shape).astype(np.int64)


def ranking(p: np.ndarray, q: np.ndarray) -> dict[str, np.ndarray]:
    """Curves, AUC and average precision of every group (rows of ``p`` and ``q``).

    Parameters
    ----------
    p, q
        Weighted poor and non-poor totals per (group, score bin), bins by descending score.

    Returns
    -------
    dict
        ``tpr``, ``fpr``, ``precision``, ``listed_fraction`` (each ``(groups, bins + 1)``,
        column 0 = nobody listed), ``auc``, ``average_precision``, ``poor_share``, ``P``,
        ``Q`` (each ``(groups,)``). The AUC is :math:`\\sum_b q_b (C^p_{b-1} + p_b/2)/(PQ)`
        with :math:`C^p` the cumulated poor totals: the weighted Mann-Whitney statistic
        (ties count one half), equal to the trapezoidal area under the ROC curve.
    """
    zero = np.zeros((p.shape[0], 1))
    cum_p = np.concatenate([zero, np.cumsum(p, axis=1)], axis=1)
    cum_q = np.concatenate([zero, np.cumsum(q, axis=1)], axis=1)
    total_p, total_q = p.sum(axis=1), q.sum(axis=1)
    auc = ratio(np.sum(q * (cum_p[:, :-1] + 0.5 * p), axis=1), total_p * total_q)
    prec = ratio(cum_p, cum_p + cum_q)
    ap_sum = np.sum(np.where(p > 0, p * prec[:, 1:], 0.0), axis=1)
    ap = np.where(total_q > 0, ratio(ap_sum, total_p), np.nan)
    return {
        "tpr": ratio(cum_p, total_p[:, None]),
        "fpr": ratio(cum_q, total_q[:, None]),
        "precision": prec,
        "listed_fraction": ratio(cum_p + cum_q, (total_p + total_q)[:, None]),
        "auc": auc,
        "average_precision": ap,
        "poor_share": ratio(total_p, total_p + total_q),
        "P": total_p,
        "Q": total_q,
    }


def auc_values(
    bins: Bins, group: np.ndarray, n_groups: int, poor: np.ndarray, w: np.ndarray
) -> np.ndarray:
    """The AUC of every group with the weights ``w`` (for replicate weights).

    Parameters
    ----------
    bins, group, n_groups, poor, w
        As :func:`bin_totals`.

    Returns
    -------
    numpy.ndarray
        ``(n_groups,)``; NaN for a group without poor or without non-poor weight.
    """
    p, q, _ = bin_totals(bins, group, n_groups, poor, w)
    before = np.cumsum(p, axis=1) - p
    return ratio(np.sum(q * (before + 0.5 * p), axis=1), p.sum(axis=1) * q.sum(axis=1))


def auc_influence(
    bins: Bins,
    group: np.ndarray,
    poor: np.ndarray,
    w: np.ndarray,
    p: np.ndarray,
    q: np.ndarray,
    auc: np.ndarray,
) -> np.ndarray:
    """Weighted influence values of the AUC of each unit's group (its linearisation).

    With :math:`U = \\sum_{i \\in P}\\sum_{j \\in Q} w_i w_j ([s_i > s_j] + \\tfrac12
    [s_i = s_j])`, :math:`P` and :math:`Q` the weighted totals of the poor and the non-poor
    of the group and :math:`AUC = U/(PQ)`, the derivative of the AUC in the direction of the
    weight of unit :math:`k` (times :math:`w_k`) is

    .. math:: z_k = \\frac{\\pi_k w_k G(s_k) + (1 - \\pi_k) w_k H(s_k)}{PQ}
              - AUC \\left(\\frac{\\pi_k w_k}{P} + \\frac{(1 - \\pi_k) w_k}{Q}\\right)

    with :math:`\\pi_k` the unit's status, :math:`G(s) = \\sum_{j \\in Q} w_j([s_j < s] +
    \\tfrac12 [s_j = s])` and :math:`H(s) = \\sum_{i \\in P} w_i([s_i > s] + \\tfrac12
    [s_i = s])`, read from the cumulated bin totals. The values of a group sum to 0.

    Parameters
    ----------
    bins, group, poor, w
        As :func:`bin_totals` (units of group -1 get 0).
    p, q
        The bin totals of :func:`bin_totals`.
    auc
        The groups' AUC.

    Returns
    -------
    numpy.ndarray
        One value per unit; NaN for the units of a group whose AUC is NaN.
    """
    cum_p, cum_q = np.cumsum(p, axis=1), np.cumsum(q, axis=1)
    total_p, total_q = p.sum(axis=1), q.sum(axis=1)
    g = np.maximum(group, 0)
    b = bins.index
    below_q = total_q[g] - cum_q[g, b] + 0.5 * q[g, b]  # G(s_k)
    above_p = cum_p[g, b] - 0.5 * p[g, b]  # H(s_k)
    pq = total_p[g] * total_q[g]
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(poor, w * below_q, w * above_p) / pq - auc[g] * np.where(
            poor, w / total_p[g], w / total_q[g]
        )
    z = np.where(np.isnan(auc[g]), np.nan, z)
    return np.where(group >= 0, z, 0.0)
