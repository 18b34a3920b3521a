"""Differential privacy: OpenDP's integer discrete Laplace, calibrated by OpenDP's own map."""

from __future__ import annotations

import math
import socket
import statistics
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import pytest

from federation.disclosure import dp
from federation.disclosure.characteristics import CHARACTERISTICS, NOT_STATED
from federation.disclosure.dp import (
    MAX_EPSILON,
    NoisyCounts,
    PrivacyError,
    PrivacySpec,
    add_noise,
    cell_count,
    epsilon_for_scale,
    make_mechanism,
    scale_for_epsilon,
    sensitivity,
)
from federation.disclosure.rules import DEFAULT_RULE, DisclosureRule
from federation.disclosure.tables import KINDS, RawCounts, ThemeCounts, scopes
from federation.taxonomy import load_taxonomy

CODES = load_taxonomy().codes


def not_stated_tables(margin: int) -> dict[str, dict[str, int]]:
    """Five one-way tables with everyone in not-stated (valid: each sums to its margin)."""
    return {code: {NOT_STATED: margin} for code in CHARACTERISTICS}


def sample_raw() -> RawCounts:
    """Small but valid true counts: 100 people, 40 of them in gp-access."""
    return RawCounts(
        participants=100,
        contributors=60,
        supporters=50,
        themes={
            "gp-access": ThemeCounts(
                people=40,
                contributors=30,
                supporters=20,
                contributions=50,
                by_kind={"idea": 10, "concern": 25, "question": 5, "experience": 0},
            )
        },
        breakdowns={"all": not_stated_tables(100), "gp-access": not_stated_tables(40)},
    )


def test_sensitivity_under_the_defaults_is_53() -> None:
    assert sensitivity(DEFAULT_RULE, PrivacySpec(Decimal("0.5"))) == 53


def test_sensitivity_follows_the_cap_and_the_theme_bound() -> None:
    rule = DisclosureRule(contribution_cap=1)
    assert sensitivity(rule, PrivacySpec(Decimal(1), max_themes_per_person=1)) == 3 + 5 + 13
    assert sensitivity(DEFAULT_RULE, PrivacySpec(Decimal(1), max_themes_per_person=5)) == 83


@pytest.mark.parametrize("themes", [1, 3, 5])
def test_one_worst_case_person_moves_the_vector_by_exactly_the_sensitivity(themes: int) -> None:
    """Add one person who does everything possible; the L1 change equals the bound."""
    spec = PrivacySpec(Decimal(1), max_themes_per_person=themes)
    before = sample_raw()
    touched = CODES[:themes]  # includes gp-access, which already has people
    new_themes = dict(before.themes)
    for code in touched:
        old = before.theme(code)
        new_themes[code] = ThemeCounts(
            people=old.people + 1,
            contributors=old.contributors + 1,
            supporters=old.supporters + 1,
            contributions=old.contributions + DEFAULT_RULE.contribution_cap,
            by_kind={kind: old.kind(kind) + 1 for kind in KINDS},
        )
    breakdowns: dict[str, Any] = {"all": not_stated_tables(101)}
    for code in CODES:
        people = new_themes[code].people if code in new_themes else 0
        if people:
            breakdowns[code] = not_stated_tables(people)
    after = RawCounts(
        participants=101,
        contributors=61,
        supporters=51,
        themes=new_themes,
        breakdowns=breakdowns,
    )
    change = sum(abs(a - b) for a, b in zip(dp._flatten(after), dp._flatten(before), strict=True))
    assert change == sensitivity(DEFAULT_RULE, spec)


@pytest.mark.parametrize("epsilon", ["0.001", "0.1", "0.3", "0.5", "1", "2.5", "10"])
def test_opendp_privacy_map_certifies_the_scale(epsilon: str) -> None:
    eps = Decimal(epsilon)
    scale = scale_for_epsilon(eps, 53)
    mechanism = make_mechanism(scale)
    assert Decimal(mechanism.map(d_in=53)) <= eps  # exact comparison, no float slack
    assert epsilon_for_scale(scale, 53) <= eps
    # ...and not wastefully conservative: within 1% of the ε asked for.
    assert epsilon_for_scale(scale, 53) >= eps * Decimal("0.99")


def test_the_mechanism_is_opendps_integer_discrete_laplace() -> None:
    mechanism = make_mechanism(2.0)
    assert "AtomDomain(T=i64)" in str(mechanism.input_domain)
    assert "L1Distance(i64)" in str(mechanism.input_metric)
    assert "MaxDivergence" in str(mechanism.output_measure)
    released = mechanism([0, 5, -3, 2**40])
    assert all(type(value) is int for value in released)


def test_add_noise_uses_a_mechanism_whose_map_is_within_epsilon(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    built: list[Any] = []
    original = dp.make_mechanism

    def recording(scale: float) -> Any:
        mechanism = original(scale)
        built.append(mechanism)
        return mechanism

    monkeypatch.setattr(dp, "make_mechanism", recording)
    spec = PrivacySpec(Decimal("0.7"))
    add_noise(sample_raw(), spec, DEFAULT_RULE)
    used = built[-1]
    assert Decimal(used.map(d_in=sensitivity(DEFAULT_RULE, spec))) <= Decimal("0.7")


def test_every_count_is_noised_including_missing_ones() -> None:
    noisy = add_noise(RawCounts(), PrivacySpec(Decimal(1)), DEFAULT_RULE)
    assert isinstance(noisy, NoisyCounts) and isinstance(noisy, RawCounts)
    assert set(noisy.themes) == set(CODES)
    assert set(noisy.breakdowns) == set(scopes())
    values = dp._flatten(noisy)
    for scope in scopes():
        assert set(noisy.breakdowns[scope]) == set(CHARACTERISTICS)
        for code, characteristic in CHARACTERISTICS.items():
            assert tuple(noisy.breakdowns[scope][code]) == characteristic.codes
    for theme in noisy.themes.values():
        assert tuple(theme.by_kind) == KINDS
    assert (
        len(values)
        == cell_count()
        == 3 + len(CODES) * 8 + len(scopes()) * sum(len(c.codes) for c in CHARACTERISTICS.values())
    )
    assert all(type(value) is int for value in values)
    # All true values are 0; at scale 53 a draw is exactly 0 with probability ≈ 1%.
    assert sum(value == 0 for value in values) < len(values) * 0.05
    assert any(value < 0 for value in values)  # noisy values may be negative


def test_noise_is_fresh_on_each_call() -> None:
    spec = PrivacySpec(Decimal(1))
    first = add_noise(sample_raw(), spec, DEFAULT_RULE)
    second = add_noise(sample_raw(), spec, DEFAULT_RULE)
    assert dp._flatten(first) != dp._flatten(second)


def test_noise_lands_on_the_right_cells() -> None:
    """At ε = 10 (scale 5.3) each noisy count stays near its own true value."""
    raw = sample_raw()
    noisy = add_noise(raw, PrivacySpec(MAX_EPSILON), DEFAULT_RULE)
    scale = scale_for_epsilon(MAX_EPSILON, 53)
    for true, published in zip(dp._flatten(raw), dp._flatten(noisy), strict=True):
        assert abs(published - true) < 25 * scale  # P(fail) per cell ≈ e^-25
    assert noisy.participants > 50 and noisy.theme("gp-access").people > 10


def discrete_laplace_variance(scale: float) -> float:
    alpha = math.exp(-1 / scale)
    return 2 * alpha / (1 - alpha) ** 2


def test_empirical_distribution_is_discrete_laplace() -> None:
    """20,000 draws at scale 2: mean ≈ 0, variance 2α/(1−α)², P(0) = (1−α)/(1+α)."""
    draws = 20_000
    scale = 2.0
    noise = make_mechanism(scale)([0] * draws)
    alpha = math.exp(-1 / scale)
    variance = discrete_laplace_variance(scale)  # ≈ 7.83, close to 2·b² = 8
    assert abs(statistics.fmean(noise)) < 5 * math.sqrt(variance / draws)
    assert abs(statistics.pvariance(noise) / variance - 1) < 0.1
    assert abs(noise.count(0) / draws - (1 - alpha) / (1 + alpha)) < 0.02
    assert abs(noise.count(1) - noise.count(-1)) < 0.15 * noise.count(1)  # symmetric


def test_add_noise_has_the_calibrated_spread() -> None:
    """Five releases of all-zero counts: the noise has the variance of the calibrated scale."""
    spec = PrivacySpec(Decimal(1))  # scale 53 at sensitivity 53
    noise: list[int] = []
    for _ in range(5):
        noise += dp._flatten(add_noise(RawCounts(), spec, DEFAULT_RULE))
    variance = discrete_laplace_variance(scale_for_epsilon(spec.epsilon, 53))
    assert abs(statistics.fmean(noise)) < 5 * math.sqrt(variance / len(noise))
    assert abs(statistics.pvariance(noise) / variance - 1) < 0.25


@pytest.mark.parametrize(
    "epsilon",
    [
        Decimal(0),
        Decimal("-0.5"),
        Decimal("NaN"),
        Decimal("sNaN"),
        Decimal("Infinity"),
        Decimal("0.0001"),
        Decimal(11),
        Decimal("1E+6"),
    ],
)
def test_absurd_epsilons_are_refused(epsilon: Decimal) -> None:
    with pytest.raises(PrivacyError):
        PrivacySpec(epsilon)
    with pytest.raises(PrivacyError):
        scale_for_epsilon(epsilon, 53)


def test_a_float_epsilon_is_refused() -> None:
    with pytest.raises(PrivacyError, match="Decimal"):
        PrivacySpec(0.5)  # type: ignore[arg-type]


@pytest.mark.parametrize("themes", [0, -1, len(CODES) + 1, True])
def test_the_theme_bound_must_be_sensible(themes: int) -> None:
    with pytest.raises(PrivacyError):
        PrivacySpec(Decimal(1), max_themes_per_person=themes)


@pytest.mark.parametrize("scale", [0.0, -1.0, math.inf, math.nan])
def test_a_bad_scale_is_refused(scale: float) -> None:
    with pytest.raises(PrivacyError):
        make_mechanism(scale)


@pytest.mark.parametrize("bound", [0, -53, True])
def test_a_bad_sensitivity_is_refused(bound: int) -> None:
    with pytest.raises(PrivacyError):
        scale_for_epsilon(Decimal(1), bound)


def test_true_counts_are_validated_before_noise() -> None:
    """The sensitivity bound only holds for real, capped counts; bad input is refused."""
    broken = RawCounts(participants=-1)
    with pytest.raises(ValueError):
        add_noise(broken, PrivacySpec(Decimal(1)), DEFAULT_RULE)
    over_cap = RawCounts(
        participants=1,
        contributors=1,
        themes={"gp-access": ThemeCounts(people=1, contributors=1, contributions=50)},
        breakdowns={"all": not_stated_tables(1), "gp-access": not_stated_tables(1)},
    )
    with pytest.raises(ValueError, match="cap"):
        add_noise(over_cap, PrivacySpec(Decimal(1)), DEFAULT_RULE)


def test_noisy_counts_are_immutable() -> None:
    noisy = add_noise(sample_raw(), PrivacySpec(Decimal(1)), DEFAULT_RULE)
    assert isinstance(noisy.themes, MappingProxyType)
    with pytest.raises(TypeError):
        noisy.breakdowns["all"]["age_band"]["16-24"] = 0  # type: ignore[index]


def test_add_noise_works_with_sockets_blocked(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    dp._search_scale.cache_clear()  # make the OpenDP search run here, not from the cache
    noisy = add_noise(sample_raw(), PrivacySpec(Decimal("0.5")), DEFAULT_RULE)
    assert len(dp._flatten(noisy)) == cell_count()
