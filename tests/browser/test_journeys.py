"""The main journeys, in Chromium, against a served hub with a local mail sink.

A resident raises an issue through the question pages; a moderator edits out a
personal detail and publishes it; a neighbour finds it, says "me too" and
comments; a moderator publishes the comment; the resident makes an account,
confirms it from the email, follows the item, and is emailed when a responder
marks "change planned"; then the resident downloads and deletes their data. A
rejected item shows its author which value it broke. Each page on the way is
checked with axe (WCAG 2.2 AA) and screenshotted to var/artifacts/screenshots/.

The resident's side runs with JavaScript switched off (every page must work
without it); the raise journey runs once more with JavaScript on.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable, Iterator
from email.message import EmailMessage

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.axe import check_axe, check_axe_without_javascript, screenshot
from tests.browser.conftest import Hub

StaffPage = Callable[[str], Page]
SCRIPTS_OFF: set[BrowserContext] = set()  # the contexts with JavaScript switched off


def no_javascript(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="en-GB", java_script_enabled=False)
    SCRIPTS_OFF.add(context)
    yield context.new_page()
    SCRIPTS_OFF.discard(context)
    context.close()


@pytest.fixture
def resident(browser: Browser) -> Iterator[Page]:
    """A first-time visitor with JavaScript switched off."""
    yield from no_javascript(browser)


@pytest.fixture
def neighbour(browser: Browser) -> Iterator[Page]:
    """Another visitor, another browser: no cookies shared with the resident."""
    yield from no_javascript(browser)


def unique(words: str) -> str:
    """Words with a short unique tail, so each journey finds its own item."""
    return f"{words} {uuid.uuid4().hex[:6]}"


def heading(page: Page) -> str:
    return page.get_by_role("heading", level=1).inner_text().strip()


def step(page: Page, name: str) -> None:
    """Check the page with axe and keep a screenshot of it."""
    if page.context in SCRIPTS_OFF:
        check_axe_without_javascript(page)
    else:
        check_axe(page)
    screenshot(page, name)


def continue_(page: Page) -> None:
    page.get_by_role("button", name="Continue").click()


def raise_item(page: Page, hub: Hub, title: str, body: str, *, shots: str | None = None) -> str:
    """Raise a concern about GP access in Ardwick through the question pages.

    Answers one "about you" question and agrees to a quote; returns the private link
    the done page shows. With `shots`, each page is checked with axe and screenshotted.
    """

    def look(name: str) -> None:
        if shots:
            step(page, f"{shots}-{name}")

    page.goto(hub.url + "/")
    look("home")
    page.get_by_role("link", name="Raise something").first.click()
    look("start")
    page.get_by_role("button", name="Start now").click()

    assert heading(page) == "What would you like to raise?"
    continue_(page)  # nothing chosen: the error summary says what to do
    summary = page.get_by_role("alert")
    assert "There is a problem" in summary.inner_text()
    look("kind-error")
    page.get_by_label("A concern").check()
    continue_(page)

    assert heading(page) == "What is it about?"
    look("theme")
    page.get_by_label("GP access").check()
    continue_(page)

    look("details")
    page.get_by_label("Title").fill(title)
    page.get_by_label("Tell us more").fill(body)
    continue_(page)

    assert "Where is it about?" in heading(page)
    look("ward")
    page.locator("#ward").select_option(label="Ardwick")
    continue_(page)

    look("values")
    page.get_by_label("I agree to keep to the values").check()
    continue_(page)

    assert heading(page) == "About you (optional)"
    look("about-you")
    page.get_by_role("group", name="Do you look after someone without being paid?").get_by_label(
        "Prefer not to say"
    ).check()
    continue_(page)

    look("consent")
    page.get_by_label("Yes, a moderated quote may be shared nationally").check()
    continue_(page)

    assert heading(page) == "Check your answers before sending"
    check = page.locator("main").inner_text()
    for answer in (title, "GP access", "Ardwick", "Prefer not to say"):
        assert answer in check, f"{answer!r} missing from the check-your-answers page"
    look("check")
    page.get_by_role("button", name="Send").click()

    assert "has been sent" in heading(page)
    look("done")
    link = page.locator("#private-link ~ .nhsuk-inset-text a").get_attribute("href")
    assert link and "/your-part/" in link
    return link if link.startswith("http") else hub.url + link


def open_in_moderation(page: Page, hub: Hub, title: str) -> None:
    page.goto(hub.url + "/staff/moderation")
    page.get_by_role("link", name=title, exact=True).click()
    assert heading(page) == title


def make_account(page: Page, hub: Hub, email: str, *, shots: str | None = None) -> None:
    """Register, confirm the address from the email in the sink, and sign in."""
    password = "a long resident password 7"
    page.goto(hub.url + "/account/register")
    if shots:
        step(page, f"{shots}-register")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Create a password").fill(password)
    page.get_by_role("button", name="Create account").click()
    if shots:
        step(page, f"{shots}-check-your-email")
    page.goto(mail_link(hub.mail.wait_for(email), "/account/confirm/"))
    assert heading(page) == "Email address confirmed"
    if shots:
        step(page, f"{shots}-confirmed")
    page.locator("main").get_by_role("link", name="Sign in", exact=True).click()
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()  # on "Your part"


def mail_link(message: EmailMessage, path: str) -> str:
    """The first link in the email's text that contains `path`."""
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    found = re.search(r"https?://\S*" + re.escape(path) + r"\S*", text)
    assert found, f"no link with {path} in:\n{text}"
    return found.group(0)


def status_email(hub: Hub, to: str, words: str) -> str:
    """The text of the email to `to` that mentions `words`, waiting up to 10 s for it."""
    deadline = time.monotonic() + 10
    while True:
        for message in reversed(hub.mail.messages()):
            body = message.get_body(preferencelist=("plain",))
            text = body.get_content() if body is not None else ""
            if to in str(message["To"]) and words in (str(message["Subject"]) + text).lower():
                return text
        assert time.monotonic() < deadline, f"no email to {to} about {words!r} within 10 s"
        time.sleep(0.2)


def test_raise_moderate_publish_support_comment_follow_update_download_and_delete(
    served_hub: Hub, resident: Page, neighbour: Page, staff_page: StaffPage
) -> None:
    hub = served_hub
    title = unique("Cannot get through to the surgery at 8am")
    body = "My name is Sam Jones and I ring every morning. The phone line is always busy."
    private_link = raise_item(resident, hub, title, body, shots="journey-raise")

    # Until a moderator publishes it, the item is not on show to anyone else.
    hidden = neighbour.goto(hub.url + "/contributions?q=" + title.split()[-1])
    assert hidden is not None and hidden.ok
    assert title not in neighbour.locator("main").inner_text()
    resident.goto(private_link)
    expect(resident.locator("main")).to_contain_text(title)
    expect(resident.locator("main")).to_contain_text("Waiting for a moderator")
    step(resident, "journey-private-link-waiting")

    # A moderator takes out the name and publishes it.
    moderator = staff_page("moderator")
    open_in_moderation(moderator, hub, title)
    expect(moderator.locator("main")).to_contain_text("Ardwick (E05011235)")
    step(moderator, "journey-moderation-item")
    moderator.get_by_label("What they wrote").fill(
        "[name removed] I ring every morning. The phone line is always busy."
    )
    moderator.get_by_role("button", name="Save the edited words").click()
    expect(moderator.locator("main")).to_contain_text("[name removed]")
    moderator.get_by_role("button", name="Publish").first.click()
    moderator.goto(hub.url + "/staff/moderation")
    assert title not in moderator.locator("main").inner_text()

    # The neighbour finds it by searching, without the name, and says "me too".
    neighbour.goto(hub.url + "/contributions")
    neighbour.get_by_role("searchbox", name="Search for").fill(title.split()[-1])
    neighbour.get_by_role("button", name="Show results").click()
    step(neighbour, "journey-search")
    neighbour.get_by_role("link", name=title).click()
    assert heading(neighbour) == title
    item_url = neighbour.url
    main = neighbour.locator("main")
    expect(main).to_contain_text("[name removed]")
    expect(main).not_to_contain_text("Sam Jones")
    expect(main).to_contain_text("Ardwick")
    step(neighbour, "journey-item")
    supporters = neighbour.locator("#supporters").inner_text()
    neighbour.get_by_role("button", name="Me too").click()
    assert neighbour.locator("#supporters").inner_text() != supporters
    expect(neighbour.locator("#supporters")).to_have_text(re.compile(r"^\s*1\s+person has said"))

    comment = unique("Same here, I gave up after forty minutes on hold.")
    neighbour.get_by_label("Add a comment").fill(comment)
    neighbour.get_by_role("button", name="Add comment").click()
    expect(neighbour.locator("main")).to_contain_text("moderator")  # told it waits
    step(neighbour, "journey-comment-sent")

    # The comment waits for a moderator, then is on show.
    moderator.goto(hub.url + "/staff/moderation")
    card = moderator.locator("li.nhsuk-card", has_text=comment)
    card.get_by_role("button", name="Publish").click()
    neighbour.goto(item_url)
    expect(neighbour.locator("#comments ~ *").first).to_be_visible()
    expect(neighbour.locator("main")).to_contain_text(comment)

    # The resident makes an account from the same browser: what they raised comes with
    # it, and they follow it from the start.
    email = f"journey-{uuid.uuid4().hex[:8]}@resident.example.org"
    make_account(resident, hub, email, shots="journey")
    resident.goto(item_url)
    expect(resident.get_by_role("button", name="Stop following")).to_be_visible()
    resident.goto(hub.url + "/your-part")
    expect(resident.locator("main")).to_contain_text(title)  # under "What you raised"
    step(resident, "journey-your-part")

    # The neighbour makes an account too, and follows the item from its page.
    neighbours_email = f"neighbour-{uuid.uuid4().hex[:8]}@resident.example.org"
    make_account(neighbour, hub, neighbours_email)
    neighbour.goto(item_url)
    neighbour.get_by_role("button", name=re.compile("^Follow")).click()
    expect(neighbour.get_by_role("button", name="Stop following")).to_be_visible()

    # A responder marks "change planned"; the follower is emailed; the timeline shows it.
    responder = staff_page("responder")
    responder.goto(item_url.replace("/contributions/", "/staff/updates/"))
    step(responder, "journey-status-update")
    responder.get_by_label("Change planned").check()
    note = "The practice is adding two phone lines and online booking from January."
    responder.get_by_label("Public note").fill(note)
    responder.get_by_role("button", name="Publish the update").click()
    expect(responder.locator("main")).to_contain_text("Change planned")

    for follower in (email, neighbours_email):
        text = status_email(hub, follower, "change planned")
        assert note in text and item_url in text
    neighbour.goto(item_url)
    progress = neighbour.locator("#progress ~ *").first
    expect(progress).to_contain_text("Change planned")
    expect(neighbour.locator("main")).to_contain_text(note)
    step(neighbour, "journey-timeline")

    # Download everything held about the resident, then delete it all.
    resident.goto(private_link)
    with resident.expect_download() as download:
        resident.get_by_role("link", name="Download all your data (JSON file)").click()
    data = json.loads(download.value.path().read_text(encoding="utf-8"))
    assert title in json.dumps(data)
    assert email in json.dumps(data)
    resident.get_by_role("link", name="Delete all your data").click()
    step(resident, "journey-delete-all")
    resident.get_by_role("button", name="Delete all my data").click()
    assert heading(resident) == "Your data has been deleted"
    step(resident, "journey-deleted")

    gone = neighbour.goto(item_url)
    assert gone is not None and gone.status == 404
    dead = resident.goto(private_link)
    assert dead is not None and dead.status == 404
    assert heading(resident) == "This link does not work"
    search = neighbour.goto(hub.url + "/contributions?q=" + title.split()[-1])
    assert search is not None and title not in neighbour.locator("main").inner_text()


def test_a_rejected_item_tells_its_author_which_value_it_broke(
    served_hub: Hub, resident: Page, staff_page: StaffPage
) -> None:
    hub = served_hub
    title = unique("The receptionist at my surgery")
    private_link = raise_item(
        resident, hub, title, "The receptionist, whose name I will not repeat here, was rude."
    )
    moderator = staff_page("moderator")
    open_in_moderation(moderator, hub, title)
    moderator.get_by_role("button", name="Reject").click()  # no value chosen yet
    expect(moderator.get_by_role("alert")).to_contain_text("There is a problem")
    value = moderator.get_by_role("group", name="Which value or rule does it break?").first
    chosen = value.get_by_role("radio").nth(0)
    label = moderator.locator(f"label[for='{chosen.get_attribute('id')}']").inner_text()
    chosen.check()
    moderator.get_by_label("A note for the author (optional)").first.fill(
        "Please raise it again without describing a member of staff."
    )
    moderator.get_by_role("button", name="Reject").click()

    resident.goto(private_link)
    main = resident.locator("main")
    expect(main).to_contain_text(title)
    expect(main).to_contain_text(label.strip())
    expect(main).to_contain_text("without describing a member of staff")
    step(resident, "journey-rejected")


def test_raising_works_the_same_with_javascript_on(
    served_hub: Hub, anonymous_page: Page, staff_page: StaffPage
) -> None:
    title = unique("Evening appointments for working carers")
    private_link = raise_item(
        anonymous_page, served_hub, title, "Nothing after 5pm.", shots="journey-js-raise"
    )
    anonymous_page.goto(private_link)
    expect(anonymous_page.locator("main")).to_contain_text(title)
    moderator = staff_page("moderator")
    open_in_moderation(moderator, served_hub, title)
