"""Alkire-Foster measurement of one cross-section: specs, input encoding, the kernel
driver, the one formula table, results with design-based inference, changes over time,
robustness and indicator association."""
