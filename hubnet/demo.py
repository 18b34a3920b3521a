"""`hubnet demo`: a whole network on this machine, over real HTTP.

Starts a national aggregator and three council hubs (Manchester, Cornwall,
Leeds) as separate gunicorn processes on 127.0.0.1, each with its own SQLite
database and keys under `var/demo/`. It registers the hubs' keys with the
aggregator the way a national team would (`hubnet aggregator hubs add`), seeds
each hub with synthetic contributions, has each hub push its signed summary
(`hubnet hub push`), and prints the national priorities the aggregator built
from the verified summaries. Every step runs the same `hubnet` commands a
council or the national team would run.

Each hub also has both sides of its day-to-day life to click through: demo
staff in every role, a demo resident who follows items, comments and public
status updates on popular items, and a moderation queue with items and
comments waiting, a rejected item, a comment hidden after reports and a
safeguarding escalation. A local SMTP sink (`hubnet mail-sink`) is one more
process: every email the hubs send lands in `var/demo/mail` as a file.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import random
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import click
import requests

from federation.periods import Period
from hubnet.demo_board import (
    DEMO_NATIONAL_STAFF,
    add_national_staff,
    record_board_answers,
    wait_for_hubs,
)
from hubnet.demo_data import (
    COMMENTS,
    GENERIC_COMMENTS,
    PAPER_ITEM,
    PENDING_COMMENTS,
    PHONE_ITEM,
    QUEUE_ITEMS,
    QUOTE_CONSENT_RATE,
    REJECTED_ITEM,
    REJECTED_NOTE,
    REJECTED_VALUE,
    REPORT_REASONS,
    REPORTED_COMMENT,
    RESIDENT_PENDING,
    RESIDENT_PUBLISHED,
    SAFEGUARDING_ITEM,
    SAFEGUARDING_NOTE,
    STATUS_STORIES,
    STORY_ENDINGS,
    DemoArea,
    StoryItem,
    SyntheticContribution,
    census_profile,
    demo_areas,
    demo_period,
    synthetic_answers,
    synthetic_contributions,
)

AGGREGATOR_ID = "hubnet-national-england"
# Demo staff on every hub, one per role, so every staff page can be tried. The passwords
# are printed by the demo: these accounts exist only on a local demo (.invalid addresses).
DEMO_STAFF_PASSWORD = "demo-staff-password"
DEMO_STAFF = (  # (email, name, role, what the role does)
    ("admin@demo.hubnet.invalid", "Demo administrator", "admin",
     "everything, and users, roles and themes"),
    ("moderator@demo.hubnet.invalid", "Demo moderator", "moderator",
     "the moderation queue, escalations, status updates"),
    ("facilitator@demo.hubnet.invalid", "Demo facilitator", "facilitator",
     "entering what people said on paper, by phone or at events"),
    ("responder@demo.hubnet.invalid", "Demo responder", "responder",
     "public status updates on items"),
)  # fmt: skip
# A confirmed resident account on every hub: it follows a few items, so "Your part" and the
# status emails can be tried.
DEMO_RESIDENT_EMAIL = "resident@demo.hubnet.invalid"
DEMO_RESIDENT_PASSWORD = "demo-resident-password"
DEMO_QUOTES = 6  # consented quotes per hub that two demo staff approve
POPULAR_WITH_COMMENTS = 20  # the most supported items have comments from other residents


@dataclass
class Process:
    name: str
    url: str
    instance: Path
    popen: subprocess.Popen[bytes] | None = None


def _hubnet(*args: str) -> list[str]:
    return [sys.executable, "-m", "hubnet", *args]


def _run(args: list[str], *, quiet: bool = True) -> str:
    result = subprocess.run(args, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise click.ClickException(
            f"`{' '.join(args[2:])}` failed (exit {result.returncode}):\n"
            f"{result.stdout}{result.stderr}"
        )
    if not quiet:
        click.echo(result.stdout.rstrip())
    return result.stdout


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A port the operating system says is free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def choose_ports(base: int, count: int) -> list[int]:
    """`base`, `base+1`, … if all are free (stable URLs); otherwise any free ports."""
    wanted = list(range(base, base + count)) if base else []
    if wanted and all(_port_free(port) for port in wanted):
        return wanted
    if base:
        click.echo(f"Ports {base}–{base + count - 1} are busy; using free ports instead.")
    return [free_port() for _ in range(count)]


def stop_leftovers(directory: Path) -> None:
    """Stop processes a previous demo left running (it was killed before it could clean up)."""
    network = directory / "network.json"
    if not network.exists():
        return
    with contextlib.suppress(ValueError, OSError):
        recorded = json.loads(network.read_text())
        pids = [recorded["aggregator"]["pid"], *(hub["pid"] for hub in recorded["hubs"])]
        if "mail_sink" in recorded:
            pids.append(recorded["mail_sink"]["pid"])
        for pid in pids:
            if _is_demo_process(pid, directory):
                click.echo(f"Stopping process {pid} left behind by an earlier demo.")
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_is_demo_process(p, directory) for p in pids):
            time.sleep(0.2)
    network.unlink(missing_ok=True)


def _is_demo_process(pid: int, directory: Path) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return False
    return "hubnet" in cmdline and str(directory.resolve()) in cmdline


@dataclass
class Seeded:
    """What `seed_hub` put in one hub's database."""

    contributions: int = 0
    supports: int = 0
    comments: int = 0
    waiting: int = 0  # items and comments in the moderation queue
    updates: int = 0  # public status updates
    emails: int = 0  # sent to the mail sink while seeding
    routing: Any = None  # what hubnet.demo_cycle.seed_routing made


def seed_hub(
    instance: Path, area: DemoArea, *, period_start: date, period_end: date, count: int, seed: int
) -> Seeded:
    """Fill a hub's database with synthetic contributions, "me too"s, comments and moderation.

    Most items are published; a few wait for a moderator, one was rejected, a
    reported comment is hidden, popular items have comments and public status
    updates, and a demo resident follows some of them (`seed_story`). The
    emails this queues are sent to the hub's SMTP server when it has one. The hub's
    population profile is the area's illustrative one (`demo_profile`), for hidden voices.
    """
    from hub import create_app
    from hub.gather.services import (
        get_or_create_participant,
        raise_contribution,
        support_contribution,
    )
    from hub.mail.services import send_pending
    from hub.quotes.services import approve, propose
    from hub.staff.services import add_staff
    from hub.themes.services import add_local_theme
    from hub.voices.profile import demo_profile
    from hub.voices.store import save_profile
    from hubnet.db import get_session

    period = Period(period_start, period_end)
    end_of_period = datetime.combine(period.end, datetime.max.time(), tzinfo=UTC)
    app = create_app({"INSTANCE_PATH": str(instance)})
    seeded = Seeded()
    consented = []
    published: list[tuple[int, Any, SyntheticContribution]] = []  # (supporters, item, data)
    with app.app_context():
        session = get_session()
        staff = {
            role: add_staff(
                session, email=email, name=name, role=role, password=DEMO_STAFF_PASSWORD
            )
            for email, name, role, _does in DEMO_STAFF
        }
        for slug, name, national in area.local_themes:
            add_local_theme(session, slug=slug, name=name, national_code=national)
        people: dict[int, Any] = {}
        profile = census_profile(area.gss)
        rng = random.Random(f"{seed}:{area.gss}:about-you")

        def person(number: int) -> Any:
            if number not in people:
                people[number] = get_or_create_participant(session, None)
                for name, answer in synthetic_answers(profile, rng).items():
                    setattr(people[number], name, answer)
            return people[number]

        for item in synthetic_contributions(area, period, count=count, seed=seed):
            contribution = raise_contribution(
                session,
                participant=person(item.person),
                kind=item.kind,
                title=item.title,
                body=item.body,
                theme_slug=item.theme_slug,
                created_at=item.created_at,
                quote_consent=rng.random() < QUOTE_CONSENT_RATE,
                publish=True,  # the demo's items have been through moderation already
            )
            if contribution.quote_consent:
                consented.append(contribution)
            seeded.contributions += 1
            published.append((len(item.supporters), contribution, item))
            for offset, supporter in enumerate(item.supporters, start=1):
                when = min(item.created_at + timedelta(hours=3 * offset), end_of_period)
                support_contribution(
                    session,
                    contribution_id=contribution.id,
                    participant=person(supporter),
                    created_at=when,
                )
                seeded.supports += 1
        # Two different staff approve a few consented quotes, as moderators would.
        for contribution in consented[:DEMO_QUOTES]:
            quote = propose(session, contribution)
            for reviewer in (staff["admin"], staff["moderator"]):
                approve(session, quote, reviewer)
        published.sort(key=lambda row: (-row[0], row[1].id))
        seed_story(
            session,
            area,
            period=period,
            staff=staff,
            popular=published,
            person=person,
            rng=random.Random(f"{seed}:{area.gss}:story"),
            seeded=seeded,
        )
        seed_cycle(session, area, staff, random.Random(f"{seed}:{area.gss}:panel"))
        session.commit()
        if app.config.get("SMTP_HOST"):
            seeded.emails = send_pending(app).sent
    app.extensions["hubnet.engine"].dispose()
    # Hidden voices compares the participants with this illustrative profile (labelled so).
    save_profile(instance, demo_profile(area.gss), datetime.now(UTC))
    return seeded


def seed_cycle(session: Any, area: DemoArea, staff: dict[str, Any], rng: random.Random) -> None:
    """The rest of the NHS Citizen cycle, after routing: Discover entries, a drawn jury and its
    report, a past Assembly with outcomes, and the Stocktake (each feature's own demo data)."""
    from hub.assembly.demo import seed_demo as seed_assembly
    from hub.discover.demo import seed_demo as seed_discover
    from hub.panels.demo import seed_demo as seed_panels
    from hub.routing.services import england_today
    from hub.stocktake.demo import seed_demo as seed_stocktake
    from hub.voices.profile import demo_profile

    today = england_today()
    lead = staff["facilitator"]
    seed_discover(session, gss=area.gss, wards=[], staff=lead)
    draw = seed_panels(
        session, gss=area.gss, wards=[], profile=demo_profile(area.gss), staff=lead, rng=rng
    )
    seed_assembly(session, draw=draw, staff=lead, today=today)
    seed_stocktake(session, staff=staff, today=today)


def _backdate_last_event(session: Any, contribution: Any, when: datetime) -> None:
    """Move the item's newest timeline step to `when` (the demo's story spans past weeks).

    The staff audit log keeps the time the demo really wrote it.
    """
    from sqlalchemy import select

    from hub.gather.models import ContributionEvent

    event = session.scalar(
        select(ContributionEvent)
        .where(ContributionEvent.contribution_id == contribution.id)
        .order_by(ContributionEvent.id.desc())
        .limit(1)
    )
    event.created_at = contribution.updated_at = when


def seed_story(
    session: Any,
    area: DemoArea,
    *,
    period: Any,
    staff: dict[str, Any],
    popular: list[tuple[int, Any, SyntheticContribution]],
    person: Callable[[int], Any],
    rng: random.Random,
    seeded: Seeded,
) -> None:
    """What staff and residents did with the published items, and what waits for a moderator.

    `popular`: the published items, most supported first. Uses the same
    services the hub's pages use, so the timeline, the audit log and the
    followers' emails are what they would be.
    """
    from sqlalchemy import inspect

    from hub.gather import moderation
    from hub.gather.services import add_comment, get_or_create_participant, raise_contribution
    from hub.moderation import services as staff_tools
    from hub.residents.accounts import register_account
    from hub.residents.services import follow
    from hub.routing import services as routing_services
    from hubnet.demo_cycle import seed_routing

    # criticality and escalations live in the staff tools' own table (migration 0008)
    triage = inspect(session.get_bind()).has_table("contribution_triage")
    now = datetime.now(UTC).replace(microsecond=0)
    place = area.name
    local_to_national = {slug: code for slug, _name, code in area.local_themes}
    # demo people who already took part write the comments and the new items
    known = sorted({item.person for _n, _c, item in popular})

    def national(item: SyntheticContribution) -> str:
        return local_to_national.get(item.theme_slug, item.theme_slug)

    def someone_else(*not_these: int) -> int:
        """A demo person's number, not one of these."""
        while (number := rng.choice(known)) in not_these:
            pass
        return number

    def ago(hours: float) -> datetime:
        return now - timedelta(hours=hours)

    def raise_story(story: StoryItem, participant: Any, *, when: datetime, publish: bool) -> Any:
        return raise_contribution(
            session,
            participant=participant,
            kind=story.kind,
            title=story.title,
            body=story.body.format(place=place),
            theme_slug=story.theme,
            created_at=when,
            publish=publish,
        )

    # The demo resident: a confirmed account that follows its own items and two popular ones.
    resident = get_or_create_participant(session, None)
    account = register_account(
        session, email=DEMO_RESIDENT_EMAIL, password=DEMO_RESIDENT_PASSWORD, participant=resident
    )
    assert account is not None
    account.confirmed_at = now - timedelta(days=40)
    own = raise_story(
        RESIDENT_PUBLISHED,
        resident,
        when=datetime.combine(period.start, datetime.min.time(), tzinfo=UTC)
        + timedelta(days=9, hours=19, minutes=30),
        publish=True,
    )
    raise_story(RESIDENT_PENDING, resident, when=ago(5), publish=False)
    seeded.waiting += 1

    # Public status updates on the most supported items of themes with a story.
    storied: list[tuple[Any, SyntheticContribution]] = []
    for _supporters, contribution, item in popular:
        if national(item) in STATUS_STORIES and all(
            national(item) != national(other) for _c, other in storied
        ):
            storied.append((contribution, item))
        if len(storied) == len(STORY_ENDINGS):
            break
    for contribution, _item in storied[:2]:
        follow(session, account, contribution)
    # Triage and routing: the storied items are routed to the organisation for their theme
    # and answered (hubnet/demo_cycle.py); more popular items are routed or sent nationally.
    chosen = {contribution.id for contribution, _item in storied}
    routing = seed_routing(
        session,
        place=place,
        staff=staff,
        storied=[
            (contribution, national(item), ending, STATUS_STORIES[national(item)])
            for (contribution, item), ending in zip(storied, STORY_ENDINGS, strict=False)
        ],
        others=[
            (contribution, national(item))
            for _n, contribution, item in popular[: 3 * len(STORY_ENDINGS) + 20]
            if contribution.id not in chosen
        ],
        now=now,
        backdate=_backdate_last_event,
    )
    seeded.updates += routing.routed + routing.answered + routing.changes
    # The demo resident's own item: passed to the hospital trust, not answered yet.
    own_routed = (own.created_at + (now - own.created_at) / 3).date()
    routing_services.route(
        session, own, routing.organisations["trust"], staff["responder"], staff["moderator"],
        today=min(own_routed, routing_services.england_today()),
    )  # fmt: skip
    when = datetime.combine(own_routed, datetime.min.time(), UTC) + timedelta(hours=10)
    _backdate_last_event(session, own, max(when, own.created_at + timedelta(hours=1)))
    seeded.routing = routing

    # Comments from other residents on the most supported items.
    for _supporters, contribution, item in popular[:POPULAR_WITH_COMMENTS]:
        texts = COMMENTS.get(national(item), []) + GENERIC_COMMENTS
        writers = [n for n in item.supporters if n != item.person] or known
        span = min(now - timedelta(hours=1) - contribution.created_at, timedelta(days=14))
        for text in rng.sample(texts, rng.choice((1, 1, 2, 2, 3))):
            add_comment(
                session,
                contribution=contribution,
                participant=person(rng.choice(writers)),
                body=text.format(place=place),
                publish=True,
                created_at=(contribution.created_at + span * rng.uniform(0.05, 0.95)).replace(
                    microsecond=0
                ),
            )
            seeded.comments += 1

    # A comment three people reported: hidden until a moderator restores or removes it.
    _n, target, item = popular[2]
    writer = someone_else(item.person)
    rude = add_comment(session, contribution=target, participant=person(writer),
                       body=REPORTED_COMMENT, publish=True, created_at=ago(30))  # fmt: skip
    seeded.comments += 1
    reporters = [item.person, writer]
    for reason in REPORT_REASONS:
        reporters.append(someone_else(*reporters))
        moderation.report(session, participant=person(reporters[-1]), target=rude,
                          reason=reason, hide_at=moderation.reports_to_hide())  # fmt: skip

    # Comments waiting for a moderator.
    for offset, text in enumerate(PENDING_COMMENTS):
        _n, target, item = popular[offset]
        add_comment(session, contribution=target, participant=person(someone_else(item.person)),
                    body=text, publish=False, created_at=ago(2 + 3 * offset))  # fmt: skip
        seeded.waiting += 1

    # Items waiting for a moderator: one to publish, one to edit, one to reject.
    for offset, story in enumerate(QUEUE_ITEMS):
        raise_story(story, person(someone_else()), when=ago(4 + 7 * offset), publish=False)
        seeded.waiting += 1
    worry = raise_story(SAFEGUARDING_ITEM, person(someone_else()), when=ago(20), publish=False)
    seeded.waiting += 1
    if triage:
        staff_tools.set_criticality(session, worry, "high", staff["moderator"])
        staff_tools.escalate(session, worry, SAFEGUARDING_NOTE, staff["moderator"])

    # Rejected, with the value it broke (its author has no account, so nobody is emailed).
    advert = raise_story(REJECTED_ITEM, person(someone_else()), when=ago(50), publish=False)
    moderation.reject_contribution(
        session, advert, staff["moderator"], REJECTED_VALUE, REJECTED_NOTE
    )

    # Assisted digital: the facilitator enters what people said on paper and by phone.
    for story, channel in ((PAPER_ITEM, "paper"), (PHONE_ITEM, "phone")):
        participant = get_or_create_participant(session, None)
        entry = staff_tools.AssistedEntry(
            channel=channel,
            kind=story.kind,
            title=story.title,
            body=story.body.format(place=place),
            theme_slug=story.theme,
            ward_code=None,
            about_you={},
            consent=True,  # the person agreed to what they said being put on the hub
            quote_consent=False,
        )
        entered = staff_tools.enter_for_someone(
            session, entry, participant=participant, staff=staff["facilitator"], publish=False
        )
        if channel == "paper":
            moderation.publish_contribution(session, entered, staff["moderator"])
        else:
            seeded.waiting += 1


class DemoNetwork:
    """The aggregator and hubs of one demo run, and how to start and stop them."""

    def __init__(self, directory: Path, *, base_port: int) -> None:
        self.directory = directory.resolve()
        self.areas = demo_areas()
        ports = choose_ports(base_port, 2 + len(self.areas))
        self.aggregator = Process(
            "aggregator", f"http://127.0.0.1:{ports[0]}", self.directory / "aggregator"
        )
        self.hubs = [
            Process(area.slug, f"http://127.0.0.1:{port}", self.directory / area.slug)
            for area, port in zip(self.areas, ports[1:-1], strict=True)
        ]
        # The local SMTP server every hub sends its emails to; each one becomes a file here.
        self.mail_sink = Process(
            "mail-sink", f"smtp://127.0.0.1:{ports[-1]}", self.directory / "mail"
        )

    @property
    def processes(self) -> list[Process]:
        return [self.mail_sink, self.aggregator, *self.hubs]

    def hub_settings(self, area: DemoArea, hub: Process) -> dict[str, str | int | bool]:
        """What a council would add to hub.toml: its name, its address, and where mail goes."""
        domain = f"{area.slug}.demo.hubnet.invalid"
        return {
            "HUB_ORGANISATION": area.organisation,
            "HUB_CONTACT_EMAIL": f"hub@{domain}",
            "PUBLIC_URL": hub.url,
            # served over plain http on 127.0.0.1: a Secure cookie would never come back
            "SESSION_COOKIE_SECURE": False,
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": int(self.mail_sink.url.rsplit(":", 1)[1]),
            "SMTP_STARTTLS": False,
            "MAIL_FROM": f"{area.name} health and care hub <no-reply@{domain}>",
        }

    # -- set-up -----------------------------------------------------------------

    def initialise(self) -> None:
        click.echo(f"Setting up the national aggregator in {self.aggregator.instance}")
        _run(
            _hubnet(
                "aggregator",
                "init",
                "--instance",
                str(self.aggregator.instance),
                "--id",
                AGGREGATOR_ID,
            )
        )
        for area, hub in zip(self.areas, self.hubs, strict=True):
            click.echo(f"Setting up the {area.name} hub ({area.gss}) in {hub.instance}")
            _run(
                _hubnet(
                    "hub", "init",
                    "--instance", str(hub.instance),
                    "--gss", area.gss,
                    "--name", area.name,
                    "--region", area.region,
                    "--population", str(area.population),
                    "--aggregator-url", self.aggregator.url,
                    "--aggregator-id", AGGREGATOR_ID,
                    "--aggregator-public-key", str(self.aggregator.instance / "log-key.pub"),
                )
            )  # fmt: skip
            _run(
                _hubnet(
                    "aggregator", "hubs", "add",
                    "--instance", str(self.aggregator.instance),
                    "--gss", area.gss,
                    "--name", area.name,
                    "--region", area.region,
                    "--population", str(area.population),
                    "--public-key", str(hub.instance / "hub-key.pub"),
                )
            )  # fmt: skip
            _run(
                _hubnet(
                    "aggregator", "hubs", "set-notify-url",
                    "--instance", str(self.aggregator.instance),
                    "--gss", area.gss,
                    "--url", f"{hub.url}/api/v1/board/notify",
                )
            )  # fmt: skip
            add_settings(hub.instance / "hub.toml", self.hub_settings(area, hub))
        add_national_staff(self.aggregator.instance, DEMO_STAFF_PASSWORD)

    def seed(self, period_start: date, period_end: date, *, count: int, seed: int) -> None:
        for area, hub in zip(self.areas, self.hubs, strict=True):
            started = time.monotonic()
            seeded = seed_hub(
                hub.instance,
                area,
                period_start=period_start,
                period_end=period_end,
                count=count,
                seed=seed,
            )
            click.echo(
                f"Seeded {area.name}: {seeded.contributions:,} contributions, "
                f"{seeded.supports:,} 'me too' supports, {seeded.comments} comments, "
                f"{seeded.updates} status updates, {seeded.waiting} items and comments waiting "
                f"for a moderator, {seeded.emails} emails sent "
                f"({time.monotonic() - started:.1f} s)"
            )

    # -- processes --------------------------------------------------------------

    def start_mail_sink(self, timeout: float = 30) -> None:
        """`hubnet mail-sink` in its own process, listening before any hub sends mail."""
        logs = self.directory / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        port = int(self.mail_sink.url.rsplit(":", 1)[1])
        log = (logs / "mail-sink.log").open("ab")
        self.mail_sink.popen = subprocess.Popen(
            _hubnet("mail-sink", "--port", str(port), "--dir", str(self.mail_sink.instance)),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.mail_sink.popen.poll() is not None:
                raise click.ClickException(
                    f"the mail sink stopped while starting (exit {self.mail_sink.popen.returncode})"
                    f":\n{(logs / 'mail-sink.log').read_text(errors='replace')[-3000:]}"
                )
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                return
            time.sleep(0.1)
        raise click.ClickException(f"the mail sink did not listen on port {port} in {timeout} s")

    def start(self) -> None:
        logs = self.directory / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        for process, group in [
            (self.aggregator, "aggregator"),
            *((hub, "hub") for hub in self.hubs),
        ]:
            port = process.url.rsplit(":", 1)[1]
            log = (logs / f"{process.name}.log").open("ab")
            process.popen = subprocess.Popen(
                _hubnet(group, "serve", "--instance", str(process.instance), "--host", "127.0.0.1",
                        "--port", port, "--workers", "1"),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, so stopping it stops its workers
            )  # fmt: skip
        for process in [self.aggregator, *self.hubs]:
            self._wait_until_up(process)

    def _wait_until_up(self, process: Process, timeout: float = 60) -> None:
        probe = "/api/v1/about" if process is self.aggregator else "/api/v1/themes"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert process.popen is not None
            if process.popen.poll() is not None:
                log = (self.directory / "logs" / f"{process.name}.log").read_text(errors="replace")
                raise click.ClickException(
                    f"{process.name} stopped while starting "
                    f"(exit {process.popen.returncode}):\n{log[-3000:]}"
                )
            with contextlib.suppress(requests.RequestException):
                if requests.get(process.url + probe, timeout=2).status_code == 200:
                    return
            time.sleep(0.2)
        raise click.ClickException(
            f"{process.name} did not answer at {process.url} within {timeout:.0f} s"
        )

    def stop(self) -> None:
        running = [
            p
            for p in [*self.hubs, self.aggregator, self.mail_sink]
            if p.popen and p.popen.poll() is None
        ]
        for process in running:
            assert process.popen is not None
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.popen.pid, signal.SIGTERM)
        for process in running:
            assert process.popen is not None
            try:
                process.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.popen.pid, signal.SIGKILL)
                process.popen.wait()
        (self.directory / "network.json").unlink(missing_ok=True)

    def write_network_file(self) -> Path:
        """`network.json`: every process's URL, pid and public key, for scripts and tests."""
        about = requests.get(self.aggregator.url + "/api/v1/about", timeout=10).json()
        assert self.aggregator.popen is not None
        network = {
            "aggregator": {
                "url": self.aggregator.url,
                "pid": self.aggregator.popen.pid,
                "id": about["id"],
                "log_keyid": about["log_keyid"],
                "public_key": about["log_public_key"],
                "instance": str(self.aggregator.instance),
            },
            "hubs": [],
            "mail_sink": {
                "host": "127.0.0.1",
                "port": int(self.mail_sink.url.rsplit(":", 1)[1]),
                "pid": self.mail_sink.popen.pid if self.mail_sink.popen else None,
                "dir": str(self.mail_sink.instance),
            },
        }
        from federation.keys import key_id, load_public_key

        for area, hub in zip(self.areas, self.hubs, strict=True):
            assert hub.popen is not None
            public = hub.instance / "hub-key.pub"
            network["hubs"].append(
                {
                    "gss": area.gss,
                    "name": area.name,
                    "url": hub.url,
                    "pid": hub.popen.pid,
                    "keyid": key_id(load_public_key(public)),
                    "public_key": public.read_text(),
                    "instance": str(hub.instance),
                }
            )
        path = self.directory / "network.json"
        path.write_text(json.dumps(network, indent=2) + "\n")
        return path

    # -- the round trip ---------------------------------------------------------

    def push_all(self, period_label: str) -> None:
        for area, hub in zip(self.areas, self.hubs, strict=True):
            output = _run(
                _hubnet("hub", "push", "--instance", str(hub.instance), "--period", period_label)
            )
            click.echo(f"\n{area.name}:\n  " + "\n  ".join(output.strip().splitlines()))

    def witness_and_audit(self) -> None:
        """Each hub cosigns the log's checkpoint; then the whole log is verified from outside."""
        click.echo("\nEach hub witnesses the national log (checks consistency, cosigns):")
        for area, hub in zip(self.areas, self.hubs, strict=True):
            output = _run(_hubnet("hub", "witness", "--instance", str(hub.instance)))
            click.echo(f"  {area.name}: {output.strip().splitlines()[-1]}")
        log_key = str(self.aggregator.instance / "log-key.pub")
        audit = _run(_hubnet("audit", self.aggregator.url, "--log-key", log_key))
        click.echo(f"\nhubnet audit {self.aggregator.url}: {audit.strip().splitlines()[-1]}")

    def board_answers(self, period: Period, priorities: dict[str, Any]) -> None:
        """The board answers the top priorities; every hub pulls, verifies and shows them."""
        answers = record_board_answers(self.aggregator.instance, period, priorities)
        if not answers:
            return
        click.echo("\nThe board answers (signed with the log key, appended to the log):")
        for answer in answers:
            click.echo(
                f"  {answer.name}: {answer.decision} (log entry {answer.log_index}, "
                f"{self.aggregator.url}/board/responses/{answer.response_id})"
            )
        shown = wait_for_hubs([hub.url for hub in self.hubs], answers)
        click.echo("Each hub was told, pulled the answers and verified them against the log:")
        for area, hub in zip(self.areas, self.hubs, strict=True):
            where = f"{hub.url}/board" if shown[hub.url] else "not yet (next scheduled pull)"
            click.echo(f"  {area.name}: {where}")

    def priorities(self, period_label: str) -> dict[str, Any]:
        response = requests.get(
            self.aggregator.url + "/api/v1/priorities", params={"period": period_label}, timeout=30
        )
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result


def add_settings(config_file: Path, settings: dict[str, str | int | bool]) -> None:
    """Set these keys in a hub.toml that `hubnet hub init` wrote (its comments are kept)."""
    import tomllib

    from hubnet.config import write_toml

    text = config_file.read_text(encoding="utf-8")
    header = "\n".join(
        line.removeprefix("#").removeprefix(" ")
        for line in text.splitlines()
        if line.startswith("#")
    )
    header += "\n\nSet by `hubnet demo` for a hub served on 127.0.0.1: " + ", ".join(settings)
    write_toml(config_file, {**tomllib.loads(text), **settings}, header=header)


def print_logins(network: DemoNetwork) -> None:
    """The demo's accounts, and where to look, for someone clicking through a hub."""
    click.echo(f"\nStaff sign-in on every hub at /staff/login, password {DEMO_STAFF_PASSWORD}:")
    for email, _name, role, does in DEMO_STAFF:
        click.echo(f"  {email:<34} {role:<12} {does}")
    click.echo(
        f"Resident sign-in on every hub at /account/sign-in: {DEMO_RESIDENT_EMAIL}, password "
        f"{DEMO_RESIDENT_PASSWORD}\n  (confirmed; follows its own items and two others: see "
        "/your-part)"
    )
    click.echo(
        "Waiting in each hub's moderation queue (/staff/moderation): new items to publish, "
        "edit or reject,\n  comments, a comment hidden after three reports, and a safeguarding "
        "escalation (/staff/escalations)."
    )
    click.echo(f"National team sign-in at {network.aggregator.url}/staff/login, same password:")
    for email, _name, role, does in DEMO_NATIONAL_STAFF:
        click.echo(f"  {email:<40} {role:<16} {does}")
    click.echo(
        f"Emails the hubs send (status updates, account links) land in {network.mail_sink.instance}"
        f"\n  as .eml files (SMTP sink on 127.0.0.1:{network.mail_sink.url.rsplit(':', 1)[1]})."
    )


def print_top(priorities: dict[str, Any], *, limit: int = 10) -> None:
    """The national top priorities as a plain-text table."""
    reporting = ", ".join(hub["name"] for hub in priorities["hubs_reporting"]) or "none"
    click.echo("")
    click.echo(
        f"National priorities, {priorities['period']['label']} (hubs reporting: {reporting})"
    )
    click.echo(textwrap.fill(f"How it is ranked: {priorities['ranking']}", width=100))
    click.echo("")
    click.echo(
        f"{'#':>3}  {'Theme':<34} {'People':>7} {'Range':>13} {'Per 100k':>9} {'Top-5 in':>9}"
    )
    for row in priorities["priorities"][:limit]:
        bounds = "exact" if row["lower"] == row["upper"] else f"{row['lower']}–{row['upper']}"
        hubs = "hub" if row["top5_hubs"] == 1 else "hubs"
        click.echo(
            f"{row['rank']:>3}  {row['name']:<34} {row['total']:>7} {bounds:>13} "
            f"{row['rate_per_100k']:>9} {row['top5_hubs']:>4} {hubs}"
        )
    if priorities.get("hubs_missing"):
        missing = ", ".join(hub["name"] for hub in priorities["hubs_missing"])
        click.echo(f"\nNo summary yet from: {missing}")


@click.command("demo")
@click.option(
    "--once", is_flag=True, help="Do the round trip, print the national top 10, stop and exit."
)
@click.option(
    "--dir", "directory", type=click.Path(path_type=Path), default=Path("var/demo"),
    show_default=True,
    help="Where the demo keeps its instances, databases, keys and logs (wiped at each start).",
)  # fmt: skip
@click.option(
    "--contributions", default=3000, show_default=True, help="Synthetic contributions per hub."
)
@click.option("--seed", default=2026, show_default=True, help="Random seed for the synthetic data.")
@click.option(
    "--base-port", default=8100, show_default=True,
    help="Aggregator on this port, hubs on the next ones "
    "(free ports are used if these are busy; 0: always).",
)  # fmt: skip
def demo_command(
    once: bool, directory: Path, contributions: int, seed: int, base_port: int
) -> None:
    """Run an aggregator and three hubs on this machine and show national priorities.

    Everything is real but local: separate processes talking HTTP on 127.0.0.1,
    SQLite databases, Ed25519 keys, signed summaries, the aggregator's checks.
    The contributions are synthetic. Stop it with Ctrl-C.
    """
    started = time.monotonic()
    logging.getLogger("alembic").setLevel(logging.WARNING)  # migrations are routine here
    stop_leftovers(directory)
    if directory.exists():
        import shutil

        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    network = DemoNetwork(directory, base_port=base_port)
    period = demo_period(datetime.now(UTC).date())

    def _terminate(signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)
    try:
        network.initialise()
        network.start_mail_sink()
        network.seed(period.start, period.end, count=contributions, seed=seed)
        network.start()
        network_file = network.write_network_file()
        click.echo(f"\nEach hub pushes its signed summary for {period.label} to the aggregator:")
        network.push_all(period.label)
        priorities = network.priorities(period.label)
        print_top(priorities)
        network.board_answers(period, priorities)
        network.witness_and_audit()
        click.echo(f"\nRound trip done in {time.monotonic() - started:.0f} s.")
        if once:
            return
        click.echo("\nThe network is running:")
        click.echo(
            f"  National aggregator  {network.aggregator.url}/priorities?period={period.label}"
        )
        click.echo(f"  What the board said  {network.aggregator.url}/board (and /stocktake)")
        click.echo(f"  Board pack           {network.aggregator.url}/board/pack")
        for area, hub in zip(network.areas, network.hubs, strict=True):
            click.echo(f"  {area.name + ' hub':<20} {hub.url}/  ({area.organisation})")
        click.echo(f"  Every URL and public key: {network_file}")
        click.echo(
            f"  Verify the national log yourself: .venv/bin/hubnet audit {network.aggregator.url}"
        )
        print_logins(network)
        click.echo("\nPress Ctrl-C to stop.")
        while all(p.popen is not None and p.popen.poll() is None for p in network.processes):
            time.sleep(1)
        raise click.ClickException(
            "a demo process stopped unexpectedly; see " + str(directory / "logs")
        )
    except KeyboardInterrupt:
        click.echo("\nStopping the demo network.")
    finally:
        network.stop()
