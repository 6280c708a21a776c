"""The C library's ``log`` and ``exp`` over an array, one call per value (numpy + numba only).

numpy picks its float64 ``log`` and ``exp`` loops by the processor (its own AVX-512 code on
CPUs that have it, the C library's elsewhere), and the two round some values differently;
numba's ``math.log`` is an LLVM intrinsic that a vector library (SVML, when installed) may
replace. These kernels call the C library's functions themselves, declared as external
functions: a call that may set ``errno`` is never vectorised, so each value gets exactly what
Python's ``math.log`` / ``math.exp`` give, on any machine with the same C library. C's
conventions are numpy's: ``log(0) = -inf``, ``log(x < 0) = nan``, ``exp`` overflows to
``inf``, NaN stays NaN. About 5 ns a value (Python's ``math`` per value: 150 ns).
"""

from __future__ import annotations

from numba import types

from ._config import kernel

__all__ = ["log_into", "exp_into"]

# resolved by name in the process, which has the C math library loaded (Python links it)
_c_log = types.ExternalFunction("log", types.float64(types.float64))
_c_exp = types.ExternalFunction("exp", types.float64(types.float64))


@kernel
def log_into(x, out):
    """``out[i] = log(x[i])`` by the C library (float64[:] in, float64[:] out)."""
    for i in range(x.shape[0]):
        out[i] = _c_log(x[i])
    return out


@kernel
def exp_into(x, out):
    """``out[i] = exp(x[i])`` by the C library (float64[:] in, float64[:] out)."""
    for i in range(x.shape[0]):
        out[i] = _c_exp(x[i])
    return out
