"""Helpers shared by every layer above the kernels: exact fractions, one safe ratio,
distributions, the input table, panel layout, CF attributes and the one result base.

Nothing here knows a poverty specification, a survey design or a panel estimator.
"""
