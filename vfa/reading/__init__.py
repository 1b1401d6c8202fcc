"""The reading: the Reading model and its file format, proposed points (autoplace/), the
editing session (history, guided placement), reading lists and the blinding policy."""
