"""One run of `hsm-setup` killed with SIGKILL right after its k-th change reached the endpoint.

The proxy lets the k-th mutating request through, holds the endpoint's answer, and the
process is killed before that answer arrives: the change happened, the program never
learned it. A run that ends by itself before its k-th change is returned as it ended.
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass

from .fault_proxy import FaultProxy, Request


@dataclass(frozen=True)
class Run:
    killed_after: Request | None  # the change the run was killed after; None: it ended by itself
    returncode: int
    stdout: str
    stderr: str
    seconds: float  # from start to exit


def run_killed_after_change(program, proxy: FaultProxy, k: int, *args: str) -> Run:
    """Run the program with `args`; SIGKILL it once its k-th change reached the endpoint.

    Its output goes to files, not pipes: a run that prints more than a pipe holds must not
    stall before the change it is to be killed at. Returns once every request the run sent
    has been answered or dropped by the proxy, so the next run never races a request of this one.
    """
    proxy.reset_counts()
    proxy.rule = lambda request: "hold" if request.mutating_index == k else None
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        process = subprocess.Popen(
            program.argv(*args), stdout=out, stderr=err, stdin=subprocess.DEVNULL, text=True, env=program.env()
        )
        try:
            while not proxy.held.wait(timeout=0.05):
                if process.poll() is not None:
                    break
            if proxy.held.is_set():
                os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=120)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            proxy.rule = lambda request: None
            proxy.release.set()
        seconds = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if not proxy.wait_idle():
        raise AssertionError("a request of the killed run is still between it and the practice account after 30 s")
    killed = proxy.held_request if proxy.held.is_set() else None
    if killed is not None:
        assert process.returncode == -signal.SIGKILL, process.returncode
    return Run(killed, process.returncode, stdout, stderr, seconds)
