"""Random panels for the dynamics tests (shared by the test modules)."""

from __future__ import annotations

import numpy as np
import xarray as xr

import mpi


def random_spec(rng: np.random.Generator, d: int = 4, k: str | None = None) -> mpi.Spec:
    """``d`` 0/1 flag indicators with random integer weights (exact fractions)."""
    from fractions import Fraction

    raw = rng.integers(1, 4, size=d)
    total = int(raw.sum())
    inds = [
        mpi.Indicator(f"i{j}", weight=Fraction(int(raw[j]), total), dimension=f"dim{j % 2}")
        for j in range(d)
    ]
    kk = Fraction(k) if k is not None else Fraction(int(rng.integers(1, total + 1)), total)
    # the bands as OPHI's (1/5, 1/2), kept coherent with k: vulnerable <= k <= severe
    bands = dict(vulnerable=min(Fraction(1, 5), kk), severe=max(Fraction(1, 2), kk))
    return mpi.Spec(inds, k=kk, name="random", **bands)


def random_panel(
    rng: np.random.Generator,
    n: int = 200,
    waves: int | list[float] = 5,
    d: int = 4,
    gap_rate: float = 0.0,
    persistence: float = 0.7,
    n_groups: int = 3,
    weights: bool = True,
) -> xr.Dataset:
    """A panel with persistent 0/1 deprivations, gaps (NaN) at ``gap_rate``, a weight and a
    group over ``unit``. ``waves`` is a count (years 2010, 2011, ...) or a list of years."""
    years = np.arange(2010, 2010 + waves) if isinstance(waves, int) else np.asarray(waves)
    T = len(years)
    g = np.empty((n, T, d))
    g[:, 0] = rng.random((n, d)) < 0.35
    for t in range(1, T):
        keep = rng.random((n, d)) < persistence
        g[:, t] = np.where(keep, g[:, t - 1], rng.random((n, d)) < 0.35)
    if gap_rate:
        gaps = rng.random((n, T)) < gap_rate
        g[gaps] = np.nan
    data = {f"i{j}": (("unit", "time"), g[:, :, j]) for j in range(d)}
    if weights:
        data["w"] = ("unit", rng.uniform(0.5, 3.0, n))
    data["region"] = ("unit", rng.integers(0, n_groups, n))
    return xr.Dataset(data, coords={"unit": np.arange(100, 100 + n), "time": years})
