"""The one way the TUI runs database work off the UI thread.

A screen calls ``self.run_service(fn, *args, done=..., failed=...)`` where ``fn`` is
a service function ``fn(session, *args)`` from ``db/``. The call runs in a Textual
thread worker with its own Session, opened here from the app's Database and nowhere
else in the screens. The worker never touches widgets and never waits on the UI
loop: it posts a ``WorkDone`` or ``WorkFailed`` message back to the screen
(``post_message`` is thread-safe), and the screen's own message loop runs the
callbacks. So:

- ``done(result)`` runs on the UI thread with the service's return value;
- ``failed(message)`` runs instead on any exception; without it the failure is
  shown as one line (notify, severity error), so no failure is ever silent;
- ``settled()`` runs after either, which is where a spinner, progress bar or
  "Loading…" is hidden: nothing shown for a piece of work outlives it.

``group`` + ``exclusive=True`` is for loads: a newer load cancels the older one,
whose result is then dropped. Writes should not be exclusive (a cancelled thread
still runs; only its answer is dropped).

Modelled on Textual's worker guide (thread workers, ``get_current_worker``,
messages back to the UI rather than touching widgets from the thread).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from textual.message import Message
from textual.worker import Worker, get_current_worker

from db.text import clean_line


@dataclass
class WorkDone(Message):
    """A service call finished; ``result`` is what it returned."""

    tag: str
    result: Any
    done: Callable[[Any], object] | None = field(default=None, repr=False)
    settled: Callable[[], object] | None = field(default=None, repr=False)


@dataclass
class WorkFailed(Message):
    """A service call raised; ``message`` is the error as one clean line."""

    tag: str
    error: BaseException
    message: str
    failed: Callable[[str], object] | None = field(default=None, repr=False)
    settled: Callable[[], object] | None = field(default=None, repr=False)


def one_line(error: BaseException) -> str:
    """An exception as one line a person can read: panel errors are already worded for people."""
    from db.errors import PanelError

    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    if isinstance(error, PanelError) and text:
        return clean_line(text)
    if isinstance(error, OSError) and error.strerror:
        where = f" {error.filename}" if error.filename else ""
        return clean_line(f"{error.strerror}{where}")
    return clean_line(f"{type(error).__name__}: {text}" if text else type(error).__name__)


class ServiceWork:
    """Mixin for screens: ``run_service`` plus the handlers that finish the work on the UI thread."""

    def run_service(
        self,
        fn: Callable[..., Any],
        *args: Any,
        tag: str = "",
        done: Callable[[Any], object] | None = None,
        failed: Callable[[str], object] | None = None,
        settled: Callable[[], object] | None = None,
        group: str = "service",
        exclusive: bool = False,
        title: str = "",
    ) -> Worker[None]:
        """Run ``fn(session, *args)`` in a thread worker; report back with WorkDone / WorkFailed."""
        node = self  # a Screen (or any MessagePump with .app)
        database = node.app.database  # type: ignore[attr-defined]
        tag = tag or getattr(fn, "__name__", "work")
        if failed is None:
            failed = self._notify_failure(title or f"Not done: {tag.replace('_', ' ')}")

        def run() -> None:
            worker = get_current_worker()
            try:
                with database.session() as session:
                    result = fn(session, *args)
            except Exception as exc:  # every failure becomes a message; none is lost in the worker
                message: Message = WorkFailed(tag, exc, one_line(exc), failed, settled)
            else:
                message = WorkDone(tag, result, done, settled)
            if not worker.is_cancelled:
                node.post_message(message)  # type: ignore[attr-defined]

        return node.run_worker(  # type: ignore[attr-defined]
            run, name=tag, group=group, description=tag, exclusive=exclusive, thread=True, exit_on_error=False
        )

    def _notify_failure(self, title: str) -> Callable[[str], object]:
        def show(message: str) -> None:
            self.notify(message, title=title, severity="error", markup=False)  # type: ignore[attr-defined]

        return show

    def on_work_done(self, event: WorkDone) -> None:
        event.stop()
        try:
            if event.done is not None:
                event.done(event.result)
        finally:
            if event.settled is not None:
                event.settled()

    def on_work_failed(self, event: WorkFailed) -> None:
        event.stop()
        try:
            if event.failed is not None:
                event.failed(event.message)
        finally:
            if event.settled is not None:
                event.settled()
