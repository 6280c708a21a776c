"""Person–job matching from a labour database: :func:`match`."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import xarray as xr

from mpi._common.labels import text
from mpi.errors import ValidationError
from mpi.jobs.assign import assign_optimal, assign_stable
from mpi.jobs.constraints import (
    STAGES,
    Classification,
    Tables,
    classify,
    normalise,
    placeable,
    status_of,
)
from mpi.jobs.result import MatchResult
from mpi.jobs.score import check_weights, suitability

__all__ = ["match", "METHODS"]

#: The assignment methods of :func:`match`.
METHODS = ("optimal", "stable")


def match(
    workers: pd.DataFrame,
    posts: pd.DataFrame,
    *,
    method: str = "optimal",
    offers: int | None = 5,
    weights: Mapping[str, float] | None = None,
    worker_id: str = "worker_id",
    post_id: str = "post_id",
) -> MatchResult:
    """Match workers to job posts under hard constraints, capacities and a suitability score.

    Three steps. (1) **Hard constraints** (:mod:`mpi.jobs.constraints`): worker ``i`` may
    take post ``j`` only if the distance between home and workplace is at most the worker's
    ``max_distance_km``, ``wage >= wage_floor``, the post's sector is among the worker's
    ``sectors`` (or none is named), ``min_age <= age <= max_age``,
    ``education >= min_education``, health meets ``health_required`` and the post's
    ``skill`` (if any) is among the worker's ``skills``. (2) **Suitability**
    (:mod:`mpi.jobs.score`): each feasible pair gets

    .. math::

        s_{ij} = \\frac{\\omega_0 + \\omega_w g^w_{ij} + \\omega_d g^d_{ij}
                        + \\omega_k g^k_{ij} + \\omega_s g^s_{ij}}{\\sum \\omega}
        \\in (0, 1]

    with the capped wage gain over the floor :math:`g^w = \\min\\{1, (w_j - f_i) /
    (0.5 \\max(f_i, 1))\\}`, proximity :math:`g^d = 1 - d_{ij}/D_i`, skill used
    :math:`g^k \\in \\{0, 1\\}` and the rank of the sector among the wanted ones
    :math:`g^s`. (3) **Assignment** with capacities (a post fills at most ``openings``
    workers, a worker takes at most one post): ``method="optimal"`` maximises
    :math:`\\sum s_{ij} x_{ij}` exactly (each post replicated by its openings, solved by
    scipy's sparse bipartite matching, :mod:`mpi.jobs.assign`); ``method="stable"`` runs
    worker-proposing deferred acceptance (Gale & Shapley 1962): the worker-optimal stable
    matching, workers ranking posts by score (ties: post id) and posts ranking workers by
    score (ties: worker id).

    Parameters
    ----------
    workers
        One row per worker. Required columns: the id (``worker_id``), ``x_km``, ``y_km``
        (home, km grid), ``age``, ``education`` (0 none ... 5 college), ``health``
        (``"good"``, ``"fair"``, ``"poor"``), ``skills`` (``";"``-separated codes, ``""`` for
        none), ``wage_floor`` (yuan per month), ``max_distance_km`` (``inf`` allowed),
        ``sectors`` (``";"``-separated wanted sectors, most wanted first, ``""`` for any).
        Optional: ``household_id`` (-1: not linked), ``village``, ``county``.
    posts
        One row per job posting. Required: the id (``post_id``), ``sector``, ``x_km``,
        ``y_km``, ``wage`` (yuan per month), ``openings`` (integer >= 0), ``min_age``,
        ``max_age``, ``min_education``, ``skill`` (one code or ``""``), ``health_required``
        (``"any"``, ``"fair"``, ``"good"``). Optional: ``employer_id``, ``employer``,
        ``county``. Posts with zero openings are excluded and counted.
    method
        ``"optimal"`` (maximum total suitability) or ``"stable"`` (deferred acceptance).
    offers
        Ranked offers kept per worker (top ``offers`` feasible posts by score, plus the
        assigned post); None keeps every feasible post.
    weights
        Weights of the score's terms ``base``, ``wage``, ``distance``, ``skill``, ``sector``
        (some or all; normalised to sum to 1; ``base`` > 0); None: base 0.1, wage 0.35,
        distance 0.25, skill 0.2, sector 0.1.
    worker_id, post_id
        Names of the id columns (ids are compared as strings).

    Returns
    -------
    MatchResult
        The assignment (``to_frame()``, ``pairs()`` with reasons, ``posts()``), ranked
        ``offers()``, ``unmatched()`` workers with the binding constraint,
        ``training_needs()`` and ``coverage()``.

    Raises
    ------
    ValidationError
        For invalid tables (missing columns, duplicated ids, missing values, wrong dtypes,
        negative or non-integer openings, negative wages or distances), an unknown
        ``method``, a bad ``offers`` or ``weights``.

    See Also
    --------
    mpi.jobs.feasible_pairs : the feasible pairs alone.

    References
    ----------
    Gale, D. and Shapley, L. S. (1962). College admissions and the stability of marriage.
    *American Mathematical Monthly* 69(1), 9-15.

    Roth, A. E. and Sotomayor, M. (1990). *Two-Sided Matching*. Cambridge University Press.

    Examples
    --------
    >>> import pandas as pd
    >>> import mpi.jobs
    >>> w = pd.DataFrame({"worker_id": ["W1", "W2"], "x_km": [0.0, 1.0], "y_km": [0.0, 0.0],
    ...     "age": [30, 45], "education": [2, 1], "health": ["good", "fair"],
    ...     "skills": ["welding", ""], "wage_floor": [2500.0, 2000.0],
    ...     "max_distance_km": [20.0, 10.0], "sectors": ["", "services"]})
    >>> p = pd.DataFrame({"post_id": ["P1", "P2"], "sector": ["manufacturing", "services"],
    ...     "x_km": [3.0, 2.0], "y_km": [4.0, 0.0], "wage": [3200.0, 2400.0],
    ...     "openings": [1, 1], "min_age": [18, 18], "max_age": [55, 60],
    ...     "min_education": [1, 0], "skill": ["welding", ""], "health_required": ["any"] * 2})
    >>> res = mpi.jobs.match(w, p)
    >>> res.to_frame()[["worker_id", "status", "post_id"]]
      worker_id   status post_id
    0        W1  matched      P1
    1        W2  matched      P2
    >>> res.pairs()["reason"].iloc[0]
    'wage 3,200 >= floor 2,500 yuan; 5.0 km of 20 km; skill welding used; any sector'
    """
    if method not in METHODS:
        raise ValidationError(f"method must be one of {METHODS}; got {method!r}")
    if offers is not None and (
        isinstance(offers, bool) or not isinstance(offers, int | np.integer) or offers < 1
    ):
        raise ValidationError(
            f"offers must be a positive integer (offers kept per worker) or None (all); got "
            f"{offers!r}"
        )
    w = check_weights(weights)
    t = normalise(workers, posts, worker_id=worker_id, post_id=post_id)
    wi, pj, dist, info = classify(t)
    score = suitability(t, wi, pj, dist, w)
    openings = t.arrays["openings"]
    if method == "optimal":
        post_of, solver = assign_optimal(t.n_workers, t.n_posts, wi, pj, score, openings)
    else:
        post_of = assign_stable(t.n_workers, t.n_posts, wi, pj, score, openings,
                                t.worker_rank, t.post_rank)  # fmt: skip
        solver = "deferred acceptance (mpi.jobs.assign.assign_stable)"
    return _build(t, wi, pj, dist, score, info, post_of, method=method, solver=solver,
                  offers=offers, weights=w)  # fmt: skip


# -- the result ----------------------------------------------------------------------------
def _fmt_km(value: float) -> str:
    return f"{value:,.1f}"


def _reasons(t: Tables, i: np.ndarray, j: np.ndarray, d: np.ndarray, lang: str) -> list[str]:
    """A readable reason per matched pair: wage over floor, distance, skill, sector."""
    a = t.arrays
    out = []
    skills = t.posts["skill"].to_numpy()
    sectors = t.posts["sector"].to_numpy()
    wanted = t.workers["sectors"].to_numpy()
    for ii, jj, dd in zip(i.tolist(), j.tolist(), d.tolist(), strict=True):
        maxd = a["maxd"][ii]
        parts = [
            text("jobs.reason.wage", lang, wage=a["wage"][jj], floor=a["floor"][ii]),
            text("jobs.reason.distance", lang, d=_fmt_km(dd), maxd=f"{maxd:,.0f}")
            if np.isfinite(maxd)
            else text("jobs.reason.distance_any", lang, d=_fmt_km(dd)),
            text("jobs.reason.skill", lang, skill=skills[jj])
            if skills[jj]
            else text("jobs.reason.no_skill", lang),
            text("jobs.reason.sector", lang, sector=sectors[jj])
            if wanted[ii]
            else text("jobs.reason.any_sector", lang),
        ]
        out.append(text("jobs.reason.sep", lang).join(parts))
    return out


def _details(t: Tables, info: Classification, status: np.ndarray, lang: str) -> list[str]:
    """Why each unmatched worker has no post (``""`` for matched workers)."""
    a = t.arrays
    wanted = t.workers["sectors"].to_numpy()
    out = []
    for i, s in enumerate(status.tolist()):
        c = info.counts[i]
        if s == "matched":
            out.append("")
        elif s == "no_post_in_reach":
            if not t.n_posts:
                out.append(text("jobs.detail.no_posts", lang))
            else:
                out.append(text("jobs.detail.no_post_in_reach", lang,
                                nearest=_fmt_km(info.nearest_km[i]),
                                maxd=f"{a['maxd'][i]:,.0f}"))  # fmt: skip
        elif s == "wage_floor_above_offers":
            out.append(text("jobs.detail.wage_floor_above_offers", lang, n=int(c[0]),
                            best=info.best_wage[i], floor=a["floor"][i]))  # fmt: skip
        elif s == "sector_preference":
            out.append(text("jobs.detail.sector_preference", lang, n=int(c[1]),
                            sectors=wanted[i].replace(";", ", ")))  # fmt: skip
        elif s == "requirements_not_met":
            f = info.failing[i]
            out.append(text("jobs.detail.requirements_not_met", lang, n=int(c[2]),
                            age=int(f[0]), education=int(f[1]), health=int(f[2])))  # fmt: skip
        elif s == "skill_gap":
            k = int(info.missing_skill[i])
            out.append(text("jobs.detail.skill_gap", lang, n=int(c[3]),
                            skill=t.skill_codes[k] if k >= 0 else ""))  # fmt: skip
        else:
            out.append(text("jobs.detail.outcompeted", lang, n=int(c[4])))
    return out


def _offers(
    t: Tables, wi: np.ndarray, pj: np.ndarray, dist: np.ndarray, score: np.ndarray,
    post_of: np.ndarray, offers: int | None,
) -> dict[str, np.ndarray]:  # fmt: skip
    """Per worker: feasible posts ranked by score (ties: post id), the top ``offers`` and
    the assigned one."""
    order = np.lexsort((t.post_rank[pj], -score, wi))
    w, p = wi[order], pj[order]
    start = np.searchsorted(w, np.arange(t.n_workers))
    rank = np.arange(len(w)) - start[w] + 1
    assigned = post_of[w] == p
    keep = np.ones(len(w), bool) if offers is None else (rank <= offers) | assigned
    sel = order[keep]
    ids_w = t.workers["worker_id"].to_numpy(dtype=str)
    ids_p = t.posts["post_id"].to_numpy(dtype=str)
    return {
        "worker_id": ids_w[wi[sel]],
        "rank": rank[keep].astype(np.int64),
        "post_id": ids_p[pj[sel]],
        "score": score[sel],
        "wage": t.arrays["wage"][pj[sel]],
        "distance_km": dist[sel],
        "assigned": assigned[keep],
    }


def _build(
    t: Tables, wi: np.ndarray, pj: np.ndarray, dist: np.ndarray, score: np.ndarray,
    info: Classification, post_of: np.ndarray, *, method: str, solver: str,
    offers: int | None, weights: dict[str, float],
) -> MatchResult:  # fmt: skip
    n, p = t.n_workers, t.n_posts
    matched = post_of >= 0
    status = status_of(info.counts, matched)
    # the matched pairs' positions among the feasible pairs (sorted by worker, then post)
    mw = np.flatnonzero(matched).astype(np.int64)
    key = wi * max(p, 1) + pj
    q = np.searchsorted(key, mw * max(p, 1) + post_of[mw])
    if len(q) and not (key[np.minimum(q, len(key) - 1)] == mw * max(p, 1) + post_of[mw]).all():
        raise RuntimeError("internal error: an assigned pair is not feasible")
    mp = post_of[mw]
    filled = np.bincount(mp, minlength=p).astype(np.int64)
    openings = t.arrays["openings"]
    if (filled > openings).any():
        raise RuntimeError("internal error: a post is filled beyond its openings")
    remaining = openings - filled
    n_feasible = info.counts[:, -1]

    wids = t.workers["worker_id"].to_numpy(dtype=str)
    pids = t.posts["post_id"].to_numpy(dtype=str)
    w_post = np.full(n, "", dtype=object)
    w_post[mw] = pids[mp]
    w_wage = np.full(n, np.nan)
    w_wage[mw] = t.arrays["wage"][mp]
    w_score = np.full(n, np.nan)
    w_score[mw] = score[q]
    w_dist = np.full(n, np.nan)
    w_dist[mw] = dist[q]

    ds = xr.Dataset(coords={
        "worker_id": ("worker", wids),
        "stage": ("stage", np.asarray(STAGES, dtype=str)),
    })  # fmt: skip
    wv = {
        "household_id": (t.workers["household_id"].to_numpy(np.int64),
                         "household id (-1: not linked)", "1"),
        "village": (t.workers["village"].to_numpy(np.int64), "village", "1"),
        "county": (t.workers["county"].to_numpy(dtype=str), "county", "1"),
        "status": (status, "match status or binding constraint", "1"),
        "matched": (matched, "worker matched to a post", "1"),
        "post_id": (w_post.astype(str), "assigned post ('' if none)", "1"),
        "wage": (w_wage, "wage of the assigned post", "yuan per month"),
        "score": (w_score, "suitability score of the assigned pair", "1"),
        "distance_km": (w_dist, "distance from home to the assigned post", "km"),
        "n_feasible": (n_feasible.astype(np.int64), "feasible postings", "1"),
        "detail": (np.asarray(_details(t, info, status, "en"), dtype=str),
                   "why the worker is unmatched ('' if matched)", "1"),
        "detail_zh": (np.asarray(_details(t, info, status, "zh"), dtype=str),
                      "why the worker is unmatched, in Chinese", "1"),
        "wage_floor": (t.arrays["floor"], "lowest acceptable wage", "yuan per month"),
        "max_distance_km": (t.arrays["maxd"], "farthest acceptable workplace", "km"),
    }  # fmt: skip
    for name, (values, long_name, units) in wv.items():
        ds[name] = ("worker", values)
        ds[name].attrs.update(long_name=long_name, units=units)
    ds["posts_left"] = (("worker", "stage"), info.counts.astype(np.int64))
    ds["posts_left"].attrs.update(
        long_name="posts with openings left after each cumulative constraint stage", units="1"
    )

    pv = {
        "pair_worker_id": (wids[mw], "worker of the pair", "1"),
        "pair_post_id": (pids[mp], "post of the pair", "1"),
        "pair_employer_id": (t.posts["employer_id"].to_numpy(dtype=str)[mp], "employer", "1"),
        "pair_sector": (t.posts["sector"].to_numpy(dtype=str)[mp], "sector of the post", "1"),
        "pair_score": (score[q], "suitability score", "1"),
        "pair_wage": (t.arrays["wage"][mp], "wage", "yuan per month"),
        "pair_distance_km": (dist[q], "distance from home to the post", "km"),
        "pair_reason": (np.asarray(_reasons(t, mw, mp, dist[q], "en"), dtype=str),
                        "why the pair fits", "1"),
        "pair_reason_zh": (np.asarray(_reasons(t, mw, mp, dist[q], "zh"), dtype=str),
                           "why the pair fits, in Chinese", "1"),
    }  # fmt: skip
    for name, (values, long_name, units) in pv.items():
        ds[name] = ("pair", np.asarray(values) if len(values) else np.empty(0, values.dtype))
        ds[name].attrs.update(long_name=long_name, units=units)

    po = {
        "posting_id": (pids, "post id", "1"),
        "posting_employer_id": (t.posts["employer_id"].to_numpy(dtype=str), "employer", "1"),
        "posting_sector": (t.posts["sector"].to_numpy(dtype=str), "sector", "1"),
        "posting_county": (t.posts["county"].to_numpy(dtype=str), "county", "1"),
        "posting_openings": (openings.astype(np.int64), "openings", "1"),
        "posting_filled": (filled, "openings filled by the matching", "1"),
    }  # fmt: skip
    for name, (values, long_name, units) in po.items():
        ds[name] = ("post", values)
        ds[name].attrs.update(long_name=long_name, units=units)

    of = _offers(t, wi, pj, dist, score, post_of, offers)
    units_of = {"score": "1", "wage": "yuan per month", "distance_km": "km", "rank": "1"}
    for name, values in of.items():
        ds[f"offer_{name}"] = ("offer", values)
        ds[f"offer_{name}"].attrs.update(
            long_name=f"offer: {name.replace('_', ' ')}", units=units_of.get(name, "1")
        )

    unmatched_rows = np.flatnonzero(~matched)
    needed = np.unique(t.post_skill[t.post_skill >= 0])
    can = placeable(t, unmatched_rows, remaining)[:, needed] if len(needed) else None
    n_un = len(unmatched_rows)
    placeable_n = can.sum(axis=0).astype(np.int64) if can is not None else np.empty(0, np.int64)
    left = np.array([int(remaining[t.post_skill == k].sum()) for k in needed], np.int64)
    ds = ds.assign_coords(skill=("skill", np.asarray([t.skill_codes[k] for k in needed], str)))
    ds["training_workers_placeable"] = ("skill", placeable_n)
    ds["training_workers_placeable"].attrs.update(
        long_name="unmatched workers who would have a feasible open post with the skill",
        units="1",
    )
    ds["training_share_of_unmatched"] = (
        "skill", placeable_n / n_un if n_un else np.zeros(len(needed))
    )
    ds["training_share_of_unmatched"].attrs.update(
        long_name="share of the unmatched workers placeable with the skill", units="1"
    )
    ds["training_openings_left"] = ("skill", left)
    ds["training_openings_left"].attrs.update(
        long_name="openings left in posts requiring the skill", units="1"
    )
    ds.attrs.update(
        method=method,
        solver=solver,
        total_score=float(score[q].sum()),
        n_workers=int(n),
        n_matched=int(matched.sum()),
        n_openings=int(openings.sum()),
        n_filled=int(filled.sum()),
        n_posts=int(p),
        n_posts_without_openings=int(t.n_posts_without_openings),
        n_feasible_pairs=int(len(wi)),
        offers=-1 if offers is None else int(offers),
        weights=", ".join(f"{k} {v:.4g}" for k, v in weights.items()),
        **{f"weight_{k}": float(v) for k, v in weights.items()},
    )
    return MatchResult(ds)

