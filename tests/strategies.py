"""Hypothesis strategies for Alkire–Foster problems.

* :func:`fraction_weights` / :func:`nested_weights`: positive exact weights summing to 1;
* :func:`deprivation_matrices`: random 0/1 matrices;
* :func:`sampling_weights`, :func:`group_codes`;
* :func:`k_values`: poverty cutoffs in (0, 1], often exactly equal to an attainable score
  (ties are where float identification goes wrong);
* :func:`af_problems`: a complete problem (DataFrame + :class:`mpi.Spec` + options) with
  flag and cardinal indicators, as :class:`Problem`.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import strategies as st

import mpi

__all__ = [
    "Problem",
    "fraction_weights",
    "nested_weights",
    "deprivation_matrices",
    "sampling_weights",
    "group_codes",
    "attainable_scores",
    "k_values",
    "af_problems",
]


@st.composite
def fraction_weights(draw: Any, d: int | None = None, max_d: int = 6) -> list[Fraction]:
    """``d`` positive fractions summing to exactly 1 (small common denominator)."""
    if d is None:
        d = draw(st.integers(1, max_d))
    parts = draw(st.lists(st.integers(1, 6), min_size=d, max_size=d))
    total = sum(parts)
    return [Fraction(p, total) for p in parts]


@st.composite
def nested_weights(
    draw: Any, max_dims: int = 3, max_per_dim: int = 3
) -> tuple[list[Fraction], list[str]]:
    """Nested weights: dimension weights, split inside each dimension; returns
    ``(weights, dimension label of each indicator)``."""
    n_dims = draw(st.integers(1, max_dims))
    dim_w = draw(fraction_weights(d=n_dims))
    weights: list[Fraction] = []
    dims: list[str] = []
    for D, W in enumerate(dim_w):
        m = draw(st.integers(1, max_per_dim))
        within = draw(
            st.one_of(
                st.just([Fraction(1, m)] * m),  # equal nested weights (the usual case)
                fraction_weights(d=m),
            )
        )
        weights += [W * x for x in within]
        dims += [f"D{D}"] * m
    return weights, dims


@st.composite
def deprivation_matrices(draw: Any, n: int, d: int) -> np.ndarray:
    """``n × d`` 0/1 integer matrix."""
    bits = draw(st.lists(st.integers(0, 1), min_size=n * d, max_size=n * d))
    return np.array(bits, dtype=np.int64).reshape(n, d)


def sampling_weights(n: int) -> st.SearchStrategy[np.ndarray]:
    """Positive sampling weights (integers or dyadic decimals, so sums are exact)."""
    return st.lists(
        st.one_of(st.integers(1, 5).map(float), st.integers(1, 40).map(lambda x: x / 8)),
        min_size=n,
        max_size=n,
    ).map(np.array)


def group_codes(n: int, max_groups: int = 3) -> st.SearchStrategy[np.ndarray]:
    """Group labels ``"g0"``, ``"g1"``, … for ``n`` units."""
    return st.lists(
        st.integers(0, max_groups - 1).map(lambda x: f"g{x}"), min_size=n, max_size=n
    ).map(lambda v: np.array(v, dtype=object))


def attainable_scores(weights: list[Fraction]) -> list[Fraction]:
    """All positive scores ``Σ_{j in S} w_j`` (for up to 10 indicators)."""
    d = len(weights)
    out = set()
    for r in range(1, d + 1):
        for combo in itertools.combinations(range(d), r):
            out.add(sum((weights[j] for j in combo), Fraction(0)))
    return sorted(out)


@st.composite
def k_values(draw: Any, weights: list[Fraction]) -> Fraction:
    """A cutoff in (0, 1]: an attainable score (a tie) or a simple fraction."""
    scores = attainable_scores(weights) if len(weights) <= 10 else []
    simple = st.integers(1, 12).flatmap(lambda q: st.integers(1, q).map(lambda p: Fraction(p, q)))
    if scores:
        return draw(st.one_of(st.sampled_from(scores), simple))
    return draw(simple)


@dataclass
class Problem:
    """A random AF problem.

    ``data`` has one column ``x{j}`` per indicator (0/1 flags or achievements for cardinal
    indicators), ``s`` (sampling weights) and ``grp`` (group labels). ``kind[j]`` is
    ``"flag"`` or ``"cardinal"``; ``cutoffs[j]`` is ``None`` for flags.
    """

    data: pd.DataFrame
    spec: mpi.Spec
    kind: list[str]
    cutoffs: list[Any]
    weights: list[Fraction]
    dims: list[str]
    k: Fraction
    kwargs: dict[str, Any] = field(default_factory=dict)

    def with_data(self, data: pd.DataFrame) -> Problem:
        return Problem(
            data,
            self.spec,
            self.kind,
            self.cutoffs,
            self.weights,
            self.dims,
            self.k,
            dict(self.kwargs),
        )

    def deprived(self) -> np.ndarray:
        """``n × d`` 0/1 deprivation matrix of ``data``."""
        cols = []
        for j, kind in enumerate(self.kind):
            x = self.data[f"x{j}"].to_numpy(dtype=float)
            cols.append(x == 1 if kind == "flag" else x < self.cutoffs[j])
        return np.column_stack(cols).astype(np.int64)

    def scores(self) -> list[Fraction]:
        g = self.deprived()
        return [
            sum((w for w, gij in zip(self.weights, row, strict=True) if gij), Fraction(0))
            for row in g
        ]


@st.composite
def af_problems(
    draw: Any,
    *,
    min_n: int = 1,
    max_n: int = 25,
    cardinal: str = "mixed",
    sampling: bool | None = None,
    groups: bool | None = None,
    nested: bool | None = None,
) -> Problem:
    """A random problem. ``cardinal`` is ``"mixed"``, ``"all"`` or ``"none"``;
    ``sampling``/``groups``/``nested`` ``None`` lets hypothesis choose."""
    if nested is None:
        nested = draw(st.booleans())
    if nested:
        weights, dims = draw(nested_weights())
    else:
        weights = draw(fraction_weights())
        dims = [f"i{j}" for j in range(len(weights))]
    d = len(weights)
    n = draw(st.integers(min_n, max_n))
    if cardinal == "all":
        kind = ["cardinal"] * d
    elif cardinal == "none":
        kind = ["flag"] * d
    else:
        kind = draw(st.lists(st.sampled_from(["flag", "cardinal"]), min_size=d, max_size=d))
    cols: dict[str, Any] = {}
    cutoffs: list[Any] = []
    inds = []
    for j in range(d):
        if kind[j] == "flag":
            cutoffs.append(None)
            cols[f"x{j}"] = draw(st.lists(st.integers(0, 1), min_size=n, max_size=n))
            inds.append(
                mpi.Indicator(f"i{j}", weight=weights[j], dimension=dims[j], variable=f"x{j}")
            )
        else:
            z = draw(st.integers(1, 8))
            cutoffs.append(z)
            # achievements on a grid of quarters, some below zero (gap capped at 1),
            # some exactly at the cutoff (not deprived)
            q = draw(st.lists(st.integers(-4, 8 * z), min_size=n, max_size=n))
            cols[f"x{j}"] = [x / 4 for x in q]
            inds.append(
                mpi.Indicator(
                    f"i{j}", weight=weights[j], dimension=dims[j], variable=f"x{j}", cutoff=z
                )
            )
    k = draw(k_values(weights))
    spec = mpi.Spec(inds, k=k)
    data = pd.DataFrame(cols)
    for j in range(d):
        data[f"x{j}"] = data[f"x{j}"].astype(float if kind[j] == "cardinal" else np.int64)
    kwargs: dict[str, Any] = {}
    if sampling is None:
        sampling = draw(st.booleans())
    data["s"] = draw(sampling_weights(n)) if sampling else 1.0
    if sampling:
        kwargs["weight"] = "s"
    if groups is None:
        groups = draw(st.booleans())
    data["grp"] = draw(group_codes(n)) if groups else "g0"
    data["grp"] = data["grp"].astype(object)
    return Problem(data, spec, kind, cutoffs, weights, dims, k, kwargs)


# --------------------------------------------------------------------------------------
# Seeded random surveys (numpy, not hypothesis) for the reference-agreement tests
# --------------------------------------------------------------------------------------
FUELS = ["wood", "dung", "charcoal", "gas", "electric", "kerosene"]
WATER = ["piped", "well", "surface", "tanker", "bottled"]


def _indicator_pool(rng: np.random.Generator, n: int) -> list[tuple[dict, str, Any]]:
    """Candidate indicators: (Indicator kwargs without weight/dimension, column, values)."""
    pool = []
    # 0/1 flag, float with NaN
    v = (rng.random(n) < 0.35).astype(float)
    pool.append((dict(name="nutrition", variable="undernourished"), "undernourished", v))
    # 0/1 flag as int
    v = (rng.random(n) < 0.2).astype(np.int64)
    pool.append((dict(name="disability", variable="disabled"), "disabled", v))
    # bool flag
    v = rng.random(n) < 0.4
    pool.append((dict(name="no_bank", variable="unbanked"), "unbanked", v))
    # cardinal (<, positive cutoff): negatives (gap capped at 1) and values at the cutoff
    v = rng.choice([-1.0, 0.0, 1.5, 3.0, 5.5, 6.0, 6.0, 8.0, 12.0], n) + np.round(
        rng.random(n), 2
    ) * (rng.random(n) < 0.5)
    pool.append((dict(name="schooling", variable="max_school", cutoff=6), "max_school", v))
    # cardinal on an integer column
    v = rng.integers(0, 30, n)
    pool.append((dict(name="income", variable="income", cutoff=12), "income", v))
    # cardinal with a fractional cutoff
    v = rng.uniform(0, 4, n)
    pool.append((dict(name="rooms_pc", variable="rooms_pc", cutoff=1.5), "rooms_pc", v))
    # counts: deprived if > 0
    v = rng.poisson(0.3, n).astype(float)
    pool.append(
        (
            dict(name="child_mortality", variable="child_deaths", cutoff=0, deprived_if=">"),
            "child_deaths",
            v,
        )
    )
    # >= on floats
    v = rng.integers(0, 4, n).astype(float)
    pool.append(
        (
            dict(name="housing", variable="bad_materials", cutoff=1, deprived_if=">="),
            "bad_materials",
            v,
        )
    )
    # <= non-cardinal
    v = rng.integers(0, 6, n).astype(float)
    pool.append(
        (dict(name="meals", variable="meals_week", cutoff=2, deprived_if="<="), "meals_week", v)
    )
    # < with cardinal=False
    v = rng.integers(0, 6, n).astype(float)
    pool.append((dict(name="assets", variable="assets", cutoff=2, cardinal=False), "assets", v))
    # == numeric
    v = rng.integers(0, 2, n).astype(float)
    pool.append(
        (
            dict(name="electricity", variable="electricity", cutoff=0, deprived_if="=="),
            "electricity",
            v,
        )
    )
    # in: string categories (object column, None = missing)
    v = rng.choice(FUELS, n).astype(object)
    pool.append(
        (
            dict(
                name="cooking_fuel",
                variable="fuel",
                cutoff=["wood", "dung", "charcoal"],
                deprived_if="in",
            ),
            "fuel",
            v,
        )
    )
    # != on strings
    v = rng.choice(WATER, n).astype(object)
    pool.append(
        (dict(name="water", variable="water", cutoff="piped", deprived_if="!="), "water", v)
    )
    # == on strings
    v = rng.choice(["flush", "pit", "none"], n).astype(object)
    pool.append(
        (dict(name="sanitation", variable="toilet", cutoff="none", deprived_if="=="), "toilet", v)
    )
    # in: numeric categories
    v = rng.integers(1, 8, n).astype(float)
    pool.append(
        (
            dict(name="floor", variable="floor_code", cutoff=[1, 2, 5], deprived_if="in"),
            "floor_code",
            v,
        )
    )
    return pool


def random_survey(
    seed: int,
    *,
    n: int | None = None,
    nan_rate: float | None = None,
    zero_weights: bool = False,
    unknown_groups: bool = False,
) -> tuple[pd.DataFrame, mpi.Spec, dict[str, Any]]:
    """A random household survey and a random nested spec.

    Returns ``(data, spec, info)``; ``data`` has the indicator variables, ``hhw`` (sampling
    weights, some NaN when ``nan_rate`` > 0), ``region`` (strings) and ``urban`` (0/1).
    ``info["ks"]`` are cutoffs to try: the spec's k, an attainable score (a tie) and a
    simple fraction.
    """
    rng = np.random.default_rng(seed)
    if n is None:
        n = int(rng.choice([50, 137, 400, 1000, 3000]))
    if nan_rate is None:
        nan_rate = float(rng.choice([0.0, 0.02, 0.08]))
    pool = _indicator_pool(rng, n)
    d = int(rng.integers(3, 11))
    chosen = sorted(rng.choice(len(pool), size=d, replace=False))
    # dimensions: split the chosen indicators into 1..4 consecutive groups
    n_dims = int(rng.integers(1, min(4, d) + 1))
    cuts = sorted(rng.choice(np.arange(1, d), size=n_dims - 1, replace=False)) if n_dims > 1 else []
    dim_of = np.searchsorted(np.array(cuts, dtype=int), np.arange(d), side="right")
    # weights: equal nested, or random nested fractions
    if rng.random() < 0.5:
        dim_w = [Fraction(1, n_dims)] * n_dims
    else:
        parts = rng.integers(1, 5, n_dims)
        dim_w = [Fraction(int(x), int(parts.sum())) for x in parts]
    weights = []
    for D in range(n_dims):
        members = [j for j in range(d) if dim_of[j] == D]
        if rng.random() < 0.6:
            inner = [Fraction(1, len(members))] * len(members)
        else:
            parts = rng.integers(1, 4, len(members))
            inner = [Fraction(int(x), int(parts.sum())) for x in parts]
        weights += [dim_w[D] * x for x in inner]
    data = {}
    inds = []
    for pos, j in enumerate(chosen):
        kw, col, values = pool[j]
        values = np.array(values, copy=True)
        if nan_rate > 0 and values.dtype != bool and values.dtype.kind != "i":
            miss = rng.random(n) < nan_rate
            values[miss] = None if values.dtype == object else np.nan
        data[col] = values
        inds.append(mpi.Indicator(**kw, weight=weights[pos], dimension=f"dim{dim_of[pos]}"))
    df = pd.DataFrame(data)
    for col, values in data.items():
        if values.dtype == object:
            df[col] = pd.Series(values, dtype=object)
    hhw = rng.uniform(0.2, 5.0, n)
    if zero_weights:
        hhw[rng.random(n) < 0.02] = 0.0
    if nan_rate > 0:
        hhw[rng.random(n) < nan_rate / 4] = np.nan
    df["hhw"] = hhw
    df["region"] = pd.Series(rng.choice(["north", "south", "east", "west"], n), dtype=object)
    df["urban"] = rng.integers(0, 2, n)
    if unknown_groups:
        df.loc[rng.random(n) < 0.05, "region"] = None
    scores = attainable_scores(weights) if d <= 10 else []
    k0 = Fraction(int(rng.integers(1, 6)), int(rng.integers(6, 10)))
    spec = mpi.Spec(inds, k=k0)
    tie = scores[int(rng.integers(0, len(scores)))] if scores else Fraction(1, 2)
    ks = list(dict.fromkeys([k0, tie, Fraction(1, 3), min(weights)]))
    return df, spec, {"ks": ks, "weights": weights, "nan_rate": nan_rate, "n": n}
