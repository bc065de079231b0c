"""Where the shipped assets (policy documents, guidance, styles) are.

In a wheel they sit inside the package (hsm_setup/assets); in a source checkout or
an editable install they are the repository's top-level assets/ folder.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=1)
def assets_dir() -> Path:
    here = Path(__file__).resolve().parent
    for candidate in (here / "assets", here.parent / "assets"):
        if (candidate / "policies").is_dir():
            return candidate
    raise FileNotFoundError("hsm-setup's assets folder is missing; reinstall the package")


def stylesheet(name: str) -> str:
    """The path of one of the wizard's Textual stylesheets (app.tcss, dialogs.tcss, ...)."""
    return str(assets_dir() / name)


def read_text(*parts: str) -> str:
    return assets_dir().joinpath(*parts).read_text(encoding="utf-8")


def guidance(name: str) -> str:
    try:
        return read_text("guidance", name)
    except FileNotFoundError:
        return ""
