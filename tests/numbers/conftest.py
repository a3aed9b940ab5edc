"""Fixtures of the inventory tests."""
from __future__ import annotations

import pytest


@pytest.fixture
def imports_dir(app, tmp_path, monkeypatch):
    """Where uploaded CSV files wait for their confirmation (a folder of the test's own)."""
    path = tmp_path / "imports"
    monkeypatch.setitem(app.config, "NUMBERS_IMPORT_DIR", str(path))
    return path
