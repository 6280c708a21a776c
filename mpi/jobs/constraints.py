"""The hard constraints of a job match and why a worker has no job: :func:`feasible_pairs`,
:func:`classify` (on tables validated by :func:`mpi.jobs.tables.normalise`, re-exported here).

A worker ``i`` may take a post ``j`` only when every hard constraint holds:

.. math::

    \\lVert (x_i, y_i) - (x_j, y_j) \\rVert_2 \\le D_i,\\quad
    w_j \\ge f_i,\\quad
    (S_i = \\varnothing \\lor \\sigma_j \\in S_i),\\quad
    a^{\\min}_j \\le a_i \\le a^{\\max}_j,\\quad
    e_i \\ge e^{\\min}_j,\\quad
    h_i \\succeq h^{\\text{req}}_j,\\quad
    (k_j = \\varnothing \\lor k_j \\in K_i)

(distance within the worker's ``max_distance_km`` :math:`D_i`, wage at least the worker's
``wage_floor`` :math:`f_i`, the post's sector among the wanted ``sectors`` :math:`S_i` (none
named: any sector), age within the post's range, education at least the post's
``min_education``, health at least the post's ``health_required`` (``good > fair > poor``;
``"any"`` accepts all) and the post's ``skill`` :math:`k_j` among the worker's ``skills``
:math:`K_i` (none required: any worker)).

The same constraints, applied cumulatively in the order of :data:`STAGES`, classify an
unmatched worker by its *binding* constraint: the first stage after which no post is left
(``no_post_in_reach``, ``wage_floor_above_offers``, ``sector_preference``,
``requirements_not_met``, ``skill_gap``); a worker with feasible posts whose openings all
went to others is ``outcompeted``.

Everything is vectorised with numpy over blocks of :data:`BLOCK` workers (a block x posts
boolean matrix per constraint), so memory stays bounded at any size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from mpi.jobs.tables import (
    HEALTH,
    HEALTH_REQUIRED,
    POST_COLUMNS,
    WORKER_COLUMNS,
    Tables,
    normalise,
)

__all__ = [
    "WORKER_COLUMNS",
    "POST_COLUMNS",
    "STAGES",
    "STATUSES",
    "HEALTH",
    "HEALTH_REQUIRED",
    "BLOCK",
    "Tables",
    "normalise",
    "feasible_pairs",
    "pairs_of",
    "classify",
    "Classification",
    "status_of",
    "placeable",
]

#: The cumulative stages of the binding-constraint classification, in order: the status of
#: a worker with no post left after stage ``s`` is ``STAGES[s]``.
STAGES = (
    "no_post_in_reach", "wage_floor_above_offers", "sector_preference",
    "requirements_not_met", "skill_gap",
)  # fmt: skip
#: Every worker status, in the contract's order.
STATUSES = ("matched", *STAGES, "outcompeted")
#: Workers per block of the vectorised feasibility pass.
BLOCK = 512


# -- the constraints, by blocks of workers --------------------------------------------------
def _distance(t: Tables, rows: slice) -> np.ndarray:
    a = t.arrays
    dx = a["wx"][rows, None] - a["px"][None, :]
    dy = a["wy"][rows, None] - a["py"][None, :]
    return np.sqrt(dx * dx + dy * dy)


def _stage_masks(t: Tables, rows: slice) -> tuple[np.ndarray, list[np.ndarray]]:
    """Distances and the five constraint masks (reach, wage, sector, requirements, skill)
    of the workers ``rows`` against every post, each a ``(block, posts)`` bool matrix."""
    a = t.arrays
    d = _distance(t, rows)
    reach = d <= a["maxd"][rows, None]
    wage = a["wage"][None, :] >= a["floor"][rows, None]
    if t.n_posts:
        sector = t.worker_sectors[rows][:, t.post_sector] | t.any_sector[rows, None]
    else:
        sector = np.zeros_like(reach)
    age = a["age"][rows, None]
    req = (
        (a["min_age"][None, :] <= age)
        & (age <= a["max_age"][None, :])
        & (a["edu"][rows, None] >= a["min_edu"][None, :])
        & (t.worker_health[rows, None] >= t.post_health[None, :])
    )
    needs = t.post_skill >= 0
    skill = ~needs[None, :] | (
        t.worker_skills[rows][:, np.where(needs, t.post_skill, 0)]
        if t.worker_skills.shape[1]
        else np.zeros_like(reach)
    )
    return d, [reach, wage, sector, req, skill]


def _blocks(n: int, block: int) -> list[slice]:
    return [slice(s, min(s + block, n)) for s in range(0, n, block)]


def feasible_pairs(
    workers: pd.DataFrame,
    posts: pd.DataFrame,
    *,
    worker_id: str = "worker_id",
    post_id: str = "post_id",
) -> tuple[np.ndarray, np.ndarray]:
    """Every (worker, post) pair that satisfies every hard constraint.

    A pair is feasible when the distance between home and workplace is within the worker's
    ``max_distance_km``, the post pays at least the worker's ``wage_floor``, its sector is
    among the worker's ``sectors`` (or the worker named none), the worker's age is within
    ``[min_age, max_age]``, education at least ``min_education``, health at least
    ``health_required`` and the post's ``skill`` (if any) among the worker's ``skills``
    (formulas in :mod:`mpi.jobs.constraints`). Posts without openings have no pairs.

    Parameters
    ----------
    workers
        The worker table (columns of :func:`mpi.jobs.match`).
    posts
        The post table (columns of :func:`mpi.jobs.match`).
    worker_id, post_id
        Names of the id columns.

    Returns
    -------
    worker_index, post_index : numpy.ndarray of int64
        Row positions (0-based, into ``workers`` and ``posts`` as given) of the ``m``
        feasible pairs, sorted by worker then post.

    Raises
    ------
    ValidationError
        For invalid tables (see :func:`normalise`).

    Examples
    --------
    >>> import pandas as pd
    >>> w = pd.DataFrame({"worker_id": ["W1"], "x_km": [0.0], "y_km": [0.0], "age": [30],
    ...     "education": [2], "health": ["good"], "skills": ["welding"],
    ...     "wage_floor": [2500.0], "max_distance_km": [20.0], "sectors": [""]})
    >>> p = pd.DataFrame({"post_id": ["P1", "P2"], "sector": ["manufacturing"] * 2,
    ...     "x_km": [3.0, 40.0], "y_km": [4.0, 0.0], "wage": [3000.0, 5000.0],
    ...     "openings": [2, 1], "min_age": [18, 18], "max_age": [50, 50],
    ...     "min_education": [1, 1], "skill": ["welding", ""], "health_required": ["any"] * 2})
    >>> feasible_pairs(w, p)
    (array([0]), array([0]))
    """
    t = normalise(workers, posts, worker_id=worker_id, post_id=post_id)
    wi, pj, _ = pairs_of(t)
    return wi, t.post_rows[pj]


def pairs_of(t: Tables, block: int = BLOCK) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Feasible pairs of validated tables: worker rows, post rows (of ``t.posts``) and their
    distances in km, sorted by worker then post.

    Parameters
    ----------
    t
        Validated tables.
    block
        Workers per block.

    Returns
    -------
    tuple of numpy.ndarray
        ``(worker_index int64, post_index int64, distance_km float64)``.
    """
    found = []
    for rows in _blocks(t.n_workers, block):
        d, masks = _stage_masks(t, rows)
        found.append(_block_pairs(masks[0] & masks[1] & masks[2] & masks[3] & masks[4], d, rows))
    return _joined(found)


def _block_pairs(ok: np.ndarray, d: np.ndarray, rows: slice) -> tuple:
    """The feasible pairs of one block of workers (``ok``: workers x posts), as worker rows
    of the whole table, post rows and distances."""
    i, j = np.nonzero(ok)
    return i.astype(np.int64) + rows.start, j.astype(np.int64), d[i, j]


def _joined(found: list) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The blocks' pairs of :func:`_block_pairs` in one set of arrays (empty without blocks)."""
    if not found:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.float64)
    wis, pjs, ds = zip(*found, strict=True)
    return np.concatenate(wis), np.concatenate(pjs), np.concatenate(ds)


@dataclass
class Classification:
    """Per-worker counts of posts left after each cumulative stage, and detail values.

    Parameters
    ----------
    counts
        ``(workers, 5)`` int64: posts left after stages 1 .. 5 of :data:`STAGES`
        (column 4 = feasible posts).
    nearest_km
        Distance to the nearest post (inf without posts).
    best_wage
        Highest wage among the posts in reach (NaN when none is in reach).
    failing
        ``(workers, 3)`` int64: among the posts left after stage 3, how many fail the age,
        education and health requirement.
    missing_skill
        The skill (position in ``skill_codes``) required by most of the posts left after
        stage 4 that the worker lacks (-1: none).
    """

    counts: np.ndarray
    nearest_km: np.ndarray
    best_wage: np.ndarray
    failing: np.ndarray
    missing_skill: np.ndarray


def classify(t: Tables, block: int = BLOCK) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                      Classification]:  # fmt: skip
    """The feasible pairs and the stage-by-stage counts of the binding-constraint
    classification, in one blocked pass.

    Parameters
    ----------
    t
        Validated tables.
    block
        Workers per block.

    Returns
    -------
    tuple
        ``(worker_index, post_index, distance_km, Classification)``; the pairs as in
        :func:`pairs_of`.
    """
    n, p = t.n_workers, t.n_posts
    n_skills = len(t.skill_codes)
    counts = np.zeros((n, len(STAGES)), np.int64)
    nearest = np.full(n, np.inf)
    best = np.full(n, np.nan)
    failing = np.zeros((n, 3), np.int64)
    missing = np.full(n, -1, np.int64)
    onehot = np.zeros((p, max(n_skills, 1)), np.float32)
    has_skill = t.post_skill >= 0
    onehot[np.flatnonzero(has_skill), t.post_skill[has_skill]] = 1.0
    a = t.arrays
    found = []
    for rows in _blocks(n, block):
        d, (reach, wage, sector, req, skill) = _stage_masks(t, rows)
        s1 = reach
        s2 = s1 & wage
        s3 = s2 & sector
        s4 = s3 & req
        s5 = s4 & skill
        for k, m in enumerate((s1, s2, s3, s4, s5)):
            counts[rows, k] = m.sum(axis=1)
        if p:
            nearest[rows] = d.min(axis=1)
            w = np.where(s1, a["wage"][None, :], -np.inf).max(axis=1)
            best[rows] = np.where(np.isfinite(w), w, np.nan)
            age = a["age"][rows, None]
            failing[rows, 0] = (s3 & ((a["min_age"] > age) | (age > a["max_age"]))).sum(axis=1)
            failing[rows, 1] = (s3 & (a["edu"][rows, None] < a["min_edu"])).sum(axis=1)
            failing[rows, 2] = (s3 & (t.worker_health[rows, None] < t.post_health)).sum(axis=1)
            if n_skills:
                gap = (s4 & ~skill).astype(np.float32) @ onehot  # (block, skills) counts
                top = gap.argmax(axis=1)
                missing[rows] = np.where(gap.max(axis=1) > 0, top, -1)
        found.append(_block_pairs(s5, d, rows))
    return (*_joined(found), Classification(counts, nearest, best, failing, missing))


def status_of(counts: np.ndarray, matched: np.ndarray) -> np.ndarray:
    """Each worker's status: ``"matched"``, else the first stage with no post left, else
    ``"outcompeted"``.

    Parameters
    ----------
    counts
        ``(workers, 5)`` posts left after each stage (:class:`Classification`).
    matched
        Bool per worker.

    Returns
    -------
    numpy.ndarray of str
    """
    empty = counts == 0
    first = np.where(empty.any(axis=1), empty.argmax(axis=1), len(STAGES))
    labels = np.asarray([*STAGES, "outcompeted"], dtype=object)
    out = labels[first]
    out[matched] = "matched"
    return out.astype(str)


def placeable(
    t: Tables, rows_of: np.ndarray, remaining: np.ndarray, block: int = BLOCK
) -> np.ndarray:
    """For each worker of ``rows_of`` and each skill code: whether the worker would have a
    feasible post with an opening left if it had that skill.

    Parameters
    ----------
    t
        Validated tables.
    rows_of
        Worker rows to test (e.g. the unmatched workers).
    remaining
        Openings left per post after the matching.
    block
        Workers per block.

    Returns
    -------
    numpy.ndarray
        ``(len(rows_of), len(skill_codes))`` bool.
    """
    n_skills = len(t.skill_codes)
    out = np.zeros((len(rows_of), n_skills), dtype=bool)
    if not n_skills or not len(rows_of) or not t.n_posts:
        return out
    open_ = remaining > 0
    onehot = np.zeros((t.n_posts, n_skills), np.float32)
    has_skill = t.post_skill >= 0
    onehot[np.flatnonzero(has_skill), t.post_skill[has_skill]] = 1.0
    sub = _subset(t, rows_of)
    for rows in _blocks(len(rows_of), block):
        _, (reach, wage, sector, req, skill) = _stage_masks(sub, rows)
        base = reach & wage & sector & req & open_[None, :]
        already = (base & skill).any(axis=1)
        gain = (base & ~skill).astype(np.float32) @ onehot > 0
        out[rows] = gain | already[:, None]
    return out


def _subset(t: Tables, rows: np.ndarray) -> Tables:
    """The tables restricted to the workers ``rows`` (posts unchanged)."""
    keys = ("wx", "wy", "age", "edu", "floor", "maxd")
    arrays = {k: (v[rows] if k in keys else v) for k, v in t.arrays.items()}
    return Tables(
        workers=t.workers.iloc[rows].reset_index(drop=True), posts=t.posts,
        post_rows=t.post_rows, n_posts_without_openings=t.n_posts_without_openings,
        skill_codes=t.skill_codes, sector_codes=t.sector_codes,
        worker_skills=t.worker_skills[rows], worker_sectors=t.worker_sectors[rows],
        any_sector=t.any_sector[rows], post_skill=t.post_skill, post_sector=t.post_sector,
        worker_health=t.worker_health[rows], post_health=t.post_health,
        worker_rank=t.worker_rank[rows], post_rank=t.post_rank, arrays=arrays,
    )  # fmt: skip
