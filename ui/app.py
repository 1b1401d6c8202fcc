"""Entry point: ``vfa-viewer [PATH] [--workspace DIR] [--reading-list FILE] [--adjudicate]``.

PATH is a DICOM file (opened), a reading file (vfa-reading JSON or DICOM SR: the film it
names opens with its marks) or a folder / DICOMDIR (scanned recursively: the browser lists
its films and the first one opens). At start the viewer offers to recover readings autosaved
by a session that did not close normally.
"""

from __future__ import annotations

import argparse
import sys


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="vfa-viewer",
                                description="Grade vertebral fractures on lateral spine radiographs.")
    p.add_argument("path", nargs="?", help="a DICOM file, a reading (JSON or SR), a folder of films or a DICOMDIR")
    p.add_argument("--workspace", help="workspace folder (default: $VFA_WORKSPACE or the user "
                                       "data folder)")
    p.add_argument("--reading-list", metavar="FILE",
                   help="blinded reading of this reading list (vfa worklist export)")
    p.add_argument("--adjudicate", action="store_true",
                   help="open the adjudication of the workspace's discordant levels")
    p.add_argument("--readers", metavar="A,B",
                   help="with --adjudicate: the two readers (needed when the workspace has more)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    from PyQt6.QtCore import QTimer
    from PyQt6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setApplicationName("VFA")
    app.setOrganizationName("vfa")

    from .mainwindow import MainWindow

    # The first film is painted before the workspace (SQLAlchemy, the index) is opened: the
    # window shows the pixels, then start() opens the workspace and the film's reading.
    first = None
    if args.path and not args.reading_list and not args.adjudicate:
        first = _first_film(args.path)
    win = MainWindow(args.workspace, open_workspace=first is None)
    from .crash import install as install_crash_hook
    install_crash_hook(win)          # an exception in a slot never aborts the viewer
    win.show()
    if first is not None:
        win.show_film_first(first)

    def start() -> None:
        if first is not None:
            win.attach_workspace()
        if args.reading_list and win.blinded is None:
            from . import blinded
            blinded.start(win, args.reading_list)
        if args.adjudicate:
            from .adjudication import open_adjudication
            open_adjudication(win, [r.strip() for r in args.readers.split(",")]
                              if args.readers else None)
        recovered = win.check_recoveries()
        if args.path:
            from pathlib import Path
            if recovered and not Path(args.path).is_dir():
                return  # the recovered film is open; the user can open PATH next
            if first is not None:
                win.opening.show_radiograph(first)     # its pixels are loaded already
            else:
                win.open_path(args.path, open_first=not recovered)

    QTimer.singleShot(0, start)
    return app.exec()


def _first_film(path: str):  # noqa: ANN202
    """The film PATH names, loaded for the first paint; None when PATH is a folder, a
    reading, or not a film (then it opens the usual way, with its message)."""
    from pathlib import Path
    p = Path(path)
    if not p.is_file() or p.suffix.lower() == ".json" or p.name.upper() == "DICOMDIR":
        return None
    from vfa.errors import VfaError
    from vfa.films.radiograph import load_radiograph
    try:
        rg = load_radiograph(p)
    except VfaError:
        return None
    return rg


if __name__ == "__main__":  # python -m ui.app
    sys.exit(main())
