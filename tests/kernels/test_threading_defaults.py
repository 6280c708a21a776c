"""Threading defaults that degrade gracefully on shared machines (issue 22).

numba's OpenMP threads must sleep, not spin, while they wait (``OMP_WAIT_POLICY=PASSIVE``)
unless the user chose otherwise: spinning threads made ``mpi.measure`` slower with two
threads than with one when another process kept a core busy (``benchmarks/busy_cores.py``
measures it). The policy must be in the environment before numba starts its threads.
"""

from __future__ import annotations

import os
import subprocess
import sys

CODE = """
import os
import numpy as np
import numba
from mpi.kernels import _config
from mpi.kernels.columns import int_range
print(os.environ.get("OMP_WAIT_POLICY"), _config.OMP_WAIT_POLICY)
"""


def _run(env_extra: dict[str, str]) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    env.update(env_extra)
    proc = subprocess.run(
        [sys.executable, "-c", CODE], env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.split()


def test_threads_sleep_while_waiting_by_default():
    assert _run({}) == ["PASSIVE", "PASSIVE"]


def test_the_users_choice_is_kept():
    assert _run({"OMP_WAIT_POLICY": "active"}) == ["active", "active"]


def test_the_policy_is_set_before_numba_starts_its_threads():
    # importing the kernels' configuration must not start numba's thread pool: the OpenMP
    # runtime reads OMP_WAIT_POLICY once, when the pool starts (the first parallel kernel)
    code = (
        "from mpi.kernels import _config\n"
        "from numba.np.ufunc import parallel\n"
        "print(parallel._is_initialized)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "False"
