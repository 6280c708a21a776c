"""What a process pays before it measures: ``import mpi`` is lazy (PEP 562), and a whole
measurement with design-based standard errors loads neither matplotlib nor ``scipy.stats``
(dask is still imported when installed: xarray imports ``dask.array`` on its first
``Dataset`` to recognise dask arrays).

Each check runs in a fresh interpreter (the test session has imported everything already).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import mpi
from mpi._common import dist

#: Libraries ``import mpi`` must not import (each costs 0.2-1 s, and most users need none).
HEAVY = ("numba", "matplotlib", "scipy", "statsmodels", "dask", "openpyxl", "pyreadstat")
#: ``import mpi`` may take at most this share of ``import pandas, xarray`` (measured: ~1 %).
IMPORT_RATIO = 0.25


def _run(code: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=dict(os.environ),
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def _import_microseconds(statement: str) -> int:
    """Cumulative ``-X importtime`` microseconds of the top-level imports of ``statement``."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", statement], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    total = 0
    for line in proc.stderr.splitlines():
        match = re.match(r"import time:\s+\d+ \|\s+(\d+) \| (\S.*)$", line)
        if match and not match.group(2).startswith(" "):  # top level: no indentation
            total += int(match.group(1))
    return total


def test_import_mpi_loads_none_of_the_heavy_libraries() -> None:
    out = _run(
        f"""
        import sys
        import mpi
        print(sorted(m for m in {HEAVY!r} if m in sys.modules))
        """
    )
    assert out.strip() == "[]"


def test_import_mpi_costs_a_fraction_of_pandas_and_xarray() -> None:
    ours = min(_import_microseconds("import mpi") for _ in range(3))
    theirs = min(_import_microseconds("import pandas, xarray") for _ in range(3))
    assert ours < IMPORT_RATIO * theirs, (ours, theirs)


def test_every_public_name_imports_and_dir_lists_it() -> None:
    out = _run(
        """
        import mpi
        names = list(mpi.__all__)
        missing = [n for n in names if n not in dir(mpi)]
        ns = {}
        exec("from mpi import " + ", ".join(names), ns)
        bad = [n for n in names if ns[n] is not getattr(mpi, n)]
        print(missing, bad, mpi.targeting.__name__, type(mpi.hypothesis).__name__)
        """
    )
    assert out.split() == ["[]", "[]", "evaluate_targeting", "module"]


def test_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_name"):
        mpi.no_such_name  # noqa: B018
    with pytest.raises(ImportError):
        exec("from mpi import no_such_name", {})


def test_a_function_named_like_its_module_stays_the_function() -> None:
    out = _run(
        """
        import mpi.plot, mpi.auditing
        import mpi.plot.audit, mpi.auditing.audit, mpi.plot.association
        print(type(mpi.plot.audit).__name__, type(mpi.auditing.audit).__name__,
              type(mpi.plot.association).__name__)
        """
    )
    assert out.split() == ["function", "function", "function"]


def test_measure_with_a_design_and_its_intervals_skip_plots_and_scipy_stats() -> None:
    out = _run(
        """
        import sys
        import numpy as np, pandas as pd
        import mpi
        rng = np.random.default_rng(3)
        n = 400
        df = pd.DataFrame({f"d{j}": (rng.random(n) < 0.3).astype(np.int8) for j in range(4)})
        df["w"] = rng.uniform(1, 2, n)
        df["psu"] = np.arange(n) // 10
        df["g"] = np.arange(n) % 3
        spec = mpi.Spec.from_dimensions({"a": ["d0", "d1"], "b": ["d2", "d3"]}, k="1/2")
        res = mpi.measure(df, spec, design=mpi.Design("w", psu="psu"), by="g")
        frame = res.to_frame()
        h = frame[frame["measure"] == "H"]
        assert len(h) == 3 and h["se"].gt(0).all() and (h["lower"] < h["upper"]).all()
        print(sorted(m for m in ("matplotlib", "scipy.stats", "statsmodels", "openpyxl")
                     if m in sys.modules))
        """
    )
    assert out.strip() == "[]"


def test_result_plot_registers_the_charts_on_first_use() -> None:
    out = _run(
        """
        import matplotlib
        matplotlib.use("Agg")
        import numpy as np, pandas as pd
        import mpi
        df = pd.DataFrame({"a": [0, 1, 1, 0], "b": [1, 1, 0, 0]})
        res = mpi.measure(df, mpi.Spec.from_dimensions({"x": ["a"], "y": ["b"]}, k="1/2"))
        ax = res.plot()
        print(type(ax).__name__)
        """
    )
    assert out.strip() == "Axes"


X = np.array([-np.inf, -50, -3.2, -1, -0.0, 0.0, 1e-300, 0.3, 1, 2.5, 40, 1e6, np.inf, np.nan])
Q = np.array([-0.1, 0.0, 1e-300, 1e-12, 0.025, 0.5, 0.975, 1 - 1e-16, 1.0, 1.1, np.nan])
DF = np.array([-1.0, 0.0, 0.5, 1, 3, 29, 1e4, np.inf, np.nan])


def _same_bits(ours: object, theirs: object) -> bool:
    a, b = np.asarray(ours), np.asarray(theirs)
    return (
        type(ours) is type(theirs)
        and a.dtype == b.dtype
        and a.shape == b.shape
        and np.array_equal(a, b, equal_nan=True)
        and np.array_equal(np.signbit(a), np.signbit(b))
    )


@pytest.mark.parametrize(
    ("name", "ours", "theirs"),
    [
        ("t_ppf", lambda s: dist.t_ppf(*np.meshgrid(Q, DF)), lambda s: s.t.ppf(*np.meshgrid(Q, DF))),
        ("t_sf", lambda s: dist.t_sf(*np.meshgrid(X, DF)), lambda s: s.t.sf(*np.meshgrid(X, DF))),
        (
            "f_sf",
            lambda s: dist.f_sf(*np.meshgrid(X, DF), DF[::-1, None]),
            lambda s: s.f.sf(*np.meshgrid(X, DF), DF[::-1, None]),
        ),
        ("chi2_sf", lambda s: dist.chi2_sf(*np.meshgrid(X, DF)), lambda s: s.chi2.sf(*np.meshgrid(X, DF))),
        ("norm_sf", lambda s: dist.norm_sf(X), lambda s: s.norm.sf(X)),
        ("norm_ppf", lambda s: dist.norm_ppf(Q), lambda s: s.norm.ppf(Q)),
        ("scalar", lambda s: dist.t_ppf(0.975, 12), lambda s: s.t.ppf(0.975, 12)),
        ("list", lambda s: dist.t_sf([1.0, 2.0], 5), lambda s: s.t.sf([1.0, 2.0], 5)),
        ("ints", lambda s: dist.chi2_sf(np.arange(4), 2), lambda s: s.chi2.sf(np.arange(4), 2)),
    ],
)  # fmt: skip
def test_distribution_functions_are_scipy_stats_bit_for_bit(name, ours, theirs) -> None:
    """Same values, NaNs, signs of zero, dtype and scalar-ness as ``scipy.stats`` (which
    the module no longer imports for them), at the support's ends and for bad parameters."""
    from scipy import stats

    assert _same_bits(ours(stats), theirs(stats)), name
