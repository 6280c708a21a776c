"""Common result object of the panel-dynamics estimators.

Each estimator (transitions, spells, chronic poverty, change decomposition) returns a
subclass of :class:`DynamicsResult`: an ``xarray.Dataset`` with CF-style attributes
(:meth:`to_dataset`), a tidy table (:meth:`to_frame`), a text :meth:`summary` and a short
``repr``. Subclasses name their headline variables and the tables shown in the summary.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from functools import cached_property

import numpy as np
import pandas as pd
import xarray as xr

from mpi._common.exact import fraction_text
from mpi._version import __version__
from mpi.dynamics.states import PanelStates
from mpi.errors import ValidationError

__all__ = ["DynamicsResult", "panel_attrs", "ratio"]


def ratio(a: object, b: object) -> np.ndarray:
    """``a / b`` of weighted sums as float64, NaN where the denominator is 0 (no mass)."""
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b > 0, a / b, np.nan)


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
        cutoffs = {"spec": f"none (status={status_variable!s})", "k": "n/a"}
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


class DynamicsResult:
    """Base class: a result backed by an ``xarray.Dataset``.

    Subclasses set :attr:`kind` (the title line), :attr:`headline` (variables shown first
    by :meth:`summary` and :meth:`to_frame`) and may override :meth:`_tables`.
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

    @cached_property
    def _grouped(self) -> xr.Dataset | None:
        return None if self._make_grouped is None else self._make_grouped()

    def by_group(self) -> xr.Dataset:
        """The result per group: same variables, leading dims = the ``by`` variables.

        Groups are the known labels; units with a missing group value count only in the
        overall result (:meth:`to_dataset`).
        """
        if self._grouped is None:
            raise ValidationError(
                f"by_group() needs groups; call {self.call}(..., by='<group variable>')"
            )
        return self._grouped.copy()

    # -- data ------------------------------------------------------------------------
    def to_dataset(self) -> xr.Dataset:
        """All results as an ``xarray.Dataset`` (a copy; attributes describe the call)."""
        return self._ds.copy()

    @property
    def attrs(self) -> dict:
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

    def to_frame(self, variables: Sequence[str] | None = None) -> pd.DataFrame:
        """Tidy long table: one row per variable and coordinate combination.

        Columns: ``variable``, the dimensions of each variable, ``value``.
        ``variables`` defaults to the headline variables.
        """
        frames = []
        for name in self._variables(variables):
            da = self._ds[name].reset_coords(drop=True)
            if da.ndim == 0:
                df = pd.DataFrame({"value": [da.item()]})
            else:
                df = da.rename("value").to_dataframe().reset_index()
            df.insert(0, "variable", name)
            frames.append(df)
        out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        dims = [c for c in out.columns if c not in ("variable", "value")]
        return out[["variable", *dims, "value"]]

    # -- display ---------------------------------------------------------------------
    def _header(self) -> list[tuple[str, str]]:
        a = self._ds.attrs
        rows = [
            ("Spec", f"{a.get('spec', 'custom')} (k={a.get('k', '?')})"),
            ("Waves", str(a.get("waves", ""))),
            ("Panel weight", str(a.get("weight", "none"))),
            ("Groups", str(a.get("by", "none"))),
        ]
        for key, label in (
            ("balance", "Balance policy"),
            ("n_units", "Units in the panel"),
            ("n_used", "Units used"),
            ("n_dropped", "Units dropped"),
        ):
            if key in a:
                v = a[key]
                rows.append((label, f"{v:,}" if isinstance(v, int | np.integer) else str(v)))
        return rows

    def _tables(self) -> list[tuple[str, pd.DataFrame]]:
        """(title, table) pairs shown by :meth:`summary` (default: headline variables)."""
        out = []
        for name in self._variables(None):
            da = self._ds[name].reset_coords(drop=True)
            if da.ndim == 0:
                continue
            if da.ndim == 1:
                out.append((name, da.to_pandas().to_frame(name)))
            elif da.ndim == 2:
                out.append((name, da.to_pandas()))
        scalars = {n: float(self._ds[n]) for n in self._variables(None) if self._ds[n].ndim == 0}
        if scalars:
            out.insert(0, ("Headline", pd.Series(scalars).to_frame("value")))
        return out

    def summary(self, *, precision: int = 4) -> str:
        """Text summary: header lines, then the result's tables."""
        title = self.kind
        lines = [title, "=" * len(title)]
        lines += [f"{k:<24}{v}" for k, v in self._header()]
        fmt = f"{{:.{precision}f}}".format
        with pd.option_context("display.width", 120, "display.max_columns", 20):
            for name, table in self._tables():
                lines += ["", name, "-" * len(name), table.to_string(float_format=fmt)]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        head = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
            for k, v in self._header()
        )
        fmt = "{:.4f}".format
        body = "".join(
            f"<p><em>{html.escape(name)}</em></p>{table.to_html(float_format=fmt)}"
            for name, table in self._tables()
        )
        return f"<div><strong>{html.escape(self.kind)}</strong><table>{head}</table>{body}</div>"

    def __str__(self) -> str:
        return self.summary()

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
