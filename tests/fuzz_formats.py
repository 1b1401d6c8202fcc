"""Seeded mutation fuzzing of the two file formats vfa reads: reading JSON and DICOM SR.

Used by tests/test_fuzz_formats.py (in-process, a time budget) and, for the longer run whose
table is in docs/robustness.md, as a program:

    .venv/bin/python tests/fuzz_formats.py --kind reading --cases 5000 --seed 1
    .venv/bin/python tests/fuzz_formats.py --kind sr --cases 5000 --seed 1

Every case ends in one of: ``success`` (the input loads, and what loaded saves, reloads and
serialises as strict JSON), ``clean`` (a :class:`vfa.errors.VfaError` with a one-line message),
or anything else (a finding: another exception, a multi-line message, a hang). The program runs
each case in a forked child, so that a hang is killed after ``--timeout`` seconds and the
child's peak memory (``ru_maxrss``) is measured per case.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import random
import resource
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Iterator

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

_TOKEN = "@@raw-token@@"
#: JSON text that json.dumps cannot write: non-finite numbers, huge literals, deep nesting.
RAW_TOKENS = ["Infinity", "-Infinity", "NaN", "1" * 5001, "1e999", "-1e400", "1" * 101,
              "[" * 100_000 + "]" * 100_000, "[" * 40 + "]" * 40, '{"a":' * 50 + "1" + "}" * 50,
              "0." + "0" * 4000 + "1", "123456789012345678901234567890"]
HOSTILE_VALUES: list[Any] = [
    None, True, False, 0, -1, 0.5, 1e308, -1e308, 2 ** 63, 10 ** 40, "", " ", "x", "\u0000",
    "\ud800", "ü" * 70, "A" * 65, "A" * 1025, "A" * 70_000, "=1+1", "../../etc/passwd",
    "\u202e\u0301" * 10, [], {}, [1], [1, 2, 3], [0.1, 0.1], [50, 50], [0, 0], [-1, 1],
    ["1", "2"], {"x": 1}, "T13", "t4", " L1 ", "not_evaluable", "wedge", 1.5, 4, "2024-02-30",
    "2024-13-01", "20240101", [20, 25, 40], [40, 25, 20], "NaN",
]


# ---------------------------------------------------------------------------- seeds
def seed_readings() -> list[dict[str, Any]]:
    """Valid reading documents: a bundled reference and a reading with every optional field
    (proposals, qualitative keys, a not-evaluable level, an old setting, unknown keys)."""
    from readings_factory import make_reading
    from vfa.films.calibration import Spacing, SpacingSource
    from vfa.reading.proposal import Proposal
    ref = json.loads((HERE.parent / "sample_dicoms" / "reference" / "adult01_2023-04-18.json").read_text())
    r = make_reading({"T12": (70.0, 95.0, 100.0), "L1": (100.0, 72.0, 100.0)},
                     spacing=Spacing(0.15, 0.15, SpacingSource.PIXEL_SPACING, "calibration type GEOMETRY"))
    r.set_reader_grade("T12", 2)
    r.set_status("T8", "not_evaluable", "hardware")
    r.set_note("L1", "Schmorl node? ü")
    r.set_abq("L1", "fracture")
    r.set_downgrade_reason("T12", "other", "free text")
    r.propose("L3", {"superior_anterior": Proposal(10.0, 20.0, 0.4, "one-click")})
    d = r.to_dict()
    d["settings"]["min_change_pct"] = 5.0       # a v2 setting: still loads
    d["future_key"] = {"nested": [1, 2, {"x": "y"}]}
    d["vertebrae"][0]["decided_by"] = "agreement"
    return [ref, d]


def _paths(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, path + (i,))


def _set(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    parent = doc
    for p in path[:-1]:
        parent = parent[p]
    parent[path[-1]] = value
    return doc


def mutate_reading(rng: random.Random, seed: dict[str, Any]) -> str:
    """One mutated reading file (text): one to three structural changes, then maybe a raw one."""
    doc = copy.deepcopy(seed)
    raw: list[str] = []
    for _ in range(rng.randint(1, 3)):
        paths = list(_paths(doc))
        path = rng.choice(paths[1:]) if len(paths) > 1 else ()
        kind = rng.randrange(6)
        try:
            if kind == 0:
                doc = _set(doc, path, copy.deepcopy(rng.choice(HOSTILE_VALUES)))
            elif kind == 1:
                raw.append(rng.choice(RAW_TOKENS))
                doc = _set(doc, path, _TOKEN)
            elif kind == 2 and path:
                parent = doc
                for p in path[:-1]:
                    parent = parent[p]
                del parent[path[-1]]
            elif kind == 3:
                target = rng.choice([doc] + [v for v in doc.get("vertebrae", []) if isinstance(v, dict)]) \
                    if isinstance(doc, dict) else doc
                if isinstance(target, dict):
                    target[rng.choice(["level", "points", "note", "zz", "status", "reason", "proposals",
                                       "pixel_spacing_mm", "spacing_source", "settings", "x" * 80])] = \
                        copy.deepcopy(rng.choice(HOSTILE_VALUES))
            elif kind == 4 and isinstance(doc, dict) and isinstance(doc.get("vertebrae"), list) \
                    and doc["vertebrae"]:
                doc["vertebrae"].append(copy.deepcopy(rng.choice(doc["vertebrae"])))   # a level twice
            else:
                doc = _set(doc, path, [copy.deepcopy(rng.choice(HOSTILE_VALUES))] * rng.randint(0, 3))
        except (KeyError, IndexError, TypeError):
            continue
    text = json.dumps(doc, ensure_ascii=rng.random() < 0.5)
    for token in raw:
        text = text.replace(f'"{_TOKEN}"', token, 1)
    if rng.random() < 0.2:
        i = rng.randrange(len(text) + 1)
        op = rng.randrange(3)
        if op == 0:
            text = text[:i]
        elif op == 1:
            text = text[:i] + chr(rng.randrange(0x20, 0x3000)) + text[i + 1:]
        else:
            j = rng.randrange(len(text) + 1)
            text = text[:i] + text[j:j + rng.randint(1, 200)] + text[i:]
    return text


def seed_srs(folder: Path) -> list[bytes]:
    """Valid VFA SRs: a small reading (3 levels, fast to import: most cases) and the rich one."""
    from test_sr import make_film, rich_reading
    from readings_factory import make_reading
    from vfa.outputs import sr
    out = []
    small = make_reading({"T12": (70.0, 95.0, 100.0), "L1": (100.0, 72.0, 100.0), "L2": (100.0, 100.0, 100.0)})
    for i, r in enumerate((small, rich_reading())):
        film = folder / f"film{i}.dcm"
        make_film(film, r)
        path = folder / f"seed{i}.dcm"
        sr.export_sr(r, path, image=film)
        out.append(path.read_bytes())
    return out


def mutate_sr(rng: random.Random, seed: bytes) -> bytes:
    """One mutated SR: bytes flipped, truncated, a length or a VR replaced, a slice copied or cut."""
    b = bytearray(seed)
    for _ in range(rng.randint(1, 2)):
        n = len(b)
        if n < 200:
            break
        k = rng.randrange(7)
        i = rng.randrange(132, n - 8)
        if k == 0:
            for _ in range(rng.randint(1, 16)):
                b[rng.randrange(132, n)] = rng.randrange(256)
        elif k == 1:
            del b[rng.randrange(132, n):]
        elif k == 2:
            b[i:i + 4] = rng.choice([b"\xff\xff\xff\xff", b"\xff\xff\xff\x7f", b"\x00\x00\x00\x10",
                                     rng.randrange(1 << 32).to_bytes(4, "little")])
        elif k == 3:
            pos = b.find(rng.choice([b"SQ", b"CS", b"LO", b"DS", b"FL", b"UT", b"UI"]), i)
            if pos > 0:
                b[pos:pos + 2] = rng.choice([b"JV", b"SQ", b"UN", b"OB", b"UT", b"XX", b"FD", b"US"])
        elif k == 4:
            j = rng.randrange(132, n)
            b[i:i] = b[j:j + rng.randint(1, 3000)]
        elif k == 5:
            del b[i:i + rng.randint(1, 400)]
        else:   # a text value made huge
            pos = b.find(b"LO", i)
            if pos > 0:
                b[pos:pos + 2] = b"UT"
    return bytes(b)


# ---------------------------------------------------------------------------- cases
def run_reading_case(text: str, work: Path) -> tuple[str, str]:
    """("success" | "clean" | "other", detail) for one reading file."""
    from vfa.errors import VfaError
    from vfa.reading.reading import load_reading, save_reading
    path = work / "case.json"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        r = load_reading(path)
    except VfaError as exc:
        msg = str(exc)
        return ("clean", msg) if "\n" not in msg and len(msg) < 2000 else ("other", f"long message: {msg[:200]}")
    return _check_success(r, work, load_reading, save_reading)


def run_sr_case(data: bytes, work: Path) -> tuple[str, str]:
    from vfa.errors import VfaError
    from vfa.outputs.sr import import_sr
    from vfa.reading.reading import load_reading, save_reading
    path = work / "case.dcm"
    path.write_bytes(data)
    try:
        r = import_sr(path)
    except VfaError as exc:
        msg = str(exc)
        return ("clean", msg) if "\n" not in msg and len(msg) < 2000 else ("other", f"long message: {msg[:200]}")
    return _check_success(r, work, load_reading, save_reading)


def _check_success(r: Any, work: Path, load: Callable[..., Any], save: Callable[..., Any]) -> tuple[str, str]:
    """What loaded is strict JSON, saves and loads again (never a file vfa cannot reopen)."""
    json.dumps(r.to_dict(), allow_nan=False)
    out = work / "saved.json"
    save(r, out)
    load(out, check_geometry=False)
    return "success", ""


def classify(fn: Callable[[], tuple[str, str]]) -> tuple[str, str]:
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return fn()
        except Exception as exc:  # noqa: BLE001 - this is what the fuzzer looks for
            return "other", f"{exc.__class__.__name__}: {str(exc)[:200]}"


# ---------------------------------------------------------------------------- the longer run
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kind", choices=("reading", "sr"), required=True)
    ap.add_argument("--cases", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds before a case is a hang")
    ap.add_argument("--progress", type=int, default=0, help="print the counts every N cases")
    args = ap.parse_args(argv)
    import logging
    logging.getLogger("pydicom").setLevel(logging.CRITICAL)
    rng = random.Random(args.seed)
    counts = {"success": 0, "clean": 0, "other": 0, "hang": 0}
    peak_kb, peak_case, slowest, slowest_case = 0, -1, 0.0, -1
    findings: list[str] = []
    with tempfile.TemporaryDirectory(prefix="vfa-fuzz-formats-") as tmp:
        work = Path(tmp)
        if args.kind == "reading":
            seeds_r = seed_readings()
            make: Callable[[], Any] = lambda: mutate_reading(rng, rng.choice(seeds_r))  # noqa: E731
            run: Callable[[Any, Path], tuple[str, str]] = run_reading_case
        else:
            seeds_s = seed_srs(work)
            make = lambda: mutate_sr(rng, seeds_s[0] if rng.random() < 0.8 else seeds_s[1])  # noqa: E731
            run = run_sr_case
        import vfa.outputs.sr  # noqa: F401 - imported once, before the children fork
        import vfa.reading.schema as _s
        _s._validator()
        seeds_all: list[Any] = ([json.dumps(d) for d in seeds_r] if args.kind == "reading" else seeds_s)
        valid_s = 0.0
        for seed_data in seeds_all:   # the same work on valid inputs: what "slow" compares with
            t0 = time.perf_counter()
            classify(lambda: run(seed_data, work))
            valid_s = max(valid_s, time.perf_counter() - t0)
        t_start = time.perf_counter()
        for case in range(args.cases):
            data = make()
            rfd, wfd = os.pipe()
            t0 = time.perf_counter()
            pid = os.fork()
            if pid == 0:  # the child: one case, its verdict on the pipe
                os.close(rfd)
                verdict, detail = classify(lambda: run(data, work))
                os.write(wfd, json.dumps([verdict, detail]).encode()[:60000])
                os._exit(0)
            os.close(wfd)
            deadline = t0 + args.timeout
            status = None
            while status is None:
                done, st, ru = os.wait4(pid, os.WNOHANG)
                if done:
                    status = (st, ru)
                elif time.perf_counter() > deadline:
                    os.kill(pid, signal.SIGKILL)
                    _, st, ru = os.wait4(pid, 0)
                    status = (None, ru)
                else:
                    time.sleep(0.005)
            with os.fdopen(rfd, "rb") as fh:
                text = fh.read().decode("utf-8", "replace")
            took = time.perf_counter() - t0
            if took > slowest:
                slowest, slowest_case = took, case
            if status[0] is None:
                counts["hang"] += 1
                findings.append(f"case {case}: hang")
                continue
            try:
                verdict, detail = json.loads(text)
            except ValueError:
                verdict, detail = "other", f"child died (status {status[0]})"
            counts[verdict] += 1
            if verdict == "other":
                findings.append(f"case {case}: {detail}")
            if status[1].ru_maxrss > peak_kb:
                peak_kb, peak_case = status[1].ru_maxrss, case
            if args.progress and (case + 1) % args.progress == 0:
                print(json.dumps({"done": case + 1, **counts, "peak_rss_mb": round(peak_kb / 1024, 1),
                                  "slowest_case_s": round(slowest, 2), "slowest_case": slowest_case}),
                      flush=True)
        elapsed = time.perf_counter() - t_start
    base_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"kind": args.kind, "seed": args.seed, "cases": args.cases, **counts,
                      "peak_rss_mb": round(peak_kb / 1024, 1), "peak_case": peak_case,
                      "parent_rss_mb": round(base_kb / 1024, 1), "slowest_case_s": round(slowest, 2),
                      "slowest_case": slowest_case, "slowest_valid_seed_s": round(valid_s, 2),
                      "elapsed_s": round(elapsed, 1), "findings": findings[:20]}))
    return 0 if counts["other"] == 0 and counts["hang"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
