"""Batch work over many films or readings, in a pool of processes (``vfa batch``).

A batch is a list of :class:`Job`: one ``vfa`` command line per film or reading (``render``,
``propose --from``, ``report``, ``export-sr``), each writing one output file. Jobs run in
``jobs`` worker processes that import vfa once and call :func:`vfa.cli.main` in-process, so a
job costs what the command's own work costs, and every rule of the single command (checks,
refusals, atomic writes, one-line errors) holds unchanged in a batch.

Resumable: a job whose output exists is skipped (outputs are written atomically, so an
existing file is a complete one); ``force`` redoes it. A failed job does not stop the batch:
it is reported with the command's one-line error.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence

from vfa.errors import VfaError

ACTIONS = ("render", "propose", "report", "export-sr")
#: Actions whose inputs are films (the others take readings).
FILM_ACTIONS = ("render", "propose")
SUFFIX = {"render": ".png", "propose": ".proposed.json", "report": ".pdf", "export-sr": ".sr.dcm"}


@dataclass(frozen=True)
class Job:
    source: str                 # the film or reading the job is about (for messages)
    output: str                 # the file it writes
    argv: tuple[str, ...]       # the vfa command line (without "vfa")


@dataclass
class BatchResult:
    done: list[Job] = field(default_factory=list)
    skipped: list[Job] = field(default_factory=list)
    failed: list[tuple[Job, str]] = field(default_factory=list)

    def summary(self) -> str:
        return (f"{len(self.done)} done, {len(self.skipped)} skipped (already done), "
                f"{len(self.failed)} failed")


class BatchError(VfaError):
    """A batch cannot be planned (bad action, no inputs, output folder unusable)."""


# ------------------------------------------------------------------------------ planning
def _safe(name: str) -> str:
    import re
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "unnamed"


def _readings_in(paths: Sequence[str | os.PathLike[str]]) -> list[Path]:
    out: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_file():
            out.append(p)
        elif p.is_dir():
            out += sorted(q for q in p.rglob("*.json") if not any(
                part.startswith(".") for part in q.relative_to(p).parts))
        else:
            raise BatchError(f"{p} does not exist")
    return out


def _workspace_readings(workspace: str | os.PathLike[str] | None) -> list[Path]:
    from vfa.storage.workspace import Workspace
    ws = Workspace(workspace)
    try:
        return sorted(ws.root / r.path for r in ws.index.readings())
    finally:
        ws.close()


def _earlier_reading(ws, film) -> Path | None:
    """The newest saved reading of the film's patient on an EARLIER study (any reader)."""
    ident = film.identity
    if ident is None or not ident.patient_id or ident.study_date is None:
        return None
    best = None
    for rec in ws.index.readings(patient_id=ident.patient_id):
        img = ws.index.image(rec.sop_instance_uid)
        study = None
        if img is not None:
            st = [s for s in ws.index.studies(ident.patient_id)
                  if s.study_instance_uid == img.study_instance_uid]
            study = st[0].study_date if st else None
        if study is None or study >= ident.study_date:
            continue
        key = (study, rec.saved_at or _dt.datetime.min)
        if best is None or key > best[0]:
            best = (key, ws.root / rec.path)
    return best[1] if best else None


def plan(action: str, paths: Sequence[str | os.PathLike[str]], out_dir: str | os.PathLike[str], *,
         workspace: str | os.PathLike[str] | None = None, extra: Sequence[str] = (),
         problems: list[tuple[str, str]] | None = None,
         notes: list[tuple[str, str]] | None = None) -> list[Job]:
    """The jobs of ``action`` over ``paths`` (films for render/propose, readings for
    report/export-sr; with no paths, the readings or films of the workspace). ``extra``
    options go to every command. Files that are not films are appended to ``notes``
    (skipped, not failures); films that cannot become a job (propose: no earlier reading)
    to ``problems`` (failures)."""
    if action not in ACTIONS:
        raise BatchError(f"unknown batch action {action!r}: choose one of {', '.join(ACTIONS)}")
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BatchError(f"cannot create the output folder {out}: {exc.strerror}") from None
    problems = problems if problems is not None else []
    notes = notes if notes is not None else []
    jobs: list[Job] = []
    suffix = SUFFIX[action]
    if action in FILM_ACTIONS:
        from vfa.films.scan import scan_paths
        if not paths:
            from vfa.storage.workspace import Workspace
            source = Workspace(workspace)
            try:
                paths = sorted({im.path for p in source.patients() for v in source.visits(p.patient_id)
                                for im in v.images if im.path})
            finally:
                source.close()
        res = scan_paths(paths, with_identity=action == "propose")
        notes += [(str(p), why) for p, why in res.problems]
        ws: Workspace | None = None
        if action == "propose":
            from vfa.storage.workspace import Workspace
            ws = Workspace(workspace)
        try:
            for f in res.sorted_films():
                name = _safe(f.sop_instance_uid or f.path.stem) + suffix
                target = out / name
                if action == "render":
                    argv = ("render", str(f.path), "-o", str(target), *extra)
                else:
                    earlier = _earlier_reading(ws, f)
                    if earlier is None:
                        problems.append((str(f.path), "no saved reading of an earlier study of this "
                                                      "patient in the workspace to carry forward "
                                                      "(propose it with clicks: vfa propose --span)"))
                        continue
                    argv = ("propose", str(f.path), "--from", str(earlier), "-o", str(target), *extra)
                jobs.append(Job(str(f.path), str(target), argv))
        finally:
            if ws is not None:
                ws.close()
    else:
        readings = _readings_in(paths) if paths else _workspace_readings(workspace)
        for r in readings:
            target = out / (_safe(r.stem) + suffix)
            jobs.append(Job(str(r), str(target), (action, str(r), "-o", str(target), *extra)))
    if not jobs and not problems and not notes:
        raise BatchError("nothing to do: no " + ("films" if action in FILM_ACTIONS else "readings")
                         + " found")
    return jobs


# ------------------------------------------------------------------------------ running
def run_job(job: Job) -> tuple[int, str]:
    """Run one job in this process: (exit status, its one-line error or '')."""
    from vfa.cli import main
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        try:
            code = main(list(job.argv))
        except SystemExit as exc:  # argparse: bad extra options
            code = exc.code if isinstance(exc.code, int) else 2
    lines = [line for line in err.getvalue().splitlines() if line.strip()]
    message = ""
    if code != 0:
        message = lines[-1] if lines else f"exit status {code}"
        prefix = f"vfa {job.argv[0]}: error: "
        message = message[len(prefix):] if message.startswith(prefix) else message
    return code, message


#: What each action's jobs import (loaded once in the parent before the workers fork).
_PRELOAD = {
    "render": ("vfa.commands.render", "vfa.films.display", "vfa.films.radiograph", "cv2"),
    "propose": ("vfa.commands.propose", "vfa.reading.autoplace.carry", "vfa.reading.autoplace.apply",
                "vfa.films.radiograph", "vfa.storage.workspace"),
    "report": ("vfa.commands.report", "vfa.outputs.report_pdf", "vfa.reading.reading"),
    "export-sr": ("vfa.commands.export_sr", "vfa.outputs.sr", "vfa.reading.reading"),
}


def _warm(action: str) -> None:
    """Load, once in the parent, what the action's first job would load in every worker."""
    if action == "export-sr":
        try:  # highdicom's IOD/module tables (3 JSON files, ~0.3 s), used by every SR built
            from highdicom import _standard_utils as su
            su.get_sop_class_iod_map(), su.get_iod_module_map(), su.get_module_attribute_map()
        except Exception:  # noqa: BLE001 - a warm-up only: the workers load them if need be
            pass


def _context(actions: set[str]):
    """``fork`` with the actions' modules imported first (each worker starts with them,
    instead of importing highdicom & co. once per worker) when this process runs a single
    thread (forking a threaded process can deadlock); else ``forkserver``/``spawn``."""
    import importlib
    import multiprocessing as mp
    import threading
    methods = mp.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        for a in sorted(actions):
            for mod in _PRELOAD.get(a, ()):
                importlib.import_module(mod)
            _warm(a)
        return mp.get_context("fork")
    return mp.get_context("forkserver" if "forkserver" in methods else "spawn")


def _worker_init() -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from vfa.cli import quiet_third_party_logs
    quiet_third_party_logs()


def run_batch(jobs: Iterable[Job], workers: int = 1, *, force: bool = False,
              progress: Callable[[int, int], None] | None = None,
              on_failure: Callable[[Job, str], None] | None = None) -> BatchResult:
    """Run ``jobs`` in ``workers`` processes (1: in this process). Jobs whose output exists
    are skipped unless ``force``."""
    result = BatchResult()
    todo: list[Job] = []
    for j in jobs:
        if not force and Path(j.output).exists():
            result.skipped.append(j)
        else:
            todo.append(j)
    total = len(todo)

    def record(j: Job, code: int, msg: str, n: int) -> None:
        if code == 0:
            result.done.append(j)
        else:
            result.failed.append((j, msg))
            if on_failure is not None:
                on_failure(j, msg)
        if progress is not None:
            progress(n, total)

    if workers <= 1 or total <= 1:
        for n, j in enumerate(todo, 1):
            record(j, *run_job(j), n)
        return result
    from concurrent.futures import ProcessPoolExecutor, as_completed
    ctx = _context({j.argv[0] for j in todo})
    with ProcessPoolExecutor(max_workers=min(workers, total), mp_context=ctx,
                             initializer=_worker_init) as pool:
        futures = {pool.submit(run_job, j): j for j in todo}
        try:
            for n, fut in enumerate(as_completed(futures), 1):
                j = futures[fut]
                try:
                    code, msg = fut.result()
                except Exception as exc:  # noqa: BLE001 - a crashed worker fails its job only
                    code, msg = 3, f"the worker process failed ({exc.__class__.__name__}: {exc})"
                record(j, code, msg, n)
        except KeyboardInterrupt:
            for fut in futures:
                fut.cancel()
            raise
    order = {j: i for i, j in enumerate(todo)}
    result.done.sort(key=order.__getitem__)
    result.failed.sort(key=lambda jm: order[jm[0]])
    return result
