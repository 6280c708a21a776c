"""Poverty dynamics over ``unit`` x ``time`` panels: states, building panels, transitions,
spells, chronic poverty, decomposition of change, relapse, early warning and monitoring."""
