"""The `hubnet` command and the plumbing both Flask apps share.

`hub/` and `national_aggregator/` never import each other. What both need
from the protocol lives in `federation/`; what both need as Flask and
SQLAlchemy apps (config loading, a database session per request, migration
checks, RFC 9457 problem responses, serving with gunicorn) lives here, because
`federation/` must stay free of web frameworks and databases.
"""
