"""The limits of outside data, stated once (foundation layer: imports nothing of vfa).

Every reader of outside data (reading files, DICOM SR, clinical CSV, films) checks its input
against these numbers *before* work that scales with the input starts, and refuses what is
beyond them with one line naming the field and the limit. Text fields follow DICOM's own
value representations (PS3.5 table 6.2-1), so that what we read fits what we write:

=====================  =====  =================================================================
name                   limit  used for
=====================  =====  =================================================================
``LO_CHARS``           64     DICOM LO (Long String): Patient ID, the reader's name
``PN_GROUP_CHARS``     64     DICOM PN (Person Name): each component group (``=``-separated)
``UI_CHARS``           64     DICOM UI (UID): Study / Series / SOP Instance UID
``CS_CHARS``           16     DICOM CS (Code String): Patient's Sex
``AS_CHARS``           4      DICOM AS (Age String): Patient's Age (``011Y``)
``ST_CHARS``           1024   DICOM ST (Short Text): notes, reasons, spacing detail, free text
``PATH_CHARS``         4096   a file path (``image_path``; Linux PATH_MAX)
``TEXT_CHARS``         65536  any other string, including keys unknown to this version
=====================  =====  =================================================================
"""

from __future__ import annotations

import math

# --- text fields (characters) ------------------------------------------------------
LO_CHARS = 64
PN_GROUP_CHARS = 64
PN_CHARS = 3 * PN_GROUP_CHARS + 2  # three component groups and their two '=' separators
UI_CHARS = 64
CS_CHARS = 16
AS_CHARS = 4
ST_CHARS = 1024
PATH_CHARS = 4096
TEXT_CHARS = 65536

# --- structure and numbers -----------------------------------------------------------
#: Deepest nesting of arrays/objects in a reading file (the format itself needs 5).
JSON_DEPTH = 32
#: Longest number literal in a JSON file (a float's repr needs at most 24 characters).
NUMBER_CHARS = 100
#: Largest magnitude of any number in a reading file (points have their own, smaller limit).
ABS_NUMBER = 1e15
#: Largest coordinate of a point, in pixels (no film is that large).
COORDINATE_PX = 1e6

# --- files (bytes) ---------------------------------------------------------------------
#: A reading file: a full reading with every note at its limit is about 150 KB.
READING_FILE_BYTES = 2 * 1024 * 1024
#: A DICOM SR written by ``vfa export-sr``: about 0.3 MB for 13 levels.
SR_FILE_BYTES = 32 * 1024 * 1024
#: Deepest nesting of an SR content tree (a VFA SR needs 5) or of DICOM sequences in it.
SR_DEPTH = 24

# --- calibration -------------------------------------------------------------------
#: A spacing value (mm per pixel) is usable when both numbers are finite and within this
#: range, whatever its source (domain.md §5): DICOM tags, a reading file, an imported SR, or
#: the reader's drawn calibration.
SPACING_RANGE_MM = (0.02, 2.0)


def spacing_usable(row_mm: object, col_mm: object) -> bool:
    """Whether ``[row_mm, col_mm]`` is a usable spacing (two finite numbers within
    :data:`SPACING_RANGE_MM`)."""
    lo, hi = SPACING_RANGE_MM
    for x in (row_mm, col_mm):
        if isinstance(x, bool) or not isinstance(x, (int, float)):
            return False
        try:
            f = float(x)
        except OverflowError:
            return False
        if not (math.isfinite(f) and lo <= f <= hi):
            return False
    return True


def too_long(text: str, limit: int) -> bool:
    """Whether ``text`` has more than ``limit`` characters."""
    return len(text) > limit


__all__ = [
    "LO_CHARS", "PN_GROUP_CHARS", "PN_CHARS", "UI_CHARS", "CS_CHARS", "AS_CHARS", "ST_CHARS",
    "PATH_CHARS", "TEXT_CHARS", "JSON_DEPTH", "NUMBER_CHARS", "ABS_NUMBER", "COORDINATE_PX",
    "READING_FILE_BYTES", "SR_FILE_BYTES", "SR_DEPTH", "SPACING_RANGE_MM", "spacing_usable",
    "too_long",
]
