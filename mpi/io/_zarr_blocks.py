"""A Zarr store written block of units by block: created empty, filled by region writes.

For data built in pieces that do not fit in memory together (a panel from a long table bigger
than memory): :func:`create_blocks_store` writes the metadata, the coordinates and empty
arrays chunked along the block dimension; :func:`write_block` writes one block of units (a
region aligned with the chunks, so blocks can be written in any order and never share a
chunk); :func:`finish_blocks_store` sets the attributes and consolidates the metadata.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from mpi.errors import ValidationError
from mpi.io._formats import is_zarr_store, require

__all__ = ["create_blocks_store", "write_block", "finish_blocks_store"]


def create_blocks_store(
    path: Path,
    variables: Mapping[Hashable, tuple[tuple[Hashable, ...], np.dtype, dict[str, Any]]],
    coords: Mapping[Hashable, Any],
    *,
    dim: Hashable,
    block: int,
) -> None:
    """Create an empty Zarr store (format 2) chunked along ``dim`` by ``block`` entries.

    Parameters
    ----------
    path : pathlib.Path
        The store; an existing store there is replaced, anything else is an error.
    variables : mapping
        ``{name: (dims, dtype, attrs)}``; object dtypes are stored as text (missing values
        as ``""``, read back as NaN).
    coords : mapping
        The coordinates, as for :class:`xarray.Dataset` (written now, in full).
    dim : hashable
        The block dimension.
    block : int
        Entries of ``dim`` per chunk (other dimensions are one chunk).
    """
    import dask.array as da

    if path.exists() and not is_zarr_store(path):
        raise ValidationError(
            f"store='{path}' exists and is not a Zarr store; writing would replace it: "
            "choose a new name or remove it first"
        )
    zarr = require("zarr", package="zarr", purpose="writing .zarr stores")
    template = xr.Dataset(coords=coords)
    text: dict[Hashable, tuple[tuple[Hashable, ...], tuple[int, ...], tuple[int, ...], dict]] = {}
    for name, (dims, dtype, attrs) in variables.items():
        shape = tuple(template.sizes[d] for d in dims)
        chunks = tuple(
            max(1, min(block, n)) if d == dim else max(1, n)
            for d, n in zip(dims, shape, strict=True)
        )
        if np.dtype(dtype).kind == "O":  # xarray would load a dask object array to type it
            text[name] = (dims, shape, chunks, dict(attrs))
            continue
        template[name] = xr.Variable(dims, da.zeros(shape, chunks=chunks, dtype=dtype), attrs)
    template.to_zarr(path, mode="w", compute=False, zarr_format=2, consolidated=True)
    if text:
        group = zarr.open_group(str(path), mode="r+", zarr_format=2)
        for name, (dims, shape, chunks, attrs) in text.items():
            array = group.create_array(
                str(name), shape=shape, chunks=chunks, dtype=str, fill_value=""
            )
            array.attrs.update({**attrs, "_ARRAY_DIMENSIONS": [str(d) for d in dims]})
        zarr.consolidate_metadata(str(path), zarr_format=2)


def write_block(path: Path, block: xr.Dataset, *, dim: Hashable, start: int) -> None:
    """Write the variables of ``block`` (units ``start .. start + len``) into the store.

    Parameters
    ----------
    path : pathlib.Path
        A store made by :func:`create_blocks_store`.
    block : xarray.Dataset
        The block's variables (no coordinates), with the store's dims and dtypes.
    dim : hashable
        The block dimension.
    start : int
        The block's first position along ``dim`` (a multiple of the chunk size).
    """
    n = int(block.sizes[dim])
    block = block.drop_vars(list(block.coords))
    block.to_zarr(path, region={dim: slice(start, start + n)})


def finish_blocks_store(path: Path, attrs: Mapping[str, Any]) -> None:
    """Set the store's attributes and consolidate its metadata.

    Parameters
    ----------
    path : pathlib.Path
        A store made by :func:`create_blocks_store`.
    attrs : mapping
        The Dataset attributes (JSON-serialisable values).
    """
    zarr = require("zarr", package="zarr", purpose="writing .zarr stores")
    group = zarr.open_group(str(path), mode="r+", zarr_format=2)
    group.attrs.update(dict(attrs))
    zarr.consolidate_metadata(str(path), zarr_format=2)
