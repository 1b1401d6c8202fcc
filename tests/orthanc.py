"""A private Orthanc (with its DICOMweb plugin) on loopback, for the PACS tests.

The fixtures ``orthanc`` and ``orthanc_auth`` are session-scoped and made available to every
test module by tests/conftest.py, so a test run starts at most one server of each kind per
pytest-xdist worker (Orthanc 1.10 needs 1-3 s to start). Tests share the server: each uploads
studies under its own Patient ID and never relies on the server being empty. Each server has its own configuration and storage in a temporary
folder, listens on free loopback ports only, and is stopped by its process id afterwards.

If the ``Orthanc`` binary or the DICOMweb plugin is missing, or the server does not start,
the tests that need it are skipped with the reason -- unless the environment variable ``CI``
is set: CI installs Orthanc (``apt-get install orthanc orthanc-dicomweb``), so there a
missing server is a failure, not a skip.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

#: Where Debian/Ubuntu's ``orthanc-dicomweb`` puts the plugin (``ORTHANC_DICOMWEB_PLUGIN``
#: overrides it, e.g. for a hand-built Orthanc).
DEFAULT_PLUGIN = "/usr/share/orthanc/plugins/libOrthancDicomWeb.so"
START_TIMEOUT_S = 30.0


class OrthancUnavailable(RuntimeError):
    """Orthanc cannot be started here; the message says why."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (right now)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class OrthancServer:
    """A running private Orthanc. ``dicomweb_url`` is what ``vfa.films.pacs`` is configured with."""

    root: Path
    http_port: int
    process: subprocess.Popen
    users: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def dicomweb_url(self) -> str:
        return f"{self.url}/dicom-web"

    @property
    def log_path(self) -> Path:
        return self.root / "orthanc.log"

    def rest(self, method: str, path: str, body: bytes | None = None) -> object:
        """Call Orthanc's own REST API (for test set-up and checks; returns parsed JSON)."""
        req = urllib.request.Request(self.url + path, data=body, method=method)
        if self.users:
            user, pw = next(iter(self.users.items()))
            token = base64.b64encode(f"{user}:{pw}".encode()).decode()
            req.add_header("Authorization", f"Basic {token}")
        with urllib.request.urlopen(req, timeout=10) as resp:
            data = resp.read()
        return json.loads(data) if data else None

    def clear(self) -> None:
        """Delete every patient (tests that need an empty server call this first)."""
        for pid in self.rest("GET", "/patients") or []:
            self.rest("DELETE", f"/patients/{pid}")

    def stop(self, grace_s: float = 0.5) -> None:
        """Terminate the server by its pid; kill it if it is still there after ``grace_s``.

        A clean Orthanc 1.10 shutdown takes about 3.5 s (its HTTP and DICOM servers poll);
        a test server's storage is thrown away, so the tests do not wait for that.
        """
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=grace_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def _log_tail(path: Path, n: int = 15) -> str:
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return "(no log)"
    return "\n".join(lines[-n:])


def start_orthanc(root: Path, users: dict[str, str] | None = None) -> OrthancServer:
    """Start Orthanc with its config and storage under ``root``; wait until it answers.

    Raises :class:`OrthancUnavailable` (with the reason and the log tail) if it cannot start.
    """
    binary = shutil.which("Orthanc") or shutil.which("orthanc")
    if binary is None:
        raise OrthancUnavailable("the Orthanc binary is not installed "
                                 "(apt-get install orthanc orthanc-dicomweb)")
    plugin = os.environ.get("ORTHANC_DICOMWEB_PLUGIN", DEFAULT_PLUGIN)
    if not Path(plugin).is_file():
        raise OrthancUnavailable(f"the Orthanc DICOMweb plugin is missing ({plugin}; "
                                 "apt-get install orthanc-dicomweb)")
    root.mkdir(parents=True, exist_ok=True)
    last_error = ""
    for _attempt in range(3):  # a free port can be taken between choosing and binding it
        http_port, dicom_port = free_port(), free_port()
        config = {
            "Name": "VFATEST",
            "StorageDirectory": str(root / "db"), "IndexDirectory": str(root / "db"),
            "HttpPort": http_port, "DicomPort": dicom_port,
            "RemoteAccessAllowed": False,
            "AuthenticationEnabled": bool(users),
            "Plugins": [plugin],
            "DicomWeb": {"Enable": True, "Root": "/dicom-web/"},
        }
        if users:
            config["RegisteredUsers"] = dict(users)
        cfg = root / "config.json"
        cfg.write_text(json.dumps(config, indent=2))
        log = open(root / "orthanc.log", "wb")
        try:
            proc = subprocess.Popen([binary, str(cfg)], stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, cwd=root)
        finally:
            log.close()
        server = OrthancServer(root, http_port, proc, dict(users or {}))
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                last_error = (f"Orthanc exited with status {proc.returncode}:\n"
                              f"{_log_tail(server.log_path)}")
                break
            try:
                server.rest("GET", "/system")
                return server
            except urllib.error.HTTPError:
                return server  # it answers (e.g. 401 before credentials): it is up
            except OSError:
                time.sleep(0.1)
        else:
            server.stop()
            raise OrthancUnavailable(f"Orthanc did not answer GET /system within "
                                     f"{START_TIMEOUT_S:.0f} s:\n{_log_tail(server.log_path)}")
    raise OrthancUnavailable(last_error)


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"Orthanc is required on CI: {reason}", pytrace=False)
    pytest.skip(f"no Orthanc: {reason}")


def _server(tmp_path_factory, name: str, users: dict[str, str] | None):
    try:
        server = start_orthanc(tmp_path_factory.mktemp(name), users)
    except OrthancUnavailable as exc:
        _unavailable(str(exc))
    try:
        yield server
    finally:
        server.stop()


#: The user of :func:`orthanc_auth`.
AUTH_USER, AUTH_PASSWORD = "reader", "s3cret-Pa55"


@pytest.fixture(scope="session")
def orthanc(tmp_path_factory):
    """An Orthanc with DICOMweb and no authentication, one per test session (xdist worker)."""
    yield from _server(tmp_path_factory, "orthanc", None)


@pytest.fixture(scope="session")
def orthanc_auth(tmp_path_factory):
    """An Orthanc that requires HTTP basic credentials (:data:`AUTH_USER`/:data:`AUTH_PASSWORD`)."""
    yield from _server(tmp_path_factory, "orthanc-auth", {AUTH_USER: AUTH_PASSWORD})
