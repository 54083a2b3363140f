"""Placeholder: registered by its owner."""


def register(sub) -> None:
    return None
