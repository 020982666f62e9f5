"""SLA policies: which targets apply to a case, and the TOML file admins keep them in.

Policies are ordered by ``position``; the first whose conditions all match a case applies
(DOMAIN.md). A condition is a set of allowed values of priority, support tier, queue slug
or channel, or None for any. A policy has one target per metric it measures, each in
business hours (the policy's calendar) or calendar hours (always open), and the at-risk
thresholds of its metrics.

The TOML file (``csm admin sla import FILE``) holds ``[[calendar]]`` and ``[[policy]]``
tables; policies apply in the order they are written. :func:`policies_to_toml` writes the
format with comments, :func:`policies_from_toml` reads it and says what is wrong with it in
one sentence (a ValueError).
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import Protocol

from csm_tui.domain.enums import Channel, Priority, SupportTier
from csm_tui.domain.sla_calendar import (
    WEEKDAYS,
    BusinessCalendar,
    default_calendars,
    format_span,
)


class Metric(StrEnum):
    """What an SLA target measures (DOMAIN.md, "Measuring service")."""

    FIRST_REPLY = "first_reply"
    NEXT_REPLY = "next_reply"
    PERIODIC_UPDATE = "periodic_update"
    PAUSABLE_UPDATE = "pausable_update"
    REQUESTER_WAIT = "requester_wait"
    AGENT_WORK = "agent_work"
    RESOLUTION = "resolution"

    @property
    def label(self) -> str:
        return _METRIC_LABELS[self]


_METRIC_LABELS = {
    Metric.FIRST_REPLY: "First reply",
    Metric.NEXT_REPLY: "Next reply",
    Metric.PERIODIC_UPDATE: "Periodic update",
    Metric.PAUSABLE_UPDATE: "Pausable update",
    Metric.REQUESTER_WAIT: "Requester wait",
    Metric.AGENT_WORK: "Agent work",
    Metric.RESOLUTION: "Resolution",
}
_METRIC_ORDER = {m: i for i, m in enumerate(Metric)}


@dataclass(frozen=True, slots=True)
class Target:
    """A time limit: ``minutes`` of business hours (the policy's calendar) or calendar hours."""

    minutes: int
    business: bool = True

    def __post_init__(self) -> None:
        if isinstance(self.minutes, bool) or not isinstance(self.minutes, int):
            raise ValueError(f"A target is a whole number of minutes, not {self.minutes!r}.")
        if self.minutes <= 0:
            raise ValueError(f"A target needs at least one minute, not {self.minutes}.")


@dataclass(frozen=True, slots=True)
class SlaMatch:
    """Conditions on a case; each is a set of allowed values, or None for any value."""

    priority: frozenset[Priority] | None = None
    tier: frozenset[SupportTier] | None = None
    queue: frozenset[str] | None = None
    channel: frozenset[Channel] | None = None

    def __post_init__(self) -> None:
        for name, enum in (("priority", Priority), ("tier", SupportTier), ("channel", Channel)):
            values = getattr(self, name)
            if values is not None:
                object.__setattr__(self, name, frozenset(_member(enum, v, name) for v in values))
        if self.queue is not None:
            object.__setattr__(self, "queue", frozenset(str(q) for q in self.queue))

    def matches(
        self, priority: Priority, tier: SupportTier | None, queue: str | None, channel: Channel
    ) -> bool:
        return (
            (self.priority is None or priority in self.priority)
            and (self.tier is None or (tier or SupportTier.STANDARD) in self.tier)
            and (self.queue is None or queue in self.queue)
            and (self.channel is None or channel in self.channel)
        )


def _member(enum: type[StrEnum], value: object, what: str) -> StrEnum:
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(e.value for e in enum)
        raise ValueError(
            f"A policy matches an unknown {what} {value!r}; {what} values are: {allowed}."
        ) from None


@dataclass(frozen=True, slots=True)
class SlaPolicy:
    """Targets for the cases its conditions match; the lowest ``position`` is tried first.

    ``calendar`` names the business calendar of business-hour targets (None when every
    target is in calendar hours). A metric is at risk once no more than ``at_risk_fraction``
    of its target or no more than ``at_risk_minutes`` is left, whichever comes first, but
    never while more than half of the target is left (so a 15-minute chat target is not at
    risk from its first second).
    """

    name: str
    position: int
    targets: Mapping[Metric, Target]
    match: SlaMatch = field(default_factory=SlaMatch)
    calendar: str | None = None
    at_risk_fraction: float = 0.25
    at_risk_minutes: int = 30
    #: (metric, target minutes, business hours?, target time, at-risk time left) per
    #: target, in metric order: what the engine reads.
    plan: tuple[tuple[Metric, int, bool, timedelta, timedelta], ...] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        who = f"Policy {self.name!r}"
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValueError("A policy needs a name.")
        targets: dict[Metric, Target] = {}
        for metric, target in self.targets.items():
            try:
                key = Metric(metric)
            except ValueError:
                raise ValueError(
                    f"{who} has a target for an unknown metric {metric!r}; metrics are: "
                    f"{', '.join(m.value for m in Metric)}."
                ) from None
            if not isinstance(target, Target):
                raise ValueError(f"{who} has a {key.value} target that is no Target.")
            targets[key] = target
        if not targets:
            raise ValueError(f"{who} has no targets; give it at least one.")
        object.__setattr__(
            self, "targets", dict(sorted(targets.items(), key=lambda kv: _METRIC_ORDER[kv[0]]))
        )
        if self.calendar is None and any(t.business for t in targets.values()):
            raise ValueError(f"{who} has business-hour targets but no calendar.")
        fraction = self.at_risk_fraction
        if isinstance(fraction, bool) or not isinstance(fraction, int | float):
            raise ValueError(f"{who} has an at-risk fraction {fraction!r} that is no number.")
        if not 0 <= fraction < 1 or math.isnan(fraction):
            raise ValueError(f"{who} has an at-risk fraction {fraction} outside 0 to 0.99.")
        minutes = self.at_risk_minutes
        if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes < 0:
            raise ValueError(f"{who} has at-risk minutes {minutes!r}; use a whole number >= 0.")
        object.__setattr__(
            self,
            "plan",
            tuple(
                (
                    metric,
                    target.minutes,
                    target.business,
                    timedelta(minutes=target.minutes),
                    timedelta(seconds=self.at_risk_seconds(target)),
                )
                for metric, target in self.targets.items()
            ),
        )

    def at_risk_seconds(self, target: Target) -> float:
        """Time left (seconds of the target's clock) from which the metric is at risk."""
        whole = target.minutes * 60.0
        return min(max(self.at_risk_fraction * whole, self.at_risk_minutes * 60.0), whole / 2)

    def matches(
        self,
        priority: Priority,
        tier: SupportTier | None,
        queue: str | None,
        channel: Channel,
    ) -> bool:
        return self.match.matches(priority, tier, queue, channel)


class Matchable(Protocol):
    """What a policy looks at in a case (:class:`csm_tui.domain.sla.CaseFacts` has it)."""

    @property
    def priority(self) -> Priority: ...
    @property
    def tier(self) -> SupportTier | None: ...
    @property
    def queue(self) -> str | None: ...
    @property
    def channel(self) -> Channel: ...


def first_matching(policies: Iterable[SlaPolicy], case: Matchable) -> SlaPolicy | None:
    """The policy with the lowest position whose conditions all match ``case``, or None."""
    for policy in sorted(policies, key=lambda p: p.position):
        if policy.match.matches(case.priority, case.tier, case.queue, case.channel):
            return policy
    return None


#: Who may change the SLA calendars and policies (``csm admin sla import``), and the
#: longest SLA file the server keeps (characters).
SLA_EDITOR_ROLES = frozenset({"lead", "admin"})
MAX_SLA_FILE = 200_000


def sla_change_refusal(role: str | None) -> str | None:
    """Why an agent of ``role`` may not change the SLA policies, or None when they may (the
    same sentence on the desk and on the case server)."""
    if role in SLA_EDITOR_ROLES:
        return None
    return "Only a team lead can change SLA policies."


def check_policies(
    calendars: Mapping[str, BusinessCalendar], policies: Iterable[SlaPolicy]
) -> None:
    """Raise a ValueError if a policy names a calendar that is not there, or names repeat."""
    seen: set[str] = set()
    for policy in policies:
        if policy.name in seen:
            raise ValueError(f"Two policies are named {policy.name!r}; names must be unique.")
        seen.add(policy.name)
        if policy.calendar is not None and policy.calendar not in calendars:
            known = ", ".join(sorted(calendars)) or "none"
            raise ValueError(
                f"Policy {policy.name!r} uses calendar {policy.calendar!r}, which is not "
                f"defined (defined: {known})."
            )


# -- defaults ---------------------------------------------------------------------------------


def _targets(hours: str, **minutes: int) -> dict[Metric, Target]:
    return {Metric(k): Target(v, business=hours == "business") for k, v in minutes.items()}


def default_policies() -> list[SlaPolicy]:
    """The policies the seed and a fresh server start with, in the order they apply.

    Urgent cases, fraud and platinum customers run on calendar hours (around the clock);
    everything else on the business hours of its queue's country.
    """
    P, T, C = Priority, SupportTier, Channel
    policies = [
        SlaPolicy(
            "Urgent",
            1,
            _targets(
                "calendar", first_reply=60, next_reply=120, periodic_update=240, resolution=1440
            ),
            SlaMatch(priority=frozenset({P.URGENT})),
        ),
        SlaPolicy(
            "Cards and fraud",
            2,
            _targets("calendar", first_reply=30, periodic_update=240, resolution=2880),
            SlaMatch(queue=frozenset({"cards-fraud"})),
            at_risk_minutes=15,
        ),
        SlaPolicy(
            "Platinum",
            3,
            _targets(
                "calendar",
                first_reply=120,
                next_reply=240,
                pausable_update=480,
                requester_wait=1440,
            ),
            SlaMatch(tier=frozenset({T.PLATINUM})),
        ),
        SlaPolicy(
            "Chat",
            4,
            _targets("business", first_reply=5, next_reply=5),
            SlaMatch(channel=frozenset({C.CHAT})),
            calendar="de-business",
            at_risk_minutes=2,
        ),
        SlaPolicy(
            "Billing UK",
            5,
            _targets("business", first_reply=480, next_reply=480, requester_wait=2400),
            SlaMatch(queue=frozenset({"billing-uk"})),
            calendar="uk-business",
        ),
        SlaPolicy(
            "Field service",
            6,
            _targets("business", first_reply=480, pausable_update=1440, agent_work=960),
            SlaMatch(queue=frozenset({"field-service"})),
            calendar="de-field-service",
        ),
        SlaPolicy(
            "High priority",
            7,
            _targets("business", first_reply=240, next_reply=480, periodic_update=960),
            SlaMatch(priority=frozenset({P.HIGH})),
            calendar="de-business",
        ),
        SlaPolicy(
            "Gold",
            8,
            _targets("business", first_reply=300, next_reply=600, requester_wait=2400),
            SlaMatch(tier=frozenset({T.GOLD})),
            calendar="de-business",
        ),
        SlaPolicy(
            "Standard",
            9,
            _targets("business", first_reply=600, next_reply=1200, resolution=6000),
            calendar="de-business",
        ),
    ]
    check_policies(default_calendars(), policies)
    return policies


# -- TOML -------------------------------------------------------------------------------------

_HEADER = """\
# SLA calendars and policies (csm admin sla import FILE).
#
# [[calendar]]: weekly opening hours in local time (several spans a day allowed, "24:00" ends
# a day), an IANA time zone (DST included) and holidays as local dates.
# [[policy]]: policies apply in the order written; the first whose conditions all match a
# case wins. A condition (priority, tier, queue, channel) lists the allowed values; leave it
# out for any. Targets are minutes of "business" hours (the policy's calendar) or "calendar"
# hours (around the clock). Metrics: first_reply, next_reply, periodic_update,
# pausable_update, requester_wait, agent_work, resolution.
"""

_CAL_KEYS = {"name", "timezone", "hours", "holidays"}
_POLICY_KEYS = {"name", "calendar", "at_risk_fraction", "at_risk_minutes", "match", "targets"}
_MATCH_KEYS = ("priority", "tier", "queue", "channel")


def _q(text: str) -> str:
    """A TOML basic string."""
    out = ['"']
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _list(values: Iterable[str]) -> str:
    return "[" + ", ".join(_q(v) for v in values) + "]"


def policies_to_toml(
    calendars: Mapping[str, BusinessCalendar] | Iterable[BusinessCalendar],
    policies: Iterable[SlaPolicy],
) -> str:
    """The TOML file for these calendars and policies (policies in position order)."""
    cals = list(calendars.values()) if isinstance(calendars, Mapping) else list(calendars)
    lines = [_HEADER]
    for cal in cals:
        lines += ["[[calendar]]", f"name = {_q(cal.name)}", f"timezone = {_q(cal.tz)}"]
        holidays = sorted(cal.holidays)
        if holidays:
            lines.append("holidays = [")
            for i in range(0, len(holidays), 6):
                lines.append("  " + ", ".join(d.isoformat() for d in holidays[i : i + 6]) + ",")
            lines.append("]")
        lines.append("[calendar.hours]")
        for day, spans in enumerate(cal.weekly):
            if spans:
                lines.append(f"{WEEKDAYS[day]} = {_list(format_span(s) for s in spans)}")
        lines.append("")
    for policy in sorted(policies, key=lambda p: p.position):
        lines += ["[[policy]]", f"name = {_q(policy.name)}"]
        if policy.calendar is not None:
            lines.append(f"calendar = {_q(policy.calendar)}")
        lines.append(f"at_risk_fraction = {policy.at_risk_fraction!r}")
        lines.append(f"at_risk_minutes = {policy.at_risk_minutes}")
        conditions = [(k, getattr(policy.match, k)) for k in _MATCH_KEYS]
        conditions = [(k, v) for k, v in conditions if v is not None]
        if conditions:
            lines.append("[policy.match]")
            for key, values in conditions:
                lines.append(f"{key} = {_list(sorted(str(v) for v in values))}")
        lines.append("[policy.targets]")
        for metric, target in policy.targets.items():
            hours = "business" if target.business else "calendar"
            lines.append(f"{metric.value} = {{ minutes = {target.minutes}, hours = {_q(hours)} }}")
        lines.append("")
    return "\n".join(lines)


def policies_from_toml(text: str) -> tuple[dict[str, BusinessCalendar], list[SlaPolicy]]:
    """Calendars (by name) and policies (positions 1, 2, ... in file order) from TOML text.

    Raises ValueError with one sentence for a file that is no TOML, an unknown key or
    metric, a bad time such as 25:00, hours that end before they start, an unknown time zone
    or a policy whose calendar is not defined in the file.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"The SLA file is not valid TOML ({exc}).") from None
    _no_other_keys(data, {"calendar", "policy", "escalation"}, "the SLA file")
    from csm_tui.domain.escalation import escalations_from_toml  # it needs Metric from here

    escalations_from_toml(text)  # the rules are part of the file: refused with it
    calendars: dict[str, BusinessCalendar] = {}
    for raw in _tables(data.get("calendar", []), "calendar"):
        cal = _calendar_from(raw)
        if cal.name in calendars:
            raise ValueError(f"Two calendars are named {cal.name!r}; names must be unique.")
        calendars[cal.name] = cal
    policies = [
        _policy_from(raw, position)
        for position, raw in enumerate(_tables(data.get("policy", []), "policy"), start=1)
    ]
    check_policies(calendars, policies)
    return calendars, policies


def _tables(value: object, what: str) -> list[dict[str, object]]:
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ValueError(f"Write each {what} as a [[{what}]] table.")
    return value


def _no_other_keys(table: Mapping[str, object], allowed: set[str], where: str) -> None:
    for key in table:
        if key not in allowed:
            raise ValueError(
                f"Unknown key {key!r} in {where}; expected: {', '.join(sorted(allowed))}."
            )


def _text(table: Mapping[str, object], key: str, where: str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{where} needs a {key} (a non-empty string).")
    return value


def _calendar_from(raw: dict[str, object]) -> BusinessCalendar:
    name = _text(raw, "name", "Each calendar")
    where = f"calendar {name!r}"
    _no_other_keys(raw, _CAL_KEYS, where)
    tz = _text(raw, "timezone", f"Calendar {name!r}")
    hours = raw.get("hours", {})
    if not isinstance(hours, dict):
        raise ValueError(f"Calendar {name!r} needs its hours as a [calendar.hours] table.")
    for day, spans in hours.items():
        if not isinstance(spans, list | str):
            raise ValueError(
                f"Calendar {name!r} on {day}: write the hours as a list such as "
                '["08:00-12:00", "13:00-17:00"].'
            )
    holidays = raw.get("holidays", [])
    if not isinstance(holidays, list):
        raise ValueError(f"Calendar {name!r} needs its holidays as a list of dates.")
    for day in holidays:
        if not isinstance(day, date):
            raise ValueError(
                f"Calendar {name!r} has a holiday {day!r} that is no date (write 2026-12-25)."
            )
    return BusinessCalendar(name, tz, hours, frozenset(holidays))


def _policy_from(raw: dict[str, object], position: int) -> SlaPolicy:
    name = _text(raw, "name", "Each policy")
    who = f"Policy {name!r}"
    _no_other_keys(raw, _POLICY_KEYS, f"policy {name!r}")
    calendar = raw.get("calendar")
    if calendar is not None and (not isinstance(calendar, str) or not calendar.strip()):
        raise ValueError(f"{who} names its calendar with {calendar!r}, which is no name.")
    match_raw = raw.get("match", {})
    if not isinstance(match_raw, dict):
        raise ValueError(f"{who} needs its conditions as a [policy.match] table.")
    _no_other_keys(match_raw, set(_MATCH_KEYS), f"the conditions of policy {name!r}")
    conditions: dict[str, frozenset[str] | None] = {}
    for key in _MATCH_KEYS:
        values = match_raw.get(key)
        if values is None:
            conditions[key] = None
            continue
        if isinstance(values, str):
            values = [values]
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise ValueError(f"{who} needs its {key} condition as a list of names.")
        conditions[key] = frozenset(values)
    try:
        match = SlaMatch(**conditions)  # type: ignore[arg-type]
    except ValueError as exc:
        raise ValueError(str(exc).replace("A policy", who, 1)) from None
    targets_raw = raw.get("targets", {})
    if not isinstance(targets_raw, dict):
        raise ValueError(f"{who} needs its targets as a [policy.targets] table.")
    targets: dict[str, Target] = {}
    for metric, spec in targets_raw.items():
        if metric not in _METRIC_ORDER:
            raise ValueError(
                f"{who} has a target for an unknown metric {metric!r}; metrics are: "
                f"{', '.join(m.value for m in Metric)}."
            )
        targets[metric] = _target_from(spec, f"{who}, {metric}")
    kwargs: dict[str, object] = {}
    for key in ("at_risk_fraction", "at_risk_minutes"):
        if key in raw:
            kwargs[key] = raw[key]
    return SlaPolicy(
        name,
        position,
        targets,  # type: ignore[arg-type]
        match,
        calendar,  # type: ignore[arg-type]
        **kwargs,  # type: ignore[arg-type]
    )


def _target_from(spec: object, where: str) -> Target:
    if isinstance(spec, int) and not isinstance(spec, bool):
        spec = {"minutes": spec}
    if not isinstance(spec, dict):
        raise ValueError(f'{where}: write the target as {{ minutes = 60, hours = "business" }}.')
    _no_other_keys(spec, {"minutes", "hours"}, where)
    hours = spec.get("hours", "business")
    if hours not in ("business", "calendar"):
        raise ValueError(f'{where}: hours must be "business" or "calendar", not {hours!r}.')
    minutes = spec.get("minutes")
    if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes <= 0:
        raise ValueError(f"{where}: minutes must be a whole number above 0, not {minutes!r}.")
    return Target(minutes, business=hours == "business")
