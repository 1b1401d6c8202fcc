"""A private PostgreSQL server on loopback, for the shared-index tests.

``from postgres import postgres`` gives a session-scoped fixture: one server per test session,
``initdb`` into a fresh temporary folder, started with ``pg_ctl -l LOGFILE`` (so the server
does not hold the test's pipes) on a free loopback port with trust authentication for the
local user only, and stopped (``pg_ctl stop -m immediate``) at the end. Each test makes its
own database with :meth:`PostgresServer.new_database`.

PostgreSQL refuses to run as root: under root the server runs as the ``postgres`` user of
the Debian package (else ``nobody``) through ``runuser``, in a folder owned by that user.

If the binaries (Debian ``postgresql``) or psycopg are missing, or the server does not start,
the tests are skipped with the reason -- unless ``CI`` is set (CI installs them: ``./run``),
where that is a failure, like the Orthanc tests.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

START_TIMEOUT_S = 60


class PostgresUnavailable(RuntimeError):
    pass


def _bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    cands = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return cands[-1] if cands else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class PostgresServer:
    root: Path
    port: int
    user: str          # the database superuser (trust auth on loopback)
    run_as: str | None  # the OS user the server runs as (None: ourselves)

    @property
    def log_path(self) -> Path:
        return self.root / "postgres.log"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A fresh, empty database; returns its SQLAlchemy URL."""
        import psycopg
        name = "vfa_" + uuid.uuid4().hex[:12]
        with psycopg.connect(host="127.0.0.1", port=self.port, user=self.user,
                             dbname="postgres", autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        _run(self.run_as, [_bin("pg_ctl") or "pg_ctl", "-D", str(self.root / "data"),
                           "-m", "immediate", "-w", "stop"], check=False)


def _run(run_as: str | None, cmd: list[str], check: bool = True) -> subprocess.CompletedProcess:
    if run_as:
        cmd = ["runuser", "-u", run_as, "--"] + cmd
    return subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=120, check=check)


def _tail(path: Path, n: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return "(no log)"


def start_postgres() -> PostgresServer:
    initdb, pg_ctl = _bin("initdb"), _bin("pg_ctl")
    if not initdb or not pg_ctl:
        raise PostgresUnavailable("PostgreSQL is not installed (apt-get install postgresql)")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        raise PostgresUnavailable("psycopg is not installed (pip install -e '.[postgresql]')") from None
    run_as = None
    if os.geteuid() == 0:
        for cand in ("postgres", "nobody"):
            try:
                pw = pwd.getpwnam(cand)
            except KeyError:
                continue
            run_as = cand
            break
        if run_as is None or shutil.which("runuser") is None:
            raise PostgresUnavailable("running as root without a 'postgres' user or runuser")
    root = Path(tempfile.mkdtemp(prefix="vfa-pg-"))
    if run_as:
        os.chown(root, pw.pw_uid, pw.pw_gid)
    user = "vfa_test"
    r = _run(run_as, [initdb, "-D", str(root / "data"), "-U", user, "--auth=trust",
                      "-E", "UTF8", "--no-locale", "--no-sync"], check=False)
    if r.returncode != 0:
        shutil.rmtree(root, ignore_errors=True)
        raise PostgresUnavailable(f"initdb failed: {r.stderr.strip()[-500:]}")
    last = ""
    for _attempt in range(3):
        port = _free_port()
        server = PostgresServer(root, port, user, run_as)
        opts = (f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync=off "
                "-c max_connections=40")
        r = _run(run_as, [pg_ctl, "-D", str(root / "data"), "-l", str(server.log_path),
                          "-o", opts, "-w", "-t", str(START_TIMEOUT_S), "start"], check=False)
        if r.returncode == 0:
            return server
        last = f"pg_ctl start failed: {r.stderr.strip()[-300:]}\n{_tail(server.log_path)}"
        server.stop()
        time.sleep(0.2)
    shutil.rmtree(root, ignore_errors=True)
    raise PostgresUnavailable(last)


@pytest.fixture(scope="session")
def postgres():
    try:
        server = start_postgres()
    except PostgresUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required on CI: {exc}", pytrace=False)
        pytest.skip(f"no PostgreSQL: {exc}")
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.root, ignore_errors=True)
