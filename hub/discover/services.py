"""Discover's directory in the database: add, change, remove, list; import, export; no commit.

Every change takes the session and the acting staff member (None: an operator
on the command line), checks everything first (raising `DiscoverError`, whose
`problems` are (field, message) pairs a form shows beside its fields, or an
import lists), writes its line in the staff audit log
(`hub.staff.audit.record_action`) and flushes. The caller owns the transaction.

The checks are the entry's own (`DirectoryEntry`, whose `EntryError` problems
become field problems here), plus what storage needs: text that fits its column,
an id not already used (adding) or present (changing), and, when the hub has
imported its wards, wards that are the hub's.

Admins and facilitators change the directory; moderators may read it.

Import (`read_files`, then `import_entries`) is all or nothing: every problem
in every file and entry is collected and raised together, and nothing is
stored. An entry whose id is already in the directory is updated (its "added
by" stays); a new id is added.

API:

- `build_entry(**fields) -> DirectoryEntry` (raises DiscoverError)
- `list_entries(db) -> list[DirectoryEntry]` (by name); `list_records(db)`; `get_entry(db, id)`
- `add_entry(db, me, entry)`, `update_entry(db, me, entry)`, `remove_entry(db, me, entry_id)`
- `read_files([(file name, bytes)]) -> list[DirectoryEntry]`: .json, .zip of CSV
  files, or the ORUK .csv files themselves
- `import_entries(db, me, entries, source="") -> ImportResult(added, updated)`
- `export_json_text(entries) -> str`, `export_csv_zip(entries) -> bytes`
- `hub_wards(db) -> list[Ward]`
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.db import utcnow
from hub.discover.directory import DirectoryEntry, EntryError
from hub.discover.models import (
    EMAIL_LENGTH,
    NAME_LENGTH,
    PHONE_LENGTH,
    TEXT_LENGTH,
    URL_LENGTH,
    DirectoryRecord,
)
from hub.discover.openreferral import (
    OpenReferralError,
    export_csv,
    export_json,
    import_csv,
    import_json,
)
from hub.gather.models import Ward
from hub.staff.audit import record_action
from hub.staff.models import Role, StaffUser

CHANGERS = (Role.FACILITATOR.value,)  # and admins
VIEWERS = (Role.FACILITATOR.value, Role.MODERATOR.value)  # and admins
LIMITS = {
    "name": NAME_LENGTH,
    "description": TEXT_LENGTH,
    "how_to_join": TEXT_LENGTH,
    "url": URL_LENGTH,
    "email": EMAIL_LENGTH,
    "phone": PHONE_LENGTH,
}
MAX_UPLOAD = 5 * 1024 * 1024  # bytes in one file, and uncompressed in a zip
MAX_ZIP_MEMBERS = 50
JSON_FILE = "discover.json"
CSV_ZIP = "discover-oruk-csv.zip"


class DiscoverError(ValueError):
    """A directory change or import refused; `problems` are (field or where, message) pairs."""

    def __init__(self, problems: Iterable[tuple[str, str]]) -> None:
        self.problems: tuple[tuple[str, str], ...] = tuple(problems)
        super().__init__("; ".join(f"{where}: {message}" for where, message in self.problems))

    @property
    def field(self) -> str:
        """The first problem's field (for callers that show one)."""
        return self.problems[0][0] if self.problems else ""

    def by_field(self) -> dict[str, list[str]]:
        """The problems grouped by field, in order: the `errors` a form page shows."""
        errors: dict[str, list[str]] = {}
        for field, message in self.problems:
            errors.setdefault(field or "form", []).append(message)
        return errors


@dataclass(frozen=True)
class ImportResult:
    added: int
    updated: int


def _require(me: StaffUser | None, doing: str) -> None:
    """Only admins and facilitators change the directory (None: an operator's command)."""
    if me is not None and not me.may(*CHANGERS):
        raise DiscoverError([("", f"Your role ({me.role.value}) cannot {doing}")])


# -- converting ------------------------------------------------------------------------------


def build_entry(**fields: Any) -> DirectoryEntry:
    """A checked entry from its fields; DiscoverError lists every problem (field, message)."""
    try:
        entry = DirectoryEntry(**fields)
    except EntryError as error:
        problems = list(error.problems)
    else:
        problems = []
    problems += _length_problems(fields)
    if problems:
        raise DiscoverError(problems)
    return entry


def _length_problems(fields: Any) -> list[tuple[str, str]]:
    problems = []
    for field, limit in LIMITS.items():
        value = fields.get(field) if isinstance(fields, dict) else getattr(fields, field)
        if isinstance(value, str) and len(value) > limit:
            problems.append((field, f"use {limit:,} characters or fewer (this has {len(value):,})"))
    return problems


def entry_of(record: DirectoryRecord) -> DirectoryEntry:
    """The stored row as a DirectoryEntry (checked again on the way out)."""
    return DirectoryEntry(
        id=record.id,
        name=record.name,
        kind=record.kind,
        description=record.description,
        how_to_join=record.how_to_join,
        url=record.url,
        email=record.email,
        phone=record.phone,
        ods_code=record.ods_code,
        wards=tuple(json.loads(record.wards)),
        reaches=tuple(tuple(pair) for pair in json.loads(record.reaches)),
        topics=tuple(json.loads(record.topics)),
    )


def _fill(record: DirectoryRecord, entry: DirectoryEntry) -> None:
    record.name = entry.name
    record.kind = entry.kind
    record.description = entry.description
    record.how_to_join = entry.how_to_join
    record.url = entry.url
    record.email = entry.email
    record.phone = entry.phone
    record.ods_code = entry.ods_code
    record.wards = json.dumps(list(entry.wards))
    record.reaches = json.dumps([list(pair) for pair in entry.reaches])
    record.topics = json.dumps(list(entry.topics))


# -- reading ---------------------------------------------------------------------------------


def list_records(db: Session) -> list[DirectoryRecord]:
    """Every stored entry's row, by name."""
    query = select(DirectoryRecord).order_by(func.lower(DirectoryRecord.name), DirectoryRecord.id)
    return list(db.scalars(query))


def list_entries(db: Session) -> list[DirectoryEntry]:
    """Every entry in the directory, by name."""
    return [entry_of(record) for record in list_records(db)]


def get_entry(db: Session, entry_id: str) -> DirectoryEntry | None:
    record = db.get(DirectoryRecord, entry_id)
    return None if record is None else entry_of(record)


def hub_wards(db: Session) -> list[Ward]:
    """The hub's wards, by name."""
    return list(db.scalars(select(Ward).order_by(Ward.name, Ward.code)))


def _ward_problems(db: Session, entry: DirectoryEntry) -> list[tuple[str, str]]:
    """Wards the hub does not have, when it has imported its wards (else every code goes)."""
    known = set(db.scalars(select(Ward.code)))
    if not known:
        return []
    return [
        ("wards", f"{ward} is not one of this hub's wards")
        for ward in entry.wards
        if ward not in known
    ]


def _store_problems(db: Session, entry: DirectoryEntry) -> list[tuple[str, str]]:
    return _length_problems(entry) + _ward_problems(db, entry)


# -- changing --------------------------------------------------------------------------------


def add_entry(db: Session, me: StaffUser | None, entry: DirectoryEntry) -> DirectoryRecord:
    """Add a new entry (admins and facilitators)."""
    _require(me, "add groups to the directory")
    problems = _store_problems(db, entry)
    if db.get(DirectoryRecord, entry.id) is not None:
        problems.insert(0, ("id", f"there is already an entry with the id {entry.id}"))
    if problems:
        raise DiscoverError(problems)
    record = _insert(db, me, entry)
    record_action(db, me, "discover-entry-added", f"discover:{entry.id}", entry.name)
    return record


def _insert(db: Session, me: StaffUser | None, entry: DirectoryEntry) -> DirectoryRecord:
    now = utcnow()
    staff_id = None if me is None else me.id
    record = DirectoryRecord(
        id=entry.id, created_at=now, updated_at=now, created_by_id=staff_id, updated_by_id=staff_id
    )
    _fill(record, entry)
    db.add(record)
    db.flush()
    return record


def _change(
    db: Session, me: StaffUser | None, record: DirectoryRecord, entry: DirectoryEntry
) -> None:
    _fill(record, entry)
    record.updated_at = utcnow()
    record.updated_by_id = None if me is None else me.id
    db.flush()


def update_entry(db: Session, me: StaffUser | None, entry: DirectoryEntry) -> DirectoryRecord:
    """Replace a stored entry's fields with `entry`'s (the same id)."""
    _require(me, "change the directory")
    record = db.get(DirectoryRecord, entry.id)
    if record is None:
        raise DiscoverError([("id", f"there is no entry with the id {entry.id}")])
    problems = _store_problems(db, entry)
    if problems:
        raise DiscoverError(problems)
    _change(db, me, record, entry)
    record_action(db, me, "discover-entry-changed", f"discover:{entry.id}", entry.name)
    return record


def remove_entry(db: Session, me: StaffUser | None, entry_id: str) -> DirectoryEntry:
    """Remove an entry from the directory; returns what it was."""
    _require(me, "remove groups from the directory")
    record = db.get(DirectoryRecord, entry_id)
    if record is None:
        raise DiscoverError([("id", f"there is no entry with the id {entry_id}")])
    entry = entry_of(record)
    db.delete(record)
    db.flush()
    record_action(db, me, "discover-entry-removed", f"discover:{entry_id}", entry.name)
    return entry


# -- import ----------------------------------------------------------------------------------


def _decode(name: str, data: bytes, problems: list[tuple[str, str]]) -> str | None:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        problems.append((name, "is not UTF-8 text"))
        return None


def _from_json(name: str, data: bytes, problems: list[tuple[str, str]]) -> list[DirectoryEntry]:
    text = _decode(name, data, problems)
    if text is None:
        return []
    try:
        parsed = json.loads(text)
    except ValueError as error:
        problems.append((name, f"is not JSON ({error})"))
        return []
    try:
        return import_json(parsed)
    except OpenReferralError as error:
        problems.extend((f"{name}: {where}", message) for where, message in error.problems)
        return []


def _from_csv(
    label: str, files: dict[str, bytes], problems: list[tuple[str, str]]
) -> list[DirectoryEntry]:
    texts: dict[str, str] = {}
    for name, data in files.items():
        text = _decode(f"{label}{name}", data, problems)
        if text is not None:
            texts[name] = text
    if len(texts) < len(files):
        return []
    try:
        return import_csv(texts)
    except OpenReferralError as error:
        problems.extend((f"{label}{where}", message) for where, message in error.problems)
        return []


def _unzip(name: str, data: bytes, problems: list[tuple[str, str]]) -> dict[str, bytes] | None:
    """The .csv files in a zip, by their own name (folders inside the zip ignored)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        problems.append((name, "is not a zip file"))
        return None
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        csvs = [m for m in members if m.filename.lower().endswith(".csv")]
        if len(members) > MAX_ZIP_MEMBERS or sum(m.file_size for m in csvs) > MAX_UPLOAD:
            problems.append((name, "is too big to import (at most 5 MB of CSV files)"))
            return None
        if not csvs:
            problems.append((name, "has no .csv files in it (expected the ORUK CSV tables)"))
            return None
        files: dict[str, bytes] = {}
        for member in csvs:
            base = PurePosixPath(member.filename.replace("\\", "/")).name
            if base in files:
                problems.append((name, f"has {base} twice"))
                continue
            try:
                files[base] = archive.read(member)
            except (zipfile.BadZipFile, OSError, RuntimeError) as error:
                problems.append((f"{name}: {base}", f"cannot be read ({error})"))
        return files


def read_files(files: Sequence[tuple[str, bytes]]) -> list[DirectoryEntry]:
    """Entries from Open Referral UK files: each .json, each .zip of CSV tables, and the .csv
    files given together as one set of tables.

    Raises DiscoverError with every problem, each naming its file (and service, row,
    field); the same entry id twice across the files is a problem too.
    """
    problems: list[tuple[str, str]] = []
    entries: list[DirectoryEntry] = []
    if not files:
        raise DiscoverError([("file", "choose a file to import")])
    loose_csv: dict[str, bytes] = {}
    for name, data in files:
        base = PurePosixPath(name.replace("\\", "/")).name
        suffix = PurePosixPath(base).suffix.lower()
        if len(data) > MAX_UPLOAD:
            problems.append((base, "is too big to import (at most 5 MB)"))
        elif suffix == ".json":
            entries += _from_json(base, data, problems)
        elif suffix == ".zip":
            unzipped = _unzip(base, data, problems)
            if unzipped is not None:
                entries += _from_csv(f"{base}: ", unzipped, problems)
        elif suffix == ".csv":
            if base in loose_csv:
                problems.append((base, "is given twice"))
            loose_csv[base] = data
        else:
            problems.append(
                (base, "is not a .json file, a .zip of ORUK CSV files, or an ORUK .csv file")
            )
    if loose_csv:
        entries += _from_csv("", loose_csv, problems)
    seen: dict[str, str] = {}
    for entry in entries:
        if entry.id in seen:
            problems.append(
                (f"id {entry.id}", f"is in the files twice ({seen[entry.id]}; {entry.name})")
            )
        seen.setdefault(entry.id, entry.name)
    if problems:
        raise DiscoverError(problems)
    return entries


def import_entries(
    db: Session, me: StaffUser | None, entries: Sequence[DirectoryEntry], source: str = ""
) -> ImportResult:
    """Store the entries, all or none: new ids are added, known ids updated."""
    _require(me, "import into the directory")
    problems = [
        (f"{entry.name} (id {entry.id}), {field}", message)
        for entry in entries
        for field, message in _store_problems(db, entry)
    ]
    if problems:
        raise DiscoverError(problems)
    added = updated = 0
    for entry in entries:
        record = db.get(DirectoryRecord, entry.id)
        if record is None:
            _insert(db, me, entry)
            added += 1
        else:
            _change(db, me, record, entry)
            updated += 1
    detail = f"{added} added, {updated} updated" + (f" from {source}" if source else "")
    record_action(db, me, "discover-imported", "discover", detail)
    return ImportResult(added, updated)


# -- export ----------------------------------------------------------------------------------


def export_json_text(entries: Iterable[DirectoryEntry]) -> str:
    """The entries as Open Referral UK 3.0 JSON (a list of services)."""
    return json.dumps(export_json(entries), indent=2, ensure_ascii=False) + "\n"


def export_csv_zip(entries: Iterable[DirectoryEntry]) -> bytes:
    """The entries as the Open Referral UK 3.0 CSV tables, in one zip file."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, text in export_csv(entries).items():
            archive.writestr(name, text)
    return out.getvalue()
