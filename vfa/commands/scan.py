"""``vfa scan PATH... [--register] [--json]``: find the films in files and folders."""

from __future__ import annotations

import argparse
import sys

from vfa.commands._common import Progress, print_json

NAME = "scan"
HELP = "list the radiographs in files/folders (recursive, DICOMDIR-aware); --register indexes them"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--register", action="store_true",
                   help="add the films to the workspace index (the viewer's patient browser)")
    p.add_argument("--workspace", metavar="DIR", help="workspace folder (default: VFA_WORKSPACE or the user data dir)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--progress", action="store_true", help="report progress on stderr even when not a terminal")


def _missing(paths: list[str]) -> list[str]:
    from pathlib import Path
    return [p for p in paths if not Path(p).exists()]


def nothing_found(paths: list[str], res) -> str:
    """The sentence of a scan that found no film: where, and what was looked for."""
    where = ", ".join(paths)
    looked = ("looked for DICOM image files of any name, with or without .dcm, in every "
              "folder below (hidden ones excepted) or in the DICOMDIR when there is one")
    seen = f"{res.examined} file(s) examined"
    if res.problems:
        seen += f", {len(res.problems)} of them not DICOM images"
    if res.skipped:
        seen += f", {res.skipped} skipped by extension (.json, .png, .pdf, .txt ...)"
    return f"no DICOM films found in {where} ({looked}; {seen})"


def run(args: argparse.Namespace) -> int:
    from vfa.errors import VfaError
    from vfa.films.scan import scan_paths

    missing = _missing(args.paths)
    if missing:
        raise VfaError(f"{', '.join(missing)}: no such file or folder; check the path "
                       "(a network drive not mounted? a typo?)")
    res = scan_paths(args.paths, progress=Progress("scanning", args.progress),
                     with_identity=args.register)
    films = res.sorted_films()
    unregistered: list = []
    if args.register and films:
        # Headers only (the scan already read them): pixel data is decoded when a film is
        # opened, not to index it. One transaction per batch of films.
        from vfa.storage.workspace import Workspace
        ws = Workspace(args.workspace)
        try:
            unregistered = ws.register_films(films, progress=Progress("registering", args.progress))
            res.problems.extend(unregistered)
        finally:
            ws.close()
    if args.json:
        print_json({
            "films": [{"path": str(f.path), "patient_id": f.patient_id, "study_date": f.study_date,
                       "study_instance_uid": f.study_instance_uid,
                       "sop_instance_uid": f.sop_instance_uid, "modality": f.modality,
                       "view_position": f.view_position, "rows": f.rows, "columns": f.cols}
                      for f in films],
            "problems": [{"path": str(p), "reason": why} for p, why in res.problems],
            "skipped": res.skipped,
            "examined": res.examined,
        })
        if not films:
            print(f"vfa scan: error: {nothing_found(args.paths, res)}", file=sys.stderr)
            return 1
        return _unregistered_status(unregistered)
    for f in films:
        print(f"{f.patient_id or '–':<16} {f.study_date or '–'!s:<10} {f.modality:<3} {f.cols}x{f.rows:<6} {f.path}")
    for p, why in res.problems:
        print(f"skipped {p}: {why}")
    if not films:
        # exit 1: a script (a PACS admin's cron job) must notice an empty delivery folder
        print(f"vfa scan: error: {nothing_found(args.paths, res)}", file=sys.stderr)
        return 1
    print(f"{len(films)} film(s), {len(res.problems)} problem(s)")
    return _unregistered_status(unregistered)


def _unregistered_status(unregistered: list) -> int:
    """Exit 1 when ``--register`` could not index some films (the films are listed, but a
    script must not believe they are in the workspace)."""
    if not unregistered:
        return 0
    reasons = sorted({why for _, why in unregistered})
    print(f"vfa scan: error: {len(unregistered)} film(s) were not registered in the workspace "
          f"({'; '.join(reasons)[:300]}); run the scan again", file=sys.stderr)
    return 1
