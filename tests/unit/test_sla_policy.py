"""SLA policies in TOML: the round trip, and one clear sentence for each kind of bad input."""

from __future__ import annotations

from datetime import date

import pytest

from csm_tui.domain.sla import (
    BusinessCalendar,
    Metric,
    SlaMatch,
    SlaPolicy,
    Target,
    default_calendars,
    default_policies,
    policies_from_toml,
    policies_to_toml,
)

GOOD = """
[[calendar]]
name = "de-split"
timezone = "Europe/Berlin"
holidays = [2026-12-24, 2026-12-25]
[calendar.hours]
mon = ["08:00-12:00", "13:00-17:00"]
fri = ["08:00-12:00"]

[[policy]]
name = "VIP chat"
calendar = "de-split"
at_risk_minutes = 5
[policy.match]
tier = ["gold", "platinum"]
channel = ["chat"]
[policy.targets]
first_reply = { minutes = 10, hours = "calendar" }
next_reply = 15

[[policy]]
name = "Everything else"
calendar = "de-split"
[policy.targets]
resolution = { minutes = 2400, hours = "business" }
"""


def test_defaults_round_trip() -> None:
    calendars, policies = default_calendars(), default_policies()
    text = policies_to_toml(calendars, policies)
    assert policies_from_toml(text) == (calendars, policies)
    # And the text is stable.
    assert policies_to_toml(*policies_from_toml(text)) == text


def test_a_hand_written_file() -> None:
    calendars, policies = policies_from_toml(GOOD)
    assert calendars == {
        "de-split": BusinessCalendar(
            "de-split",
            "Europe/Berlin",
            {"mon": ["08:00-12:00", "13:00-17:00"], "fri": ["08:00-12:00"]},
            frozenset({date(2026, 12, 24), date(2026, 12, 25)}),
        )
    }
    vip, rest = policies
    assert vip == SlaPolicy(
        "VIP chat",
        1,
        {Metric.FIRST_REPLY: Target(10, business=False), Metric.NEXT_REPLY: Target(15)},
        SlaMatch(tier=frozenset({"gold", "platinum"}), channel=frozenset({"chat"})),  # type: ignore[arg-type]
        "de-split",
        at_risk_minutes=5,
    )
    assert (rest.position, rest.match, rest.targets) == (
        2,
        SlaMatch(),
        {Metric.RESOLUTION: Target(2400)},
    )
    # Positions come from the order in the file; the round trip keeps the file's meaning.
    assert policies_from_toml(policies_to_toml(calendars, policies)) == (calendars, policies)


def _bad(old: str, new: str) -> str:
    assert old in GOOD
    return GOOD.replace(old, new)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[calendar]\nname=", "not valid TOML"),
        (_bad("next_reply = 15", "next_answer = 15"), "unknown metric 'next_answer'"),
        (_bad('"08:00-12:00", "13:00', '"08:00-12:00", "25:00'), "25:00 .* is no time of day"),
        (_bad('fri = ["08:00-12:00"]', 'fri = ["12:00-08:00"]'), "end before they start"),
        (_bad('calendar = "de-split"\nat_risk', 'calendar = "de-spilt"\nat_risk'), "'de-spilt'"),
        (_bad("Europe/Berlin", "Europe/Berlim"), "unknown time zone 'Europe/Berlim'"),
        (_bad("fri = [", "fry = ["), "'fry', which is no weekday"),
        (
            _bad('channel = ["chat"]', 'channel = ["pigeon"]'),
            "Policy 'VIP chat' matches an unknown channel 'pigeon'",
        ),
        (_bad('tier = ["gold"', 'tier = ["bronze"'), "unknown tier 'bronze'"),
        (_bad("at_risk_minutes = 5", "at_risk_fraction = 1.5"), "outside 0 to 0.99"),
        (_bad("next_reply = 15", "next_reply = 0"), "above 0"),
        (_bad('hours = "calendar"', 'hours = "lunar"'), '"business" or "calendar"'),
        (_bad("at_risk_minutes = 5", "colour = 5"), "Unknown key 'colour'"),
        (_bad('name = "Everything else"', 'name = "VIP chat"'), "Two policies are named"),
        (_bad("holidays = [2026-12-24", 'holidays = ["christmas"'), "no date"),
        (GOOD + "\n[extra]\nx = 1\n", "Unknown key 'extra'"),
        (
            _bad('[policy.targets]\nresolution = { minutes = 2400, hours = "business" }', ""),
            "no targets",
        ),
    ],
)
def test_bad_files_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as caught:
        policies_from_toml(text)
    # One sentence: no traceback text, no line breaks.
    assert "\n" not in str(caught.value)


def test_names_with_quotes_survive() -> None:
    cal = BusinessCalendar('Müller "Nord"', "UTC", {"mon": ["08:00-16:00"]})
    pol = SlaPolicy('The "A" team\\', 1, {Metric.FIRST_REPLY: Target(60)}, calendar=cal.name)
    assert policies_from_toml(policies_to_toml([cal], [pol])) == ({cal.name: cal}, [pol])
