"""Benchmark: what a script or a reader waits for at the command line (fresh processes).

    .venv/bin/python bench/bench_commands.py [--repeats 5] [--size 1600]

CPU time (user + system) of each ``vfa`` command as a new process, median of interleaved
repeats, against a baseline run in alternation with it:

* ``vfa --help`` and every ``vfa COMMAND --help`` against ``python -c "import pydicom"``
  (target <= 1x: help never loads numpy, pydicom, highdicom, SQLAlchemy ...);
* ``vfa propose --span T4 .. L4`` on a phantom film against ``vfa render`` of the same film
  (target <= 1.5x), and ``vfa propose --from EARLIER.json`` (carry-forward to a follow-up
  film) against the same render (target <= 2x).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib  # noqa: E402


def _cpu_pair(base_cmd: list[str], cmd: list[str], repeats: int, env: dict) -> tuple[float, float]:
    b, p = [], []
    benchlib.run_cpu(base_cmd, env=env), benchlib.run_cpu(cmd, env=env)  # warm the caches
    for _ in range(repeats):
        b.append(benchlib.run_cpu(base_cmd, env=env)[1])
        p.append(benchlib.run_cpu(cmd, env=env)[1])
    return benchlib.median(p), benchlib.median(b)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--size", type=int, default=1600, help="phantom film rows")
    args = ap.parse_args(argv)
    print(f"vfa command benchmark (CPU of fresh processes), {benchlib.load_average()}")
    env = benchlib.env()
    py = sys.executable

    from vfa.cli import _commands
    floor = [py, "-c", "import pydicom"]
    worst = None
    for argv_ in [["--help"]] + [[m.NAME, "--help"] for m in _commands()]:
        proj, base = _cpu_pair(floor, benchlib.vfa_cmd(*argv_), max(3, args.repeats // 2), env)
        if worst is None or proj / base > worst[0] / worst[1]:
            worst = (proj, base, " ".join(argv_))
        benchlib.target(f"vfa {' '.join(argv_)}", proj, base, 1.0,
                        note="baseline: python -c 'import pydicom'")

    import numpy as np
    sys.path.insert(0, str(benchlib.REPO / "bench"))
    import bench_propose as bp
    from vfa.method.levels import Level
    from vfa.synthetic.phantom import make_film, reference_reading
    from vfa.reading.reading import save_reading
    with tempfile.TemporaryDirectory(prefix="vfa-bench-cmd-") as tmp:
        tmp = Path(tmp)
        spec = bp.spec_for(0, 9000, args.size)
        film = make_film(spec)
        path = tmp / "film.dcm"
        ds, _, _ = bp.write(film, path, 0)
        fspec = bp.followup_for(spec, 0, 9000)
        follow = tmp / "follow.dcm"
        bp.write(make_film(fspec), follow, 1)
        earlier = save_reading(reference_reading(film, ds, image_path=str(path)), tmp / "earlier.json")

        def click(lv):
            return [f"{v:.1f}" for v in np.mean(np.array(list(film.points[lv].values())), axis=0)]

        render = benchlib.vfa_cmd("render", path, "-o", tmp / "r.png")
        span = benchlib.vfa_cmd("propose", path, "--span", "T4", *click(Level.T4), "L4",
                                *click(Level.L4), "-o", tmp / "span.json")
        proj, base = _cpu_pair(render, span, args.repeats, env)
        benchlib.target("vfa propose --span T4..L4 (13 levels)", proj, base, 1.5,
                        note="baseline: vfa render of the same film")
        render_f = benchlib.vfa_cmd("render", follow, "-o", tmp / "r2.png")
        carry = benchlib.vfa_cmd("propose", follow, "--from", earlier, "--any-patient", "-o",
                                tmp / "carry.json")
        proj, base = _cpu_pair(render_f, carry, args.repeats, env)
        benchlib.target("vfa propose --from (carry-forward)", proj, base, 2.0,
                        note="baseline: vfa render of the follow-up film")
    print(f"(finished with {benchlib.load_average()})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
