"""Synthetic films (the phantom) and the bundled sample set; no real patient data."""
