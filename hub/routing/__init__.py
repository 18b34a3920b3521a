"""Triage and routing: published items sent to a named local organisation, and their responses."""
