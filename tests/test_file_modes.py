"""Output files follow the umask; a replaced file keeps its mode; secrets stay 0600 (issue 9)."""

from __future__ import annotations

import os
import stat

import pytest

from vfa.atomic import atomic_write_bytes
from vfa.cli import main
from vfa.films.pacs import PacsSettings, save_settings
from vfa.reading.reading import save_reading

from test_sr import _film_and_reading


@pytest.fixture
def umask():
    """Set a umask for the test and restore the previous one."""
    old = os.umask(0o022)
    os.umask(old)
    yield lambda m: os.umask(m)
    os.umask(old)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def _outputs(tmp_path):
    """Every kind of output file, written by the commands a user runs."""
    r, film = _film_and_reading(tmp_path)
    rj = tmp_path / "reading.json"
    save_reading(r, rj)
    out = tmp_path / "out"
    out.mkdir()
    assert main(["render", str(film), "-o", str(out / "film.png"), "--size", "64"]) == 0
    assert main(["export-csv", str(rj), "-o", str(out / "readings.csv")]) == 0
    assert main(["export-sr", str(rj), "-o", str(out / "sr.dcm"), "--image", str(film)]) == 0
    assert main(["report", str(rj), "-o", str(out / "report.pdf")]) == 0
    save_reading(r, out / "saved.json")
    files = sorted(out.iterdir())
    assert {f.suffix for f in files} == {".png", ".csv", ".dcm", ".pdf", ".json"}
    return files


@pytest.mark.parametrize("mask,expected", [(0o022, 0o644), (0o027, 0o640), (0o002, 0o664)])
def test_every_output_kind_follows_the_umask(tmp_path, umask, mask, expected):
    umask(mask)
    for f in _outputs(tmp_path):
        assert mode(f) == expected, (f.name, oct(mode(f)))


def test_a_replaced_file_keeps_its_mode(tmp_path, umask):
    umask(0o077)
    target = tmp_path / "shared.csv"
    target.write_text("old\n")
    os.chmod(target, 0o664)
    atomic_write_bytes(target, b"new\n")
    assert target.read_bytes() == b"new\n" and mode(target) == 0o664


def test_pacs_settings_with_a_password_stay_private(tmp_path, umask):
    umask(0o000)
    p = save_settings(PacsSettings("http://pacs.example:8042/dicom-web", "u", "secret"),
                      tmp_path / "pacs.json")
    assert mode(p) == 0o600
    os.chmod(p, 0o644)  # even when replacing a file someone made readable
    save_settings(PacsSettings("http://pacs.example:8042/dicom-web", "u", "secret2"), p)
    assert mode(p) == 0o600
    assert not [f for f in tmp_path.iterdir() if f.name.startswith(".")]  # no temp file left
