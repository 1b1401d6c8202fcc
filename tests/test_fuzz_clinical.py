"""Fuzzing the clinical CSV (issue 22): mutated files never end in a traceback, a hang, exit
3 or anything but success or a clean error (tests/fuzz_clinical.py). A fixed seed and a time
budget of a few seconds here; ``VFA_FUZZ_CLINICAL_S`` sets the budget for a longer run (the
figures of a long run are in docs/robustness.md)."""

from __future__ import annotations

import os

from fuzz_clinical import fuzz

BUDGET_S = float(os.environ.get("VFA_FUZZ_CLINICAL_S", "4"))
SEED = int(os.environ.get("VFA_FUZZ_SEED", "22"))


def test_clinical_csv_fuzz_gives_success_or_clean_errors(tmp_path):
    summary = fuzz(100_000, SEED, tmp_path, budget_s=BUDGET_S)
    print(f"clinical CSV fuzz: {summary['cases']} cases (seed {SEED}), {summary['clean_error']} clean "
          f"errors, {summary['success']} successes, {summary['other']} anything else, slowest "
          f"{summary['slowest_s']} s")
    assert summary["cases"] >= 5
    assert summary["other"] == 0, summary["findings"]
    assert summary["clean_error"] > 0
