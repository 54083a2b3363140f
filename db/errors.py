"""Errors the user sees as one line: each message names the problem."""


class PanelError(Exception):
    """Base for every error that should reach the user as a one-line message."""


class DatabaseFileError(PanelError):
    """The database file is not panel-tui's, is corrupt, is too new, or cannot be written."""


class ValidationError(PanelError):
    """Input was rejected; nothing was changed."""


class NotFound(PanelError):
    """A campaign, candidate, framework or member named by the user does not exist."""


class ImportRefused(PanelError):
    """An import file was refused as a whole; nothing was changed."""


class Conflict(ImportRefused):
    """An import would overwrite newer data already held."""
