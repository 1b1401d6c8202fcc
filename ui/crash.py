"""Never abort: what the viewer does with an exception nobody caught.

PyQt6 calls ``abort()`` when a slot raises and ``sys.excepthook`` is Python's own: the
viewer would die (exit 134) without a word and without writing the autosave. :func:`install`
replaces the hook: the open reading's autosave is written first (the reader's work is safe
whatever happens next), a crash report without patient data is written next to the logs
(:func:`vfa.storage.crash_reports.write_crash_report`, the open film's identifiers redacted), one dialog says
so (never a pile of them: while it is open, further errors only add reports), and the viewer
keeps running. Qt's own critical and fatal messages are written to ``qt-messages.log`` in the
same folder (a Qt message names widgets and files, not patients; in a blinded session the
film's identifiers are redacted all the same).
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import TracebackType
from typing import Any

from PyQt6.QtCore import QtMsgType, qInstallMessageHandler
from PyQt6.QtWidgets import QMessageBox, QWidget

from vfa.storage.crash_reports import log_dir, redact, write_crash_report

_state: dict[str, Any] = {"window": None, "box": None, "reports": []}


def _secrets(window: Any) -> list[str]:
    """The open film's identifying strings (redacted from reports)."""
    doc = getattr(window, "doc", None)
    if doc is None:
        return []
    r = doc.reading
    out = [r.patient_id, r.patient_name, r.study_instance_uid, r.sop_instance_uid,
           r.series_instance_uid, r.image_path]
    if r.patient_name:
        out += str(r.patient_name).replace("^", " ").split()
    for d in (r.study_date, r.birth_date):
        if d is not None:
            out += [d.isoformat(), d.strftime("%Y%m%d")]
    rg = getattr(doc, "radiograph", None)
    if rg is not None and getattr(rg, "path", None):
        p = Path(rg.path)
        out += [str(p), p.name, p.stem, str(p.parent)]
    return [str(s) for s in out if s]


def _report_dir(window: Any) -> Path:
    return log_dir()


def handle_exception(exc_type: type[BaseException], exc: BaseException | None,
                     tb: TracebackType | None) -> Path | None:
    """The hook's work (see the module text). Returns the report's path."""
    if issubclass(exc_type, KeyboardInterrupt):
        sys.__excepthook__(exc_type, exc, tb)   # type: ignore[arg-type]
        return None
    window = _state["window"]
    saved = None
    doc = getattr(window, "doc", None) if window is not None else None
    if doc is not None:
        try:
            saved = doc.autosave()        # first of all: the reader's work
        except Exception:  # noqa: BLE001 - the hook must never raise
            saved = None
    path = None
    try:
        path = write_crash_report(exc_type, exc, tb, _secrets(window), _report_dir(window),
                                  context="viewer: exception in an event handler")
        _state["reports"].append(path)
    except OSError:
        path = None
    print(f"vfa-viewer: unexpected {exc_type.__name__}; "
          f"report: {path or 'could not be written'}", file=sys.stderr)
    if window is not None and _state["box"] is None:
        _show_dialog(window, path, saved is not None or (doc is not None and not doc.modified))
    return path


def _show_dialog(window: QWidget, path: Path | None, work_safe: bool) -> None:
    work = ("Your unsaved work was autosaved." if work_safe else
            "Save your reading now (Ctrl+S) if you can.")
    where = f"A report (without patient data) was written to:\n{path}" if path else \
        "The report could not be written."
    box = QMessageBox(QMessageBox.Icon.Warning, "Unexpected error",
                      "Something went wrong in the viewer. It keeps running. " + work,
                      QMessageBox.StandardButton.Ok, window)
    box.setInformativeText(where + "\n\nPlease send the report to your VFA support.")
    box.setObjectName("CrashDialog")

    def closed() -> None:
        _state["box"] = None
    box.finished.connect(lambda _r: closed())
    _state["box"] = box
    box.open()           # not exec(): the event loop (and the reader) go on


def _qt_message(kind: QtMsgType, context: Any, message: str | None) -> None:
    text = message or ""
    if kind in (QtMsgType.QtCriticalMsg, QtMsgType.QtFatalMsg):
        try:
            folder = log_dir()
            folder.mkdir(parents=True, exist_ok=True)
            with open(folder / "qt-messages.log", "a", encoding="utf-8") as f:
                f.write(f"{kind.name}: {redact(text, _secrets(_state['window']))}\n")
        except OSError:
            pass
    if kind is not QtMsgType.QtDebugMsg:
        print(f"Qt: {text}", file=sys.stderr)


def install(window: QWidget) -> None:
    """Install the hook and the Qt message handler for ``window`` (the main window)."""
    _state["window"] = window
    sys.excepthook = handle_exception
    qInstallMessageHandler(_qt_message)


def reports() -> list[Path]:
    """The crash reports written in this process."""
    return list(_state["reports"])
