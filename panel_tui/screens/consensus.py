"""One candidate x one item: each member's evidence side by side, and the panel's agreed score and rationale."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static, TextArea

from db import consolidation
from db.consolidation import CellEvidence
from db.scales import label_for, parse_score
from db.text import clean_block, clean_line
from panel_tui.widgets.star_bar import STAR_WORDS
from panel_tui.work import ServiceWork


def record(session, candidate_id: int, item_id: int, scale: list, typed: str, rationale: str, actor: str,
           expected_version: int | None = None) -> None:
    """Check the typed score against the scale, then record it (refusals, a stale version too, are PanelErrors)."""
    consolidation.record_consensus(session, candidate_id, item_id, parse_score(scale, typed), rationale, actor,
                                   expected_version=expected_version)


def prime_styles(app) -> None:
    """Add the default styles of the dialog's widgets to the app's stylesheet and parse them now, in a
    quiet moment (the grid drawn), not in the dialog's first frame: Textual adds a widget class's
    styles when its first instance mounts, and each addition re-parses and re-maps the rules
    (~12 ms of the first Enter at 2,000 candidates). Only rules for these widget types are added,
    the rules the first dialog would add, so nothing on screen changes."""
    stylesheet = app.stylesheet
    try:
        # Each class's own and inherited DEFAULT_CSS, as Widget._post_register adds them (only the
        # class is read: an instance without __init__ is enough); once: later calls find them there.
        sources = [source for cls in (ModalScreen, Vertical, VerticalScroll, Static, Label, Input, TextArea)
                   for source in object.__new__(cls)._get_default_css() if not stylesheet.has_source(*source[0])]
        for read_from, css, tie_breaker, scope in sources:
            stylesheet.add_source(css, read_from=read_from, is_default_css=True, tie_breaker=tie_breaker, scope=scope)
        if sources:
            stylesheet.parse()
    except Exception:  # noqa: BLE001 - only a head start: the dialog adds its styles itself as before
        pass


class ConsensusDialog(ServiceWork, ModalScreen[bool]):
    """Returns True when a consensus was recorded. The cell's evidence is read before it opens
    (see ConsolidationScreen.action_consensus), so the constructor does no I/O."""

    HELP_TITLE = "Evidence and consensus"
    # Focus starts on the score: not first on the evidence (the first focusable), which restyles its
    # columns for focus and again when on_mount then moved focus to the score (~8 ms of the first frame).
    AUTO_FOCUS = "#consensus-score"
    BINDINGS = [
        Binding("escape", "dismiss(False)", "Cancel", id="consensus.cancel"),
        Binding("ctrl+s", "record", "Record consensus", priority=True, id="consensus.record"),
    ]

    def __init__(self, cell: CellEvidence, candidate_id: int, item_id: int, actor: str,
                 painted: Callable[[], None] | None = None) -> None:
        super().__init__()
        self._painted = painted  # called once the dialog is on screen (first_paint)
        self.cell = cell
        self.candidate_id = candidate_id
        self.item_id = item_id
        self.actor = actor

    def compose(self) -> ComposeResult:
        # Few widgets, each styled and drawn once: the dialog is built, styled and painted in one
        # frame at 2,000 candidates (titles are border titles, not widgets; links, not buttons).
        cell = self.cell
        scale = list(cell.scale)
        box = Vertical(id="consensus-box")
        box.border_title = Text(clean_line(f"{cell.candidate_ref} · {cell.item_name}"))
        with box:
            if not cell.visible:
                yield Label("Submit your own assessment of this candidate to see the other panel members' evidence.", classes="error")
            # One scroll for the members' columns (read side by side, they scroll together; laid out
            # horizontally by the scroll itself, no container between); one Static per member.
            with VerticalScroll(id="member-evidence"):
                for m in cell.members:
                    yield Static(self._evidence(m, scale), classes="member-column member-evidence")
            labels = ", ".join(str(p["label"]) for p in scale)
            score = Input(value=label_for(scale, cell.consensus) if cell.consensus is not None else "", id="consensus-score")
            score.border_title = Text(f"Agreed score ({clean_line(labels)})")
            yield score
            rationale = TextArea(clean_block(cell.rationale), id="consensus-rationale", soft_wrap=True)
            rationale.border_title = "Rationale (drawn from the evidence; it feeds the candidate's feedback)"
            yield rationale
            yield Label("", id="consensus-error", classes="error")
            # Links, not buttons (two buttons cost a fifth of the dialog's first frame): click or key.
            yield Label(Content.from_markup("[@click=screen.record]Record[/] (ctrl+s)  ·  [@click=screen.dismiss(False)]Cancel[/] (esc)"),
                        id="consensus-actions")

    @staticmethod
    def _evidence(m, scale: list) -> Content:
        """A member's score, STAR marks, indicator tags and notes as one Content (styles as Textual
        styles, text never markup; stored text cleaned)."""
        head = clean_line(f"{m.member_name} ({m.role})")
        head += f"  score {label_for(scale, m.score)}" if m.score is not None else "  not scored"
        parts: list = [(head, "bold")]
        if not m.submitted:
            parts.append(("  not submitted", "bold italic"))
        star = " ".join(w for letter, w in STAR_WORDS.items() if letter in m.star) or "no STAR marks"
        parts += ["\n", (f"STAR: {star}", "dim")]
        for tag in m.tags:
            mark = "+" if tag.tag == "seen" else "−"  # the interview's signs: seen +, contrary −
            parts += ["\n", (f"{mark} {clean_line(tag.text)}", "green" if tag.tag == "seen" else "red")]
        notes = clean_block(m.notes)
        parts += ["\n\n", notes if notes else ("(no notes)", "dim")]
        return Content.assemble(*parts)

    def on_mount(self) -> None:
        if self._painted is not None:
            self.call_after_refresh(self._painted)

    def action_record(self) -> None:
        self.run_service(
            record, self.candidate_id, self.item_id, list(self.cell.scale),
            self.query_one("#consensus-score", Input).value, self.query_one("#consensus-rationale", TextArea).text,
            self.actor, self.cell.consensus_version, tag="record", done=lambda _: self.dismiss(True), failed=self._refused,
        )

    def _refused(self, message: str) -> None:
        self.query_one("#consensus-error", Label).update(Text(message))
