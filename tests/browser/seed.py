"""What the browser tests' hub holds before they start: staff, residents, items, links.

Staff accounts are added with `hubnet hub staff add`, as an operator would. Items
and the rest are made with the hub's own services in this process (the server is
not running yet), so every page has something real to show. `seed` returns the
values the page crawl fills URL parameters with.
"""

from __future__ import annotations

import inspect
import random
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from hub import create_app
from hub.assembly import services as assembly
from hub.discover import services as discover
from hub.discover.directory import DirectoryEntry
from hub.gather.services import (
    add_comment,
    get_or_create_participant,
    import_wards,
    raise_contribution,
)
from hub.panels import demo as panels_demo
from hub.quotes.services import propose
from hub.residents import accounts
from hub.residents.links import issue_private_link
from hub.residents.models import TokenPurpose
from hub.residents.notify import unfollow_token
from hub.routing import services as routing
from hub.routing.services import england_today
from hub.staff import totp
from hub.staff.models import StaffUser
from hub.staff.services import confirm_totp, issue_password_link, start_totp
from hub.stocktake import demo as stocktake_demo
from hub.themes.services import find_theme
from hub.voices.profile import demo_profile
from hub.voices.store import save_profile
from hubnet.db import get_session
from tests.e2e.network import hubnet_command

PASSWORD = "browser tests password 1"
# What tests/browser/test_injection_browser.py looks for: shown as text, never run.
INJECTION = "<script>alert(1)</script>\"'><img src=x onerror=alert(1)>"
ROLES = ("admin", "moderator", "facilitator", "responder")
TOTP_STAFF = "totp"  # a moderator with two-step sign-in on (for the code page)
RESIDENT = "resident"  # a resident with a confirmed account who raised an item
ITEMS = [
    ("concern", "gp-access", "Cannot get a GP appointment in the morning",
     "I ring at 8am every day and the appointments are gone by 8.15."),
    ("idea", "mental-health", "A walk-in mental health café in the town centre",
     "Somewhere to go in the evening that is not A&E."),
    ("experience", "dentistry", "Three years on an NHS dentist waiting list",
     "I have been on the list since 2023 and still have no dentist."),
    ("question", "gp-access", "Why can I not book online any more?",
     "The online booking page says there are no appointments, every day."),
]  # fmt: skip
WARDS = "code,name\nE05011234,Ancoats and Beswick\nE05011235,Ardwick\n"


def email_of(who: str) -> str:
    return f"{who}@hub.example.org"


def add_staff(instance: Path) -> dict[str, str]:
    """One account per role (and the TOTP moderator), via the CLI; returns who → email."""
    accounts_made = {}
    for who, role in [*((role, role) for role in ROLES), (TOTP_STAFF, "moderator")]:
        result = subprocess.run(
            hubnet_command(
                "hub", "staff", "add", "--instance", str(instance), "--email", email_of(who),
                "--name", f"{who.title()} Tester", "--role", role, "--password-stdin",
            ),
            input=PASSWORD + "\n",
            text=True,
            capture_output=True,
            timeout=120,
        )  # fmt: skip
        assert result.returncode == 0, f"hubnet hub staff add:\n{result.stdout}{result.stderr}"
        accounts_made[who] = email_of(who)
    return accounts_made


def _raise(db: Any, kind: str, theme: str, title: str, body: str, **options: Any) -> Any:
    if "publish" not in inspect.signature(raise_contribution).parameters:
        options.pop("publish", None)
    return raise_contribution(
        db,
        participant=options.pop("participant", None) or get_or_create_participant(db, None),
        kind=kind,
        title=title,
        body=body,
        theme_slug=theme,
        quote_consent=True,
        **options,
    )


def _enable_totp(db: Any, secret_key: str) -> None:
    staff = db.scalar(select(StaffUser).where(StaffUser.email == email_of(TOTP_STAFF)))
    secret = start_totp(db, staff, secret_key=secret_key)
    confirm_totp(db, staff, totp.code_at(secret, time.time()), secret_key=secret_key)


def seed(instance: Path) -> dict[str, Any]:
    """Items in every state, a quote, a resident account, tokens; returns name → value."""
    app = create_app({"INSTANCE_PATH": str(instance)})
    try:
        with app.app_context():
            db = get_session()
            import_wards(db, WARDS)
            author = get_or_create_participant(db, None)
            items = [
                _raise(db, *item, publish=True, participant=author if n == 0 else None)
                for n, item in enumerate(ITEMS)
            ]
            pending = _raise(
                db, "concern", "dentistry", "No dentist for my children",
                "We moved here in June and cannot find one.", publish=False,
            )  # fmt: skip
            injected = _raise(db, "idea", "gp-access", INJECTION, INJECTION, publish=True)
            comment = add_comment(
                db, contribution=items[0], participant=get_or_create_participant(db, None),
                body="Same at my surgery.", publish=True,
            )  # fmt: skip
            waiting = add_comment(
                db, contribution=items[0], participant=get_or_create_participant(db, None),
                body="And mine, every week.", publish=False,
            )  # fmt: skip
            quote = propose(db, items[0])
            link = issue_private_link(db, author)
            resident = accounts.register_account(
                db, email=email_of(RESIDENT), password=PASSWORD, participant=author
            )
            assert resident is not None
            accounts.confirm_email(
                db, accounts.issue_token(db, resident, TokenPurpose.CONFIRM, timedelta(days=1))
            )
            unconfirmed = accounts.register_account(
                db,
                email=email_of("new-resident"),
                password=PASSWORD,
                participant=get_or_create_participant(db, None),
            )
            assert unconfirmed is not None
            confirm = accounts.issue_token(db, unconfirmed, TokenPurpose.CONFIRM, timedelta(days=9))
            reset = accounts.issue_token(db, resident, TokenPurpose.RESET, timedelta(days=9))
            moderator = db.scalar(select(StaffUser).where(StaffUser.email == email_of("moderator")))
            password_token = issue_password_link(db, moderator, by=None, hours=24 * 9)
            _enable_totp(db, str(app.config["SECRET_KEY"]))
            theme = find_theme(db, "gp-access")
            assert theme is not None
            admin = db.scalar(select(StaffUser).where(StaffUser.email == email_of("admin")))
            responder = db.scalar(select(StaffUser).where(StaffUser.email == email_of("responder")))
            trust = routing.add_organisation(
                db, admin, "Central NHS Foundation Trust", "nhs-trust", "R0A", "pals@trust.example"
            )
            routing.link_staff(db, responder, trust, admin)
            routed = routing.route(db, items[1], trust, responder, admin)
            answered = routing.route(db, items[2], trust, None, admin)
            routing.respond(
                db, answered, admin, "We agree the list is too long.", "change-planned",
                change_description="Two more NHS dentists from April.",
            )  # fmt: skip
            # Discover, a drawn jury, its Assembly, and a Stocktake action (issue 6)
            entry = DirectoryEntry(
                id="4a3b2c1d-0e9f-4a8b-9c7d-6e5f4a3b2c1d", name="Ancoats Patient Group",
                kind="ppg", description="The patient participation group of Ancoats Surgery.",
                wards=("E05011234",), how_to_join="Come to a meeting, or write to us.",
            )  # fmt: skip
            discover.import_entries(db, None, [entry])
            profile = demo_profile("E08000003")
            save_profile(instance, profile, datetime.now(UTC))
            draw = panels_demo.seed_demo(
                db, gss="E08000003", wards=["E05011234", "E05011235"], profile=profile,
                staff=admin, rng=random.Random(1),
            )  # fmt: skip
            lead = db.scalar(select(StaffUser).where(StaffUser.email == email_of("facilitator")))
            today = england_today()
            jury = assembly.create_jury(
                db, lead, title="Citizens' Jury (browser tests)",
                period_start=today - timedelta(days=365), period_end=today, draw_id=draw.id,
            )  # fmt: skip
            shortlist = assembly.set_shortlist(db, jury, lead, [items[0].id, items[3].id])
            assembly.record_choice(db, jury, lead, {shortlist[0].id: "The most supported"}, today)
            meeting = assembly.create_meeting(
                db, lead, title="Citizens' Assembly (browser tests)", held_on=today,
                place="Town Hall", jury_id=jury.id,
            )  # fmt: skip
            agenda_item = meeting.agenda[0]
            manager = assembly.add_senior_manager(
                db, meeting, lead, "Dr Ada Lane", "Medical Director", "Central ICB"
            )
            assembly.record_reply(db, agenda_item, lead, manager.id, "We will open on Saturdays.")
            outcome = assembly.add_outcome(
                db, agenda_item, lead, title="Open Saturday clinics",
                owner="Director of Primary Care", due_on=today + timedelta(days=60),
            )  # fmt: skip
            assembly.publish_meeting(db, meeting, lead)
            stocktake_demo.seed_demo(db, staff={"facilitator": lead, "admin": admin}, today=today)
            ids = {
                "contribution_id": items[0].id,
                "pending_id": pending.id,
                "injected_id": injected.id,
                "comment_id": comment.id,
                "pending_comment_id": waiting.id,
                "quote_id": quote.id,
                "theme_id": theme.id,
                "staff_id": moderator.id,
                "routed_id": items[1].id,
                "routing_id": routed.id,
                "answered_routing_id": answered.id,
                "entry_id": entry.id,
                "draw_id": draw.id,
                "jury_id": jury.id,
                "meeting_id": meeting.id,
                "assembly_item_id": agenda_item.id,
                "action_id": outcome.action_id,
                "link_token": link.rsplit("/", 1)[1],
                "confirm_token": confirm,
                "reset_token": reset,
                "password_token": password_token,
                "unfollow_token": unfollow_token(resident.id, items[0].id),
            }
            db.commit()
            return ids
    finally:
        app.extensions["hubnet.engine"].dispose()
