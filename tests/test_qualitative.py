"""The reader's qualitative fields per vertebra: endplate depression, ABQ, downgrade reason."""

from __future__ import annotations

import csv
import json

import pytest

from vfa.outputs import sr
from vfa.cli import main
from vfa.errors import ReadingFormatError
from vfa.method.morphometry import summarize
from vfa.method.qualitative import Abq, DowngradeReason, EndplateDepression, abq_fracture, next_in, ABQ_CYCLE
from vfa.reading.reading import Reading, load_reading, save_reading
from readings_factory import Level, make_reading


def observed() -> Reading:
    r = make_reading({"T12": (70.0, 95.0, 100.0), "T7": (78.0, 100.0, 100.0)})
    r.set_abq("T12", "fracture")
    r.set_endplate_depression("T12", "superior")
    r.set_abq("T7", Abq.NON_FRACTURE_DEFORMITY)
    r.set_endplate_depression("T7", "none")
    r.set_reader_grade("T7", 0)
    r.set_downgrade_reason("T7", "other", "  healed apophysitis ")
    r.set_abq("L2", "normal")
    return r


def test_set_methods_emit_validate_and_round_trip(tmp_path):
    r = make_reading()
    events = []
    r.events.connect(events.append)
    r.set_abq("T8", "fracture")
    r.set_endplate_depression("T8", "both")
    r.set_downgrade_reason("T8", "schmorl_node")
    assert [(e.kind, str(e.level)) for e in events] == [("qualitative", "T8")] * 3
    with pytest.raises(ValueError, match="abq 'broken' is not one of normal, non_fracture_deformity"):
        r.set_abq("T8", "broken")
    with pytest.raises(ValueError, match="downgrade_reason"):
        r.set_downgrade_reason("T8", "osteophyte")
    p = save_reading(r, tmp_path / "r.json")
    raw = json.loads(p.read_text())
    t8 = next(v for v in raw["vertebrae"] if v["level"] == "T8")
    assert (t8["abq"], t8["endplate_depression"], t8["downgrade_reason"]) == ("fracture", "both", "schmorl_node")
    assert "downgrade_text" not in t8
    t9 = next(v for v in raw["vertebrae"] if v["level"] == "T9")
    assert not set(t9) & {"abq", "endplate_depression", "downgrade_reason"}  # absent when unset
    back = load_reading(p)
    v = back.get("T8")
    assert (v.abq, v.endplate_depression, v.downgrade_reason) == (
        Abq.FRACTURE, EndplateDepression.BOTH, DowngradeReason.SCHMORL_NODE)
    # Clearing the reason clears its text too.
    r.set_downgrade_reason("T7", "other", "x")
    r.set_downgrade_reason("T7", None, "ignored")
    assert r.get("T7").downgrade_text is None and r.get("T7").downgrade_reason is None


def test_bad_values_in_a_file_name_the_field(tmp_path):
    d = make_reading().to_dict()
    d["vertebrae"][2]["abq"] = "maybe"
    with pytest.raises(ReadingFormatError, match=r"vertebrae\[2\] \(T6\)\.abq is 'maybe': expected one of"):
        Reading.from_dict(d)
    d["vertebrae"][2]["abq"] = 3
    with pytest.raises(ReadingFormatError, match=r"vertebrae\[2\] \(T6\)\.abq is 3: expected one of"):
        Reading.from_dict(d)


def test_qualitative_fields_never_change_the_grade():
    plain = make_reading({"T12": (70.0, 95.0, 100.0), "T7": (78.0, 100.0, 100.0)})
    r = observed()
    r.set_reader_grade("T7", None)
    a = {x.level: (x.grade, x.type, x.percent) for x in summarize(plain).results}
    b = {x.level: (x.grade, x.type, x.percent) for x in summarize(r).results}
    assert a == b
    r.set_abq("T9", "fracture")  # an ABQ fracture on a normal shape stays grade 0
    assert summarize(r).results[5].grade == 0


def test_abq_fracture_for_agreement():
    r = observed()
    assert abq_fracture(r.get("T12")) is True
    assert abq_fracture(r.get("T7")) is False
    assert abq_fracture(r.get("L2")) is False
    assert abq_fracture(r.get("T9")) is None
    assert next_in(ABQ_CYCLE, None) is Abq.NORMAL and next_in(ABQ_CYCLE, Abq.FRACTURE) is None


def test_grade_csv_pdf_and_sr_show_them(tmp_path, capsys):
    r = observed()
    p = save_reading(r, tmp_path / "r.json")
    assert main(["grade", str(p), "--json"]) == 0
    rows = {v["level"]: v for v in json.loads(capsys.readouterr().out)["vertebrae"]}
    assert rows["T12"]["abq"] == "fracture" and rows["T12"]["endplate_depression"] == "superior"
    assert rows["T7"]["downgrade_reason"] == "other" and rows["T7"]["downgrade_text"] == "healed apophysitis"
    assert rows["T9"]["abq"] is None
    assert main(["grade", str(p)]) == 0
    text = capsys.readouterr().out
    assert "T7    ABQ non-fracture deformity; endplate none; downgraded: other (healed apophysitis)" in text
    assert "T12   ABQ fracture; endplate superior" in text

    from vfa.outputs.export_csv import export_csv
    out, _, _, _ = export_csv([r], tmp_path / "o.csv")
    by = {row["level"]: row for row in csv.DictReader(out.open(encoding="utf-8"))}
    assert by["T12"]["abq"] == "fracture" and by["T12"]["endplate_depression"] == "superior"
    assert by["T7"]["downgrade_reason"] == "other" and by["T7"]["downgrade_text"] == "healed apophysitis"
    assert by["T9"]["abq"] == ""

    from test_report import pdftotext_pages
    from vfa.outputs.report_pdf import VisitInput, write_report
    pdf = write_report([VisitInput(r)], tmp_path / "r.pdf")
    text = "\n".join(pdftotext_pages(pdf))
    t12 = [line for line in text.splitlines() if line.strip()]
    i = next(n for n, line in enumerate(t12) if line.startswith("T12 "))
    assert t12[i - 1].strip() == "ABQ fracture;" and t12[i + 1].strip() == "endplate superior"
    assert "L2 " in text and "ABQ normal" in text and "downgraded:" in text

    from test_sr import make_film
    make_film(tmp_path / "f.dcm", r)
    r.image_path = str(tmp_path / "f.dcm")
    srp = sr.export_sr(r, tmp_path / "sr.dcm")
    back = sr.import_sr(srp)
    for lv in ("T7", "T12", "L2"):
        a, b = r.get(lv), back.get(lv)
        assert (a.abq, a.endplate_depression, a.downgrade_reason, a.downgrade_text) == (
            b.abq, b.endplate_depression, b.downgrade_reason, b.downgrade_text)


def test_session_records_observations_as_undo_steps():
    from vfa.reading.session import ReadingSession
    r = make_reading()
    s = ReadingSession(None, r)
    assert s.set_qualitative(Level.T8, "abq", "fracture")
    assert s.set_qualitative(Level.T8, "downgrade_reason", "other", "old trauma")
    assert r.get("T8").abq is Abq.FRACTURE and r.get("T8").downgrade_text == "old trauma"
    assert s.modified
    s.undo()
    assert r.get("T8").downgrade_reason is None and r.get("T8").abq is Abq.FRACTURE
    assert not s.set_qualitative(Level.T8, "abq", "maybe")          # refused, nothing changed
    assert r.get("T8").abq is Abq.FRACTURE
