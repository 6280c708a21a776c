"""Identification and targeting (issue 17): who is poor, unit by unit, and how good a list is.

The lead fills the exports when the modules land."""
