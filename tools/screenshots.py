"""Render the viewer's screenshots into docs/screenshots/ (headless).

    QT_QPA_PLATFORM=offscreen .venv/bin/python tools/screenshots.py [--out docs/screenshots]

Uses the sample films (sample_dicoms/, ``python -m vfa.synthetic.samples``) and their reference
readings, imported into a temporary workspace (the user's workspace is never touched):

* ``reading-view.png``   the reading view of adult01's follow-up with its markers;
* ``grading-table.png``  the grading table of child01's 6-month film (paediatric, advisory);
* ``comparison.png``     adult01: baseline and follow-up side by side, change table, trend;
* ``proposals.png``      child01's 6-month film read by a new reader with Propose spine (two
  clicks, T4 and L4): T4-T7 accepted, the other levels still proposed (dashed);
* ``comparison-linked-wl.png``  a 12-bit MONOCHROME1 baseline beside a 16-bit MONOCHROME2
  follow-up (synthetic) with linked window/level after a right-drag: both alike;
* ``timeline.png``       Patient ▸ Patient timeline of child01 with the sample clinical context;
* ``cohort-page-1.png``, ``cohort-page-2.png``  the case-series PDF of the samples (needs
  pdftoppm);
* ``keyboard.png``       Help ▸ Keyboard (F1): every key of the viewer;
* ``timeline-beside.png`` the whole window with the timeline docked beside the film;
* ``kyphosis-lines.png`` child01's baseline with View ▸ Kyphosis lines on and the reader's
  observations (ABQ, endplate depression, downgrade reason) in the grading table.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

SIZE = (1600, 1000)


def start_headless(prefix: str, reader: str) -> tuple[object, Path]:
    """Offscreen Qt with a temporary workspace and viewer settings (the user's are never
    touched), ``reader`` as the reader, and dialogs that never block while rendering.
    Returns the QApplication and the temporary folder."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    os.environ["VFA_WORKSPACE"] = str(tmp / "workspace")
    os.environ["VFA_SETTINGS"] = str(tmp / "viewer.ini")
    os.environ["VFA_READER"] = reader

    from PyQt6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    from ui import dialogs
    dialogs.ask_recover = lambda *a, **k: dialogs.LATER
    dialogs.ask_unsaved = lambda *a, **k: dialogs.DISCARD
    dialogs.show_error = lambda parent, err, title="VFA": print(f"[dialog] {err}", file=sys.stderr)
    return app, tmp


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(REPO / "docs" / "screenshots"))
    args = ap.parse_args(argv)
    app, tmp = start_headless("vfa-shots-", "reference")
    os.chdir(REPO)  # reference readings name their films relative to the repository root

    from ui import dialogs
    from ui.mainwindow import MainWindow
    from vfa.method.levels import Level
    from vfa.storage.workspace import Workspace

    samples = REPO / "sample_dicoms"
    refs = sorted((samples / "reference").glob("*.json"))
    if not refs:
        print("no sample films: run `python -m vfa.synthetic.samples` first", file=sys.stderr)
        return 1
    ws = Workspace()
    for ref in refs:
        ws.import_reading(ref)
    ws.close()

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    def settle() -> None:
        for _ in range(5):
            app.processEvents()

    w = MainWindow()
    w.resize(*SIZE)
    w.show()
    settle()
    w.size_docks()
    settle()
    w.open_folder([samples], open_first=False)
    if w._problems_dialog is not None:
        w._problems_dialog.close()

    # 1. reading view: adult follow-up, T12 selected
    w.open_file(samples / "adult01" / "2024-10-22" / "lateral.dcm")
    settle()
    w.view.fit()
    w.select_level(Level.T12, centre=False)
    w.doc.jump(Level.T12)
    settle()
    w.grab().save(str(out / "reading-view.png"))
    print("wrote", out / "reading-view.png")

    # 2. grading table: the child's 6-month film
    w.open_file(samples / "child01" / "2024-09-10" / "lateral.dcm")
    settle()
    w.select_level(Level.T9, centre=False)
    settle()
    w.table_dock.grab().save(str(out / "grading-table.png"))
    print("wrote", out / "grading-table.png")

    # 3. comparison: adult baseline vs follow-up
    w.open_file(samples / "adult01" / "2024-10-22" / "lateral.dcm")
    settle()
    w.show_compare(True)
    settle()
    w.compare_view.select_level(Level.T12)
    settle()
    w.grab().save(str(out / "comparison.png"))
    print("wrote", out / "comparison.png")

    # 4. proposals: a new reader proposes the whole spine with two clicks, accepts T4-T7
    w.show_compare(False)
    os.environ["VFA_READER"] = "new-reader"       # no saved reading of this film: a fresh one
    from vfa.reading.reading import load_reading
    ref = load_reading(samples / "reference" / "child01_2024-09-10.json")

    def centre(level: str) -> tuple[float, float]:
        pts = ref.get(level).points.values()
        return (sum(p[0] for p in pts) / 6, sum(p[1] for p in pts) / 6)

    dialogs.ask_span_levels = lambda parent, first=None, last=None: (Level.T4, Level.L4)
    dialogs.show_warning = lambda parent, text, title="VFA": print(f"[warning] {text}", file=sys.stderr)
    w.open_file(samples / "child01" / "2024-09-10" / "lateral.dcm")
    settle()
    w.proposer.start_span()
    w.proposer.click(*centre("T4"))
    w.proposer.click(*centre("L4"))
    w.doc.accept_proposals([Level.T4, Level.T5, Level.T6, Level.T7])
    w.select_level(Level.T11, centre=False)
    w.browser_dock.hide()             # the film needs the room for its labels
    settle()
    w.view.set_zoom(0.85)
    cx, cy = centre("T10")
    w.view.center_on_image(cx + 60, cy)
    settle()
    w.grab().save(str(out / "proposals.png"))
    print("wrote", out / "proposals.png")
    w.doc.history.mark_saved()       # nothing to ask on closing

    # 5. linked window/level across photometric interpretations and bit depths
    from ui.testing import body_points, two_visit_films
    base, follow = two_visit_films(tmp / "mono")
    for film in (base, follow):
        w.open_file(film)
        for i in range(3):
            for x, y in body_points(i):
                w.doc.place(x, y)
        w.save()
    settle()
    w.show_compare(True)
    settle()
    v = w.compare_view.right.view
    s0 = v.settings
    v.set_window(s0.window.with_delta(d_center=-0.1 * s0.window.width,
                                      d_width=-0.3 * s0.window.width))
    w.compare_view.select_level(Level.T5)
    settle()
    w.grab().save(str(out / "comparison-linked-wl.png"))
    print("wrote", out / "comparison-linked-wl.png")
    w.show_compare(False)
    w.doc.history.mark_saved()

    # 6. the patient timeline of child01, with the sample clinical context
    from PyQt6.QtCore import Qt
    from vfa.study.clinical import load_csv
    w.workspace.import_clinical(load_csv(samples / "clinical.csv"))
    w.resize(1500, 1200)
    w.browser_dock.show()
    w.open_file(samples / "child01" / "2025-03-11" / "lateral.dcm")
    w.timeline.action.trigger()
    settle()
    # the timeline is a tab beside the film (issue 21): given the width the grid needs
    w.resizeDocks([w.timeline.dock], [760], Qt.Orientation.Horizontal)
    settle()
    w.timeline.dock.grab().save(str(out / "timeline.png"))
    print("wrote", out / "timeline.png")
    w.grab().save(str(out / "timeline-beside.png"))
    print("wrote", out / "timeline-beside.png")
    sheet = w.show_cheat_sheet() or next(x for x in app.topLevelWidgets()
                                         if x.objectName() == "CheatSheet")
    settle()
    sheet.grab().save(str(out / "keyboard.png"))
    print("wrote", out / "keyboard.png")
    sheet.close()
    w.doc.history.mark_saved()

    # 6b. kyphosis lines and the reader's observations: child01's baseline
    os.environ["VFA_READER"] = "reference"
    w.timeline.dock.hide()
    w.resize(*SIZE)
    w.browser_dock.show()
    w.open_file(samples / "child01" / "2024-03-12" / "lateral.dcm")
    settle()
    w.a_kyphosis.setChecked(True)
    w.kyphosis.set_shown(True)
    w.doc.set_qualitative(Level.T7, "abq", "fracture")
    w.doc.set_qualitative(Level.T7, "endplate_depression", "superior")
    w.doc.set_qualitative(Level.T12, "abq", "non_fracture_deformity")
    w.doc.set_qualitative(Level.T12, "downgrade_reason", "physiological_wedging")
    w.select_level(Level.T7, centre=False)
    settle()
    w.view.fit()
    bar = w.table.table.horizontalScrollBar()
    bar.setValue(bar.maximum())      # the Observations column in view
    settle()
    w.grab().save(str(out / "kyphosis-lines.png"))
    print("wrote", out / "kyphosis-lines.png")
    w.doc.history.mark_saved()
    w.a_kyphosis.setChecked(False)
    w.kyphosis.set_shown(False)
    w.close()

    # 7. the case-series PDF of the samples
    import shutil
    import subprocess
    from vfa.study.clinical import group_by_patient
    from vfa.study.cohort import build_cohort
    from vfa.outputs.cohort_pdf import write_cohort_pdf
    from vfa.reading.reading import load_reading as _load
    if shutil.which("pdftoppm"):
        pdf = write_cohort_pdf(build_cohort([_load(f) for f in refs],
                                            group_by_patient(load_csv(samples / "clinical.csv"))),
                               tmp / "cohort.pdf")
        subprocess.run(["pdftoppm", "-r", "90", "-png", str(pdf), str(out / "cohort-page")], check=True)
        print("wrote", out / "cohort-page-1.png", out / "cohort-page-2.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
