"""Panel states of a dask panel: scored lazily, one block of units per dask task.

:func:`lazy_states` scores a dask-backed panel through
:func:`mpi._common.chunked.map_unit_blocks`: the states, score numerators, patterns,
weights and group cells are dask arrays chunked like the panel along ``unit``, and nothing
is computed until an estimator asks. Every estimator then calls :func:`block_sums` with
its kernel step as a function of :class:`~mpi.PanelStates`: on in-memory states it is the
kernel step itself; on lazy states each dask task scores one block of units, runs the
kernel step on the block's in-memory :class:`~mpi.PanelStates` (:func:`block_states`) and
the additive statistics of the blocks are added in a tree of dask tasks
(:func:`mpi._common.chunked.reduce_blocks`). Units are independent and time stays inside
a unit, so the sums are the in-memory ones.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable, Hashable, Sequence
from dataclasses import replace
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from mpi._common.chunked import map_unit_blocks, reduce_blocks
from mpi._common.panel_layout import PanelLayout, static_column, status_states, unit_weights
from mpi._common.table import Groups
from mpi.dynamics._scoring import score_dtypes, score_panel
from mpi.dynamics.groups_chunked import block_codes, global_groups
from mpi.errors import CategoryWarning
from mpi.measurement.spec import Spec

__all__ = [
    "lazy_states",
    "lazy_status_states",
    "is_lazy_states",
    "block_states",
    "block_sums",
    "states_dataset",
    "add_arrays",
    "STATE_VARIABLES",
]

#: The variables of :func:`states_dataset` (``num``, ``pattern``, ``state`` over
#: ``(unit, time)``; ``weight``, ``cell``, ``row`` over ``unit``).
STATE_VARIABLES = ("num", "pattern", "state", "weight", "cell", "row")

# warnings filters are process-wide: the blocks of one process are scored one at a time
# while a category absent from a block is silenced (the whole panel is checked once)
_SCORING = threading.Lock()


def _scoring_lock() -> threading.Lock:
    """The process's scoring lock (a module function: tasks shipped to other processes
    refer to it by name)."""
    return _SCORING


def _task_meta(states: Any) -> Any:
    """``states`` without its arrays (no dask graph, no unit ids): what a block's task
    needs besides the block (spec, cutoff, waves, group labels)."""
    lay = states.layout
    empty = np.empty((0, lay.n_waves), np.int8)
    g = states.groups
    return replace(
        states,
        layout=PanelLayout(lay.unit_dim, lay.time_dim, lay.units[:0], lay.times, lay.years),
        num=empty,
        pattern=empty,
        state=empty,
        weight=np.empty(0),
        groups=None if g is None else replace(g, codes=np.empty(0, np.int64)),
    )


def is_lazy_states(states: Any) -> bool:
    """Whether ``states`` (a :class:`~mpi.PanelStates`) holds dask arrays.

    Parameters
    ----------
    states : PanelStates
        Panel states.

    Returns
    -------
    bool
        True for the states of a dask panel (:func:`lazy_states`).
    """
    return not isinstance(getattr(states, "state", None), np.ndarray)


def lazy_states(
    panel: xr.Dataset,
    spec: Spec,
    kk: Fraction,
    layout: PanelLayout,
    weight: str | None,
    by: str | Sequence[str] | None,
) -> dict[str, Any]:
    """The fields of lazy :class:`~mpi.PanelStates` of a dask panel.

    Parameters
    ----------
    panel : xarray.Dataset
        The validated, dask-backed panel.
    spec : mpi.Spec
        The specification.
    kk : fractions.Fraction
        The poverty cutoff.
    layout : PanelLayout
        The panel's layout.
    weight : str, optional
        The panel weight variable.
    by : str or sequence of str, optional
        The ``by`` variables.

    Returns
    -------
    dict
        ``num``, ``pattern``, ``state`` (dask arrays ``(unit, time)``), ``weight`` (dask
        array over ``unit``), ``by`` (the names) and ``groups`` (:class:`~mpi._common.table.Groups` whose
        ``codes`` are a dask array), chunked like the panel along ``unit``.
    """
    if weight is not None:
        static_column(panel, weight, layout, "weight")
    by, cells = global_groups(panel, by, layout)
    check_categories(panel, spec, layout)

    def score(block: xr.Dataset, lay: PanelLayout) -> tuple[np.ndarray, ...]:
        with _scoring_lock(), warnings.catch_warnings():
            warnings.simplefilter("ignore", CategoryWarning)
            return score_panel(block, spec, kk, lay)

    return _lazy_fields(
        panel, layout, weight, by, cells, list(spec.variables), score, score_dtypes(spec)
    )


def lazy_status_states(
    panel: xr.Dataset,
    status: Hashable,
    layout: PanelLayout,
    weight: str | None,
    by: str | Sequence[str] | None,
) -> dict[str, Any]:
    """The fields of lazy :class:`~mpi.PanelStates` from a dask ``(unit, time)`` status
    variable (:func:`mpi.relapse`'s ``status=``), block by block.

    Parameters
    ----------
    panel : xarray.Dataset
        The validated, dask-backed panel.
    status : hashable
        The status variable (1/True poor, 0/False not poor, NaN unobserved), converted per
        block by :func:`mpi._common.panel_layout.status_states`.
    layout : PanelLayout
        The panel's layout.
    weight : str, optional
        The panel weight variable.
    by : str or sequence of str, optional
        The ``by`` variables.

    Returns
    -------
    dict
        As :func:`lazy_states`: ``state`` (2 poor, 0 not poor, -1 unobserved), ``num`` and
        ``pattern`` (zeros: a status carries no scores), ``weight``, ``by`` and ``groups``.
    """
    if weight is not None:
        static_column(panel, weight, layout, "weight")
    by, cells = global_groups(panel, by, layout)
    # the variable's presence, dims and dtype, checked on zero units (nothing is loaded)
    u = layout.unit_dim
    none = PanelLayout(u, layout.time_dim, layout.units[:0], layout.times, layout.years)
    status_states(panel.isel({u: slice(0, 0)}), status, none)

    def score(block: xr.Dataset, lay: PanelLayout) -> tuple[np.ndarray, ...]:
        state = status_states(block, status, lay)
        zeros = np.zeros(state.shape, np.int16)
        return zeros, zeros, state

    return _lazy_fields(panel, layout, weight, by, cells, [status], score, (np.int16, np.int16))


def _lazy_fields(
    panel: xr.Dataset,
    layout: PanelLayout,
    weight: str | None,
    by: list[str],
    cells: Groups | None,
    variables: list[Hashable],
    score: Callable[[xr.Dataset, PanelLayout], tuple[np.ndarray, ...]],
    dtypes: tuple[Any, Any],
) -> dict[str, Any]:
    """The lazy fields of :class:`~mpi.PanelStates`: ``score(block, layout)`` gives a
    block's ``(num, pattern, state)``, through :func:`~mpi._common.chunked.map_unit_blocks`."""
    u, t = layout.unit_dim, layout.time_dim
    names = [*dict.fromkeys([*variables, *([weight] if weight else []), *by])]
    sub = panel[names]
    if u not in sub.coords:  # the in-memory layout numbers such units from 0
        sub = sub.assign_coords({u: layout.units})
    sub = sub.chunk({t: -1}).unify_chunks()
    chunks = sub.chunksizes[u]
    num_t, pat_t = dtypes
    template = xr.Dataset(
        {
            "num": ((u, t), _empty((layout.n_units, layout.n_waves), num_t, chunks)),
            "pattern": ((u, t), _empty((layout.n_units, layout.n_waves), pat_t, chunks)),
            "state": ((u, t), _empty((layout.n_units, layout.n_waves), np.int8, chunks)),
            "weight": ((u,), _empty((layout.n_units,), np.float64, chunks)),
            "code": ((u,), _empty((layout.n_units,), np.int64, chunks)),
        },
        coords={u: sub[u].data, t: layout.times},
    )

    def states_of_block(block: xr.Dataset) -> xr.Dataset:
        lay = PanelLayout(u, t, block[u].values, layout.times, layout.years)
        num, pattern, state = score(block, lay)
        n = lay.n_units
        code = np.zeros(n, np.int64) if cells is None else block_codes(block, cells)
        return xr.Dataset(
            {
                "num": ((u, t), num),
                "pattern": ((u, t), pattern),
                "state": ((u, t), state),
                "weight": ((u,), unit_weights(block, weight, lay)),
                "code": ((u,), code),
            },
            coords={u: block[u].values, t: layout.times},
        )

    out = map_unit_blocks(states_of_block, sub, u, template)
    groups = None if cells is None else replace(cells, codes=out["code"].data)
    return {
        "num": out["num"].data,
        "pattern": out["pattern"].data,
        "state": out["state"].data,
        "weight": out["weight"].data,
        "by": by,
        "groups": groups,
    }


def _empty(shape: tuple[int, ...], dtype: Any, chunks: tuple[int, ...]) -> Any:
    import dask.array as da

    return da.empty(shape, dtype=dtype, chunks=(chunks, *shape[1:]))


def check_categories(panel: xr.Dataset, spec: Spec, layout: PanelLayout) -> None:
    """Warn once per indicator whose listed categories occur in no block (as the in-memory
    path does), with one pass over the category-rule indicators only.

    Parameters
    ----------
    panel : xarray.Dataset
        The dask panel.
    spec : mpi.Spec
        The specification.
    layout : PanelLayout
        The panel's layout.
    """
    listed = {}
    for ind in spec:
        categorical = ind.deprived_if == "in" or isinstance(ind.cutoff, str)
        if categorical and ind.variable in panel and panel[ind.variable].dtype.kind in "OUS":
            cats = ind.cutoff if ind.deprived_if == "in" else [ind.cutoff]
            listed[ind.name] = (ind.variable, list(cats))
    variables = [*dict.fromkeys(v for v, _ in listed.values())]
    if not variables:
        return

    def present(block: xr.Dataset) -> dict[str, set]:
        out = {}
        for name, (var, cats) in listed.items():
            values = set(pd.unique(block[var].values.ravel()))
            out[name] = {c for c in cats if c in values}
        return out

    def union(a: dict[str, set], b: dict[str, set]) -> dict[str, set]:
        return {k: a[k] | b[k] for k in a}

    seen = reduce_blocks(present, panel, layout.unit_dim, combine=union, variables=variables)
    for name, (var, cats) in listed.items():
        absent = [c for c in cats if c not in seen[name]]
        if absent:
            warnings.warn(
                CategoryWarning(
                    f"indicator {name!r}: the categories {absent!r} never occur in variable "
                    f"{var!r}. A misspelt category lowers the deprivation count silently: "
                    "check the categories (spelling and case); if one is simply absent from "
                    "these data, ignore this warning (mpi.CategoryWarning)",
                    name,
                    tuple(absent),
                ),
                stacklevel=4,
            )


def states_dataset(states: Any) -> xr.Dataset:
    """The lazy states as one dask-backed Dataset (:data:`STATE_VARIABLES`).

    Parameters
    ----------
    states : PanelStates
        Lazy panel states (:func:`lazy_states`).

    Returns
    -------
    xarray.Dataset
        ``num``, ``pattern``, ``state``, ``weight``, ``cell`` (the kernels' group cell) and
        ``row`` (position of the unit in the panel), chunked along ``unit``.
    """
    import dask.array as da

    lay = states.layout
    u, t = lay.unit_dim, lay.time_dim
    chunks = states.state.chunks[0]
    g = states.groups
    cell = da.zeros(lay.n_units, np.int64, chunks=chunks) if g is None else g.codes - g.offset
    return xr.Dataset(
        {
            "num": ((u, t), states.num),
            "pattern": ((u, t), states.pattern),
            "state": ((u, t), states.state),
            "weight": ((u,), states.weight),
            "cell": ((u,), cell),
            "row": ((u,), da.arange(lay.n_units, chunks=chunks, dtype=np.int64)),
        },
        coords={u: lay.units},
    )


def block_states(states: Any, block: xr.Dataset) -> Any:
    """The in-memory :class:`~mpi.PanelStates` of one block of lazy states.

    Parameters
    ----------
    states : PanelStates
        Lazy panel states.
    block : xarray.Dataset
        One in-memory block of :func:`states_dataset`.

    Returns
    -------
    PanelStates
        The block's units only, with the panel's spec, cutoff, waves and group cells.
    """
    lay = states.layout
    u = lay.unit_dim
    g: Groups | None = states.groups
    if g is not None:
        g = replace(g, codes=np.asarray(block["cell"].values, np.int64) + g.offset)
    return replace(
        states,
        layout=PanelLayout(u, lay.time_dim, block[u].values, lay.times, lay.years),
        num=_frozen(block["num"].values),
        pattern=_frozen(block["pattern"].values),
        state=_frozen(block["state"].values),
        weight=_frozen(block["weight"].values),
        groups=g,
    )


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a)
    a.flags.writeable = False
    return a


def add_arrays(a: Any, b: Any) -> Any:
    """Element-wise sum of two statistics: arrays, or tuples of arrays (in the same order).

    Parameters
    ----------
    a, b : numpy.ndarray, tuple or dict
        Additive statistics of two disjoint sets of units (tuples element-wise, nested;
        dicts keyed by block are merged).

    Returns
    -------
    numpy.ndarray or tuple of numpy.ndarray
        Their sum.
    """
    if isinstance(a, tuple):
        return tuple(add_arrays(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):  # statistics keyed by block (disjoint keys)
        return {**a, **b}
    return a + b


def block_sums(
    states: Any,
    func: Callable[[Any], Any],
    *,
    combine: Callable[[Any, Any], Any] = add_arrays,
    extra: xr.Dataset | None = None,
    extra_names: Sequence[Hashable] = (),
    with_block: bool = False,
) -> Any:
    """``func(states)``, computed block by block when the states are lazy.

    Parameters
    ----------
    states : PanelStates
        In-memory or lazy panel states.
    func : callable
        ``func(states)`` returns additive statistics (an array or a tuple of arrays); with
        ``extra`` or ``with_block``, ``func(states, block)`` also gets the block: the
        ``extra`` variables and :func:`states_dataset`'s (``row``: the units' positions in
        the panel). In-memory states give ``func`` the whole ``extra`` Dataset (or None).
    combine : callable
        Sum of two statistics (default: element-wise).
    extra : xarray.Dataset, optional
        The panel holding more per-unit variables the statistics read (``extra_names``).
    extra_names : sequence of hashable
        Those variables.
    with_block : bool
        Give ``func`` the block even without ``extra``.

    Returns
    -------
    object
        The statistics of all units.
    """
    pass_block = with_block or extra is not None
    if not is_lazy_states(states):
        if not pass_block:
            return func(states)
        row = np.arange(states.layout.n_units, dtype=np.int64)
        whole = xr.Dataset({"row": (states.layout.unit_dim, row)})
        if extra is not None:
            whole = whole.merge(extra[list(extra_names)], compat="override")
        return func(states, whole)
    ds = states_dataset(states)
    if extra is not None:
        u = states.layout.unit_dim
        ds = ds.merge(extra[list(extra_names)].chunk({u: ds.chunksizes[u]}))

    meta = _task_meta(states)

    def run(block: xr.Dataset) -> Any:
        ps = block_states(meta, block)
        return func(ps, block) if pass_block else func(ps)

    return reduce_blocks(run, ds, states.layout.unit_dim, combine=combine)
