"""Import and export the Discover directory in Open Referral UK (ORUK) format, JSON and CSV.

ORUK is the UK profile of the Open Referral Human Services Data Specification
(HSDS). We follow ORUK version 3.0, the profile of HSDS 3.0 (OpenReferralUK/uk-profile):
JSON is a list of `service` objects with the organization and the arrays nested
(what an ORUK `/services/{id}` endpoint returns); CSV is one file per table, named
as in the profile's data package. Each directory entry is one service, run by one
organization of its own.

API: `export_json(entries) -> list[dict]`, `import_json(data) -> list[DirectoryEntry]`,
`export_csv(entries) -> dict[file name, CSV text]`, `import_csv(files) -> list[...]`;
import raises `OpenReferralError`. Export then import gives equal entries.

What maps to what (DirectoryEntry field: JSON path in the service; CSV table):

- id: id; services.csv id.
- name: name and organization.name; services.csv and organizations.csv name.
- description: description and organization.description; both CSV files.
- how_to_join: application_process (HSDS 3.0, see below); services.csv application_process.
- url: url and organization.website; services.csv url, organizations.csv website.
- email: email and organization.email; services.csv and organizations.csv email.
- phone: contacts[0].phones[0].number; contacts.csv and phones.csv number.
- ods_code: organization.organization_identifiers[] with identifier_scheme "GB-NHS"
  (the org-id.guide code for the NHS Organisation Data Service); organization_identifiers.csv.
- wards: service_areas[], one per ward: name and service_area are the ward code, uri its
  ONS statistical-geography address; service_areas.csv.
- kind, reaches, topics: attributes[] whose taxonomy_term is in the vocabulary
  "hubnet-kind" (term "ppg", …), "hubnet-reach" (term "age_band:75-plus") or
  "hubnet-topic" (term a national theme code or a free word); attribute.csv,
  taxonomy_terms.csv and taxonomies.csv.

Each attribute says link_entity "service" and a link_type ("kind", "audience",
"topic"); its taxonomy_term carries `taxonomy` (the vocabulary name), `term` (our
code, which import reads) and `name`/`description` (a reader's label). Every id
other than the service's is a UUID derived from the entry id (or, for terms and
taxonomies, the vocabulary and term), so exporting twice gives the same files.
Services are exported with status "active".

Not carried: locations, addresses, schedules, languages, funding, cost options
and eligibility ages (Discover has none). `how_to_join` travels as HSDS 3.0's
service.application_process, which the UK profile leaves out: an ORUK-only reader
ignores it. ORUK requires service.url; an entry without a web address is
exported without one (an ORUK validator will warn: add the group's page).

Import takes what hubnet needs and ignores every other field, table, attribute
and vocabulary. It refuses, with every problem collected into one
`OpenReferralError` naming the service (JSON index or CSV file and row) and the
field, and returns nothing: a service without id, name or status; a status other
than "active"; a repeated service id; a service area with no ONS ward code in its
uri, name or service_area (hubnet keeps areas as wards, and an entry without wards
means the whole hub area, so dropping an area would widen it); a hubnet term that
is not a valid code; more than one hubnet-kind term; and anything
`DirectoryEntry` refuses. A service with no hubnet-kind term is kind "other".
Where a service has several contacts or phones, the first number is kept; blank
strings and JSON nulls count as absent. JSON may be the list of services or an
ORUK page object with the list under "contents"; a CSV file may start with a
byte-order mark.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from federation.taxonomy import load_taxonomy
from hub.discover.directory import (
    KINDS,
    WARD_CODE,
    DirectoryEntry,
    EntryError,
    group_label,
)

ORUK_VERSION = "3.0"
KIND_VOCABULARY = "hubnet-kind"
REACH_VOCABULARY = "hubnet-reach"
TOPIC_VOCABULARY = "hubnet-topic"
VOCABULARIES: dict[str, str] = {
    KIND_VOCABULARY: "What sort of participation group this is (hubnet Discover).",
    REACH_VOCABULARY: (
        "Groups of people the service reaches, as characteristic:category in hubnet's "
        "characteristics/1 codes."
    ),
    TOPIC_VOCABULARY: "What the group is about: hubnet national theme codes or free words.",
}
LINK_TYPES = {KIND_VOCABULARY: "kind", REACH_VOCABULARY: "audience", TOPIC_VOCABULARY: "topic"}
ODS_SCHEME = "GB-NHS"
WARD_URI = "http://statistics.data.gov.uk/id/statistical-geography/"
# Fixed namespace for the ids we derive; changing it would change every exported id.
NAMESPACE = uuid.UUID("5b0f3c1e-6d2a-4e55-9a57-8f1d2c3b4a60")

CSV_COLUMNS: dict[str, tuple[str, ...]] = {
    "organizations.csv": ("id", "name", "description", "email", "website"),
    "organization_identifiers.csv": (
        "id",
        "organization_id",
        "identifier_scheme",
        "identifier_type",
        "identifier",
    ),
    "services.csv": (
        "id",
        "organization_id",
        "name",
        "description",
        "url",
        "email",
        "status",
        "application_process",
    ),
    "service_areas.csv": ("id", "service_id", "name", "service_area", "uri"),
    "contacts.csv": ("id", "service_id", "name"),
    "phones.csv": ("id", "contact_id", "number"),
    "taxonomies.csv": ("id", "name", "description", "version"),
    "taxonomy_terms.csv": ("id", "name", "description", "taxonomy", "taxonomy_id", "term"),
    "attribute.csv": ("id", "link_id", "link_type", "link_entity", "taxonomy_term_id"),
}
# Columns import needs in each file it reads; a missing optional file is an empty table.
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "organizations.csv": ("id",),
    "organization_identifiers.csv": ("organization_id", "identifier_scheme", "identifier"),
    "services.csv": ("id", "organization_id", "name", "status"),
    "service_areas.csv": ("service_id",),
    "contacts.csv": ("id", "service_id"),
    "phones.csv": ("contact_id", "number"),
    "taxonomy_terms.csv": ("id", "taxonomy", "term"),
    "attribute.csv": ("link_id", "taxonomy_term_id"),
}
REQUIRED_FILES = ("services.csv", "organizations.csv")

# Where each DirectoryEntry field lives, to name it in import errors.
JSON_FIELDS = {
    "id": "id",
    "name": "name",
    "kind": f"attributes ({KIND_VOCABULARY})",
    "description": "description",
    "how_to_join": "application_process",
    "url": "url",
    "email": "email",
    "phone": "contacts[].phones[].number",
    "ods_code": "organization.organization_identifiers[].identifier",
    "wards": "service_areas",
    "reaches": f"attributes ({REACH_VOCABULARY})",
    "topics": f"attributes ({TOPIC_VOCABULARY})",
}
CSV_FIELDS = {
    **{field: field for field in ("id", "name", "description", "url", "email")},
    "how_to_join": "application_process",
    "kind": f"attribute.csv ({KIND_VOCABULARY})",
    "phone": "phones.csv number",
    "ods_code": "organization_identifiers.csv identifier",
    "wards": "service_areas.csv",
    "reaches": f"attribute.csv ({REACH_VOCABULARY})",
    "topics": f"attribute.csv ({TOPIC_VOCABULARY})",
}


class OpenReferralError(ValueError):
    """Open Referral data that cannot be imported; `problems` are (where, message) pairs."""

    def __init__(self, problems: Iterable[tuple[str, str]]) -> None:
        self.problems: tuple[tuple[str, str], ...] = tuple(problems)
        super().__init__("; ".join(f"{where}: {message}" for where, message in self.problems))


# --- export -------------------------------------------------------------------------------


def _derived_id(*parts: str) -> str:
    return str(uuid.uuid5(NAMESPACE, "/".join(parts)))


def _terms(entry: DirectoryEntry) -> list[tuple[str, str, str]]:
    """(vocabulary, term, label) for each hubnet term on the entry, kind first."""
    themes = load_taxonomy()
    terms = [(KIND_VOCABULARY, entry.kind, KINDS[entry.kind])]
    terms += [(REACH_VOCABULARY, f"{c}:{k}", group_label((c, k))) for c, k in entry.reaches]
    for topic in entry.topics:
        label = themes.name_of(topic) if topic in themes.codes else topic
        terms.append((TOPIC_VOCABULARY, topic, label))
    return terms


def _term_json(vocabulary: str, term: str, label: str) -> dict[str, Any]:
    return {
        "id": _derived_id("term", vocabulary, term),
        "name": label,
        "description": label,
        "taxonomy": vocabulary,
        "taxonomy_id": _derived_id("taxonomy", vocabulary),
        "term": term,
    }


def _optional(**fields: str | None) -> dict[str, str]:
    return {key: value for key, value in fields.items() if value is not None}


def export_json(entries: Iterable[DirectoryEntry]) -> list[dict[str, Any]]:
    """The entries as ORUK 3.0 service objects, organization and arrays nested (JSON-ready)."""
    services: list[dict[str, Any]] = []
    for entry in entries:
        organization: dict[str, Any] = {
            "id": _derived_id(entry.id, "organization"),
            "name": entry.name,
            "description": entry.description,
            **_optional(email=entry.email, website=entry.url),
        }
        if entry.ods_code is not None:
            organization["organization_identifiers"] = [
                {
                    "id": _derived_id(entry.id, "ods"),
                    "identifier_scheme": ODS_SCHEME,
                    "identifier_type": "ODS code",
                    "identifier": entry.ods_code,
                }
            ]
        contacts = []
        if entry.phone is not None:
            contact_id = _derived_id(entry.id, "contact")
            contacts.append(
                {
                    "id": contact_id,
                    "name": entry.name,
                    "phones": [{"id": _derived_id(entry.id, "phone"), "number": entry.phone}],
                }
            )
        services.append(
            {
                "id": entry.id,
                "name": entry.name,
                "description": entry.description,
                **_optional(url=entry.url, email=entry.email),
                "status": "active",
                "application_process": entry.how_to_join,
                "organization": organization,
                "service_areas": [
                    {
                        "id": _derived_id(entry.id, "area", ward),
                        "name": ward,
                        "service_area": ward,
                        "uri": WARD_URI + ward,
                    }
                    for ward in entry.wards
                ],
                "contacts": contacts,
                "attributes": [
                    {
                        "id": _derived_id(entry.id, "attribute", vocabulary, term),
                        "link_id": entry.id,
                        "link_type": LINK_TYPES[vocabulary],
                        "link_entity": "service",
                        "taxonomy_term_id": _derived_id("term", vocabulary, term),
                        "taxonomy_term": _term_json(vocabulary, term, label),
                    }
                    for vocabulary, term, label in _terms(entry)
                ],
            }
        )
    return services


def export_csv(entries: Iterable[DirectoryEntry]) -> dict[str, str]:
    """The entries as ORUK 3.0 CSV tables: file name -> CSV text (header row first)."""
    entries = list(entries)
    rows: dict[str, list[dict[str, str]]] = {name: [] for name in CSV_COLUMNS}
    rows["taxonomies.csv"] = [
        {
            "id": _derived_id("taxonomy", vocabulary),
            "name": vocabulary,
            "description": description,
            "version": "1",
        }
        for vocabulary, description in VOCABULARIES.items()
    ]
    seen_terms: set[str] = set()
    for service in export_json(entries):
        organization = service["organization"]
        rows["organizations.csv"].append(_pick(organization, CSV_COLUMNS["organizations.csv"]))
        for identifier in organization.get("organization_identifiers", []):
            rows["organization_identifiers.csv"].append(
                {**identifier, "organization_id": organization["id"]}
            )
        rows["services.csv"].append({**service, "organization_id": organization["id"]})
        for area in service["service_areas"]:
            rows["service_areas.csv"].append({**area, "service_id": service["id"]})
        for contact in service["contacts"]:
            rows["contacts.csv"].append({**contact, "service_id": service["id"]})
            for phone in contact["phones"]:
                rows["phones.csv"].append({**phone, "contact_id": contact["id"]})
        for attribute in service["attributes"]:
            rows["attribute.csv"].append(attribute)
            term = attribute["taxonomy_term"]
            if term["id"] not in seen_terms:
                seen_terms.add(term["id"])
                rows["taxonomy_terms.csv"].append(term)
    return {name: _csv_text(CSV_COLUMNS[name], rows[name]) for name in CSV_COLUMNS}


def _pick(record: Mapping[str, Any], columns: Sequence[str]) -> dict[str, Any]:
    return {column: record.get(column, "") for column in columns}


def _csv_text(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(
        out, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n"
    )
    writer.writeheader()
    for row in rows:
        writer.writerow(_pick(row, columns))
    return out.getvalue()


# --- import -------------------------------------------------------------------------------


class _Problems:
    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []

    def add(self, where: str, message: str) -> None:
        self.items.append((where, message))


def _present(value: Any) -> str | None:
    """A stored text value, or None for absent, null or blank."""
    if value is None:
        return None
    if isinstance(value, str):
        return value if value.strip() else None
    return str(value)


def _ward_of(area: Mapping[str, Any]) -> str | None:
    candidates = [str(area.get("uri") or "").rstrip("/").rsplit("/", 1)[-1]]
    candidates += [str(area.get(key) or "").strip() for key in ("name", "service_area")]
    return next((value for value in candidates if WARD_CODE.fullmatch(value)), None)


def _apply_terms(
    fields: dict[str, Any], terms: Iterable[tuple[str, str | None]], where: str, problems: _Problems
) -> None:
    """Set kind, reaches and topics from (vocabulary, term) pairs; other vocabularies ignored."""
    kinds: list[str] = []
    reaches: list[tuple[str, str]] = []
    topics: list[str] = []
    for vocabulary, term in terms:
        if vocabulary not in VOCABULARIES:
            continue
        if term is None:
            problems.add(where, f"a {vocabulary} taxonomy term has no term")
        elif vocabulary == KIND_VOCABULARY:
            kinds.append(term)
        elif vocabulary == REACH_VOCABULARY:
            characteristic, colon, category = term.partition(":")
            if not colon:
                problems.add(
                    where, f"{REACH_VOCABULARY} term {term!r} is not characteristic:category"
                )
            else:
                reaches.append((characteristic, category))
        else:
            topics.append(term)
    if len(kinds) > 1:
        problems.add(where, f"more than one {KIND_VOCABULARY} term: {', '.join(kinds)}")
    fields["kind"] = kinds[0] if kinds else "other"
    fields["reaches"] = tuple(reaches)
    fields["topics"] = tuple(topics)


def _build(
    fields: Mapping[str, Any], where: str, paths: Mapping[str, str], problems: _Problems
) -> DirectoryEntry | None:
    try:
        return DirectoryEntry(**fields)
    except EntryError as error:
        for field, message in error.problems:
            problems.add(f"{where}, {paths.get(field, field)}", message)
        return None


def _check_service(
    service_id: Any, status: Any, where: str, seen: set[str], problems: _Problems
) -> None:
    if service_id in seen:
        problems.add(f"{where}, id", f"service id {service_id!r} is used twice")
    seen.add(service_id)
    if status != "active":
        problems.add(
            f"{where}, status",
            f"{status!r}: only active services are imported; leave the others out",
        )


def import_json(data: Any) -> list[DirectoryEntry]:
    """Entries from ORUK 3.0 service objects (a list, or a page with "contents").

    Raises OpenReferralError listing every problem; nothing is returned then.
    """
    if isinstance(data, Mapping) and isinstance(data.get("contents"), list):
        data = data["contents"]
    if not isinstance(data, list):
        raise OpenReferralError([("services", "expected a list of ORUK service objects")])
    problems = _Problems()
    entries: list[DirectoryEntry] = []
    seen: set[str] = set()
    for index, service in enumerate(data):
        where = f"services[{index}]"
        if not isinstance(service, Mapping):
            problems.add(where, "is not an object")
            continue
        missing = [key for key in ("id", "name", "status") if _present(service.get(key)) is None]
        for key in missing:
            problems.add(f"{where}, {key}", "is required")
        if missing:
            continue
        where = f"services[{index}] (id {service['id']})"
        _check_service(service["id"], service["status"], where, seen, problems)
        fields: dict[str, Any] = {
            "id": service["id"],
            "name": service["name"],
            "description": _present(service.get("description")) or "",
            "how_to_join": _present(service.get("application_process")) or "",
            "url": _present(service.get("url")),
            "email": _present(service.get("email")),
        }
        organization = _mapping(service.get("organization"))
        fields["ods_code"] = next(
            (
                _present(identifier.get("identifier"))
                for identifier in _records(organization.get("organization_identifiers"))
                if identifier.get("identifier_scheme") == ODS_SCHEME
            ),
            None,
        )
        fields["phone"] = next(
            (
                _present(phone.get("number"))
                for contact in _records(service.get("contacts"))
                for phone in _records(contact.get("phones"))
                if _present(phone.get("number"))
            ),
            None,
        )
        wards = []
        for number, area in enumerate(_records(service.get("service_areas"))):
            ward = _ward_of(area)
            if ward is None:
                problems.add(
                    f"{where}, service_areas[{number}]",
                    "no ONS ward code (such as E05011234) in its uri, name or service_area",
                )
            else:
                wards.append(ward)
        fields["wards"] = tuple(wards)
        terms = []
        for attribute in _records(service.get("attributes")):
            term = _mapping(attribute.get("taxonomy_term"))
            if attribute.get("link_entity") in (None, "", "service") and term:
                terms.append((str(term.get("taxonomy")), _present(term.get("term"))))
        _apply_terms(fields, terms, where, problems)
        entry = _build(fields, where, JSON_FIELDS, problems)
        if entry is not None:
            entries.append(entry)
    if problems.items:
        raise OpenReferralError(problems.items)
    return entries


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _records(value: Any) -> list[Mapping[str, Any]]:
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


def _read_tables(
    files: Mapping[str, str], problems: _Problems
) -> dict[str, list[tuple[str, dict[str, str]]]]:
    """Each known table as (where, row) pairs; missing required files and columns noted."""
    tables: dict[str, list[tuple[str, dict[str, str]]]] = {}
    files = dict(files)
    if "attribute.csv" not in files and "attributes.csv" in files:
        files["attribute.csv"] = files["attributes.csv"]  # HSDS 3.0's name for the table
    for name in REQUIRED_FILES:
        if name not in files:
            problems.add(name, "file is missing")
    for name, required in REQUIRED_COLUMNS.items():
        tables[name] = []
        if name not in files:
            continue
        reader = csv.DictReader(io.StringIO(files[name].removeprefix("\ufeff")))
        header = [column.strip() for column in reader.fieldnames or []]
        reader.fieldnames = header
        absent = [column for column in required if column not in header]
        if absent:
            problems.add(name, f"has no column {', '.join(absent)}")
            continue
        for number, row in enumerate(reader, start=2):
            clean = {key: (value or "").strip() for key, value in row.items() if key is not None}
            tables[name].append((f"{name} row {number}", clean))
    return tables


def import_csv(files: Mapping[str, str]) -> list[DirectoryEntry]:
    """Entries from ORUK 3.0 CSV tables given as file name -> CSV text.

    services.csv and organizations.csv are required; other tables may be left out.
    Raises OpenReferralError listing every problem (file, row, field); nothing is
    returned then.
    """
    problems = _Problems()
    tables = _read_tables(files, problems)
    if problems.items:
        raise OpenReferralError(problems.items)

    organizations = {row["id"]: row for _, row in tables["organizations.csv"]}
    ods: dict[str, str] = {}
    for _, row in tables["organization_identifiers.csv"]:
        if row["identifier_scheme"] == ODS_SCHEME and row["identifier"]:
            ods.setdefault(row["organization_id"], row["identifier"])
    terms = {row["id"]: row for _, row in tables["taxonomy_terms.csv"]}

    services: dict[str, tuple[str, dict[str, str]]] = {}
    seen: set[str] = set()
    for where, row in tables["services.csv"]:
        missing = [key for key in ("id", "name", "status", "organization_id") if not row[key]]
        for key in missing:
            problems.add(f"{where}, {key}", "is required")
        if missing:
            continue
        where = f"{where} (id {row['id']})"
        _check_service(row["id"], row["status"], where, seen, problems)
        if row["organization_id"] not in organizations:
            problems.add(
                f"{where}, organization_id",
                f"{row['organization_id']!r} is not in organizations.csv",
            )
        services[row["id"]] = (where, row)

    def owner(where: str, service_id: str) -> str | None:
        if not service_id:
            return None  # linked to something other than a service: not ours to read
        if service_id not in services:
            problems.add(f"{where}, service_id", f"{service_id!r} is not in services.csv")
            return None
        return service_id

    wards: dict[str, list[str]] = {service_id: [] for service_id in services}
    for where, row in tables["service_areas.csv"]:
        service_id = owner(where, row["service_id"])
        if service_id is None:
            continue
        ward = _ward_of(row)
        if ward is None:
            problems.add(
                where, "no ONS ward code (such as E05011234) in its uri, name or service_area"
            )
        else:
            wards[service_id].append(ward)

    contact_service = {}
    for where, row in tables["contacts.csv"]:
        service_id = owner(where, row["service_id"])
        if service_id is not None:
            contact_service[row["id"]] = service_id
    phones: dict[str, str] = {}
    for _, row in tables["phones.csv"]:
        service_id = contact_service.get(row["contact_id"])
        if service_id is not None and row["number"]:
            phones.setdefault(service_id, row["number"])

    service_terms: dict[str, list[tuple[str, str | None]]] = {sid: [] for sid in services}
    for where, row in tables["attribute.csv"]:
        if row["link_id"] not in services or row.get("link_entity", "") not in ("", "service"):
            continue
        term = terms.get(row["taxonomy_term_id"])
        if term is None:
            problems.add(
                f"{where}, taxonomy_term_id",
                f"{row['taxonomy_term_id']!r} is not in taxonomy_terms.csv",
            )
            continue
        service_terms[row["link_id"]].append((term["taxonomy"], term["term"] or None))

    entries: list[DirectoryEntry] = []
    for service_id, (where, row) in services.items():
        fields: dict[str, Any] = {
            "id": service_id,
            "name": row["name"],
            "description": row.get("description", ""),
            "how_to_join": row.get("application_process", ""),
            "url": row.get("url") or None,
            "email": row.get("email") or None,
            "phone": phones.get(service_id),
            "ods_code": ods.get(row["organization_id"]),
            "wards": tuple(wards[service_id]),
        }
        _apply_terms(fields, service_terms[service_id], where, problems)
        entry = _build(fields, where, CSV_FIELDS, problems)
        if entry is not None:
            entries.append(entry)
    if problems.items:
        raise OpenReferralError(problems.items)
    return entries
