"""Reading lists of a reading centre: who reads which films, in which order, and progress.

A reading list (kept in the workspace index, :mod:`vfa.storage.index`) gives every reader the same
films, each reader in an own shuffled order (recorded, reproducible from the seed), under
neutral labels ("Case 007") that are shared by the readers -- so the adjudicator and the
readers can talk about a case -- but drawn from a separate shuffle, so that neither the label
nor the position tells the patient, the visit order or the date. Progress is read from the
index: an item is done when the reader's reading of that film is saved.

A reader gets the list as a *reading-list file* (``vfa worklist export``) or reads it from the
workspace; :class:`ReadingList` is what the viewer's blinded reading mode works from
(docs/reading-centre.md).
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import random
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from vfa.atomic import atomic_write_text
from vfa.errors import VfaError

FORMAT = "vfa-reading-list"
N_LEVELS = 13  # T4-L4
VERSION = 1


class WorklistError(VfaError):
    """A reading list cannot be made, found or read."""


@dataclass(frozen=True)
class ListItem:
    position: int              # 1-based, in this reader's order
    label: str                 # neutral, shared by the readers of the list
    sop_instance_uid: str
    path: str | None = None    # the film, when the index knows it
    done: bool = False         # the reader's reading of the film is saved
    complete: bool = False     # ... and every level T4-L4 is graded or not evaluable


@dataclass
class ReadingList:
    """One reader's part of a list, in order."""

    name: str
    reader: str
    blinded: bool = True
    items: list[ListItem] = field(default_factory=list)

    @property
    def done(self) -> int:
        return sum(1 for i in self.items if i.done)

    def next_item(self) -> ListItem | None:
        return next((i for i in self.items if not i.done), None)

    def label_for(self, sop_instance_uid: str) -> str | None:
        return next((i.label for i in self.items if i.sop_instance_uid == sop_instance_uid), None)

    def to_dict(self) -> dict[str, Any]:
        return {"format": FORMAT, "version": VERSION, "name": self.name, "reader": self.reader,
                "blinded": self.blinded,
                "items": [{"position": i.position, "label": i.label,
                           "sop_instance_uid": i.sop_instance_uid, "path": i.path}
                          for i in self.items]}


def save_reading_list(rl: ReadingList, path: str | os.PathLike[str]) -> Path:
    return atomic_write_text(path, json.dumps(rl.to_dict(), indent=2, ensure_ascii=False) + "\n")


def load_reading_list(path: str | os.PathLike[str]) -> ReadingList:
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise WorklistError(f"cannot read reading list {p}: {exc.strerror}") from None
    except ValueError as exc:
        raise WorklistError(f"reading list {p} is not valid JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise WorklistError(f"{p} is not a vfa reading list (format {FORMAT!r})")
    if data.get("version") != VERSION:
        raise WorklistError(f"{p}: reading list version {data.get('version')!r}; this vfa reads {VERSION}")
    items = []
    for n, e in enumerate(data.get("items") or [], 1):
        if not isinstance(e, dict) or not isinstance(e.get("sop_instance_uid"), str):
            raise WorklistError(f"{p}: item {n} needs a sop_instance_uid")
        items.append(ListItem(int(e.get("position", n)), str(e.get("label") or f"Case {n:03d}"),
                              e["sop_instance_uid"], e.get("path")))
    reader = data.get("reader")
    if not isinstance(reader, str) or not reader:
        raise WorklistError(f"{p}: the reading list names no reader")
    return ReadingList(str(data.get("name") or p.stem), reader, bool(data.get("blinded", True)),
                       sorted(items, key=lambda i: i.position))


# ---------------------------------------------------------------------------- assignment
def plan(films: Sequence[str], readers: Sequence[str], seed: int
         ) -> list[tuple[str, int, str, str]]:
    """Items (reader, position, SOP Instance UID, label): neutral labels from one shuffle of
    the films, and an independent shuffled order per reader, all from ``seed``."""
    films = list(dict.fromkeys(films))
    if not films:
        raise WorklistError("no films to assign")
    readers = list(dict.fromkeys(r.strip() for r in readers if r.strip()))
    if not readers:
        raise WorklistError("name at least one reader (--readers A,B)")
    if "consensus" in readers:
        raise WorklistError("'consensus' is the adjudicated reading, not a reader")
    rng = random.Random(seed)
    by_label = sorted(films)
    rng.shuffle(by_label)
    width = max(3, len(str(len(films))))
    label = {sop: f"Case {n:0{width}d}" for n, sop in enumerate(by_label, 1)}
    items = []
    for reader in readers:
        order = sorted(films)
        random.Random(f"{seed}:{reader}").shuffle(order)
        items += [(reader, pos, sop, label[sop]) for pos, sop in enumerate(order, 1)]
    return items


def assign(index: Any, name: str, films: Sequence[str], readers: Sequence[str],
           seed: int | None = None, blinded: bool = True, note: str | None = None) -> int:
    """Create the list ``name`` in the index; returns the seed used (recorded)."""
    if not name or not name.strip():
        raise WorklistError("give the reading list a name")
    seed = secrets.randbits(48) if seed is None else int(seed)
    index.create_reading_list(name.strip(), blinded, seed, note, plan(films, readers, seed))
    return seed


def reading_list(index: Any, name: str, reader: str) -> ReadingList:
    """``reader``'s part of the list, with progress from the index."""
    found = index.reading_list(name)
    if found is None:
        raise WorklistError(f"no reading list named {name!r} (vfa worklist show lists them)")
    lst, items = found
    mine = [i for i in items if i["reader"] == reader]
    if not mine:
        readers = sorted({i["reader"] for i in items})
        raise WorklistError(f"reader {reader!r} has nothing on list {name!r} (readers: "
                            f"{', '.join(readers) or 'none'})")
    recs = {r.sop_instance_uid: r for r in index.readings(reader=reader)}
    out = []
    for i in mine:
        img = index.image(i["sop_instance_uid"])
        rec = recs.get(i["sop_instance_uid"])
        complete = rec is not None and (rec.graded or 0) + (rec.not_evaluable or 0) >= N_LEVELS
        out.append(ListItem(i["position"], i["label"], i["sop_instance_uid"],
                            img.path if img else None, rec is not None, complete))
    return ReadingList(lst["name"], reader, bool(lst["blinded"]), out)


@dataclass(frozen=True)
class Progress:
    reader: str
    assigned: int
    done: int                 # readings saved
    next_label: str | None
    complete: int = 0         # readings with every level graded or not evaluable

    @property
    def percent(self) -> float:
        return 100.0 * self.done / self.assigned if self.assigned else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"reader": self.reader, "assigned": self.assigned, "done": self.done,
                "complete": self.complete,
                "remaining": self.assigned - self.done, "percent": round(self.percent, 1),
                "next": self.next_label}


def progress(index: Any, name: str) -> tuple[dict[str, Any], list[Progress]]:
    found = index.reading_list(name)
    if found is None:
        raise WorklistError(f"no reading list named {name!r}")
    lst, items = found
    out = []
    for reader in sorted({i["reader"] for i in items}):
        rl = reading_list(index, name, reader)
        nxt = rl.next_item()
        out.append(Progress(reader, len(rl.items), rl.done, nxt.label if nxt else None,
                            sum(1 for i in rl.items if i.complete)))
    info = {"name": lst["name"], "blinded": bool(lst["blinded"]), "seed": lst["seed"],
            "created_at": lst["created_at"].isoformat(timespec="seconds")
            if isinstance(lst["created_at"], _dt.datetime) else lst["created_at"],
            "films": len({i["sop_instance_uid"] for i in items}), "note": lst["note"]}
    return info, out
