"""A software prefetch for the kernels: ask for a cache line before the loop that reads it.

The lean AF pass reads each indicator column a block of 512 float64 values at a time: one
4 KB page per column and block. The processor's stream prefetchers stop at a page's end, so
every block started ten cold streams and the pass waited on memory: at 1e7 units x 10
indicators it took about twice one read of the data (``X.sum()``) although its arithmetic is
small. :func:`prefetch` lets the unit loop of one block ask for the next block's values (one
hint per cache line, see :mod:`.af_sums`), so they arrive while the current block is summed.

A prefetch is only a hint: it changes no value and raises no error, and the kernels only ask
for elements inside the array.

numpy + numba only.
"""

from __future__ import annotations

from llvmlite import binding as _llvm
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

__all__ = ["prefetch"]

# LLVM names its intrinsics by pointer type: ``p0`` once pointers are opaque (LLVM 15 on)
_NAME = "llvm.prefetch.p0" if _llvm.llvm_version_info[0] >= 15 else "llvm.prefetch.p0i8"
_I32 = ir.IntType(32)
_I8P = ir.IntType(8).as_pointer()


@intrinsic
def prefetch(typingctx, arr, i):
    """Ask for the cache line holding ``arr[i]`` (a 1-D array, ``i`` an integer inside it)
    to be brought into every cache level (``llvm.prefetch``: read, high locality, data; on
    x86-64 the ``prefetcht0`` instruction). Returns nothing; no bounds are checked, so the
    caller passes an index inside ``arr``.

    Parameters
    ----------
    arr : numpy.ndarray
        A 1-D array (any dtype, read-only or not).
    i : int
        The index of an element of ``arr``.
    """
    if not isinstance(arr, types.Array) or arr.ndim != 1 or not isinstance(i, types.Integer):
        return None
    sig = types.void(arr, i)

    def codegen(context, builder, signature, args):
        ary = context.make_array(signature.args[0])(context, builder, args[0])
        stride = cgutils.unpack_tuple(builder, ary.strides, 1)[0]
        offset = builder.mul(context.cast(builder, args[1], signature.args[1], types.intp), stride)
        ptr = builder.gep(builder.bitcast(ary.data, _I8P), [offset])
        fnty = ir.FunctionType(ir.VoidType(), [_I8P, _I32, _I32, _I32])
        fn = cgutils.get_or_insert_function(builder.module, fnty, _NAME)
        # rw = 0 (read), locality = 3 (keep in every level), cache type = 1 (data)
        builder.call(fn, [ptr, _I32(0), _I32(3), _I32(1)])
        return context.get_dummy_value()

    return sig, codegen
