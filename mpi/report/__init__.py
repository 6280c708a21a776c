"""Reports and publication tables (issue 16)."""
