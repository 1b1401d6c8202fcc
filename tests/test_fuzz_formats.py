"""Our own fuzz tests of the two file formats vfa reads (reading JSON, DICOM SR): a fixed
seed and a time budget of a few seconds each. Every case ends in a success (what loaded is
strict JSON, saves and loads again) or a clean one-line VfaError; anything else fails the
test with the case. The longer run (thousands of cases, forked per case, peak memory and
hangs measured) is ``tests/fuzz_formats.py``; its figures are in docs/robustness.md."""

from __future__ import annotations

import random
import signal
import time
from pathlib import Path


from cli_runner import run_vfa_process
from fuzz_formats import (classify, mutate_reading, mutate_sr, run_reading_case, run_sr_case,
                          seed_readings, seed_srs)

SEED = 20261207
CASE_LIMIT_S = 120   # a hang, not a slow case: timing is measured in bench/, not here


class _Hang(Exception):
    pass


def _with_alarm(fn):
    def on_alarm(signum, frame):
        raise _Hang()
    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(CASE_LIMIT_S)
    try:
        return classify(fn)
    except _Hang:
        return "hang", ""
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def _fuzz(tmp_path: Path, seeds, mutate, run, budget_s: float, min_cases: int) -> dict[str, int]:
    rng = random.Random(SEED)
    counts = {"success": 0, "clean": 0}
    findings = []
    for s in seeds:   # the seeds themselves: the successes the mutations start from
        verdict, detail = _with_alarm(lambda: run(s, tmp_path))
        assert verdict == "success", detail
        counts["success"] += 1
    start, n = time.perf_counter(), 0
    while n < min_cases or time.perf_counter() - start < budget_s:
        data = mutate(rng, rng.choice(seeds))
        verdict, detail = _with_alarm(lambda: run(data, tmp_path))
        n += 1
        if verdict in counts:
            counts[verdict] += 1
        else:
            findings.append((n, verdict, detail, data[:300]))
    assert not findings, findings[:3]
    assert counts["clean"] > 0
    return counts


def test_fuzz_reading_files(tmp_path):
    seeds = [__import__("json").dumps(d) for d in seed_readings()]
    counts = _fuzz(tmp_path, seeds, lambda rng, s: mutate_reading(rng, __import__("json").loads(s)),
                   run_reading_case, budget_s=3.0, min_cases=60)
    assert counts["success"] >= len(seeds)


def test_fuzz_sr_files(tmp_path):
    seeds = seed_srs(tmp_path)
    _fuzz(tmp_path, seeds, mutate_sr, run_sr_case, budget_s=4.0, min_cases=4)


def _one_line_or_success(p):
    assert p.returncode in (0, 1), (p.returncode, p.stderr)
    assert "Traceback" not in p.stderr and "unexpected error" not in p.stderr, p.stderr
    if p.returncode == 1:
        lines = [line for line in p.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and ": error: " in lines[0], p.stderr


def test_fuzz_sample_through_the_cli_in_a_fresh_process(tmp_path):
    """A sample of hostile cases through ``vfa`` in a real process: exit 0 or exit 1 with one
    line (never 3, never a traceback, never a library warning before the line)."""
    rng = random.Random(SEED + 1)
    seeds = seed_readings()
    texts = [mutate_reading(rng, rng.choice(seeds)) for _ in range(2)]
    texts.append('{"format": "vfa-reading", "version": 1, "patient_id": "P", '
                 '"settings": {"compare_borderline_as": NaN}}')
    for i, text in enumerate(texts):
        path = tmp_path / f"r{i}.json"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        _one_line_or_success(run_vfa_process("grade", "--json", path, timeout=CASE_LIMIT_S))
    srs = seed_srs(tmp_path)
    for i in range(2):
        path = tmp_path / f"s{i}.dcm"
        path.write_bytes(mutate_sr(rng, srs[0]))
        _one_line_or_success(run_vfa_process("import-sr", path, "-o", tmp_path / f"s{i}.json",
                                             timeout=CASE_LIMIT_S))
