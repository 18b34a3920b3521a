"""The hub's population profile on disk: two files in the instance folder, no database table.

The profile is a council's reference figures, not residents' data, and it
changes about once a decade (a new census), so it lives beside `hub.toml`:

- `population_profile.csv`: the checked figures (`PopulationProfile.to_csv`),
  which an operator can read and diff;
- `population_profile.json`: `{"label": …, "imported_at": "2027-03-01T09:00:00+00:00"}`.

Each file is written to a temporary file in the same folder and renamed over
the old one (atomic on POSIX and Windows), the CSV last, so a reader never
sees half a file; an import that fails leaves the previous profile as it was.

Public API:

- `save_profile(instance_path, profile, imported_at) -> StoredProfile`
- `load_profile(instance_path) -> PopulationProfile | None` (None: never imported)
- `load_stored_profile(instance_path) -> StoredProfile | None` (with the import time)
- `ProfileError` from `hub.voices.profile` if the stored CSV no longer parses (edited by hand).
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from hub.voices.profile import PopulationProfile, parse_profile_csv

PROFILE_CSV = "population_profile.csv"
PROFILE_META = "population_profile.json"


@dataclass(frozen=True)
class StoredProfile:
    """A profile as imported: the figures, and when (UTC) they were imported; None if unknown."""

    profile: PopulationProfile
    imported_at: datetime | None


def save_profile(
    instance_path: str | Path, profile: PopulationProfile, imported_at: datetime
) -> StoredProfile:
    """Write the profile and its label and import time into the instance folder, atomically."""
    folder = Path(instance_path)
    meta = {"label": profile.label, "imported_at": imported_at.isoformat()}
    _write_atomically(folder / PROFILE_META, json.dumps(meta, indent=2) + "\n")
    _write_atomically(folder / PROFILE_CSV, profile.to_csv())
    return StoredProfile(profile, imported_at)


def load_stored_profile(instance_path: str | Path) -> StoredProfile | None:
    """The imported profile with its import time, or None when none has been imported."""
    folder = Path(instance_path)
    try:
        text = (folder / PROFILE_CSV).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    label, imported_at = "", None
    try:
        meta = json.loads((folder / PROFILE_META).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        meta = {}  # the figures still stand without their label
    if isinstance(meta, dict):
        label = str(meta.get("label") or "")
        try:
            imported_at = datetime.fromisoformat(str(meta["imported_at"]))
        except (KeyError, ValueError):
            imported_at = None
    return StoredProfile(parse_profile_csv(text, label), imported_at)


def load_profile(instance_path: str | Path) -> PopulationProfile | None:
    """The hub's population profile, or None when none has been imported."""
    stored = load_stored_profile(instance_path)
    return stored.profile if stored is not None else None


def _write_atomically(path: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
