"""The closed vocabularies of the domain: statuses, priorities, channels, roles, tiers, tasks."""

from __future__ import annotations

from enum import StrEnum


class CaseStatus(StrEnum):
    NEW = "new"
    OPEN = "open"
    PENDING = "pending"
    ON_HOLD = "on_hold"
    SOLVED = "solved"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"

    @property
    def rank(self) -> int:
        """Higher is more pressing; used for sorting."""
        return _PRIORITY_RANK[self]


_PRIORITY_RANK = {Priority.LOW: 1, Priority.NORMAL: 2, Priority.HIGH: 3, Priority.URGENT: 4}


class Channel(StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    CHAT = "chat"
    SMS = "sms"
    WEB = "web"
    SOCIAL = "social"


class MessageKind(StrEnum):
    CUSTOMER = "customer"  # written by the customer, on any channel
    PUBLIC = "public"  # an agent's reply the customer sees
    INTERNAL = "internal"  # an agent's note the customer never sees
    EVENT = "event"  # a system event (status change, assignment, ...)


class AgentRole(StrEnum):
    AGENT = "agent"
    LEAD = "lead"
    ADMIN = "admin"


class SupportTier(StrEnum):
    STANDARD = "standard"
    GOLD = "gold"
    PLATINUM = "platinum"


class TaskState(StrEnum):
    """Where a task for another team stands; only open tasks are still to do."""

    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class TaskTeam(StrEnum):
    """The middle- and back-office teams that take tasks from a case without owning it."""

    FRAUD = "fraud"
    BILLING = "billing"
    FIELD_SERVICE = "field_service"

    @property
    def label(self) -> str:
        return _TEAM_LABELS[self]


_TEAM_LABELS = {
    TaskTeam.FRAUD: "Fraud",
    TaskTeam.BILLING: "Billing",
    TaskTeam.FIELD_SERVICE: "Field service",
}
