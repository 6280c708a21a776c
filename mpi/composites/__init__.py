"""Composite indices in the UNDP and OECD/JRC way: normalise indicators, aggregate them through
dimensions into an index, rank the units, and ask how much the ranking depends on the choices.

The spec (:class:`~mpi.composites.spec.CompositeSpec`, YAML with ``kind: composite``) holds the
indicators, dimensions, weights, normalisation and means; :mod:`mpi.composites.engine` holds
the formulas, written once.
"""
