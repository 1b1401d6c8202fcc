"""Outputs: DICOM SR, presentation states and secondary captures, PDF reports, CSV tables,
markers drawn on films."""
