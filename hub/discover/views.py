"""Discover's pages: the staff directory, its import and export, coverage gaps; "Take part".

Staff (admins may use everything):

- admins and facilitators: `/staff/discover` (the directory, with who each group
  reaches), add (`/staff/discover/add`), change (`/staff/discover/<id>`), remove
  (`/staff/discover/<id>/remove`, with a confirmation page), import
  (`/staff/discover/import`: an Open Referral UK .json file, or its CSV tables as
  a .zip or as the .csv files themselves);
- moderators see the directory and the gaps and download the exports, but change nothing;
- `/staff/discover/export.json` and `/staff/discover/export.zip`: the directory as
  Open Referral UK JSON, or its CSV tables in a zip;
- `/staff/discover/gaps`: the coverage-gaps table: the groups of the hub's
  population profile and the hub's wards, each with the listed groups that reach
  it, those no listed group reaches first.

Public: `/take-part`, "Other ways to have your say": the groups people can join,
filtered by ward, group of people and topic with a plain GET form.

Every form posts with the CSRF token; success redirects with a message; a
mistake shows the form again (400) with every problem named beside its field
and nothing stored.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as BaseResponse

from federation.disclosure.characteristics import CHARACTERISTICS, NOT_STATED
from federation.taxonomy import load_taxonomy
from hub.discover import services
from hub.discover.coverage import coverage_gaps
from hub.discover.directory import KINDS, DirectoryEntry, Group, group_label, new_entry_id
from hub.discover.services import CHANGERS, VIEWERS, DiscoverError
from hub.staff.auth import current_staff, not_found, signed_in_staff, staff_required
from hub.voices.profile import PopulationProfile, ProfileError
from hub.voices.store import load_profile
from hubnet.db import get_session

staff_pages = Blueprint("discover", __name__, url_prefix="/staff/discover")
public_pages = Blueprint("discover_public", __name__)

TEXT_FIELDS = ("name", "description", "how_to_join", "url", "email", "phone", "ods_code")
OPTIONAL = ("url", "email", "phone", "ods_code")
ERROR_ANCHORS = {"topics": "other_topics", "id": "name", "form": "name"}
UPLOAD_LIMIT = services.MAX_UPLOAD * 2 + 64 * 1024  # several files, and the form around them


@staff_pages.url_value_preprocessor
def _allow_uploads(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """The import form carries files: let signed-in changers send more than the hub's 64 KB.

    Runs before the CSRF check reads the form (URL value preprocessors run before
    `before_request` functions); anyone else keeps the hub's limit.
    """
    if endpoint == "discover.import_submit" and request.method == "POST":
        staff = current_staff()
        if staff is not None and staff.may(*CHANGERS):
            request.max_content_length = UPLOAD_LIMIT


# -- labels ----------------------------------------------------------------------------------


def all_groups() -> list[Group]:
    """Every group of people an entry may reach, in the characteristics list's order."""
    return [
        (code, category)
        for code, characteristic in CHARACTERISTICS.items()
        for category in characteristic.codes
        if category != NOT_STATED
    ]


def topic_label(topic: str) -> str:
    """A national theme's name for its code; any other topic as written."""
    themes = load_taxonomy()
    return themes.name_of(topic) if topic in themes.codes else topic


def _labels(db: Session) -> dict[str, Any]:
    wards = services.hub_wards(db)
    return {
        "kinds": KINDS,
        "group_label": group_label,
        "topic_label": topic_label,
        "ward_names": {ward.code: ward.name for ward in wards},
    }


# -- the directory ---------------------------------------------------------------------------


@staff_pages.get("")
@staff_required(*VIEWERS)
def index() -> str:
    """Every listed group, with who it reaches, where and about what."""
    db = get_session()
    return render_template(
        "discover/index.html",
        records=[(record, services.entry_of(record)) for record in services.list_records(db)],
        may_change=signed_in_staff().may(*CHANGERS),
        **_labels(db),
    )


def _values_of(entry: DirectoryEntry) -> dict[str, Any]:
    themes = set(load_taxonomy().codes)
    values: dict[str, Any] = {field: getattr(entry, field) or "" for field in TEXT_FIELDS}
    values["kind"] = entry.kind
    values["wards"] = list(entry.wards)
    values["reaches"] = [f"{c}:{k}" for c, k in entry.reaches]
    values["topics"] = [topic for topic in entry.topics if topic in themes]
    values["other_topics"] = ", ".join(topic for topic in entry.topics if topic not in themes)
    return values


def _form_values() -> dict[str, Any]:
    values: dict[str, Any] = {
        field: request.form.get(field, "").replace("\r\n", "\n").strip()
        for field in (*TEXT_FIELDS, "kind", "other_topics")
    }
    for field in ("wards", "reaches", "topics"):
        values[field] = request.form.getlist(field)
    return values


def _entry_from(values: dict[str, Any], entry_id: str) -> DirectoryEntry:
    """The entry the form describes; DiscoverError names every problem by field."""
    problems: list[tuple[str, str]] = []
    fields: dict[str, Any] = {"id": entry_id}
    for field in TEXT_FIELDS:
        fields[field] = values[field]
        if field in OPTIONAL:
            fields[field] = values[field] or None
    if fields["ods_code"]:
        fields["ods_code"] = fields["ods_code"].upper()
    if not values["name"]:
        problems.append(("name", "Enter the group's name"))
    if values["kind"] not in KINDS:
        problems.append(("kind", "Choose what kind of group it is"))
    fields["kind"] = values["kind"] if values["kind"] in KINDS else "other"
    fields["wards"] = tuple(dict.fromkeys(values["wards"]))
    reaches = []
    for value in dict.fromkeys(values["reaches"]):
        characteristic, _colon, category = value.partition(":")
        reaches.append((characteristic, category))
    fields["reaches"] = tuple(reaches)
    others = [word.strip() for word in values["other_topics"].replace("\n", ",").split(",")]
    fields["topics"] = tuple(dict.fromkeys([*values["topics"], *(w for w in others if w)]))
    try:
        entry = services.build_entry(**fields)
    except DiscoverError as error:
        seen = {field for field, _ in problems}
        problems += [(f, m) for f, m in error.problems if f not in seen]
    if problems:
        raise DiscoverError(problems)
    return entry


def _ward_options(db: Session, chosen: Iterable[str]) -> list[tuple[str, str]]:
    options = [(ward.code, f"{ward.name} ({ward.code})") for ward in services.hub_wards(db)]
    known = {code for code, _ in options}
    options += [(code, code) for code in chosen if code not in known]
    return options


def _form_page(
    template_values: dict[str, Any],
    entry_id: str | None,
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
) -> Response:
    db = get_session()
    themes = load_taxonomy()
    reach_fields = [
        (
            code,
            characteristic.label,
            [(f"{code}:{k}", characteristic.label_of(k)) for k in characteristic.codes
             if k != NOT_STATED],
        )
        for code, characteristic in CHARACTERISTICS.items()
    ]  # fmt: skip
    page = render_template(
        "discover/entry_form.html",
        entry_id=entry_id,
        values=template_values,
        errors=_anchored(errors or {}),
        anchors={"topics": "other_topics"},
        kind_options=list(KINDS.items()),
        ward_options=_ward_options(db, template_values.get("wards", [])),
        reach_fields=reach_fields,
        topic_options=[(code, themes.name_of(code)) for code in themes.codes],
    )
    return Response(page, status=status)


def _anchored(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    """Errors keyed by the form field that shows them (topics under "Other topics")."""
    result: dict[str, list[str]] = {}
    for field, messages in errors.items():
        result.setdefault(ERROR_ANCHORS.get(field, field), []).extend(messages)
    return result


FIELD_WORDS = {
    "name": "Name",
    "kind": "Kind",
    "description": "Description",
    "how_to_join": "How to join",
    "url": "Web address",
    "email": "Email",
    "phone": "Phone",
    "ods_code": "ODS code",
    "wards": "Wards",
    "reaches": "Who it reaches",
    "topics": "Topics",
}
# What to do, for the fields a person types into (the entry's own message names the value).
FORM_HELP = {
    "url": "Enter a web address starting https://, like https://example.org/group, "
    "or leave it empty",
    "email": "Enter an email address like group@example.org, or leave it empty",
    "phone": "Enter a phone number of 7 to 15 digits, like 01632 960123, or leave it empty",
    "ods_code": "Enter an ODS code of up to 9 letters and digits, like P84001, or leave it empty",
}


def _messages(error: DiscoverError) -> dict[str, list[str]]:
    """Each field's problems as sentences a person can act on."""
    errors: dict[str, list[str]] = {}
    for field, message in error.problems:
        if field in FORM_HELP and "characters or fewer" not in message:
            text = FORM_HELP[field]
        elif message[:1].isupper():
            text = message
        else:
            text = f"{FIELD_WORDS.get(field, field)}: {message}"
        if text not in errors.get(field or "form", []):
            errors.setdefault(field or "form", []).append(text)
    return errors


@staff_pages.get("/add")
@staff_required(*CHANGERS)
def add_page() -> Response:
    """The form to add a group to the directory."""
    return _form_page({"wards": [], "reaches": [], "topics": []}, None)


@staff_pages.post("/add")
@staff_required(*CHANGERS)
def add() -> BaseResponse:
    db = get_session()
    values = _form_values()
    try:
        entry = _entry_from(values, new_entry_id())
        services.add_entry(db, signed_in_staff(), entry)
    except DiscoverError as error:
        db.rollback()
        return _form_page(values, None, _messages(error), 400)
    db.commit()
    flash(f"Added {entry.name} to the directory.")
    return redirect(url_for("discover.index"))


@staff_pages.get("/<uuid:entry_id>")
@staff_required(*CHANGERS)
def edit_page(entry_id: uuid.UUID) -> Response:
    """The form to change a listed group."""
    entry = services.get_entry(get_session(), str(entry_id))
    if entry is None:
        return not_found()
    return _form_page(_values_of(entry), entry.id)


@staff_pages.post("/<uuid:entry_id>")
@staff_required(*CHANGERS)
def edit(entry_id: uuid.UUID) -> BaseResponse:
    db = get_session()
    if services.get_entry(db, str(entry_id)) is None:
        return not_found()
    values = _form_values()
    try:
        entry = _entry_from(values, str(entry_id))
        services.update_entry(db, signed_in_staff(), entry)
    except DiscoverError as error:
        db.rollback()
        return _form_page(values, str(entry_id), _messages(error), 400)
    db.commit()
    flash(f"Saved the changes to {entry.name}.")
    return redirect(url_for("discover.index"))


@staff_pages.get("/<uuid:entry_id>/remove")
@staff_required(*CHANGERS)
def remove_page(entry_id: uuid.UUID) -> Response:
    """Are you sure? Removing a group takes it off the directory and "Take part"."""
    entry = services.get_entry(get_session(), str(entry_id))
    if entry is None:
        return not_found()
    return Response(render_template("discover/remove.html", entry=entry))


@staff_pages.post("/<uuid:entry_id>/remove")
@staff_required(*CHANGERS)
def remove(entry_id: uuid.UUID) -> BaseResponse:
    db = get_session()
    try:
        entry = services.remove_entry(db, signed_in_staff(), str(entry_id))
    except DiscoverError:
        db.rollback()
        return not_found()
    db.commit()
    flash(f"Removed {entry.name} from the directory.")
    return redirect(url_for("discover.index"))


# -- import and export -----------------------------------------------------------------------


def _import_page(
    problems: list[str] | None = None, file_names: list[str] | None = None, status: int = 200
) -> Response:
    page = render_template(
        "discover/import.html",
        errors={"file": problems} if problems else {},
        file_names=file_names or [],
    )
    return Response(page, status=status)


@staff_pages.get("/import")
@staff_required(*CHANGERS)
def import_page() -> Response:
    """Upload an Open Referral UK file: .json, or the CSV tables as a .zip or .csv files."""
    return _import_page()


@staff_pages.post("/import")
@staff_required(*CHANGERS)
def import_submit() -> BaseResponse:
    db = get_session()
    uploads = [upload for upload in request.files.getlist("file") if upload.filename]
    files = [(upload.filename or "", upload.read(services.MAX_UPLOAD + 1)) for upload in uploads]
    names = [name for name, _ in files]
    try:
        entries = services.read_files(files)
        result = services.import_entries(db, signed_in_staff(), entries, source=", ".join(names))
    except DiscoverError as error:
        db.rollback()
        problems = [
            f"{where}: {message}" if where else message for where, message in error.problems
        ]
        return _import_page(problems, names, 400)
    db.commit()
    flash(f"Imported {', '.join(names)}: {result.added} added, {result.updated} updated.")
    return redirect(url_for("discover.index"))


def _download(body: str | bytes, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@staff_pages.get("/export.json")
@staff_required(*VIEWERS)
def export_json() -> Response:
    """The directory as Open Referral UK 3.0 JSON (a list of services)."""
    text = services.export_json_text(services.list_entries(get_session()))
    return _download(text, "application/json", services.JSON_FILE)


@staff_pages.get("/export.zip")
@staff_required(*VIEWERS)
def export_csv() -> Response:
    """The directory as the Open Referral UK 3.0 CSV tables, zipped."""
    data = services.export_csv_zip(services.list_entries(get_session()))
    return _download(data, "application/zip", services.CSV_ZIP)


# -- coverage gaps ---------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupRow:
    group: Group
    label: str
    characteristic_label: str
    population_share: float
    entries: tuple[DirectoryEntry, ...]


def profile_groups(profile: PopulationProfile) -> list[Group]:
    """The profile's groups with people in them (a group of nobody is no gap)."""
    return [
        (characteristic, category)
        for characteristic in profile.characteristics
        for category, people in profile.counts(characteristic).items()
        if people > 0
    ]


@staff_pages.get("/gaps")
@staff_required(*VIEWERS)
def gaps() -> str:
    """Groups of the population and wards that no listed group reaches, first; then the rest."""
    db = get_session()
    entries = services.list_entries(db)
    wards = services.hub_wards(db)
    profile, broken = None, None
    try:
        profile = load_profile(current_app.config["INSTANCE_PATH"])
    except ProfileError as exc:
        broken = exc
    groups = profile_groups(profile) if profile is not None else []
    coverage = coverage_gaps(entries, groups, [ward.code for ward in wards])
    group_rows = [
        GroupRow(
            row.group,
            CHARACTERISTICS[row.group[0]].label_of(row.group[1]),
            CHARACTERISTICS[row.group[0]].label,
            profile.share(*row.group) if profile is not None else 0.0,
            row.entries,
        )
        for row in coverage.groups
    ]
    group_rows.sort(key=lambda row: bool(row.entries))  # gaps first, profile order kept
    ward_rows = sorted(coverage.wards, key=lambda row: row.covered)
    return render_template(
        "discover/gaps.html",
        entries=entries,
        profile=profile,
        broken=broken,
        group_rows=group_rows,
        group_gaps=len(coverage.uncovered_groups),
        ward_rows=ward_rows,
        ward_gaps=len(coverage.uncovered_wards),
        area_wide=[entry for entry in entries if entry.covers_whole_area],
        **_labels(db),
    )


# -- public: take part -----------------------------------------------------------------------


def _matches(entry: DirectoryEntry, ward: str, group: Group | None, topic: str) -> bool:
    if ward and entry.wards and ward not in entry.wards:
        return False
    if group is not None and group not in entry.reaches:
        return False
    return not topic or topic in entry.topics


@public_pages.get("/take-part")
def take_part() -> str:
    """Other ways to have your say: groups people can join, filtered by ward, group and topic."""
    db = get_session()
    entries = services.list_entries(db)
    wards = services.hub_wards(db)
    groups = all_groups()
    topics = sorted({t for e in entries for t in e.topics}, key=lambda t: topic_label(t).lower())
    ward = request.args.get("ward", "")
    if ward not in {w.code for w in wards}:
        ward = ""
    group_value = request.args.get("group", "")
    group: Group | None = None
    characteristic, _colon, category = group_value.partition(":")
    if (characteristic, category) in groups:
        group = (characteristic, category)
    else:
        group_value = ""
    topic = request.args.get("topic", "")
    if topic not in topics:
        topic = ""
    shown = [entry for entry in entries if _matches(entry, ward, group, topic)]
    return render_template(
        "discover/take_part.html",
        entries=shown,
        listed=len(entries),
        filtered=bool(ward or group or topic),
        ward=ward,
        group_value=group_value,
        topic=topic,
        ward_options=[("", "Any ward")] + [(w.code, w.name) for w in wards],
        group_options=[("", "Anyone")] + [(f"{c}:{k}", group_label((c, k))) for c, k in groups],
        topic_options=[("", "Any topic")] + [(t, topic_label(t)) for t in topics],
        **_labels(db),
    )
