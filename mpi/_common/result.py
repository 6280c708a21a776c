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
``summary(lang=)``      a :class:`Summary`: a ``str`` (the text form) with an HTML form
                        (``_repr_html_`` in notebooks), in English or Chinese
``has_inference``       whether ``se`` and ``ci`` are available
``se``                  standard errors, a Dataset shaped like the estimates
``ci(level)``           confidence intervals, a Dataset with a ``bound`` dimension
                        (``lower``, ``upper``)
``by_group()``          the result per group (leading dims = the ``by`` variables)
``plot(ax=None)``       the result's natural chart; returns the Axes
======================  =================================================================

Subclasses implement :meth:`ResultBase._data` and override the other hooks
(``_title``, ``_header``, ``_tables``, ``_notes``, ``_grouped``, ``_standard_errors``,
``_frame_variables``) where they have more to say. The summary's hooks take the language
(``_title(lang)``, ``_header(lang)``, ``_tables(lang)``, ``_notes(lang)``) and take every word a
reader sees from the label catalogue (:mod:`mpi._common.labels`, keys ``result.*``), so
``summary(lang="zh")`` is Chinese throughout; :func:`column_label`, :func:`cell_label` and
:func:`label_table` give tables readable headers. ``str(result)`` is the English summary.
Charts live in the plot layer, which registers one function per result class with
:func:`register_plot` (so results never import matplotlib code); the first ``result.plot()``
imports the registry by name (:data:`CHART_REGISTRY`).
"""

from __future__ import annotations

import abc
import html
import importlib
import unicodedata
from collections.abc import Callable, Sequence
from statistics import NormalDist
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import xarray as xr

from mpi._common.labels import check_lang, has_text, measure_label, text
from mpi.errors import ValidationError

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "ResultBase",
    "Summary",
    "build_summary",
    "register_plot",
    "column_label",
    "cell_label",
    "label_table",
    "display_width",
    "FRAME_NAME",
    "BOUND",
]

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


def display_width(value: str) -> int:
    """Columns that ``value`` takes in a monospaced terminal: 2 for wide (CJK) characters.

    Parameters
    ----------
    value
        A text.

    Returns
    -------
    int
        ``len(value)`` for ASCII text; wide and full-width characters (East Asian width
        ``W`` or ``F``) count twice, so Chinese header labels line up.
    """
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in value)


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
        A ``str`` with an ``html`` attribute. Labels and tables are aligned by display width
        (a Chinese character takes two columns).
    """
    # labels never run into values
    width = max([24, *(display_width(k) + 1 for k, _ in header)])
    lines = [title, "=" * display_width(title)]
    lines += [f"{k}{' ' * (width - display_width(k))}{v}" for k, v in header]
    fmt = f"{{:.{precision}f}}".format
    with pd.option_context(
        "display.width", 120, "display.max_columns", 20, "display.unicode.east_asian_width", True
    ):
        for name, table in tables:
            lines += ["", name, "-" * display_width(name), table.to_string(float_format=fmt)]
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


def column_label(name: Any, lang: str) -> Any:
    """The header a reader sees for a summary table's column or index level ``name``.

    Parameters
    ----------
    name
        A column or index name (a word such as ``"group"`` or a variable name such as
        ``"M0"``); names that are not strings are returned as they are.
    lang
        ``"en"`` or ``"zh"``.

    Returns
    -------
    str or object
        The catalogue's ``result.column.<name>`` (whose English text is the name itself);
        else, in a language other than English, the measure's name in the catalogue
        (:func:`~mpi._common.labels.measure_label`, short form first); else ``name`` (a
        variable name stays as it is in ``to_frame()``).
    """
    if not isinstance(name, str):
        return name
    key = f"result.column.{name}"
    if has_text(key):
        return text(key, lang)
    if lang != "en":
        return measure_label(name, lang, short=has_text(f"measure_short.{name}"))
    return name


def cell_label(value: Any, lang: str) -> Any:
    """A value in a summary table (a poverty state, a kind of change) in ``lang``.

    Parameters
    ----------
    value
        A table value or column label.
    lang
        ``"en"`` or ``"zh"``.

    Returns
    -------
    object
        In a language other than English, the catalogue's ``state.<value>`` or
        ``result.cell.<value>`` when there is one; otherwise (and always in English, where
        the values are the data's own) ``value`` unchanged.
    """
    if lang == "en" or not isinstance(value, str):
        return value
    for key in (f"state.{value}", f"result.cell.{value}"):
        if has_text(key):
            return text(key, lang)
    return value


def _relabel(index: pd.Index, lang: str, labels: bool, cells: bool) -> pd.Index:
    """``index`` with its level names (and, when asked, its labels) in ``lang``."""

    def one(v: Any) -> Any:
        v = column_label(v, lang) if labels else v
        return cell_label(v, lang) if cells else v

    names = [column_label(n, lang) for n in index.names]
    if labels or cells:
        if isinstance(index, pd.MultiIndex):
            tuples = [tuple(one(v) for v in t) for t in index]
            if tuples != list(index):
                return pd.MultiIndex.from_tuples(tuples, names=names)
        else:
            values = [one(v) for v in index]
            if values != list(index):
                return pd.Index(values, name=names[0], dtype=object)
    return index.set_names(names)


def label_table(frame: pd.DataFrame, lang: str, *, cells: bool = False) -> pd.DataFrame:
    """A copy of a summary table with the headers a reader sees in ``lang``.

    Parameters
    ----------
    frame
        A table of a result's summary.
    lang
        ``"en"`` or ``"zh"``.
    cells
        Also translate the row labels and column labels that are values (poverty states,
        kinds of change) with :func:`cell_label`.

    Returns
    -------
    pandas.DataFrame
        The same values; column labels and the names of the index and column levels
        through :func:`column_label` (in English: unchanged).
    """
    out = frame.copy()
    out.columns = _relabel(out.columns, lang, labels=True, cells=cells)
    out.index = _relabel(out.index, lang, labels=False, cells=cells)
    return out


#: The plot-layer module whose ``register_all()`` registers every chart (imported by name on
#: the first :meth:`Result.plot` whose class has no chart yet: results never import plot code).
CHART_REGISTRY = "mpi.plot._registry"


def _chart(cls: type) -> Callable[..., Any] | None:
    """The registered chart of ``cls`` or of its nearest base, or None."""
    for klass in cls.__mro__:
        if klass in _PLOTS:
            return _PLOTS[klass]
    return None


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

    def _header(self, lang: str) -> list[tuple[str, str]]:
        """``(label, value)`` lines under the summary's title, in ``lang`` (default: the
        Dataset's attributes, by name)."""
        return [(str(k), str(v)) for k, v in self._data().attrs.items() if k != "history"][:8]

    def _tables(self, lang: str) -> list[tuple[str, pd.DataFrame]]:
        """``(title, table)`` pairs of the summary in ``lang`` (default: the estimates, 0-2
        dims)."""
        ds = self._data()[self._frame_variables()]
        out: list[tuple[str, pd.DataFrame]] = []
        scalars = {n: ds[n].item() for n in ds.data_vars if ds[n].ndim == 0}
        if scalars:
            table = pd.Series(scalars, dtype=object).to_frame("estimate")
            out.append((text("result.table.estimates", lang), label_table(table, lang)))
        for name, da in ds.data_vars.items():
            da = da.reset_coords(drop=True)
            title = str(column_label(str(name), lang))
            if da.ndim == 1:
                out.append((title, label_table(da.to_pandas().to_frame(str(name)), lang)))
            elif da.ndim == 2:
                out.append((title, label_table(da.to_pandas(), lang)))
        return out

    def _title(self, lang: str) -> str:
        """First line of the summary in ``lang``: the catalogue's ``result.title.<class
        name>`` (default: :attr:`title` for a class the catalogue does not name)."""
        key = f"result.title.{type(self).__name__}"
        return text(key, lang) if has_text(key) else self.title

    def _notes(self, lang: str) -> list[str]:
        """Lines under the summary's tables in ``lang`` (default: none)."""
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

    def summary(self, *, precision: int = 4, lang: str = "en") -> Summary:
        """The result in words and tables: the title, header lines, tables and notes.

        Parameters
        ----------
        precision
            Decimals of floating-point values in the tables.
        lang
            ``"en"`` or ``"zh"``: the language of the title, the header labels, the table
            titles and headers and the notes (from the label catalogue,
            :mod:`mpi._common.labels`). Variable names (``H``, ``M0``, ``entry_rate``)
            without a name in the catalogue, spec names and data values stay as they are.

        Returns
        -------
        Summary
            A ``str`` (print it) with an ``html`` form (shown by Jupyter); its ``title``,
            ``header``, ``tables`` and ``notes`` are the parts, for reports.

        Raises
        ------
        ValidationError
            For a ``lang`` that is not a language of the catalogue.
        """
        check_lang(lang)
        return build_summary(
            self._title(lang),
            self._header(lang),
            self._tables(lang),
            precision=precision,
            notes=self._notes(lang),
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
        chart = _chart(type(self))
        if chart is None:
            # The charts register themselves when the plot layer is imported; ``import mpi``
            # no longer imports it (nor matplotlib), so load it by name on the first chart.
            importlib.import_module(CHART_REGISTRY).register_all()
            chart = _chart(type(self))
        if chart is not None:
            return chart(self, ax=ax, **kwargs)
        raise ValidationError(
            f"no chart is registered for {type(self).__name__} (not in {CHART_REGISTRY}); draw "
            "from to_dataset() or register one with mpi._common.result.register_plot"
        )

    def __str__(self) -> str:
        return self.summary().text

    def _repr_html_(self) -> str:
        return self.summary().html

    def __repr__(self) -> str:
        # one readable line (subclasses may say more): the class, the title and the first
        # lines of the summary's header
        s = self.summary()
        items = "; ".join(f"{k}: {v}" for k, v in s.header[:3])
        return f"<{type(self).__name__} {s.title!r}" + (f" {items}>" if items else ">")


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
