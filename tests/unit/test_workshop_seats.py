"""The workshop's room, without a browser: seats, their practice accounts, the board's rows, who may join,
what a seat's wizard inherits, and the channel between a seat's wizard and the server."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import threading
from collections.abc import Iterator
from concurrent.futures import wait
from pathlib import Path
from typing import Any

import pytest

from hsm_setup.errors import HsmSetupError
from hsm_setup.steps.registry import STEPS
from hsm_setup_screens.workshop.access import Access, is_loopback, seat_environment
from hsm_setup_screens.workshop.control import ControlChannel, SeatLink, SeatPractice
from hsm_setup_screens.workshop.names import STEP_IDS, name_problem
from hsm_setup_screens.workshop.seats import RoomFull, SeatManager


class FakePractice:
    """Stands in for a practice account's process: counts what is asked of it."""

    def __init__(self, scenario: str) -> None:
        self.scenario = scenario
        self.stopped = False
        self.simulated: list[tuple[str, str | None]] = []

    def connection_overrides(self) -> dict[str, Any]:
        return {
            "endpoint_url": "http://127.0.0.1:1",
            "access_key_id": "testing",
            "secret_access_key": "testing",
            "session_token": None,
        }

    def simulate(self, name: str, region: str | None = None) -> str:
        self.simulated.append((name, region))
        return f"simulated {name}"

    def describe_simulation(self, name: str) -> str:
        return name

    def reset(self, scenario: str | None = None) -> None:
        self.scenario = scenario or self.scenario

    def stop(self) -> None:
        self.stopped = True


class Clock:
    def __init__(self) -> None:
        self.monotonic = 1000.0
        self.wall = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)

    def advance(self, seconds: float) -> None:
        self.monotonic += seconds
        self.wall += dt.timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def started() -> list[FakePractice]:
    return []


def room_of(
    tmp_path: Path, clock: Clock, started: list[FakePractice], *, capacity: int, scenario: str = "fresh", ready: int = 0
) -> SeatManager:
    """A room on the test's clock whose practice accounts are recorded in `started`."""

    def start(scenario: str) -> FakePractice:
        practice = FakePractice(scenario)
        started.append(practice)
        return practice

    return SeatManager(
        tmp_path / "room",
        capacity=capacity,
        scenario=scenario,
        start_practice=start,
        ready=ready,
        clock=lambda: clock.monotonic,
        now=lambda: clock.wall,
    )


@pytest.fixture
def manager(tmp_path: Path, clock: Clock, started: list[FakePractice]) -> Iterator[SeatManager]:
    room = room_of(tmp_path, clock, started, capacity=2)
    yield room
    room.close()


def test_the_board_knows_the_wizards_steps_in_order() -> None:
    assert tuple(step.id for step in STEPS) == STEP_IDS


def test_each_browser_gets_a_seat_of_its_own_until_the_room_is_full(
    manager: SeatManager, started: list[FakePractice]
) -> None:
    first = manager.claim()
    second = manager.claim()
    assert first.id != second.id and first.key != second.key
    assert manager.practice(first, timeout=30) is not manager.practice(second, timeout=30)
    assert {p.scenario for p in started} == {"fresh"}
    # A reload brings its cookie: the same seat, not a third one.
    assert manager.claim(first.key) is first
    with pytest.raises(RoomFull) as full:
        manager.claim()
    assert "2 seats" in full.value.cause


def test_a_seat_is_found_only_by_its_own_key(manager: SeatManager) -> None:
    seat = manager.claim()
    assert manager.find(seat.key) is seat
    assert manager.find(seat.key[:-1]) is None
    assert manager.find("") is None
    assert manager.find(None) is None


def test_a_seat_away_past_the_idle_limit_is_released_and_its_place_freed(
    manager: SeatManager, clock: Clock, started: list[FakePractice]
) -> None:
    away = manager.claim()
    here = manager.claim()
    manager.practice(away, timeout=30)
    manager.connected(here)
    folder = away.folder
    assert folder.is_dir() and (away.state_dir).is_dir()
    clock.advance(60)
    assert manager.release_idle(120) == []  # back within the limit: kept
    clock.advance(61)
    assert manager.release_idle(120) == [away]
    assert manager.find(away.key) is None
    assert not folder.exists()
    assert started[0].stopped
    # Connected seats stay however long; the freed place goes to the next visitor.
    assert manager.find(here.key) is here
    newcomer = manager.claim()
    assert newcomer.number == away.number and newcomer.key != away.key


def test_practice_accounts_start_before_the_room_arrives_and_each_new_seat_takes_one(
    tmp_path: Path, clock: Clock, started: list[FakePractice]
) -> None:
    room = room_of(tmp_path, clock, started, capacity=3, scenario="partial", ready=2)
    try:
        # Before anyone comes: two accounts starting for the first two attendees.
        wait_for(lambda: room.ready_now() == 2, "the ready accounts")
        assert len(started) == 2
        first = room.claim()
        # The first attendee gets one already started; another starts for the seats still free.
        assert room.practice(first, timeout=30) is started[0]
        wait_for(lambda: len(started) == 3, "the account replacing the one taken")
        second, third = room.claim(), room.claim()
        assert {room.practice(s, timeout=30) for s in (second, third)} == set(started[1:])
        # Never more accounts than seats: the room is full, nothing more starts.
        assert len(started) == 3 and {p.scenario for p in started} == {"partial"}
        # A seat released frees its place: an account starts for the next attendee.
        room.connected(second)
        room.connected(third)
        clock.advance(1000)
        assert room.release_idle(120) == [first]
        wait_for(lambda: len(started) == 4, "the account for the freed seat")
        assert started[0].stopped and not started[3].stopped
    finally:
        room.close()
    # Closing the room stops the accounts waiting for attendees too.
    wait_for(lambda: all(p.stopped for p in started), "every account stopped")


def wait_for(condition: Any, what: str) -> None:
    import time

    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.01)


def test_a_reconnect_within_the_limit_keeps_the_seats_account(manager: SeatManager, clock: Clock) -> None:
    seat = manager.claim()
    account = manager.practice(seat, timeout=30)
    manager.connected(seat)
    manager.disconnected(seat)
    clock.advance(100)
    manager.connected(seat)  # the tab came back
    clock.advance(1000)
    assert manager.release_idle(120) == []
    assert manager.practice(seat, timeout=30) is account


def test_the_board_row_says_where_a_seat_is_and_since_when(manager: SeatManager, clock: Clock) -> None:
    seat = manager.claim()
    manager.set_name(seat, "  Ana   Lopez ")
    manager.connected(seat)
    statuses = {step: "to do" for step in STEP_IDS} | {"root-user": "done"}
    manager.record_status(seat, statuses, "identity-center")
    entered = clock.wall
    clock.advance(5 * 60)
    manager.record_status(seat, statuses | {"identity-center": "applying"}, "identity-center")  # same step: since stays
    (row,) = manager.board(dt.timedelta(minutes=10))
    assert row.to_json() == {
        "seat": "Ana Lopez",
        "id": seat.id,
        "steps": statuses | {"identity-center": "applying"},
        "current": "identity-center",
        "since": entered.isoformat().replace("+00:00", "Z"),
        "stuck": False,
        "connected": True,
        "done": False,
    }
    clock.advance(5 * 60)
    (row,) = manager.board(dt.timedelta(minutes=10))
    assert row.stuck
    manager.record_status(seat, dict.fromkeys(STEP_IDS, "done"), None)
    manager.disconnected(seat)
    (row,) = manager.board(dt.timedelta(minutes=10))
    assert row.done and not row.stuck and row.current is None and not row.connected


def test_a_seat_without_a_name_shows_the_generated_one(manager: SeatManager) -> None:
    seat = manager.claim()
    (row,) = manager.board(dt.timedelta(minutes=10))
    assert row.seat == f"Attendee {seat.number}"
    assert manager.set_name(seat, "   ") == f"Attendee {seat.number}"


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("A" * 41, "name: at most 40 characters (41 typed)"),
        ("Ana\x1b[2J", "name: letters, digits, spaces and punctuation only (no control characters)"),
    ],
)
def test_a_name_the_board_cannot_show_is_refused_naming_the_field(
    manager: SeatManager, typed: str, problem: str
) -> None:
    seat = manager.claim()
    assert name_problem(typed) == problem
    with pytest.raises(HsmSetupError) as refused:
        manager.set_name(seat, typed)
    assert refused.value.cause == problem
    assert seat.name is None


def test_a_practice_account_that_failed_to_start_is_started_again_when_asked(tmp_path: Path) -> None:
    attempts: list[str] = []

    def start(scenario: str) -> FakePractice:
        attempts.append(scenario)
        if len(attempts) <= 2:
            raise HsmSetupError("The practice account did not start: moto is missing.", "Reinstall hsm-setup.")
        return FakePractice(scenario)

    room = SeatManager(tmp_path / "room", capacity=1, scenario="partial", start_practice=start)
    try:
        seat = room.claim()
        assert seat.practice is not None
        wait([seat.practice], timeout=30)  # the start the claim began has failed
        with pytest.raises(HsmSetupError, match="did not start"):
            room.practice(seat, timeout=30)  # started again, and it failed again: the wizard hears why
        assert isinstance(room.practice(seat, timeout=30), FakePractice)
        assert attempts == ["partial", "partial", "partial"]
    finally:
        room.close()


# -- who may join, and what a seat inherits ---------------------------------------------------------
@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("192.0.2.7", False),
        ("workshop.example", False),
    ],
)
def test_only_loopback_goes_without_a_join_token(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
    access = Access.for_host(host)
    assert (access.join_token is None) is loopback
    assert access.may_join(access.join_token)
    assert access.may_join(None) is loopback
    assert access.may_join("wrong") is loopback


def test_the_board_needs_the_facilitators_token_even_on_loopback() -> None:
    access = Access.for_host("127.0.0.1")
    assert access.may_see_board(access.board_token)
    assert not access.may_see_board(None)
    assert not access.may_see_board(access.board_token[:-1])
    assert access.board_token not in repr(access)


def test_a_seat_inherits_nothing_of_the_servers_aws_set_up(tmp_path: Path) -> None:
    server = {
        "PATH": "/usr/bin",
        "LANG": "C.UTF-8",
        "HOME": "/home/facilitator",
        "AWS_PROFILE": "production",
        "AWS_ACCESS_KEY_ID": "AKIAREALKEY",
        "AWS_SECRET_ACCESS_KEY": "real-secret",
        "AWS_SESSION_TOKEN": "token",
        "AWS_CONFIG_FILE": "/home/facilitator/.aws/config",
        "HSM_SETUP_STATE_DIR": "/home/facilitator/state",
        "SSH_AUTH_SOCK": "/tmp/agent",
        "TEXTUAL_DRIVER": "textual.drivers.web_driver:WebDriver",
        "COLUMNS": "120",
    }
    env = seat_environment(
        server, home=tmp_path / "home", state_dir=tmp_path / "state", control=tmp_path / "control.sock"
    )
    assert "real-secret" not in env.values() and "AKIAREALKEY" not in env.values()
    assert not {
        "AWS_PROFILE",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "SSH_AUTH_SOCK",
    } & set(env)
    assert env["HOME"] == str(tmp_path / "home")
    assert env["AWS_CONFIG_FILE"].startswith(str(tmp_path / "home"))
    assert env["AWS_SHARED_CREDENTIALS_FILE"].startswith(str(tmp_path / "home"))
    assert env["HSM_SETUP_STATE_DIR"] == str(tmp_path / "state")
    assert env["PYTHON_KEYRING_BACKEND"] == "keyring.backends.null.Keyring"
    assert env["TEXTUAL_DRIVER"] == server["TEXTUAL_DRIVER"] and env["COLUMNS"] == "120" and env["PATH"] == "/usr/bin"


# -- the channel between a seat's wizard and the server --------------------------------------------------
@pytest.fixture
def channel(manager: SeatManager) -> Iterator[tuple[SeatManager, Any, SeatLink]]:
    """A seat's channel served on an event loop of its own thread, and the wizard's end of it."""
    seat = manager.claim()
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    served = ControlChannel(manager, seat)

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(served.start())
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert ready.wait(30)
    link = SeatLink(str(seat.control_path))
    try:
        yield manager, seat, link
    finally:
        link.close()
        asyncio.run_coroutine_threadsafe(served.close(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(30)


def test_the_channel_is_private_to_the_user_serving_the_workshop(channel: tuple[SeatManager, Any, SeatLink]) -> None:
    _, seat, _ = channel
    assert oct(os.stat(seat.control_path).st_mode & 0o777) == "0o600"
    assert oct(os.stat(seat.folder).st_mode & 0o777) == "0o700"


def test_the_seats_wizard_reaches_its_own_account_through_the_channel(
    channel: tuple[SeatManager, Any, SeatLink], started: list[FakePractice]
) -> None:
    manager, seat, link = channel
    hello = link.call("hello")
    assert hello == {"seat": seat.id, "name": None, "generated_name": f"Attendee {seat.number}", "scenario": "fresh"}
    practice = SeatPractice(link)
    assert practice.connection_overrides()["endpoint_url"] == "http://127.0.0.1:1"
    assert practice.simulate("root-mfa", "eu-west-1") == "simulated root-mfa"
    assert started[0].simulated == [("root-mfa", "eu-west-1")]
    practice.stop()  # the wizard lets go; the seat keeps its account
    assert not started[0].stopped
    assert link.call("name", "Bo") == "Bo" and seat.name == "Bo"
    link.call("status", {"steps": {"root-user": "done"}, "current": "identity-center"})
    (row,) = manager.board(dt.timedelta(minutes=10))
    assert row.steps["root-user"] == "done" and row.current == "identity-center"


def test_a_refusal_reaches_the_wizard_as_its_cause_and_next_move(channel: tuple[SeatManager, Any, SeatLink]) -> None:
    _, _, link = channel
    with pytest.raises(HsmSetupError) as refused:
        link.call("name", "x" * 50)
    assert refused.value.cause == "name: at most 40 characters (50 typed)"
    assert "Enter alone" in refused.value.next_move
    with pytest.raises(HsmSetupError, match="was not understood"):
        link.call("shutdown")
