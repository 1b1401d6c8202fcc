"""The open document's host (ui/host.py): widgets subscribe once and always hear the current
document; the previous one is closed; the main window wires through it."""

from __future__ import annotations

import pytest

pytest.importorskip("PyQt6")
pytest.importorskip("pytestqt")

from ui.document import Document  # noqa: E402
from ui.host import RELAYED, DocumentHost  # noqa: E402
from ui.testing import click_image, write_film  # noqa: E402
from vfa.method.levels import Level, Status  # noqa: E402
from vfa.reading.reading import Reading  # noqa: E402
from vfa.storage.workspace import Workspace  # noqa: E402


def reading(sop: str) -> Reading:
    return Reading(patient_id="P1", study_instance_uid="1.2.3", series_instance_uid="1.2.3.1",
                   sop_instance_uid=sop, reader="dr")


def test_the_host_relays_the_current_document_and_closes_the_previous(qtbot, tmp_path):
    ws = Workspace(tmp_path / "ws")
    host = DocumentHost()
    shown, changed, modified = [], [], []
    host.documentChanged.connect(shown.append)
    host.changed.connect(changed.append)
    host.modifiedChanged.connect(modified.append)
    a, b = Document(None, reading("1.2.3.4"), ws), Document(None, reading("1.2.3.5"), ws)
    try:
        host.set(a)
        assert shown == [a] and host.doc is a
        a.set_note(Level.T4, "overlap")
        assert len(changed) == 1 and modified == [True]
        assert a.autosave_timer.isActive()            # an edit asks for an autosave

        host.set(b)
        assert shown == [a, b] and host.doc is b
        assert not a.autosave_timer.isActive()        # the previous document was closed
        a.set_status(Level.T5, Status.NOT_EVALUABLE, "overlap")
        assert len(changed) == 1                      # ... and is no longer heard
        b.set_status(Level.T6, Status.NOT_EVALUABLE, "overlap")
        assert len(changed) == 2 and b.reading.get(Level.T6).status is Status.NOT_EVALUABLE
        # every relayed signal exists on the document under the same name
        assert all(hasattr(Document, name) for name in RELAYED)
        host.set(None)
        assert shown[-1] is None and host.doc is None
    finally:
        a.close()
        b.close()
        ws.close()


def test_a_subscriber_of_the_window_follows_every_film(make_window, tmp_path, asked):
    """The window shows a film by handing it to its host: the film view, the markers, the
    table and any later subscriber follow, and edits of the previous film reach nobody."""
    f1 = write_film(tmp_path / "films" / "a.dcm", sop_uid="1.2.826.0.1.3680043.10.99.1")
    f2 = write_film(tmp_path / "films" / "b.dcm", sop_uid="1.2.826.0.1.3680043.10.99.2")
    w = make_window()
    seen = []
    w.host.documentChanged.connect(lambda d: seen.append(d.reading.sop_instance_uid))
    assert w.open_file(f1)
    first = w.doc
    click_image(w.view, 180, 60)                      # one point on T4 of film 1
    assert w.layer.reading is first.reading and w.table.doc is first
    w.doc.history.mark_saved()
    assert w.open_file(f2)
    assert seen == ["1.2.826.0.1.3680043.10.99.1", "1.2.826.0.1.3680043.10.99.2"]
    assert w.view.radiograph is w.doc.radiograph and w.layer.reading is w.doc.reading
    assert w.table.doc is w.doc and w.doc is not first
    assert w.guide_bar.next_label.text() == "Next: T4 — superior anterior corner"
    assert w.windowTitle().startswith("VFA — b.dcm")
    # the first film's session is closed: its edits reach no widget
    heard = []
    w.host.changed.connect(heard.append)
    first.set_status(Level.L4, Status.NOT_EVALUABLE, "overlap")
    assert heard == [] and not w.isWindowModified()
    w.doc.set_status(Level.L4, Status.NOT_EVALUABLE, "overlap")
    assert len(heard) == 1 and w.isWindowModified()
