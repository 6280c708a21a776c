"""The result of :func:`mpi.jobs.match`: :class:`MatchResult`."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from mpi._common.labels import check_lang, text
from mpi._common.result import ResultBase, label_table
from mpi.errors import ValidationError

__all__ = ["MatchResult"]

#: Columns of :meth:`MatchResult.to_frame` (the worker dim's variables, in order).
WORKER_FRAME = (
    "worker_id", "household_id", "village", "county", "status", "matched", "post_id", "wage",
    "score", "distance_km", "n_feasible",
)  # fmt: skip
_PAIR = ("worker_id", "post_id", "employer_id", "sector", "score", "wage", "distance_km",
         "reason")  # fmt: skip
_POST = ("post_id", "employer_id", "sector", "county", "openings", "filled")
_OFFER = ("worker_id", "rank", "post_id", "score", "wage", "distance_km", "assigned")
_COVERAGE_BY = ("village", "county", None)


class MatchResult(ResultBase):
    """Workers matched to job posts: the assignment, reasons, offers and what blocks the rest.

    Made by :func:`mpi.jobs.match`. :meth:`to_dataset` holds four dims:

    * ``worker`` (one per worker, in input order): ``worker_id`` (coordinate),
      ``household_id``, ``village``, ``county``, ``status`` (``"matched"`` or the binding
      constraint, see :data:`mpi.jobs.constraints.STATUSES`), ``matched``, ``post_id``
      (``""`` if none), ``wage`` and ``score`` (NaN if none), ``distance_km``,
      ``n_feasible`` (feasible postings), ``detail`` and ``detail_zh`` (why unmatched; ``""``
      when matched), ``posts_left`` (``(worker, stage)``: posts left after each cumulative
      stage of the classification), ``wage_floor`` and ``max_distance_km``;
    * ``pair`` (one per matched worker): ``pair_worker_id``, ``pair_post_id``,
      ``pair_employer_id``, ``pair_sector``, ``pair_score``, ``pair_wage``,
      ``pair_distance_km``, ``pair_reason`` and ``pair_reason_zh``;
    * ``post`` (posts with openings): ``posting_id``, ``posting_employer_id``,
      ``posting_sector``, ``posting_county``, ``posting_openings``, ``posting_filled``;
    * ``offer`` (each worker's top feasible posts, plus the assigned one when it ranks
      lower): ``offer_worker_id``, ``offer_rank``, ``offer_post_id``, ``offer_score``,
      ``offer_wage``, ``offer_distance_km``, ``offer_assigned``;
    * ``skill`` (skills some post requires): ``training_workers_placeable``,
      ``training_share_of_unmatched``, ``training_openings_left``.

    The pair, post and offer variables carry a prefix because the names of the contract's
    tables (``post_id``, ``wage``, ...) are shared between dims; :meth:`pairs`,
    :meth:`posts`, :meth:`offers` give them with the plain names. Attributes: ``method``,
    ``solver``, ``total_score``, ``n_workers``, ``n_matched``, ``n_openings``, ``n_filled``,
    ``n_posts``, ``n_posts_without_openings``, ``n_feasible_pairs``, ``offers`` (-1: every
    feasible post kept), ``weights`` (text) and ``weight_<term>`` (the normalised weights).

    Parameters
    ----------
    data
        The result's Dataset.
    """

    title = text("jobs.title", "en")
    call = "mpi.jobs.match"
    takes_groups = False

    def __init__(self, data: xr.Dataset) -> None:
        self._ds = data

    # -- tables ------------------------------------------------------------------------------
    def to_frame(self) -> pd.DataFrame:  # type: ignore[override]
        """One row per worker, in input order.

        Returns
        -------
        pandas.DataFrame
            Columns ``worker_id``, ``household_id``, ``village``, ``county``, ``status``,
            ``matched``, ``post_id``, ``wage``, ``score``, ``distance_km``, ``n_feasible``.
        """
        ds = self._ds
        return pd.DataFrame({c: ds[c].values for c in WORKER_FRAME})

    def pairs(self, lang: str = "en") -> pd.DataFrame:
        """The matched pairs with a readable reason.

        Parameters
        ----------
        lang
            Language of the ``reason`` column (``"en"`` or ``"zh"``).

        Returns
        -------
        pandas.DataFrame
            Columns ``worker_id``, ``post_id``, ``employer_id``, ``sector``, ``score``,
            ``wage``, ``distance_km``, ``reason``; one row per matched worker, in worker
            order.
        """
        check_lang(lang)
        ds = self._ds
        out = pd.DataFrame({c: ds[f"pair_{c}"].values for c in _PAIR})
        if lang == "zh":
            out["reason"] = ds["pair_reason_zh"].values
        return out

    def posts(self) -> pd.DataFrame:
        """The posts with openings and how many were filled.

        Returns
        -------
        pandas.DataFrame
            Columns ``post_id``, ``employer_id``, ``sector``, ``county``, ``openings``,
            ``filled``; posts given with zero openings are not included (their number is the
            attribute ``n_posts_without_openings``).
        """
        ds = self._ds
        names = {"post_id": "posting_id"}
        return pd.DataFrame({c: ds[names.get(c, f"posting_{c}")].values for c in _POST})

    def offers(self, n: int | None = None) -> pd.DataFrame:
        """Each worker's ranked offers for the push step: the top ``n`` feasible posts and the
        assigned one.

        Parameters
        ----------
        n
            Offers per worker (at most the ``offers`` given to :func:`~mpi.jobs.match`);
            None: all that were kept.

        Returns
        -------
        pandas.DataFrame
            Columns ``worker_id``, ``rank`` (1 = highest score; ties by post id), ``post_id``,
            ``score``, ``wage``, ``distance_km``, ``assigned`` (the post of the matching).
            A worker's assigned post is always included, even when it ranks below ``n`` (the
            optimal matching may give a worker a lower-ranked post so that others get one).
            Rows by worker (input order), then rank.

        Raises
        ------
        ValidationError
            When ``n`` is not a positive integer or exceeds the offers kept.
        """
        ds = self._ds
        kept = ds.attrs["offers"]
        frame = pd.DataFrame({c: ds[f"offer_{c}"].values for c in _OFFER})
        if n is None:
            return frame
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
            raise ValidationError(f"n must be a positive integer (offers per worker); got {n!r}")
        if kept >= 0 and n > kept:
            raise ValidationError(
                f"n={n} exceeds the {kept} offers per worker kept by match(); call "
                f"mpi.jobs.match(..., offers={n}) (or offers=None for all feasible posts)"
            )
        keep = (frame["rank"].to_numpy() <= n) | frame["assigned"].to_numpy()
        return frame[keep].reset_index(drop=True)

    def unmatched(self, lang: str = "en") -> pd.DataFrame:
        """The workers without a post and why.

        Parameters
        ----------
        lang
            Language of the ``detail`` column.

        Returns
        -------
        pandas.DataFrame
            Columns ``worker_id``, ``status`` (the binding constraint: the first of
            ``no_post_in_reach``, ``wage_floor_above_offers``, ``sector_preference``,
            ``requirements_not_met``, ``skill_gap`` after which no post is left, else
            ``outcompeted``) and ``detail`` (the numbers behind it), in input order.
        """
        check_lang(lang)
        ds = self._ds
        keep = ~ds["matched"].values
        detail = ds["detail_zh" if lang == "zh" else "detail"].values
        return pd.DataFrame({
            "worker_id": ds["worker_id"].values[keep],
            "status": ds["status"].values[keep],
            "detail": detail[keep],
        })  # fmt: skip

    def training_needs(self) -> pd.DataFrame:
        """Which skills would place the most unmatched workers.

        For each skill ``s`` some post requires: ``workers_placeable`` is the number of
        unmatched workers who would have at least one feasible post with an opening left
        after the matching if they had skill ``s`` (every other constraint unchanged);
        ``share_of_unmatched`` that number over the unmatched workers; ``openings_left`` the
        openings left in posts requiring ``s`` (the most that training in ``s`` could fill:
        workers are counted one by one, not competing with each other).

        Returns
        -------
        pandas.DataFrame
            Columns ``skill``, ``workers_placeable``, ``share_of_unmatched``,
            ``openings_left``; most placeable first, then by skill.
        """
        ds = self._ds
        out = pd.DataFrame({
            "skill": ds["skill"].values.astype(str),
            "workers_placeable": ds["training_workers_placeable"].values.astype(np.int64),
            "share_of_unmatched": ds["training_share_of_unmatched"].values.astype(np.float64),
            "openings_left": ds["training_openings_left"].values.astype(np.int64),
        })  # fmt: skip
        out = out.sort_values(["workers_placeable", "skill"], ascending=[False, True])
        return out.reset_index(drop=True)

    def coverage(self, by: str | None = "village") -> pd.DataFrame:
        """How much of the poor households' labour the matching covers.

        Parameters
        ----------
        by
            ``"village"``, ``"county"`` or None (one row for all workers).

        Returns
        -------
        pandas.DataFrame
            Index: the groups (sorted; ``"all"`` when ``by`` is None); columns ``workers``,
            ``matched``, ``share_matched`` (= matched / workers), ``households`` (distinct
            linked ``household_id`` >= 0) and ``households_with_match`` (households with at
            least one matched worker). Workers not linked to a household count in the
            worker columns only. The group rows add up to the totals.

        Raises
        ------
        ValidationError
            For another ``by``.
        """
        if by not in _COVERAGE_BY:
            raise ValidationError(
                f"by must be one of {_COVERAGE_BY}; got {by!r}"
            )
        f = self.to_frame()
        key = np.full(len(f), "all", object) if by is None else f[by].to_numpy()
        f = f.assign(_g=key, _hh=np.where(f["household_id"] >= 0, f["household_id"], -1))
        linked = f[f["_hh"] >= 0]
        hh = linked.groupby(["_g", "_hh"], sort=True)["matched"].any().reset_index()
        out = pd.DataFrame({
            "workers": f.groupby("_g", sort=True).size(),
            "matched": f.groupby("_g", sort=True)["matched"].sum(),
        })  # fmt: skip
        out["share_matched"] = out["matched"] / out["workers"]
        out["households"] = hh.groupby("_g").size().reindex(out.index, fill_value=0)
        out["households_with_match"] = (
            hh.groupby("_g")["matched"].sum().reindex(out.index, fill_value=0)
        )
        out = out.astype({"workers": np.int64, "matched": np.int64, "households": np.int64,
                          "households_with_match": np.int64})  # fmt: skip
        out.index.name = by if by is not None else "group"
        return out

    def status_counts(self) -> pd.DataFrame:
        """Workers by status, in the order of :data:`mpi.jobs.constraints.STATUSES`.

        Returns
        -------
        pandas.DataFrame
            Index ``status`` (every status, zeros included); columns ``workers`` and
            ``share`` (of all workers).
        """
        from mpi.jobs.constraints import STATUSES

        counts = pd.Series(self._ds["status"].values).value_counts()
        out = pd.DataFrame({"workers": [int(counts.get(s, 0)) for s in STATUSES]},
                           index=pd.Index(list(STATUSES), name="status"))  # fmt: skip
        out["share"] = out["workers"] / int(self._ds.attrs["n_workers"])
        return out

    # -- ResultBase hooks --------------------------------------------------------------------
    def _data(self) -> xr.Dataset:
        return self._ds

    def _title(self, lang: str) -> str:
        return text("jobs.title", lang)

    def _header(self, lang: str) -> list[tuple[str, str]]:
        a = self._ds.attrs

        def h(key: str, value: str) -> tuple[str, str]:
            return text(f"jobs.header.{key}", lang), value

        n, m = int(a["n_workers"]), int(a["n_matched"])
        offers = int(a["offers"])
        return [
            h("method", text(f"jobs.method.{a['method']}", lang)),
            h("workers", f"{n:,}"),
            h("matched", f"{m:,} ({m / n:.1%})"),
            h("openings", f"{int(a['n_openings']):,}"),
            h("filled", f"{int(a['n_filled']):,}"),
            h("total_score", f"{float(a['total_score']):,.4f}"),
            h("feasible_pairs", f"{int(a['n_feasible_pairs']):,}"),
            h("posts", f"{int(a['n_posts']):,}"),
            h("no_openings", f"{int(a['n_posts_without_openings']):,}"),
            h("offers", text("jobs.offers_all", lang) if offers < 0 else f"{offers}"),
        ]

    def _tables(self, lang: str) -> list[tuple[str, pd.DataFrame]]:
        out = [(text("jobs.table.status", lang), label_table(self.status_counts(), lang,
                                                              cells=True))]  # fmt: skip
        needs = self.training_needs().head(10).set_index("skill")
        if len(needs):
            out.append((text("jobs.table.training", lang), label_table(needs, lang)))
        cov = self.coverage("county")
        out.append((text("jobs.table.coverage", lang), label_table(cov, lang)))
        return out

    def _notes(self, lang: str) -> list[str]:
        a = self._ds.attrs
        from mpi.jobs.score import DEFAULT_WEIGHTS

        weights = text("jobs.term.sep", lang).join(
            f"{text(f'jobs.term.{k}', lang)} {float(a[f'weight_{k}']):.4g}" for k in DEFAULT_WEIGHTS
        )
        solver = str(a["solver"]).rsplit(".", 1)[-1]  # the function's name
        notes = [text(f"jobs.note.{a['method']}", lang, solver=solver),
                 text("jobs.note.score", lang, weights=weights)]  # fmt: skip
        if int(a["n_posts_without_openings"]):
            notes.append(text("jobs.note.no_openings", lang,
                              n=int(a["n_posts_without_openings"])))  # fmt: skip
        return notes

    def __repr__(self) -> str:
        a = self._ds.attrs
        return (
            f"<MatchResult {text('jobs.title', 'en')!r} method: {a['method']}; workers: "
            f"{int(a['n_workers']):,}; matched: {int(a['n_matched']):,}; openings filled: "
            f"{int(a['n_filled']):,} of {int(a['n_openings']):,}>"
        )
