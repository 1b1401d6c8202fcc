"""Shared helpers of the benchmarks: interleaved repeats, CPU time of child processes, and the
one-line target report that ``./run bench`` collects.

Every target is a RATIO against a baseline measured in the same run, with baseline and
project timed in alternation (A B A B ...), so a change in machine load hits both alike;
the reported figure is the median of the repeats.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def load_average() -> str:
    try:
        return "load average %.2f %.2f %.2f" % os.getloadavg()
    except OSError:
        return "load average unknown"


def interleaved(fns: dict[str, Callable[[], object]], repeats: int, warmup: int = 1,
                clock: Callable[[], float] = time.perf_counter) -> dict[str, list[float]]:
    """Call each function in turn, ``repeats`` rounds (after ``warmup`` untimed rounds);
    seconds per call of each, by name."""
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    times: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(repeats):
        for k, fn in fns.items():
            t0 = clock()
            fn()
            times[k].append(clock() - t0)
    return times


def median(xs: list[float]) -> float:
    return statistics.median(xs)


def p95(xs: list[float]) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, int(round(0.95 * (len(s) - 1))))]


def children_cpu() -> float:
    """User + system CPU seconds of all waited-for child processes so far."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_cpu(cmd: list[str], **kw) -> tuple[float, float]:
    """Run ``cmd`` to completion (output discarded); (wall seconds, CPU seconds) of it."""
    c0, t0 = children_cpu(), time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)
    return time.perf_counter() - t0, children_cpu() - c0


def vfa_cmd(*args: object) -> list[str]:
    return [sys.executable, "-m", "vfa.cli", *map(str, args)]


def env() -> dict[str, str]:
    e = dict(os.environ)
    e["PYTHONPATH"] = str(REPO) + (os.pathsep + e["PYTHONPATH"] if e.get("PYTHONPATH") else "")
    e.setdefault("QT_QPA_PLATFORM", "offscreen")
    return e


def target(name: str, project: float, baseline: float | None, limit: float | None,
           unit: str = "s", note: str = "", absolute: bool = False) -> bool:
    """Print one ``TARGET`` line: the project's figure, the baseline's, the ratio and the
    limit (a ratio, or with ``absolute`` a bound on the project's figure itself)."""
    scale = {"s": 1.0, "ms": 1e3}.get(unit, 1.0)
    if absolute or baseline is None:
        ok = limit is None or project <= limit
        lim = f"target <= {limit * scale:g} {unit}" if limit is not None else ""
        base = f"baseline {baseline * scale:9.3f} {unit}" if baseline is not None else " " * 22
        ratio = f"ratio {project / baseline:5.2f}" if baseline else " " * 11
    else:
        ok = project / baseline <= limit
        lim = f"target <= {limit:g}x"
        base = f"baseline {baseline * scale:9.3f} {unit}"
        ratio = f"ratio {project / baseline:5.2f}"
    status = "OK" if ok else "MISSED"
    print(f"TARGET {name:<46} {project * scale:9.3f} {unit}  {base}  {ratio}  {lim:<18} {status}"
          + (f"  ({note})" if note else ""), flush=True)
    return ok
