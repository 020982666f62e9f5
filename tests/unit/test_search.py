"""The search box syntax (csm_tui.domain.search): every field, negation, quoting, hostile
input, and the FTS5 expression, which must never carry raw query syntax."""

from __future__ import annotations

import re
import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from csm_tui.domain.search import (
    MAX_SEARCH_CHARS,
    MAX_TERMS,
    SearchQuery,
    fts_match,
    parse_search,
)


def test_empty_and_blank_search_filter_nothing() -> None:
    for text in ("", "   ", "\t\n"):
        q = parse_search(text)
        assert q.is_empty and q.problems == ()
    assert fts_match(()) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("status:open", {"statuses": ("open",)}),
        ("status:new,open", {"statuses": ("new", "open")}),
        ("status:new status:open", {"statuses": ("new", "open")}),
        ("STATUS:Open", {"statuses": ("open",)}),
        ("is:pending", {"statuses": ("pending",)}),
        ("status:on-hold", {"statuses": ("on_hold",)}),
        ("status:o", {"statuses": ("open", "on_hold")}),  # typing: the values it starts
        ("prio:urgent", {"priorities": ("urgent",)}),
        ("priority:high,urgent", {"priorities": ("high", "urgent")}),
        ("prio:u", {"priorities": ("urgent",)}),
        ("channel:phone", {"channels": ("phone",)}),
        ("queue:billing", {"queues": ("billing",)}),
        ("queue:Bill", {"queues": ("bill",)}),
        ('queue:"cards & fraud"', {"queues": ("cards & fraud",)}),
        ("@me", {"assignees": ("me",)}),
        ("is:mine", {"assignees": ("me",)}),
        ("@anna.schmidt", {"assignees": ("anna.schmidt",)}),
        ("assignee:Ben", {"assignees": ("ben",)}),
        ("assignee:none", {"unassigned": True}),
        ("is:unassigned", {"unassigned": True}),
        ("@none", {"unassigned": True}),
        ("is:assigned", {"unassigned": False}),
        ("assignee:any", {"unassigned": False}),
        ("#refund", {"tags": ("refund",)}),
        ("#VIP tag:refund", {"tags": ("vip", "refund")}),
        ("-#spam", {"without_tags": ("spam",)}),
        ("-status:closed", {"not_statuses": ("closed",)}),
        ("-status:solved,closed", {"not_statuses": ("solved", "closed")}),
        ("-prio:low", {"not_priorities": ("low",)}),
        ("-channel:sms", {"not_channels": ("sms",)}),
        ("-queue:spam", {"not_queues": ("spam",)}),
        ("-@me", {"not_assignees": ("me",)}),
        ("-is:unassigned", {"unassigned": False}),
        ("updated:today", {"updated_since": "today"}),
        ("updated:tod", {"updated_since": "today"}),
        ("updated:7d", {"updated_since": "7d"}),
        ("updated:2026-11-20", {"updated_since": "2026-11-20"}),
        ("refund card", {"text_terms": ("refund", "card")}),
        ('"card blocked" spain', {"text_terms": ("card blocked", "spain")}),
        ('"card blocked', {"text_terms": ("card blocked",)}),  # unclosed: to the end
        ("-spam", {"not_text_terms": ("spam",)}),
        ('-"out of office"', {"not_text_terms": ("out of office",)}),
        ("foo:bar", {"text_terms": ("foo:bar",)}),  # not a field: a word
        ("status:", {}),  # a field still being typed
        ("# @ -", {}),
    ],
)
def test_each_field(text: str, expected: dict[str, object]) -> None:
    q = parse_search(text)
    assert q.problems == ()
    assert q == SearchQuery(**expected)  # type: ignore[arg-type]


def test_fields_and_words_together() -> None:
    q = parse_search('status:open prio:urgent queue:billing @me #refund "card blocked" late')
    assert q.statuses == ("open",) and q.priorities == ("urgent",)
    assert q.queues == ("billing",) and q.assignees == ("me",) and q.tags == ("refund",)
    assert q.text_terms == ("card blocked", "late")
    assert q.uses_me and not q.is_empty


@pytest.mark.parametrize(
    ("text", "kept", "sentence"),
    [
        ("status:bogus", {"statuses": ("bogus",)}, "'bogus' is not a status; use one of new,"),
        ("prio:soon", {"priorities": ("soon",)}, "'soon' is not a priority; use one of low,"),
        ("channel:fax", {"channels": ("fax",)}, "'fax' is not a channel; use one of email,"),
        ("is:weird", {"statuses": ("weird",)}, "'is:weird' is not known; use is:unassigned"),
        ("updated:never", {"updated_since": "never"}, "'updated:never' is not a time; use today"),
    ],
)
def test_an_unknown_value_of_a_known_field_is_kept_and_explained(
    text: str, kept: dict[str, object], sentence: str
) -> None:
    q = parse_search(text)
    assert q == SearchQuery(**kept)  # type: ignore[arg-type]
    assert len(q.problems) == 1 and q.problems[0].startswith(sentence)
    assert q.problems[0].endswith(".")


HOSTILE = [
    '"',
    '""',
    '"""',
    "*",
    "**",
    "a*",
    "NEAR(",
    "NEAR(a b",
    "NEAR(a b, 2)",
    "(",
    ")",
    "((a)",
    "a)",
    "OR OR",
    "AND",
    "NOT",
    "a OR b",
    "-",
    "--",
    "^a",
    "subject:refund",
    "{number subject}: x",
    "+",
    ":",
    "::",
    "status::open",
    "'; DROP TABLE case; --",
    "x" * 5000,
    "refund " * 1000,
    "\x1b[31mred\x1b[0m",
    "a\x00b",
    "\u0085\u009b tab\there",
    "\U0001f600 \U0001f4a9",
    "ẞ ǅ ﬁ",
    "ü" * 3,
    '" OR "',
    '"a" "b"*',
    "#",
    "@",
    "-#",
    "-@",
    "status:,,,",
    "queue:",
    "is:",
]


def _fts_conn() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    conn.execute(
        "CREATE VIRTUAL TABLE t USING fts5(number, subject, customer, body, "
        "tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3')"
    )
    conn.execute(
        "INSERT INTO t VALUES ('CS-1', 'Refund for NEAR order', 'Jürgen Müller', 'OR AND NOT')"
    )
    return conn


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_input_gives_words_or_a_clear_problem_never_an_exception(text: str) -> None:
    q = parse_search(text)
    assert isinstance(q, SearchQuery)
    for problem in q.problems:
        assert problem.endswith(".") and "\n" not in problem and len(problem) < 200
    assert len(q.text_terms) + len(q.not_text_terms) <= MAX_TERMS
    for term in (*q.text_terms, *q.not_text_terms):
        assert not re.search(r"[\x00-\x1f\x7f-\x9f]", term)
        assert any(ch.isalnum() for ch in term)
    match = fts_match(q.text_terms)
    if match is not None:
        _fts_conn().execute("SELECT count(*) FROM t WHERE t MATCH ?", (match,)).fetchall()


def test_long_input_is_cut_and_said_so() -> None:
    q = parse_search("x" * 5000)
    assert q.text_terms == ("x" * MAX_SEARCH_CHARS,)
    assert q.problems == (
        f"Only the first {MAX_SEARCH_CHARS:,} characters of the search are used.",
    )
    many = parse_search(" ".join(f"w{i}" for i in range(40)))
    assert len(many.text_terms) == MAX_TERMS
    assert many.problems == (f"Only the first {MAX_TERMS} words of the search are used.",)


def test_query_syntax_words_are_plain_words() -> None:
    assert parse_search("NEAR( OR a*").text_terms == ("NEAR(", "OR", "a*")
    assert parse_search("*").text_terms == ()
    assert parse_search("( ) \" '").text_terms == ()


def test_fts_match_quotes_every_token_and_makes_the_last_a_prefix() -> None:
    assert fts_match(["refund"]) == '"refund"*'
    assert fts_match(["card blocked", "spain"]) == '"card blocked" "spain"*'
    assert fts_match(['say "hi"']) == '"say ""hi"""*'
    assert fts_match(["NEAR(a", "OR"]) == '"NEAR(a" "OR"*'
    assert fts_match(["a"], prefix_last=False) == '"a"'
    assert fts_match(["*", "()"]) is None


def test_fts_match_of_words_finds_them_whatever_they_look_like() -> None:
    conn = _fts_conn()

    def hits(text: str) -> int:
        match = fts_match(parse_search(text).text_terms)
        assert match is not None
        return conn.execute("SELECT count(*) FROM t WHERE t MATCH ?", (match,)).fetchone()[0]

    assert hits("NEAR") == 1 and hits("OR AND") == 1 and hits("refu") == 1
    assert hits("muller") == 1 and hits("Müller") == 1 and hits("MÜLL") == 1
    assert hits("CS-1") == 1 and hits('"for near"') == 1 and hits('"near for"') == 0


_QUOTED = re.compile(r'^"(?:[^"]|"")*"$')


def _parts(match: str) -> list[str]:
    """Split a MATCH expression into its quoted strings (and a trailing '*')."""
    out, i = [], 0
    while i < len(match):
        assert match[i] == '"', match
        j = i + 1
        while True:
            j = match.index('"', j)
            if j + 1 < len(match) and match[j + 1] == '"':
                j += 2
                continue
            break
        out.append(match[i : j + 1])
        i = j + 1
        if i < len(match) and match[i] == "*":
            assert i == len(match) - 1, "only the last string is a prefix"
            i += 1
        if i < len(match):
            assert match[i] == " "
            i += 1
    return out


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=300))
def test_any_text_parses_and_never_reaches_fts_as_syntax(text: str) -> None:
    q = parse_search(text)
    match = fts_match(q.text_terms)
    if match is None:
        assert not q.text_terms
        return
    parts = _parts(match)
    assert len(parts) == len(q.text_terms)
    assert all(_QUOTED.match(p) for p in parts)
    _fts_conn().execute("SELECT count(*) FROM t WHERE t MATCH ?", (match,)).fetchall()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(codec="utf-8"), max_size=30), max_size=8))
def test_fts_match_of_any_terms_is_only_quoted_strings(terms: list[str]) -> None:
    match = fts_match(terms)
    if match is None:
        return
    assert all(_QUOTED.match(p) for p in _parts(match))
    _fts_conn().execute("SELECT count(*) FROM t WHERE t MATCH ?", (match,)).fetchall()


@pytest.mark.parametrize(
    ("text", "excluded"),
    [
        ("queue:q3 -s", ()),  # on the way to -status:closed: pending, like "status:"
        ("queue:q3 -statu", ()),
        ("queue:q3 -status", ()),
        ("-q", ()),
        ("queue:q3 -statu ", ("statu",)),  # a space after it: a word to leave out
        ("-stat refund", ("stat",)),  # not the last token
        ("-refund", ("refund",)),  # no field starts so
        ('-"stat', ("stat",)),  # quoted: a word
    ],
)
def test_a_negated_field_name_being_typed_is_pending(text: str, excluded: tuple[str, ...]) -> None:
    assert parse_search(text).not_text_terms == excluded
