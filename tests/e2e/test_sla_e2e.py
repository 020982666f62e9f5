"""SLA policies end to end, on a real case server (child process) and the real ``csm`` command.

A team lead exports the seeded policies with ``csm admin sla export``, changes a target and
brings the file back with ``csm admin sla import``; an agent's desk syncs and computes with
the new target. An agent's import is refused with one sentence and a non-zero exit, and so
is a broken file.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from csm_tui.desk import Desk
from csm_tui.domain.models import SLA_CONFIG_ID
from csm_tui.domain.sla import Metric, SlaPolicy, Target, policies_from_toml, policies_to_toml
from csm_tui.sync.client import CaseServerClient
from tests.e2e.conftest import Csm, LiveServer

pytestmark = pytest.mark.e2e

LEAD = "katrin.hoffmann"  # a team lead of the seed
LEADS_ONLY = "Only a team lead can change SLA policies."


def other_home(csm: Csm, tmp_path: Path, name: str) -> Csm:
    """A second ``csm`` user on this machine: its own home, config and keyring."""
    env = {
        **csm.env,
        "CSM_HOME": str(tmp_path / name / "home"),
        "XDG_DATA_HOME": str(tmp_path / name / "xdg-data"),
        "XDG_CONFIG_HOME": str(tmp_path / name / "xdg-config"),
    }
    return Csm(tmp_path / name / "home", env)


def with_standard_first_reply(text: str, minutes: int) -> str:
    calendars, policies = policies_from_toml(text)
    changed = []
    for p in policies:
        if p.name == "Standard":
            targets = {**p.targets, Metric.FIRST_REPLY: Target(minutes, business=False)}
            p = dataclasses.replace(p, targets=targets)
        changed.append(p)
    return policies_to_toml(calendars, changed)


def standard(desk: Desk) -> SlaPolicy:
    return next(p for p in desk.sla_book().policies if p.name == "Standard")


def test_a_lead_imports_sla_policies_and_every_desk_computes_with_them(
    csm: Csm, live_server: LiveServer, tmp_path: Path
) -> None:
    lead_token = csm(
        "server", "issue-token", "--db", live_server.db_url, "--handle", LEAD, check=True
    ).stdout.strip()
    csm("login", "--server", live_server.url, "--token", lead_token, check=True)

    # An agent's desk (in this process) starts with the seeded default policies.
    agent = Desk.open(
        tmp_path / "agent.sqlite3", client=CaseServerClient(live_server.url, live_server.token)
    )
    try:
        agent.sync()
        assert agent.sla_synced()
        assert standard(agent).targets[Metric.FIRST_REPLY] == Target(600, business=True)

        exported = tmp_path / "sla.toml"
        done = csm("admin", "sla", "export", str(exported), check=True)
        assert done.stdout.strip() == (
            f"Exported 9 SLA policies and 4 calendars to {exported} "
            "(the defaults: no SLA policies synced yet)."
        )
        csm("sync", "-q", check=True)
        done = csm("admin", "sla", "export", str(exported), check=True)
        assert done.stdout.strip() == f"Exported 9 SLA policies and 4 calendars to {exported}."
        ((seeded, version),) = live_server.query(
            "SELECT toml, version FROM sla_config WHERE id = ?", SLA_CONFIG_ID
        )
        assert exported.read_text(encoding="utf-8") == seeded and version == 1

        changed = with_standard_first_reply(seeded, 45)
        exported.write_text(changed, encoding="utf-8")
        done = csm("admin", "sla", "import", str(exported), "-q", check=True)
        assert done.stdout.strip() == f"Imported 9 SLA policies and 4 calendars from {exported}."
        assert live_server.query("SELECT toml, version FROM sla_config") == [(changed, 2)]
        again = csm("admin", "sla", "import", str(exported), "-q", check=True)
        assert again.stdout.strip() == f"The SLA policies already are those of {exported}."

        # The agent's desk pulls them and computes with the new target.
        agent.sync()
        assert standard(agent).targets[Metric.FIRST_REPLY] == Target(45, business=False)
        rows = agent.reader._all("SELECT id FROM \"case\" WHERE status = 'new' ORDER BY number")
        facts = agent.sla_facts([r[0] for r in rows])
        standard_cases = [
            i for i, f in facts.items() if agent.sla_book().policy_for(f) is standard(agent)
        ]
        assert standard_cases, "the seed has a new case under the Standard policy"
        case_id = standard_cases[0]
        watch = agent.sla_watch([case_id], datetime(2030, 1, 1))[case_id]
        assert watch is not None and watch.metric is Metric.FIRST_REPLY
        started = facts[case_id].messages[0][0] if facts[case_id].messages else None
        assert watch.due_at == (started or facts[case_id].created_at) + timedelta(minutes=45)
        assert agent.sla_data_age(agent.now()) == "SLA from data synced just now"
    finally:
        agent.close()

    # An agent may not, and says so in one sentence.
    other = other_home(csm, tmp_path, "agent")
    other("login", "--server", live_server.url, "--token", live_server.token, check=True)
    refused = other("admin", "sla", "import", str(exported), "-q")
    assert refused.returncode == 1
    assert refused.stderr.strip() == f"csm: {LEADS_ONLY}"
    assert live_server.query("SELECT version FROM sla_config") == [(2,)]

    # A broken file: one sentence, a non-zero exit, nothing sent.
    bad = tmp_path / "bad.toml"
    bad.write_text(changed.replace('calendar = "uk-business"', 'calendar = "uk"', 1), "utf-8")
    failed = csm("admin", "sla", "import", str(bad))
    assert failed.returncode == 1
    assert failed.stderr.strip() == (
        f"csm: {bad}: Policy 'Billing UK' uses calendar 'uk', which is not defined "
        "(defined: 24x7, de-business, de-field-service, uk-business)."
    )
    assert len(failed.stderr.strip().splitlines()) == 1
    broken = tmp_path / "broken.toml"
    broken.write_text("[[policy]\n", "utf-8")
    failed = csm("admin", "sla", "import", str(broken))
    assert failed.returncode == 1
    assert failed.stderr.startswith(f"csm: {broken}: The SLA file is not valid TOML (")
    assert len(failed.stderr.strip().splitlines()) == 1
    assert live_server.query("SELECT version FROM sla_config") == [(2,)]
