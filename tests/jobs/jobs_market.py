"""Small worker and post tables for the matching tests, and plain-Python oracles written from
the contract (not from mpi.jobs' vectorised code): feasibility, the binding-constraint
stage, brute-force optimal and stable matchings."""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import pandas as pd

SKILLS = ("construction", "driving", "cooking", "welding")
SECTORS = ("manufacturing", "construction", "services")
HEALTH_LEVEL = {"poor": 0, "fair": 1, "good": 2}
REQUIRED_LEVEL = {"any": 0, "fair": 1, "good": 2}


def worker(worker_id: str, **kw: Any) -> dict[str, Any]:
    """One worker row: by default able to take any post of :func:`post` at the origin."""
    row = {
        "worker_id": worker_id, "household_id": -1, "village": 1, "county": "A",
        "x_km": 0.0, "y_km": 0.0, "age": 30, "sex": "female", "education": 3,
        "health": "good", "skills": "", "wage_floor": 2000.0, "max_distance_km": 50.0,
        "sectors": "",
    }  # fmt: skip
    row.update(kw)
    return row


def post(post_id: str, **kw: Any) -> dict[str, Any]:
    """One post row: by default open to every worker of :func:`worker`."""
    row = {
        "post_id": post_id, "employer_id": "E1", "employer": "Firm", "sector": "services",
        "county": "A", "x_km": 0.0, "y_km": 0.0, "wage": 3000.0, "openings": 1,
        "min_age": 16, "max_age": 64, "min_education": 0, "skill": "",
        "health_required": "any",
    }  # fmt: skip
    row.update(kw)
    return row


def frames(workers: list[dict], posts: list[dict]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The two tables (posts keep the columns even when empty)."""
    p = pd.DataFrame(posts) if posts else pd.DataFrame(columns=list(post("P").keys()))
    if not posts:
        p = p.astype({"x_km": float, "y_km": float, "wage": float, "openings": np.int64,
                      "min_age": np.int64, "max_age": np.int64, "min_education": np.int64})
    return pd.DataFrame(workers), p


def random_market(
    seed: int, n_workers: int, n_posts: int, max_openings: int = 2, zero_openings: bool = False
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A random tiny market on a coarse grid (ties in distances and wages are common)."""
    rng = np.random.default_rng(seed)

    def codes(pool: tuple[str, ...], p_empty: float) -> str:
        if rng.random() < p_empty:
            return ""
        k = int(rng.integers(1, 3))
        return ";".join(rng.choice(pool, k, replace=False))

    workers = [
        worker(
            f"W{i:02d}", x_km=float(rng.integers(0, 4)) * 5, y_km=float(rng.integers(0, 3)) * 5,
            age=int(rng.integers(16, 65)), education=int(rng.integers(0, 6)),
            health=str(rng.choice(list(HEALTH_LEVEL))), skills=codes(SKILLS, 0.4),
            wage_floor=float(rng.choice([1500, 2000, 2500, 3000, 3500])),
            max_distance_km=float(rng.choice([0, 5, 10, 20, 40])), sectors=codes(SECTORS, 0.5),
            household_id=int(rng.integers(0, 3)), village=int(rng.integers(1, 3)),
        )
        for i in rng.permutation(n_workers)
    ]  # fmt: skip
    lo = 0 if zero_openings else 1
    posts = []
    for j in rng.permutation(n_posts):
        a = int(rng.choice([16, 20, 30]))
        posts.append(post(
            f"P{j:02d}", x_km=float(rng.integers(0, 4)) * 5, y_km=float(rng.integers(0, 3)) * 5,
            sector=str(rng.choice(SECTORS)), wage=float(rng.choice([2000, 2500, 3000, 4000])),
            openings=int(rng.integers(lo, max_openings + 1)), min_age=a,
            max_age=int(rng.choice([40, 50, 64])) if a < 40 else 64,
            min_education=int(rng.integers(0, 4)),
            skill=str(rng.choice(["", *SKILLS])),
            health_required=str(rng.choice(list(REQUIRED_LEVEL))),
        ))  # fmt: skip
    return frames(workers, posts)


# -- oracles, row by row -------------------------------------------------------------------
def _codes(text: str) -> list[str]:
    return [c.strip() for c in str(text).split(";") if c.strip()]


def stages(w: pd.Series, p: pd.Series) -> list[bool]:
    """The five constraint groups of the contract for one (worker, post): reach, wage,
    sector, requirements (age, education, health), skill."""
    d = math.hypot(w["x_km"] - p["x_km"], w["y_km"] - p["y_km"])
    sectors = _codes(w["sectors"])
    return [
        d <= w["max_distance_km"],
        p["wage"] >= w["wage_floor"],
        not sectors or p["sector"] in sectors,
        p["min_age"] <= w["age"] <= p["max_age"]
        and w["education"] >= p["min_education"]
        and HEALTH_LEVEL[w["health"]] >= REQUIRED_LEVEL[p["health_required"]],
        p["skill"] == "" or p["skill"] in _codes(w["skills"]),
    ]


def feasible(w: pd.Series, p: pd.Series) -> bool:
    """Every hard constraint holds (openings aside)."""
    return all(stages(w, p))


def expected_status(w: pd.Series, posts: pd.DataFrame, matched: bool) -> str:
    """The contract's status: matched, else the first stage with no post left, else
    outcompeted (posts with zero openings do not count)."""
    if matched:
        return "matched"
    names = ["no_post_in_reach", "wage_floor_above_offers", "sector_preference",
             "requirements_not_met", "skill_gap"]  # fmt: skip
    left = [p for _, p in posts.iterrows() if p["openings"] > 0]
    for k, name in enumerate(names):
        left = [p for p in left if stages(w, p)[k]]
        if not left:
            return name
    return "outcompeted"


def assignments(n_workers: int, options: list[list[int]], openings: list[int]):
    """Every capacity-respecting assignment: worker i takes one of options[i] or -1."""
    for combo in itertools.product(*[[-1, *o] for o in options]):
        used = np.bincount([j for j in combo if j >= 0], minlength=len(openings))
        if all(used[j] <= openings[j] for j in range(len(openings))):
            yield combo
