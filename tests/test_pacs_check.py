"""`vfa pacs configure ... --check` saves nothing when the check fails (issue 9), against a
real Orthanc with authentication on loopback (tests/orthanc.py)."""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path

from vfa.cli import main

from orthanc import AUTH_PASSWORD, AUTH_USER, free_port, orthanc_auth  # noqa: F401


def configure(monkeypatch, *args, password=None):
    if password is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    return main(["pacs", "configure", *map(str, args)])


def one_line(err):
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def test_failed_check_saves_nothing(orthanc_auth, monkeypatch, capsys):  # noqa: F811
    settings = Path(os.environ["VFA_PACS_SETTINGS"])
    url = orthanc_auth.dicomweb_url
    wrong = "Wr0ng-" + AUTH_PASSWORD
    # first configuration with a wrong password: refused, no file
    assert configure(monkeypatch, "--url", url, "--user", AUTH_USER, "--password-stdin",
                     "--check", password=wrong) == 1
    line = one_line(capsys.readouterr().err)
    assert "nothing was saved" in line and wrong not in line
    assert not settings.exists()
    # the right password: checked, then saved (0600)
    assert configure(monkeypatch, "--url", url, "--user", AUTH_USER, "--password-stdin",
                     "--check", password=AUTH_PASSWORD) == 0
    assert "the server answers" in capsys.readouterr().out
    good = settings.read_bytes()
    assert stat.S_IMODE(settings.stat().st_mode) == 0o600
    # changing to a wrong password: refused, the good settings stay byte for byte
    assert configure(monkeypatch, "--user", AUTH_USER, "--password-stdin", "--check",
                     password=wrong) == 1
    line = one_line(capsys.readouterr().err)
    assert "nothing was saved" in line and "unchanged" in line
    assert settings.read_bytes() == good
    # a server that does not answer: refused too
    dead = f"http://127.0.0.1:{free_port()}/dicom-web"
    assert configure(monkeypatch, "--url", dead, "--check") == 1
    assert "nothing was saved" in one_line(capsys.readouterr().err)
    assert settings.read_bytes() == good
    # without --check the settings are saved as given (the user asked for no check)
    assert configure(monkeypatch, "--url", dead) == 0
    assert dead.encode() in settings.read_bytes()
