"""Leaving without Python's teardown keeps what a person sees: the output, the exit code, the exit
handlers, and a thread still at work finishes first."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=60)


def test_the_output_the_exit_handlers_and_the_exit_code_survive():
    done = _run(
        """
        import atexit
        from hsm_setup.cli.leaving import leave
        atexit.register(lambda: print("handler ran"))
        print("the command's output", end="")  # unflushed when leave() is called
        leave(3)
        """
    )
    assert done.returncode == 3
    assert done.stdout == "the command's outputhandler ran\n"


def test_a_thread_still_at_work_finishes_before_the_process_ends():
    done = _run(
        """
        import threading, time
        from hsm_setup.cli.leaving import leave
        started = threading.Event()
        def work():
            started.set()
            time.sleep(0.3)
            print("saved", flush=True)
        threading.Thread(target=work).start()
        started.wait()
        leave(0)
        """
    )
    assert done.returncode == 0
    assert done.stdout == "saved\n"
