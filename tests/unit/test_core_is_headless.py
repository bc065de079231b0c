"""The core never imports a front-end library: checked in a fresh interpreter."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import hsm_setup


def test_importing_every_core_module_loads_no_front_end():
    modules = [
        m.name for m in pkgutil.walk_packages(hsm_setup.__path__, "hsm_setup.") if m.name != "hsm_setup.__main__"
    ]
    code = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'questionary', 'hsm_setup_screens', 'rich'))))"
    )
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert json.loads(output) == []
    assert len(modules) > 10
