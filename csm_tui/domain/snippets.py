"""Text snippets (QuickText): short templates an agent drops into the composer.

A snippet has a shortcut (``greet``) typed as ``;greet`` and expanded with Tab, a title for
the fuzzy picker, and a body that is a template (:mod:`csm_tui.domain.templates`), rendered
with the case's merge fields at the moment it is inserted. Personal snippets belong to one
agent; shared ones to the whole desk. A personal snippet wins over a shared one with the
same shortcut. Several snippets go into one reply: each insertion lands at the cursor and
leaves the cursor at the snippet's ``{{ cursor }}`` mark (or after the inserted text).

Pure: no I/O. The fuzzy picker needs no library: a subsequence match (the letters of the
query in order, as fzf does) scored for consecutive letters and word starts suits a few
hundred short snippets, and edit-distance libraries such as rapidfuzz do not rank "as you
type" subsequences the way a picker should.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from csm_tui.domain.templates import MAX_TEMPLATE_CHARS, MergeContext, Rendered, check, render

SHORTCUT_PREFIX = ";"
MAX_SHORTCUT = 32
MAX_TITLE = 100
SCOPES = ("personal", "shared")
#: How much of a body the picker matches against (its start).
BODY_MATCH_CHARS = 120

Scope = Literal["personal", "shared"]

_SHORTCUT = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
# ";word" at the end of the text before the cursor, at the start of a word.
_TYPED = re.compile(r"(?<![^\s(\[{\"'«„“])" + re.escape(SHORTCUT_PREFIX) + r"([A-Za-z0-9][\w-]*)$")


@dataclass(frozen=True)
class Snippet:
    id: str
    shortcut: str
    title: str
    body: str
    scope: Scope = "personal"
    #: The agent a personal snippet belongs to (an agent id); None for shared ones.
    owner_id: str | None = None


def normalize_shortcut(shortcut: str) -> str:
    """``";Greet"`` -> ``"greet"``; raises ValueError (one sentence) if it is no shortcut."""
    word = shortcut.strip().removeprefix(SHORTCUT_PREFIX).lower()
    if not _SHORTCUT.fullmatch(word):
        raise ValueError(
            f"A shortcut is a word of up to {MAX_SHORTCUT} letters, digits, - or _ "
            f"(typed as {SHORTCUT_PREFIX}word); {shortcut[:40]!r} is not one."
        )
    return word


def check_snippet(snippet: Snippet) -> list[str]:
    """What is wrong with a snippet, as sentences (empty: fine)."""
    problems: list[str] = []
    try:
        normalize_shortcut(snippet.shortcut)
    except ValueError as err:
        problems.append(str(err))
    if not snippet.title.strip():
        problems.append("A snippet needs a title for the picker.")
    elif len(snippet.title) > MAX_TITLE:
        problems.append(f"A snippet title is at most {MAX_TITLE} characters long.")
    if snippet.scope not in SCOPES:
        problems.append(f"A snippet is personal or shared, not {snippet.scope!r}.")
    elif snippet.scope == "personal" and not snippet.owner_id:
        problems.append("A personal snippet needs the agent it belongs to.")
    if not snippet.body.strip():
        problems.append("A snippet needs some text.")
    elif len(snippet.body) > MAX_TEMPLATE_CHARS:
        problems.append(f"A snippet is at most {MAX_TEMPLATE_CHARS:,} characters long.")
    else:
        problems += check(snippet.body)
    return problems


def visible(snippets: Iterable[Snippet], agent_id: str | None) -> list[Snippet]:
    """The shared snippets and the agent's own personal ones."""
    return [s for s in snippets if s.scope == "shared" or (agent_id and s.owner_id == agent_id)]


def lookup(shortcut: str, snippets: Iterable[Snippet], agent_id: str | None) -> Snippet | None:
    """The snippet a shortcut stands for: the agent's own before a shared one."""
    word = shortcut.removeprefix(SHORTCUT_PREFIX).lower()
    found: Snippet | None = None
    for snippet in visible(snippets, agent_id):
        if snippet.shortcut.removeprefix(SHORTCUT_PREFIX).lower() != word:
            continue
        if snippet.scope == "personal":
            return snippet
        found = found or snippet
    return found


def find_shortcut(line_before_cursor: str) -> str | None:
    """The shortcut typed just before the cursor (``"Hi ;greet"`` -> ``"greet"``), or None.

    It must start a word (``a;b`` is no shortcut) and be a valid shortcut word."""
    typed = _TYPED.search(line_before_cursor)
    if typed is None:
        return None
    word = typed.group(1).lower()
    return word if _SHORTCUT.fullmatch(word) else None


@dataclass(frozen=True)
class Expansion:
    """The composer after a snippet went in: the whole ``text``, where typing continues
    (``cursor``), the span the snippet took (``start``..``end``) and how it rendered.

    When ``rendered.errors`` is not empty nothing was inserted (``text`` is as before);
    show ``rendered.problems``. Unknown fields are inserted as visible marks."""

    snippet: Snippet
    rendered: Rendered
    text: str
    cursor: int
    start: int
    end: int


def insert(text: str, cursor: int, snippet: Snippet, ctx: MergeContext) -> Expansion:
    """Insert a snippet (picked from the picker) at ``cursor`` of the composer's text."""
    return _place(text, cursor, cursor, snippet, ctx)


def expand(
    text: str,
    cursor: int,
    snippets: Iterable[Snippet],
    ctx: MergeContext,
    *,
    agent_id: str | None = None,
) -> Expansion | None:
    """Replace the ``;shortcut`` just before ``cursor`` with its snippet (Tab in the
    composer). None when no known shortcut is there (Tab then does what it always does)."""
    cursor = max(0, min(cursor, len(text)))
    line = text[:cursor].rsplit("\n", 1)[-1]
    word = find_shortcut(line)
    if word is None:
        return None
    snippet = lookup(word, snippets, agent_id)
    if snippet is None:
        return None
    start = cursor - len(SHORTCUT_PREFIX) - len(word)
    return _place(text, start, cursor, snippet, ctx)


def _place(text: str, start: int, end: int, snippet: Snippet, ctx: MergeContext) -> Expansion:
    start = max(0, min(start, len(text)))
    end = max(start, min(end, len(text)))
    rendered = render(snippet.body, ctx)
    if rendered.errors:
        return Expansion(snippet, rendered, text, end, end, end)
    new_text = text[:start] + rendered.text + text[end:]
    stop = start + len(rendered.text)
    at = start + rendered.cursor if rendered.cursor is not None else stop
    return Expansion(snippet, rendered, new_text, at, start, stop)


# -- the fuzzy picker ----------------------------------------------------------------------

_MATCH = 16
_CONSECUTIVE = 12
_WORD_START = 10
_GAP = 1
_FIELD_WEIGHTS = (3, 2, 1)  # shortcut, title, body start


def fold(text: str) -> str:
    """Lower case without accents, for matching (``Grüße`` -> ``grusse``)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def fuzzy_score(query: str, text: str) -> int | None:
    """How well ``query``'s letters match ``text`` in order (None: they do not).

    Each matched letter scores, more when it follows the previous match directly or
    starts a word; letters skipped between matches cost a little. Both are folded."""
    q, t = fold(query).replace(" ", ""), fold(text)
    if not q:
        return 0
    if len(q) > len(t):
        return None
    neg = -(10**9)
    starts = [j == 0 or not t[j - 1].isalnum() for j in range(len(t))]
    prev: list[int] = []
    for i, qc in enumerate(q):
        cur = [neg] * len(t)
        best_before = neg  # max over k < j - 1 of prev[k] + _GAP * k
        for j, tc in enumerate(t):
            if i > 0 and j >= 2 and prev[j - 2] > neg:
                best_before = max(best_before, prev[j - 2] + _GAP * (j - 2))
            if tc != qc:
                continue
            gain = _MATCH + (_WORD_START if starts[j] else 0)
            if i == 0:
                cur[j] = gain - _GAP * min(j, 8)
                continue
            options = []
            if j >= 1 and prev[j - 1] > neg:
                options.append(prev[j - 1] + _CONSECUTIVE)
            if best_before > neg:
                options.append(best_before - _GAP * (j - 1))
            if options:
                cur[j] = max(options) + gain
        prev = cur
    best = max(prev)
    return None if best <= neg else best


def _snippet_score(words: Sequence[str], snippet: Snippet) -> int | None:
    shortcut = snippet.shortcut.removeprefix(SHORTCUT_PREFIX)
    fields = (shortcut, snippet.title, snippet.body[:BODY_MATCH_CHARS])
    total = 0
    for word in words:
        scores = []
        for weight, value in zip(_FIELD_WEIGHTS, fields, strict=True):
            score = fuzzy_score(word, value)
            if score is not None:
                scores.append(weight * score)
        if not scores:
            return None
        total += max(scores)
    whole = fold(" ".join(words))
    if fold(shortcut) == whole:
        total += 1000
    elif fold(shortcut).startswith(whole):
        total += 200
    return total


def fuzzy_rank(
    query: str, snippets: Iterable[Snippet], *, limit: int | None = None
) -> list[Snippet]:
    """The snippets that match ``query`` (every word of it, in shortcut, title or the start
    of the body), best first; an exact shortcut comes first, then shortcut prefixes. An
    empty query lists them all by shortcut. Ties: personal before shared, then shortcut."""
    words = [w for w in query.removeprefix(SHORTCUT_PREFIX).split() if w]
    scored: list[tuple[int, int, str, str, Snippet]] = []
    for snippet in snippets:
        score = _snippet_score(words, snippet) if words else 0
        if score is None:
            continue
        tie = 0 if snippet.scope == "personal" else 1
        scored.append((-score, tie, fold(snippet.shortcut), snippet.id, snippet))
    scored.sort(key=lambda row: row[:4])
    ranked = [row[4] for row in scored]
    return ranked if limit is None else ranked[:limit]
