"""Common result object of the panel-dynamics estimators.

Each estimator (transitions, spells, chronic poverty, change decomposition, relapse, early
warning, monitoring) returns a subclass of :class:`DynamicsResult`, itself a
:class:`~mpi._common.result.ResultBase` (the one result interface): an ``xarray.Dataset``
with CF-style attributes (:meth:`to_dataset`), a tidy table (:meth:`to_frame`), a
:meth:`summary` with text and HTML forms and a short ``repr``. Subclasses name their
headline variables and the tables shown in the summary.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cached_property

import numpy as np
import pandas as pd
import xarray as xr

from mpi._common.exact import fraction_text
from mpi._common.labels import text
from mpi._common.result import ResultBase, column_label, label_table
from mpi._version import __version__
from mpi.dynamics.states import PanelStates, none_value, spec_value

__all__ = ["DynamicsResult", "panel_attrs"]


def panel_attrs(
    states: PanelStates,
    *,
    title: str,
    references: Sequence[str],
    status_variable: object = None,
    **extra,
) -> dict:
    """Dataset attributes shared by the dynamics results (CF ``title``, ``history`` ...).

    ``status_variable``: the name of the poverty-status variable when the states come from one
    (no spec: the cutoffs do not apply).
    """
    lay = states.layout
    spec = states.spec
    if spec is None:
        cutoffs = {
            "spec": text("result.value.spec_status", "en", status=status_variable),
            "k": "n/a",
            "status_variable": str(status_variable),
        }
    else:
        cutoffs = {
            "spec": spec.name or "custom",
            "k": fraction_text(states.k),
            "vulnerable": fraction_text(spec.vulnerable),
            "severe": fraction_text(spec.severe),
        }
    attrs = {
        "title": title,
        "institution": "",
        "source": f"xmpi {__version__}",
        "references": "\n".join(references),
        **cutoffs,
        "weight": states.weight_name or "none",
        "by": ", ".join(states.by) or "none",
        "unit_dim": str(lay.unit_dim),
        "time_dim": str(lay.time_dim),
        "n_units": lay.n_units,
        "n_waves": lay.n_waves,
        "waves": ", ".join(f"{y:g}" for y in lay.years),
    }
    attrs.update(extra)
    return attrs


class DynamicsResult(ResultBase):
    """Base class of the panel-dynamics results: an ``xarray.Dataset`` with CF attributes.

    Implements the one result interface (:class:`~mpi._common.result.ResultBase`):
    :meth:`to_dataset`, :meth:`to_frame` (tidy: ``measure``, the dims, ``estimate``),
    :meth:`summary`, :meth:`by_group`, :meth:`plot`. Subclasses set :attr:`kind` (the title
    line), :attr:`headline` (variables shown first by :meth:`summary` and
    :meth:`to_frame`), :attr:`call` and may override :meth:`_tables` and :meth:`_header`.

    Parameters
    ----------
    ds
        The overall result.
    states
        The panel states the result was computed from (None for results that have none).
    grouped
        A function giving the result per group (called once, on the first
        :meth:`by_group`), or None without ``by``.
    """

    kind = "Panel dynamics"
    headline: tuple[str, ...] = ()
    #: The public call, for messages (``"mpi.transitions"``).
    call = "mpi.<estimator>"

    def __init__(
        self,
        ds: xr.Dataset,
        states: PanelStates | None = None,
        grouped: Callable[[], xr.Dataset] | None = None,
    ) -> None:
        self._ds = ds
        self._states = states
        self._make_grouped = grouped  # the per-group result, finalized on first use

    # -- the ResultBase hooks --------------------------------------------------------
    @property
    def title(self) -> str:  # type: ignore[override]
        """First line of :meth:`summary` (the class's :attr:`kind`)."""
        return self.kind

    def _data(self) -> xr.Dataset:
        return self._ds

    @cached_property
    def _grouped_result(self) -> xr.Dataset | None:
        return None if self._make_grouped is None else self._make_grouped()

    def _grouped(self) -> xr.Dataset | None:
        return self._grouped_result

    def _frame_variables(self) -> list[str]:
        return self._variables(None)

    # -- data ------------------------------------------------------------------------
    @property
    def states(self) -> PanelStates | None:
        """The :class:`~mpi.PanelStates` the result was computed from (None if none)."""
        return self._states

    @property
    def attrs(self) -> dict:
        """The result's attributes (a copy)."""
        return dict(self._ds.attrs)

    def __getitem__(self, name: str) -> xr.DataArray:
        return self._ds[name]

    def __contains__(self, name: str) -> bool:
        return name in self._ds

    def _variables(self, names: Sequence[str] | None) -> list[str]:
        names = list(names) if names is not None else [v for v in self.headline if v in self._ds]
        missing = [n for n in names if n not in self._ds]
        if missing:
            raise KeyError(
                f"{missing} not in the result; available: {sorted(map(str, self._ds.data_vars))}"
            )
        return names

    # -- display ---------------------------------------------------------------------
    def _header(self, lang: str) -> list[tuple[str, str]]:
        a = self._ds.attrs
        rows = [
            (text("result.header.spec", lang), spec_value(a, lang)),
            (text("result.header.waves", lang), str(a.get("waves", ""))),
            (text("result.header.panel_weight", lang), none_value(a.get("weight", "none"), lang)),
            (text("result.header.groups", lang), none_value(a.get("by", "none"), lang)),
        ]
        for key, label in (
            ("balance", "balance"),
            ("n_units", "units_in_panel"),
            ("n_used", "units_used"),
            ("n_dropped", "units_dropped"),
        ):
            if key in a:
                v = a[key]
                value = f"{v:,}" if isinstance(v, int | np.integer) else str(v)
                rows.append((text(f"result.header.{label}", lang), value))
        return rows

    def _tables(self, lang: str) -> list[tuple[str, pd.DataFrame]]:
        """(title, table) pairs shown by :meth:`summary` (default: headline variables)."""
        out = []
        for name in self._variables(None):
            da = self._ds[name].reset_coords(drop=True)
            if da.ndim == 0:
                continue
            title = str(column_label(name, lang))
            if da.ndim == 1:
                out.append((title, label_table(da.to_pandas().to_frame(name), lang)))
            elif da.ndim == 2:
                out.append((title, label_table(da.to_pandas(), lang)))
        scalars = {n: float(self._ds[n]) for n in self._variables(None) if self._ds[n].ndim == 0}
        if scalars:
            head = label_table(pd.Series(scalars).to_frame("value"), lang)
            out.insert(0, (text("result.table.headline", lang), head))
        return out

    def _repr_values(self) -> str:
        parts = []
        for name in self._variables(None):
            da = self._ds[name]
            if da.ndim == 0 and np.issubdtype(da.dtype, np.number):
                parts.append(f"{name}={float(da):.4f}")
        return " ".join(parts[:6])

    def __repr__(self) -> str:
        a = self._ds.attrs
        dims = ", ".join(f"{d}: {n}" for d, n in self._ds.sizes.items())
        vals = self._repr_values()
        return (
            f"<mpi.{type(self).__name__} spec={a.get('spec', 'custom')!r} k={a.get('k', '?')}"
            f" waves={a.get('n_waves', '?')} ({dims}){' ' + vals if vals else ''}>"
        )
