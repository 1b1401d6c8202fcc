"""The import contract (docs/architecture.md), checked on the source with an AST walk.

``vfa/`` is built in layers, lowest first (:data:`LAYERS`, the one place they are listed).
A module may import modules of its own layer and of lower layers only; an import for type
hints only (inside ``if TYPE_CHECKING:``) may name a higher layer's type, but no import of
any kind may close a circle. "Import" means every import that can run: at the top of a
module, inside a function, dynamic ones (``importlib.import_module`` / ``__import__`` with a
literal name, a string that is exactly a module's name, the commands that :mod:`vfa.cli`
discovers, the names a package's lazy ``_LAZY`` table resolves) and the parent packages
every import runs.

Also: at most eight modules at the top of ``vfa/``; ``vfa/`` never imports ``ui`` or Qt;
no ``ui`` module but ``ui/app.py`` imports ``ui/mainwindow.py``; no import circles in ``ui``;
``vfa/reading/reading.py`` imports nothing from ``vfa/reading/autoplace``.
"""

from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: The layers of ``vfa/``, lowest first: (name, the modules or packages it holds). A module
#: may import its own layer and those above it in this list, never one below.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("foundation", ("vfa", "vfa.errors", "vfa.atomic", "vfa.events", "vfa.limits")),
    ("method", ("vfa.method",)),
    ("films", ("vfa.films",)),
    ("reading", ("vfa.reading",)),          # incl. vfa.reading.autoplace
    ("study", ("vfa.study",)),
    ("storage", ("vfa.storage",)),          # incl. vfa.storage.migrations
    ("outputs", ("vfa.outputs",)),
    ("synthetic", ("vfa.synthetic",)),
    ("application", ("vfa.cli", "vfa.batch", "vfa.importing", "vfa.commands")),
)
#: Imports the AST cannot see: a module that discovers every module of a package.
DISCOVERS = {"vfa.cli": "vfa.commands"}
#: Most modules (``.py`` files, ``__init__`` included) at the top of ``vfa/``.
MAX_TOP_MODULES = 8


def layer_of(module: str) -> int:
    """Index in :data:`LAYERS` of a ``vfa`` module (``vfa`` itself is its ``__init__``)."""
    for i, (_, members) in enumerate(LAYERS):
        for m in members:
            if module == m or (m != "vfa" and module.startswith(m + ".")):
                return i
    raise KeyError(f"{module} is in no layer: add it to LAYERS (tests/test_import_contract.py) "
                   "and to the table in docs/architecture.md")


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


@lru_cache(maxsize=None)
def modules(package: str) -> dict[str, Path]:
    return {module_name(p): p for p in sorted((ROOT / package).rglob("*.py"))}


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    """ids of the nodes inside ``if TYPE_CHECKING:`` blocks (never run)."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and (
                (isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING")
                or (isinstance(node.test, ast.Attribute) and node.test.attr == "TYPE_CHECKING")):
            for stmt in node.body:
                skip.update(id(n) for n in ast.walk(stmt))
    return skip


def _lazy_table(path: Path) -> dict[str, str]:
    """A package's ``_LAZY = {name: submodule}`` (names its ``__getattr__`` imports on use)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "_LAZY"
                                                for t in node.targets):
            return dict(ast.literal_eval(node.value))
    return {}


def _dynamic_name(node: ast.Call) -> str | None:
    """The literal module name of ``importlib.import_module("x")`` / ``__import__("x")``."""
    f = node.func
    name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
    if name in ("import_module", "__import__") and node.args and \
            isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
        return node.args[0].value
    return None


@lru_cache(maxsize=None)
def _scan(path: Path) -> tuple[frozenset[str], frozenset[str]]:
    """(names imported when the code runs, names imported for type hints only)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    me = module_name(path)
    pkg = me if path.name == "__init__.py" else me.rpartition(".")[0]
    hints = _type_checking_nodes(tree)
    known = set(modules("vfa")) | set(modules("ui"))
    run: set[str] = set()
    hint: set[str] = set()
    for node in ast.walk(tree):
        found: set[str] = set()
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg.split(".")
                base = base[:len(base) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            found.add(mod)
            lazy = _lazy_table(modules("vfa")[mod]) if mod in modules("vfa") and \
                modules("vfa")[mod].name == "__init__.py" else {}
            for a in node.names:      # "from . import dialogs" imports the module ui.dialogs
                found.add(f"{mod}.{a.name}")
                if a.name in lazy:    # "from pkg import name" runs pkg.__getattr__'s import
                    found.add(f"{mod}.{lazy[a.name]}")
        elif isinstance(node, ast.Call):
            name = _dynamic_name(node)
            if name:
                found.add(name)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in known:
            found.add(node.value)     # a module named in a string is imported by name somewhere
        (hint if id(node) in hints else run).update(found)
    if me in DISCOVERS:
        run.update(m for m in modules("vfa") if m.startswith(DISCOVERS[me] + "."))
    return frozenset(run), frozenset(hint - run)


def imports(path: Path, type_checking: bool = True) -> set[str]:
    """Every module ``path`` imports (absolute names; ``from . import x`` gives pkg.x), of
    every kind; without ``type_checking``, not those for type hints only."""
    run, hint = _scan(path)
    return set(run | hint) if type_checking else set(run)


def _parents(module: str, mods: dict[str, Path]) -> set[str]:
    """The packages whose ``__init__`` runs before ``module`` (``vfa.a.b`` -> vfa, vfa.a)."""
    parts = module.split(".")
    return {".".join(parts[:i]) for i in range(1, len(parts)) if ".".join(parts[:i]) in mods}


def graph(package: str, type_checking: bool = True) -> dict[str, set[str]]:
    """Who imports whom among ``package``'s modules (with ``type_checking``: of every kind)."""
    mods = modules(package)
    out: dict[str, set[str]] = {}
    for m, p in mods.items():
        targets = {i for i in imports(p, type_checking) if i in mods}
        targets |= {q for t in set(targets) for q in _parents(t, mods)} | _parents(m, mods)
        out[m] = targets - {m}
    return out


def cycles(g: dict[str, set[str]]) -> list[list[str]]:
    """The import circles of ``g`` (one sorted group per strongly connected set, Tarjan)."""
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


def upward_imports() -> list[str]:
    """Imports that run and point to a higher layer: 'a (layer) -> b (layer)'."""
    bad = []
    for m, p in modules("vfa").items():
        for t in sorted(imports(p, type_checking=False)):
            if t in modules("vfa") and layer_of(t) > layer_of(m):
                bad.append(f"{m} ({LAYERS[layer_of(m)][0]}) -> {t} ({LAYERS[layer_of(t)][0]})")
    return bad


# ------------------------------------------------------------------------------ the checker
def test_the_checker_sees_imports_of_every_kind(tmp_path):
    g = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(g) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []
    # relative, nested and TYPE_CHECKING imports are all seen
    src = ROOT / "ui" / "opening.py"
    found = imports(src)
    assert "ui.dialogs" in found and "ui.document" in found and "ui.shell" in found
    assert "ui.shell" not in imports(src, type_checking=False)
    # function-level imports count: vfa.commands.render imports its library only inside run()
    assert "vfa.outputs.render" in imports(ROOT / "vfa" / "commands" / "render.py", type_checking=False)
    # the commands vfa.cli discovers count as imported by it
    assert "vfa.commands.batch" in imports(ROOT / "vfa" / "cli.py", type_checking=False)


def test_dynamic_imports_literal_and_by_string(tmp_path, monkeypatch):
    pkg = tmp_path / "vfa"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("import importlib\n"
                              "def f():\n    return importlib.import_module('vfa.b')\n")
    (pkg / "b.py").write_text("def g():\n    return __import__('vfa.c')\n")
    (pkg / "c.py").write_text("PRELOAD = ('vfa.a',)\n")
    (pkg / "lazy").mkdir()
    (pkg / "lazy" / "__init__.py").write_text("_LAZY = {'thing': 'impl'}\n")
    (pkg / "lazy" / "impl.py").write_text("")
    (pkg / "d.py").write_text("from vfa.lazy import thing\n")
    monkeypatch.setitem(globals(), "ROOT", tmp_path)
    modules.cache_clear()
    _scan.cache_clear()
    try:
        g = graph("vfa")
        assert g["vfa.a"] == {"vfa", "vfa.b"} and g["vfa.b"] == {"vfa", "vfa.c"}
        assert cycles(g) == [["vfa.a", "vfa.b", "vfa.c"]]
        # a package's lazy names resolve to the submodule that defines them
        assert g["vfa.d"] == {"vfa", "vfa.lazy", "vfa.lazy.impl"}
    finally:
        modules.cache_clear()
        _scan.cache_clear()


def test_the_cli_discovers_exactly_the_commands_the_contract_counts():
    from vfa import cli
    found = {m.__name__ for m in cli._commands()}
    counted = {m for m in imports(ROOT / "vfa" / "cli.py") if m.startswith("vfa.commands.")}
    assert found and found <= counted
    assert counted - found <= {m for m in counted if m.rpartition(".")[2].startswith("_")}


# ------------------------------------------------------------------------------ vfa layers
def test_every_vfa_module_is_in_one_layer():
    for m in modules("vfa"):
        layer_of(m)   # raises for a module in no layer
    names = [m for _, members in LAYERS for m in members]
    assert len(names) == len(set(names))


def test_layers_import_only_themselves_and_lower_layers():
    bad = upward_imports()
    assert bad == [], "\n".join(bad)


def test_no_import_circles_in_vfa_of_any_kind():
    found = cycles(graph("vfa"))
    assert found == [], found


def test_at_most_eight_modules_at_the_top_of_vfa():
    top = sorted(p.name for p in (ROOT / "vfa").glob("*.py"))
    assert len(top) <= MAX_TOP_MODULES, top


def test_vfa_never_imports_ui_or_qt():
    bad = {m: sorted(i for i in imports(p) if i.split(".")[0] in ("ui", "PyQt6", "PyQt5",
                                                                   "PySide6", "qtpy"))
           for m, p in modules("vfa").items()}
    assert {m: b for m, b in bad.items() if b} == {}


def test_the_reading_does_not_import_upward():
    found = imports(ROOT / "vfa" / "reading" / "reading.py")
    assert not any(i.startswith("vfa.reading.autoplace") for i in found)
    assert "vfa.reading.proposal" in found


# ------------------------------------------------------------------------------ ui
def test_no_ui_module_imports_the_main_window():
    bad = [m for m, p in modules("ui").items()
           if m not in ("ui.app", "ui.mainwindow") and "ui.mainwindow" in imports(p)]
    assert bad == []


def test_no_import_circles_in_ui():
    assert cycles(graph("ui", type_checking=False)) == []
