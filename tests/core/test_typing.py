"""The type check (mypy.ini, docs/architecture.md "Types") passes, catches an untyped actor in a new domain, and
every ``actor`` it checks is an actor type (mypy alone would let ``actor: Any`` or ``actor: object`` through)."""
from __future__ import annotations

import ast
import configparser
import re
import shutil
from pathlib import Path

import pytest
from mypy import api

ROOT = Path(__file__).resolve().parents[2]
# One xdist worker runs both, one after the other: the second copies the cache (SQLite files) the first wrote.
pytestmark = pytest.mark.xdist_group("mypy")


def _mypy(tree: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, int]:
    # mypy.ini names the files relative to the tree (files = portal): run from there, with that tree's config.
    monkeypatch.chdir(tree)
    stdout, stderr, status = api.run(["--config-file", str(tree / "mypy.ini"),
                                      "--cache-dir", str(tree / ".mypy_cache")])
    return stdout + stderr, status


def test_the_real_tree_type_checks(monkeypatch):
    output, status = _mypy(ROOT, monkeypatch)
    assert status == 0, output
    assert "Success: no issues found" in output


def test_a_new_domain_is_checked_by_the_patterns(tmp_path, monkeypatch):
    shutil.copytree(ROOT / "portal", tmp_path / "portal",
                    ignore=shutil.ignore_patterns("__pycache__", "translations", "*.pyc"))
    shutil.copy(ROOT / "mypy.ini", tmp_path / "mypy.ini")
    if (ROOT / ".mypy_cache").is_dir():  # a warm start; mypy rechecks whatever changed
        shutil.copytree(ROOT / ".mypy_cache", tmp_path / ".mypy_cache")
    domain = tmp_path / "portal" / "newdomain"
    domain.mkdir()
    (domain / "__init__.py").write_text("")
    # A service with an untyped actor is reported; the same in a view (not yet under the check) is not.
    (domain / "services.py").write_text("def start_call(call_id: int, actor) -> None:\n    pass\n")
    (domain / "views.py").write_text("def start(actor):\n    pass\n")
    output, status = _mypy(tmp_path, monkeypatch)
    assert status == 1, output
    assert "portal/newdomain/services.py:1: error: Function is missing a type annotation for one or more parameters" \
           in output, output
    assert "portal/newdomain/views.py" not in output


# Who acts: the protocol (``Actor``, ``Actor | None`` where None is the system), an actor class of the domain
# (``CarrierActor``) or the one kind of row an action is reserved to (``Staff`` for staff administration).
ACTOR_TYPES = re.compile(r"(\w*Actor|Staff|Customer|Partner)( \| None)?")


def _checked_modules() -> list[Path]:
    """The files of the modules mypy.ini reports (its second section's patterns, read as globs)."""
    config = configparser.ConfigParser()
    config.read(ROOT / "mypy.ini")
    section = next(name for name in config.sections() if config[name].get("ignore_errors") == "False")
    patterns = section.removeprefix("mypy-").split(",")
    globs = [p.removesuffix(".*").replace(".", "/") + ("/**/*.py" if p.endswith(".*") else ".py") for p in patterns]
    return sorted({path for pattern in globs for path in ROOT.glob(pattern)})


def test_every_checked_actor_parameter_is_an_actor_type():
    modules = _checked_modules()
    assert ROOT / "portal/orders/lifecycle.py" in modules and ROOT / "portal/core/audit.py" in modules
    wrong = []
    for path in modules:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for arg in [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]:
                    annotation = ast.unparse(arg.annotation) if arg.annotation else ""
                    if arg.arg == "actor" and not ACTOR_TYPES.fullmatch(annotation):
                        wrong.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}(actor: {annotation})")
    assert wrong == []
