"""Assignment of workers to post openings: :func:`assign_optimal` (maximum total suitability)
and :func:`assign_stable` (worker-proposing deferred acceptance).

Both take the feasible pairs ``(wi, pj)`` with their scores ``s`` (all > 0) and the openings
per post, and return each worker's post (-1: unmatched).

**Optimal** (the capacitated assignment, or b-matching, problem):

.. math::

    \\max_x \\sum_{(i,j)} s_{ij} x_{ij} \\quad\\text{s.t.}\\quad
    \\sum_j x_{ij} \\le 1,\\ \\sum_i x_{ij} \\le c_j,\\ x_{ij} \\in \\{0, 1\\}

over the feasible pairs only. Each post ``j`` is replicated into
:math:`\\min(c_j, \\deg j)` *slots* (more slots than feasible workers can never be used), one
column per slot, and each worker gets one private "stay unmatched" column, so a matching
that covers every worker always exists. With weights :math:`C - s_{ij}` on real edges and
:math:`C` on the private ones (:math:`C = 2 > \\max s`; every stored weight is >= 1, so no
edge is an explicit zero that a sparse matrix would drop), a minimum-weight full matching
of the workers costs :math:`nC - \\sum s_{ij} x_{ij}`: it maximises the total score. It is
solved by :func:`scipy.sparse.csgraph.min_weight_full_bipartite_matching` (LAPJVsp), or,
when the dense workers x slots matrix has at most :data:`DENSE_LIMIT` cells, by
:func:`scipy.optimize.linear_sum_assignment` on the score matrix (0 where infeasible; a
worker assigned a zero cell is unmatched). The limit was set by measurement
(``benchmarks/jobs.py``, table "dense or sparse" in ``benchmarks/jobs_results.md``): the
dense solver is faster at 6,300 cells (0.10 ms vs 0.16 ms), slower from about 30,000
(0.34 ms vs 0.21 ms) and 5 times slower at 3 million (85 ms vs 17.5 ms). Among several optimal matchings
the solver's is returned; it is deterministic for the same input in the same order.

**Stable** (Gale & Shapley 1962, with capacities, the "college admissions" problem):
workers propose in order of preference; a post holds its best :math:`c_j` proposals so far
and rejects the rest. Workers rank their feasible posts by score, ties by post id
(ascending); posts rank workers by score, ties by worker id (ascending); every feasible post
is better than none. The result is the worker-optimal stable matching: no worker and post
both prefer each other to what they have (no blocking pair), and every worker gets the best
post it can have in any stable matching.

References
----------
Gale, D. and Shapley, L. S. (1962). College admissions and the stability of marriage.
*American Mathematical Monthly* 69(1), 9-15.

Bertsekas, D. P. (1998). *Network Optimization: Continuous and Discrete Models*. Athena
Scientific (the assignment problem and its transportation form).

Jonker, R. and Volgenant, A. (1987). A shortest augmenting path algorithm for dense and
sparse linear assignment problems. *Computing* 38, 325-340.
"""

from __future__ import annotations

import heapq

import numpy as np

__all__ = ["DENSE_LIMIT", "assign_optimal", "assign_stable", "slots"]

#: Largest workers x slots matrix solved densely by linear_sum_assignment.
DENSE_LIMIT = 20_000


def slots(n_posts: int, pj: np.ndarray, openings: np.ndarray) -> np.ndarray:
    """Slots per post: ``min(openings, feasible workers)``.

    Parameters
    ----------
    n_posts
        Number of posts.
    pj
        Post rows of the feasible pairs.
    openings
        Openings per post.

    Returns
    -------
    numpy.ndarray
        int64 slots per post.
    """
    degree = np.bincount(pj, minlength=n_posts)
    return np.minimum(np.asarray(openings, np.int64), degree).astype(np.int64)


def assign_optimal(
    n_workers: int,
    n_posts: int,
    wi: np.ndarray,
    pj: np.ndarray,
    score: np.ndarray,
    openings: np.ndarray,
    *,
    solver: str | None = None,
) -> tuple[np.ndarray, str]:
    """The assignment of maximum total score under the posts' capacities.

    Parameters
    ----------
    n_workers, n_posts
        Numbers of workers and posts.
    wi, pj
        Worker and post rows of the feasible pairs.
    score
        Their scores, all > 0.
    openings
        Openings per post.
    solver
        ``"sparse"`` (min_weight_full_bipartite_matching), ``"dense"``
        (linear_sum_assignment) or None: dense when workers x slots <= :data:`DENSE_LIMIT`.

    Returns
    -------
    post_of_worker : numpy.ndarray
        int64, the post row of each worker, -1 when unmatched.
    solver : str
        The scipy function used.
    """
    post_of = np.full(n_workers, -1, np.int64)
    if not len(wi):
        return post_of, "none (no feasible pair)"
    cap = slots(n_posts, pj, openings)
    start = np.concatenate([[0], np.cumsum(cap)])
    n_slots = int(start[-1])
    slot_post = np.repeat(np.arange(n_posts, dtype=np.int64), cap)
    if solver is None:
        solver = "dense" if n_workers * n_slots <= DENSE_LIMIT else "sparse"
    # one edge per (pair, slot of its post); the pairs are sorted by worker, then post, so
    # the edges come out in CSR order (row by row, columns increasing)
    reps = cap[pj]
    e_w = np.repeat(wi, reps)
    e_col = np.repeat(start[pj] - np.cumsum(reps) + reps, reps)
    e_col += np.arange(len(e_w), dtype=np.int64)
    if solver == "dense":
        from scipy.optimize import linear_sum_assignment

        cols = max(n_slots, n_workers)
        m = np.zeros((n_workers, cols))
        m[e_w, e_col] = np.repeat(score, reps)
        rows, col = linear_sum_assignment(m, maximize=True)
        real = (col < n_slots) & (m[rows, np.minimum(col, cols - 1)] > 0)
        post_of[rows[real]] = slot_post[col[real]]
        return post_of, "scipy.optimize.linear_sum_assignment"
    if solver != "sparse":
        raise ValueError(f"solver must be 'sparse', 'dense' or None; got {solver!r}")
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import min_weight_full_bipartite_matching

    if not (np.all(np.diff(wi) >= 0)):
        raise ValueError("the pairs must be sorted by worker (as feasible_pairs gives them)")
    c = 2.0
    # CSR built directly: each row holds its edges, then its private column (the largest
    # index of the row); row i's edges shift by the i private entries before them
    per_row = np.bincount(wi, weights=reps, minlength=n_workers).astype(np.int64) + 1
    indptr = np.zeros(n_workers + 1, np.int64)
    np.cumsum(per_row, out=indptr[1:])
    nnz = int(indptr[-1])
    pos = np.arange(len(e_w), dtype=np.int64) + e_w
    del e_w
    index_type = np.int32 if n_slots + n_workers < 2**31 else np.int64
    indices = np.empty(nnz, index_type)
    data = np.empty(nnz, np.float64)
    indices[pos] = e_col
    data[pos] = c - np.repeat(score, reps)
    del pos, e_col
    last = indptr[1:] - 1
    indices[last] = n_slots + np.arange(n_workers)
    data[last] = c
    graph = csr_matrix((data, indices, indptr), shape=(n_workers, n_slots + n_workers))
    col = min_weight_full_bipartite_matching(graph)[1]
    real = col < n_slots
    post_of[np.flatnonzero(real)] = slot_post[col[real]]
    return post_of, "scipy.sparse.csgraph.min_weight_full_bipartite_matching"


def assign_stable(
    n_workers: int,
    n_posts: int,
    wi: np.ndarray,
    pj: np.ndarray,
    score: np.ndarray,
    openings: np.ndarray,
    worker_rank: np.ndarray,
    post_rank: np.ndarray,
) -> np.ndarray:
    """Worker-proposing deferred acceptance with capacities (Gale & Shapley 1962).

    Parameters
    ----------
    n_workers, n_posts
        Numbers of workers and posts.
    wi, pj
        Worker and post rows of the feasible pairs.
    score
        Their scores.
    openings
        Openings per post.
    worker_rank, post_rank
        Position of each worker's and post's id in sorted order (tie-breakers: lower id
        first).

    Returns
    -------
    numpy.ndarray
        int64, the post row of each worker, -1 when unmatched.
    """
    post_of = np.full(n_workers, -1, np.int64)
    if not len(wi):
        return post_of
    # each worker's preference list: score descending, then post id ascending
    order = np.lexsort((post_rank[pj], -score, wi))
    pref_post = pj[order].tolist()
    pref_score = score[order].tolist()
    bounds = np.searchsorted(wi[order], np.arange(n_workers + 1)).tolist()
    cap = np.asarray(openings, np.int64).tolist()
    wrank = worker_rank.tolist()
    nxt = bounds[:-1]  # next position in each worker's list
    held: list[list[tuple[float, int, int]]] = [[] for _ in range(n_posts)]
    free = [i for i in range(n_workers) if bounds[i] < bounds[i + 1]]
    free.reverse()
    while free:
        i = free.pop()
        while nxt[i] < bounds[i + 1]:
            q = nxt[i]
            nxt[i] += 1
            j = pref_post[q]
            # the post's key for i: higher score, then lower worker id, is better; the heap
            # keeps the worst held proposal on top
            key = (pref_score[q], -wrank[i], i)
            heap = held[j]
            if len(heap) < cap[j]:
                heapq.heappush(heap, key)
                break
            if key > heap[0]:
                out = heapq.heapreplace(heap, key)
                free.append(out[2])
                break
    for j, heap in enumerate(held):
        for _, _, i in heap:
            post_of[i] = j
    return post_of
