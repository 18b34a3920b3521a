"""The Atom feed of board responses and updates (RFC 4287), newest first.

One entry per version: version 1 is "the board responded", later versions
are updates. Entry ids are tag URIs built from the response id and version,
so they never change when the site moves. Built with ElementTree, so every
value is escaped.
"""

from __future__ import annotations

from urllib.parse import urljoin
from xml.etree import ElementTree as ET

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy.orm import Session

from federation.taxonomy import load_taxonomy
from hubnet.columns import rfc3339
from national_aggregator.board.services import DECISION_TITLES, PROGRESS_TITLES, all_versions
from national_aggregator.db import utcnow

ATOM = "http://www.w3.org/2005/Atom"
FEED_ID = "tag:hubnet.national,2027:board"
MAX_ENTRIES = 200


def _add(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attributes)
    if text is not None:
        element.text = text
    return element


def atom_feed(session: Session, log_public_key: Ed25519PublicKey, *, base: str) -> bytes:
    """The feed as UTF-8 XML; `base` is the site's root URL (links are absolute)."""
    ET.register_namespace("", ATOM)
    versions = list(reversed(all_versions(session, log_public_key)))[:MAX_ENTRIES]
    feed = ET.Element(f"{{{ATOM}}}feed")
    _add(feed, "id", FEED_ID)
    _add(feed, "title", "What the board said: hubnet national")
    _add(feed, "subtitle", "The board's responses to national priorities, and every update")
    updated = versions[0].statement.at if versions else utcnow()
    _add(feed, "updated", rfc3339(updated))
    _add(feed, "author").append(_name("hubnet national"))
    _add(feed, "link", rel="self", href=urljoin(base, "board/feed.atom"))
    _add(feed, "link", rel="alternate", type="text/html", href=urljoin(base, "board"))
    taxonomy = load_taxonomy()
    for logged in versions:
        statement = logged.statement
        theme = taxonomy.name_of(statement.theme)
        entry = _add(feed, "entry")
        _add(
            entry,
            "id",
            f"tag:hubnet.national,2027:board/{statement.response_id}/{statement.version}",
        )
        if statement.version == 1:
            title = f"{theme}: {DECISION_TITLES[statement.decision].lower()}"
        else:
            title = f"{theme}: update (version {statement.version})"
        _add(entry, "title", title)
        _add(entry, "updated", rfc3339(statement.at))
        _add(entry, "published", rfc3339(statement.at))
        href = urljoin(base, f"board/responses/{statement.response_id}")
        _add(entry, "link", rel="alternate", type="text/html", href=href)
        lines = [statement.update] if statement.update else []
        lines.append(statement.response)
        if statement.commitment:
            lines.append(f"Commitment: {statement.commitment}")
        if statement.owner:
            lines.append(f"Owner: {statement.owner}")
        if statement.due:
            lines.append(f"Due: {statement.due.isoformat()}")
        if statement.progress:
            lines.append(f"Progress: {PROGRESS_TITLES[statement.progress]}")
        if statement.reason:
            lines.append(f"Reason: {statement.reason}")
        lines.append(f"Log index {logged.log_index}.")
        _add(entry, "summary", "\n".join(lines), type="text")
    body: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return body


def _name(text: str) -> ET.Element:
    name = ET.Element(f"{{{ATOM}}}name")
    name.text = text
    return name
