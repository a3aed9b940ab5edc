"""The import-linter contract (.importlinter, docs/architecture.md "Layers") holds, and fails on a wrong import."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _lint_imports(tree: Path) -> subprocess.CompletedProcess:
    # The tree's own portal package, whatever the environment's PYTHONPATH says.
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", "--config", str(tree / ".importlinter")], cwd=tree,
                          env=env, capture_output=True, text=True, timeout=120)


def _copy_of_the_tree(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "portal", tmp_path / "portal",
                    ignore=shutil.ignore_patterns("__pycache__", "translations", "*.pyc"))
    shutil.copy(ROOT / ".importlinter", tmp_path / ".importlinter")
    return tmp_path


def test_the_real_tree_keeps_the_contract():
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(("module", "source", "broken"), [
    # core stands below every domain: a core module that imports a domain breaks the layers.
    ("portal/core/wrong_way.py", "from portal.orders import models\n",
     "portal.core is not allowed to import portal.orders"),
    # holds sits below orders (orders import holds): holds importing orders would be a cycle between domains.
    ("portal/holds/wrong_way.py", "from portal.orders import queries\n",
     "portal.holds is not allowed to import portal.orders"),
    # two siblings of one layer are independent: no import either way.
    ("portal/auth/wrong_way.py", "from portal.customers import models\n",
     "portal.auth is not allowed to import portal.customers"),
    # nothing but wsgi.py, worker.py and the tests imports the app factory.
    ("portal/core/wrong_way.py", "def build():\n    from portal import create_app\n\n    return create_app()\n",
     "portal.core.wrong_way is not allowed to import portal"),
])
def test_a_wrong_import_breaks_the_contract(tmp_path, module, source, broken):
    tree = _copy_of_the_tree(tmp_path)
    (tree / module).write_text(source)
    result = _lint_imports(tree)
    assert result.returncode == 1, result.stdout + result.stderr
    assert broken in result.stdout
