"""Adjudication into a consensus reading (domain.md §7) and its exports."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess

import pytest

from readings_factory import make_reading
from test_sr import make_film
from vfa.study.adjudication import (AGREEMENT, CONSENSUS, Adjudication, AdjudicationError, Decision,
                              adjudicate, decided_by)
from vfa.cli import main
from vfa.method.levels import Level, PointSlot, Status
from vfa.method.morphometry import summarize
from vfa.reading.reading import load_reading, save_reading
from vfa.storage.workspace import Workspace

SOP = "1.2.826.0.1.3680043.10.1.77.1"


def _readers():
    """alice and bob read one film. T12: alice 2, bob 0 (fracture); L1: 0 vs 0.5 (concordant);
    L2: 1 vs 3 (grade); T4: bob says not evaluable (evaluability); bob moved T8's points."""
    a = make_reading(sop=SOP, reader="alice")
    b = make_reading(sop=SOP, reader="bob", heights={"T8": (96.0, 98.0, 100.0)})
    a.set_reader_grade("T12", 2)
    b.set_reader_grade("T12", 0)
    b.set_reader_grade("L1", 0.5)
    a.set_reader_grade("L2", 1)
    b.set_reader_grade("L2", 3)
    b.set_status("T4", "not_evaluable", "scapula")
    return a, b


def test_discordant_levels_and_consensus():
    a, b = _readers()
    adj = Adjudication(a, b, "carol")
    assert {p.level.value: p.discordance for p in adj.discordant} == {
        "T4": "evaluability", "T12": "fracture", "L2": "grade"}
    with pytest.raises(AdjudicationError, match=r"3 discordant level\(s\).*T12 \(alice 2, bob 0\)"):
        adj.consensus()
    with pytest.raises(AdjudicationError, match="L1 is not discordant"):
        adj.decide(Decision.parse("L1", 0))
    adj.decide(Decision.parse("T12", 0))                 # bob's grade -> bob's points
    adj.decide(Decision.parse("L2", 2, points_from="A"))
    adj.decide(Decision.parse("T4", "not_evaluable", reason="scapula over T4"))
    c = adj.consensus()
    assert c.reader == CONSENSUS and c.sop_instance_uid == SOP
    assert c.extra["adjudication"]["readers"] == ["alice", "bob"]
    assert c.extra["adjudication"]["adjudicator"] == "carol"
    # concordant levels: the first reader's points and the agreed grade, decided by agreement
    assert decided_by(c.get("T8")) == AGREEMENT
    assert c.get("T8").points == a.get("T8").points != b.get("T8").points
    assert c.get("L1").reader_grade == 0 and decided_by(c.get("L1")) == AGREEMENT
    # discordant: the adjudicator's decisions
    assert c.get("T12").reader_grade == 0 and decided_by(c.get("T12")) == "carol"
    assert c.get("T12").points == b.get("T12").points
    assert c.get("L2").reader_grade == 2 and c.get("L2").points == a.get("L2").points
    assert c.get("T4").status is Status.NOT_EVALUABLE and c.get("T4").reason == "scapula over T4"
    s = summarize(c)
    assert s.sdi == 2 and s.not_evaluable == 1
    # the readers' own readings are untouched
    assert a.get("T12").reader_grade == 2 and "decided_by" not in a.get("T12").extra


def test_decided_by_round_trips_through_reading_json(tmp_path):
    a, b = _readers()
    c = adjudicate(a, b, "carol", [Decision.parse("T12", 2), Decision.parse("L2", 3, "B"),
                                   Decision.parse("T4", 0, "A")])
    save_reading(c, tmp_path / "c.json")
    data = json.loads((tmp_path / "c.json").read_text())
    by = {v["level"]: v.get("decided_by") for v in data["vertebrae"]}
    assert by["T12"] == "carol" and by["T5"] == "agreement" and by["T4"] == "carol"
    back = load_reading(tmp_path / "c.json")
    assert decided_by(back.get("T12")) == "carol" and back.reader == "consensus"
    assert back.get("T4").status is Status.EVALUABLE and back.get("T4").reader_grade == 0
    assert back.get("T4").points == a.get("T4").points  # bob had no T4: alice's points
    assert back.to_dict()["vertebrae"] == c.to_dict()["vertebrae"]


def test_adjudication_refuses_mismatched_readings():
    a, _ = _readers()
    other = make_reading(sop="9.9", reader="bob")
    with pytest.raises(AdjudicationError, match="not of the same film"):
        Adjudication(a, other, "carol")
    with pytest.raises(AdjudicationError, match="both readings are by alice"):
        Adjudication(a, make_reading(sop=SOP, reader="alice"), "carol")
    with pytest.raises(AdjudicationError, match="name the adjudicator"):
        Adjudication(a, _readers()[1], "agreement")
    with pytest.raises(AdjudicationError, match="grade must be"):
        Decision.parse("T12", "seven")


# --------------------------------------------------------------------------- command line
def test_cli_adjudicate_files(tmp_path, capsys):
    a, b = _readers()
    save_reading(a, tmp_path / "a.json")
    save_reading(b, tmp_path / "b.json")
    args = ["adjudicate", str(tmp_path / "a.json"), str(tmp_path / "b.json"), "--adjudicator", "carol"]
    assert main(args + ["--list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [r["level"] for r in listed] == ["T4", "T12", "L2"]
    out = tmp_path / "consensus.json"
    assert main(args + ["-o", str(out), "--level", "T12", "--grade", "2"]) == 1
    err = capsys.readouterr().err
    assert "2 discordant level(s) need the adjudicator's decision: T4 (alice 0, bob not evaluable)" in err
    assert not out.exists()
    assert main(args + ["-o", str(out), "--level", "T12", "--grade", "2", "--level", "L2",
                        "--grade", "3", "--points-from", "B", "--level", "T4", "--grade",
                        "not_evaluable", "--points-from", "A", "--reason", "scapula"]) == 0
    c = load_reading(out)
    assert c.get("L2").points == b.get("L2").points and c.get("L2").reader_grade == 3
    assert c.get("T4").status is Status.NOT_EVALUABLE and c.get("T4").reason == "scapula"


def test_cli_adjudicate_workspace_with_decisions_file(tmp_path, capsys):
    a, b = _readers()
    a2 = make_reading(sop="5.5.5", reader="alice", patient_id="P2")
    b2 = make_reading(sop="5.5.5", reader="bob", patient_id="P2")
    ws = Workspace(tmp_path / "ws")
    for r in (a, b, a2, b2):
        ws.save(r)
    ws.close()
    dec = tmp_path / "decisions.json"
    dec.write_text(json.dumps({"adjudicator": "carol", "decisions": [
        {"sop_instance_uid": SOP, "level": "T12", "grade": 2},
        {"sop_instance_uid": SOP, "level": "L2", "grade": 2, "points_from": "bob"}]}))
    assert main(["adjudicate", "--workspace", str(tmp_path / "ws"), "--decisions", str(dec)]) == 1
    err = capsys.readouterr().err
    assert "consensus saved for 1 film(s); 1 film(s) still need decisions" in err and "T4" in err
    data = json.loads(dec.read_text())
    data["decisions"].append({"sop_instance_uid": SOP, "level": "T4", "status": "not_evaluable",
                              "reason": "scapula"})
    dec.write_text(json.dumps(data))
    assert main(["adjudicate", "--workspace", str(tmp_path / "ws"), "--decisions", str(dec)]) == 0
    ws = Workspace(tmp_path / "ws")
    try:
        c = ws.load(SOP, reader="consensus")
        assert c is not None and decided_by(c.get("L2")) == "carol"
        assert c.get("L2").points == b.get("L2").points
        assert ws.load("5.5.5", reader="consensus") is not None
    finally:
        ws.close()
    # agreement ignores the consensus reader by default
    assert main(["agreement", "--workspace", str(tmp_path / "ws"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["readers"] == ["alice", "bob"]


def test_exports_take_the_consensus_reading(tmp_path, capsys):
    a, b = _readers()
    c = adjudicate(a, b, "carol", [Decision.parse("T12", 2), Decision.parse("L2", 3, "B"),
                                   Decision.parse("T4", 0, "A")])
    film = tmp_path / "film.dcm"
    make_film(film, c)
    c.image_path = "film.dcm"
    save_reading(c, tmp_path / "c.json")
    # CSV: a decided_by column
    assert main(["export-csv", str(tmp_path / "c.json"), "-o", str(tmp_path / "c.csv")]) == 0
    rows = list(csv.DictReader(open(tmp_path / "c.csv", encoding="utf-8")))
    by = {r["level"]: (r["reader"], r["decided_by"], r["final_grade"]) for r in rows}
    assert by["T12"] == ("consensus", "carol", "2") and by["T5"] == ("consensus", "agreement", "0")
    # SR: a normal reading, the consensus as observer
    assert main(["export-sr", str(tmp_path / "c.json"), "-o", str(tmp_path / "c.dcm"),
                 "--image", str(film)]) == 0
    assert main(["import-sr", str(tmp_path / "c.dcm"), "-o", str(tmp_path / "back.json")]) == 0
    back = load_reading(tmp_path / "back.json")
    assert back.reader == "consensus" and back.get("T12").reader_grade == 2
    # ... and who decided each level travels in the SR (99VFA DECIDED-BY) and comes back
    assert {lv.value: decided_by(back.get(lv)) for lv in c.vertebrae} == \
        {lv.value: decided_by(c.get(lv)) for lv in c.vertebrae}
    assert decided_by(back.get("T12")) == "carol" and decided_by(back.get("T5")) == AGREEMENT
    # PDF: who decided, per level
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    assert main(["report", str(tmp_path / "c.json"), "-o", str(tmp_path / "c.pdf")]) == 0
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "c.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    assert "Consensus of alice and bob, adjudicated by carol" in text
    assert "decided by carol" in text and "agreed" in text


def test_adjudication_queue_lists_films_with_discordant_levels(tmp_path):
    from vfa.study.adjudication import adjudication_queue
    a, b = _readers()
    a2 = make_reading(sop="5.5.5", reader="alice", patient_id="P2")
    b2 = make_reading(sop="5.5.5", reader="bob", patient_id="P2")   # concordant film
    ws = Workspace(tmp_path / "ws")
    try:
        for r in (a, b, a2, b2):
            ws.save(r)
        q = adjudication_queue(ws, "carol")
        assert [x.a.sop_instance_uid for x in q] == [SOP]
        assert [p.level.value for p in q[0].undecided] == ["T4", "T12", "L2"]
    finally:
        ws.close()


def test_consensus_sr_carries_decided_by_as_text_and_stays_valid(tmp_path):
    """Each vertebra group of a consensus SR has a TEXT 99VFA DECIDED-BY; dciodvfy stays clean;
    an ordinary reading's SR has none."""
    import pydicom

    from vfa.outputs import sr
    a, b = _readers()
    c = adjudicate(a, b, "carol", [Decision.parse("T12", 2), Decision.parse("L2", 3, "B"),
                                   Decision.parse("T4", 0, "A")])
    film = tmp_path / "film.dcm"
    make_film(film, c)

    def decided(path):
        found = {}
        groups = pydicom.dcmread(path).ContentSequence[-1].ContentSequence
        for g in groups:
            items = g.ContentSequence
            level = next((str(i.TextValue) for i in items
                          if i.ConceptNameCodeSequence[0].CodeValue == "112039"), None)
            for i in items:
                code = i.ConceptNameCodeSequence[0]
                if code.CodingSchemeDesignator == "99VFA" and code.CodeValue == "DECIDED-BY":
                    assert i.ValueType == "TEXT" and i.RelationshipType == "CONTAINS"
                    found[level] = str(i.TextValue)
        return found

    out = sr.export_sr(c, tmp_path / "c.dcm", image=film)
    by = decided(out)
    assert by["T12"] == "carol" and by["L2"] == "carol" and by["T5"] == AGREEMENT
    assert by == {lv.value: decided_by(c.get(lv)) for lv in c.vertebrae}
    assert decided(sr.export_sr(a, tmp_path / "a.dcm", image=film)) == {}
    if shutil.which("dciodvfy") is None:
        pytest.skip("dciodvfy (Debian package dicom3tools) is not installed; CI installs it")
    p = subprocess.run(["dciodvfy", str(out)], capture_output=True, timeout=120)
    text = (p.stdout + p.stderr).decode("utf-8", errors="replace")
    assert not [l for l in text.splitlines() if l.startswith("Error")], text
    warnings = [l for l in text.splitlines() if l.startswith("Warning")]
    assert not [w for w in warnings if "99VFA" not in w and sr.SCHEME_UID not in w], text
