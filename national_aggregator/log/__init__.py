"""The transparency log: every accepted statement and key event is a leaf; checkpoints are signed.

`init_app` loads the log key once at start-up, so a missing or unsafe key
stops the app before it accepts anything it could not sign for.
"""

from __future__ import annotations

from flask import Flask, current_app

from hubnet.config import instance_file
from national_aggregator.log.services import LogSigner, load_log_signer

EXTENSION = "national_aggregator.log_signer"


def init_app(app: Flask) -> None:
    from national_aggregator.log.views import blueprint

    path = instance_file(app, app.config["LOG_PRIVATE_KEY"])
    app.extensions[EXTENSION] = load_log_signer(path, app.config["LOG_ORIGIN"])
    app.register_blueprint(blueprint)


def log_signer() -> LogSigner:
    """The current app's log key and origin."""
    signer: LogSigner = current_app.extensions[EXTENSION]
    return signer
