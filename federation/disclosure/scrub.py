"""Offline scrub of consented quotes: replace identifiers with typed placeholders.

A quote leaves a hub only with its author's consent, after this scrub and two
staff reviews (DESIGN.md §5). The scrub catches what people most often write
about themselves or others without noticing: NHS numbers (with their
modulus-11 check digit), National Insurance numbers, UK postcodes, phone
numbers, email addresses, and the names and places on the hub's own lists.
Each is replaced by a placeholder that says what was there ("[NHS number]"),
so a reviewer can see the quote still makes sense.

It is deliberately offline and dumb: regular expressions, a checksum and
local word lists, no model, no download, no network, so it runs the same on a
council server with the network off, gives the same answer every time, and
the aggregator can re-run it on receipt (invariants.py) with no extra
dependency. It errs on the side of removing too much: a false positive costs
a word, a false negative costs a person's privacy. What it cannot see
(a rare first name not on the list, "the only GP in the village") is the
reason two people review every quote. Leaves out: consent and review (the
hub's quote workflow) and outward-code-only postcodes ("M14": thousands of
households, not one person).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

PLACEHOLDERS = {
    "nhs-number": "[NHS number]",
    "ni-number": "[NI number]",
    "postcode": "[postcode]",
    "phone-number": "[phone number]",
    "email": "[email address]",
    "long-number": "[number]",
    "name": "[name]",
    "place": "[place]",
}
# When two candidates cover exactly the same span, the earlier kind wins: a
# valid NHS number beats a phone-shaped one; a phone number beats a bare
# "long number"; a list match beats a title-rule match (see `_order`).
_PRIORITY = tuple(PLACEHOLDERS)
TITLES = ("Dr", "Mr", "Mrs", "Ms", "Miss", "Mx", "Nurse", "Sister", "Prof")

_PLACEHOLDER = re.compile("|".join(re.escape(p) for p in sorted(set(PLACEHOLDERS.values()))))

# NHS number: 10 digits, bare or grouped 3-3-4 with spaces or hyphens.
_TEN_DIGITS = re.compile(r"(?<!\d)\d{3}[ -]?\d{3}[ -]?\d{4}(?!\d)")
# Any longer unbroken run of digits (hospital and reference numbers).
_LONG_DIGITS = re.compile(r"(?<!\d)\d{11,}(?!\d)")

# National Insurance number (HMRC NIM39110): the first letter is not D, F, I,
# Q, U or V; the second not D, F, I, O, Q, U or V; BG, GB, KN, NK, NT, TN and
# ZZ are never allocated; six digits (often written in pairs); suffix A–D,
# which people often leave off, so it is optional here. Lower-case letters
# count only when written solid ("ab123456c"): "on 12 03 24" is a date.
_NI_PREFIXES = "BG|GB|KN|NK|NT|TN|ZZ"
_NI_NUMBER = re.compile(
    r"(?<![A-Za-z0-9])(?:"
    rf"(?!{_NI_PREFIXES})[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{{2}} ?\d{{2}} ?\d{{2}}(?: ?[A-D])?"
    rf"|(?!{_NI_PREFIXES.lower()})[a-ceghj-pr-tw-z][a-ceghj-npr-tw-z]\d{{6}}[a-dA-D]?"
    r")(?![A-Za-z0-9])"
)

# Full UK postcode (the Royal Mail / BS 7666 shapes A9, A99, AA9, AA99, A9A,
# AA9A, then digit + two letters; plus GIR 0AA), with or without the space,
# any case.
_POSTCODE = re.compile(
    r"(?<![A-Za-z0-9])(?:GIR\s*0AA|"
    r"(?:[A-PR-UWYZ](?:\d[A-HJKPSTUW]|\d\d?|[A-HK-Y]\d[ABEHMNPRV-Y]|[A-HK-Y]\d\d?))"
    r"\s*\d[ABD-HJLNP-UW-Z]{2})(?![A-Za-z0-9])",
    re.IGNORECASE,
)

# Where a UK phone number may start: +44 / 0044 (optionally with a "(0)"
# trunk prefix written in), "(0" or "0". The digits that follow may be
# grouped by spaces, hyphens and brackets; `_phone_end` then picks the
# longest prefix that is a valid UK number.
_PHONE_START = re.compile(r"(?<![\w+(])(?:\+\s?44|0044|\(0|0)(?=[\s\-()]{0,3}\d)")
_PHONE_SEP = " \t-()"

_EMAIL = re.compile(
    r"(?<![\w.!#$%&'*+/=?^`{|}~-])"
    r"[\w!#$%&'*+/=?^`{|}~-]+(?:\.[\w!#$%&'*+/=?^`{|}~-]+)*"
    r"@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+"
)

_UPPER = "A-ZÀ-ÖØ-Þ"
_LOWER = "a-zß-öø-ÿ"
_CAPITALISED_WORD = rf"[{_UPPER}][{_LOWER}{_UPPER}]*(?:['’-][{_UPPER}{_LOWER}]+)*"
_TITLED_NAME = re.compile(
    rf"(?<!\w)(?i:{'|'.join(TITLES)})\.?[ \t]+"
    rf"({_CAPITALISED_WORD}(?:[ \t]+{_CAPITALISED_WORD}){{0,2}})(?![\w'’-])"
)


@dataclass(frozen=True)
class Finding:
    """An identifier found at text[start:end].

    Deliberately does not hold the matched text, so a finding can be logged
    or shown in a review screen without repeating the identifier. `source`
    is "list" for a match from the hub's own name/place lists, "pattern" for
    everything else (including the title rule).
    """

    kind: str
    start: int
    end: int
    placeholder: str
    source: str = "pattern"


@dataclass(frozen=True)
class Scrubbed:
    """Scrubbed text and what was replaced (offsets refer to the original text)."""

    text: str
    findings: tuple[Finding, ...]


def nhs_check_digit(first_nine: str) -> int | None:
    """The NHS number check digit for nine digits, or None when no number can have them.

    NHS Data Dictionary, "NHS Number": multiply each of the first nine digits
    by 10, 9, …, 2; add; take the remainder on division by 11 and subtract it
    from 11. A result of 11 gives check digit 0; a result of 10 means the
    nine digits are never issued as an NHS number.
    """
    if len(first_nine) != 9 or not first_nine.isascii() or not first_nine.isdigit():
        raise ValueError("the NHS number check digit is computed from exactly nine digits")
    total = sum(
        int(digit) * weight for digit, weight in zip(first_nine, range(10, 1, -1), strict=True)
    )
    check = 11 - total % 11
    if check == 11:
        return 0
    if check == 10:
        return None
    return check


def is_valid_nhs_number(text: str) -> bool:
    """Ten digits (spaces and hyphens ignored) whose last is the modulus-11 check digit."""
    digits = re.sub(r"[ -]", "", text)
    if len(digits) != 10 or not digits.isascii() or not digits.isdigit():
        return False
    return nhs_check_digit(digits[:9]) == int(digits[9])


def _uk_phone_digits(prefix: str, digits: str) -> bool:
    """Whether a prefix and the digits after it make a plausible UK number.

    Normalised to the national form (0 + 9 or 10 digits): 01 and 08 numbers
    have 10 or 11 digits, 02, 03, 05, 07 and 09 numbers 11.
    """
    if prefix.startswith(("+", "00")):
        national = "0" + (digits[1:] if digits.startswith("0") else digits)
    else:
        national = "0" + digits
    if len(national) < 2 or national[1] not in "1235789":
        return False
    if national[1] in "18":
        return len(national) in (10, 11)
    return len(national) == 11


def _phones(text: str) -> Iterator[tuple[int, int]]:
    for match in _PHONE_START.finditer(text):
        prefix = match.group()
        # Walk the digits and separators after the prefix, noting each place
        # the number could end (after a digit, not followed by another digit).
        position, digits, ends = match.end(), "", []
        while position < len(text):
            gap = position
            while gap < len(text) and gap - position < 3 and text[gap] in _PHONE_SEP:
                gap += 1
            if gap >= len(text) or not ("0" <= text[gap] <= "9"):
                break
            digits += text[gap]
            position = gap + 1
            if len(digits) > 12:
                break
            if position >= len(text) or not ("0" <= text[position] <= "9"):
                ends.append((position, digits))
        for end, candidate in reversed(ends):
            if _uk_phone_digits(prefix.replace(" ", ""), candidate):
                yield match.start(), end
                break


def _word_list_pattern(words: Iterable[str]) -> re.Pattern[str] | None:
    """One case-insensitive, whole-word pattern for a list (longest entries first)."""
    parts = []
    for word in {" ".join(w.split()) for w in words if w and w.strip()}:
        escaped = r"\s+".join(re.escape(piece) for piece in word.split(" "))
        parts.append((len(word), re.sub("['’]", "['’]", escaped)))
    if not parts:
        return None
    alternation = "|".join(part for _, part in sorted(parts, key=lambda p: (-p[0], p[1])))
    return re.compile(rf"(?<!\w)(?:{alternation})(?!\w)", re.IGNORECASE)


def _candidates(text: str, names: Iterable[str], places: Iterable[str]) -> Iterator[Finding]:
    def found(kind: str, start: int, end: int, source: str = "pattern") -> Finding:
        return Finding(kind, start, end, PLACEHOLDERS[kind], source)

    for match in _TEN_DIGITS.finditer(text):
        kind = "nhs-number" if is_valid_nhs_number(match.group()) else "long-number"
        yield found(kind, match.start(), match.end())
    for match in _LONG_DIGITS.finditer(text):
        yield found("long-number", match.start(), match.end())
    for match in _NI_NUMBER.finditer(text):
        yield found("ni-number", match.start(), match.end())
    for match in _POSTCODE.finditer(text):
        yield found("postcode", match.start(), match.end())
    for start, end in _phones(text):
        yield found("phone-number", start, end)
    for match in _EMAIL.finditer(text):
        yield found("email", match.start(), match.end())
    for kind, words in (("name", names), ("place", places)):
        pattern = _word_list_pattern(words)
        if pattern is not None:
            for match in pattern.finditer(text):
                yield found(kind, match.start(), match.end(), "list")
    for match in _TITLED_NAME.finditer(text):
        yield found("name", match.start(1), match.end(1))


def _order(finding: Finding) -> tuple[int, int, int, int]:
    # Longest first; on equal spans the higher-priority kind, then a list
    # match over a pattern; then leftmost.
    return (
        finding.start - finding.end,
        _PRIORITY.index(finding.kind),
        finding.source != "list",
        finding.start,
    )


def _find_once(text: str, names: tuple[str, ...], places: tuple[str, ...]) -> list[Finding]:
    """One pass: the non-overlapping winners among all candidates, ignoring placeholders."""
    taken = [(m.start(), m.end()) for m in _PLACEHOLDER.finditer(text)]
    chosen: list[Finding] = []
    for candidate in sorted(_candidates(text, names, places), key=_order):
        if candidate.start == candidate.end:
            continue
        if any(candidate.start < end and start < candidate.end for start, end in taken):
            continue
        taken.append((candidate.start, candidate.end))
        chosen.append(candidate)
    return chosen


def _replace(text: str, findings: Iterable[Finding]) -> tuple[str, list[int]]:
    """`text` with the findings replaced, and for each output character its index in
    `text` (-1 inside a placeholder)."""
    pieces: list[str] = []
    origin: list[int] = []
    position = 0
    for finding in sorted(findings, key=lambda f: f.start):
        pieces += [text[position : finding.start], finding.placeholder]
        origin += [*range(position, finding.start), *[-1] * len(finding.placeholder)]
        position = finding.end
    pieces.append(text[position:])
    origin += range(position, len(text))
    return "".join(pieces), origin


def find_identifiers(
    text: str, *, names: Iterable[str] = (), places: Iterable[str] = ()
) -> list[Finding]:
    """Every identifier in `text`, in order, none overlapping another.

    Where candidates overlap, the longest wins (an email address containing
    a listed name is one email address). Text already inside a placeholder
    ("[name]") is never matched again.

    Repeated to a fixed point, so scrubbing twice changes nothing and the
    aggregator's re-check of a scrubbed quote finds nothing: replacing one
    identifier can expose another that its neighbour hid ("…5919SW1A 1AA"
    is not a postcode, "…[NHS number]SW1A 1AA" has one), so the replaced
    text is searched again until nothing new turns up. Each round replaces
    at least one more character of the original, so this ends.

    A 10-digit number whose check digit fails is still reported (kind
    "long-number", "[number]") unless it is a phone number: a mistyped or
    misremembered NHS number still points at a real person's record, and
    hospital or account numbers of that length are identifiers too.
    """
    names, places = tuple(names), tuple(places)
    findings: list[Finding] = []
    while True:
        current, origin = _replace(text, findings)
        found = _find_once(current, names, places)
        if not found:
            return sorted(findings, key=lambda finding: finding.start)
        for finding in found:
            inside = [index for index in origin[finding.start : finding.end] if index >= 0]
            start, end = min(inside), max(inside) + 1
            findings = [f for f in findings if not (start <= f.start and f.end <= end)]
            findings.append(Finding(finding.kind, start, end, finding.placeholder, finding.source))


def scrub(text: str, *, names: Iterable[str] = (), places: Iterable[str] = ()) -> Scrubbed:
    """`text` with every identifier `find_identifiers` reports replaced by its placeholder."""
    findings = find_identifiers(text, names=names, places=places)
    return Scrubbed(_replace(text, findings)[0], tuple(findings))
