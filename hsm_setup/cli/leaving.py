"""Ending the process once a command is over, without Python's teardown.

At exit Python frees every object it still holds, one by one: botocore's loaded service
models alone take about 0.1 s of every run (a check on a small account: 1.15 s with the
teardown, 0.97 s without; `python benchmarks/run.py --quick`), for memory the operating
system takes back at once. So when nothing else is running, the exit handlers run (logging's,
the libraries'), the output is flushed and the process ends; a thread still at work gets the
usual exit, which waits for it.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
import threading
from typing import NoReturn


def leave(code: int) -> NoReturn:
    # threading.enumerate() lists the threads still alive: one at work gets the usual exit, which waits for it.
    if any(not t.daemon for t in threading.enumerate() if t is not threading.main_thread()):
        sys.exit(code)
    # The handlers Python would run on its way out (atexit has no public way to run them).
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        # A reader that went away (`hsm-setup check | head`) is not an error of the command.
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)
