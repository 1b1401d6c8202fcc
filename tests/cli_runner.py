"""Run ``vfa`` in-process: ``vfa.cli.main(argv)`` with stdout/stderr/stdin captured.

Returns a :class:`subprocess.CompletedProcess` like ``subprocess.run(..., text=True)`` would,
so a test reads ``returncode``, ``stdout`` and ``stderr`` the same way either way. Use a real
subprocess (:func:`run_vfa_process`) only where the process boundary is the point (the
``python -m vfa.cli`` entry point, what a fresh interpreter imports); in-process calls are
several times faster and coverage sees them.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys


def run_vfa(*args, cwd=None, input: str | None = None) -> subprocess.CompletedProcess:
    from vfa.cli import main
    argv = [str(a) for a in args]
    out, err = io.StringIO(), io.StringIO()
    old_cwd, old_stdin = os.getcwd(), sys.stdin
    try:
        if cwd is not None:
            os.chdir(cwd)
        sys.stdin = io.StringIO(input or "")
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(argv)
            except SystemExit as exc:  # argparse: usage errors (2), --help/--version (0)
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        sys.stdin = old_stdin
        os.chdir(old_cwd)
    return subprocess.CompletedProcess(["vfa", *argv], code, out.getvalue(), err.getvalue())


def run_vfa_process(*args, cwd=None, input: str | None = None, timeout: float = 180,
                    env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """``python -m vfa.cli ARGS`` as a real subprocess."""
    return subprocess.run([sys.executable, "-m", "vfa.cli", *map(str, args)], input=input,
                          capture_output=True, text=True, timeout=timeout, cwd=cwd, env=env)
