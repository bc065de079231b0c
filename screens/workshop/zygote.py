"""Seats' wizards forked from one process that has already imported them.

Starting a seat's wizard from scratch costs about 1.3 s of a core (the interpreter,
Textual, the wizard's modules) and some 60 MiB of its own. When a room of 20 opens
its seats at once on two cores, that alone would keep the last attendee waiting 13 s
for a first frame. So the workshop server starts this process once: it imports what a
seat's wizard needs, freezes those objects for the garbage collector (so that it never
touches, and so never copies, their pages), and forks a seat's wizard on request. A
fork costs milliseconds, and the imported code and data stay shared between seats.

Protocol, over a Unix socket in the workshop's private folder: the server sends one
JSON line (the seat's environment and folder) with three file descriptors (the
wizard's stdin, stdout and stderr pipes); the answer is one JSON line with the pid.
The process ends when its stdin (a pipe from the server) closes, so it never outlives
the server, however the server ends. Children are reaped automatically.

    python -m hsm_setup_screens.workshop.zygote SOCKET
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import random
import selectors
import signal
import socket
import sys
from typing import Any

# What a seat's wizard imports before and soon after its first frame.
PRELOAD = (
    "hsm_setup_screens.workshop.seat",
    "hsm_setup_screens.wizard",
    "hsm_setup_screens.step_pane",
    "hsm_setup_screens.sidebar",
    "hsm_setup_screens.identity_bar",
    "hsm_setup_screens.dialogs",
    "hsm_setup_screens.confirm",
    "hsm_setup_screens.summary",
    "hsm_setup.session.session",
    "hsm_setup.aws.clients",
    "hsm_setup.steps",
    "rich.markdown",
    "textual.scrollbar",
    "textual.widgets._markdown",
    "botocore.session",
    # Imported as a seat's wizard starts: the null keyring (keyring's own imports take ~0.12 s of a core,
    # a quarter of a seat's start), Textual's web driver and what it loads.
    "keyring.backends.null",
    "textual.drivers.web_driver",
    "textual.layouts.stream",
    "textual.layouts.horizontal",
)
MESSAGE_LIMIT = 1 << 20


def preload() -> None:
    import importlib

    for module in PRELOAD:
        with contextlib.suppress(ImportError):
            importlib.import_module(module)
    from hsm_setup_screens.workshop.seat import rehearse

    rehearse()
    gc.collect()
    # Everything imported so far is never scanned by the collector again: its pages stay shared.
    gc.freeze()


def serve(path: str) -> None:
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    os.chmod(path, 0o600)
    listener.listen(64)
    # Children are reaped by the kernel: the server learns of an exit from its pipes closing.
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    # The server ends us by closing our stdin; Ctrl-C at its terminal is the server's to handle.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    with selectors.DefaultSelector() as selector:
        selector.register(listener, selectors.EVENT_READ, "request")
        selector.register(sys.stdin.fileno(), selectors.EVENT_READ, "server")
        while True:
            for key, _ in selector.select():
                if key.data == "server":
                    if not os.read(sys.stdin.fileno(), 4096):
                        return  # the server has gone
                    continue
                connection, _ = listener.accept()
                with connection:
                    _answer(connection, listener)


def _answer(connection: socket.socket, listener: socket.socket) -> None:
    try:
        message, fds, _, _ = socket.recv_fds(connection, MESSAGE_LIMIT, 3)
        request = json.loads(message)
        if len(fds) != 3:
            raise ValueError("three file descriptors expected")
    except (OSError, ValueError) as exc:
        with contextlib.suppress(OSError):
            connection.sendall(json.dumps({"error": str(exc)}).encode() + b"\n")
        return
    pid = os.fork()
    if pid == 0:  # the seat's wizard
        try:
            _become_seat(request, fds, listener, connection)
        finally:
            os._exit(70)
    for fd in fds:
        os.close(fd)
    with contextlib.suppress(OSError):
        connection.sendall(json.dumps({"pid": pid}).encode() + b"\n")


def _become_seat(request: dict[str, Any], fds: list[int], listener: socket.socket, connection: socket.socket) -> None:
    listener.close()
    connection.close()
    os.setsid()
    for signum in (signal.SIGCHLD, signal.SIGINT):
        signal.signal(signum, signal.SIG_DFL)
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
    os.closerange(3, 1 << 16)
    os.environ.clear()
    os.environ.update({str(k): str(v) for k, v in dict(request["env"]).items()})
    os.chdir(str(request["cwd"]))
    random.seed()  # not the zygote's sequence, nor another seat's
    sys.argv = ["hsm-setup workshop seat"]
    from hsm_setup_screens.workshop.seat import main

    code = 1
    try:
        code = main()
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m hsm_setup_screens.workshop.zygote SOCKET", file=sys.stderr)
        return 2
    preload()
    serve(argv[0])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
