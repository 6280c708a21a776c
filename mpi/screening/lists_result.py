"""The result of :func:`mpi.screening.suggested_list`: :class:`SuggestedList`."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from mpi._common.labels import text
from mpi._common.result import ResultBase, label_table
from mpi.errors import ValidationError

__all__ = ["SuggestedList", "suppressed_mark"]


def suppressed_mark(min_cell: int) -> str:
    """What a suppressed group count shows: ``"<10"`` for ``min_cell=10``."""
    return f"<{int(min_cell)}"


class SuggestedList(ResultBase):
    """A suggested list of students for review: ranks, scores, reasons, group counts.

    Made by :func:`mpi.screening.suggested_list`. :meth:`to_dataset` holds, along the dim
    ``student`` (the listed students, highest score first; coordinate: their ids), ``rank``
    and ``score``; with reasons, along ``(student, reason)`` (``reason`` = 1 ... k) the
    feature names ``reason_name`` (``""`` where a student has fewer positive reasons) and
    their values ``reason_value``; with groups, along the dim ``cell`` (one coordinate per
    group column) ``cell_count`` (NaN where suppressed) and ``cell_suppressed``. Its
    attributes give the budget, ``n_listed``, ``n_tied_extra``, ``cut_score``, ``n_units``,
    ``n_missing``, ``min_cell`` and ``n_suppressed``. No name, and no suppressed count, is
    stored.

    Parameters
    ----------
    data
        The result's Dataset.
    labels
        Feature name -> ``{"en": label, "zh": label}``.
    """

    title = text("screening.list.title", "en")
    call = "mpi.screening.suggested_list"

    def __init__(self, data: xr.Dataset, labels: dict[str, dict[str, str]] | None = None) -> None:
        self._ds = data
        self._labels = dict(labels or {})

    @classmethod
    def build(
        cls, parts: dict[str, Any], info: dict[str, Any], labels: dict[str, dict[str, str]]
    ) -> SuggestedList:
        """Assemble the result from the arrays of :func:`~mpi.screening.suggested_list`.

        Parameters
        ----------
        parts
            ``ids``, ``rank``, ``score``, ``reason_name`` and ``reason_value`` (or None),
            ``cells`` (``(cells, counts, hidden)`` or None).
        info
            The attributes.
        labels
            Feature labels.

        Returns
        -------
        SuggestedList
        """
        ids = parts["ids"]
        ds = xr.Dataset(coords={"student": ("student", np.asarray(ids.to_numpy()))})
        ds["rank"] = ("student", parts["rank"])
        ds["score"] = ("student", np.asarray(parts["score"], np.float64))
        ds["rank"].attrs.update(long_name="rank (1 = highest score)", units="1")
        ds["score"].attrs.update(long_name="screening score (higher = more likely hardship)")
        if parts["reason_name"] is not None:
            k = parts["reason_name"].shape[1]
            ds = ds.assign_coords(reason=np.arange(1, k + 1))
            ds["reason_name"] = (("student", "reason"), parts["reason_name"].astype(str))
            ds["reason_value"] = (("student", "reason"), parts["reason_value"])
            ds["reason_name"].attrs.update(long_name="feature among the student's top reasons")
            ds["reason_value"].attrs.update(long_name="the feature's contribution to the score")
        n_cells, n_hidden = 0, 0
        if parts["cells"] is not None:
            cells, counts, hidden = parts["cells"]
            coords = {str(c): ("cell", cells[c].to_numpy()) for c in cells.columns}
            ds = ds.assign_coords(cell=np.arange(len(cells)), **coords)
            ds["cell_count"] = ("cell", np.where(hidden, np.nan, counts.astype(np.float64)))
            ds["cell_suppressed"] = ("cell", hidden)
            ds["cell_count"].attrs.update(long_name="listed students in the cell (NaN: suppressed)")
            n_cells, n_hidden = int(len(cells)), int(hidden.sum())
        ds["student"].attrs.update(long_name=info["id_name"])
        ds.attrs.update(info, n_cells=n_cells, n_suppressed=n_hidden)
        return cls(ds, labels)

    # -- access ----------------------------------------------------------------------------
    @property
    def ids(self) -> pd.Index:
        """The listed students' ids, highest score first (a copy)."""
        return pd.Index(self._ds["student"].values, name=self._ds.attrs["id_name"]).copy()

    @property
    def has_reasons(self) -> bool:
        """True when the call gave ``reasons``."""
        return "reason_name" in self._ds

    def label(self, feature: str, lang: str = "en") -> str:
        """The readable label of a feature in ``lang`` (the name when ``labels`` gave none).

        Parameters
        ----------
        feature
            A feature name (a column of ``reasons``).
        lang
            ``"en"`` or ``"zh"``.

        Returns
        -------
        str
        """
        text("screening.list.header.none", lang)  # checks lang
        return self._labels.get(str(feature), {}).get(lang, str(feature))

    def to_frame(self) -> pd.DataFrame:  # type: ignore[override]
        """One row per listed student, highest score first.

        Returns
        -------
        pandas.DataFrame
            Index: the student ids (named as the scores' index, default ``student_id``);
            columns ``rank``, ``score`` and, with reasons, ``reason_1`` ... ``reason_k``
            (feature names; None where the student has fewer positive reasons).
        """
        out = pd.DataFrame(
            {"rank": self._ds["rank"].values, "score": self._ds["score"].values}, index=self.ids
        )
        if self.has_reasons:
            names = self._ds["reason_name"].values
            for j in range(names.shape[1]):
                col = names[:, j].astype(object)
                col = np.where(col == "", None, col)
                out[f"reason_{j + 1}"] = pd.Series(col, index=out.index, dtype=object)
        return out

    def reason_counts(self, lang: str = "en") -> pd.DataFrame:
        """How often each feature is among the listed students' reasons.

        Parameters
        ----------
        lang
            Language of the ``label`` column.

        Returns
        -------
        pandas.DataFrame
            Index ``feature`` (most frequent first, then by name); columns ``n_students``
            (listed students with the feature among their top reasons), ``share`` (of the
            listed students) and ``label``.

        Raises
        ------
        ValidationError
            When the list was made without ``reasons``.
        """
        if not self.has_reasons:
            raise ValidationError(
                "the list has no reasons; call suggested_list(..., reasons=<contributions>)"
            )
        names = self._ds["reason_name"].values.ravel()
        names = names[names != ""]
        feats, counts = np.unique(names.astype(str), return_counts=True)
        frame = pd.DataFrame({"feature": feats, "n_students": counts.astype(np.int64)})
        frame = frame.sort_values(["n_students", "feature"], ascending=[False, True])
        frame["share"] = frame["n_students"] / int(self._ds.attrs["n_listed"])
        frame["label"] = [self.label(f, lang) for f in frame["feature"]]
        return frame.set_index("feature")

    def group_counts(self) -> pd.DataFrame:
        """Listed students per group cell, suppressed cells masked.

        Returns
        -------
        pandas.DataFrame
            Index: the group columns; columns ``n_listed`` (nullable Int64, ``<NA>`` where
            suppressed) and ``suppressed``.

        Raises
        ------
        ValidationError
            When the list was made without ``groups``.
        """
        if "cell_count" not in self._ds:
            raise ValidationError(
                "the list has no group counts; call suggested_list(..., groups=<DataFrame of "
                "group columns>)"
            )
        cols = [c for c in self._ds["cell"].coords if c != "cell"]
        index = pd.MultiIndex.from_arrays([self._ds[c].values for c in cols], names=cols)
        if len(cols) == 1:
            index = index.get_level_values(0)
        return pd.DataFrame(
            {
                "n_listed": pd.array(self._ds["cell_count"].values, dtype="Float64").astype(
                    "Int64"
                ),
                "suppressed": self._ds["cell_suppressed"].values,
            },
            index=index,
        )

    # -- ResultBase hooks ------------------------------------------------------------------
    def _data(self) -> xr.Dataset:
        return self._ds

    def _grouped(self) -> xr.Dataset | None:
        return self._ds[["cell_count", "cell_suppressed"]] if "cell_count" in self._ds else None

    def by_group(self) -> xr.Dataset:
        """The listed students per group cell (dim ``cell``), suppressed counts NaN.

        Returns
        -------
        xarray.Dataset
            ``cell_count`` and ``cell_suppressed`` with one coordinate per group column.

        Raises
        ------
        ValidationError
            When the list was made without ``groups``.
        """
        grouped = self._grouped()
        if grouped is None:
            raise ValidationError(
                "by_group() needs group counts; call suggested_list(..., groups=<DataFrame of "
                "group columns such as college and grade>)"
            )
        return grouped.copy(deep=True)

    def _title(self, lang: str) -> str:
        return text("screening.list.title", lang)

    def _header(self, lang: str) -> list[tuple[str, str]]:
        a = self._ds.attrs
        none = text("screening.list.header.none", lang)

        def h(key: str, value: str) -> tuple[str, str]:
            return text(f"screening.list.header.{key}", lang), value

        if a["n_budget"] > 0:
            budget = text("screening.list.budget_n", lang, n=int(a["n_budget"]))
        else:
            budget = text("screening.list.budget_share", lang, share=float(a["share"]))
        return [
            h("score", a["score_name"] or none),
            h("units", f"{a['n_units']:,}"),
            h("missing", f"{a['n_missing']:,}"),
            h("budget", budget),
            h("listed", f"{a['n_listed']:,}"),
            h("cut", f"{a['cut_score']:.6g}"),
            h("reasons", str(a["top_reasons"]) if a["top_reasons"] else none),
            h("groups", a["groups"] or none),
        ]

    def _tables(self, lang: str) -> list[tuple[str, pd.DataFrame]]:
        frame = self.to_frame()
        table = pd.DataFrame(
            {"rank": frame["rank"], "screening_score": frame["score"]}, index=frame.index
        )
        if self.has_reasons:
            reasons = frame[[c for c in frame.columns if c.startswith("reason_")]]
            table["reasons"] = [
                ", ".join(r for r in row if isinstance(r, str) and r) for row in reasons.to_numpy()
            ]
        out = [(text("screening.list.table.list", lang), label_table(table, lang))]
        if self.has_reasons:
            counts = self.reason_counts(lang)
            t = counts[["n_students", "share"]].copy()
            t.insert(0, "feature", counts.index)
            t.index = pd.Index(counts["label"].to_numpy(), name="reason")
            out.append((text("screening.list.table.reasons", lang), label_table(t, lang)))
        if "cell_count" in self._ds:
            g = self.group_counts()
            mark = suppressed_mark(int(self._ds.attrs["min_cell"]))
            shown = [mark if hide else f"{int(v):,}" for v, hide in zip(
                g["n_listed"], g["suppressed"], strict=True)]  # fmt: skip
            t = pd.DataFrame({"n_listed": shown}, index=g.index)
            title = text("screening.list.table.groups", lang, groups=self._ds.attrs["groups"])
            out.append((title, label_table(t, lang)))
        return out

    def _notes(self, lang: str) -> list[str]:
        a = self._ds.attrs
        notes = []
        if a["n_tied_extra"]:
            notes.append(text("screening.list.note.ties", lang, extra=int(a["n_tied_extra"]),
                              cut=float(a["cut_score"])))  # fmt: skip
        else:
            notes.append(text("screening.list.note.no_ties", lang))
        if self.has_reasons:
            notes.append(text("screening.list.note.reasons", lang, k=int(a["top_reasons"])))
        if a["n_missing"]:
            notes.append(text("screening.list.note.missing", lang, n=int(a["n_missing"])))
        if a["n_suppressed"]:
            notes.append(text("screening.list.note.suppressed", lang, n=int(a["n_suppressed"]),
                              cells=int(a["n_cells"]), min_cell=int(a["min_cell"]),
                              mark=suppressed_mark(int(a["min_cell"]))))  # fmt: skip
        if a["n_missing_group"]:
            notes.append(
                text("screening.list.note.missing_group", lang, n=int(a["n_missing_group"]))
            )
        notes.append(text("screening.list.note.privacy", lang, min_cell=int(a["min_cell"])))
        return notes
