"""The built wheel installs into a fresh virtual environment and runs the practice account from there."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]


def test_wheel_installs_and_checks_the_practice_account(tmp_path):
    dist = tmp_path / "dist"
    env_dir = tmp_path / "venv"
    python = env_dir / "bin" / "python"
    lock = ROOT / "requirements" / "lock.txt"
    # uv (a test dependency) builds and installs in seconds; plain pip works too, only slower.
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    if uv:
        subprocess.run(
            [uv, "build", "--wheel", "--out-dir", str(dist), str(ROOT)], check=True, capture_output=True, timeout=300
        )
        subprocess.run(
            [uv, "venv", "--python", sys.executable, str(env_dir)], check=True, capture_output=True, timeout=120
        )
        install_cmd = [uv, "pip", "install", "--python", str(python), "-c", str(lock)]
    else:
        subprocess.run(
            [sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(ROOT)],
            check=True,
            capture_output=True,
            timeout=300,
        )
        venv.EnvBuilder(with_pip=True).create(env_dir)
        install_cmd = [str(python), "-m", "pip", "install", "-q", "-c", str(lock)]
    (wheel,) = dist.glob("hsm_setup-*.whl")
    install = subprocess.run([*install_cmd, str(wheel)], capture_output=True, text=True, timeout=600)
    assert install.returncode == 0, install.stderr[-2000:]

    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PYTHON"))}
    env.update(HSM_SETUP_STATE_DIR=str(tmp_path / "state"), AWS_EC2_METADATA_DISABLED="true")
    # Run from an unrelated folder so nothing is imported from the source tree.
    done = subprocess.run(
        [str(env_dir / "bin" / "hsm-setup"), "check", "--sandbox", "--json"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=180,
    )
    assert done.returncode == 1, done.stderr
    payload = json.loads(done.stdout)
    assert payload["sandbox"] is True
    assert len(payload["steps"]) == 6
    # The assets (policy documents, guidance) were found inside the installed package.
    files = subprocess.run(
        [str(python), "-c", "import hsm_setup.assets as a; print(a.assets_dir())"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        check=True,
    ).stdout.strip()
    assert files.startswith(str(env_dir)), files
    assert (Path(files) / "policies" / "cloudhsm-admin.json").is_file()
