"""The one interface of every public result (:class:`ResultBase`) and its summary (:class:`Summary`).

Every estimator of the package returns a subclass of :class:`ResultBase`. A result is a plain
container of what the estimator computed (an :class:`xarray.Dataset`, and for design-based
estimators the means to compute standard errors); it never imports the estimator that made it
(as in linearmodels' results). The interface:

======================  =================================================================
``to_dataset()``        all results as an :class:`xarray.Dataset` with CF-style attributes
                        (a copy)
``to_frame()``          a tidy table: one row per estimate, columns ``measure``, the
                        estimate's dimensions, ``estimate`` and, where the estimator has
                        inference, ``se``, ``lower``, ``upper``
``summary()``           a :class:`Summary`: a ``str`` (the text form) with an HTML form
                        (``_repr_html_`` in notebooks)
``has_inference``       whether ``se`` and ``ci`` are available
``se``                  standard errors, a Dataset shaped like the estimates
``ci(level)``           confidence intervals, a Dataset with a ``bound`` dimension
                        (``lower``, ``upper``)
``by_group()``          the result per group (leading dims = the ``by`` variables)
``plot(ax=None)``       the result's natural chart; returns the Axes
======================  =================================================================

Subclasses implement :meth:`ResultBase._data` and override the other hooks
(``_title``, ``_header``, ``_tables``, ``_notes``, ``_grouped``, ``_standard_errors``, ``_frame_variables``) where they
have more to say. Charts live in the plot layer, which registers one function per result class
with :func:`register_plot` (so results never import matplotlib code).
"""

from __future__ import annotations

import abc
import html
from collections.abc import Callable, Sequence
from statistics import NormalDist
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import xarray as xr

from mpi.errors import ValidationError

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["ResultBase", "Summary", "build_summary", "register_plot", "FRAME_NAME", "BOUND"]

#: Name column of :meth:`ResultBase.to_frame`.
FRAME_NAME = "measure"
#: Dimension of :meth:`ResultBase.ci` holding ``lower`` and ``upper``.
BOUND = "bound"

_PLOTS: dict[type, Callable[..., Any]] = {}


class Summary(str):
    """A result's summary: a ``str`` (the text form, for ``print``) with an HTML form.

    ``str(summary)`` and ``summary.text`` give the text; ``summary.html`` (and
    ``_repr_html_``, used by Jupyter) the HTML table version. ``title``, ``header``
    (``(label, value)`` pairs), ``tables`` (``(title, DataFrame)`` pairs) and ``notes`` are the
    parts it was built from, for reports that lay them out themselves (:func:`mpi.report`).
    """

    html: str
    #: The parts the summary was built from, for reports that lay them out themselves.
    title: str
    header: list[tuple[str, str]]
    tables: list[tuple[str, pd.DataFrame]]
    notes: list[str]

    def __new__(cls, text: str, html_text: str) -> Summary:
        obj = super().__new__(cls, text)
        obj.html = html_text
        obj.title, obj.header, obj.tables, obj.notes = "", [], [], []
        return obj

    @property
    def text(self) -> str:
        """The plain-text form."""
        return str.__str__(self)

    def _repr_html_(self) -> str:
        return self.html


def build_summary(
    title: str,
    header: Sequence[tuple[str, str]],
    tables: Sequence[tuple[str, pd.DataFrame]],
    *,
    precision: int = 4,
    notes: Sequence[str] = (),
) -> Summary:
    """Text and HTML summary from a title, ``(label, value)`` header lines and titled tables.

    Parameters
    ----------
    title
        First line (underlined in the text form).
    header
        ``(label, value)`` pairs shown as an aligned block under the title.
    tables
        ``(title, DataFrame)`` pairs shown in order.
    precision
        Decimals of floating-point values.
    notes
        Lines shown under the tables (text) or as paragraphs (HTML).

    Returns
    -------
    Summary
        A ``str`` with an ``html`` attribute.
    """
    width = max([24, *(len(k) + 1 for k, _ in header)])  # labels never run into values
    lines = [title, "=" * len(title)]
    lines += [f"{k:<{width}}{v}" for k, v in header]
    fmt = f"{{:.{precision}f}}".format
    with pd.option_context("display.width", 120, "display.max_columns", 20):
        for name, table in tables:
            lines += ["", name, "-" * len(name), table.to_string(float_format=fmt)]
    lines += list(notes)
    head = "".join(
        f"<tr><th style='text-align:left'>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
        for k, v in header
    )
    body = "".join(
        f"<p><em>{html.escape(name)}</em></p>{table.to_html(float_format=fmt)}"
        for name, table in tables
    )
    foot = "".join(f"<p>{html.escape(n)}</p>" for n in notes)
    page = f"<div><strong>{html.escape(title)}</strong><table>{head}</table>{body}{foot}</div>"
    out = Summary("\n".join(lines), page)
    out.title, out.header, out.tables, out.notes = title, list(header), list(tables), list(notes)
    return out


def register_plot(cls: type, func: Callable[..., Any]) -> None:
    """Make ``func(result, ax=None, **kwargs) -> Axes`` the chart of ``cls.plot``.

    Called by the plot layer (:mod:`mpi.plot`) for each result class.
    """
    _PLOTS[cls] = func


def normal_interval(
    estimate: xr.Dataset, se: xr.Dataset, level: float
) -> xr.Dataset:
    """Wald interval ``estimate ± z se`` with a ``bound`` dim (``lower``, ``upper``)."""
    check_level(level)
    z = NormalDist().inv_cdf(0.5 + level / 2)
    names = [n for n in se.data_vars if n in estimate]
    est = estimate[names]
    out = xr.concat([est - z * se[names], est + z * se[names]], dim=BOUND)
    out = out.assign_coords({BOUND: ["lower", "upper"]})
    out.attrs.update(confidence_level=level, interval="normal (Wald): estimate ± z se")
    return out


def check_level(level: Any) -> float:
    """``level`` as a float strictly between 0 and 1, or a :class:`~mpi.ValidationError`."""
    ok = isinstance(level, int | float | np.floating) and not isinstance(level, bool)
    if not ok or not 0 < float(level) < 1:
        raise ValidationError(
            f"level must be a number strictly between 0 and 1 (e.g. 0.95); got {level!r}"
        )
    return float(level)


class ResultBase(abc.ABC):
    """Base of every public result: one interface (see the module docstring).

    Class attributes
    ----------------
    title
        First line of :meth:`summary`.
    call
        The public call that makes the result (``"mpi.transitions"``), for messages.
    """

    title = "Result"
    call = "mpi.<estimator>"
    #: Whether the estimator takes ``by`` (groups); :meth:`by_group` says so when it does not.
    takes_groups = True

    # -- what a subclass provides ------------------------------------------------------
    @abc.abstractmethod
    def _data(self) -> xr.Dataset:
        """The result's Dataset (not copied)."""

    def _header(self) -> list[tuple[str, str]]:
        """``(label, value)`` lines under the summary's title."""
        return [(str(k), str(v)) for k, v in self._data().attrs.items() if k != "history"][:8]

    def _tables(self) -> list[tuple[str, pd.DataFrame]]:
        """``(title, table)`` pairs of the summary (default: the estimates, 0-2 dims)."""
        ds = self._data()[self._frame_variables()]
        out: list[tuple[str, pd.DataFrame]] = []
        scalars = {n: ds[n].item() for n in ds.data_vars if ds[n].ndim == 0}
        if scalars:
            out.append(("Estimates", pd.Series(scalars, dtype=object).to_frame("estimate")))
        for name, da in ds.data_vars.items():
            da = da.reset_coords(drop=True)
            if da.ndim == 1:
                out.append((str(name), da.to_pandas().to_frame(str(name))))
            elif da.ndim == 2:
                out.append((str(name), da.to_pandas()))
        return out

    def _title(self) -> str:
        """First line of the summary (default: :attr:`title`)."""
        return self.title

    def _notes(self) -> list[str]:
        """Lines under the summary's tables (default: none)."""
        return []

    def _grouped(self) -> xr.Dataset | None:
        """The result per group, or None when the call had no ``by``."""
        return None

    def _standard_errors(self) -> xr.Dataset | None:
        """Standard errors of the estimates, or None when the estimator has no inference."""
        return None

    def _frame_variables(self) -> list[str]:
        """Variables of :meth:`to_frame` by default (default: every data variable)."""
        return [str(n) for n in self._data().data_vars]

    # -- the interface -------------------------------------------------------------------
    def to_dataset(self) -> xr.Dataset:
        """All results as an :class:`xarray.Dataset` with CF-style attributes.

        Returns
        -------
        xarray.Dataset
            A deep copy: changing it never changes the result.
        """
        return self._data().copy(deep=True)

    @property
    def has_inference(self) -> bool:
        """True when :attr:`se` and :meth:`ci` are available."""
        return self._standard_errors() is not None

    @property
    def se(self) -> xr.Dataset:
        """Standard errors, shaped like the estimates of :meth:`to_dataset`.

        Raises
        ------
        ValidationError
            When the estimator gave no inference for this call.
        """
        se = self._standard_errors()
        if se is None:
            raise ValidationError(self._no_inference_message())
        return se

    def ci(self, level: float = 0.95) -> xr.Dataset:
        """Confidence intervals at ``level`` (normal: ``estimate ± z se``).

        Parameters
        ----------
        level
            Confidence level, strictly between 0 and 1.

        Returns
        -------
        xarray.Dataset
            The estimates' variables with a leading ``bound`` dim (``lower``, ``upper``).
        """
        return normal_interval(self._data(), self.se, level)

    def _no_inference_message(self) -> str:
        return (
            f"this {type(self).__name__} has no standard errors; {self.call} gives them when "
            "called with a survey design or a bootstrap (see its documentation)"
        )

    def by_group(self) -> xr.Dataset:
        """The result per group: leading dims are the ``by`` variables.

        Returns
        -------
        xarray.Dataset
            A copy. Units with a missing group count only in the overall result.

        Raises
        ------
        ValidationError
            When the call had no ``by``.
        """
        grouped = self._grouped()
        if grouped is None and not self.takes_groups:
            raise ValidationError(
                f"by_group(): {self.call} has no by argument, so its result has no groups"
            )
        if grouped is None:
            raise ValidationError(
                f"by_group() needs groups; call {self.call}(..., by='<group variable>')"
            )
        return grouped.copy(deep=True)

    def to_frame(
        self, variables: Sequence[str] | None = None, *, level: float = 0.95
    ) -> pd.DataFrame:
        """Tidy long table: one row per estimate.

        Parameters
        ----------
        variables
            Names of the variables to include (default: the result's estimates).
        level
            Confidence level of ``lower`` and ``upper`` (the intervals of :meth:`ci`).

        Returns
        -------
        pandas.DataFrame
            Columns ``measure``, the dimensions of each variable, ``estimate``, and where the
            estimator has inference ``se``, ``lower`` and ``upper``.
        """
        ds = self._data()
        names = self._frame_variables() if variables is None else [str(v) for v in variables]
        unknown = [n for n in names if n not in ds]
        if unknown:
            raise KeyError(
                f"{unknown} not in the result; available: {sorted(map(str, ds.data_vars))}"
            )
        extra: dict[str, xr.Dataset] = {}
        if self.has_inference:
            ci = self.ci(level)
            extra = {
                "se": self.se,
                "lower": ci.sel({BOUND: "lower"}, drop=True),
                "upper": ci.sel({BOUND: "upper"}, drop=True),
            }
        return tidy_frame(ds, names, extra)

    def summary(self, *, precision: int = 4) -> Summary:
        """The result in words and tables: the title, header lines, tables and notes.

        Parameters
        ----------
        precision
            Decimals of floating-point values in the tables.

        Returns
        -------
        Summary
            A ``str`` (print it) with an ``html`` form (shown by Jupyter).
        """
        return build_summary(
            self._title(), self._header(), self._tables(), precision=precision, notes=self._notes()
        )

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """The result's natural chart (see :mod:`mpi.plot`).

        Parameters
        ----------
        ax
            Axes to draw on; a new figure when None.
        **kwargs
            Passed to the chart function.

        Returns
        -------
        matplotlib.axes.Axes
        """
        for cls in type(self).__mro__:
            if cls in _PLOTS:
                return _PLOTS[cls](self, ax=ax, **kwargs)
        raise ValidationError(
            f"no chart is registered for {type(self).__name__}; import mpi (which registers "
            "the charts of mpi.plot) or draw from to_dataset()"
        )

    def __str__(self) -> str:
        return self.summary().text

    def _repr_html_(self) -> str:
        return self.summary().html


def tidy_frame(
    ds: xr.Dataset, names: Sequence[str], extra: dict[str, xr.Dataset] | None = None
) -> pd.DataFrame:
    """One row per element of each variable ``names`` of ``ds``.

    Parameters
    ----------
    ds
        The estimates.
    names
        Variables to include, in order.
    extra
        Datasets of the same variables (``se``, ``lower``, ``upper``) added as columns; a
        variable missing from one gets NaN there.

    Returns
    -------
    pandas.DataFrame
        Columns ``measure``, the union of the variables' dims (in order of appearance),
        ``estimate`` and the ``extra`` columns.
    """
    extra = extra or {}
    frames = []
    dims: list[str] = []
    for name in names:
        da = ds[name].reset_coords(drop=True)
        parts = {"estimate": da}
        for col, src in extra.items():
            parts[col] = (
                src[name].reset_coords(drop=True).transpose(*da.dims)
                if name in src
                else xr.full_like(da, np.nan, dtype=float)
            )
        if da.ndim == 0:
            df = pd.DataFrame({c: [v.item()] for c, v in parts.items()})
        else:
            df = xr.Dataset(parts).to_dataframe().reset_index()
        dims += [str(d) for d in df.columns if d not in parts and str(d) not in dims]
        df.insert(0, FRAME_NAME, name)
        frames.append(df)
    cols = [FRAME_NAME, *dims, "estimate", *extra]
    if not frames:
        return pd.DataFrame(columns=cols)
    out = pd.concat(frames, ignore_index=True)
    return out.reindex(columns=cols)
