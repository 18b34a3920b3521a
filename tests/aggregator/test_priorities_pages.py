"""The frame every aggregator page shares: NHS.UK frontend assets, navigation, security headers."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from national_aggregator import security
from national_aggregator.home import add_nav_link, nhsuk_folder


def test_the_hubs_vendored_nhsuk_frontend_is_served_not_copied(client: FlaskClient) -> None:
    css = client.get("/static/nhsuk/nhsuk-frontend.min.css")
    icon = client.get("/static/nhsuk/assets/images/favicon.svg")
    own = client.get("/static/aggregator/aggregator.css")

    assert css.status_code == 200 and css.content_type.startswith("text/css")
    assert css.data == (nhsuk_folder() / "nhsuk-frontend.min.css").read_bytes()
    assert nhsuk_folder().parts[-3:] == ("hub", "static", "nhsuk")
    assert icon.status_code == 200
    assert own.status_code == 200 and b".nat-chart" in own.data
    for response in (css, icon, own):
        response.close()


def test_pages_use_the_nhsuk_header_with_the_current_section_marked(client: FlaskClient) -> None:
    page = client.get("/priorities").get_data(as_text=True)

    assert 'href="/static/nhsuk/nhsuk-frontend.min.css?v=' in page
    assert '<header class="nhsuk-header" role="banner">' in page
    assert (
        '<a class="nhsuk-header__navigation-link" href="/priorities" aria-current="page">' in page
    )
    assert '<a class="nhsuk-header__navigation-link" href="/">Home</a>' in page
    assert '<main class="nhsuk-main-wrapper" id="maincontent"' in page
    assert "<style" not in page and " style=" not in page and "<script" not in page
    home = client.get("/").get_data(as_text=True)
    assert 'href="/" aria-current="page">' in home
    # two links into one section: the page's own link is the current one, not both
    stocktake = client.get("/stocktake").get_data(as_text=True)
    assert 'href="/stocktake" aria-current="page">' in stocktake
    assert 'href="/board" aria-current="page">' not in stocktake
    response = client.get("/board/responses/unknown").get_data(as_text=True)
    assert 'href="/board" aria-current="page">' in response  # in the section, no link of its own


def test_a_feature_adds_its_link_to_the_header(app: Flask) -> None:
    @app.get("/board-pack")
    def board_pack() -> str:
        return "pack"

    add_nav_link(app, "Board pack", "board_pack")

    page = app.test_client().get("/priorities").get_data(as_text=True)
    links = page.index(">Home<"), page.index(">National priorities<"), page.index(">Board pack<")
    assert list(links) == sorted(links)
    if "voices.hidden_voices_page" in app.view_functions:  # the Hidden voices feature
        assert page.index(">National priorities<") < page.index(">Hidden voices<")


def test_a_link_to_a_page_that_does_not_exist_is_left_out(app: Flask) -> None:
    add_nav_link(app, "Regional view", "regions.not_yet")

    assert "Regional view" not in app.test_client().get("/").get_data(as_text=True)


def test_the_security_headers_forbid_inline_script_and_style() -> None:
    app = Flask(__name__)
    security.init_app(app)

    @app.get("/")
    def page() -> str:
        return "page"

    response = app.test_client().get("/")
    policy = response.headers["Content-Security-Policy"]

    assert "script-src 'self';" in policy and "style-src 'self';" in policy
    assert "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Strict-Transport-Security" not in response.headers  # plain http://
    secure = app.test_client().get("/", base_url="https://aggregator.example")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")
