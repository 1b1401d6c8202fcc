"""``vfa worklist``: reading lists of a reading centre (docs/reading-centre.md).

    vfa worklist assign NAME --readers A,B [--all | --patient ID ... | FILMS...] [--seed N]
                        [--unblinded] [--workspace DIR]
    vfa worklist show [NAME] [--reader R] [--json] [--workspace DIR]
    vfa worklist export NAME --reader R -o list.json [--workspace DIR]
    vfa worklist activate NAME | deactivate [--workspace DIR]

``assign`` gives every reader the same films, each in an own shuffled order (the seed is
recorded), under neutral labels; ``show`` lists the lists, or one list's progress per reader
(or one reader's items); ``export`` writes a reader's reading-list file for the viewer's
blinded reading mode; ``activate`` puts the workspace in blinded reading-centre mode for a
list (every viewer on it starts blinded), ``deactivate`` ends that.
"""

from __future__ import annotations

import argparse
import sys

NAME = "worklist"
HELP = "reading lists: assign films to readers in a shuffled blinded order, show progress"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=("assign", "show", "export", "activate", "deactivate"))
    p.add_argument("name", nargs="?", metavar="NAME", help="the reading list")
    p.add_argument("films", nargs="*", metavar="FILMS",
                   help="assign: DICOM files or folders (registered in the workspace)")
    p.add_argument("--workspace", metavar="DIR", help="workspace (default: $VFA_WORKSPACE or the user's)")
    p.add_argument("--readers", metavar="A,B", help="assign: the readers")
    p.add_argument("--all", action="store_true", help="assign: every film in the workspace index")
    p.add_argument("--patient", action="append", default=[], metavar="ID",
                   help="assign: every film of this patient (repeatable)")
    p.add_argument("--seed", type=int, help="assign: the shuffle's seed (default: random, recorded)")
    p.add_argument("--unblinded", action="store_true",
                   help="assign: readers may see identities and visit order")
    p.add_argument("--note", help="assign: a note kept with the list (protocol, round)")
    p.add_argument("--reader", help="show/export: one reader's items")
    p.add_argument("-o", "--output", metavar="list.json", help="export: the reading-list file")
    p.add_argument("--json", action="store_true", help="machine-readable output")


def run(args: argparse.Namespace) -> int:
    from vfa.storage.workspace import Workspace
    from vfa.reading.worklist import WorklistError

    ws = Workspace(args.workspace)
    try:
        if args.action == "assign":
            return _assign(args, ws)
        if args.action in ("activate", "deactivate"):
            from vfa.reading.blinding import activate, deactivate
            if args.action == "deactivate":
                deactivate(ws)
                print(f"workspace {ws.root}: reading-centre mode off", file=sys.stderr)
                return 0
            if not args.name:
                raise WorklistError("activate needs the NAME of a reading list")
            activate(ws, args.name)
            print(f"workspace {ws.root}: blinded reading-centre mode for list {args.name!r}",
                  file=sys.stderr)
            return 0
        if args.action == "export":
            if not args.name or not args.reader or not args.output:
                raise WorklistError("export needs NAME, --reader R and -o list.json")
            from vfa.reading.worklist import reading_list, save_reading_list
            rl = reading_list(ws.index, args.name, args.reader)
            out = save_reading_list(rl, args.output)
            print(f"wrote {out} ({len(rl.items)} film(s) for {rl.reader}, "
                  f"{'blinded' if rl.blinded else 'not blinded'})", file=sys.stderr)
            return 0
        return _show(args, ws)
    finally:
        ws.close()


def _assign(args, ws) -> int:  # type: ignore[no-untyped-def]
    from vfa.reading.worklist import WorklistError, assign
    if not args.name:
        raise WorklistError("assign needs a NAME for the list")
    if not args.readers:
        raise WorklistError("assign needs --readers A,B")
    films: list[str] = []
    if args.films:
        from pathlib import Path

        from vfa.reading.reading import Reading
        from vfa.films.scan import scan_paths
        res = scan_paths(args.films)
        for f in res.sorted_films():
            r = Reading(patient_id=f.patient_id, study_date=f.study_date,
                        study_instance_uid=f.study_instance_uid,
                        series_instance_uid=f.series_instance_uid,
                        sop_instance_uid=f.sop_instance_uid)
            path = str(Path(f.path).resolve())
            ws.register_identity(r, path, f.modality or None, f.view_position or None)
            films.append(f.sop_instance_uid)
        for bad, why in res.problems:
            print(f"vfa worklist: skipped {bad}: {why}", file=sys.stderr)
    if args.all:
        films += [im.sop_instance_uid for im in ws.index.all_images()]
    for pid in args.patient:
        found = [im.sop_instance_uid for st in ws.index.studies(pid)
                 for im in ws.index.images(st.study_instance_uid)]
        if not found:
            raise WorklistError(f"no films of patient {pid!r} in the workspace index")
        films += found
    if not films:
        raise WorklistError("no films: give FILMS, --patient ID or --all")
    readers = [r.strip() for r in args.readers.split(",")]
    seed = assign(ws.index, args.name, films, readers, args.seed, not args.unblinded, args.note)
    n = len(set(films))
    print(f"reading list {args.name!r}: {n} film(s) for {', '.join(readers)}, "
          f"{'blinded' if not args.unblinded else 'not blinded'}, seed {seed}", file=sys.stderr)
    return 0


def _show(args, ws) -> int:  # type: ignore[no-untyped-def]
    from vfa.reading.worklist import progress, reading_list
    from vfa.commands._common import print_json
    if not args.name:
        lists = ws.index.reading_list_names()
        if args.json:
            print_json(lists)
            return 0
        for lst in lists:
            info, prog = progress(ws.index, lst["name"])
            done = sum(p.done for p in prog)
            total = sum(p.assigned for p in prog)
            print(f"{lst['name']}: {info['films']} film(s), {len(prog)} reader(s), "
                  f"{done}/{total} readings done")
        if not lists:
            print("no reading lists (vfa worklist assign NAME --readers A,B --all)")
        return 0
    if args.reader:
        rl = reading_list(ws.index, args.name, args.reader)
        if args.json:
            print_json(rl.to_dict() | {"done": [i.sop_instance_uid for i in rl.items if i.done]})
            return 0
        for i in rl.items:
            state = "complete" if i.complete else ("saved, levels missing" if i.done else "to read")
            print(f"{i.position:>4}  {i.label:<10} {state}")
        return 0
    info, prog = progress(ws.index, args.name)
    if args.json:
        print_json(info | {"readers": [p.to_dict() for p in prog]})
        return 0
    print(f"{info['name']}: {info['films']} film(s), {'blinded' if info['blinded'] else 'not blinded'}, "
          f"seed {info['seed']}, created {info['created_at']}")
    for p in prog:
        print(f"  {p.reader:<16} {p.done:>4}/{p.assigned:<4} {p.percent:5.1f} %  "
              f"({p.complete} complete)  next: {p.next_label or '–'}")
    return 0
