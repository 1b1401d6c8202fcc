"""No private reaches: a module of ``vfa/`` or ``ui/`` uses only public names of other
modules (checked on the source with an AST walk).

A *private* name starts with one underscore (``_cache``, ``_sample()``; dunders are public).
A *reach* is, in module M:

* ``from x import _name`` or ``import x._mod`` where the private module is not in M's own
  package (``vfa.commands`` modules share ``vfa.commands._common``);
* ``something._name`` where ``_name`` is not defined in M itself (a function, class,
  variable, attribute set on ``self``/``cls``, argument or keyword argument of M): an
  attribute of an object or module that belongs to another module;
* ``getattr(x, "_name")`` / ``setattr(x, "_name", ...)`` with a literal private name not
  defined in M.

The few documented public names that start with an underscore are allowed
(:data:`PUBLIC_UNDERSCORE`).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: Documented public API spelled with a leading underscore (namedtuple methods, os._exit).
PUBLIC_UNDERSCORE = {"_replace", "_asdict", "_fields", "_make", "_field_defaults", "_exit"}


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _defined(tree: ast.AST) -> set[str]:
    """The private names a module defines itself."""
    names: set[str] = set()
    for n in ast.walk(tree):
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(n.name)
        elif isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Store) and \
                isinstance(n.value, ast.Name) and n.value.id in ("self", "cls"):
            names.add(n.attr)
        elif isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
            names.add(n.id)
        elif isinstance(n, ast.arg):
            names.add(n.arg)
        elif isinstance(n, ast.keyword) and n.arg:
            names.add(n.arg)       # set_defaults(_run=...), dataclass fields by keyword
        elif isinstance(n, ast.alias):
            names.add(n.asname or n.name.split(".")[0])
    return {n for n in names if _private(n)}


def reaches(path: Path) -> list[str]:
    """The private reaches of one module: 'file:line what'."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    me = _module(path)
    own = _defined(tree)
    rel = path.relative_to(ROOT)
    out: list[str] = []

    def private_module_ok(mod: str) -> bool:
        parts = mod.split(".")
        for i, p in enumerate(parts):
            if _private(p):
                package = ".".join(parts[:i])
                if not (package and (me == package or me.startswith(package + "."))):
                    return False
        return True

    for n in ast.walk(tree):
        if isinstance(n, ast.ImportFrom):
            mod = n.module or ""
            if n.level == 0 and not private_module_ok(mod):
                out.append(f"{rel}:{n.lineno} from {mod} import ...")
            for a in n.names:
                if _private(a.name) and not private_module_ok(f"{mod}.{a.name}"):
                    out.append(f"{rel}:{n.lineno} from {mod} import {a.name}")
        elif isinstance(n, ast.Import):
            for a in n.names:
                if not private_module_ok(a.name):
                    out.append(f"{rel}:{n.lineno} import {a.name}")
        elif isinstance(n, ast.Attribute) and _private(n.attr) and n.attr not in PUBLIC_UNDERSCORE:
            if n.attr not in own:
                out.append(f"{rel}:{n.lineno} {ast.unparse(n)}")
        elif isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and \
                n.func.id in ("getattr", "setattr", "hasattr", "delattr") and len(n.args) >= 2 and \
                isinstance(n.args[1], ast.Constant) and isinstance(n.args[1].value, str) and \
                _private(n.args[1].value) and n.args[1].value not in own:
            out.append(f"{rel}:{n.lineno} {n.func.id}(..., {n.args[1].value!r})")
    return out


def all_reaches() -> list[str]:
    return [r for pkg in ("vfa", "ui") for p in sorted((ROOT / pkg).rglob("*.py")) for r in reaches(p)]


def test_the_checker_finds_reaches_of_every_kind(tmp_path, monkeypatch):
    pkg = tmp_path / "vfa"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "sub" / "_helpers.py").write_text("X = 1\n")
    (pkg / "sub" / "ok.py").write_text(
        "from vfa.sub._helpers import X\n"            # a private module of its own package
        "class A:\n    def __init__(self):\n        self._n = 1\n"
        "    def same(self, other):\n        return other._n\n"   # its own class's name
        "def f(p):\n    return p._replace(a=1)\n")
    (pkg / "bad.py").write_text(
        "from vfa.sub._helpers import X\n"
        "from vfa.sub.ok import _thing\n"
        "from highdicom import _standard_utils\n"
        "def g(rg):\n    rg._cache['a'] = rg._sample()\n    return getattr(rg, '_x')\n")
    monkeypatch.setitem(globals(), "ROOT", tmp_path)
    assert reaches(pkg / "sub" / "ok.py") == []
    found = reaches(pkg / "bad.py")
    assert sorted(f.split(" ", 1)[1] for f in found) == sorted([
        "from vfa.sub._helpers import ...", "from vfa.sub.ok import _thing",
        "from highdicom import _standard_utils", "getattr(..., '_x')", "rg._cache", "rg._sample"])


def test_no_private_reaches_in_vfa_and_ui():
    found = all_reaches()
    assert found == [], "\n".join(found)
