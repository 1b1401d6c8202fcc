"""Moved to :mod:`vfa.reading.proposal` (a proposal is part of a reading, below :mod:`vfa.reading.reading`);
this module re-exports it so that old imports keep working."""

from vfa.reading.proposal import LOW_CONFIDENCE, METHODS, STATES, Proposal  # noqa: F401

__all__ = ["LOW_CONFIDENCE", "METHODS", "STATES", "Proposal"]
