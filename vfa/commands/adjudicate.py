"""``vfa adjudicate``: the consensus reading of two readers (domain.md §7).

One film from files::

    vfa adjudicate A.json B.json --adjudicator NAME [--level T12 --grade 2 --points-from B]...
                   [--decisions FILE.json] [-o consensus.json] [--list]

Every film of a workspace read by both readers (consensus saved in the workspace)::

    vfa adjudicate --workspace DIR [--readers A,B] --adjudicator NAME [--decisions FILE.json]

Concordant levels are decided by agreement; each discordant level needs a decision. Without
one, the discordant levels are listed and nothing is written for that film (exit 1).
"""

from __future__ import annotations

import argparse
import sys

NAME = "adjudicate"
HELP = "build the consensus reading of two readers: concordant levels by agreement, discordant by the adjudicator"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("inputs", nargs="*", metavar="READING.json",
                   help="the two readers' readings of one film (first = reader A)")
    p.add_argument("--workspace", metavar="DIR",
                   help="adjudicate every film of this workspace read by both readers and save "
                        "the consensus readings there")
    p.add_argument("--readers", metavar="A,B", help="with --workspace: the two readers")
    p.add_argument("--adjudicator", help="the adjudicator's name (default: $VFA_READER or login)")
    p.add_argument("--decisions", metavar="FILE.json",
                   help="decisions: {\"adjudicator\", \"decisions\": [{\"sop_instance_uid\", "
                        "\"level\", \"grade\", \"points_from\"}]}")
    p.add_argument("--level", action=_Decide, dest="decide", default=[],
                   help="a discordant level to decide; the --grade and --points-from that "
                        "follow it belong to it")
    p.add_argument("--grade", action=_Decide, dest="decide",
                   help="the level's final grade (0, 0.5, 1, 2, 3 or not_evaluable)")
    p.add_argument("--points-from", action=_Decide, dest="decide", metavar="A|B",
                   help="whose points to keep for the level (A, B or a reader's name; default: "
                        "the reader whose grade was chosen, else A)")
    p.add_argument("--reason", help="reason for levels decided not_evaluable")
    p.add_argument("-o", "--output", metavar="consensus.json",
                   help="where to write the consensus reading (files mode; default: print the "
                        "path in the workspace when --workspace is given, else required)")
    p.add_argument("--list", action="store_true", help="only list the discordant levels")
    p.add_argument("--json", action="store_true", help="with --list: machine-readable")


class _Decide(argparse.Action):
    """--level starts a decision; --grade / --points-from fill in the last one."""

    def __call__(self, parser, namespace, values, option_string=None):  # type: ignore[no-untyped-def]
        items = list(getattr(namespace, self.dest) or [])
        if option_string == "--level":
            items.append({"level": values})
        elif not items:
            parser.error(f"{option_string} must follow a --level")
        else:
            key = "grade" if option_string == "--grade" else "points_from"
            if key in items[-1]:
                parser.error(f"{option_string} given twice for --level {items[-1]['level']}")
            items[-1] = {**items[-1], key: values}
        setattr(namespace, self.dest, items)


def run(args: argparse.Namespace) -> int:
    from vfa.study.adjudication import AdjudicationError, Adjudication, Decision, load_decisions
    from vfa.reading.reading import load_reading, save_reading
    from vfa.storage.workspace import default_reader
    from vfa.commands._common import print_json

    file_adj: str | None = None
    by_film: dict[str, list[Decision]] = {}
    if args.decisions:
        file_adj, by_film = load_decisions(args.decisions)
    adjudicator = args.adjudicator or file_adj or default_reader()
    flags = []
    for item in args.decide:
        if "grade" not in item:
            raise AdjudicationError(f"--level {item['level']} needs a --grade after it")
        flags.append(Decision.parse(item["level"], item["grade"], item.get("points_from"),
                                    args.reason))

    def decisions_for(sop: str) -> list:
        return by_film.get("", []) + by_film.get(sop, []) + flags

    if args.workspace:
        if flags:
            raise AdjudicationError("with --workspace, give decisions in a --decisions file "
                                    "(each with its sop_instance_uid), not --level/--grade")
        return _workspace(args, adjudicator, decisions_for)
    if len(args.inputs) != 2:
        raise AdjudicationError("give the two readers' reading files of one film "
                                "(or --workspace DIR)")
    a, b = (load_reading(x) for x in args.inputs)
    adj = Adjudication(a, b, adjudicator)
    if args.list:
        _list([adj], args.json, print_json)
        return 0
    for d in decisions_for(a.sop_instance_uid):
        adj.decide(d)
    cons = adj.consensus()
    if not args.output:
        raise AdjudicationError("say where to write the consensus reading: -o consensus.json")
    out = save_reading(cons, args.output)
    _summary(adj, out)
    return 0


def _summary(adj, out) -> None:  # type: ignore[no-untyped-def]
    n_disc = len(adj.discordant)
    print(f"consensus of {adj.a.reader} and {adj.b.reader} by {adj.adjudicator}: "
          f"{n_disc} discordant level(s) adjudicated ({', '.join(p.level.value for p in adj.discordant) or 'none'}); "
          f"wrote {out}", file=sys.stderr)


def _list(adjs, as_json, print_json) -> None:  # type: ignore[no-untyped-def]
    rows = []
    for adj in adjs:
        for p in adj.discordant:
            rows.append({"sop_instance_uid": p.sop_instance_uid, "patient_id": p.patient_id,
                         "level": p.level.value, "reason": p.discordance,
                         "reader_a": adj.a.reader, "grade_a": p.grade_a, "status_a": p.status_a,
                         "reader_b": adj.b.reader, "grade_b": p.grade_b, "status_b": p.status_b,
                         "decided": p.level in adj.decisions})
    if as_json:
        print_json(rows)
        return
    for r in rows:
        ga = r["grade_a"] if r["grade_a"] is not None else r["status_a"]
        gb = r["grade_b"] if r["grade_b"] is not None else r["status_b"]
        print(f"{r['sop_instance_uid']} {r['level']}: {r['reader_a']} {ga}, {r['reader_b']} {gb} "
              f"({r['reason']})")
    if not rows:
        print("no discordant levels")


def _workspace(args, adjudicator, decisions_for) -> int:  # type: ignore[no-untyped-def]
    from vfa.study.adjudication import AdjudicationError, Adjudication
    from vfa.method.agreement import pair_by_sop
    from vfa.errors import VfaError
    from vfa.outputs.export_csv import readings_from_workspace
    from vfa.storage.workspace import Workspace
    from vfa.commands._common import print_json

    ws = Workspace(args.workspace)
    try:
        readings = [r for r in readings_from_workspace(ws) if r.reader != "consensus"]
        names = [n.strip() for n in args.readers.split(",")] if args.readers else None
        try:
            _, pairs, _ = pair_by_sop(readings, names)
        except ValueError as exc:
            raise VfaError(str(exc)) from None
        adjs = [Adjudication(a, b, adjudicator) for a, b in pairs]
        if args.list:
            _list(adjs, args.json, print_json)
            return 0
        done, pending = 0, []
        for adj in adjs:
            for d in decisions_for(adj.a.sop_instance_uid):
                if d.level in {p.level for p in adj.discordant}:
                    adj.decide(d)
            if not adj.complete:
                pending.append(f"{adj.a.sop_instance_uid}: {adj.describe_undecided()}")
                continue
            path = ws.save(adj.consensus(), replace=True)  # re-adjudication replaces
            done += 1
            _summary(adj, path)
        if pending:
            raise AdjudicationError(f"consensus saved for {done} film(s); {len(pending)} film(s) "
                                    "still need decisions: " + "; ".join(pending))
        print(f"consensus saved for {done} film(s)", file=sys.stderr)
        return 0
    finally:
        ws.close()
