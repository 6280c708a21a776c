"""The mpi command line (issue 16)."""
