"""The dask plumbing of the chunked estimators (mpi._common.chunked): each block a task gets
equals the Dataset sliced and loaded, and statistics of blocks add up with or without the
same labels (issue 22: the blocks are built from the arrays' chunks, not sliced per block,
and equal labels are added without xarray's alignment)."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from mpi._common.chunked import add_aligned, block_datasets, reduce_blocks, unit_blocks

dask = pytest.importorskip("dask")


@pytest.fixture
def data() -> xr.Dataset:
    rng = np.random.default_rng(4)
    n, t = 23, 3
    return xr.Dataset(
        {
            "x": (("unit", "time"), rng.random((n, t)), {"units": "1"}),
            "w": ("unit", rng.random(n)),
            "label": ("unit", np.array([f"u{i}" for i in range(n)], dtype=object)),
            "per_time": ("time", np.arange(t) * 1.5),
            "flag": ("unit", rng.random(n) < 0.5),
        },
        coords={"unit": np.arange(100, 100 + n), "time": [2019, 2020, 2021],
                "region": ("unit", rng.integers(0, 3, n))},
        attrs={"title": "toy"},
    )  # fmt: skip


@pytest.mark.parametrize("lazy", ["all", "some", "time_chunks"])
def test_each_block_is_the_sliced_dataset(data: xr.Dataset, lazy: str) -> None:
    """Dask-backed and in-memory variables alike, chunked along ``time`` as well or not:
    every block is ``data.isel(unit=block)`` loaded, values, dtypes, coords and attrs."""
    if lazy == "all":
        ds = data.chunk({"unit": (5, 1, 10, 7)})
    elif lazy == "some":
        ds = data.assign(x=data["x"].chunk({"unit": (5, 1, 10, 7)}))
    else:
        ds = data.chunk({"unit": (5, 1, 10, 7), "time": 1})
    blocks = unit_blocks(ds, "unit", ["x"])
    assert [b.stop - b.start for b in blocks] == [5, 1, 10, 7]
    got = dask.compute(*block_datasets(ds, "unit", blocks))
    for b, block in zip(blocks, got, strict=True):
        want = data.isel(unit=b)
        xr.testing.assert_identical(block, want)
        assert not any(v.chunks for v in block.variables.values())  # in memory
    assert ds["x"].chunks is not None  # the input is left as it was


def test_lazily_indexed_file_variables_are_read_a_block_at_a_time(data, tmp_path) -> None:
    """A variable opened from a file without dask (lazily indexed) next to a dask one: each
    block holds its slice, and the slices are read, not the whole variable per block."""
    path = tmp_path / "toy.nc"
    data.drop_vars("label").to_netcdf(path)
    with xr.open_dataset(path) as opened:
        assert opened["w"].chunks is None  # lazily indexed from the file, not dask
        ds = opened.assign(x=opened["x"].chunk({"unit": 6}))
        blocks = unit_blocks(ds, "unit", ["x"])
        got = dask.compute(*block_datasets(ds, "unit", blocks))
        for b, block in zip(blocks, got, strict=True):
            xr.testing.assert_identical(block, opened.isel(unit=b).load())


def test_reduce_blocks_sums_in_block_order(data: xr.Dataset) -> None:
    ds = data.chunk({"unit": 4})
    total = reduce_blocks(
        lambda b: [b["unit"].values.tolist()], ds, "unit", combine=lambda a, b: a + b
    )
    assert total == [data["unit"].values[i : i + 4].tolist() for i in range(0, 23, 4)]


def test_add_aligned_with_the_same_and_with_other_labels() -> None:
    def stats(labels, values):
        return xr.Dataset(
            {"n": ("g", np.asarray(values, np.int64)), "s": ("g", np.asarray(values) * 0.5)},
            coords={"g": labels},
            attrs={"kind": "stats"},
        )

    a = stats(["a", "b"], [1, 2])
    same = add_aligned(a, stats(["a", "b"], [10, 20]))
    assert same["n"].values.tolist() == [11, 22] and same["n"].dtype == np.int64
    assert same["s"].values.tolist() == [5.5, 11.0] and same.attrs == {"kind": "stats"}
    other = add_aligned(a, stats(["b", "c"], [10, 20]))  # outer join, missing labels count 0
    assert other["g"].values.tolist() == ["a", "b", "c"]
    assert other["n"].values.tolist() == [1, 12, 20] and other.attrs == {"kind": "stats"}
    order = add_aligned(a, stats(["b", "a"], [20, 10]))  # same labels, another order
    assert order.sel(g="a")["n"].item() == 11 and order.sel(g="b")["n"].item() == 22
    # the fast path (same labels) gives what xarray's own sum gives
    xr.testing.assert_identical(same, (a + stats(["a", "b"], [10, 20])).assign_attrs(kind="stats"))
