"""The wheel lists every package folder: the list in pyproject.toml is kept by hand."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _packages_on_disk() -> set[str]:
    found: set[str] = set()
    for top, installed_as in (("hsm_setup", "hsm_setup"), ("screens", "hsm_setup_screens")):
        for init in (ROOT / top).rglob("__init__.py"):
            relative = init.parent.relative_to(ROOT / top).parts
            found.add(".".join((installed_as, *relative)))
    return found


def test_every_package_folder_is_in_the_wheel():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    missing = _packages_on_disk() - listed
    assert not missing, f"add these to [tool.setuptools] packages in pyproject.toml: {sorted(missing)}"
    assert "hsm_setup.assets" in listed


def test_no_generic_top_level_package_is_installed():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    tops = {name.split(".")[0] for name in config["tool"]["setuptools"]["packages"]}
    assert tops == {"hsm_setup", "hsm_setup_screens"}


def test_the_import_contract_covers_every_package_of_the_core():
    """A new core package left out of the contract could import a front end unnoticed."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    core_contract = config["tool"]["importlinter"]["contracts"][0]
    covered = set(core_contract["source_modules"])
    above_the_core = {"hsm_setup.cli", "hsm_setup.sandbox"}
    core = {
        f"hsm_setup.{path.stem if path.is_file() else path.name}"
        for path in (ROOT / "hsm_setup").iterdir()
        if (path.is_dir() and (path / "__init__.py").exists())
        or (path.suffix == ".py" and path.stem not in ("__init__", "__main__"))
    } - above_the_core
    assert core - covered == set(), f"add to the first [[tool.importlinter.contracts]]: {sorted(core - covered)}"
    assert {"hsm_setup_screens", "textual", "questionary", *above_the_core} <= set(core_contract["forbidden_modules"])
