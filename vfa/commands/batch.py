"""``vfa batch ACTION [PATH...] -o OUTDIR [--jobs N]``: one command over many films or readings."""

from __future__ import annotations

import argparse
import os
import sys

NAME = "batch"
HELP = "render, propose (carry-forward), report or export-sr many films/readings in parallel; resumable"
DESCRIPTION = (
    "Run one vfa command over every film (render, propose) or reading (report, export-sr) "
    "found in the PATHs (folders are searched recursively), or in the workspace when no PATH "
    "is given, writing one file per input into OUTDIR. propose carries forward the patient's "
    "newest saved reading of an earlier study (from the workspace). Jobs run in N worker "
    "processes (default: one per core). Outputs that exist are skipped, so an interrupted "
    "batch resumes where it stopped (--force redoes them). Each failed input is one line on "
    "stderr; the summary is printed at the end; the exit status is 1 if any input failed.")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=("render", "propose", "report", "export-sr"))
    p.add_argument("paths", nargs="*", metavar="PATH",
                   help="films/readings or folders (default: everything in the workspace)")
    p.add_argument("-o", "--output", required=True, metavar="OUTDIR", help="folder for the outputs")
    p.add_argument("-j", "--jobs", type=int, default=0, metavar="N",
                   help="worker processes (default: the number of cores)")
    p.add_argument("--workspace", metavar="DIR",
                   help="workspace folder (default: VFA_WORKSPACE or the user data dir)")
    p.add_argument("--force", action="store_true", help="redo inputs whose output exists")
    p.add_argument("--allow-proposed", action="store_true",
                   help="report/export-sr: export points proposed by 'vfa propose' that no reader accepted yet")
    p.add_argument("--size", type=int, metavar="N", help="render: longest side in pixels")
    p.add_argument("--progress", action="store_true", help="report progress on stderr even when not a terminal")


def run(args: argparse.Namespace) -> int:
    from vfa.batch import plan, run_batch
    from vfa.commands._common import Progress

    options: dict[str, object] = {}
    if args.allow_proposed and args.action in ("report", "export-sr"):
        options["allow_proposed"] = True
    if args.size and args.action == "render":
        options["size"] = args.size
    problems: list[tuple[str, str]] = []
    notes: list[tuple[str, str]] = []
    jobs = plan(args.action, args.paths, args.output, workspace=args.workspace, options=options,
                problems=problems, notes=notes)
    for src, why in notes:
        print(f"vfa batch: skipped {src}: {why}", file=sys.stderr)
    for src, why in problems:
        print(f"vfa batch: {src}: {why}", file=sys.stderr)
    workers = args.jobs if args.jobs > 0 else (os.cpu_count() or 1)

    def failed(f):
        print(f"vfa batch: {f.job.source}: {f.message}", file=sys.stderr)

    res = run_batch(jobs, workers, force=args.force,
                    progress=Progress(f"batch {args.action}", args.progress), on_failure=failed)
    for job, w in res.warnings:
        print(f"vfa batch: {job.source}: warning: {w}", file=sys.stderr)
    n_fail = len(res.failed) + len(problems)
    print(f"{args.action}: {len(res.done)} done, {len(res.skipped)} skipped (already done), "
          f"{n_fail} failed; outputs in {args.output}")
    return 1 if n_fail else 0
