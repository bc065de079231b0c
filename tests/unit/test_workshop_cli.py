"""`hsm-setup workshop`'s options: parsed by the core, served by the front end it is handed."""

from __future__ import annotations

import pytest

from hsm_setup.cli.front_ends import FrontEnds, WorkshopSettings
from hsm_setup.cli.main import main


def _front_ends(received: list[WorkshopSettings]) -> FrontEnds:
    def unused(*args: object, **kwargs: object) -> int:
        raise AssertionError("no wizard for a workshop")

    def workshop(settings: WorkshopSettings) -> int:
        received.append(settings)
        return 0

    return FrontEnds(wizard=unused, plain=unused, workshop=workshop)


def test_the_defaults_are_twenty_seats_on_this_machine_only() -> None:
    received: list[WorkshopSettings] = []
    assert main(["workshop"], front_ends=_front_ends(received)) == 0
    assert received == [
        WorkshopSettings(seats=20, port=8000, host="127.0.0.1", scenario="fresh", idle_minutes=30.0, stuck_minutes=10.0)
    ]


def test_the_facilitators_choices_reach_the_server() -> None:
    received: list[WorkshopSettings] = []
    argv = [
        "workshop",
        "--seats",
        "12",
        "--port",
        "0",
        "--host",
        "0.0.0.0",
        "--scenario",
        "partial",
        "--idle-minutes",
        "45",
        "--stuck-minutes",
        "7.5",
        "--ready",
        "4",
    ]
    assert main(argv, front_ends=_front_ends(received)) == 0
    assert received == [
        WorkshopSettings(
            seats=12, port=0, host="0.0.0.0", scenario="partial", ready=4, idle_minutes=45.0, stuck_minutes=7.5
        )
    ]


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (
            ["--profile", "prod", "workshop"],
            "workshop: every seat works on a practice account of its own; --profile does not apply",
        ),
        (["--sandbox", "workshop"], "--sandbox does not apply"),
        (["--endpoint-url", "http://127.0.0.1:4566", "workshop"], "--endpoint-url does not apply"),
        (
            ["workshop", "--host", "http://0.0.0.0"],
            'argument --host: "http://0.0.0.0" is not an address or host name to listen on',
        ),
        (["workshop", "--seats", "0"], "argument --seats: '0' is not a number of seats (1-200)"),
        (["workshop", "--port", "80000"], "argument --port: 80000 is not a port number (0-65535)"),
        (["workshop", "--ready", "-1"], "argument --ready: '-1' is not a number of practice accounts (0-200)"),
        (["workshop", "--idle-minutes", "-5"], "argument --idle-minutes: '-5' is not a number of minutes"),
        (["workshop", "--scenario", "broken"], "argument --scenario: invalid choice: 'broken'"),
    ],
)
def test_bad_options_exit_2_with_one_line_naming_the_option(
    argv: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    received: list[WorkshopSettings] = []
    with pytest.raises(SystemExit) as stopped:
        main(argv, front_ends=_front_ends(received))
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert said in err
    assert "Traceback" not in err
    assert received == []


def test_an_entry_point_without_the_workshop_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["workshop"], front_ends=None) == 2
    assert "cannot serve a workshop" in capsys.readouterr().err
