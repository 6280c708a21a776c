"""Chart of :class:`~mpi.AssociationResult`: a heatmap of the pairwise association.

Same conventions as :mod:`mpi.plot`: ``ax=None`` makes a new figure, the Axes is returned,
``plt.show()`` is never called, CJK labels get a CJK font found on the system, and
``lang="en"`` or ``"zh"`` chooses the language of the chart's words (indicator names are
the spec's labels).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from mpi._common.labels import check_lang, text
from mpi.errors import ValidationError
from mpi.measurement.association import AssociationResult
from mpi.plot._style import apply_fonts, check_result, new_ax

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["association"]

# measure -> (value range, colormap); names are the catalogue's plot.association.<measure>
_MEASURES = {
    "cramers_v": ((0.0, 1.0), "Purples"),
    "redundancy": ((0.0, 1.0), "Purples"),
    "phi": ((-1.0, 1.0), "RdBu_r"),
}


def association(
    result: AssociationResult,
    measure: str = "cramers_v",
    *,
    triangle: bool = True,
    annotate: bool = True,
    labels: str = "label",
    colorbar: bool = True,
    lang: str = "en",
    ax: Axes | None = None,
    figsize: tuple[float, float] | None = None,
    title: str | None = None,
) -> Axes:
    """Heatmap of the association between every pair of deprivation indicators.

    Rows and columns are the indicators in spec order; white lines separate the
    dimensions. The diagonal (an indicator with itself) is left blank; with ``triangle``
    only the pairs below it are drawn (the first row and last column, empty, are dropped).

    Parameters
    ----------
    result
        A :class:`~mpi.AssociationResult` (``mpi.association(...)``).
    measure
        ``"cramers_v"`` (0 to 1), ``"redundancy"`` (R0, 0 to 1) or ``"phi"`` (signed,
        -1 to 1, drawn with a diverging colormap).
    triangle
        Draw the lower triangle only (the matrix is symmetric).
    annotate
        Write each cell's value (two decimals).
    labels
        ``"label"`` (the indicators' labels, e.g. Chinese names) or ``"name"`` (their
        variable names).
    colorbar
        Add a colorbar.
    lang
        Language of the chart's words, ``"en"`` or ``"zh"``.
    ax
        Axes to draw on; a new figure is created when omitted.
    figsize
        Size of the new figure (default: grows with the number of indicators).
    title
        Chart title.

    Returns
    -------
    matplotlib.axes.Axes
        The image (``ax.images[0].get_array()``) holds the drawn matrix: with
        ``triangle`` rows 2..d and columns 1..d-1 of the measure, the upper triangle
        masked; else the whole matrix. The diagonal is masked.

    Raises
    ------
    ValidationError
        For a result that is not an ``AssociationResult``, an unknown ``measure``,
        ``labels`` or ``lang``.
    """
    from matplotlib import colormaps
    from matplotlib.colors import Normalize

    check_result(result, AssociationResult, "association", "mpi.association")
    check_lang(lang)
    if measure not in _MEASURES:
        raise ValidationError(f"measure must be one of {list(_MEASURES)}; got {measure!r}")
    if labels not in ("label", "name"):
        raise ValidationError(f"labels must be 'label' or 'name'; got {labels!r}")
    ds = result.to_dataset()
    (vmin, vmax), cmap = _MEASURES[measure]
    name = text(f"plot.association.{measure}", lang)
    mat = np.asarray(ds[measure].transpose("indicator", "indicator2").values, dtype=float)
    n = mat.shape[0]
    hide = np.eye(n, dtype=bool) | (np.triu(np.ones((n, n), dtype=bool)) if triangle else False)
    ticks = [
        str(x)
        for x in (ds["indicator_label"].values if labels == "label" else ds["indicator"].values)
    ]
    dims = [str(d) for d in ds["indicator_dimension"].values]
    rows, cols = (slice(1, n), slice(0, n - 1)) if triangle and n > 1 else (slice(0, n),) * 2
    mat, hide = mat[rows, cols], hide[rows, cols]
    shown = np.ma.masked_where(hide | ~np.isfinite(mat), mat)
    if figsize is None:
        side = 2.5 + 0.55 * n
        figsize = (max(side, 5.0) + (1.0 if colorbar else 0.0), side)
    new = ax is None
    ax = new_ax(ax, figsize)
    if new:
        ax.set_anchor("W")  # spare width to the right, where the left-aligned title runs
    colormap = colormaps[cmap].with_extremes(bad="white")
    norm = Normalize(vmin, vmax)
    image = ax.imshow(shown, cmap=colormap, norm=norm, aspect="equal")
    if annotate:
        _annotate_cells(ax, mat, hide, colormap, norm, fontsize=9 if n <= 8 else 7)
    _dimension_lines(ax, dims[rows], dims[cols])
    for side in ax.spines:
        ax.spines[side].set_visible(False)
    ax.set_xticks(np.arange(mat.shape[1]), ticks[cols], rotation=45, ha="right",
                  rotation_mode="anchor")
    ax.set_yticks(np.arange(mat.shape[0]), ticks[rows])
    ax.tick_params(length=0)
    ax.set_xlabel(text("plot.association.indicator_l", lang))
    ax.set_ylabel(text("plot.association.indicator_j", lang))
    censored = str(ds.attrs.get("deprivations", "")).startswith("c")
    kind = text(f"plot.association.{'censored' if censored else 'uncensored'}", lang)
    if colorbar:
        cb = ax.get_figure().colorbar(image, ax=ax, shrink=0.75, pad=0.02)
        cb.set_label(text("plot.association.colorbar", lang, measure=name, kind=kind))
        cb.outline.set_visible(False)
    if title is None:
        key = "plot.association.title" if colorbar else "plot.association.title_kind"
        title = text(key, lang, measure=name, kind=kind)
    ax.set_title(title, loc="left")
    apply_fonts(ax)
    return ax


def _annotate_cells(
    ax: Axes, mat: np.ndarray, hide: np.ndarray, colormap: object, norm: object, fontsize: float
) -> None:
    """Each shown cell's value, white on dark cells."""
    for i, j in zip(*np.nonzero(~hide), strict=True):
        v = mat[i, j]
        if not np.isfinite(v):
            continue
        r, g, b, _ = colormap(norm(v))  # type: ignore[operator]
        dark = 0.299 * r + 0.587 * g + 0.114 * b < 0.55
        ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=fontsize,
                color="white" if dark else "#1a1a1a")


def _dimension_lines(ax: Axes, row_dims: list[str], col_dims: list[str]) -> None:
    """White lines between consecutive rows (columns) of different dimensions."""
    for pos in range(1, len(row_dims)):
        if row_dims[pos] != row_dims[pos - 1]:
            ax.axhline(pos - 0.5, color="white", linewidth=2.5)
    for pos in range(1, len(col_dims)):
        if col_dims[pos] != col_dims[pos - 1]:
            ax.axvline(pos - 0.5, color="white", linewidth=2.5)
