"""Redraw docs/workshop-board.png: the facilitator's board as the server renders it, in Debian's Chromium.

    python docs/board_screenshot.py

The rows are a room in mid-workshop, made up for the picture (names and times); the page, its template
and its styles are the server's own. Run it after changing the board's template.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hsm_setup.cli.front_ends import WorkshopSettings  # noqa: E402
from hsm_setup_screens.workshop.access import Access  # noqa: E402
from hsm_setup_screens.workshop.seats import BoardRow  # noqa: E402
from hsm_setup_screens.workshop.server import WorkshopServer  # noqa: E402
from tests.workshop.browser import CHROMIUM, CHROMIUM_FLAGS  # noqa: E402

STEPS = ("root-user", "identity-center", "admin-user", "permission-sets", "cloudhsm-group", "service-linked-role")
ROOM = [  # name, statuses in step order, current step, minutes on it, connected
    ("Chen Wei", ["needs you", "to do", "blocked", "blocked", "to do", "to do"], "root-user", 7, True),
    ("Eli Okafor", ["needs you", "to do", "blocked", "blocked", "to do", "to do"], "root-user", 6, True),
    ("Ana Lopez", ["done"] * 6, None, 0, True),
    ("Bo Andersen", ["done", "done", "done", "to do", "to do", "to do"], "permission-sets", 1, True),
    ("Dara Byrne", ["done", "done", "to do", "to do", "to do", "to do"], "admin-user", 0.3, False),
    ("Farah Haddad", ["done", "to do", "blocked", "blocked", "to do", "to do"], "identity-center", 0.1, True),
]


class PictureRoom:
    """Stands in for the seat manager: the board only asks it for its rows and its capacity."""

    capacity = 20

    def board(self, stuck_after: dt.timedelta) -> list[BoardRow]:
        now = dt.datetime.now(dt.UTC)
        return [
            BoardRow(
                seat=name,
                id=f"seat-{number}",
                steps=dict(zip(STEPS, statuses, strict=True)),
                current=current,
                since=(now - dt.timedelta(minutes=minutes)).isoformat(),
                stuck=dt.timedelta(minutes=minutes) >= stuck_after and current is not None,
                connected=connected,
                done=current is None,
            )
            for number, (name, statuses, current, minutes, connected) in enumerate(ROOM, 1)
        ]


def main() -> None:
    server = WorkshopServer(WorkshopSettings(stuck_minutes=5), PictureRoom(), access=Access(None, None))  # type: ignore[arg-type]
    page = server.board_page()
    with tempfile.TemporaryDirectory() as folder:
        html = Path(folder) / "board.html"
        html.write_bytes(page.body)  # type: ignore[arg-type]
        out = ROOT / "docs" / "workshop-board.png"
        subprocess.run(
            [
                CHROMIUM,
                *CHROMIUM_FLAGS,
                f"--user-data-dir={folder}/profile",
                f"--screenshot={out}",
                "--window-size=1640,360",
                html.as_uri(),
            ],
            check=True,
            capture_output=True,
        )
    print(out)


if __name__ == "__main__":
    main()
