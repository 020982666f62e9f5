"""The search box: parse what the agent types into field filters and free words.

Pure: no I/O, no SQL. :func:`parse_search` never raises; anything it cannot read as a filter
becomes a plain word (or is dropped when it holds no letter or digit), and an unknown value of
a known field is kept (it then matches nothing) and explained in ``SearchQuery.problems``.

Syntax (words are separated by spaces; fields and values are case-insensitive)::

    refund card           free words: every word must match (number, subject, customer,
                          message text); the last word matches as a prefix (search as you type)
    "card blocked"        a phrase (an unclosed quote runs to the end of the text)
    -word / -"a phrase"   cases that do not contain it
    status:open           status: new, open, pending, on_hold (on-hold, hold), solved, closed
    status:new,open       a comma list means any of them; so does repeating the field
    is:open               the same as status:open; also is:unassigned, is:assigned, is:mine
    prio:urgent           priority: (or prio:) low, normal, high, urgent
    channel:phone         email, phone, chat, sms, web, social
    queue:billing         a queue by slug, or a fragment of its slug or name
    @me  @anna.schmidt    assigned to me / to an agent (by handle); assignee:anna.schmidt too
    assignee:none         no assignee (also is:unassigned, @none); assignee:any = has one
    #refund               has the tag; -#refund has not
    -status:closed        any field filter negated with a leading minus
    updated:today         changed since: today, yesterday, 7d, 24h, or a date 2026-11-20

A value that is the unambiguous start of a known value counts as that value (``prio:u`` is
urgent, ``status:o`` is open or on hold), so the results follow the typing. Several filters of
different fields all apply (AND); values of the same field are alternatives (OR). For the same
reason a field on its way is pending, not a word: ``status:`` with no value yet, and a last
``-s`` ... ``-status`` with no space after it (``-stat `` with a space excludes the word).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

#: The longest search text read; the rest is ignored (and reported).
MAX_SEARCH_CHARS = 1000
#: At most this many free words and phrases (included and excluded) go to the index.
MAX_TERMS = 16

STATUSES = ("new", "open", "pending", "on_hold", "solved", "closed")
PRIORITIES = ("low", "normal", "high", "urgent")
CHANNELS = ("email", "phone", "chat", "sms", "web", "social")

_STATUS_ALIASES = {"on-hold": "on_hold", "onhold": "on_hold", "hold": "on_hold"}
_PRIORITY_ALIASES = {"1": "urgent", "2": "high", "3": "normal", "4": "low"}
_FIELD_NAMES = {
    "status": "status",
    "state": "status",
    "is": "is",
    "prio": "priority",
    "priority": "priority",
    "channel": "channel",
    "queue": "queue",
    "q": "queue",
    "assignee": "assignee",
    "assigned": "assignee",
    "owner": "assignee",
    "tag": "tag",
    "tags": "tag",
    "updated": "updated",
}
_UPDATED_WORDS = ("today", "yesterday")
_RELATIVE = re.compile(r"^(\d{1,4})([dhw])$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# C0 (except tab and newline, which are spaces here anyway), DEL and C1 control characters.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class SearchQuery:
    """What a search text asks for. Every tuple is a filter; empty means no filter."""

    text_terms: tuple[str, ...] = ()
    """Free words and phrases (a phrase is one term with spaces), in typed order."""
    statuses: tuple[str, ...] = ()
    priorities: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    queues: tuple[str, ...] = ()
    """Queue slugs or fragments of a slug or name (lower case)."""
    assignees: tuple[str, ...] = ()
    """Agent handles (lower case); ``"me"`` is the signed-in agent."""
    unassigned: bool | None = None
    """True: no assignee; False: has one; None: either."""
    tags: tuple[str, ...] = ()
    without_tags: tuple[str, ...] = ()
    not_text_terms: tuple[str, ...] = ()
    not_statuses: tuple[str, ...] = ()
    not_priorities: tuple[str, ...] = ()
    not_channels: tuple[str, ...] = ()
    not_queues: tuple[str, ...] = ()
    not_assignees: tuple[str, ...] = ()
    updated_since: str | None = None
    """"today", "yesterday", "<n>d", "<n>h", "<n>w" or "YYYY-MM-DD" (unknown values are
    kept and reported)."""
    problems: tuple[str, ...] = field(default=(), compare=False)
    """One sentence per part of the text that was not understood."""

    @property
    def is_empty(self) -> bool:
        """True when the query filters nothing (the problems aside)."""
        return self == SearchQuery()

    @property
    def uses_me(self) -> bool:
        return "me" in self.assignees or "me" in self.not_assignees


def clean_text(text: str) -> str:
    """The search text without control characters, cut to :data:`MAX_SEARCH_CHARS`."""
    return _CONTROL.sub(" ", text)[:MAX_SEARCH_CHARS]


def _has_word(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


def _tokens(text: str) -> list[tuple[str, bool]]:
    """Split into (token, quoted) pairs. ``field:"a b"`` and ``-"a b"`` stay one token
    (the quotes removed); an unclosed quote runs to the end."""
    out: list[tuple[str, bool]] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        start = i
        prefix = ""
        # A prefix glued to an opening quote: -"..." or field:"..."
        while i < n and not text[i].isspace() and text[i] != '"':
            i += 1
        prefix = text[start:i]
        if i < n and text[i] == '"' and (prefix == "" or prefix == "-" or prefix.endswith(":")):
            end = text.find('"', i + 1)
            if end < 0:
                end = n
            out.append((prefix + text[i + 1 : end], True))
            i = end + 1
            continue
        # An ordinary word; a quote inside it is just a character.
        while i < n and not text[i].isspace():
            i += 1
        out.append((text[start:i], False))
    return out


def _match_values(
    value: str, vocab: tuple[str, ...], aliases: dict[str, str]
) -> tuple[list[str], bool]:
    """(values, known): exact, alias, or every value the text is the start of."""
    value = aliases.get(value, value)
    if value in vocab:
        return [value], True
    starts = [v for v in vocab if v.startswith(value)]
    if starts:
        return starts, True
    return [value], False


def _vocab_problem(name: str, value: str, vocab: tuple[str, ...]) -> str:
    shown = value if len(value) <= 40 else value[:40] + "…"
    return f"'{shown}' is not a {name}; use one of {', '.join(vocab)}."


def _field_being_typed(body: str) -> bool:
    """Is ``body`` (no colon yet) the start of a field name?"""
    lowered = body.lower()
    return ":" not in body and any(name.startswith(lowered) for name in _FIELD_NAMES)


def parse_search(text: str) -> SearchQuery:
    """Read a search text (see the module doc for the syntax). Never raises."""
    try:
        return _parse(text)
    except Exception:  # pragma: no cover - a last line of defence for the UI
        words = tuple(w for w in clean_text(str(text)).split() if _has_word(w))[:MAX_TERMS]
        return SearchQuery(text_terms=words)


def _parse(text: str) -> SearchQuery:
    if not isinstance(text, str):
        text = str(text)
    problems: list[str] = []
    if len(text) > MAX_SEARCH_CHARS:
        problems.append(f"Only the first {MAX_SEARCH_CHARS:,} characters of the search are used.")
    # The last token is still being typed unless a space follows it.
    typing = bool(text) and not text[-1].isspace()
    text = clean_text(text)
    acc: dict[str, list[str]] = {
        name: []
        for name in (
            "text_terms",
            "statuses",
            "priorities",
            "channels",
            "queues",
            "assignees",
            "tags",
            "without_tags",
            "not_text_terms",
            "not_statuses",
            "not_priorities",
            "not_channels",
            "not_queues",
            "not_assignees",
        )
    }
    unassigned: bool | None = None
    updated: str | None = None

    def add(name: str, values: list[str]) -> None:
        for v in values:
            if v not in acc[name]:
                acc[name].append(v)

    def vocab_field(
        name: str, kind: str, raw: str, vocab: tuple[str, ...], aliases: dict[str, str], neg: bool
    ) -> None:
        for part in raw.split(","):
            part = part.strip()
            if not part:
                continue
            values, known = _match_values(part, vocab, aliases)
            if not known:
                problems.append(_vocab_problem(kind, part, vocab))
            add(("not_" if neg else "") + name, values)

    tokens = list(_tokens(text))
    for at, (token, quoted) in enumerate(tokens):
        neg = token.startswith("-") and len(token) > 1
        body = token[1:] if neg else token
        if neg and not quoted and typing and at == len(tokens) - 1 and _field_being_typed(body):
            # "-s", "-stat", "-status" on the way to "-status:closed": pending, like
            # "status:" (as a negated word it would exclude most cases, slowly, for a moment)
            continue
        # Tags and assignees by sigil.
        if body.startswith("#") and not quoted:
            tag = body[1:].strip().lower()
            if tag and _has_word(tag):
                add("without_tags" if neg else "tags", [tag])
            continue
        if body.startswith("@") and not quoted:
            handle = body[1:].strip().lower()
            if not handle:
                continue
            if handle in ("none", "nobody"):
                unassigned = not neg
            else:
                add("not_assignees" if neg else "assignees", [handle])
            continue
        name, colon, raw = body.partition(":")
        kind = _FIELD_NAMES.get(name.lower()) if colon else None
        if kind is None:
            term = body.strip()
            if term and _has_word(term):
                add("not_text_terms" if neg else "text_terms", [term])
            continue
        raw = raw.strip().lower()
        if not raw:
            continue  # "status:" while typing
        if kind == "status":
            vocab_field("statuses", "status", raw, STATUSES, _STATUS_ALIASES, neg)
        elif kind == "priority":
            vocab_field("priorities", "priority", raw, PRIORITIES, _PRIORITY_ALIASES, neg)
        elif kind == "channel":
            vocab_field("channels", "channel", raw, CHANNELS, {}, neg)
        elif kind == "queue":
            add("not_queues" if neg else "queues", [p.strip() for p in raw.split(",") if p.strip()])
        elif kind == "tag":
            tags = [p.strip() for p in raw.split(",") if _has_word(p)]
            add("without_tags" if neg else "tags", tags)
        elif kind == "assignee":
            for part in (p.strip().lstrip("@") for p in raw.split(",")):
                if not part:
                    continue
                if part in ("none", "nobody", "unassigned"):
                    unassigned = not neg
                elif part in ("any", "anyone", "assigned"):
                    unassigned = neg
                else:
                    add("not_assignees" if neg else "assignees", [part])
        elif kind == "is":
            for part in (p.strip() for p in raw.split(",")):
                if not part:
                    continue
                if part in ("unassigned", "unowned"):
                    unassigned = not neg
                elif part in ("assigned", "owned"):
                    unassigned = neg
                elif part in ("mine", "me"):
                    add("not_assignees" if neg else "assignees", ["me"])
                else:
                    values, known = _match_values(part, STATUSES, _STATUS_ALIASES)
                    if not known:
                        problems.append(
                            f"'is:{part[:40]}' is not known; use is:unassigned, is:assigned, "
                            f"is:mine or a status ({', '.join(STATUSES)})."
                        )
                    add("not_statuses" if neg else "statuses", values)
        elif kind == "updated":
            if neg:
                problems.append("'-updated:' is not supported; use updated: without a minus.")
            elif raw in _UPDATED_WORDS or _RELATIVE.match(raw) or _DATE.match(raw):
                updated = raw
            elif any(w.startswith(raw) for w in _UPDATED_WORDS):
                updated = next(w for w in _UPDATED_WORDS if w.startswith(raw))
            else:
                updated = raw
                problems.append(
                    f"'updated:{raw[:40]}' is not a time; use today, yesterday, 7d, 24h "
                    "or a date like 2026-11-20."
                )
    terms = acc["text_terms"]
    not_terms = acc["not_text_terms"]
    if len(terms) + len(not_terms) > MAX_TERMS:
        problems.append(f"Only the first {MAX_TERMS} words of the search are used.")
        terms = terms[:MAX_TERMS]
        not_terms = not_terms[: max(0, MAX_TERMS - len(terms))]
    query = SearchQuery(
        **{k: tuple(v) for k, v in acc.items() if k not in ("text_terms", "not_text_terms")},
        text_terms=tuple(terms),
        not_text_terms=tuple(not_terms),
        unassigned=unassigned,
        updated_since=updated,
    )
    return replace(query, problems=tuple(dict.fromkeys(problems)))


def fts_match(terms: tuple[str, ...] | list[str], *, prefix_last: bool = True) -> str | None:
    """An FTS5 MATCH expression made only of double-quoted strings (each ``"`` doubled), all
    of which must match; the last one is a prefix (``"tok"*``) unless ``prefix_last`` is
    False. None when no term holds a letter or digit (nothing to search for).

    Quoted strings are never read as FTS5 syntax: ``NEAR(``, ``OR``, ``*`` or ``col:`` inside
    one are just text, which the tokenizer splits into words (a phrase when several).
    """
    parts = [clean_text(str(t)) for t in terms]
    parts = [t for t in parts if _has_word(t)]
    if not parts:
        return None
    quoted = ['"' + t.replace('"', '""') + '"' for t in parts]
    if prefix_last:
        quoted[-1] += "*"
    return " ".join(quoted)
