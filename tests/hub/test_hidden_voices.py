"""Hidden voices in the hub: importing the population profile, counting people, the staff page."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy.orm import Session

from hub.cli import hub_group
from hub.gather.models import Channel, Participant, Status
from hub.gather.services import add_comment, support_contribution
from hub.voices.profile import PopulationProfile
from hub.voices.services import channels_by_group, participant_counts
from hub.voices.store import PROFILE_CSV, PROFILE_META, load_profile, save_profile
from tests.hub.conftest import person, raise_item
from tests.hub.staff_helpers import staff_client

NOW = datetime.now(UTC)
GOOD_CSV = """characteristic,category,count,source
disability,disabled,250,Census 2021 TS038
disability,not-disabled,750,Census 2021 TS038
urban_rural,urban,900,2011 RUC
urban_rural,rural,100,2011 RUC
"""
# Three problems on three lines: a negative count, an unknown category, a not-stated row.
BAD_CSV = """characteristic,category,count
disability,disabled,-5
disability,not-disabled,750
urban_rural,suburban,10
urban_rural,not-stated,3
"""


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(hub_group, list(args))
    return result.exit_code, result.stdout, result.stderr


def answered(db: Session, **answers: str | None) -> Participant:
    """A new participant with these "about you" answers."""
    someone = person(db)
    for name, answer in answers.items():
        setattr(someone, name, answer)
    return someone


# -- the profile: import, show, load ------------------------------------------------------


def test_import_stores_the_profile_with_its_label_and_show_prints_it(tmp_path: Path) -> None:
    folder = tmp_path / "hub"
    folder.mkdir()
    source = tmp_path / "profile.csv"
    source.write_text(GOOD_CSV, encoding="utf-8")

    code, out, _err = run(
        "profile", "import", "--instance", str(folder), str(source), "--label", "Census 2021"
    )

    assert code == 0, out
    assert "2 characteristics, 4 groups" in out
    profile = load_profile(folder)
    assert profile is not None
    assert profile.label == "Census 2021"
    assert profile.share("disability", "disabled") == 0.25
    assert profile.share("urban_rural", "rural") == 0.1
    meta = json.loads((folder / PROFILE_META).read_text(encoding="utf-8"))
    assert meta["label"] == "Census 2021"
    assert datetime.fromisoformat(meta["imported_at"]).tzinfo is not None
    assert not list(folder.glob("*.tmp"))  # the temporary files were renamed into place

    code, out, _err = run("profile", "show", "--instance", str(folder))

    assert code == 0
    assert "Label: Census 2021" in out
    assert "Total for disability: 1,000" in out
    assert "disability,disabled,250,Census 2021 TS038" in out


def test_a_bad_file_lists_every_problem_and_stores_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "hub"
    folder.mkdir()
    before = PopulationProfile.from_counts({"disability": {"disabled": 1, "not-disabled": 3}})
    save_profile(folder, before, NOW)
    stored = (folder / PROFILE_CSV).read_bytes()
    source = tmp_path / "bad.csv"
    source.write_text(BAD_CSV, encoding="utf-8")

    code, _out, err = run("profile", "import", "--instance", str(folder), str(source))

    assert code == 1
    assert "Nothing was imported" in err
    assert "line 2: count -5 is negative" in err
    assert "line 4" in err and "suburban" in err
    assert "line 5" in err and "not-stated" in err
    assert (folder / PROFILE_CSV).read_bytes() == stored  # the previous profile is untouched
    assert load_profile(folder) == before


def test_a_bad_file_into_an_empty_folder_leaves_no_profile(tmp_path: Path) -> None:
    source = tmp_path / "bad.csv"
    source.write_text(BAD_CSV, encoding="utf-8")

    code, _out, _err = run("profile", "import", "--instance", str(tmp_path), str(source))

    assert code == 1
    assert load_profile(tmp_path) is None
    assert sorted(path.name for path in tmp_path.iterdir()) == ["bad.csv"]


def test_show_without_a_profile_says_how_to_import_one(tmp_path: Path) -> None:
    code, _out, err = run("profile", "show", "--instance", str(tmp_path))

    assert code == 1
    assert "hubnet hub profile import" in err


# -- counting people ------------------------------------------------------------------------


def test_each_person_counts_once_and_prefer_not_to_say_is_not_stated(db: Session) -> None:
    busy = answered(db, disability="disabled", urban_rural="prefer-not-to-say")
    other = answered(db, disability="not-disabled")  # urban_rural never answered
    commenter = answered(db, disability="disabled", urban_rural="rural")
    first = raise_item(db, busy, at=NOW)
    raise_item(db, busy, at=NOW, title="Still no appointment")
    theirs = raise_item(db, other, at=NOW)
    support_contribution(db, contribution_id=theirs.id, participant=busy, created_at=NOW)
    add_comment(db, contribution=first, participant=commenter, body="Same here.", created_at=NOW)
    db.commit()

    counts = participant_counts(db, None)

    assert counts["disability"] == {"disabled": 2, "not-disabled": 1, "not-stated": 0}
    assert counts["urban_rural"] == {"urban": 0, "rural": 1, "not-stated": 2}
    assert counts["age_band"]["not-stated"] == 3
    assert sum(counts["age_band"].values()) == 3


def test_removed_items_and_old_acts_are_not_counted(db: Session) -> None:
    removed_author = answered(db, disability="disabled")
    old_author = answered(db, disability="disabled")
    pending_author = answered(db, disability="not-disabled")
    raise_item(db, removed_author, at=NOW).status = Status.REMOVED
    raise_item(db, old_author, at=NOW - timedelta(days=400))
    raise_item(db, pending_author, at=NOW, publish=False)  # waiting for a moderator: counts
    db.commit()

    assert participant_counts(db, NOW - timedelta(days=365))["disability"] == {
        "disabled": 0,
        "not-disabled": 1,
        "not-stated": 0,
    }
    assert participant_counts(db, None)["disability"]["disabled"] == 1  # the old one, ever


def test_channels_count_people_per_channel_they_raised_through(db: Session) -> None:
    online_and_paper = answered(db, disability="disabled")
    phone = answered(db, disability="disabled")
    raise_item(db, online_and_paper, at=NOW)
    raise_item(db, online_and_paper, at=NOW, title="Second").channel = Channel.PAPER
    raise_item(db, online_and_paper, at=NOW, title="Third").channel = Channel.PAPER
    raise_item(db, phone, at=NOW).channel = Channel.PHONE
    db.commit()

    channels = channels_by_group(db, None)

    assert channels["disability"]["disabled"] == {"online": 1, "paper": 1, "phone": 1}
    assert channels["disability"]["not-disabled"] == {}
    assert channels["urban_rural"]["not-stated"] == {"online": 1, "paper": 1, "phone": 1}


# -- the staff page -------------------------------------------------------------------------


def _profile(app: Flask, label: str = "Census 2021, our area") -> None:
    counts = {"disability": {"disabled": 250, "not-disabled": 750}}
    profile = PopulationProfile.from_counts(counts, label=label)
    Path(app.config["INSTANCE_PATH"]).mkdir(parents=True, exist_ok=True)
    save_profile(app.config["INSTANCE_PATH"], profile, NOW)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.mark.parametrize("role", ["admin", "facilitator", "moderator"])
def test_the_page_is_for_admins_facilitators_and_moderators(
    app: Flask, db: Session, role: str
) -> None:
    _profile(app)
    client, _staff = staff_client(app, db, role)

    response = client.get("/staff/hidden-voices")

    assert response.status_code == 200
    page = _text(response.get_data(as_text=True))
    assert "Census 2021, our area" in page
    assert 'href="/staff/hidden-voices"' in response.get_data(as_text=True)  # in the staff nav


def test_responders_are_refused(app: Flask, db: Session) -> None:
    client, _staff = staff_client(app, db, "responder")

    assert client.get("/staff/hidden-voices").status_code == 403


def test_without_a_profile_the_page_says_how_to_import_one(app: Flask, db: Session) -> None:
    client, _staff = staff_client(app, db, "admin")

    page = _text(client.get("/staff/hidden-voices").get_data(as_text=True))

    assert "No population profile has been imported" in page
    assert "hubnet hub profile import" in page
    assert "Ratio" not in page


def test_the_page_shows_a_hand_worked_ratio_and_the_channels(app: Flask, db: Session) -> None:
    """1 disabled person among 40 who answered, in an area a quarter disabled.

    p = 1/40 = 0.025, s = 0.25: ratio 0.10. Wilson 95% for 1/40 (z = 1.959964):
    z²/n = 0.0960, centre = (0.025 + 0.0480) / 1.0960 = 0.0666,
    half-width = 1.7882 · √(0.025·0.975/40 + 3.8415/6400) = 1.7882 · 0.03478 = 0.0622,
    so 0.0044 to 0.1288, ÷ 0.25: 0.02 to 0.52, wholly below 1: under-represented.
    """
    _profile(app, label="Illustrative profile for the tests")
    disabled = answered(db, disability="disabled")
    raise_item(db, disabled, at=NOW).channel = Channel.PHONE
    for _ in range(39):
        raise_item(db, answered(db, disability="not-disabled"), at=NOW)
    raise_item(db, answered(db, disability="prefer-not-to-say"), at=NOW)
    db.commit()
    client, _staff = staff_client(app, db, "moderator")

    page = _text(client.get("/staff/hidden-voices?period=12-months").get_data(as_text=True))

    assert "This profile is illustrative" in page
    assert "41 people took part" in page
    assert "Disabled 1 2.5% 25.0% 0.10 (0.02 to 0.52) Under-represented" in page
    assert "Not disabled 39 97.5% 75.0% 1.30 (1.16 to 1.33) Over-represented" in page
    assert "40 answered; 1 did not say" in page
    assert "Ratio 0.10 (95% interval 0.02 to 0.52). Reached through: By phone (1 person)." in page
    assert "No population figure" in page  # the profile has no age figures: no ratio guessed


def test_all_time_includes_what_is_older_than_12_months(app: Flask, db: Session) -> None:
    _profile(app)
    raise_item(db, answered(db, disability="disabled"), at=NOW - timedelta(days=500))
    db.commit()
    client, _staff = staff_client(app, db, "admin")

    recent = _text(client.get("/staff/hidden-voices").get_data(as_text=True))
    ever = _text(client.get("/staff/hidden-voices?period=all").get_data(as_text=True))

    assert "The last 12 months: 0 people took part" in recent
    assert "All time: 1 person took part" in ever


def test_each_under_represented_group_shows_the_discover_groups_reaching_it(
    app: Flask, db: Session
) -> None:
    """The same 1 disabled person in 40 as above: disabled people are under-represented."""
    from hub.discover import services as discover
    from hub.discover.directory import DirectoryEntry

    _profile(app)
    raise_item(db, answered(db, disability="disabled"), at=NOW)
    for _ in range(39):
        raise_item(db, answered(db, disability="not-disabled"), at=NOW)
    db.commit()
    client, _staff = staff_client(app, db, "facilitator")

    html = client.get("/staff/hidden-voices").get_data(as_text=True)
    assert "No listed group reaches this group. See the coverage gaps in Discover" in _text(html)
    assert 'href="/staff/discover/gaps"' in html

    deaf = DirectoryEntry(
        id="5e4d3c2b-1a09-4f8e-9d7c-6b5a4f3e2d1c",
        name="Deaf Health Group",
        kind="vcse",
        reaches=(("disability", "disabled"),),
    )
    discover.import_entries(db, None, [deaf])
    db.commit()

    page = _text(client.get("/staff/hidden-voices").get_data(as_text=True))
    assert (
        "Listed groups reaching them: Deaf Health Group (Voluntary and community organisation)."
        " See them in Discover" in page
    )
    assert "No listed group reaches this group" not in page
