"""SLA escalation rules: what the server does to a case that is at risk or has breached.

Only the shared vocabulary lives here so far: the server writes every escalation it performs
as an EVENT message on the case whose body starts with :data:`ESCALATION_PREFIX`, so it syncs
like any other message and every desk (the SLA panel's list, the lead's toast) reads it from
its own store.
"""

from __future__ import annotations

#: Body prefix of the EVENT message an escalation writes, e.g.
#: ``"SLA escalation: first reply breached; priority normal → high"``.
ESCALATION_PREFIX = "SLA escalation: "
