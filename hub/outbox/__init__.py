"""Outbox: signed summaries queued in order, and their delivery to the aggregator."""
