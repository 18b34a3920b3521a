"""federation/ stays a pure protocol library: no web framework, no database, no app code.

Checked twice: statically (every import statement in every module, including
ones inside functions) and dynamically (import every module in a fresh
interpreter and look at what got loaded, which also catches imports made by
federation's own dependencies).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import federation

PACKAGE = Path(federation.__file__).parent
FORBIDDEN = {
    "flask",
    "werkzeug",
    "sqlalchemy",
    "alembic",
    "psycopg",
    "hub",
    "national_aggregator",
    "hubnet",
}


def imported_modules(source: str) -> set[str]:
    """Every absolute module name the source imports, anywhere in it."""
    tree = ast.parse(source)
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            names.add(str(node.args[0].value))
    return names


def test_the_package_has_modules_to_check() -> None:
    modules = sorted(PACKAGE.rglob("*.py"))
    assert {path.name for path in modules} >= {"envelope.py", "merkle.py", "client.py"}


def test_no_module_imports_a_forbidden_package() -> None:
    offenders = {
        str(path.relative_to(PACKAGE.parent)): sorted(bad)
        for path in sorted(PACKAGE.rglob("*.py"))
        if (
            bad := {
                name
                for name in imported_modules(path.read_text(encoding="utf-8"))
                if name.split(".")[0] in FORBIDDEN
            }
        )
    }
    assert offenders == {}


def test_the_static_check_sees_every_kind_of_import() -> None:
    source = (
        "import flask\n"
        "from sqlalchemy.orm import Session\n"
        "from . import sibling\n"
        "def later():\n"
        "    import hub.app\n"
        "    importlib.import_module('national_aggregator')\n"
    )
    assert imported_modules(source) == {"flask", "sqlalchemy.orm", "hub.app", "national_aggregator"}


def test_importing_federation_loads_nothing_forbidden() -> None:
    script = f"""
import importlib, json, pkgutil, sys
import federation
for module in pkgutil.walk_packages(federation.__path__, "federation."):
    importlib.import_module(module.name)
forbidden = {sorted(FORBIDDEN)!r}
loaded = sorted(name for name in sys.modules if name.split(".")[0] in forbidden)
ours = sorted(name for name in sys.modules if name.startswith("federation"))
print(json.dumps({{"loaded": loaded, "modules": ours}}))
"""
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        cwd=PACKAGE.parent,
    )
    report = json.loads(result.stdout)
    assert report["loaded"] == []
    assert "federation.client" in report["modules"]
    assert "federation.merkle" in report["modules"]
