"""Reusable widgets: each sends Messages up and takes method calls down."""
