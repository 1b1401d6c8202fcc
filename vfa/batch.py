"""Batch work over many films or readings, in a pool of processes (``vfa batch``).

A batch is a list of :class:`Job`: one action (``render``, ``propose`` from an earlier
reading, ``report``, ``export-sr``) on one film or reading, writing one output file. A job
calls the library function the single command calls (:func:`vfa.outputs.render.render_png`,
:func:`vfa.reading.autoplace.apply.propose_file`, :func:`vfa.outputs.report_pdf.write_report`,
:func:`vfa.outputs.sr.export_sr`), so every rule of the single command (checks, refusals,
atomic writes) holds unchanged in a batch; it never goes through the command line. Each job
ends as a :class:`JobDone` or a :class:`JobFailure` (the error's one-line message and its
type: a :class:`~vfa.errors.VfaError` is bad input, anything else a bug).

Outputs are named so that two inputs never share one: a film's by its SOP Instance UID, a
reading's by its patient, study date, film (SOP Instance UID) and reader; two inputs that
would still share an output (copies of one film, two files of one reading) are refused at
planning, the first one kept.

Resumable: a job whose output exists is skipped (outputs are written atomically, so an
existing file is a complete one); ``force`` redoes it. A failed job does not stop the batch.
Workers end when the process that started them ends, even by ``kill -9``; the pool works
with the ``fork`` and ``spawn`` start methods.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

from vfa.errors import BatchError, VfaError, is_native_panic, one_line, printable

__all__ = ["ACTIONS", "FILM_ACTIONS", "SUFFIX", "BatchError", "BatchResult", "Job", "JobDone",
           "JobFailure", "plan", "run_batch", "run_job"]

ACTIONS = ("render", "propose", "report", "export-sr")
#: Actions whose inputs are films (the others take readings).
FILM_ACTIONS = ("render", "propose")
SUFFIX = {"render": ".png", "propose": ".proposed.json", "report": ".pdf", "export-sr": ".sr.dcm"}
#: Options each action takes (keyword arguments of its library function).
OPTIONS = {"render": ("size",), "propose": ("earlier",), "report": ("allow_proposed",),
           "export-sr": ("allow_proposed",)}
#: Reading files larger than this are not opened to name their output (named by file name).
_NAME_READ_LIMIT = 4 * 1024 * 1024


@dataclass(frozen=True)
class Job:
    action: str                 # one of ACTIONS
    source: str                 # the film or reading the job is about
    output: str                 # the file it writes
    options: tuple[tuple[str, Any], ...] = ()   # (name, value) of OPTIONS[action]

    def option(self, name: str, default: Any = None) -> Any:
        return dict(self.options).get(name, default)


@dataclass(frozen=True)
class JobDone:
    job: Job
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class JobFailure:
    job: Job
    message: str                # one line: what is wrong, what to do
    error: str                  # the exception's class name
    bad_input: bool = True      # a VfaError (else an unexpected error: a bug to report)


@dataclass
class BatchResult:
    done: list[Job] = field(default_factory=list)
    skipped: list[Job] = field(default_factory=list)
    failed: list[JobFailure] = field(default_factory=list)
    warnings: list[tuple[Job, str]] = field(default_factory=list)

    def summary(self) -> str:
        return (f"{len(self.done)} done, {len(self.skipped)} skipped (already done), "
                f"{len(self.failed)} failed")


# ------------------------------------------------------------------------------ planning
def _safe(name: str) -> str:
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


def _reading_name(path: Path) -> str:
    """An output name of a reading file: patient, study date, film and reader (read from the
    file without validating it: a bad file fails as its job); the file name if none."""
    try:
        if path.stat().st_size <= _NAME_READ_LIMIT:
            data = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(data, dict):
                values = [data.get(k) for k in ("patient_id", "study_date", "sop_instance_uid", "reader")]
                parts = [_safe(v) for v in values if isinstance(v, str) and v.strip()]
                if parts:
                    return "_".join(parts)[:200]
    except (OSError, ValueError, RecursionError):
        pass
    return _safe(path.stem)


def _earlier_reading(ws: Any, film: Any) -> Path | None:
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
         workspace: str | os.PathLike[str] | None = None, options: Mapping[str, Any] | None = None,
         problems: list[tuple[str, str]] | None = None,
         notes: list[tuple[str, str]] | None = None) -> list[Job]:
    """The jobs of ``action`` over ``paths`` (films for render/propose, readings for
    report/export-sr; with no paths, the readings or films of the workspace). ``options``
    (:data:`OPTIONS`) go to every job. Files that are not films are appended to ``notes``
    (skipped, not failures); inputs that cannot become a job (propose: no earlier reading;
    an output another input already has) to ``problems`` (failures)."""
    if action not in ACTIONS:
        raise BatchError(f"unknown batch action {action!r}: choose one of {', '.join(ACTIONS)}")
    opts = dict(options or {})
    unknown = sorted(set(opts) - set(OPTIONS[action]))
    if unknown:
        raise BatchError(f"batch {action} takes no option {', '.join(unknown)}")
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BatchError(f"cannot create the output folder {out}: {exc.strerror}") from None
    problems = problems if problems is not None else []
    notes = notes if notes is not None else []
    jobs: list[Job] = []
    owner: dict[str, str] = {}      # output name (case-folded) -> the input that has it
    suffix = SUFFIX[action]

    def add(source: str, name: str, extra: Mapping[str, Any] | None = None) -> None:
        target = out / (name + suffix)
        first = owner.setdefault(str(target).casefold(), source)
        if first != source:
            what = "film (SOP Instance UID)" if action in FILM_ACTIONS else \
                "patient, study, film and reader"
            problems.append((source, f"same {what} as {first}: its output {target.name} is "
                                     "that input's; skipped (remove the duplicate)"))
            return
        jobs.append(Job(action, source, str(target), tuple(sorted({**opts, **(extra or {})}.items()))))

    if action in FILM_ACTIONS:
        from vfa.films.scan import scan_paths
        if not paths:
            from vfa.storage.workspace import Workspace
            every = Workspace(workspace)
            try:
                paths = sorted({im.path for p in every.patients() for v in every.visits(p.patient_id)
                                for im in v.images if im.path})
            finally:
                every.close()
        res = scan_paths(paths, with_identity=action == "propose")
        notes += [(str(p), why) for p, why in res.problems]
        ws: Any = None
        if action == "propose":
            from vfa.storage.workspace import Workspace
            ws = Workspace(workspace)
        try:
            for f in res.sorted_films():
                name = _safe(f.sop_instance_uid or f.path.stem)
                if action == "render":
                    add(str(f.path), name)
                    continue
                earlier = _earlier_reading(ws, f)
                if earlier is None:
                    problems.append((str(f.path), "no saved reading of an earlier study of this "
                                                  "patient in the workspace to carry forward "
                                                  "(propose it with clicks: vfa propose --span)"))
                    continue
                add(str(f.path), name, {"earlier": str(earlier)})
        finally:
            if ws is not None:
                ws.close()
    else:
        readings = _readings_in(paths) if paths else _workspace_readings(workspace)
        for r in readings:
            add(str(r), _reading_name(r))
    if not jobs and not problems and not notes:
        raise BatchError("nothing to do: no " + ("films" if action in FILM_ACTIONS else "readings")
                         + " found")
    return jobs


# ------------------------------------------------------------------------------ the actions
def _render(job: Job) -> tuple[str, ...]:
    from vfa.outputs.render import render_png
    render_png(job.source, job.output, size=job.option("size"))
    return ()


def _propose(job: Job) -> tuple[str, ...]:
    from vfa.reading.autoplace.apply import propose_file
    from vfa.storage.workspace import default_reader
    return propose_file(job.source, job.output, earlier=job.option("earlier"), reader=default_reader()).warnings


def _report(job: Job) -> tuple[str, ...]:
    from vfa.outputs.report_pdf import VisitInput, write_report
    from vfa.reading.reading import film_for, load_reading
    src = Path(job.source)
    r = load_reading(src)
    write_report([VisitInput(r, film_for(r, src), src)], job.output,
                 allow_proposed=bool(job.option("allow_proposed")), allow_missing_images=False)
    return ()


def _export_sr(job: Job) -> tuple[str, ...]:
    from vfa.outputs.sr import export_sr
    from vfa.reading.reading import load_reading
    warnings: list[str] = []
    export_sr(load_reading(job.source), job.output, reading_path=job.source,
              allow_proposed=bool(job.option("allow_proposed")), warnings=warnings)
    return tuple(warnings)


_RUN: dict[str, Callable[[Job], tuple[str, ...]]] = {
    "render": _render, "propose": _propose, "report": _report, "export-sr": _export_sr}


def run_job(job: Job) -> JobDone | JobFailure:
    """Run one job in this process; every error ends as a :class:`JobFailure` (never raised)."""
    try:
        return JobDone(job, _RUN[job.action](job))
    except VfaError as exc:
        return JobFailure(job, printable(str(exc)), type(exc).__name__)
    except Exception as exc:  # noqa: BLE001 - one job's bug fails that job only
        return JobFailure(job, f"unexpected error ({type(exc).__name__}: {one_line(exc)}); run it alone "
                               "with VFA_DEBUG=1 for details and report it", type(exc).__name__, False)
    except BaseException as exc:
        if not is_native_panic(exc):
            raise  # KeyboardInterrupt, SystemExit
        return JobFailure(job, f"a native decoder failed on the input ({one_line(exc)}): the file "
                               "may be damaged; re-export it", type(exc).__name__)


# ------------------------------------------------------------------------------ the pool
def _preload(action: str) -> None:
    """Load, once in the parent before the workers fork, what the action's jobs load."""
    import importlib
    for mod in {"render": ("vfa.outputs.render", "vfa.films.display", "vfa.films.radiograph", "cv2"),
                "propose": ("vfa.reading.autoplace.apply", "vfa.reading.autoplace.carry",
                            "vfa.films.radiograph", "vfa.storage.workspace"),
                "report": ("vfa.outputs.report_pdf", "vfa.reading.reading"),
                "export-sr": ("vfa.outputs.sr", "vfa.reading.reading")}.get(action, ()):
        importlib.import_module(mod)
    if action == "export-sr":
        _warm_highdicom()


def _warm_highdicom() -> None:
    """highdicom reads its IOD/module tables (3 JSON files, ~0.3 s) at the first SR built;
    copying patient and study into a throw-away object loads them once in the parent."""
    try:
        import highdicom
        from pydicom import Dataset
        from pydicom.uid import generate_uid
        sr = highdicom.SOPClass(study_instance_uid=generate_uid(), series_instance_uid=generate_uid(),
                                series_number=1, sop_instance_uid=generate_uid(),
                                sop_class_uid="1.2.840.10008.5.1.4.1.1.88.33", instance_number=1,
                                modality="SR")
        ds = Dataset()
        ds.SOPInstanceUID, ds.SOPClassUID = generate_uid(), "1.2.840.10008.5.1.4.1.1.1.1"
        sr.copy_patient_and_study_information(ds)
    except Exception:  # noqa: BLE001 - a warm-up only: the workers load them if need be
        pass


def _context(actions: set[str], start_method: str | None = None) -> Any:
    """``fork`` with the actions' modules loaded first (each worker starts with them instead
    of importing highdicom & co. once per worker) when this process runs a single thread
    (forking a threaded process can deadlock) and no ``start_method`` is asked; else that
    method or ``spawn`` (the only one on Windows)."""
    import multiprocessing as mp
    import threading
    methods = mp.get_all_start_methods()
    if start_method is None and "fork" in methods and threading.active_count() == 1:
        for a in sorted(actions):
            _preload(a)
        return mp.get_context("fork")
    return mp.get_context(start_method or "spawn")


def _worker_init() -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from vfa.errors import quiet_third_party_logs
    quiet_third_party_logs()
    _die_with_parent()


def _die_with_parent() -> None:
    """End this worker as soon as the process that started it ends (also by ``kill -9``,
    which leaves no chance to stop the pool): a thread waits on the parent's sentinel."""
    import multiprocessing as mp
    import threading
    parent = mp.parent_process()
    if parent is None:
        return

    def watch() -> None:
        from multiprocessing.connection import wait
        wait([parent.sentinel])
        os._exit(1)

    threading.Thread(target=watch, name="vfa-batch-parent", daemon=True).start()


def run_batch(jobs: Iterable[Job], workers: int = 1, *, force: bool = False,
              progress: Callable[[int, int], None] | None = None,
              on_failure: Callable[[JobFailure], None] | None = None,
              start_method: str | None = None) -> BatchResult:
    """Run ``jobs`` in ``workers`` processes (1: in this process). Jobs whose output exists
    are skipped unless ``force``. ``start_method``: the multiprocessing start method
    (default: ``fork`` where it is safe, else ``spawn``)."""
    result = BatchResult()
    todo: list[Job] = []
    for j in jobs:
        if not force and Path(j.output).exists():
            result.skipped.append(j)
        else:
            todo.append(j)
    total = len(todo)

    def record(outcome: JobDone | JobFailure, n: int) -> None:
        if isinstance(outcome, JobDone):
            result.done.append(outcome.job)
            result.warnings += [(outcome.job, w) for w in outcome.warnings]
        else:
            result.failed.append(outcome)
            if on_failure is not None:
                on_failure(outcome)
        if progress is not None:
            progress(n, total)

    if workers <= 1 or total <= 1:
        for n, j in enumerate(todo, 1):
            record(run_job(j), n)
        return result
    from concurrent.futures import ProcessPoolExecutor, as_completed
    ctx = _context({j.action for j in todo}, start_method)
    with ProcessPoolExecutor(max_workers=min(workers, total), mp_context=ctx,
                             initializer=_worker_init) as pool:
        futures = {pool.submit(run_job, j): j for j in todo}
        try:
            for n, fut in enumerate(as_completed(futures), 1):
                j = futures[fut]
                try:
                    outcome = fut.result()
                except Exception as exc:  # noqa: BLE001 - a crashed worker fails its job only
                    outcome = JobFailure(j, f"the worker process failed ({type(exc).__name__}: "
                                            f"{one_line(exc)})", type(exc).__name__, False)
                record(outcome, n)
        except KeyboardInterrupt:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    order = {j: i for i, j in enumerate(todo)}
    result.done.sort(key=order.__getitem__)
    result.failed.sort(key=lambda f: order[f.job])
    return result
