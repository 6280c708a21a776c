"""``python -m mpi``: the ``mpi`` command line (see ``python -m mpi --help``)."""

from mpi.cli.app import run

if __name__ == "__main__":
    run()
