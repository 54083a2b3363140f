"""Typed specs for everything that comes in from a file (see ``db.specs.base``)."""
