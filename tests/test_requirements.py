"""Production installs requirements.txt alone: the code that ships imports nothing from requirements-dev.txt."""
from __future__ import annotations

import ast
import sys
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = [*sorted((ROOT / "portal").rglob("*.py")), ROOT / "wsgi.py", ROOT / "worker.py",
           ROOT / "gunicorn.conf.py"]


def _requirements(name: str) -> list[Requirement]:
    lines = (line.split("#")[0].strip() for line in (ROOT / name).read_text().splitlines())
    return [Requirement(line) for line in lines if line and not line.startswith("-")]


def _installed_closure(requirements: list[Requirement]) -> set[str]:
    """The distributions a pip install of ``requirements`` brings: each one and what it needs, extras included."""
    seen: set[str] = set()
    todo = [(r.name, frozenset(r.extras)) for r in requirements]
    while todo:
        name, extras = todo.pop()
        key = canonicalize_name(name)
        if key in seen:
            continue
        seen.add(key)
        for spec in metadata.requires(name) or []:
            req = Requirement(spec)
            if req.marker is None or any(req.marker.evaluate({"extra": e}) for e in extras or {""}):
                todo.append((req.name, frozenset(req.extras)))
    return seen


def _top_level_imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_shipped_code_imports_only_what_requirements_txt_installs():
    production = _installed_closure(_requirements("requirements.txt"))
    provided_by = metadata.packages_distributions()  # import name → distributions
    provided_by.setdefault("dlib", []).append("dlib-bin")  # the wheel's metadata names only its _dlib_pybind11
    allowed = {name for name, dists in provided_by.items() if any(canonicalize_name(d) in production for d in dists)}
    allowed |= set(sys.stdlib_module_names) | {"portal", "__future__"}
    offenders = {f"{path.relative_to(ROOT)}: {name}" for path in SHIPPED for name in _top_level_imports(path)
                 if name not in allowed}
    assert offenders == set(), "imports a package requirements.txt does not install (dev only or missing)"


def test_dev_requirements_add_the_tools_to_production_and_repeat_none_of_it():
    dev_lines = [line.strip() for line in (ROOT / "requirements-dev.txt").read_text().splitlines()]
    assert "-r requirements.txt" in dev_lines
    production = {canonicalize_name(r.name) for r in _requirements("requirements.txt")}
    tools = {canonicalize_name(r.name) for r in _requirements("requirements-dev.txt")}
    assert {"pytest", "playwright", "schemathesis", "ruff", "pre-commit"} <= tools
    assert production & tools == set()
