"""Runs `hsm-setup` as `python -m hsm_setup` does, with every wait shortened.

The crash test starts the program dozens of times; the polling waits of
asynchronous AWS requests (a second or more each) are the only thing shortened,
so the code paths are the real ones. Used as `python tests/reliability/run_fast.py apply --yes`.
"""

import sys
import time

_real_sleep = time.sleep
time.sleep = lambda seconds: _real_sleep(min(seconds, 0.01))

from hsm_setup.cli.main import main  # noqa: E402  (after the patch, so StepContext's default sleep is the short one)

sys.exit(main(sys.argv[1:]))
