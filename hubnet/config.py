"""Configuration: defaults → instance file → prefixed environment → explicit dict.

Each app has an instance folder holding its TOML config file, its keys and (by
default) its SQLite database. Environment variables with the app's prefix
override the file (`HUB_DATABASE_URL`, `AGGREGATOR_DATABASE_URL`), and tests
pass a dict that overrides everything.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask


def load_config(
    app: Flask,
    *,
    prefix: str,
    filename: str,
    defaults: Mapping[str, Any],
    overrides: Mapping[str, Any] | None,
) -> None:
    """Fill `app.config` in order; the instance folder is INSTANCE_PATH or `<PREFIX>_INSTANCE`."""
    app.config.from_mapping(defaults)
    overrides = dict(overrides or {})
    instance = overrides.get("INSTANCE_PATH") or os.environ.get(f"{prefix}_INSTANCE")
    if instance:
        app.config["INSTANCE_PATH"] = str(Path(instance).resolve())
        config_file = Path(app.config["INSTANCE_PATH"]) / filename
        if config_file.exists():
            app.config.from_file(str(config_file), load=tomllib.load, text=False)
    app.config.from_prefixed_env(prefix)
    app.config.from_mapping(overrides)


def write_toml(path: Path, values: Mapping[str, Any], *, header: str) -> None:
    """Write a flat TOML file of strings, integers and booleans (written with mode 0600)."""
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]
    lines.append("")
    for key, value in values.items():
        if isinstance(value, bool):
            rendered = "true" if value else "false"
        elif isinstance(value, int):
            rendered = str(value)
        else:
            rendered = json.dumps(str(value))  # a JSON string is a valid TOML basic string
        lines.append(f"{key} = {rendered}")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")


def instance_file(app: Flask, name: str) -> Path:
    """A path inside the app's instance folder (relative names in config resolve here)."""
    candidate = Path(name)
    if candidate.is_absolute():
        return candidate
    return Path(app.config["INSTANCE_PATH"]) / candidate
