"""The project's exception types.

Every error a user can cause (bad file, bad reading, bad points) is a :class:`VfaError`
whose message says what is wrong and what to do next. The CLI and the viewer show
``str(error)`` and never a traceback.
"""

from __future__ import annotations


class VfaError(Exception):
    """Base class of all errors raised on purpose by ``vfa``."""


class VfaWarning(UserWarning):
    """Something in the input was refused without refusing the input (e.g. a spacing outside
    0.02-2.0 mm in a reading file: the reading is then uncalibrated). The CLI prints it as one
    ``warning:`` line; the message says what was refused and what was done instead."""


# --- radiograph loading -------------------------------------------------------------
class DicomLoadError(VfaError):
    """A file could not be loaded as a radiograph."""


class NotDicomError(DicomLoadError):
    """The file is not a DICOM file (or is truncated before its dataset starts)."""


class NotAnImageError(DicomLoadError):
    """The file is DICOM but holds no displayable image (SR, presentation state, ...)."""


class MissingDecoderError(DicomLoadError):
    """The pixel data is compressed with a transfer syntax that no installed plugin decodes."""


class PixelDataError(DicomLoadError):
    """Pixel data is missing, shorter than declared, or has absurd dimensions."""


# --- readings -----------------------------------------------------------------------
class ReadingFormatError(VfaError):
    """A reading file is not valid JSON or does not follow docs/reading-format.md."""


class GeometryError(VfaError):
    """Six points that cannot describe a vertebral body (names the level and the point)."""


class WorkspaceError(VfaError):
    """The workspace folder or its index cannot be used."""


# --- exports / network --------------------------------------------------------------
class ExportError(VfaError):
    """A report or structured report could not be written or read."""


class WrongFilmError(ExportError):
    """The film opened for a reading is another film (another SOP Instance UID, or another
    patient or study): refused, both identities named (patient safety). An ExportError, so
    that every caller of an export that handles those handles this one too."""


class PacsError(VfaError):
    """A PACS (DICOMweb) request failed; the message says why and what to check."""


# --- clinical context / study outcomes ----------------------------------------------
class ClinicalDataError(VfaError):
    """Clinical context that cannot be used: a bad CSV row, an impossible value.
    ``problems`` holds one message per bad row (row number, column, what was expected)."""

    def __init__(self, message: str, problems: "list[str] | tuple[str, ...]" = ()) -> None:
        super().__init__(message)
        self.problems = list(problems)


class BatchError(VfaError):
    """A batch cannot be planned (bad action, no inputs, output folder unusable)."""


class CohortError(VfaError):
    """A cohort cannot be assembled (no readings, several readers without a choice...)."""


# --- native code --------------------------------------------------------------------
def is_native_panic(exc: BaseException) -> bool:
    """Whether ``exc`` is a Rust decoder's panic surfacing in Python.

    pyo3 raises ``pyo3_runtime.PanicException``, which derives from BaseException (not
    Exception) so that ``except Exception`` does not swallow it. A pixel decoder's panic
    (pylibjpeg-rle on damaged RLE data, for example) is a bad file, not a bug of ours: the
    loader turns it into a :class:`PixelDataError`. Matched by class name and module, never
    by catching BaseException wholesale (KeyboardInterrupt and SystemExit must pass)."""
    for cls in type(exc).__mro__:
        if cls.__name__ == "PanicException" and \
                str(getattr(cls, "__module__", "")).startswith("pyo3_runtime"):
            return True
    return False


# --- messages and logs ----------------------------------------------------------------
def printable(text: str) -> str:
    """``text`` on one line: line breaks and other control characters (a damaged file's
    values can hold any byte) are shown escaped, e.g. ``\\x0b``, never as a new line."""
    import unicodedata
    out = []
    for ch in text:
        if ch == "\n":
            out.append(" ")
        elif unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp", "Cs"):
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)


def one_line(exc: BaseException) -> str:
    """An exception's message on one line, at most 200 characters (its class name if empty)."""
    text = " ".join(printable(str(exc)).split())
    return text[:200] or exc.__class__.__name__


def quiet_third_party_logs() -> None:
    """pydicom's own warnings can quote values of damaged files (names, birth dates): keep
    them out of logs and terminals. Our loader reports problems in its own words.

    Every other library warning (PIL's DecompressionBombWarning, numpy's RuntimeWarning on an
    overflow, ...) goes to the ``py.warnings`` logger, which writes nothing unless logging is
    configured (``VFA_DEBUG=1`` shows them): a warning never prints before the one error line."""
    import logging
    import os
    import warnings
    logging.getLogger("pydicom").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", module=r"pydicom(\..*)?")
    logging.captureWarnings(True)
    py_warnings = logging.getLogger("py.warnings")
    if not os.environ.get("VFA_DEBUG") and not py_warnings.handlers:
        py_warnings.addHandler(logging.NullHandler())
        py_warnings.propagate = False
