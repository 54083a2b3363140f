"""Keys are data: every binding has an id (``outcomes.appoint``), the help screen is built from the
bindings themselves, and a user's ``keymap.toml`` may move any of them.

``keymap.toml`` lives in the user config folder (platformdirs; ``PANEL_TUI_CONFIG`` names
another folder) and maps binding ids to keys::

    "outcomes.appoint" = "ctrl+a"           # or, the same: [outcomes] appoint = "ctrl+a"
    "campaign.today_only" = ["t", "f2"]     # several keys for one binding

It is applied with Textual's ``App.set_keymap``. An unknown id, a bad key or an
unreadable file gives one warning line each; the rest of the file still applies.
"""

from __future__ import annotations

import os
import unicodedata
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path

from textual.binding import Binding
from textual.keys import Keys

APP_NAME = "panel-tui"
KEYMAP_FILE = "keymap.toml"
MODIFIERS = {"ctrl", "shift", "alt", "meta", "super", "hyper"}

# The help screen's sections, in order: (module, class) pairs whose BINDINGS make the section.
# A section may draw on a widget's bindings too (the consolidation grid's enter).
SECTIONS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("app", (("panel_tui.app", "PanelApp"),)),
    ("campaigns", (("panel_tui.screens.campaigns", "CampaignsScreen"),)),
    ("setup", (("panel_tui.screens.setup", "SetupScreen"),)),
    ("campaign", (("panel_tui.screens.campaign", "CampaignScreen"),)),
    ("candidate_form", (("panel_tui.screens.candidate_form", "CandidateForm"),)),
    ("campaign_edit", (("panel_tui.screens.campaign_edit", "CampaignEditForm"),)),
    ("interview", (("panel_tui.screens.interview", "InterviewScreen"),)),
    ("consolidation", (("panel_tui.screens.consolidation", "ConsolidationScreen"),
                       ("panel_tui.widgets.score_grid", "ScoreGrid"))),
    ("consensus", (("panel_tui.screens.consensus", "ConsensusDialog"),)),
    ("outcomes", (("panel_tui.screens.outcomes", "OutcomesScreen"),)),
    ("feedback", (("panel_tui.screens.feedback_editor", "FeedbackEditor"),)),
    ("exchange", (("panel_tui.screens.exchange", "ExchangeScreen"),)),
    ("frameworks", (("panel_tui.screens.frameworks", "FrameworksScreen"),)),
    ("audit_history", (("panel_tui.screens.audit_history", "AuditHistory"),)),
)


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    classes: tuple[type, ...]
    bindings: tuple[Binding, ...]


def sections() -> list[Section]:
    """Every help section with its bindings (imported on demand: the help screen is opened rarely)."""
    found = []
    for key, places in SECTIONS:
        classes = tuple(getattr(import_module(module), name) for module, name in places)
        bindings = tuple(b for cls in classes for b in getattr(cls, "BINDINGS", ()) if isinstance(b, Binding))
        title = getattr(classes[0], "HELP_TITLE", "Everywhere" if key == "app" else key.replace("_", " ").title())
        found.append(Section(key, title, classes, bindings))
    return found


def binding_ids() -> set[str]:
    return {b.id for section in sections() for b in section.bindings if b.id}


def config_dir() -> Path:
    if folder := os.environ.get("PANEL_TUI_CONFIG"):
        return Path(folder).expanduser()
    from platformdirs import user_config_path

    return user_config_path(APP_NAME, appauthor=False)


def key_problem(key: str) -> str:
    """Why ``key`` is not a key Textual can bind ('' when it is)."""
    if not key:
        return "an empty key"
    *modifiers, base = key.split("+") if len(key) > 1 else [key]
    unknown = [m for m in modifiers if m not in MODIFIERS]
    if unknown:
        return f"{key!r} has an unknown modifier {unknown[0]!r}"
    if len(base) == 1 and base.isprintable():
        return ""
    if base in {k.value for k in Keys} or f"ctrl+{base}" in {k.value for k in Keys}:
        return ""
    try:
        unicodedata.lookup(base.replace("_", " ").upper())  # 'left_square_bracket', 'question_mark'
    except KeyError:
        return f"{key!r} is not a key"
    return ""


def _flatten(table: dict, prefix: str = "") -> dict[str, object]:
    flat: dict[str, object] = {}
    for name, value in table.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{name}."))
        else:
            flat[f"{prefix}{name}"] = value
    return flat


def read_keymap(folder: Path | None = None) -> tuple[dict[str, str], list[str]]:
    """(binding id -> 'key,key', warnings) from ``keymap.toml``; no file is no keymap."""
    path = (folder or config_dir()) / KEYMAP_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}, []
    except (OSError, UnicodeDecodeError) as exc:
        return {}, [f"keymap {path} not read: {getattr(exc, 'strerror', None) or exc}"]
    import tomllib  # only with a file (runs before the first frame)

    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return {}, [f"keymap {path} not read: {exc}"]
    known = binding_ids()
    keymap: dict[str, str] = {}
    warnings: list[str] = []
    for binding_id, value in _flatten(raw).items():
        keys = [value] if isinstance(value, str) else value
        if not isinstance(keys, list) or not keys or not all(isinstance(k, str) for k in keys):
            warnings.append(f"keymap: {binding_id} ignored: give a key or a list of keys")
            continue
        if binding_id not in known:
            warnings.append(f"keymap: {binding_id} ignored: no such binding (see the help screen, F1)")
            continue
        keys = [k.strip() for item in keys for k in item.split(",")]
        problem = next((p for k in keys if (p := key_problem(k))), "")
        if problem:
            warnings.append(f"keymap: {binding_id} ignored: {problem}")
            continue
        keymap[binding_id] = ",".join(keys)
    return keymap, warnings
