"""One candidate x one item: each member's evidence side by side, and the panel's agreed score and rationale."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static, TextArea

from db import consolidation
from db.consolidation import CellEvidence
from db.errors import PanelError
from db.scales import label_for, parse_score
from panel_tui.widgets.star_bar import STAR_WORDS


class ConsensusDialog(ModalScreen[bool]):
    """Returns True when a consensus was recorded."""

    BINDINGS = [
        Binding("escape", "dismiss(False)", "Cancel"),
        Binding("ctrl+s", "record", "Record consensus", priority=True),
    ]

    def __init__(self, database, candidate_id: int, item_id: int, viewer_id: int | None, actor: str) -> None:
        super().__init__()
        self.database = database
        self.candidate_id = candidate_id
        self.item_id = item_id
        self.viewer_id = viewer_id
        self.actor = actor
        with database.session() as session:
            self.cell: CellEvidence = consolidation.cell_evidence(session, candidate_id, item_id, viewer_id)

    def compose(self) -> ComposeResult:
        cell = self.cell
        scale = list(cell.scale)
        with Vertical(id="consensus-box"):
            yield Label(f"{cell.candidate_ref} · {cell.item_name}", classes="dialog-title")
            if not cell.visible:
                yield Label("Submit your own assessment of this candidate to see the other panel members' evidence.", classes="error")
            with Horizontal(id="member-evidence"):
                for m in cell.members:
                    with VerticalScroll(classes="member-column"):
                        head = Text(f"{m.member_name} ({m.role})", style="bold")
                        head.append(f"  score {label_for(scale, m.score)}" if m.score is not None else "  not scored")
                        if not m.submitted:
                            head.append("  not submitted", style="italic")
                        yield Static(head)
                        star = " ".join(w for letter, w in STAR_WORDS.items() if letter in m.star) or "no STAR marks"
                        yield Static(Text(f"STAR: {star}", style="dim"))
                        for tag in m.tags:
                            mark = "✔" if tag.tag == "seen" else "✘"
                            yield Static(Text(f"{mark} {tag.text}", style="green" if tag.tag == "seen" else "red"))
                        yield Static(m.notes or Text("(no notes)", style="dim"), classes="member-notes")
            labels = ", ".join(str(p["label"]) for p in scale)
            yield Label(f"Agreed score ({labels})")
            yield Input(value=label_for(scale, cell.consensus) if cell.consensus is not None else "", id="consensus-score")
            yield Label("Rationale (drawn from the evidence; it feeds the candidate's feedback)")
            yield TextArea(cell.rationale, id="consensus-rationale", soft_wrap=True)
            yield Label("", id="consensus-error", classes="error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Record (ctrl+s)", variant="primary", id="record")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#consensus-score", Input).focus()

    @on(Button.Pressed, "#record")
    def action_record(self) -> None:
        error = self.query_one("#consensus-error", Label)
        try:
            score = parse_score(list(self.cell.scale), self.query_one("#consensus-score", Input).value)
            with self.database.session() as session:
                consolidation.record_consensus(
                    session, self.candidate_id, self.item_id, score,
                    self.query_one("#consensus-rationale", TextArea).text, self.actor,
                )
        except PanelError as exc:
            error.update(str(exc))
            return
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(False)
