"""The VFA viewer (PyQt6): shows and edits what :mod:`vfa` computes.

Nothing clinical is computed here: heights, grades, SDI and changes come from
:mod:`vfa.method.morphometry` and :mod:`vfa.method.comparison`; edits go through
:class:`vfa.reading.reading.Reading`'s methods, undo through :mod:`vfa.reading.history`, guided placement
through :mod:`vfa.reading.guide`. See docs/viewer.md.
"""
