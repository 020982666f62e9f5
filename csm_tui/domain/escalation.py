"""SLA escalation rules: what the case server does to a case that is at risk or has breached.

A rule names a trigger (``at_risk`` or ``breached``), optional conditions (metrics, queue
slugs, priorities) and its actions: raise the priority one step, move the case to a queue,
and/or notify the team leads. Rules live in the SLA file next to the calendars and policies,
as ``[[escalation]]`` tables (``csm admin sla import``); a file without any gets
:func:`default_escalations`, and ``escalation = []`` turns them all off.

The server performs each rule at most once per case, metric and cycle of that metric (the
cycle's start, which a priority change does not move, so a raised priority never cascades),
and writes what it did as an EVENT message on the case whose body starts with
:data:`ESCALATION_PREFIX`. It syncs like any other message, so every desk (the SLA panel's
list, the lead's toast) reads it from its own store.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from csm_tui.domain.enums import Priority
from csm_tui.domain.sla_policy import Metric

#: Body prefix of the EVENT message an escalation writes, e.g.
#: ``"SLA escalation: first reply breached; priority normal → high; team lead notified"``.
ESCALATION_PREFIX = "SLA escalation: "

#: The triggers a rule may name.
TRIGGERS = ("at_risk", "breached")

_RAISE = {
    Priority.LOW: Priority.NORMAL,
    Priority.NORMAL: Priority.HIGH,
    Priority.HIGH: Priority.URGENT,
    Priority.URGENT: Priority.URGENT,
}

_KEYS = {"name", "when", "metrics", "queues", "priorities", "raise_priority", "move_to_queue"}
_KEYS |= {"notify_lead"}


@dataclass(frozen=True)
class EscalationRule:
    """One rule; empty condition sets match anything."""

    name: str
    when: str  # "at_risk" | "breached"
    metrics: frozenset[Metric] = field(default_factory=frozenset)
    queues: frozenset[str] = field(default_factory=frozenset)
    priorities: frozenset[Priority] = field(default_factory=frozenset)
    raise_priority: bool = False
    move_to_queue: str | None = None
    notify_lead: bool = False

    def matches(self, metric: Metric, queue: str | None, priority: Priority) -> bool:
        return (
            (not self.metrics or metric in self.metrics)
            and (not self.queues or (queue is not None and queue in self.queues))
            and (not self.priorities or priority in self.priorities)
        )


@dataclass(frozen=True)
class Outcome:
    """What one rule does to one case: the fields to set and the event line to write."""

    fields: dict[str, str]
    line: str
    notify: bool


def default_escalations() -> list[EscalationRule]:
    """A breach raises the priority and tells the leads; an urgent case at risk tells them
    before it breaches."""
    return [
        EscalationRule("breach-raises-priority", "breached", raise_priority=True, notify_lead=True),
        EscalationRule(
            "urgent-at-risk-notifies",
            "at_risk",
            priorities=frozenset({Priority.URGENT}),
            notify_lead=True,
        ),
    ]


def outcome(
    rule: EscalationRule,
    metric: Metric,
    priority: Priority,
    queue: str | None,
    queue_names: Mapping[str, str] | None = None,
) -> Outcome | None:
    """What ``rule`` does to a case of ``priority`` in ``queue`` (slug) whose ``metric``
    triggered it; None when it would change nothing and notify nobody."""
    names = queue_names or {}
    fields: dict[str, str] = {}
    parts = [f"{metric.label.lower()} {'breached' if rule.when == 'breached' else 'at risk'}"]
    if rule.raise_priority and _RAISE[priority] is not priority:
        fields["priority"] = _RAISE[priority].value
        parts.append(f"priority {priority.value} → {_RAISE[priority].value}")
    if rule.move_to_queue and rule.move_to_queue != queue:
        fields["queue"] = rule.move_to_queue
        old = names.get(queue or "", queue or "(none)")
        parts.append(f"queue {old} → {names.get(rule.move_to_queue, rule.move_to_queue)}")
    if rule.notify_lead:
        parts.append("team lead notified")
    if not fields and not rule.notify_lead:
        return None
    line = ESCALATION_PREFIX + "; ".join(parts) + f" (rule {rule.name})"
    return Outcome(fields, line, rule.notify_lead)


def escalations_from_toml(text: str) -> list[EscalationRule]:
    """The ``[[escalation]]`` tables of an SLA file; :func:`default_escalations` when it has
    none (``escalation = []``: none). Raises ValueError with one sentence."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"The SLA file is not valid TOML ({exc}).") from None
    if "escalation" not in data:
        return default_escalations()
    raw = data["escalation"]
    if not isinstance(raw, list) or not all(isinstance(r, dict) for r in raw):
        raise ValueError("Write each escalation rule as an [[escalation]] table.")
    rules = [_rule(r, i) for i, r in enumerate(raw, start=1)]
    names = [r.name for r in rules]
    for name in names:
        if names.count(name) > 1:
            raise ValueError(f"Two escalation rules are named {name!r}; names must be unique.")
    return rules


def _rule(raw: Mapping[str, object], position: int) -> EscalationRule:
    where = f"escalation rule {position}"
    for key in raw:
        if key not in _KEYS:
            raise ValueError(
                f"Unknown key {key!r} in {where}; expected: {', '.join(sorted(_KEYS))}."
            )
    name = raw.get("name", f"rule-{position}")
    if not isinstance(name, str) or not name.strip() or len(name) > 64:
        raise ValueError(f"The name of {where} must be a short text.")
    when = raw.get("when")
    if when not in TRIGGERS:
        raise ValueError(f"In {where}, when must be one of {', '.join(TRIGGERS)}.")
    metrics = _names(raw.get("metrics", []), where, "metrics", {m.value for m in Metric})
    priorities = _names(raw.get("priorities", []), where, "priorities", {p.value for p in Priority})
    queues = _names(raw.get("queues", []), where, "queues", None)
    flags = {}
    for key in ("raise_priority", "notify_lead"):
        value = raw.get(key, False)
        if not isinstance(value, bool):
            raise ValueError(f"In {where}, {key} must be true or false.")
        flags[key] = value
    move = raw.get("move_to_queue")
    if move is not None and (not isinstance(move, str) or not move.strip()):
        raise ValueError(f"In {where}, move_to_queue must be a queue's slug.")
    if not (flags["raise_priority"] or flags["notify_lead"] or move):
        raise ValueError(
            f"{where.capitalize()} does nothing; give it raise_priority, move_to_queue "
            "or notify_lead."
        )
    return EscalationRule(
        name.strip(),
        str(when),
        frozenset(Metric(m) for m in metrics),
        frozenset(queues),
        frozenset(Priority(p) for p in priorities),
        flags["raise_priority"],
        move.strip() if isinstance(move, str) else None,
        flags["notify_lead"],
    )


def _names(value: object, where: str, key: str, allowed: set[str] | None) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"In {where}, {key} must be a list of names.")
    if allowed is not None:
        for v in value:
            if v not in allowed:
                raise ValueError(
                    f"In {where}, {v!r} is not one of the {key}: {', '.join(sorted(allowed))}."
                )
    return list(value)


def escalations_to_toml(rules: Iterable[EscalationRule]) -> str:
    """The ``[[escalation]]`` tables of ``rules``, to append to an SLA file."""
    out = [
        "# Escalation rules: what the case server does when a case is at risk or breached.",
        "# Each rule acts once per case, metric and cycle; `escalation = []` turns them off.",
    ]
    for rule in rules:
        out += ["", "[[escalation]]", f"name = {_q(rule.name)}", f"when = {_q(rule.when)}"]
        if rule.metrics:
            out.append(f"metrics = {_q(sorted(m.value for m in rule.metrics))}")
        if rule.queues:
            out.append(f"queues = {_q(sorted(rule.queues))}")
        if rule.priorities:
            out.append(f"priorities = {_q(sorted(p.value for p in rule.priorities))}")
        if rule.raise_priority:
            out.append("raise_priority = true")
        if rule.move_to_queue:
            out.append(f"move_to_queue = {_q(rule.move_to_queue)}")
        if rule.notify_lead:
            out.append("notify_lead = true")
    return "\n".join(out) + "\n"


def _q(value: object) -> str:
    """A TOML string or list of strings (JSON's escapes are TOML's)."""
    return json.dumps(value, ensure_ascii=False)


__all__ = [
    "ESCALATION_PREFIX",
    "TRIGGERS",
    "EscalationRule",
    "Outcome",
    "default_escalations",
    "escalations_from_toml",
    "escalations_to_toml",
    "outcome",
]
