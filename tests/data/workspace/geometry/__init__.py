"""Geometry helpers for the grounding tests (a workspace whose files are not open)."""
