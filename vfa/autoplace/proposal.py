"""Moved to :mod:`vfa.proposal` (a proposal is part of a reading, below :mod:`vfa.reading`);
this module re-exports it so that old imports keep working."""

from vfa.proposal import LOW_CONFIDENCE, METHODS, STATES, Proposal  # noqa: F401

__all__ = ["LOW_CONFIDENCE", "METHODS", "STATES", "Proposal"]
