"""Unit-level identification loops (numpy + numba only), for
:func:`mpi.identification.identify_core.identify_units`.

:func:`column_flags` evaluates one indicator column with the AF kernel's own rule evaluator
(:func:`.rules.evaluate`), block by block, so its float scratch is O(block) rather than
O(n); :func:`classify` turns exact integer scores into the poverty, vulnerability and
severity flags in one pass, without ``n x K`` integer temporaries. The OPHI reweighting of
units with missing values is :func:`.reweight.reweight_rows`.
"""

from __future__ import annotations

import numpy as np

from ._config import kernel
from .af_layout import BLOCK
from .rules import evaluate

__all__ = ["column_flags", "classify"]


def column_flags(
    col: np.ndarray,
    rule: int,
    z: float,
    wj: np.int32,
    card: bool,
    gj: np.ndarray,
    mj: np.ndarray,
    num: np.ndarray,
) -> int:
    """Deprivation and missing-value flags of one indicator column, added to the scores.

    Parameters
    ----------
    col : float64[n] or int8[n]
        The indicator's values (NaN: missing).
    rule : int
        Rule code (:data:`.rules.RULE_CODES`).
    z : float
        Deprivation cutoff.
    wj : int32
        The indicator's integer weight.
    card : bool
        Whether the indicator is cardinal (its gaps are computed and discarded).
    gj, mj : uint8[n]
        Set to the deprivation and missing-value flags.
    num : int32[n]
        ``wj`` added where deprived.

    Returns
    -------
    int
        Values of a 0/1 flag column that are neither 0, 1 nor missing.
    """
    # the block scratch is allocated here: the kernel compiles no np.zeros of its own
    scratch = np.zeros((3, BLOCK))
    return int(
        _column_pass(col, int(rule), float(z), np.int32(wj), bool(card), gj, mj, num,
                     np.zeros(BLOCK, np.int32), scratch[0], scratch[1], scratch[2])
    )  # fmt: skip


@kernel(error_model="numpy")
def _column_pass(col, rule, z, wj, card, gj, mj, num, nm, m1, m2, gap):
    """The block loop of :func:`column_flags` over the scratch ``nm``, ``m1``, ``m2``,
    ``gap`` (one block each)."""
    n = col.shape[0]
    bad = 0
    for i0 in range(0, n, BLOCK):
        m = min(BLOCK, n - i0)
        bad += evaluate(
            col, i0, m, rule, z, wj, gj[i0 : i0 + m], mj[i0 : i0 + m], num[i0 : i0 + m], nm,
            card, 0.0, m1, m2, gap,
        )  # fmt: skip
    return bad


@kernel(error_model="numpy")
def classify(
    numerator, denominator, dropped, k_num, k_den, vul, sev, score, poor, vulnerable, severe
):
    """Exact identification of every unit from its integer score, in place.

    Unit ``i`` (not dropped) with score ``N / D`` is poor at ``k = a / b`` iff ``N b >= a D``,
    vulnerable iff ``N v_b >= v_a D`` and not poor, severe iff poor and ``N s_b >= s_a D``
    (integers: a score of exactly ``k`` is poor). A dropped unit is none of them and has a
    NaN score.

    Parameters
    ----------
    numerator, denominator : int64[n]
        Exact scores.
    dropped : bool[n]
        Units without a score.
    k_num, k_den : int64[K]
        The poverty cutoffs ``a / b``.
    vul, sev : int64[2]
        The vulnerable and severe cutoffs as ``(numerator, denominator)``.
    score : float64[n]
        Set to ``N / D`` (NaN when dropped).
    poor, vulnerable, severe : bool[n, K]
        Set to the statuses per cutoff.
    """
    K = k_num.shape[0]
    for i in range(numerator.shape[0]):
        if dropped[i]:
            score[i] = np.nan
            for kk in range(K):
                poor[i, kk] = False
                vulnerable[i, kk] = False
                severe[i, kk] = False
            continue
        num = numerator[i]
        den = denominator[i]
        score[i] = num / den
        above_vul = num * vul[1] >= vul[0] * den
        above_sev = num * sev[1] >= sev[0] * den
        for kk in range(K):
            p = num * k_den[kk] >= k_num[kk] * den
            poor[i, kk] = p
            vulnerable[i, kk] = above_vul and not p
            severe[i, kk] = p and above_sev
