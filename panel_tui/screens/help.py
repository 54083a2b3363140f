"""The help screen: what each key does, screen by screen."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

HELP = """\
# panel-tui keys

Every key is also in the footer of its screen, and every command is in the
command palette (**ctrl+p**). The mouse works too.

## Everywhere
| key | does |
|---|---|
| ctrl+p | command palette: jump to a candidate or item, timer, submit, frameworks |
| f | framework browser |
| f1 | this help |
| ctrl+q | quit (everything is saved first) |

## Campaign (candidates)
| key | does |
|---|---|
| enter | interview this candidate |
| w | switch panellist (who is using this laptop) |
| c / o | consolidation / outcomes |
| a / e | add / edit a candidate |
| p | add a panellist |
| t | today's interviews only (again: everyone) |
| x | panel packs and returns |
| q / esc | back to campaigns |

## Interview
Typing goes into the evidence notes. **esc** leaves the notes so one-key commands work.

| key | does |
|---|---|
| esc | done typing: leave the notes |
| e | type notes again |
| i | move to the indicators; **+** tags seen, **-** tags contrary, **enter** toggles seen |
| 1-7 | choose a score (0 clears) |
| s t a r | mark situation / task / action / result covered |
| [ / ] | indicators for the level below / above (calibration) |
| ctrl+n / ctrl+b | next / previous item |
| ctrl+t / ctrl+r | start-pause / reset the interview timer |
| u | submit (every item scored) |
| m | amend a submitted assessment (asks for a reason; audited) |
| q | back to the candidates |

Item states: ○ no notes, ◐ notes, ● scored, ✔ submitted; ★ marks the lead item;
✔n / ✘n count the indicators tagged seen / contrary.

Notes, tags, STAR marks and scores are saved as you type (within about a second).

## Consolidation (the chair)
| key | does |
|---|---|
| arrows | move in the grid of candidates x items |
| enter | each member's evidence side by side; record the agreed score and rationale (ctrl+s) |
| d | next divergent item (scores differ by the threshold or more) |
| h | the candidate's audit history |
| o | outcomes |

Other members' scores for a candidate stay hidden until you have submitted your own.

## Outcomes
| key | does |
|---|---|
| a | appoint (out of merit order asks for a reason) |
| r / x | reserve list / extend a reserve place (once, with a reason) |
| n | not appointed |
| u then t | move a tied candidate up, then record the order with a reason |
| c / m / p | merit list CSV / assessment record Markdown / PDF |
| f | edit and export the candidate's feedback |
| 1 2 3 | merit list / distribution / panel agreement |

## Framework browser
| key | does |
|---|---|
| up / down | choose an element |
| [ / ] or 1-6 | change level |
| f | switch framework |
| / | search indicator text |
"""


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,f1,q", "dismiss", "Close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Markdown(HELP)
