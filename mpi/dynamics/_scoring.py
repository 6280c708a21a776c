"""Scoring a panel: one kernel pass that gives each unit-wave its exact score, deprivation
pattern and state (used by :func:`mpi.panel_states`)."""

from __future__ import annotations

import warnings
from fractions import Fraction

import numpy as np
import xarray as xr

from mpi import kernels
from mpi._common.panel_layout import PanelLayout, flat_column, parallel_chunks
from mpi._common.table import caller_level, readonly
from mpi.errors import CategoryWarning, DataError
from mpi.measurement.encode import encode_indicator
from mpi.measurement.spec import Spec

__all__ = ["score_panel", "score_dtypes"]


def score_dtypes(spec: Spec) -> tuple[type, type]:
    """The narrowest integer dtypes that hold a score numerator and a deprivation pattern
    of ``spec`` (less memory traffic for every estimator that reads them)."""
    d = len(spec)
    num = np.int16 if spec.denominator < 2**15 else np.int32
    return num, np.int16 if d <= 15 else np.int32 if d <= 31 else np.int64


def score_panel(
    panel: xr.Dataset, spec: Spec, kk: Fraction, layout: PanelLayout
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Score numerators, deprivation patterns and states of every unit-wave, ``(unit, time)``.

    Dask-backed panels are scored one chunk of units at a time (bounded memory); units are
    independent, so the states do not depend on the chunking. A category absent from every
    block is reported once (:class:`~mpi.CategoryWarning`).

    Parameters
    ----------
    panel
        The validated panel.
    spec
        The specification.
    kk
        The poverty cutoff as an exact fraction.
    layout
        The panel's layout.

    Returns
    -------
    tuple of numpy.ndarray
        ``num`` (exact score numerators, -1 unobserved), ``pattern`` (deprivation bits) and
        ``state`` (-1 unobserved, 0 nonpoor, 1 vulnerable, 2 poor, 3 severe), each of the
        narrowest integer dtype that holds it, shaped ``(unit, time)``.
    """
    n, T = layout.n_units, layout.n_waves
    num_t, pattern_t = score_dtypes(spec)
    num = np.empty(n * T, num_t)
    pattern = np.empty(n * T, pattern_t)
    state = np.empty(n * T, np.int8)
    # dask-backed panels are scored one chunk of units at a time (bounded memory); units
    # are independent, so the states do not depend on the chunking
    blocks = _unit_blocks(panel, spec, layout)
    absent: dict[str, set] = {}  # per indicator: categories absent from every block so far
    for i, (a, b) in enumerate(blocks):
        whole = (a, b) == (0, n)
        sub = (
            layout
            if whole
            else PanelLayout(
                layout.unit_dim, layout.time_dim, layout.units[a:b], layout.times, layout.years
            )
        )
        block = panel if whole else panel.isel({layout.unit_dim: slice(a, b)})
        rows = slice(a * T, b * T)
        if len(blocks) == 1:
            _score_block(block, spec, kk, sub, num[rows], pattern[rows], state[rows])
            continue
        with warnings.catch_warnings(record=True) as caught:  # a category may be in one block
            warnings.simplefilter("always", CategoryWarning)
            _score_block(block, spec, kk, sub, num[rows], pattern[rows], state[rows])
        _merge_absent(absent, caught, first=i == 0)
    _warn_absent_blocks(absent, spec)
    shape = (n, T)
    return num.reshape(shape), pattern.reshape(shape), state.reshape(shape)


def _merge_absent(absent: dict[str, set], caught: list, *, first: bool) -> None:
    """Keep, per indicator, the categories absent from every block scored so far (re-issue
    any other warning a block raised)."""
    seen: dict[str, set] = {}
    for w in caught:
        if isinstance(w.message, CategoryWarning) and w.message.indicator is not None:
            seen.setdefault(w.message.indicator, set()).update(w.message.absent)
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    if first:
        absent.update(seen)
        return
    for name in list(absent):
        absent[name] &= seen.get(name, set())


def _warn_absent_blocks(absent: dict[str, set], spec: Spec) -> None:
    """One :class:`CategoryWarning` per indicator whose categories occur in no block."""
    for name, cats in absent.items():
        if not cats:
            continue
        ind = spec[name]
        listed = [c for c in (ind.cutoff if ind.deprived_if == "in" else [ind.cutoff]) if c in cats]
        warnings.warn(
            CategoryWarning(
                f"indicator {name!r}: the categories {listed!r} never occur in variable "
                f"{ind.variable!r}. A misspelt category lowers the deprivation count "
                "silently: check the categories (spelling and case); if one is simply absent "
                "from these data, ignore this warning (mpi.CategoryWarning)",
                name,
                tuple(listed),
            ),
            stacklevel=caller_level(),
        )


def _unit_blocks(panel: xr.Dataset, spec: Spec, layout: PanelLayout) -> list[tuple[int, int]]:
    """Unit ranges to score at once: the dask chunks along ``unit`` of the first chunked
    indicator variable, or the whole panel for in-memory data."""
    for v in spec.variables:
        chunks = panel[v].chunksizes.get(layout.unit_dim) if v in panel.variables else None
        if chunks:
            edges = np.concatenate([[0], np.cumsum(chunks)])
            return [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:], strict=True)]
    return [(0, layout.n_units)]


def _score_block(
    panel: xr.Dataset,
    spec: Spec,
    kk: Fraction,
    layout: PanelLayout,
    num: np.ndarray,
    pattern: np.ndarray,
    state: np.ndarray,
) -> None:
    """Kernel pass over one block of units, written into the flat output slices."""
    columns = []
    rules = np.empty(len(spec), np.int64)
    cutoffs = np.empty(len(spec), np.float64)
    for j, ind in enumerate(spec):
        values, rule, cut = encode_indicator(
            flat_column(panel, ind.variable, layout, "indicator"), ind
        )
        columns.append(readonly(np.ascontiguousarray(values, np.float64)))
        rules[j] = kernels.RULE_CODES[rule]
        cutoffs[j] = cut
    wint, denom = spec.integer_weights
    n_chunks = parallel_chunks(layout.n_units)
    err = kernels.panel.panel_scores(
        columns,
        rules,
        cutoffs,
        wint,
        denom,
        layout.n_waves,
        kk.numerator,
        kk.denominator,
        spec.vulnerable.numerator,
        spec.vulnerable.denominator,
        spec.severe.numerator,
        spec.severe.denominator,
        n_chunks,
        num,
        pattern,
        state,
    )
    if err[:, 0].any():
        row = err[np.flatnonzero(err[:, 0])[0]]
        ind = spec.indicators[int(row[1])]
        raise DataError(
            f"variable {ind.variable!r} of indicator {ind.name!r} must hold 0/1 (1 = deprived) "
            f"because the indicator has no cutoff; found the value {row[2]:g}. Give the "
            "indicator a cutoff and deprived_if, or recode the variable"
        )
