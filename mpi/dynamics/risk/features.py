"""Features of the early-warning model: the kernel's cell codes decoded, and user covariates.

The kernel (:func:`mpi.kernels.risk.risk_counts`) gives every observed unit-wave the code
of its *full cell* ``((band * H + history) * E + tse) * 2 + exited``; :class:`Features`
decodes it. :class:`Covariates` reads the logit's user covariates from the panel.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from mpi.errors import DataError, ValidationError
from mpi.kernels import risk as krisk

__all__ = ["Features", "Covariates", "check_int", "TSE_NAMES"]

#: Labels of the time-since-exit categories (kernel codes 0, 1, 2, 3).
TSE_NAMES = ("never_or_poor", "1", "2", "3+")


def check_int(name: str, value: Any, low: int) -> int:
    """``value`` as an int ``>= low``, or a :class:`~mpi.ValidationError` naming ``name``.

    Returns
    -------
    int
    """
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
        raise ValidationError(f"{name} must be an integer >= {low}; got {value!r}")
    return int(value)


class Features:
    """Decoded per unit-wave features from the kernel's full-cell codes.

    Parameters
    ----------
    code
        The ``(unit, time)`` full-cell codes (-1 unobserved).
    n_bands
        Bands of the model (4 with a spec, 2 with ``status=``).
    max_history
        Cap of the count of earlier poor waves.
    """

    def __init__(self, code: np.ndarray, n_bands: int, max_history: int) -> None:
        self.code = code
        self.n_bands = n_bands
        self.H = max_history + 1
        c = np.arange(krisk.full_cells(n_bands, max_history))
        ex, c = c % 2, c // 2
        tse, c = c % krisk.N_TSE, c // krisk.N_TSE
        hist, band = c % self.H, c // self.H
        # lookup tables by full-cell code; the extra last slot answers code -1 (unobserved)
        self._tables = [np.append(a, -1).astype(np.int8) for a in (band, hist, tse, ex)]

    def decode(self, code: np.ndarray) -> tuple[np.ndarray, ...]:
        """``(band, history, tse, exited)`` int8 arrays (-1 where the code is -1).

        Parameters
        ----------
        code
            Full-cell codes of any shape.

        Returns
        -------
        tuple of numpy.ndarray
        """
        return tuple(tab[code] for tab in self._tables)


class Covariates:
    """User covariates over ``(unit,)`` or ``(unit, time)`` for the logit.

    Numeric ones enter as float; the others (strings, categories, booleans) one-hot with the
    first level as reference.

    Parameters
    ----------
    panel
        The panel Dataset.
    names
        Covariate variable names.
    layout
        The panel layout (``unit_dim``, ``time_dim``).
    """

    def __init__(self, panel: xr.Dataset, names: Sequence[Hashable], layout: Any) -> None:
        self.items: list[tuple[str, str, np.ndarray, list]] = []  # (name, kind, values, levels)
        seen = set()
        for name in names:
            if name in seen:
                raise ValidationError(f"covariates names {name!r} twice: {list(names)!r}")
            seen.add(name)
            self.items.append(_covariate(panel, name, layout))

    def columns(self) -> list[str]:
        """Design-column names: the numeric covariates, then ``name[level]`` dummies.

        Returns
        -------
        list of str
        """
        out = []
        for name, kind, _, levels in self.items:
            if kind == "num":
                out.append(name)
            else:
                out += [f"{name}[{lev}]" for lev in levels[1:]]
        return out

    def block(self, i: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Design columns and a validity mask (no missing value) for rows ``(i, t)``.

        Returns
        -------
        tuple of numpy.ndarray
            ``(X, ok)``.
        """
        cols, ok = [], np.ones(len(i), bool)
        for _, kind, vals, levels in self.items:
            v = vals[i, t if vals.shape[1] > 1 else 0]
            if kind == "num":
                ok &= np.isfinite(v)
                cols.append(v)
            else:
                ok &= v >= 0
                for lev in range(1, len(levels)):
                    cols.append((v == lev).astype(np.float64))
        X = np.column_stack(cols) if cols else np.empty((len(i), 0))
        return X, ok


def _covariate(panel: xr.Dataset, name: Hashable, layout: Any) -> tuple[str, str, np.ndarray, list]:
    """One covariate as ``(name, "num" | "cat", values (unit, 1 or time), levels)``."""
    if name not in panel.variables:
        raise DataError(
            f"covariate {name!r} is not in the panel; available: "
            f"{sorted(map(str, panel.data_vars))[:12]} ..."
        )
    var = panel[name]
    ud, td = layout.unit_dim, layout.time_dim
    if var.dims == (ud,):
        vals = var.values[:, None]
    elif set(var.dims) == {ud, td}:
        vals = var.transpose(ud, td).values
    else:
        raise DataError(
            f"covariate {name!r} has dims {var.dims}; covariates vary over ({ud!r},) "
            f"or ({ud!r}, {td!r})"
        )
    if vals.dtype.kind in "iuf":
        return str(name), "num", vals.astype(np.float64), []
    ser = pd.Series(vals.reshape(-1))
    if isinstance(var.dtype, pd.CategoricalDtype):
        cat = pd.Categorical(ser)
    else:
        cat = pd.Categorical(ser.astype(object).where(ser.notna(), None))
    levels = list(cat.categories)
    if len(levels) < 2:
        raise DataError(
            f"categorical covariate {name!r} has {len(levels)} level(s); it needs at least two"
        )
    codes = np.asarray(cat.codes, np.int64).reshape(vals.shape)
    return str(name), "cat", codes, levels
