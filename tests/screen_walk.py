"""Reading the wizard's screen as text, and walking it from fresh to complete by keyboard.

Shared by the real-terminal test (tmux, tests/tui/test_tmux.py) and the workshop's browser test
(tests/workshop/test_browser.py): both see the same screen, one through capture-pane and one
through what the seat's terminal was sent.
"""

from __future__ import annotations

from collections.abc import Callable

# Words the screen shows only while something is under way.
BUSY_WORDS = (
    "… checking",
    "checking now…",
    "… applying",
    "… simulating",
    "Applying…",
    "Running: ",
    "Simulating: ",
    "Connecting",
)
# Headings that end the step pane's "What the check found" section.
AFTER_FINDINGS = ("Your choices", "The plan", "Watching the account", "Check  ")
# The wizard's toast when a key comes while the step is being checked (the watcher checks by itself).
REFUSED = "is not available"


def idle(text: str) -> bool:
    return "Step " in text and not any(word in text for word in BUSY_WORDS)


# The pane's scroll bar, drawn at the end of its lines: it moves whenever the pane's length changes.
SCROLL_BAR = " ▁▂▃▄▅▆▇▔"


def _pane_lines(text: str) -> list[str]:
    return [line.split("█", 1)[-1].strip().rstrip(SCROLL_BAR) for line in text.splitlines()]


def title_line(text: str) -> str:
    """The current step's title and its status (the line under it), without the step list."""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if "Step " in line and " of 6: " in line:
            return " ".join(part.split("█", 1)[-1].strip() for part in lines[index : index + 2])
    return ""


def findings(text: str) -> str:
    """What the check found, as the step pane shows it: the lines from its heading to the next section.

    Bounded on both sides, so scrolling, the footer or a dialog closing elsewhere does not count as a change.
    """
    lines = _pane_lines(text)
    try:
        start = lines.index("What the check found")
    except ValueError:
        return ""
    section = []
    for line in lines[start + 1 :]:
        if line.startswith(AFTER_FINDINGS):
            break
        section.append(line)
    return "\n".join(section)


def walk(
    press: Callable[[str], None],
    wait_for: Callable[[Callable[[str], bool], str], str],
    until: Callable[[str], bool],
) -> str:
    """Do what each step asks until `until(screen)`: simulate a console action (m), apply (a, y), next (n).

    After each key it waits for what a person would see change: an apply or a move changes the
    step's status or the step; a simulated console action changes the status or, for a step with
    a second console action (the root user's MFA, then its access keys), what the check found.
    """

    def accepted(key: str, seen: Callable[[str], bool], what: str) -> bool:
        """Press `key`; False when the wizard refused it (a check had just begun): the caller tries again."""
        press(key)
        text = wait_for(lambda t: seen(t) or REFUSED in t, what)
        if seen(text):
            return True
        wait_for(lambda t: REFUSED not in t, "the refusal to clear")
        return False

    for _ in range(40):
        text = wait_for(lambda t: until(t) or (idle(t) and REFUSED not in t), "the wizard to settle")
        if until(text):
            return text
        title, found = title_line(text), findings(text)
        if "needs you" in title:
            assert "SIMULATE" in text or "Simulate" in text, text
            accepted(
                "m",
                lambda t: until(t) or (idle(t) and (title_line(t) != title or findings(t) != found)),
                "the console action to be seen",
            )
        elif "to do" in title:
            if not accepted("a", lambda t: "Apply changes (y)" in t, "the confirmation"):
                continue
            press("y")
            wait_for(lambda t: "Apply changes (y)" not in t, "the confirmation to close")
            wait_for(lambda t: until(t) or (idle(t) and title_line(t) != title), "the step's status to change")
        elif "done" in title:
            press("n")
            wait_for(lambda t: until(t) or title_line(t) != title, "the next step")
        else:
            raise AssertionError(f"unexpected state:\n{text}")
    raise AssertionError("the walk did not end within 40 moves")
