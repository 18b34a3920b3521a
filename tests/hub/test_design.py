"""The NHS.UK design: the vendored frontend, the page frame, branding, and template rules."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from hub import create_app
from tests.hub.staff_helpers import ROLES, form, login, make_staff

ROOT = Path(__file__).resolve().parents[2]
NHSUK = ROOT / "hub" / "static" / "nhsuk"
TEMPLATES = ROOT / "hub" / "templates"
PINNED = re.search(r"NHSUK_FRONTEND_VERSION:-([0-9.]+)", (ROOT / "tools" / "assets.sh").read_text())
STYLESHEET = "/static/nhsuk/nhsuk-frontend.min.css"
# A 1×1 transparent PNG: a council's logo in the instance folder.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d4944415478da63f8ffff3f0005fe02fea7d6a4d90000000049454e44ae426082"
)


def branded_app(app: Flask, tmp_path: Path, **settings: object) -> Flask:
    """Another app on the same database with these branding settings."""
    config = {key: app.config[key] for key in ("DATABASE_URL", "SECRET_KEY", "HUB_ID")}
    config.update(TESTING=True, INSTANCE_PATH=str(tmp_path / "instance"), **settings)
    return create_app(config)


def header(page: str) -> str:
    return page[page.index("<header") : page.index("</header>")]


# -- the vendored NHS.UK frontend ----------------------------------------------------------


def test_the_vendored_frontend_matches_its_recorded_checksums_and_version() -> None:
    sums = (NHSUK / "SHA256SUMS").read_text().splitlines()
    listed = {}
    for line in sums:
        digest, name = line.split(maxsplit=1)
        listed[name] = digest
        assert hashlib.sha256((NHSUK / name).read_bytes()).hexdigest() == digest, name
    on_disk = {
        str(p.relative_to(NHSUK))
        for p in NHSUK.rglob("*")
        if p.is_file() and p.name != "SHA256SUMS"
    }
    assert set(listed) == on_disk  # nothing unrecorded, nothing missing
    assert {"nhsuk-frontend.min.css", "nhsuk-frontend.min.js", "LICENSE", "VERSION"} <= on_disk

    assert PINNED is not None
    version = PINNED[1]
    assert (NHSUK / "VERSION").read_text().splitlines()[0] == f"nhsuk-frontend {version}"
    assert f'const version="{version}"' in (NHSUK / "nhsuk-frontend.min.js").read_text()
    assert "MIT License" in (NHSUK / "LICENSE").read_text()


def test_the_stylesheet_loads_nothing_from_outside_the_hub() -> None:
    css = (NHSUK / "nhsuk-frontend.min.css").read_text()

    urls = re.findall(r"url\(([^)]*)\)", css)
    assert urls, "the icons are referenced"
    for url in urls:
        url = url.strip("\"'")
        if url.startswith("data:"):
            continue
        assert not re.match(r"^([a-z]+:|/)", url), url  # relative: served from /static/nhsuk/
        assert (NHSUK / url).is_file(), url
    assert "@font-face" not in css  # Frutiger from assets.nhs.uk: blocked by the CSP


def test_pages_link_the_stylesheet_and_the_script_which_are_served(client: FlaskClient) -> None:
    for path in ("/", "/accessibility", "/staff/login", "/federation"):
        page = client.get(path).get_data(as_text=True)
        assert f'<link rel="stylesheet" href="{STYLESHEET}?v=' in page, path
        assert '<link rel="stylesheet" href="/static/hub.css?v=' in page, path
        assert '<script type="module" src="/static/hub.js?v=' in page, path

    css = client.get(STYLESHEET)
    assert css.status_code == 200 and css.mimetype == "text/css"
    script = client.get("/static/hub.js")
    assert script.status_code == 200
    assert "from './nhsuk/nhsuk-frontend.min.js'" in script.get_data(as_text=True)
    assert client.get("/static/nhsuk/nhsuk-frontend.min.js").status_code == 200


# -- the page frame --------------------------------------------------------------------------


def test_the_header_shows_the_hub_and_organisation_without_the_nhs_logo(
    app: Flask, tmp_path: Path
) -> None:
    branded = branded_app(
        app,
        tmp_path,
        HUB_NAME="Leeds health and care hub",
        HUB_ORGANISATION="Leeds City Council",
        HUB_CONTACT_EMAIL="hub@leeds.example",
    )
    page = branded.test_client().get("/").get_data(as_text=True)

    top = header(page)
    assert "Leeds health and care hub" in top
    assert "Leeds City Council" in top
    assert 'aria-label="NHS"' not in top  # a council is not an NHS organisation
    assert "Leeds health and care hub is run by Leeds City Council" in page
    assert 'href="mailto:hub@leeds.example"' in page
    assert "<title>" in page and "– Leeds health and care hub</title>" in page


def test_the_nhs_logo_only_when_the_hub_says_it_may(app: Flask, tmp_path: Path) -> None:
    nhs = branded_app(app, tmp_path, HUB_NHS_LOGO=True, HUB_ORGANISATION="Anytown NHS Trust")

    top = header(nhs.test_client().get("/").get_data(as_text=True))

    assert '<svg class="nhsuk-header__logo"' in top and 'aria-label="NHS"' in top


def test_the_organisations_logo_comes_from_the_instance_folder(app: Flask, tmp_path: Path) -> None:
    (tmp_path / "instance").mkdir()
    (tmp_path / "instance" / "council.png").write_bytes(PNG)
    branded = branded_app(
        app, tmp_path, HUB_LOGO="council.png", HUB_ORGANISATION="Leeds City Council"
    )
    client = branded.test_client()

    top = header(client.get("/").get_data(as_text=True))
    logo = client.get("/branding/logo")

    assert '<img class="hub-header__logo" src="/branding/logo"' in top
    assert 'alt="Leeds City Council"' in top
    assert logo.status_code == 200 and logo.mimetype == "image/png" and logo.data == PNG


def test_no_logo_and_no_logo_page_when_the_file_is_missing(app: Flask, tmp_path: Path) -> None:
    branded = branded_app(app, tmp_path, HUB_LOGO="missing.png")
    client = branded.test_client()

    assert "<img" not in header(client.get("/").get_data(as_text=True))
    assert client.get("/branding/logo").status_code == 404
    assert app.test_client().get("/branding/logo").status_code == 404  # HUB_LOGO unset


def test_every_navigation_and_footer_link_leads_to_a_page(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)
    nav = page[page.index('<nav class="nhsuk-header__navigation"') :].split("</nav>")[0]
    footer = page[page.index("<footer") :]

    links = re.findall(r'href="(/[^"]*)"', nav + footer)
    assert "/" in links and "/accessibility" in links and "/federation" in links
    for href in links:
        assert client.get(href).status_code == 200, href


def test_the_current_page_is_marked_in_the_navigation(client: FlaskClient) -> None:
    page = client.get("/contributions").get_data(as_text=True)
    nav = page[page.index('<nav class="nhsuk-header__navigation"') :].split("</nav>")[0]

    current = re.findall(r'<a [^>]*href="([^"]+)" aria-current="page">', nav)
    assert current == ["/contributions"]


def test_pages_have_a_skip_link_to_the_main_content_and_one_h1(client: FlaskClient) -> None:
    for path in ("/", "/accessibility", "/federation", "/staff/login", "/no-such-page"):
        page = client.get(path).get_data(as_text=True)
        assert (
            '<a class="nhsuk-skip-link" data-module="nhsuk-skip-link" href="#maincontent">' in page
        )
        assert '<main class="nhsuk-main-wrapper" id="maincontent"' in page
        assert page.count("<h1") == 1, path


def test_a_flash_message_is_a_notification_banner(app: Flask, db: Session) -> None:
    make_staff(db, "mo@example.org", "moderator")
    client = app.test_client()
    login(client, "mo@example.org")

    client.post("/staff/logout", data=form(client))
    page = client.get("/staff/login").get_data(as_text=True)

    banner = page[page.index('<div class="nhsuk-notification-banner"') :].split("</main>")[0]
    assert "You have signed out." in banner
    assert 'role="region"' in banner and "nhsuk-notification-banner__title" in banner


def test_the_staff_bar_signs_out_with_a_csrf_token(app: Flask, db: Session) -> None:
    make_staff(db, "mo@example.org", "moderator", name="Mo Khan")
    client = app.test_client()
    login(client, "mo@example.org")

    page = client.get("/").get_data(as_text=True)  # a public page, signed in
    bar = page[page.index('<div class="hub-staff-bar">') :].split("</form>")[0]

    assert "Signed in as Mo Khan (moderator)" in bar
    assert 'action="/staff/logout"' in bar and 'name="csrf_token"' in bar
    assert "Staff sign in" not in page


@pytest.mark.parametrize("role", ROLES)
def test_the_staff_bar_links_only_to_pages_the_role_may_use(
    app: Flask, db: Session, role: str
) -> None:
    make_staff(db, f"{role}@example.org", role)
    client = app.test_client()
    login(client, f"{role}@example.org")

    page = client.get("/staff/").get_data(as_text=True)
    bar = page[page.index('<nav class="hub-staff-bar__nav"') :].split("</nav>")[0]
    links = re.findall(r'href="([^"]+)"', bar)

    assert "/staff/" in links
    for href in links:
        assert client.get(href).status_code == 200, (role, href)


# -- the accessibility statement -------------------------------------------------------------


def test_the_accessibility_statement_names_who_runs_the_hub_and_how_to_complain(
    app: Flask, tmp_path: Path
) -> None:
    branded = branded_app(
        app,
        tmp_path,
        HUB_NAME="Leeds health and care hub",
        HUB_ORGANISATION="Leeds City Council",
        HUB_CONTACT_EMAIL="access@leeds.example",
        ACCESSIBILITY_STATEMENT_PREPARED="1 March 2027",
    )
    page = branded.test_client().get("/accessibility").get_data(as_text=True)

    assert "<h1>Accessibility statement for Leeds health and care hub</h1>" in page
    assert "This website is run by Leeds City Council." in page
    assert 'href="mailto:access@leeds.example"' in page
    assert "Equality Advisory and Support Service" in page
    assert "(No. 2) Accessibility Regulations 2018" in page
    assert "partially compliant" in page  # not audited: no claim of full compliance
    assert "This statement was prepared on 1 March 2027." in page


def test_an_unconfigured_accessibility_statement_says_so(client: FlaskClient) -> None:
    page = client.get("/accessibility").get_data(as_text=True)

    assert "has not yet reviewed it for this hub" in page
    assert "has not yet been tested by an accessibility specialist" in page
    assert "mailto:" not in page


# -- rules every template keeps --------------------------------------------------------------

EMAILS = "mail/"  # emails are not pages: no base.html; mail clients need inline styles


def templates() -> list[tuple[str, str]]:
    return sorted(
        (str(path.relative_to(TEMPLATES)), path.read_text(encoding="utf-8"))
        for path in TEMPLATES.rglob("*.html")
    )


def test_no_template_has_inline_script_or_style() -> None:
    for name, text in templates():
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), name
        assert not re.search(r"\son[a-z]+\s*=", text), name  # onclick= and the like
        assert "javascript:" not in text.lower(), name
        if not name.startswith(EMAILS):
            assert not re.search(r"\sstyle\s*=", text), name
            assert "<style" not in text, name


def test_every_page_template_extends_base_html_and_the_rest_are_partials() -> None:
    texts = dict(templates())
    parents = {
        name: match[1]
        for name, text in texts.items()
        if (match := re.search(r'{%-?\s*extends\s+"([^"]+)"', text))
    }
    layouts = set(parents.values())

    def chain(name: str) -> list[str]:
        """The template and its ancestors, up to the first that extends nothing."""
        names = [name]
        while names[-1] in parents and parents[names[-1]] not in names:
            names.append(parents[names[-1]])
        return names

    for name, text in texts.items():
        if name == "base.html" or name.startswith(EMAILS):
            continue
        if name in parents:
            ancestors = chain(name)
            assert ancestors[-1] == "base.html", f"{name} does not extend base.html"
            if name not in layouts:  # a page: it, or a layout it extends, fills the title
                titled = [t for t in ancestors[:-1] if "{% block title %}" in texts[t]]
                assert titled, f"{name} has no title"
        else:  # a partial (macros, includes): a fragment, never a whole document
            assert not re.search(r"<(html|head|body)\b", text), f"{name} is a whole page"


@pytest.mark.parametrize("path", ["/", "/accessibility", "/staff/login"])
def test_the_pages_carry_no_inline_script(client: FlaskClient, path: str) -> None:
    page = client.get(path).get_data(as_text=True)

    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)
    assert not re.search(r"\sstyle=", page)
