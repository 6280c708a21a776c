"""Compilation policy shared by every kernel.

``XMPI_NUMBA_CACHE`` (default ``1``) keeps compiled kernels on disk next to the source, so a
new process does not pay the JIT cost again; set it to ``0`` on read-only installs.
``XMPI_NUMBA_PARALLEL`` (default ``1``) runs the unit loop on all threads; set it to ``0``
inside thread pools that are unsafe for numba's threading layer.
"""

from __future__ import annotations

import os

CACHE = os.environ.get("XMPI_NUMBA_CACHE", "1") != "0"
PARALLEL = os.environ.get("XMPI_NUMBA_PARALLEL", "1") != "0"

#: Extra cells after each parallel chunk's private sums, so that two threads never write to
#: one cache line (with a single group a chunk's sums fit in a few lines, and threads
#: updating neighbouring lines run slower than one thread alone).
PAD = 16
