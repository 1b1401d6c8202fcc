"""Exit statuses that tell the truth, and reading files that find their films from anywhere
(issue 9): scan, report --allow-missing-images, image_path relative to the reading file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from vfa.cli import main
from vfa.reading.reading import load_reading, resolve_image_path, save_reading

from test_sr import _film_and_reading

REPO = Path(__file__).resolve().parent.parent


def one_line(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


# ---- scan ----------------------------------------------------------------------------
def test_scan_missing_path_is_an_error(tmp_path, capsys):
    missing = tmp_path / "not-mounted"
    assert main(["scan", str(missing)]) == 1
    line = one_line(capsys.readouterr().err)
    assert str(missing) in line and "no such file or folder" in line


def test_scan_nothing_found_says_what_was_looked_for(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / "blob.bin").write_bytes(b"not dicom")
    assert main(["scan", str(tmp_path)]) == 1
    cap = capsys.readouterr()
    line = one_line(cap.err)
    assert f"no DICOM films found in {tmp_path}" in line
    assert "looked for DICOM image files" in line and "DICOMDIR" in line
    assert "1 file(s) examined" in line and "1 skipped by extension" in line


def test_scan_empty_folder_json_still_prints_json(tmp_path, capsys):
    assert main(["scan", str(tmp_path), "--json"]) == 1
    cap = capsys.readouterr()
    assert json.loads(cap.out)["films"] == []
    assert "no DICOM films found" in one_line(cap.err)


def test_scan_with_films_exits_0(tmp_path, capsys):
    _film_and_reading(tmp_path)
    assert main(["scan", str(tmp_path)]) == 0
    assert "1 film(s)" in capsys.readouterr().out


# ---- report with missing films -------------------------------------------------------
@pytest.fixture
def moved(tmp_path):
    """A reading whose film has been moved away."""
    r, film = _film_and_reading(tmp_path)
    rj = tmp_path / "r.json"
    save_reading(r, rj)
    film.rename(tmp_path / "elsewhere.dcm")
    return rj


def test_report_with_missing_film_fails_and_writes_nothing(moved, tmp_path, capsys):
    out = tmp_path / "report.pdf"
    assert main(["report", str(moved), "-o", str(out)]) == 1
    line = one_line(capsys.readouterr().err)
    assert "1 film(s) not found" in line and "film.dcm" in line and "--allow-missing-images" in line
    assert not out.exists()


def test_report_allow_missing_images(moved, tmp_path, capsys):
    out = tmp_path / "report.pdf"
    assert main(["report", str(moved), "-o", str(out), "--allow-missing-images"]) == 0
    assert out.read_bytes()[:5] == b"%PDF-"
    assert "1 film(s) not found" in capsys.readouterr().err


# ---- image_path relative to the reading file -----------------------------------------
@pytest.fixture
def project(tmp_path):
    """proj/films/film.dcm and proj/readings/new.json (relative to itself) and old.json
    (relative to the project root, the older form)."""
    films = tmp_path / "proj" / "films"
    films.mkdir(parents=True)
    r, film = _film_and_reading(films)
    readings = tmp_path / "proj" / "readings"
    readings.mkdir()
    r.image_path = "../films/film.dcm"
    save_reading(r, readings / "new.json")
    data = json.loads((readings / "new.json").read_text())
    data["image_path"] = "films/film.dcm"
    (readings / "old.json").write_text(json.dumps(data))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    return tmp_path / "proj", film, elsewhere


@pytest.mark.parametrize("name", ["new.json", "old.json"])
def test_relative_image_path_found_from_any_folder(project, name, monkeypatch, capsys):
    root, film, elsewhere = project
    monkeypatch.chdir(elsewhere)
    reading = root / "readings" / name
    assert resolve_image_path(load_reading(reading)).resolve() == film.resolve()
    assert main(["export-sr", str(reading), "-o", str(elsewhere / "sr.dcm")]) == 0
    assert main(["report", str(reading), "-o", str(elsewhere / "r.pdf")]) == 0
    assert "not found" not in capsys.readouterr().err


def test_saving_elsewhere_rewrites_the_relative_path(project, tmp_path):
    root, film, _ = project
    r = load_reading(root / "readings" / "new.json")
    out = tmp_path / "archive" / "2024" / "copy.json"
    save_reading(r, out)
    stored = json.loads(out.read_text())["image_path"]
    assert not Path(stored).is_absolute()
    assert (out.parent / stored).resolve() == film.resolve()
    assert resolve_image_path(load_reading(out)).resolve() == film.resolve()


def test_bundled_references_find_their_films_from_any_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    refs = sorted((REPO / "sample_dicoms" / "reference").glob("*.json"))
    assert refs
    for ref in refs:
        r = load_reading(ref)
        assert r.image_path.startswith("../"), r.image_path
        assert resolve_image_path(r) is not None, ref.name
    copy = tmp_path / "samples"
    shutil.copytree(REPO / "sample_dicoms", copy)  # a copied sample folder works too
    ref = sorted((copy / "reference").glob("adult01_*.json"))[0]
    assert main(["export-sr", str(ref), "-o", str(tmp_path / "sr.dcm")]) == 0
