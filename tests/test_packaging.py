"""The fixed layout and packaging: every Python package folder is listed in setup.cfg, so a
non-editable install ships it too."""

from __future__ import annotations

import configparser
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAPPING = {"core": "switchboard", "plugins": "switchboard.plugins", "training": "switchboard.training"}


def _setup_cfg() -> configparser.ConfigParser:
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg", encoding="utf-8")
    return cfg


def test_pyproject_holds_only_build_system():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert set(data) == {"build-system"}
    assert any(r.startswith("setuptools>=64") for r in data["build-system"]["requires"])


def test_fixed_layout_exists():
    for folder in ("core", "plugins/risk_keywords", "plugins/risk_ml", "plugins/office_hours",
                   "plugins/queues", "training", "tests"):
        assert (ROOT / folder).is_dir(), folder


def test_every_package_folder_is_listed():
    listed = set(_setup_cfg()["options"]["packages"].split())
    found = set()
    for top, dotted in MAPPING.items():
        for init in (ROOT / top).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / top)
            if "node_modules" in rel.parts or any(p.startswith(".") for p in rel.parts):
                continue
            found.add(".".join([dotted, *rel.parts]) if rel.parts else dotted)
    assert found - listed == set(), f"add to setup.cfg [options] packages: {sorted(found - listed)}"
    assert listed - found == set(), f"listed but missing: {sorted(listed - found)}"


def test_entry_points_name_importable_plugins():
    import importlib

    eps = _setup_cfg()["options.entry_points"]["switchboard"].split("\n")
    for line in filter(None, (e.strip() for e in eps)):
        name, target = (x.strip() for x in line.split("="))
        module, attr = target.split(":")
        assert hasattr(importlib.import_module(module), attr), line


def test_every_data_file_is_package_data():
    """Non-Python files the code reads at run time must ship in a wheel, not only in a checkout."""
    import fnmatch

    cfg = _setup_cfg()
    patterns = {
        pkg: [p.strip() for p in value.replace("\n", ",").split(",") if p.strip()]
        for pkg, value in cfg["options.package_data"].items()
    }
    package_dirs = {}
    for top, dotted in MAPPING.items():
        for init in (ROOT / top).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / top)
            package_dirs[".".join([dotted, *rel.parts]) if rel.parts else dotted] = init.parent
    missing = []
    for top in MAPPING:
        for path in (ROOT / top).rglob("*"):
            if not path.is_file() or path.suffix in (".py", ".pyc") or "__pycache__" in path.parts:
                continue
            if "authoring" in path.parts or "node_modules" in path.parts:
                continue  # authoring notes are not read at run time
            # the closest enclosing package owns the file
            owner = max((pkg for pkg, d in package_dirs.items() if d in path.parents),
                        key=lambda pkg: len(package_dirs[pkg].parts))
            rel = path.relative_to(package_dirs[owner]).as_posix()
            if not any(fnmatch.fnmatch(rel, pat) and rel.count("/") == pat.count("/") for pat in patterns.get(owner, [])):
                missing.append(f"{owner}: {rel}")
    assert not missing, "add to setup.cfg [options.package_data]: " + ", ".join(missing[:10])
