"""Films and their display: loading DICOM radiographs, calibration, windowing, rendering
through one lookup table, scanning folders, and the DICOMweb client (PACS)."""
