"""Benefit-list audits: beneficiary lists cross-matched with other registries (issue 18)."""
