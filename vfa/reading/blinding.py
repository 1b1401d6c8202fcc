"""Blinded reading (reading-centre mode), without Qt.

In a blinded session the reader works through a :class:`vfa.reading.worklist.ReadingList` in its
recorded, shuffled order. What the viewer may show is decided here:

* the film is named by its neutral label ("Case 007, 3 of 20"), never by file name, patient
  name, patient ID, birth date, study date or visit (:meth:`BlindedSession.title`,
  :meth:`BlindedSession.identity_text`);
* only the reader's own reading is loaded (other readers' marks stay hidden) and nothing is
  carried forward from other visits (that would tell the visit order);
* the comparison with other visits opens only once the reader's own reading of the film is
  saved (:meth:`BlindedSession.may_compare`);
* films not on the list cannot be opened in the session (:meth:`BlindedSession.item_for`).

**The blinding policy** is one table, :data:`POLICY`: for every surface of the viewer
(:class:`Surface` — the patient list, the timeline, the clinical context, the recent files,
PACS, carry-forward, reading files, every export) whether a blinded reader may use it and, if
not, why. The viewer asks :meth:`BlindedSession.allows` / :meth:`BlindedSession.why_not` for
each action and dock; it never decides on its own. The texts a blinded reader sees are made
here too: the window title (:meth:`BlindedSession.title`), the status bar
(:meth:`BlindedSession.status_text`), the name of the film in questions and dialogs
(:meth:`BlindedSession.identity_text`) and the crash-recovery line
(:meth:`BlindedSession.recovery_text`) — none holds a name, ID, date, file name or visit.

A workspace can be put in reading-centre mode for one list (``vfa worklist activate NAME``):
the setting is the file ``reading-centre.json`` in the workspace folder, and every viewer
opened on that workspace then starts blinded, for the list part of its reader
(``$VFA_READER``). A reader can also be given the list as a file (``vfa-viewer
--reading-list FILE``).
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vfa.atomic import atomic_write_text
from vfa.errors import VfaError
from vfa.reading.worklist import ListItem, ReadingList, WorklistError, load_reading_list, reading_list

SETTING_FILE = "reading-centre.json"


class BlindingError(VfaError):
    """The blinded session refuses an action (the message says why and what to do)."""


class Surface(str, enum.Enum):
    """What a blinded reader could see or do that may unblind them (see :data:`POLICY`)."""

    PATIENT_LIST = "patient list"          # names, IDs, visits by date
    TIMELINE = "patient timeline"          # ID, sex, age, dates, other visits' grades
    CLINICAL = "clinical context"          # diagnosis, drugs, dates
    RECENT_FILES = "recent files"          # file names can name the patient
    OPEN_FILE = "open file"                # films off the list
    OPEN_FOLDER = "open folder"
    OPEN_READING = "open reading"          # another reader's marks
    IMPORT_READINGS = "import readings"
    PACS = "PACS"                          # identities and other visits
    CARRY_FORWARD = "carry forward"        # another visit's points (tells the visit order)
    EXPORT_SR = "DICOM SR export"          # every export carries the identity or a dated name
    STORE_SR = "store SR to PACS"
    EXPORT_GSPS = "presentation state export"
    STORE_GSPS = "store presentation state to PACS"
    EXPORT_CAPTURE = "secondary capture export"
    EXPORT_PDF = "PDF report"
    EXPORT_CSV = "CSV export"
    ADJUDICATION = "adjudication"          # both readers' marks
    COMPARE = "comparison with other visits"   # only after the reader's own save


#: The blinding policy: surface -> (allowed in a blinded session, why not / what to do).
POLICY: dict[Surface, tuple[bool, str]] = {
    Surface.PATIENT_LIST: (False, "the patient list shows names, IDs and visit dates; use your "
                                  "reading list"),
    Surface.TIMELINE: (False, "the timeline shows the patient's identity, dates and other "
                              "visits"),
    Surface.CLINICAL: (False, "the clinical context shows the diagnosis, treatment and dates"),
    Surface.RECENT_FILES: (False, "file names can name the patient; open cases from your list"),
    Surface.OPEN_FILE: (False, "a file dialog lists file names that can name patients; open "
                               "cases from your reading list"),
    Surface.OPEN_FOLDER: (False, "a folder lists other patients' films; open cases from your "
                                 "list"),
    Surface.OPEN_READING: (False, "a reading file holds another reader's marks and the "
                                  "patient's identity"),
    Surface.IMPORT_READINGS: (False, "importing readings is the reading-centre manager's task"),
    Surface.PACS: (False, "the PACS shows identities and other visits"),
    Surface.CARRY_FORWARD: (False, "carrying points from another visit tells the visit order"),
    Surface.EXPORT_SR: (False, "exports carry the patient's identity; the reading-centre manager "
                               "exports after the reading"),
    Surface.STORE_SR: (False, "exports carry the patient's identity"),
    Surface.EXPORT_GSPS: (False, "a presentation state carries the patient's identity and a "
                                 "dated file name"),
    Surface.STORE_GSPS: (False, "exports carry the patient's identity"),
    Surface.EXPORT_CAPTURE: (False, "a secondary capture carries the patient's identity"),
    Surface.EXPORT_PDF: (False, "the report shows the patient's identity and every visit"),
    Surface.EXPORT_CSV: (False, "the CSV holds identities and dates of every visit"),
    Surface.ADJUDICATION: (False, "adjudication shows both readers' marks"),
    Surface.COMPARE: (True, "only after your own reading of the film is saved"),
}


@dataclass
class BlindedSession:
    reading_list: ReadingList

    @property
    def reader(self) -> str:
        return self.reading_list.reader

    @property
    def items(self) -> list[ListItem]:
        return self.reading_list.items

    # ------------------------------------------------------------------ the policy
    @staticmethod
    def allows(surface: Surface | str) -> bool:
        """May a blinded reader use ``surface`` at all (:data:`POLICY`)?"""
        return POLICY[Surface(surface)][0]

    @staticmethod
    def why_not(surface: Surface | str) -> str:
        """One line for the reader: why ``surface`` is off in blinded reading."""
        return f"Not available in blinded reading: {POLICY[Surface(surface)][1]}"

    def status_text(self) -> str:
        """The status bar's permanent text: reader and progress, no identity."""
        return f"Blinded: {self.reader}, {self.reading_list.done}/{len(self.items)} read"

    @staticmethod
    def recovery_text(points: int, levels: str = "", differs: str = "") -> str:
        """The crash-recovery line: how much work, never who, which film or when taken."""
        what = f"{levels} ({points} points)" if levels else f"{points} points"
        return "a blinded reading: " + what + (f" — {differs}" if differs else "")

    def item_for(self, sop_instance_uid: str) -> ListItem | None:
        return next((i for i in self.items if i.sop_instance_uid == sop_instance_uid), None)

    def require_on_list(self, sop_instance_uid: str) -> ListItem:
        item = self.item_for(sop_instance_uid)
        if item is None:
            raise BlindingError("this film is not on your reading list "
                                f"'{self.reading_list.name}'; open films from the list")
        return item

    def title(self, sop_instance_uid: str | None) -> str:
        """The window title: label and position, never the identity."""
        item = self.item_for(sop_instance_uid or "")
        if item is None:
            return f"VFA — blinded reading ({self.reading_list.name})"
        return (f"VFA — {item.label} ({item.position} of {len(self.items)}) — reader "
                f"{self.reader} — blinded")

    def identity_text(self, sop_instance_uid: str | None) -> str:
        item = self.item_for(sop_instance_uid or "")
        return item.label if item else "blinded"

    def may_compare(self, workspace: Any, sop_instance_uid: str | None) -> tuple[bool, str]:
        """(allowed, why not): only after the reader's own reading of the film is saved."""
        if not sop_instance_uid or workspace is None:
            return False, "open a film of your reading list first"
        if workspace.index.reading_version(sop_instance_uid, self.reader) is None:
            return False, ("blinded reading: save your own reading of this film first (Ctrl+S); "
                           "the comparison with other visits opens after that")
        return True, ""

    def refresh(self, workspace: Any) -> None:
        """Progress from the index (an item is done once the reader's reading is saved)."""
        if workspace is None:
            return
        from vfa.reading.worklist import N_LEVELS
        recs = {r.sop_instance_uid: r for r in workspace.index.readings(reader=self.reader)}

        def complete(sop: str) -> bool:
            r = recs.get(sop)
            return r is not None and (r.graded or 0) + (r.not_evaluable or 0) >= N_LEVELS
        self.reading_list.items = [ListItem(i.position, i.label, i.sop_instance_uid, i.path,
                                            i.sop_instance_uid in recs,
                                            complete(i.sop_instance_uid)) for i in self.items]
        # films the index knows but the file did not locate
        for n, i in enumerate(self.items):
            if not i.path:
                img = workspace.index.image(i.sop_instance_uid)
                if img and img.path:
                    self.reading_list.items[n] = ListItem(i.position, i.label, i.sop_instance_uid,
                                                          img.path, i.done, i.complete)

    def next_item(self) -> ListItem | None:
        return self.reading_list.next_item()


# ---------------------------------------------------------------------------- workspace setting
def activate(workspace: Any, list_name: str) -> Path:
    """Put the workspace in reading-centre mode for ``list_name`` (checked to exist)."""
    if workspace.index.reading_list(list_name) is None:
        raise WorklistError(f"no reading list named {list_name!r}")
    return atomic_write_text(Path(workspace.root) / SETTING_FILE,
                             json.dumps({"blinded": True, "reading_list": list_name}, indent=2) + "\n")


def deactivate(workspace: Any) -> None:
    (Path(workspace.root) / SETTING_FILE).unlink(missing_ok=True)


def workspace_setting(workspace: Any) -> dict[str, Any] | None:
    p = Path(workspace.root) / SETTING_FILE
    if not p.is_file():
        return None
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BlindingError(f"the reading-centre setting {p} cannot be read ({exc}); fix or "
                            "delete it") from None
    return data if isinstance(data, dict) and data.get("blinded") else None


def session_for(workspace: Any, reader: str, list_file: str | Path | None = None) -> BlindedSession | None:
    """The blinded session to start: from a reading-list file when given, else from the
    workspace setting; None when the workspace is not in reading-centre mode."""
    if list_file is not None:
        rl = load_reading_list(list_file)
        if rl.reader != reader:
            raise BlindingError(f"the reading list {Path(list_file).name} is for reader "
                                f"{rl.reader!r}, and you are {reader!r}: set VFA_READER to your "
                                "reader name, or ask for your own list")
        s = BlindedSession(rl)
        s.refresh(workspace)
        return s
    if workspace is None:
        return None
    setting = workspace_setting(workspace)
    if setting is None:
        return None
    try:
        rl = reading_list(workspace.index, str(setting.get("reading_list")), reader)
    except WorklistError as exc:
        raise BlindingError(f"this workspace is in blinded reading-centre mode: {exc}") from None
    return BlindedSession(rl)
