"""Readers for the files statistics offices hold (filled in by issue 16)."""
