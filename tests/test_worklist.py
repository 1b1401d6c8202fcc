"""Reading lists: assignment in a shuffled recorded order, progress, reading-list files."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from postgres import postgres  # noqa: F401 - fixture
from readings_factory import make_reading
from vfa.cli import main
from vfa.storage.workspace import Workspace
from vfa.reading.worklist import (WorklistError, assign, load_reading_list, plan, progress, reading_list,
                          save_reading_list)


def _films(ws, n=6):
    sops = []
    for i in range(n):
        r = make_reading(patient_id=f"P{i % 3}", date=dt.date(2020 + i // 3, 1, 1 + i),
                         sop=f"1.2.826.0.1.3680043.10.7.{i}", reader="nobody")
        ws.register_identity(r, f"/films/{i}.dcm")
        sops.append(r.sop_instance_uid)
    return sops


def _reading_of(sop, reader):
    """A reading of film ``sop`` of :func:`_films`, with that film's identity."""
    i = int(sop.rsplit(".", 1)[1])
    return make_reading(patient_id=f"P{i % 3}", date=dt.date(2020 + i // 3, 1, 1 + i), sop=sop,
                        reader=reader)


def test_plan_is_reproducible_shuffled_per_reader_with_shared_labels():
    films = [f"1.2.{i}" for i in range(20)]
    p1 = plan(films, ["alice", "bob"], seed=42)
    assert p1 == plan(list(reversed(films)), ["alice", "bob"], seed=42)   # input order irrelevant
    assert p1 != plan(films, ["alice", "bob"], seed=43)
    order = {r: [sop for rr, _, sop, _ in p1 if rr == r] for r in ("alice", "bob")}
    assert sorted(order["alice"]) == sorted(order["bob"]) == sorted(films)
    assert order["alice"] != order["bob"] and order["alice"] != sorted(films)
    labels = {(r, sop): lab for r, _, sop, lab in p1}
    assert all(labels[("alice", s)] == labels[("bob", s)] for s in films)  # shared labels
    assert sorted(set(labels.values())) == [f"Case {n:03d}" for n in range(1, 21)]
    # the labels carry no order: Case 001 is not the first film by UID
    assert [labels[("alice", s)] for s in sorted(films)] != sorted(set(labels.values()))
    with pytest.raises(WorklistError, match="consensus"):
        plan(films, ["alice", "consensus"], 1)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_assign_and_progress(tmp_path, backend, request):
    url = None if backend == "sqlite" else request.getfixturevalue("postgres").new_database()
    ws = Workspace(tmp_path / "ws", url)
    try:
        sops = _films(ws)
        seed = assign(ws.index, "round 1", sops, ["alice", "bob"], seed=7, note="trial X")
        assert seed == 7
        rl = reading_list(ws.index, "round 1", "alice")
        assert [i.sop_instance_uid for i in rl.items] == [
            s for r, _, s, _ in plan(sops, ["alice", "bob"], 7) if r == "alice"]
        assert rl.blinded and rl.done == 0 and rl.items[0].path.startswith("/films/")
        # alice reads her first two films
        for item in rl.items[:2]:
            ws.save(_reading_of(item.sop_instance_uid, "alice"))
        info, prog = progress(ws.index, "round 1")
        by = {p.reader: p for p in prog}
        assert info["films"] == 6 and info["seed"] == 7 and info["note"] == "trial X"
        assert (by["alice"].done, by["alice"].assigned, by["alice"].complete) == (2, 6, 2)
        assert by["alice"].next_label == rl.items[2].label
        assert by["bob"].done == 0 and by["bob"].next_label == reading_list(ws.index, "round 1", "bob").items[0].label
        with pytest.raises(Exception, match="exists already"):
            assign(ws.index, "round 1", sops, ["carol"])
        with pytest.raises(WorklistError, match="reader 'carol' has nothing"):
            reading_list(ws.index, "round 1", "carol")
    finally:
        ws.close()


def test_reading_list_file_round_trip(tmp_path):
    ws = Workspace(tmp_path / "ws")
    try:
        sops = _films(ws, 3)
        assign(ws.index, "L", sops, ["alice"], seed=1)
        rl = reading_list(ws.index, "L", "alice")
    finally:
        ws.close()
    save_reading_list(rl, tmp_path / "alice.json")
    back = load_reading_list(tmp_path / "alice.json")
    assert back.reader == "alice" and back.blinded
    assert [(i.label, i.sop_instance_uid) for i in back.items] == [(i.label, i.sop_instance_uid) for i in rl.items]
    text = (tmp_path / "alice.json").read_text()
    assert "P0" not in text and "2020" not in text   # no identity or dates in the file
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(WorklistError, match="not a vfa reading list"):
        load_reading_list(tmp_path / "bad.json")


def test_cli_worklist(tmp_path, capsys):
    ws = Workspace(tmp_path / "ws")
    sops = _films(ws, 4)
    ws.close()
    w = ["--workspace", str(tmp_path / "ws")]
    assert main(["worklist", "assign", "R1", "--readers", "alice,bob", "--all", "--seed", "5"] + w) == 0
    assert "4 film(s) for alice, bob, blinded, seed 5" in capsys.readouterr().err
    assert main(["worklist", "assign", "R1", "--readers", "alice", "--all"] + w) == 1
    assert "exists already" in capsys.readouterr().err
    ws = Workspace(tmp_path / "ws")
    first, second = reading_list(ws.index, "R1", "bob").items[:2]
    ws.save(_reading_of(first.sop_instance_uid, "bob"))
    partial = _reading_of(second.sop_instance_uid, "bob")
    for lv in ("T4", "T5"):
        partial.vertebrae.pop(partial.get(lv).level)
    ws.save(partial)
    ws.close()
    assert main(["worklist", "show", "R1", "--json"] + w) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["seed"] == 5 and {r["reader"]: r["done"] for r in out["readers"]} == {"alice": 0, "bob": 2}
    assert {r["reader"]: r["complete"] for r in out["readers"]} == {"alice": 0, "bob": 1}
    assert main(["worklist", "show", "R1"] + w) == 0
    assert "bob" in capsys.readouterr().out
    assert main(["worklist", "show"] + w) == 0
    assert "R1: 4 film(s), 2 reader(s), 2/8 readings done" in capsys.readouterr().out
    assert main(["worklist", "export", "R1", "--reader", "alice", "-o", str(tmp_path / "a.json")] + w) == 0
    assert len(load_reading_list(tmp_path / "a.json").items) == 4
    assert main(["worklist", "assign", "R2", "--readers", "alice", "--patient", "P1"] + w) == 0
    capsys.readouterr()
    assert main(["worklist", "show", "R2", "--reader", "alice"] + w) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1 and "to read" in lines[0]   # of films 0-3 only film 1 is P1's
    ws = Workspace(tmp_path / "ws")
    assert [i.sop_instance_uid for i in reading_list(ws.index, "R2", "alice").items] == [sops[1]]
    ws.close()


# --------------------------------------------------------------------------- blinded sessions
def test_blinded_session_from_workspace_setting_and_file(tmp_path, capsys):
    from vfa.reading.blinding import BlindingError, session_for, workspace_setting
    ws = Workspace(tmp_path / "ws")
    try:
        sops = _films(ws, 3)
        assign(ws.index, "R1", sops, ["alice", "bob"], seed=3)
        assert session_for(ws, "alice") is None             # not in reading-centre mode
        assert main(["worklist", "activate", "R1", "--workspace", str(tmp_path / "ws")]) == 0
        assert workspace_setting(ws) == {"blinded": True, "reading_list": "R1"}
        s = session_for(ws, "alice")
        first = s.items[0]
        assert s.title(first.sop_instance_uid) == f"VFA — {first.label} (1 of 3) — reader alice — blinded"
        assert "P0" not in s.title(first.sop_instance_uid)
        ok, why = s.may_compare(ws, first.sop_instance_uid)
        assert not ok and "save your own reading of this film first" in why
        ws.save(_reading_of(first.sop_instance_uid, "bob"))   # bob's does not count
        assert not s.may_compare(ws, first.sop_instance_uid)[0]
        ws.save(_reading_of(first.sop_instance_uid, "alice"))
        assert s.may_compare(ws, first.sop_instance_uid) == (True, "")
        s.refresh(ws)
        assert s.items[0].done and s.next_item() == s.items[1]
        with pytest.raises(BlindingError, match="not on your reading list"):
            s.require_on_list("9.9.9")
        with pytest.raises(BlindingError, match="reader 'carol' has nothing"):
            session_for(ws, "carol")
        save_reading_list(reading_list(ws.index, "R1", "bob"), tmp_path / "bob.json")
        with pytest.raises(BlindingError, match="is for reader 'bob', and you are 'alice'"):
            session_for(ws, "alice", tmp_path / "bob.json")
        assert session_for(ws, "bob", tmp_path / "bob.json").reader == "bob"
        assert main(["worklist", "deactivate", "--workspace", str(tmp_path / "ws")]) == 0
        assert session_for(ws, "alice") is None
    finally:
        ws.close()
