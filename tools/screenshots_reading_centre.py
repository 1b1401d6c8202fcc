"""Render the reading-centre screenshots into docs/screenshots/ (headless).

    QT_QPA_PLATFORM=offscreen .venv/bin/python tools/screenshots_reading_centre.py

Uses the sample films (sample_dicoms/) in a temporary workspace: reader ``alice`` reads with
the reference points, reader ``bob`` with the points moved by a few pixels and some grades of
his own; a blinded reading list ``trial-round-1`` for both.

* ``blinded-reading.png``  reader dora's blinded session (list ``trial-round-2``): the reading
  list with her progress, her third case open (other readers' marks not shown);
* ``adjudication.png``     carol adjudicating alice's and bob's discordant levels;
* ``agreement-report.png`` page 1 of ``vfa agreement -o`` on these readings (pdftoppm).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
SIZE = (1600, 1000)


def _readings(ws) -> None:  # noqa: ANN001
    from vfa.method.levels import Level
    from vfa.reading.reading import load_reading, resolve_image_path
    rng = random.Random(5)
    bob_grades = {"adult01_2024-10-22": {"T12": 1, "L1": 0}, "child01_2024-09-10": {"T9": 0},
                  "child01_2025-03-11": {"T11": 2}}
    for ref in sorted((REPO / "sample_dicoms" / "reference").glob("*.json")):
        a = load_reading(ref)
        a.reader = "alice"
        a.image_path = str(resolve_image_path(a, ref).resolve())
        ws.register_identity(a, a.image_path, "DX", "LL")
        b = a.copy()
        b.reader = "bob"
        for v in list(b):
            if v.complete:
                b.set_points(v.level, {s: (x + rng.uniform(-2.5, 2.5), y + rng.uniform(-2.5, 2.5))
                                       for s, (x, y) in v.points.items()})
        for lv, g in bob_grades.get(ref.stem, {}).items():
            b.set_reader_grade(Level(lv), g)
        ws.save(a)
        ws.save(b)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(REPO / "docs" / "screenshots"))
    args = ap.parse_args(argv)
    from tools.screenshots import start_headless
    app, tmp = start_headless("vfa-rc-shots-", "alice")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    from ui.adjudication import AdjudicationView
    from ui.mainwindow import MainWindow
    from vfa.reading.blinding import activate
    from vfa.method.levels import Level
    from vfa.storage.workspace import Workspace
    from vfa.reading.worklist import assign

    ws = Workspace()
    _readings(ws)
    films = [im.sop_instance_uid for im in ws.index.all_images()]
    assign(ws.index, "trial-round-1", films, ["alice", "bob"], seed=2026)
    # round 2: a new reader, dora, has read her first two cases
    assign(ws.index, "trial-round-2", films, ["dora"], seed=7)
    from vfa.reading.worklist import reading_list
    for item in reading_list(ws.index, "trial-round-2", "dora").items[:2]:
        r = ws.load(item.sop_instance_uid, "alice")
        r.reader, r.index_version = "dora", None
        ws.save(r)

    def settle() -> None:
        for _ in range(6):
            app.processEvents()

    # 1. adjudication (before the workspace goes blinded)
    view = AdjudicationView(ws, "carol", ["alice", "bob"])
    view.resize(*SIZE)
    view.show()
    settle()
    adult = next(i for i, a in enumerate(view.queue) if "adult01" in (a.a.image_path or ""))
    view.film_box.setCurrentIndex(adult)
    view.show_film(adult)
    settle()
    view.select_level(Level.L1)
    view.decide("0")
    view.select_level(Level.T12)
    for side in (view.left, view.right):
        side.view.set_zoom(1.4)
    view.left.centre_on(Level.T12)
    view.right.centre_on(Level.T12)
    settle()
    view.grab().save(str(out / "adjudication.png"))
    print("wrote", out / "adjudication.png")
    view.close()

    # 2. dora's blinded session: her third case, not read yet (nobody's marks shown)
    os.environ["VFA_READER"] = "dora"
    activate(ws, "trial-round-2")
    ws.close()
    w = MainWindow()
    w.resize(*SIZE)
    w.show()
    settle()
    w.size_docks()
    settle()
    w.blinded.open_item(w.blinded.session.items[2].sop_instance_uid)
    settle()
    w.view.fit()
    settle()
    w.grab().save(str(out / "blinded-reading.png"))
    print("wrote", out / "blinded-reading.png")
    if w.doc is not None:
        w.doc.history.mark_saved()
    w.close()

    # 3. the agreement report's first page
    if shutil.which("pdftoppm"):
        pdf = tmp / "agreement.pdf"
        subprocess.run([sys.executable, "-m", "vfa.cli", "agreement", "--workspace",
                        str(tmp / "workspace"), "--readers", "alice,bob", "-o", str(pdf)], check=True,
                       stdout=subprocess.DEVNULL, cwd=REPO)
        subprocess.run(["pdftoppm", "-r", "60", "-png", "-f", "2", "-l", "2", "-singlefile",
                        str(pdf), str(out / "agreement-report")], check=True)
        print("wrote", out / "agreement-report.png")
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
