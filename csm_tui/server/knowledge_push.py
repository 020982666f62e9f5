"""Pushed mutations of knowledge articles: create, update and delete, with the roles of
``domain.knowledge``.

- create: anyone signed in may propose (state ``proposed``); only leads and admins may create
  an article already ``published`` (an agent's try is refused with the domain's sentence).
  The server makes the acting agent the author.
- update: leads and admins change any article, publishing included (``proposed`` ->
  ``published``); an agent changes only their own proposal and cannot publish it.
  Conflicts go field by field like any other entity; tags merge as sets.
- delete: leads and admins any article (a tombstone), an agent their own proposal.

Every value is checked before anything is written (``error`` means nothing applied). The
handlers build on ``server.push``'s checks and merge; ``push`` imports this module at its end
and this module registers its handlers there, so the push endpoint knows "article" whichever
module is imported first.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from csm_tui.domain import knowledge as rules
from csm_tui.domain.models import Agent, Article, Case, to_wire, utcnow
from csm_tui.server import mutations
from csm_tui.server import push as _push
from csm_tui.sync.wire import Mutation, MutationResult


def _slug(_session: Session, name: str, value: Any) -> Any:
    if not isinstance(value, str) or not rules.SLUG_PATTERN.match(value):
        raise _push._Refused(
            f"The field {name} is lower-case letters, digits and dashes, such as karte-sperren."
        )
    if len(value) > rules.MAX_SLUG:
        raise _push._Refused(f"The field {name} is longer than {rules.MAX_SLUG} characters.")
    return value


def _state(_session: Session, name: str, value: Any) -> Any:
    if value not in rules.STATES:
        allowed = " or ".join(rules.STATES)
        raise _push._Refused(f"The field {name} is {allowed}, not {str(value)[:40]!r}.")
    return value


def _article_tags(session: Session, name: str, value: Any) -> Any:
    tags = _push._tags(session, name, value)
    if len(tags) > rules.MAX_TAGS:
        raise _push._Refused(f"An article has at most {rules.MAX_TAGS} tags.")
    return tags


def _fields() -> dict[str, Any]:
    return {
        "slug": _slug,
        "title": _push._text(rules.MAX_TITLE, required=True),
        "body": _push._text(rules.MAX_BODY, required=True),
        "tags": _article_tags,
        "product": _push._text(rules.MAX_PRODUCT),
        "language": _push._language,
        "state": _state,
        "source_case_id": _push._reference(Case),
    }


def _role(agent: Agent) -> str:
    return str(_push._wire(agent.role))


def _refuse_if(reason: str | None) -> None:
    if reason is not None:
        raise _push._Refused(reason)


def _check_whole(values: dict[str, Any]) -> None:
    problems = rules.check_article(
        values.get("title"),
        values.get("body"),
        values.get("language"),
        values.get("tags") or [],
        values.get("product") or "",
    )
    _refuse_if(problems[0] if problems else None)


def create_article(session: Session, agent: Agent, mutation: Mutation) -> MutationResult:
    values = _push._validated(session, "article", _fields(), mutation.fields, create=True)
    missing = [name for name in ("title", "body") if name not in values]
    if missing:
        raise _push._Refused(f"A new article needs its {' and '.join(missing)}.")
    values.setdefault("state", rules.PROPOSED)
    values.setdefault("language", "en")
    values.setdefault("tags", [])
    values.setdefault("product", "")
    values.setdefault("slug", rules.slugify(values["title"], mutation.id[:8]))
    _refuse_if(rules.create_refusal(_role(agent), values["state"]))
    _check_whole(values)
    existing = session.get(Article, mutation.id)
    if existing is not None:
        return _push._same_create(mutation, existing, values, compare=("title",))
    now = utcnow().replace(microsecond=0)
    created = values.pop("created_at", now)
    row = Article(
        id=mutation.id, author_agent_id=agent.id, created_at=created, updated_at=now, **values
    )
    mutations.create(session, row, actor_agent_id=agent.id)
    return MutationResult(
        mid=mutation.mid, status="ok", version=row.version, applied=sorted(values)
    )


def update_article(session: Session, agent: Agent, mutation: Mutation) -> MutationResult:
    row = session.get(Article, mutation.id)
    if row is None:
        raise _push._Refused(f"There is no article with id {mutation.id}; it was deleted.")
    values = _push._validated(session, "article", _fields(), mutation.fields, create=False)
    _refuse_if(
        rules.change_refusal(
            _role(agent), agent.id, row.author_agent_id, row.state, values.get("state")
        )
    )
    merge = _push._merge(session, row, mutation, values)
    _check_whole({**to_wire(row), **merge.apply})
    return _push._apply(session, agent, Article, row, mutation, merge)


def delete_article(session: Session, agent: Agent, mutation: Mutation) -> MutationResult:
    row = session.get(Article, mutation.id)
    if row is None:  # already gone: deleting it again changes nothing
        return MutationResult(mid=mutation.mid, status="ok")
    _refuse_if(
        rules.change_refusal(_role(agent), agent.id, row.author_agent_id, row.state, delete=True)
    )
    mutations.delete(session, Article, mutation.id, actor_agent_id=agent.id)
    return MutationResult(mid=mutation.mid, status="ok")


HANDLERS = {
    ("article", "create"): create_article,
    ("article", "update"): update_article,
    ("article", "delete"): delete_article,
}
_push._HANDLERS.update(HANDLERS)
