"""The offline quote scrub: every identifier replaced by its typed placeholder, nothing else."""

from __future__ import annotations

import socket

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from federation.disclosure.scrub import (
    PLACEHOLDERS,
    Finding,
    find_identifiers,
    is_valid_nhs_number,
    nhs_check_digit,
    scrub,
)

ADVERSARIAL = "NHS 943 476 5919, SW1A 1AA, 07700 900123, Dr Patel"


def kinds(text: str, **lists: list[str]) -> list[str]:
    return [finding.kind for finding in find_identifiers(text, **lists)]


def test_the_issues_adversarial_quote_leaves_with_every_identifier_replaced() -> None:
    result = scrub(ADVERSARIAL, names=["Patel"])
    assert result.text == "NHS [NHS number], [postcode], [phone number], Dr [name]"
    assert [(f.kind, f.source) for f in result.findings] == [
        ("nhs-number", "pattern"),
        ("postcode", "pattern"),
        ("phone-number", "pattern"),
        ("name", "list"),  # caught by the hub's own list, not only by the title rule
    ]
    for digits in ("943", "476", "5919", "SW1A", "1AA", "07700", "900123", "Patel"):
        assert digits not in result.text


def test_the_local_list_catches_a_name_with_no_title() -> None:
    finding = find_identifiers("patel said the wait was long", names=["Patel"])[0]
    assert (finding.kind, finding.source, finding.start, finding.end) == ("name", "list", 0, 5)


def test_the_title_rule_works_without_the_list() -> None:
    result = scrub(ADVERSARIAL)
    assert result.text.endswith("Dr [name]")
    assert result.findings[-1].source == "pattern"


def test_findings_do_not_repeat_the_identifier() -> None:
    finding = find_identifiers("ring 07700 900123")[0]
    assert "07700" not in repr(finding)
    assert finding == Finding("phone-number", 5, 17, "[phone number]", "pattern")


# NHS numbers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first_nine", "check"),
    [
        ("943476591", 9),  # 9·10+4·9+3·8+4·7+7·6+6·5+5·4+9·3+1·2 = 299; 299 mod 11 = 2; 11−2 = 9
        ("401023213", 7),  # 92 mod 11 = 4 → 7
        ("828836075", 0),  # 297 mod 11 = 0 → 11 → check digit 0
        ("000000006", None),  # 12 mod 11 = 1 → 10: never issued
    ],
)
def test_nhs_check_digit(first_nine: str, check: int | None) -> None:
    assert nhs_check_digit(first_nine) == check


@pytest.mark.parametrize("text", ["9434765919", "943 476 5919", "943-476-5919", "8288360750"])
def test_valid_nhs_numbers_are_recognised(text: str) -> None:
    assert is_valid_nhs_number(text)
    assert kinds(f"my number is {text}.") == ["nhs-number"]
    assert scrub(f"my number is {text}.").text == "my number is [NHS number]."


@pytest.mark.parametrize(
    "text", ["9434765918", "943 476 5910", "4010232138", "0000000060", "0000000061"]
)
def test_a_number_failing_the_checksum_is_still_replaced_as_a_number(text: str) -> None:
    assert not is_valid_nhs_number(text)
    assert kinds(f"number {text} here") == ["long-number"]
    assert scrub(f"number {text} here").text == "number [number] here"


def test_nhs_check_digit_needs_nine_digits() -> None:
    with pytest.raises(ValueError):
        nhs_check_digit("12345")
    assert not is_valid_nhs_number("94347659199")
    assert not is_valid_nhs_number("٩٤٣٤٧٦٥٩١٩")  # Arabic-Indic digits are not an NHS number


def test_longer_digit_runs_are_replaced() -> None:
    assert scrub("hospital number 123456789012").text == "hospital number [number]"


# National Insurance numbers --------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["AB 12 34 56 C", "AB123456C", "ab123456c", "JG 10 32 59 A", "AB 123456 D", "PP123456"]
)
def test_ni_numbers(text: str) -> None:
    assert scrub(f"NI: {text}, thanks").text == "NI: [NI number], thanks"


@pytest.mark.parametrize(
    "text",
    [
        "BG 12 34 56 A",  # never allocated
        "GB123456A",
        "NK123456B",
        "KN123456B",
        "TN123456C",
        "NT123456C",
        "ZZ123456D",
        "DA123456A",  # D is never a first letter
        "QA123456A",
        "AO123456A",  # O is never a second letter
        "AB12345C",  # five digits
    ],
)
def test_strings_that_cannot_be_ni_numbers(text: str) -> None:
    assert "ni-number" not in kinds(text)


def test_lower_case_ni_only_when_written_solid() -> None:
    assert kinds("we met on 12 03 24 at noon") == []
    assert kinds("at 10 30 45") == []


# Postcodes ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "SW1A 1AA",
        "sw1a1aa",
        "Sw1A  1aA",
        "M1 1AE",
        "B33 8TH",
        "CR2 6XH",
        "DN55 1PT",
        "W1A 0AX",
        "EC1A 1BB",
        "GIR 0AA",
        "gir0aa",
        "LS1 4DY",
        "TR1 3AY",
    ],
)
def test_postcodes(text: str) -> None:
    assert scrub(f"I live at {text}.").text == "I live at [postcode]."


@pytest.mark.parametrize("text", ["Q1 1AA", "V1A 1AA", "M1 1CI", "M1 1AV", "12 1AA", "M14"])
def test_strings_that_are_not_full_postcodes(text: str) -> None:
    assert "postcode" not in kinds(text)


# Phone numbers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "07700 900123",
        "07700900123",
        "07700-900-123",
        "+44 7700 900123",
        "+447700900123",
        "+44 (0)7700 900123",
        "0044 7700 900123",
        "(020) 7946 0018",
        "020 7946 0018",
        "0161 496 0000",
        "(0161) 496-0000",
        "01632 960001",
        "0113 496 0000",
        "0300 123 4567",
        "0800 123 456",
        "0800 123 4567",
        "016977 3456",
    ],
)
def test_phone_numbers(text: str) -> None:
    assert scrub(f"call {text} today").text == "call [phone number] today"


def test_a_phone_number_followed_by_another_number_is_still_caught() -> None:
    assert scrub("rang 07700 900123 3 times").text == "rang [phone number] 3 times"


@pytest.mark.parametrize("text", ["0770 090", "07700 9001", "04 1234 5678 90", "+33 1 23 45 67 89"])
def test_strings_that_are_not_uk_phone_numbers(text: str) -> None:
    assert "phone-number" not in kinds(text)


# Email ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["jo@example.com", "jo.bloggs+nhs@mail.example.co.uk", "J_O'Neil@Example.ORG"]
)
def test_email_addresses(text: str) -> None:
    assert scrub(f"email {text} please").text == "email [email address] please"


def test_an_email_containing_a_listed_name_is_one_email() -> None:
    result = scrub("write to patel@example.com", names=["Patel"])
    assert result.text == "write to [email address]"
    assert [f.kind for f in result.findings] == ["email"]


# Names and places -----------------------------------------------------------------------


def test_names_and_places_from_the_lists_are_whole_words_any_case() -> None:
    result = scrub(
        "Amira from moss  side met PATEL at the Patelson centre near Moss Sideways",
        names=["Amira", "Patel"],
        places=["Moss Side"],
    )
    assert result.text == "[name] from [place] met [name] at the Patelson centre near Moss Sideways"
    assert {f.source for f in result.findings} == {"list"}


def test_apostrophes_match_either_way() -> None:
    assert scrub("saw O’Brien", names=["O'Brien"]).text == "saw [name]"
    assert scrub("saw O'Brien", names=["O’Brien"]).text == "saw [name]"
    assert scrub("Patel's surgery", names=["Patel"]).text == "[name]'s surgery"


def test_longest_list_entry_wins() -> None:
    result = scrub("Mary Jane came", names=["Mary", "Mary Jane"])
    assert result.text == "[name] came"


@pytest.mark.parametrize(
    ("text", "scrubbed"),
    [
        ("Nurse Smith was kind", "Nurse [name] was kind"),
        ("Prof. Jones agreed", "Prof. [name] agreed"),
        ("my sister Mary Jane drove", "my sister [name] drove"),
        ("Mx Okafor, Mrs Brown, Ms Green, Miss White and Mr Black", None),
        ("dr Élodie Durand", "dr [name]"),
    ],
)
def test_a_title_before_a_capitalised_word_is_a_name(text: str, scrubbed: str | None) -> None:
    result = scrub(text)
    if scrubbed is not None:
        assert result.text == scrubbed
    else:
        assert result.text == "Mx [name], Mrs [name], Ms [name], Miss [name] and Mr [name]"


def test_a_title_before_a_lower_case_word_is_not_a_name() -> None:
    assert kinds("the dr said the nurse was busy and I miss the bus") == []


def test_placeholders_are_never_matched_again() -> None:
    lists = {"names": ["name", "NHS", "number"], "places": ["place", "postcode"]}
    text = "ask the NHS for a number"
    once = scrub(text, **lists).text
    assert once == "ask the [name] for a [name]"
    assert find_identifiers(once, **lists) == []


def test_an_identifier_hidden_by_a_neighbour_is_found_once_the_neighbour_goes() -> None:
    """Glued to digits, "SW1A 1AA" is not a postcode; once the NHS number goes, it is."""
    result = scrub("943 476 5919SW1A 1AA")
    assert result.text == "[NHS number][postcode]"
    assert [(f.kind, f.start, f.end) for f in result.findings] == [
        ("nhs-number", 0, 12),
        ("postcode", 12, 20),
    ]


# False positives --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Seen on 12/03/2024 and again on 2024-03-19.",
        "It cost £1,200 to get there and back.",
        "A&E waited 4 hours, then 12 more on Ward 7B.",
        "Bus 42 at 09:30; the 111 line took 45 minutes.",
        "Nine out of 10 people said the GP was good; 1 in 3 waited over 2 weeks.",
        "In 2023 the practice list had 12,345 patients and 3 GPs.",
        "The COVID-19 clinic in room B12 opened at 8am.",
        "Dr said it was fine, Nurse said the same.",
        "Mental health services (CAMHS) took 18 months.",
    ],
)
def test_ordinary_sentences_are_left_alone(text: str) -> None:
    assert find_identifiers(text) == []
    assert scrub(text).text == text


# Properties ----------------------------------------------------------------------------------

FRAGMENTS = [
    "943 476 5919",
    "9434765918",
    "SW1A 1AA",
    "gir0aa",
    "07700 900123",
    "+44 (0)20 7946 0018",
    "AB 12 34 56 C",
    "jo@example.com",
    "Dr Patel",
    "Nurse",
    "Patel",
    "Moss Side",
    "[name]",
    "[NHS number]",
    "0",
    "44",
    "(",
    ")",
    "-",
    "@",
    ".",
    "'",
    "A",
    "the",
    "Ward 7B",
    "12/03/2024",
]
texts = st.lists(
    st.tuples(
        st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=6)),
        st.sampled_from(["", " ", "  ", "-", ",", "\n"]),
    ),
    max_size=12,
).map(lambda pairs: "".join(part + gap for part, gap in pairs))


@settings(max_examples=400, deadline=None)
@given(texts)
def test_scrubbed_text_contains_nothing_the_scrub_would_find(text: str) -> None:
    lists = {"names": ["Patel"], "places": ["Moss Side"]}
    result = scrub(text, **lists)
    assert find_identifiers(result.text, **lists) == []
    assert scrub(result.text, **lists).text == result.text


@settings(max_examples=300, deadline=None)
@given(texts)
def test_findings_are_ordered_disjoint_and_everything_else_is_kept(text: str) -> None:
    findings = find_identifiers(text, names=["Patel"])
    rebuilt, position = [], 0
    for finding in findings:
        assert position <= finding.start < finding.end <= len(text)
        assert finding.placeholder == PLACEHOLDERS[finding.kind]
        rebuilt.append(text[position : finding.start] + finding.placeholder)
        position = finding.end
    rebuilt.append(text[position:])
    assert scrub(text, names=["Patel"]).text == "".join(rebuilt)


def test_scrub_works_with_sockets_blocked(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    assert scrub(ADVERSARIAL, names=["Patel"]).text.count("[") == 4
