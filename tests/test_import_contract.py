"""The import contract (docs/architecture.md), checked on the source with an AST walk:

* ``vfa/`` never imports ``ui`` or Qt (anywhere in a module, also inside functions);
* no ``ui`` module but ``ui/app.py`` imports ``ui/mainwindow.py`` (controllers get the
  session and their own widgets, and a :class:`ui.shell.Shell`), not even for type hints;
* no import circles among ``ui`` modules, nor among ``vfa`` modules (imports that run, at
  the top of a module or inside a function; those for type hints only do not count);
* ``vfa/reading/reading.py`` imports nothing from ``vfa/reading/autoplace`` (proposals are below it).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _type_checking_imports(tree: ast.AST) -> set[int]:
    """ids of the import nodes inside ``if TYPE_CHECKING:`` blocks (never run)."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and (
                (isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING")
                or (isinstance(node.test, ast.Attribute) and node.test.attr == "TYPE_CHECKING")):
            for stmt in node.body:
                skip.update(id(n) for n in ast.walk(stmt))
    return skip


def imports(path: Path, type_checking: bool = True) -> set[str]:
    """Every module ``path`` imports (absolute names; ``from . import x`` gives pkg.x), at
    the top or inside functions; with ``type_checking`` also those only for type hints."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    me = module_name(path)
    pkg = me if path.name == "__init__.py" else me.rpartition(".")[0]
    skip = set() if type_checking else _type_checking_imports(tree)
    out: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg.split(".")
                base = base[:len(base) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            out.add(mod)
            for a in node.names:      # "from . import dialogs" imports the module ui.dialogs
                out.add(f"{mod}.{a.name}")
    return out


def modules(package: str) -> dict[str, Path]:
    return {module_name(p): p for p in sorted((ROOT / package).rglob("*.py"))}


def graph(package: str) -> dict[str, set[str]]:
    """Who imports whom when the code runs (imports for type hints only do not count)."""
    mods = modules(package)
    return {m: {i for i in imports(p, type_checking=False) if i in mods and i != m}
            for m, p in mods.items()}


def cycles(g: dict[str, set[str]]) -> list[list[str]]:
    """The import circles of ``g`` (one path per strongly connected group, Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(g[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(g):
        if v not in index:
            visit(v)
    return out


def test_the_checker_sees_imports_of_every_kind(tmp_path):
    g = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(g) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []
    # relative, nested and TYPE_CHECKING imports are all seen
    src = ROOT / "ui" / "opening.py"
    found = imports(src)
    assert "ui.dialogs" in found and "ui.document" in found and "ui.shell" in found
    assert "ui.shell" not in imports(src, type_checking=False)


def test_vfa_never_imports_ui_or_qt():
    bad = {m: sorted(i for i in imports(p) if i.split(".")[0] in ("ui", "PyQt6", "PyQt5",
                                                                   "PySide6", "qtpy"))
           for m, p in modules("vfa").items()}
    assert {m: b for m, b in bad.items() if b} == {}


def test_no_ui_module_imports_the_main_window():
    bad = [m for m, p in modules("ui").items()
           if m not in ("ui.app", "ui.mainwindow") and "ui.mainwindow" in imports(p)]
    assert bad == []


def test_no_import_circles_in_ui():
    assert cycles(graph("ui")) == []


def test_no_import_circles_in_vfa():
    assert cycles(graph("vfa")) == []


def test_the_reading_does_not_import_upward():
    found = imports(ROOT / "vfa" / "reading" / "reading.py")
    assert not any(i.startswith("vfa.reading.autoplace") for i in found)
    assert "vfa.reading.proposal" in found
