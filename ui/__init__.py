"""The VFA viewer (PyQt6): shows and edits what :mod:`vfa` computes.

Nothing clinical is computed here: heights, grades, SDI and changes come from
:mod:`vfa.morphometry` and :mod:`vfa.comparison`; edits go through
:class:`vfa.reading.Reading`'s methods, undo through :mod:`vfa.history`, guided placement
through :mod:`vfa.guide`. See docs/viewer.md.
"""
