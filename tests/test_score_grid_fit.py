"""The grid draws cells from (text, style) pieces cut and padded directly: the same segments rich's
Text.truncate + render made, for every kind of piece, width and cut (wide characters go to rich)."""

from __future__ import annotations

import itertools

from rich.console import Console
from rich.text import Text

from panel_tui.widgets.score_grid import _STYLES, _fit

WORDS = ["4 5 4", " =4", " !review", " ~4.33", " (hidden)", "·", "Ann Example (C-001)", "x", "–", "Zoë ★", "日本"]
STYLES = ["", "bold red", "bold green", "italic", "dim"]


def _rich(pieces, width):
    text = Text()
    for piece, style in pieces:
        text.append(piece, style=style)
    text.truncate(width, overflow="ellipsis", pad=True)
    return [(seg.text, seg.style or None) for seg in text.render(Console(), end="")]


def test_fit_makes_the_segments_rich_made():
    checked = 0
    for a, b, c in itertools.product(WORDS, WORDS[:6], WORDS[:4]):
        for styles in [("", "bold red", ""), ("bold red", "", "dim"), ("", "", "italic"), ("dim", "bold green", "")]:
            pieces = list(zip((a, b, c), styles))
            for width in (1, 3, 7, 12, 16, 30):
                runs = _fit([(p, _STYLES[s] if s else None) for p, s in pieces], width)
                if runs is None:  # wide or unusual characters: drawn through rich itself
                    assert any(not p.isascii() for p, _ in pieces)
                    continue
                assert runs == _rich(pieces, width), (pieces, width)
                checked += 1
    assert checked > 2000
