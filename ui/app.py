"""Entry point: ``vfa-viewer [PATH] [--workspace DIR] [--reading-list FILE] [--adjudicate]``.

``vfa-viewer --selftest [FILM]`` checks an installation (the desktop bundle in CI): offscreen, it
opens FILM (default: the first bundled sample) in the window with a temporary workspace, grades
the film's reference reading, renders the window to a PNG in a temporary folder, prints one
line and exits 0 (1 on any failure).

PATH is a DICOM file (opened), a reading file (vfa-reading JSON or DICOM SR: the film it
names opens with its marks) or a folder / DICOMDIR (scanned recursively: the browser lists
its films and the first one opens). At start the viewer offers to recover readings autosaved
by a session that did not close normally.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


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
    p.add_argument("--selftest", action="store_true",
                   help="open PATH (default: a bundled sample) offscreen, grade its reference "
                        "reading, render a PNG, print one line and exit (0 = working)")
    return p


def samples_folder() -> Path | None:
    """The bundled sample films: beside the application (desktop bundle) or the checkout."""
    # in the bundle, this module's file lies in the bundle's data folder, beside sample_dicoms/
    bases = [Path(sys.executable).parent,
             Path(__file__).resolve().parents[1]]
    for base in bases:
        if str(base) and (base / "sample_dicoms" / "manifest.json").is_file():
            return base / "sample_dicoms"
    return None


def selftest(film: str | None) -> int:
    """``--selftest``: see the module docstring. Never raises; the exit status tells."""
    import json
    import tempfile
    import time

    t0 = time.perf_counter()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    try:
        from PyQt6.QtWidgets import QApplication

        from vfa.films.radiograph import load_radiograph
        from vfa.method.morphometry import summarize
        from vfa.reading.reading import load_reading

        samples = samples_folder()
        if film is None:
            if samples is None:
                raise RuntimeError("no film given and no bundled samples found")
            manifest = json.loads((samples / "manifest.json").read_text(encoding="utf-8"))
            film = str(samples.parent / manifest["films"][0]["dicom"])
        rg = load_radiograph(film)
        reading = None
        folders = [Path(film).resolve().parents[2]] + ([samples] if samples else [])
        for folder in folders:
            for ref in sorted(folder.glob("reference/*.json")) + sorted(folder.glob("dxa/*.json")):
                r = load_reading(ref)
                if r.sop_instance_uid and r.sop_instance_uid == rg.identity.sop_instance_uid:
                    reading = r
                    break
            if reading is not None:
                break
        if reading is None:
            raise RuntimeError(f"{film}: no reference reading of this film found beside it")
        app = QApplication.instance() or QApplication([sys.argv[0]])
        from .mainwindow import MainWindow

        with tempfile.TemporaryDirectory(prefix="vfa-selftest-") as tmp:
            win = MainWindow(str(Path(tmp) / "workspace"))
            win.resize(1400, 900)
            win.show()
            if not win.opening.show_radiograph(rg, reading):
                raise RuntimeError(f"{film}: the window did not open the film")
            app.processEvents()
            grades = {res.level.value: res.grade for res in summarize(reading).results}
            png = Path(tmp) / "selftest.png"
            image = win.grab()
            if not image.save(str(png)) or png.stat().st_size < 10_000:
                raise RuntimeError("rendering the window to PNG failed")
            size = png.stat().st_size
            win.hide()   # no close(): it would ask about unsaved changes
        graded = ", ".join(f"{lv} {g}" for lv, g in grades.items() if g)
        print(f"vfa-viewer selftest OK: {Path(film).name} {rg.rows}x{rg.cols}, {len(grades)} levels graded "
              f"({graded or 'no fracture'}), window rendered to PNG ({size // 1024} KB), "
              f"{time.perf_counter() - t0:.1f} s")
        return 0
    except Exception as exc:  # noqa: BLE001 - a self-test reports every failure in one line
        print(f"vfa-viewer selftest FAILED: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    if args.selftest:
        return selftest(args.path)
    try:
        from PyQt6.QtCore import QTimer
    except ImportError:
        print("vfa-viewer: the viewer needs PyQt6, which is not installed; install it with "
              "pip install 'vfa[viewer]' (the vfa command works without it)", file=sys.stderr)
        return 1
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
