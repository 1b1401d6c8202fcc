"""The main window's QActions, menus and toolbar, and when the actions are enabled.

Every action is one row of :data:`ACTIONS`: the window attribute it is stored in
(``window.a_save``), its text, what it does, its shortcut(s), whether it is checkable, its
tooltip and its short toolbar text. What an action does is written as a function of the
window (``lambda w: w.save()``), so the row reads like the call it makes; the work itself is
in the window or in one of its controllers (``w.opening``, ``w.display``, ``w.exports``,
``w.proposer``). Menus and the toolbar list the actions by attribute name, ``None`` being a
separator.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PyQt6.QtCore import Qt
from PyQt6.QtGui import QAction, QActionGroup, QKeySequence
from PyQt6.QtWidgets import QMenu, QMenuBar, QToolBar

from vfa.method.levels import DeformityType

from .film_view import TOOL_CALIBRATE, TOOL_MEASURE, TOOL_PLACE, TOOL_PROPOSE

if TYPE_CHECKING:  # pragma: no cover
    from .shell import Shell

K = QKeySequence.StandardKey


@dataclass(frozen=True)
class Act:
    """One QAction of the main window."""

    name: str                                   # window attribute
    text: str
    run: Callable[[Shell], object]
    shortcut: object = None                     # a key, a StandardKey, or a list of them
    checkable: bool = False
    tip: str = ""
    short: str | None = None                    # toolbar text


ACTIONS: tuple[Act, ...] = (
    # File
    Act("a_open", "&Open file…", lambda w: w.opening.open_file_dialog(), K.Open, short="Open"),
    Act("a_open_folder", "Open &folder…", lambda w: w.opening.open_folder_dialog(),
        "Ctrl+Shift+O", tip="Scan a folder (and its subfolders or DICOMDIR) for films",
        short="Folder"),
    Act("a_open_reading", "Open &reading…", lambda w: w.opening.open_reading_dialog(),
        tip="Open a finished reading (JSON or DICOM SR): its film opens with its marks"),
    Act("a_import_readings", "&Import readings…", lambda w: w.opening.import_readings_dialog(),
        tip="Register reading files (JSON or SR) and their films into the workspace"),
    Act("a_open_pacs", "Open from &PACS…", lambda w: w.exports.open_from_pacs(), "Ctrl+Shift+P",
        tip="Search the PACS (DICOMweb), retrieve studies into the cache and open their films"),
    Act("a_save", "&Save reading", lambda w: w.save(), K.Save, short="Save"),
    Act("a_export_sr", "DICOM &SR…", lambda w: w.exports.export_sr(),
        tip="Write the reading as a DICOM structured report (TID 1500)"),
    Act("a_store_sr", "Store SR to &PACS", lambda w: w.exports.store_sr(),
        tip="Send the reading as a DICOM SR to the configured PACS"),
    Act("a_export_gsps", "Presentation &state (GSPS)…",
        lambda w: w.exports.export_presentation("gsps"),
        tip="The markers, labels, grades and window as a DICOM presentation state on the film"),
    Act("a_export_capture", "Secondary &capture…", lambda w: w.exports.export_presentation("capture"),
        tip="The film with the markers burned in, as a DICOM secondary capture"),
    Act("a_store_gsps", "Store presentation state to PACS",
        lambda w: w.exports.store_presentation(),
        tip="Send the presentation state (GSPS) to the configured PACS"),
    Act("a_export_pdf", "P&DF report…", lambda w: w.exports.export_pdf(),
        tip="The patient's report: every saved visit, changes against baseline, trends"),
    Act("a_deidentify", "De-identify PDF report", lambda w: w.exports.deidentify_toggled(),
        checkable=True, tip="No name, patient ID or birth date in the PDF report (age only)"),
    Act("a_export_csv", "&CSV of this patient…", lambda w: w.exports.export_csv("patient"),
        tip="Per-level and per-visit CSV of the patient's saved readings"),
    Act("a_export_csv_all", "CSV of the whole &workspace…",
        lambda w: w.exports.export_csv("workspace"),
        tip="Per-level and per-visit CSV of every saved reading"),
    Act("a_pacs_settings", "PACS server settings…", lambda w: w.exports.edit_pacs_settings(),
        tip="DICOMweb URL, user, password and timeout"),
    Act("a_quit", "&Quit", lambda w: w.close(), K.Quit),
    # Edit
    Act("a_undo", "&Undo", lambda w: w.undo(), K.Undo, short="Undo"),
    Act("a_redo", "&Redo", lambda w: w.redo(), ["Ctrl+Shift+Z", "Ctrl+Y"], short="Redo"),
    Act("a_del_point", "Delete selected point", lambda w: w.delete_selected_point(),
        [QKeySequence(Qt.Key.Key_Delete), QKeySequence(Qt.Key.Key_Backspace)]),
    Act("a_del_vertebra", "Delete vertebra of the selected level",
        lambda w: w.delete_selected_vertebra(), "Shift+Del"),
    Act("a_relabel", "Relabel levels…", lambda w: w.relabel_dialog()),
    Act("a_ne", "Mark level not evaluable…", lambda w: w.mark_not_evaluable(), "N"),
    Act("a_skip", "Skip level", lambda w: w.skip_level(), "S"),
    Act("a_confirm_level", "Confirm grade of the level", lambda w: w.confirm_level(), "Y",
        tip="The selected level's grade stands as shown (Enter in the grading table)"),
    Act("a_confirm_all", "Confirm all graded levels", lambda w: w.confirm_all(),
        tip="Every graded level's grade stands as shown (levels with proposed points excepted)"),
    Act("a_age", "Patient's age at this study…", lambda w: w.enter_age(),
        tip="Only needed when the film has no birth date and no Patient's Age"),
    Act("a_abq", "Cycle ABQ call of the level", lambda w: w.qualitative.cycle("abq"), "B",
        tip="Algorithm-based qualitative call: normal, non-fracture deformity, fracture, none"),
    Act("a_endplate", "Cycle endplate depression of the level",
        lambda w: w.qualitative.cycle("endplate_depression"), "D",
        tip="Endplate depression: none, superior, inferior, both, not recorded"),
    Act("a_downgrade", "Cycle downgrade reason of the level",
        lambda w: w.qualitative.cycle("downgrade_reason"), "V",
        tip="Normal variant behind a lower grade: physiological wedging, Scheuermann, Schmorl "
            "node, unossified ring apophysis, Cupid's bow, parallax, other"),
    Act("a_prev_level", "Previous level", lambda w: w.step_level(-1), ["[", "PgUp"]),
    Act("a_next_level", "Next level", lambda w: w.step_level(+1), ["]", "PgDown"]),
    # Grading keys (ui/keyboard.py): on the selected level, one undo step, autosaved at once
    Act("a_grade_0", "Grade 0", lambda w: w.grading_keys.grade(0), "0",
        tip="The selected level's grade: 0 (normal); confirms it"),
    Act("a_grade_half", "Grade ½ (questionable)", lambda w: w.grading_keys.grade(0.5), "Q",
        tip="The selected level's grade: ½ (borderline, questionable); confirms it"),
    Act("a_grade_1", "Grade 1", lambda w: w.grading_keys.grade(1), "1",
        tip="The selected level's grade: 1 (mild, 20-25 %); confirms it"),
    Act("a_grade_2", "Grade 2", lambda w: w.grading_keys.grade(2), "2",
        tip="The selected level's grade: 2 (moderate, 25-40 %); confirms it"),
    Act("a_grade_3", "Grade 3", lambda w: w.grading_keys.grade(3), "3",
        tip="The selected level's grade: 3 (severe, over 40 %); confirms it"),
    Act("a_type_wedge", "Type wedge", lambda w: w.grading_keys.type(DeformityType.WEDGE), "Alt+W",
        tip="The selected level's type: wedge (again: back to the suggested type)"),
    Act("a_type_biconcave", "Type biconcave",
        lambda w: w.grading_keys.type(DeformityType.BICONCAVE), "Alt+B",
        tip="The selected level's type: biconcave (again: back to the suggested type)"),
    Act("a_type_crush", "Type crush", lambda w: w.grading_keys.type(DeformityType.CRUSH), "Alt+C",
        tip="The selected level's type: crush (again: back to the suggested type)"),
    # View
    Act("a_fit", "&Fit film", lambda w: w.view.fit(), "F", short="Fit"),
    Act("a_1to1", "1:1 pixels", lambda w: w.view.one_to_one(), "Ctrl+1", short="1:1"),
    Act("a_zoom_in", "Zoom in", lambda w: w.view.zoom_by(1.25), [K.ZoomIn, "+", "="]),
    Act("a_zoom_out", "Zoom out", lambda w: w.view.zoom_by(0.8), [K.ZoomOut, "-"]),
    Act("a_rotate", "Rotate 90°", lambda w: w.view.rotate90(), "R", short="Rotate"),
    Act("a_flip", "Flip horizontally", lambda w: w.view.flip_horizontal(), "H", short="Flip"),
    Act("a_invert", "Invert", lambda w: w.display.toggle_invert(), "I", checkable=True),
    Act("a_auto", "Automatic window", lambda w: w.display.auto_window(), "A"),
    Act("a_window", "Window numeric…", lambda w: w.display.window_dialog(), "W"),
    Act("a_reset", "Reset view", lambda w: w.view.reset_view(), "Ctrl+0", short="Reset"),
    Act("a_panels", "Side panels", lambda w: w.set_panels_visible(w.a_panels.isChecked()),
        "F9", True, "Show or collapse the grading table and the patient list: the film "
        "takes the whole window"),
    Act("a_kyphosis", "&Kyphosis lines", lambda w: w.kyphosis.set_shown(w.a_kyphosis.isChecked()),
        "K", True,
        "Draw the endplate lines of the kyphosis (T4-T12) and of the L1-L4 angle"),
    Act("a_compare", "&Compare visits", lambda w: w.toggle_compare(), "Ctrl+K", checkable=True,
        short="Compare"),
    # Tools (one checked at a time)
    Act("a_tool_place", "Place points", lambda w: w.set_tool(TOOL_PLACE), "P", True,
        "Guided placement: click the next point; drag points to adjust", "Place"),
    Act("a_tool_measure", "Measure", lambda w: w.set_tool(TOOL_MEASURE), "M", True,
        "Drag to measure a distance (mm, or px when uncalibrated)"),
    Act("a_tool_cal", "Calibrate", lambda w: w.set_tool(TOOL_CALIBRATE), "C", True,
        "Draw a line over a known length, then type it in mm"),
    Act("a_tool_propose", "Propose points", lambda w: w.set_tool(TOOL_PROPOSE), "G", True,
        "Click inside a vertebral body: its six points are proposed for the guide's level",
        "Propose"),
    # Propose (ui/proposals.py). No "Shift+<letter>" beside a "<letter>" shortcut: Qt also
    # tries the key without Shift and then finds both ambiguous, so neither would fire.
    # Accept all (Enter on the film) is made by make_actions: its shortcut works only while
    # the film has the focus (the table's editors keep Enter).
    Act("a_propose_span", "Propose spine (two clicks)…", lambda w: w.proposer.start_span(),
        "Ctrl+G", tip="Name two levels, click inside those two bodies: every level between "
                      "is proposed"),
    Act("a_carry", "Carry forward from visit…", lambda w: w.proposer.carry_forward(),
        tip="Propose the points of an earlier saved reading of this patient on this film"),
    Act("a_snap", "Snap clicks to edges", lambda w: w.proposer.snap_toggled(), "E", True,
        "Placed and dropped points move onto the nearby corner or endplate edge, as a "
        "proposal to accept; on weak evidence they stay where clicked"),
    Act("a_accept_level", "Accept proposals of the level", lambda w: w.proposer.accept_level(),
        "Ctrl+Return", tip="Accept the proposed points of the selected level"),
    Act("a_reject_level", "Reject proposals of the level", lambda w: w.proposer.reject_level(),
        "X", tip="Remove the proposed points of the selected level"),
    Act("a_keys", "&Keyboard…", lambda w: w.show_cheat_sheet(), "F1",
        tip="Every key of the viewer in one table"),
    Act("a_reject_all", "Reject all proposals", lambda w: w.proposer.reject_all(),
        "Ctrl+Shift+X", tip="Remove every proposed point not yet accepted"),
)

TOOLS = ("a_tool_place", "a_tool_measure", "a_tool_cal", "a_tool_propose")

# then Open recent, Save, Export, Quit
FILE_MENU = ("a_open", "a_open_folder", "a_open_reading", "a_import_readings", "a_open_pacs")
EXPORT_MENU = ("a_export_sr", "a_store_sr", None, "a_export_gsps", "a_store_gsps",
               "a_export_capture", None, "a_export_pdf", "a_deidentify", None,
               "a_export_csv", "a_export_csv_all")
EDIT_MENU = ("a_undo", "a_redo", None, "a_del_point", "a_del_vertebra", "a_relabel", None,
             "a_ne", "a_skip", "a_prev_level", "a_next_level", None,
             "a_confirm_level", "a_confirm_all", "a_age", None,
             "a_abq", "a_endplate", "a_downgrade")
GRADE_MENU = ("a_grade_0", "a_grade_half", "a_grade_1", "a_grade_2", "a_grade_3", None,
              "a_type_wedge", "a_type_biconcave", "a_type_crush", None, "a_confirm_level",
              "a_prev_level", "a_next_level", "a_ne")
PROPOSE_MENU = ("a_tool_propose", "a_propose_span", "a_carry", None, "a_snap", None,
                "a_accept_all", "a_accept_level", None, "a_reject_level", "a_reject_all")
VIEW_MENU = ("a_fit", "a_1to1", "a_zoom_in", "a_zoom_out", None, "a_rotate", "a_flip", None,
             "a_invert", "a_auto", "a_window", "a_reset", None, "a_kyphosis", "a_panels",
             "a_compare")
TOOLBAR = ("a_open", "a_open_folder", "a_save", None, "a_undo", "a_redo", None,
           *TOOLS, "a_accept_all", None, "a_fit", "a_1to1", "a_rotate", "a_flip", "a_invert",
           "a_reset")


def make_actions(w: Shell) -> None:
    """Create every action of :data:`ACTIONS` as an attribute of ``w``."""
    for spec in ACTIONS:
        setattr(w, spec.name, _make(w, spec))
    w.tool_group = QActionGroup(w.widget())
    for name in TOOLS:
        w.tool_group.addAction(getattr(w, name))
    w.a_tool_place.setChecked(True)
    w.a_deidentify.setChecked(w.settings.value("export/deidentify", "false") == "true")
    w.a_snap.setChecked(w.settings.value("propose/snap", "false") == "true")
    w.display.invert_action = w.a_invert
    w.a_panels.setChecked(True)
    w.a_kyphosis.setChecked(w.kyphosis.shown)
    # Enter accepts only while the film has the focus (the table's editors keep Enter)
    a = w.a_accept_all = QAction("Accept all proposals", w.widget())
    a.setShortcuts([QKeySequence(Qt.Key.Key_Return), QKeySequence(Qt.Key.Key_Enter)])
    a.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
    a.setToolTip("Accept every proposed point (Enter on the film)")
    a.setIconText("Accept all")
    a.triggered.connect(lambda: w.proposer.accept_all())
    w.view.addAction(a)


def _make(w: Shell, spec: Act) -> QAction:
    a = QAction(spec.text, w.widget())
    if spec.short:
        a.setIconText(spec.short)
    if spec.shortcut is not None:
        if isinstance(spec.shortcut, (list, tuple)):
            a.setShortcuts([QKeySequence(s) for s in spec.shortcut])
        else:
            a.setShortcut(QKeySequence(spec.shortcut))
    a.setCheckable(spec.checkable)
    if spec.tip:
        a.setToolTip(spec.tip)
        a.setStatusTip(spec.tip)
    a.triggered.connect(lambda _checked=False, run=spec.run: run(w))
    w.addAction(a)
    return a


def _add(w: Shell, target: QMenu | QToolBar, names) -> None:
    for name in names:
        if name is None:
            target.addSeparator()
        else:
            target.addAction(getattr(w, name))


def _menu(parent: QMenuBar | QMenu, title: str) -> QMenu:
    """``parent.addMenu(title)``: Qt always returns the new menu (PyQt6's stubs: Optional)."""
    menu = parent.addMenu(title)
    assert menu is not None
    return menu


def make_menus(w: Shell) -> None:
    mb = w.menuBar()
    m = _menu(mb, "&File")
    _add(w, m, FILE_MENU)
    w.recent_menu = _menu(m, "Open &recent")
    w.recent_menu.aboutToShow.connect(lambda: w.opening.fill_recent(w.recent_menu))
    m.addSeparator()
    m.addAction(w.a_save)
    w.export_menu = _menu(m, "&Export")
    _add(w, w.export_menu, EXPORT_MENU)
    w.export_menu.aboutToShow.connect(w.update_pacs_state)
    m.addSeparator()
    m.addAction(w.a_quit)
    _add(w, _menu(mb, "&Edit"), EDIT_MENU)
    _add(w, _menu(mb, "&Grade"), GRADE_MENU)
    w.propose_menu = _menu(mb, "&Propose")
    _add(w, w.propose_menu, PROPOSE_MENU)
    m = _menu(mb, "&View")
    _add(w, m, VIEW_MENU)
    w.presets_menu = _menu(m, "Window presets")
    w.presets_menu.aboutToShow.connect(lambda: w.display.fill_presets_menu(w.presets_menu))
    m.addSeparator()
    m.addAction(w.browser_dock.toggleViewAction())
    m.addAction(w.table_dock.toggleViewAction())
    m = _menu(mb, "&Tools")
    _add(w, m, (*TOOLS, None, "a_pacs_settings"))
    _add(w, _menu(mb, "&Help"), ("a_keys",))


def make_toolbar(w: Shell) -> None:
    tb = QToolBar("Film")
    tb.setObjectName("FilmToolbar")
    w.addToolBar(tb)
    _add(w, tb, TOOLBAR)
    tb.addSeparator()
    w.display.add_to_toolbar(tb)
    tb.addSeparator()
    tb.addAction(w.a_compare)


def update_actions(w: Shell) -> None:
    """Enable what makes sense for the open film; name the undo and redo steps."""
    doc = w.doc
    has = doc is not None
    h = doc.history if doc is not None else None   # (History has __len__: test "is not None")
    w.a_undo.setEnabled(h is not None and h.can_undo)
    w.a_redo.setEnabled(h is not None and h.can_redo)
    w.a_undo.setText(f"&Undo {h.undo_label}" if h is not None and h.undo_label else "&Undo")
    w.a_redo.setText(f"&Redo {h.redo_label}" if h is not None and h.redo_label else "&Redo")
    w.a_undo.setIconText("Undo")
    w.a_redo.setIconText("Redo")
    w.a_undo.setToolTip(w.a_undo.text().replace("&", ""))
    w.a_redo.setToolTip(w.a_redo.text().replace("&", ""))
    for a in (w.a_save, w.a_compare, w.a_del_point, w.a_del_vertebra, w.a_relabel, w.a_ne,
              w.a_skip, w.a_export_sr, w.a_export_pdf, w.a_export_csv, w.a_confirm_level,
              w.a_confirm_all, w.a_age, w.a_export_gsps, w.a_export_capture, w.a_abq,
              w.a_endplate, w.a_downgrade, w.a_grade_0, w.a_grade_half, w.a_grade_1,
              w.a_grade_2, w.a_grade_3, w.a_type_wedge, w.a_type_biconcave, w.a_type_crush):
        a.setEnabled(has)
    w.a_export_csv_all.setEnabled(w.workspace is not None)
    for a in (w.a_tool_propose, w.a_propose_span, w.a_carry):
        a.setEnabled(has)
    pending = bool(doc is not None and doc.pending_levels())
    for a in (w.a_accept_all, w.a_accept_level, w.a_reject_level, w.a_reject_all):
        a.setEnabled(pending)
    configured = has and w.pacs_configured
    w.a_store_sr.setEnabled(configured)
    w.a_store_gsps.setEnabled(configured)
    w.a_store_sr.setText("Store SR to &PACS" if configured or not has else
                         "Store SR to PACS (no PACS configured: Tools ▸ PACS server settings…)")
    w.a_store_sr.setToolTip("Send the reading as a DICOM SR to the configured PACS"
                            if configured or not has else
                            "No PACS configured: Tools ▸ PACS server settings…")
