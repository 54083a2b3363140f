"""panel-tui: a terminal app for UK Civil Service interview panels."""

__version__ = "0.1.0"
