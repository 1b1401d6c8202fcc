"""The install is what the lock says: setup.cfg and requirements.lock agree, the venv holds the
pinned versions, the command line never imports Qt, and the wheel and sdist install into a
clean venv and run ``vfa grade`` / ``vfa report`` on the samples with no repository around."""

from __future__ import annotations

import configparser
import importlib.metadata as md
import os
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements.lock"
#: the extras ./run installs into .venv (the others, e.g. bundle, are installed on demand)
RUN_EXTRAS = ("viewer", "test", "bench", "postgresql")


def _requirements() -> dict[str, list[Requirement]]:
    """setup.cfg's requirements by extra ('' = install_requires)."""
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg", encoding="utf-8")
    out: dict[str, list[Requirement]] = {}

    def parse(text: str) -> list[Requirement]:
        return [Requirement(line.strip()) for line in text.splitlines()
                if line.strip() and not line.strip().startswith("#")]

    out[""] = parse(cfg["options"]["install_requires"])
    for extra, text in cfg["options.extras_require"].items():
        out[extra] = parse(text)
    return out


def _lock() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in LOCK.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        assert "==" in line and not line.startswith("-"), f"requirements.lock: not a pin: {line!r}"
        name, version = line.split("==", 1)
        pins[canonicalize_name(name.split("[", 1)[0])] = version.split(";", 1)[0].strip()
    return pins


def test_every_requirement_of_every_extra_is_pinned_in_the_lock():
    pins = _lock()
    problems = []
    for extra, reqs in _requirements().items():
        for req in reqs:
            name = canonicalize_name(req.name)
            if name not in pins:
                problems.append(f"{req} ({extra or 'install_requires'}) is not in requirements.lock")
            elif not req.specifier.contains(pins[name], prereleases=True):
                problems.append(f"{req} ({extra or 'install_requires'}): the lock pins {pins[name]}")
    assert not problems, "run ./run lock:\n" + "\n".join(problems)


def test_the_venv_holds_the_locked_versions():
    pins = _lock()
    reqs = _requirements()
    problems = []
    for extra in ("",) + RUN_EXTRAS:
        for req in reqs[extra]:
            name = canonicalize_name(req.name)
            try:
                have = md.version(req.name)
            except md.PackageNotFoundError:
                problems.append(f"{req.name} is not installed")
                continue
            if have != pins.get(name):
                problems.append(f"{req.name} {have} installed, the lock pins {pins.get(name)}")
    assert not problems, "reinstall with ./run (pip install -c requirements.lock ...):\n" + "\n".join(problems)


def test_the_command_line_never_imports_qt(tmp_path):
    """`vfa grade` and `vfa report` with PyQt6 made unimportable (as after `pip install vfa`)."""
    ref = ROOT / "sample_dicoms" / "reference" / "adult01_2023-04-18.json"
    code = ("import sys; sys.modules['PyQt6'] = None\n"
            "from vfa.cli import main\n"
            f"rc = main(['grade', {str(ref)!r}])\n"
            f"rc = rc or main(['report', {str(ref)!r}, '-o', {str(tmp_path / 'r.pdf')!r}])\n"
            "assert not any(m.startswith(('PyQt6', 'ui')) for m in sys.modules if sys.modules[m]), 'Qt imported'\n"
            "sys.exit(rc)\n")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                         env={**os.environ, "VFA_WORKSPACE": str(tmp_path / "ws")}, timeout=120)
    assert res.returncode == 0, res.stderr
    assert "L1" in res.stdout and (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF")


def _venv_python(where: Path) -> Path:
    venv.EnvBuilder(with_pip=True).create(where)
    return where / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


@pytest.mark.timeout(600)
def test_wheel_and_sdist_install_into_a_clean_venv_and_grade_the_samples(tmp_path):
    dist = tmp_path / "dist"
    src = tmp_path / "src"
    # build from a copy of the tracked sources (no .venv, no build/ left in the checkout)
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for rel in filter(None, files.decode().split("\0")):
        if (ROOT / rel).is_file():
            (src / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, src / rel)
    res = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(dist), str(src)],
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    wheel = next(dist.glob("vfa-*.whl"))
    sdist = next(dist.glob("vfa-*.tar.gz"))
    names = zipfile.ZipFile(wheel).namelist()
    for data in ("vfa/storage/migrations/alembic.ini", "vfa/storage/migrations/script.py.mako"):
        assert data in names, f"{data} missing from the wheel"
    assert any(n.startswith("vfa/storage/migrations/versions/") for n in names)

    samples = tmp_path / "elsewhere" / "sample_dicoms"
    shutil.copytree(ROOT / "sample_dicoms", samples)
    ref = samples / "reference" / "child01_2024-03-12.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["VFA_WORKSPACE"] = str(tmp_path / "ws")
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    py = _venv_python(tmp_path / "venv")
    for artefact in (wheel, sdist):
        # the wheel with its dependencies (from pip's cache where it has them); then the sdist
        # over it, built and installed by pip, with the dependencies already in place
        extra = [] if artefact == wheel else ["--force-reinstall", "--no-deps"]
        res = subprocess.run([str(py), "-m", "pip", "install", "-q", "-c", str(LOCK), *extra, str(artefact)],
                             capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600)
        assert res.returncode == 0, res.stderr[-3000:]
        vfa = py.parent / ("vfa.exe" if os.name == "nt" else "vfa")
        grade = subprocess.run([str(vfa), "grade", str(ref)], capture_output=True, text=True, env=env,
                               cwd=samples.parent, timeout=120)
        assert grade.returncode == 0, grade.stderr
        assert "T7" in grade.stdout and "L1" in grade.stdout
        pdf = tmp_path / f"report-{artefact.suffix}.pdf"
        rep = subprocess.run([str(vfa), "report", str(ref), "-o", str(pdf)], capture_output=True, text=True,
                             env=env, cwd=samples.parent, timeout=120)
        assert rep.returncode == 0, rep.stderr
        assert pdf.read_bytes().startswith(b"%PDF")
        show = subprocess.run([str(py), "-m", "pip", "show", "PyQt6"], capture_output=True, text=True, env=env)
        assert show.returncode != 0 and "not found" in (show.stderr + show.stdout).lower()
        # the installed package, not a checkout, answered
        where = subprocess.run([str(py), "-c", "import vfa; print(vfa.__file__)"], capture_output=True,
                               text=True, env=env, cwd=tmp_path)
        assert str(ROOT) not in where.stdout and "site-packages" in where.stdout
