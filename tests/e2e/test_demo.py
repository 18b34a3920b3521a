"""`hubnet demo`, as `make demo` runs it, on a small data set.

`--once`: the round trip, then everything stops. Without it: the hubs keep
serving, and a newcomer can click through both sides of a hub over HTTP
(published items with comments, a moderator's queue, a resident's part, the
emails in the local mail sink) until SIGTERM stops every process.
"""

from __future__ import annotations

import html
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import text

from federation.taxonomy import load_taxonomy
from hub.mail.sink import body_text, read_folder
from hubnet.demo import (
    DEMO_RESIDENT_EMAIL,
    DEMO_RESIDENT_PASSWORD,
    DEMO_STAFF,
    DEMO_STAFF_PASSWORD,
    stop_leftovers,
)
from hubnet.demo_board import DEMO_NATIONAL_STAFF
from hubnet.demo_data import (
    PAPER_ITEM,
    QUEUE_ITEMS,
    REPORTED_COMMENT,
    RESIDENT_PENDING,
    RESIDENT_PUBLISHED,
    SAFEGUARDING_ITEM,
)
from tests.e2e.network import read_only_engine

pytestmark = pytest.mark.e2e

SMALL = ["--contributions", "300", "--base-port", "0"]


def run_demo(directory: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hubnet", "demo", "--once", *SMALL, "--dir", str(directory)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip


def test_demo_once_prints_national_top_10_and_leaves_nothing_running(tmp_path: Path) -> None:
    directory = tmp_path / "demo"

    first = run_demo(directory)

    assert first.returncode == 0, first.stdout + first.stderr
    assert "hubs reporting: Cornwall, Leeds, Manchester" in first.stdout
    table = first.stdout.split("Top-5 in")[1].strip().splitlines()
    assert [line.split()[0] for line in table[:10]] == [str(n) for n in range(1, 11)]
    assert not (directory / "network.json").exists()
    # every hub cosigned the checkpoint, and the whole log verifies from outside
    assert first.stdout.count("the aggregator accepted the cosignature") == 3, first.stdout
    # 3 key events, 3 summaries, the board's 2 answers and 1 update: all in the log, all verified
    assert "OK: all 9 leaves verify, and the tree matches the signed checkpoint." in first.stdout
    # each hub was told of the board's answers, pulled them, checked them against the log
    told = first.stdout.split("verified them against the log:")[1].split("Each hub witnesses")[0]
    assert re.findall(r"(Manchester|Cornwall|Leeds): http://127\.0\.0\.1:\d+/board", told) == [
        "Manchester",
        "Cornwall",
        "Leeds",
    ], told
    # the status updates on what the demo resident follows reached the mail sink
    emails = read_folder(directory / "mail")
    assert emails and {m["To"] for m in emails} == {DEMO_RESIDENT_EMAIL}
    assert {m["From"].addresses[0].domain for m in emails} == {
        f"{slug}.demo.hubnet.invalid" for slug in ("manchester", "cornwall", "leeds")
    }

    second = run_demo(directory)  # starts cleanly: no port or file left behind

    assert second.returncode == 0, second.stdout + second.stderr
    # same seed, same contributions: the same national ranking
    assert (
        second.stdout.split("Top-5 in")[1].split("The board answers")[0]
        == (first.stdout.split("Top-5 in")[1].split("The board answers")[0])
    )


# -- the running demo, clicked through over HTTP ----------------------------------------------


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf(page: requests.Response) -> str:
    found = CSRF.search(page.text)
    assert found, f"no CSRF token on {page.url}"
    return found.group(1)


def page_text(response: requests.Response) -> str:
    """The page's HTML with entities decoded, so typed text can be looked for as written."""
    assert response.status_code == 200, (response.url, response.status_code)
    return html.unescape(response.text)


def sign_in(hub_url: str, path: str, email: str, password: str) -> requests.Session:
    browser = requests.Session()
    form = browser.get(hub_url + path, timeout=30)
    signed_in = browser.post(
        hub_url + path,
        data={"csrf_token": csrf(form), "email": email, "password": password, "next": ""},
        timeout=30,
    )
    assert signed_in.status_code == 200 and signed_in.url != hub_url + path, signed_in.text
    return browser


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def running_demo(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], dict[str, Any], Path]]:
    """`hubnet demo` (small) serving until the test stops it; its network.json."""
    directory = tmp_path / "demo"
    output = tmp_path / "demo.out"
    with output.open("w") as log:
        demo = subprocess.Popen(
            [sys.executable, "-m", "hubnet", "demo", *SMALL, "--dir", str(directory)],
            stdout=log, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 600
        while "Press Ctrl-C to stop." not in output.read_text():
            assert demo.poll() is None, output.read_text()
            assert time.monotonic() < deadline, output.read_text()
            time.sleep(0.5)
        network = json.loads((directory / "network.json").read_text())
        yield demo, network, output
    finally:
        if demo.poll() is None:
            demo.send_signal(signal.SIGTERM)
            try:
                demo.wait(timeout=60)
            except subprocess.TimeoutExpired:
                demo.kill()
                demo.wait()
        stop_leftovers(directory)


def test_running_demo_shows_both_sides_and_stops_every_process_on_sigterm(
    running_demo: tuple[subprocess.Popen[str], dict[str, Any], Path],
) -> None:
    demo, network, output = running_demo
    printed = output.read_text()
    # every login is printed at start-up
    for email, _name, role, _does in DEMO_STAFF:
        assert re.search(rf"{re.escape(email)}\s+{role}\b", printed), printed
    assert DEMO_STAFF_PASSWORD in printed
    assert DEMO_RESIDENT_EMAIL in printed and DEMO_RESIDENT_PASSWORD in printed
    assert network["mail_sink"]["dir"] in printed
    hub = next(h for h in network["hubs"] if h["name"] == "Manchester")
    url = hub["url"]

    # Public side: published items, comments on them, status updates; nothing unmoderated.
    engine = read_only_engine(f"sqlite:///{Path(hub['instance']) / 'hub.sqlite3'}")
    with engine.connect() as db:
        commented = db.execute(
            text(
                "SELECT c.contribution_id, c.body FROM comments c "
                "JOIN contributions i ON i.id = c.contribution_id "
                "WHERE c.status = 'published' AND c.hidden_at IS NULL "
                "AND i.status = 'published' ORDER BY c.id LIMIT 1"
            )
        ).one()
        hidden = db.execute(
            text("SELECT contribution_id FROM comments WHERE hidden_at IS NOT NULL")
        ).scalar_one()
        changed = db.execute(
            text(
                "SELECT contribution_id, note FROM contribution_events "
                "WHERE stage = 'change-made' AND public"
            )
        ).one()
    engine.dispose()
    anyone = requests.Session()
    listing = page_text(anyone.get(url + "/contributions", timeout=30))
    assert PAPER_ITEM.title in listing  # the newest published item: entered from paper
    for story in QUEUE_ITEMS:
        assert story.title not in listing
    assert commented.body in page_text(
        anyone.get(f"{url}/contributions/{commented[0]}", timeout=30)
    )
    hidden_page = page_text(anyone.get(f"{url}/contributions/{hidden}", timeout=30))
    assert REPORTED_COMMENT not in hidden_page  # three reports hid it
    assert changed.note in page_text(anyone.get(f"{url}/contributions/{changed[0]}", timeout=30))

    # The board's accepted answer, which the hub verified against the national log, is on its
    # "What the board said" page and on its published items in that theme.
    for email, _name, role, _does in DEMO_NATIONAL_STAFF:
        assert re.search(rf"{re.escape(email)}\s+{role}\b", printed), printed
    accepted = re.search(
        r"^  (.+): accepted \(log entry \d+, (\S+)/board/responses/", printed, re.M
    )
    assert accepted, printed
    theme_name = accepted.group(1)
    board = page_text(anyone.get(url + "/board", timeout=30))
    assert theme_name in board and "Work has started" in board  # the dated update too
    with engine.connect() as db:
        in_theme = db.execute(
            text(
                "SELECT i.id FROM contributions i JOIN local_themes t ON t.id = i.theme_id "
                "WHERE i.status = 'published' AND t.national_code = :code ORDER BY i.id LIMIT 1"
            ),
            {"code": next(t.code for t in load_taxonomy().themes if t.name == theme_name)},
        ).scalar_one()
    engine.dispose()
    item = page_text(anyone.get(f"{url}/contributions/{in_theme}", timeout=30))
    assert f"What the NHS England board said about {theme_name}" in item
    # the demo resident follows items in that theme, so was told (one email per version)
    deadline = time.monotonic() + 30
    mail_dir = Path(network["mail_sink"]["dir"])
    while time.monotonic() < deadline:
        subject = f"The NHS England board answered: {theme_name}"
        told = [m for m in read_folder(mail_dir) if m["Subject"] == subject]
        if told:
            break
        time.sleep(0.5)
    assert told and {m["To"] for m in told} == {DEMO_RESIDENT_EMAIL}

    # Staff side: the demo moderator's queue has items and comments waiting.
    moderator = sign_in(url, "/staff/login", DEMO_STAFF[1][0], DEMO_STAFF_PASSWORD)
    queue = page_text(moderator.get(url + "/staff/moderation", timeout=30))
    for story in (*QUEUE_ITEMS, SAFEGUARDING_ITEM, RESIDENT_PENDING):
        assert story.title in queue
    assert "/staff/moderation/comments/" in queue
    escalations = page_text(moderator.get(url + "/staff/escalations", timeout=30))
    assert SAFEGUARDING_ITEM.title in escalations

    # The moderator publishes the demo resident's item: the resident is emailed, via the sink.
    link = re.search(
        rf'href="/staff/moderation/items/(\d+)">\s*{re.escape(RESIDENT_PENDING.title)}', queue
    )
    assert link, queue
    item_id = int(link.group(1))
    item_page = moderator.get(f"{url}/staff/moderation/items/{item_id}", timeout=30)
    before = len(read_folder(mail_dir))
    published = moderator.post(
        f"{url}/staff/moderation/items/{item_id}/publish",
        data={"csrf_token": csrf(item_page)},
        timeout=30,
    )
    assert published.status_code == 200, published.text
    deadline = time.monotonic() + 30

    def about_the_item() -> list[Any]:  # the board's emails may still be arriving beside it
        return [m for m in read_folder(mail_dir)[before:] if RESIDENT_PENDING.title in m["Subject"]]

    while not about_the_item() and time.monotonic() < deadline:
        time.sleep(0.2)
    new = about_the_item()
    assert [m["To"] for m in new] == [DEMO_RESIDENT_EMAIL], [m["Subject"] for m in new]
    assert "Published" in new[0]["Subject"]
    assert f"{url}/contributions/{item_id}" in body_text(new[0])
    assert RESIDENT_PENDING.title in page_text(
        anyone.get(f"{url}/contributions/{item_id}", timeout=30)
    )

    # The demo resident signs in over plain http and sees their part.
    resident = sign_in(url, "/account/sign-in", DEMO_RESIDENT_EMAIL, DEMO_RESIDENT_PASSWORD)
    your_part = page_text(resident.get(url + "/your-part", timeout=30))
    assert RESIDENT_PUBLISHED.title in your_part and RESIDENT_PENDING.title in your_part

    # SIGTERM (as Ctrl-C) stops the demo and every process it started, the mail sink too.
    pids = [network["aggregator"]["pid"], network["mail_sink"]["pid"]]
    pids += [h["pid"] for h in network["hubs"]]
    demo.send_signal(signal.SIGTERM)
    assert demo.wait(timeout=60) == 0, output.read_text()
    assert "Stopping the demo network." in output.read_text()
    assert not [pid for pid in pids if alive(pid)]
    assert not Path(hub["instance"]).parent.joinpath("network.json").exists()
