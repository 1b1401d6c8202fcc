"""Fuzzing (issue 9): mutated DICOM headers, pixel data of every supported transfer syntax,
and mutated reading JSON never end in a traceback, a hang, a second error line, exit 3, or a
modified input file.

The cases run in one worker process (tests/fuzz_vfa.py) that calls ``vfa.cli.main`` in
process for each case; a native crash of a decoder would end only the worker, and the test
names the case. ``VFA_FUZZ_CASES`` sets the number of cases (300 by default, about 25 s here;
thousands for a deeper run, e.g. ``VFA_FUZZ_CASES=5000``), ``VFA_FUZZ_SEED`` the seed.
"""

from __future__ import annotations

import collections
import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
CASES = int(os.environ.get("VFA_FUZZ_CASES", "300"))
SEED = int(os.environ.get("VFA_FUZZ_SEED", "20261130"))


def test_fuzz_inputs_give_one_line_errors_or_success(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(HERE.parent), QT_QPA_PLATFORM="offscreen",
               RUST_BACKTRACE="1")
    p = subprocess.run([sys.executable, str(HERE / "fuzz_vfa.py"), "--cases", str(CASES),
                        "--seed", str(SEED), "--work", str(tmp_path)],
                       capture_output=True, text=True, env=env, timeout=120 + 35 * CASES)
    records = [json.loads(ln) for ln in p.stdout.splitlines() if ln.startswith("{")]
    done = [r for r in records if r.get("done")]
    starts = [r for r in records if "start" in r]
    assert p.returncode == 0 and done, (
        f"the fuzz worker died (exit {p.returncode}) during case "
        f"{starts[-1] if starts else None}: {p.stderr[-3000:]}")
    seeds = next(r["seeds"] for r in records if "seeds" in r)
    # every transfer syntax family is among the seeds (encoders missing here would shrink it)
    for family in ("implicit", "explicit", "bigendian", "deflated", "rle", "jpegls", "j2k"):
        assert family in seeds, seeds
    verdicts = collections.Counter(r["verdict"] for r in records if "verdict" in r)
    findings = [r for r in records if r.get("verdict") not in (None, "success", "clean-error")]
    figures = (f"fuzz: {sum(verdicts.values())} cases (seed {SEED}), "
               f"{verdicts['clean-error']} clean one-line errors, {verdicts['success']} "
               f"successes, {len(findings)} anything else; seeds: {', '.join(seeds)}")
    print(figures)
    assert sum(verdicts.values()) == CASES
    assert not findings, figures + "\n" + "\n".join(
        f"case {r['case']} [{r['verdict']}] {r['what']} :: vfa {' '.join(r['argv'][:1])} -> "
        f"rc {r['rc']}: {r['stderr'][-600:]}" for r in findings[:10])
    assert not done[0]["seeds_modified"], done[0]["seeds_modified"]
    # both kinds of outcome occur: the mutations reach the decoders, not only the parser
    assert verdicts["success"] > CASES // 20 and verdicts["clean-error"] > CASES // 5
