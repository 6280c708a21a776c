"""Measures of :func:`mpi.decompose_change` from the summed statistics of its kernel.

Every term is a ratio of additive sums over the units of each dynamic group (``PP``, ``PN``,
``NP`` split into re-entrants and first-time entrants, ``NN``), so each identity of the
decomposition holds to rounding for any grouping of the units.
"""

from __future__ import annotations

import numpy as np

from mpi._common.ratio import ratio
from mpi.kernels import decompose as kdec

__all__ = ["decomposition_measures"]


def decomposition_measures(
    stats: np.ndarray, counts: np.ndarray, denom: int, d: int
) -> dict[str, np.ndarray]:
    """Measures from the summed statistics ``stats[..., P, 5, n_stats]``.

    Every term is a ratio of sums (NaN where its denominator is zero), so each identity of
    :func:`mpi.decompose_change` holds to rounding for any grouping of the units.

    Parameters
    ----------
    stats, counts
        Weighted statistics and unweighted counts of
        :func:`mpi.kernels.decompose.decompose_statistics` (any leading axes).
    denom
        Common denominator of the deprivation scores.
    d
        Number of indicators.

    Returns
    -------
    dict of str to numpy.ndarray
        Every variable of the decomposition (trailing ``group`` / ``indicator`` axes).
    """
    PP, PN, RE, NEW, NN = kdec.PP, kdec.PN, kdec.NP_RE, kdec.NP_NEW, kdec.NN
    sw = stats[..., kdec.SUMW]
    sc1 = stats[..., kdec.SCORE1] / denom
    sc2 = stats[..., kdec.SCORE2] / denom
    dep1 = stats[..., kdec.DEP1 : kdec.DEP1 + d]
    dep2 = stats[..., kdec.DEP1 + d : kdec.DEP1 + 2 * d]
    S = sw.sum(-1)
    Sd = S[..., None]
    out: dict[str, np.ndarray] = {}
    out["entry"] = ratio(sc2[..., RE] + sc2[..., NEW], S)
    out["reentry"] = ratio(sc2[..., RE], S)
    out["first_entry"] = ratio(sc2[..., NEW], S)
    out["exit"] = ratio(sc1[..., PN], S)
    out["stayers"] = ratio(sc2[..., PP] - sc1[..., PP], S)
    out["M0_1"] = ratio(sc1[..., PP] + sc1[..., PN], S)
    out["M0_2"] = ratio(sc2[..., PP] + sc2[..., RE] + sc2[..., NEW], S)
    out["delta_M0"] = out["M0_2"] - out["M0_1"]
    sw_np = sw[..., RE] + sw[..., NEW]
    out["H1"] = ratio(sw[..., PP] + sw[..., PN], S)
    out["H2"] = ratio(sw[..., PP] + sw_np, S)
    out["delta_H"] = out["H2"] - out["H1"]
    out["H_entry"] = ratio(sw_np, S)
    out["H_reentry"] = ratio(sw[..., RE], S)
    out["H_first_entry"] = ratio(sw[..., NEW], S)
    out["H_exit"] = ratio(sw[..., PN], S)
    out["P_e"] = ratio(sw_np, sw_np + sw[..., NN])
    out["P_x"] = ratio(sw[..., PN], sw[..., PP] + sw[..., PN])
    out["A1"] = ratio(out["M0_1"], out["H1"])
    out["A2"] = ratio(out["M0_2"], out["H2"])
    out["delta_A"] = out["A2"] - out["A1"]
    out["intensity_stayers"] = ratio(out["stayers"], out["H2"])
    out["intensity_composition"] = ratio(sc1[..., PP], S) * (
        ratio(1.0, out["H2"]) - ratio(1.0, out["H1"])
    )
    out["intensity_entry"] = ratio(out["entry"], out["H2"])
    out["intensity_exit"] = ratio(out["exit"], out["H1"])
    out["mean_score_reentry"] = ratio(sc2[..., RE], sw[..., RE])
    out["mean_score_first_entry"] = ratio(sc2[..., NEW], sw[..., NEW])
    # four dynamic groups PP, PN, NP, NN
    sw4 = np.stack([sw[..., PP], sw[..., PN], sw_np, sw[..., NN]], -1)
    s14 = np.stack([sc1[..., PP], sc1[..., PN], sc1[..., RE] + sc1[..., NEW], sc1[..., NN]], -1)
    s24 = np.stack([sc2[..., PP], sc2[..., PN], sc2[..., RE] + sc2[..., NEW], sc2[..., NN]], -1)
    out["share"] = ratio(sw4, Sd)
    out["mean_score_t1"] = ratio(s14, sw4)
    out["mean_score_t2"] = ratio(s24, sw4)
    c4 = np.stack(
        [counts[..., PP], counts[..., PN], counts[..., RE] + counts[..., NEW], counts[..., NN]],
        -1,
    )
    out["n_obs"] = c4
    out["n_used"] = counts.sum(-1)
    # censored headcount ratios: deprived and poor in the wave
    out["h_1"] = ratio(dep1[..., PP, :] + dep1[..., PN, :], Sd)
    out["h_2"] = ratio(dep2[..., PP, :] + dep2[..., RE, :] + dep2[..., NEW, :], Sd)
    out["delta_h"] = out["h_2"] - out["h_1"]
    out["entry_h"] = ratio(dep2[..., RE, :] + dep2[..., NEW, :], Sd)
    out["reentry_h"] = ratio(dep2[..., RE, :], Sd)
    out["first_entry_h"] = ratio(dep2[..., NEW, :], Sd)
    out["exit_h"] = ratio(dep1[..., PN, :], Sd)
    out["stayers_h"] = ratio(dep2[..., PP, :] - dep1[..., PP, :], Sd)
    return out
