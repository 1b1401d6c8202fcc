"""Seeded mutation fuzzing of the clinical CSV (``vfa clinical import``), issue 22.

Driven by tests/test_fuzz_clinical.py (a few seconds, fixed seed); a longer run::

    python tests/fuzz_clinical.py --cases 3000 --seed 22 --work /tmp/fuzz-clinical

prints one JSON line per case and a summary line with the table of docs/robustness.md
(cases, clean errors, successes, anything else, hangs, peak memory). Each case mutates the
bundled sample_dicoms/clinical.csv and runs ``vfa clinical import`` in this process through
``vfa.cli.main``:

* ``success``: exit 0, no traceback;
* ``clean-error``: exit 1, the last stderr line ``vfa clinical: error: ...`` (the lines before
  it name the bad rows, at most 50 of them), no traceback;
* anything else is a finding: ``exit-N`` (3 = "unexpected error"), ``traceback``,
  ``hang`` (over the per-case limit), ``escaped`` (an exception left main).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import random
import resource
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SAMPLE = HERE.parent / "sample_dicoms" / "clinical.csv"
#: A case running longer than this is a hang (a valid file of the same size takes a few
#: seconds at most, on a loaded machine).
CASE_LIMIT_S = 30.0

_HOSTILE_CELLS = [
    "=1+1", " =HYPERLINK(\"http://x\")", "+cmd|' /C calc'!A0", "@SUM(A1)", "\t=1", "\r=1",
    "<img src=\"/etc/passwd\">", "<b>", "NaN", "Infinity", "-Infinity", "1e999", "9" * 5000,
    "\x00", "\ufeff", "\u202e", "💥" * 100, "x" * 600, "a\nb", '"', '""', ",", "\\", "../../x",
    "-3.4", "\u22123.4", "2024-02-30", "0000-00-00", "9999-12-31", "1899-12-31", "", " ",
]


def _rows(text: str) -> list[str]:
    return text.splitlines()


def mutate(rng: random.Random, base: str) -> tuple[str, str]:
    """(the mutated CSV text, what was done)."""
    lines = _rows(base)
    kind = rng.choice(["cell", "cell", "bytes", "quote", "columns", "repeat", "header", "blank",
                       "bom", "long-row", "many-rows", "truncate"])
    if kind == "cell":
        i = rng.randrange(1, len(lines))
        cells = lines[i].split(",")
        j = rng.randrange(len(cells))
        value = rng.choice(_HOSTILE_CELLS)
        cells[j] = '"' + value.replace('"', '""') + '"' if rng.random() < 0.5 else value
        lines[i] = ",".join(cells)
        return "\n".join(lines) + "\n", f"cell {i},{j} = {value[:20]!r}"
    if kind == "bytes":
        b = bytearray(base.encode())
        for _ in range(rng.randint(1, 20)):
            b[rng.randrange(len(b))] = rng.randrange(256)
        return b.decode("utf-8", "replace"), "byte flips"
    if kind == "quote":
        i = rng.randrange(1, len(lines))
        pos = rng.randrange(len(lines[i]) + 1)
        lines[i] = lines[i][:pos] + '"' + lines[i][pos:]
        return "\n".join(lines) + "\n", f"stray quote row {i}"
    if kind == "columns":
        i = rng.randrange(1, len(lines))
        lines[i] += "," * rng.randint(1, 50) + rng.choice(["x", ""])
        return "\n".join(lines) + "\n", f"extra cells row {i}"
    if kind == "repeat":
        n = rng.randint(2, 2000)
        return lines[0] + "\n" + "\n".join(lines[1:] * n) + "\n", f"rows x{n}"
    if kind == "header":
        cols = lines[0].split(",")
        rng.shuffle(cols)
        if rng.random() < 0.3:
            cols.pop()
        lines[0] = ",".join(cols)
        return "\n".join(lines) + "\n", "header shuffled"
    if kind == "blank":
        return rng.choice(["", "\n", "\n\n\n", lines[0]]), "empty"
    if kind == "bom":
        return "\ufeff" * rng.randint(1, 3) + base, "BOM"
    if kind == "long-row":
        n = rng.choice([10_000, 200_000, 2_000_000])
        return lines[0] + "\n" + f"P1,,note,{'y' * n},\n", f"cell of {n} chars"
    if kind == "many-rows":
        n = rng.choice([5_000, 50_000])
        return lines[0] + "\n" + "".join(f"P{i % 97},2024-01-{1 + i % 28:02d},bmd_z,-1.{i % 10},\n"
                                         for i in range(n)), f"{n} rows"
    cut = rng.randrange(len(base))
    return base[:cut], f"truncated at {cut}"


def run_case(path: Path, workspace: Path) -> tuple[str, int | None, str, float]:
    from vfa.cli import main
    out, err = io.StringIO(), io.StringIO()
    t0 = time.monotonic()
    status = "ok"
    rc: int | None = None
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = main(["clinical", "import", str(path), "--workspace", str(workspace)])
        except SystemExit as exc:
            rc = exc.code if isinstance(exc.code, int) else 1
        except BaseException as exc:  # noqa: BLE001 - a finding
            status = f"escaped {type(exc).__name__}: {exc}"
    return status, rc, err.getvalue(), time.monotonic() - t0


def classify(status: str, rc: int | None, stderr: str, seconds: float) -> str:
    if status != "ok":
        return "escaped"
    if seconds > CASE_LIMIT_S:
        return "hang"
    if "Traceback" in stderr:
        return "traceback"
    if rc == 0:
        return "success"
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    if rc == 1 and lines and lines[-1].startswith("vfa clinical: error: ") and \
            "unexpected error" not in stderr and len(lines) <= 52:
        return "clean-error"
    return f"exit-{rc}"


def fuzz(cases: int, seed: int, work: Path, budget_s: float | None = None,
         emit: bool = False) -> dict:
    rng = random.Random(seed)
    base = SAMPLE.read_text(encoding="utf-8")
    work.mkdir(parents=True, exist_ok=True)
    ws = work / "ws"
    counts: dict[str, int] = {}
    findings = []
    slowest = 0.0
    t_start = time.monotonic()
    done = 0
    for case in range(cases):
        if budget_s is not None and time.monotonic() - t_start > budget_s:
            break
        text, what = mutate(rng, base)
        path = work / f"case{case % 10}.csv"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        status, rc, err, secs = run_case(path, ws)
        verdict = classify(status, rc, err, secs)
        counts[verdict] = counts.get(verdict, 0) + 1
        slowest = max(slowest, secs)
        done += 1
        rec = {"case": case, "what": what, "verdict": verdict, "rc": rc, "seconds": round(secs, 3)}
        if verdict not in ("success", "clean-error"):
            rec["stderr"] = err[-800:] + status
            findings.append(rec)
        if emit:
            print(json.dumps(rec), flush=True)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"cases": done, "seed": seed, "success": counts.get("success", 0),
            "clean_error": counts.get("clean-error", 0),
            "other": done - counts.get("success", 0) - counts.get("clean-error", 0),
            "hangs": counts.get("hang", 0), "slowest_s": round(slowest, 2),
            "peak_mb": round(peak_mb), "findings": findings[:20]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=22)
    ap.add_argument("--work", type=Path, required=True)
    args = ap.parse_args(argv)
    summary = fuzz(args.cases, args.seed, args.work, emit=True)
    print(json.dumps({"summary": summary}))
    return 0 if summary["other"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
