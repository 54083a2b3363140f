"""The first frame of `panel-tui` in a terminal, drawn before Textual is even imported.

The loading screen's look (header, "Loading the panel's data…", the footer's keys) written as
plain escape sequences into the alternate screen: on the terminal within milliseconds, where a
Textual frame costs its import and a full paint (~80 ms of CPU the database load then waits for).
Textual's first frame is then the first screen with its data (see PanelApp.preload).

Keys typed meanwhile are not echoed: they wait in the terminal's input queue and reach the app
when Textual reads its input, which holds them until the first screen has its rows (PanelApp).
Colours are those of Textual's default theme ("textual-dark", which the app uses); the keys are
the app's default ones (a keymap.toml applies from Textual's first frame on).
"""

from __future__ import annotations

import os
import signal
import sys

# (truecolor, 256-colour) SGR parameters of the theme's colours.
_COLOURS = {
    "panel": ("2;36;47;56", "5;17"),  # $panel / $footer-background
    "text": ("2;224;224;224", "5;253"),  # $foreground
    "key": ("2;255;166;43", "5;214"),  # $footer-key-foreground
    "muted": ("2;160;160;160", "5;247"),  # $text-muted
    "rule": ("2;73;82;89", "5;239"),  # the palette key's left border
    "background": ("2;18;18;18", "5;233"),  # $background
}
MESSAGE = "Loading the panel's data…"


class Splash:
    """The frame on screen and the terminal's input mode before it (restored by ``close``).

    Until Textual takes the terminal (``hand_over``), SIGTERM restores it before the process ends:
    a panellist's shell is never left without echo on the alternate screen."""

    def __init__(self, fd_in: int, fd_out: int, saved: list) -> None:
        self.fd_in, self.fd_out, self.saved = fd_in, fd_out, saved
        self._closed = False
        self._previous_term = signal.signal(signal.SIGTERM, self._terminated)

    def _terminated(self, signum: int, _frame) -> None:
        self.close(leave_screen=True)
        raise SystemExit(128 + signum)

    def hand_over(self) -> None:
        """Textual runs from here on (its driver restores the terminal however it ends)."""
        if self._previous_term is not None:
            signal.signal(signal.SIGTERM, self._previous_term)
            self._previous_term = None

    def close(self, *, leave_screen: bool) -> None:
        """Restore the input mode; ``leave_screen``: also leave the alternate screen (Textual never ran)."""
        import termios

        self.hand_over()
        if self._closed:
            return
        self._closed = True
        if leave_screen:
            os.write(self.fd_out, b"\x1b[?25h\x1b[?1049l")
        try:
            termios.tcsetattr(self.fd_in, termios.TCSADRAIN, self.saved)
        except termios.error:  # pragma: no cover - the terminal went away
            pass


def wanted() -> bool:
    """A splash only in a real terminal, on POSIX, with colour, and Textual's own driver."""
    if os.name != "posix" or os.environ.get("TEXTUAL_DRIVER") or os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("TERM", "dumb") == "dumb":
        return False
    try:
        return os.isatty(sys.stdin.fileno()) and os.isatty(sys.stdout.fileno())
    except (AttributeError, ValueError, OSError):
        return False


def show(title: str = "panel-tui") -> Splash | None:
    """Draw the frame and stop the terminal echoing keys (None: not a terminal that wants it)."""
    if not wanted():
        return None
    import termios

    fd_in, fd_out = sys.stdin.fileno(), sys.stdout.fileno()
    try:
        saved = termios.tcgetattr(fd_in)
        quiet = termios.tcgetattr(fd_in)
        # Keys wait unechoed, as typed (Enter stays "\r", as Textual reads it); Ctrl+C still interrupts.
        quiet[3] &= ~(termios.ECHO | termios.ICANON | termios.IEXTEN)
        quiet[0] &= ~(termios.IXON | termios.IXOFF | termios.ICRNL | termios.INLCR | termios.IGNCR)
        termios.tcsetattr(fd_in, termios.TCSANOW, quiet)
        width, height = os.get_terminal_size(fd_out)
    except (termios.error, OSError):
        return None
    os.write(fd_out, frame(width, height, title, os.environ.get("COLORTERM", "") in ("truecolor", "24bit")).encode())
    return Splash(fd_in, fd_out, saved)


def frame(width: int, height: int, title: str, truecolor: bool) -> str:
    """The escape sequences of the whole frame (alternate screen, cursor hidden)."""
    pick = 0 if truecolor else 1

    def fg(name: str) -> str:
        return f"\x1b[38;{_COLOURS[name][pick]}m"

    def bg(name: str) -> str:
        return f"\x1b[48;{_COLOURS[name][pick]}m"

    bold, plain = "\x1b[1m", "\x1b[22m"
    # Header: the icon, the title centred between the icon (8 cells) and the clock space (10).
    left = max((width - 18 - len(title)) // 2, 0)
    header = (" ⭘" + " " * 6 + " " * left + title).ljust(width)[:width]
    keys = [("^q", "Quit"), ("f1", "Help")]
    line = "".join(f"{bg('panel')}{bold}{fg('key')} {k} {plain}{fg('text')}{d} " for k, d in keys)
    used = sum(len(k) + len(d) + 3 for k, d in keys)
    palette = f"{fg('rule')}▏{bold}{fg('key')}^p{plain}{fg('text')} palette "
    gap = width - used - len("▏^p palette ")
    footer = line + (" " * gap + palette if gap > 0 else " " * max(width - used, 0))
    return (
        "\x1b[?1049h\x1b[?25l"  # alternate screen (as Textual), cursor hidden
        f"{bg('background')}\x1b[2J"
        f"\x1b[1;1H{bg('panel')}{fg('text')}{header}"
        f"\x1b[3;3H{bg('background')}{fg('muted')}{MESSAGE[: max(width - 4, 0)]}"
        f"\x1b[{height};1H{footer}\x1b[0m"
    )
