"""The suitability score of a feasible worker–post pair: :func:`suitability`.

For a feasible pair (worker ``i``, post ``j``; every hard constraint of
:mod:`mpi.jobs.constraints` holds) the score is a weighted mean of five terms in
:math:`[0, 1]`:

.. math::

    s_{ij} = \\frac{\\omega_0 \\cdot 1 + \\omega_w g^{w}_{ij} + \\omega_d g^{d}_{ij}
                    + \\omega_k g^{k}_{ij} + \\omega_s g^{s}_{ij}}
                   {\\omega_0 + \\omega_w + \\omega_d + \\omega_k + \\omega_s}

* ``base`` (:math:`\\omega_0 > 0`): the pair is feasible; it keeps :math:`s_{ij} > 0`, so a
  job is always better than none and the optimal matching places as many workers as the
  other terms allow to trade off;
* ``wage``: the wage gain over the worker's floor, relative to the floor and capped at
  :data:`WAGE_GAIN_CAP` (50 % above the floor counts fully):
  :math:`g^{w}_{ij} = \\min\\{1, (w_j - f_i) / (c \\max(f_i, 1))\\}`;
* ``distance``: proximity within the worker's own radius,
  :math:`g^{d}_{ij} = 1 - d_{ij} / D_i` (1 when :math:`D_i = 0` or infinite);
* ``skill``: 1 when the post requires a skill and the worker has it (the skill is used), else
  0;
* ``sector``: 1 when the post's sector is the first of the worker's wanted sectors,
  :math:`(k - r)/k` for the ``r``-th (0-based) of ``k`` named, 0.5 when the worker named no
  sector (indifferent).

Hence :math:`s_{ij} \\in [\\omega_0 / \\sum\\omega, 1] \\subset (0, 1]`. Default weights
(:data:`DEFAULT_WEIGHTS`): base 0.1, wage 0.35, distance 0.25, skill 0.2, sector 0.1.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from mpi.errors import ValidationError
from mpi.jobs.tables import Tables

__all__ = ["DEFAULT_WEIGHTS", "WAGE_GAIN_CAP", "check_weights", "suitability", "components"]

#: Default weights of the score's terms (normalised to sum to 1 when used).
DEFAULT_WEIGHTS: dict[str, float] = {
    "base": 0.1, "wage": 0.35, "distance": 0.25, "skill": 0.2, "sector": 0.1,
}  # fmt: skip
#: Relative wage gain over the floor that counts fully (0.5: 50 % above the floor).
WAGE_GAIN_CAP = 0.5


def check_weights(weights: Mapping[str, Any] | None) -> dict[str, float]:
    """The score's weights: the defaults updated by ``weights``, normalised to sum to 1.

    Parameters
    ----------
    weights
        Some or all of ``base``, ``wage``, ``distance``, ``skill``, ``sector`` -> a finite
        number >= 0 (``base`` > 0); terms not given keep their default weight. None: the
        defaults.

    Returns
    -------
    dict
        Every term -> its weight; the weights sum to 1.

    Raises
    ------
    ValidationError
        For an unknown term, a negative, infinite or non-numeric weight, or ``base <= 0``.
    """
    out = dict(DEFAULT_WEIGHTS)
    if weights is not None:
        if not isinstance(weights, Mapping):
            raise ValidationError(
                f"weights must be a dict of score terms -> weights, e.g. {{'wage': 0.5}}; "
                f"got {weights!r}"
            )
        for key, value in weights.items():
            if key not in DEFAULT_WEIGHTS:
                raise ValidationError(
                    f"weights has the unknown term {key!r}; use some of {list(DEFAULT_WEIGHTS)}"
                )
            ok = isinstance(value, int | float | np.integer | np.floating) and not isinstance(
                value, bool
            )
            if not ok or not math.isfinite(float(value)) or float(value) < 0:
                raise ValidationError(
                    f"weights[{key!r}] must be a finite number >= 0; got {value!r}"
                )
            out[key] = float(value)
    if out["base"] <= 0:
        raise ValidationError(
            f"weights['base'] must be > 0 (it keeps every feasible pair's score above 0, so a "
            f"job beats no job); got {out['base']!r}"
        )
    total = sum(out.values())
    return {k: v / total for k, v in out.items()}


def components(
    t: Tables, wi: np.ndarray, pj: np.ndarray, distance_km: np.ndarray
) -> dict[str, np.ndarray]:
    """The score's terms for the pairs ``(wi, pj)`` (each in [0, 1]).

    Parameters
    ----------
    t
        Validated tables.
    wi, pj
        Worker and post rows of feasible pairs.
    distance_km
        Their distances.

    Returns
    -------
    dict
        ``wage``, ``distance``, ``skill``, ``sector`` -> float64 arrays.
    """
    a = t.arrays
    floor = a["floor"][wi]
    gain = (a["wage"][pj] - floor) / (WAGE_GAIN_CAP * np.maximum(floor, 1.0))
    maxd = a["maxd"][wi]
    with np.errstate(divide="ignore", invalid="ignore"):
        prox = np.where((maxd > 0) & np.isfinite(maxd), 1.0 - distance_km / maxd, 1.0)
    skill = (t.post_skill[pj] >= 0).astype(np.float64)
    sector = _sector_term(t, wi, pj)
    return {
        "wage": np.clip(gain, 0.0, 1.0),
        "distance": np.clip(prox, 0.0, 1.0),
        "skill": skill,
        "sector": sector,
    }


def _sector_term(t: Tables, wi: np.ndarray, pj: np.ndarray) -> np.ndarray:
    """(k - r) / k for the post's sector at position r of the worker's k named; 0.5 for
    none named."""
    n_codes = len(t.sector_codes)
    pos = np.full((t.n_workers, max(n_codes, 1)), -1, np.int64)
    k = np.zeros(t.n_workers, np.int64)
    code = {c: q for q, c in enumerate(t.sector_codes)}
    for i, text in enumerate(t.workers["sectors"].to_numpy()):
        names = [c.strip() for c in text.split(";") if c.strip()]
        k[i] = len(names)
        for r, c in enumerate(names):
            if pos[i, code[c]] < 0:  # a repeated name keeps its first position
                pos[i, code[c]] = r
    if not len(wi):
        return np.empty(0)
    r = pos[wi, t.post_sector[pj]]
    kk = k[wi]
    with np.errstate(divide="ignore", invalid="ignore"):
        named = (kk - r) / np.maximum(kk, 1)
    return np.where(kk == 0, 0.5, named).astype(np.float64)


def suitability(
    t: Tables,
    wi: np.ndarray,
    pj: np.ndarray,
    distance_km: np.ndarray,
    weights: Mapping[str, Any] | None = None,
) -> np.ndarray:
    """Suitability :math:`s_{ij} \\in (0, 1]` of feasible pairs (formula in
    :mod:`mpi.jobs.score`).

    Parameters
    ----------
    t
        Validated tables (:func:`mpi.jobs.constraints.normalise`).
    wi, pj
        Worker and post rows of feasible pairs.
    distance_km
        Their distances (km).
    weights
        Weights of the terms (see :func:`check_weights`); None for :data:`DEFAULT_WEIGHTS`.

    Returns
    -------
    numpy.ndarray
        float64 scores, one per pair.
    """
    w = check_weights(weights)
    parts = components(t, wi, pj, distance_km)
    s = np.full(len(wi), w["base"])
    for name, value in parts.items():
        s += w[name] * value
    return np.minimum(s, 1.0)
