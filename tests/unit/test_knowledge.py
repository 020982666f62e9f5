"""The rules of knowledge articles (``domain.knowledge``): folding, safe search syntax,
highlighting, suggestions, links and quotes, proposals from replies, and who may do what."""

from __future__ import annotations

import re

import pytest

from csm_tui.domain import knowledge as kb

# Every MATCH text is made of double-quoted strings (optionally starred), joined by spaces or
# OR: nothing of FTS5's syntax can come from what was typed.
_SAFE = re.compile(r'^"[^"]*"\*?(?:(?: | OR )"[^"]*"\*?)*$')

HOSTILE = ['"', "*", "NEAR(", "OR OR", "x" * 5000, 'a"b', "((", "-", "col:title", "\x1b[31m", ""]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Überweisung", "Ueberweisung"),
        ("überweisung", "UEBERWEISUNG"),
        ("Kundennummer", "kundennummer"),
        ("Straße", "Strasse"),
        ("Gebühr", "Gebuehr"),
        ("Café", "cafe"),
        ("Größe", "groesse"),
    ],
)
def test_folding_makes_the_spellings_one_word(a: str, b: str) -> None:
    assert kb.fold(a) == kb.fold(b)
    assert kb.words(a) == kb.words(b)


def test_german_fold_and_the_sql_pairs_agree() -> None:
    text = "ÄÖÜäöüßẞ"
    out = text
    for letter, spelling in kb.FOLD_SQL_PAIRS:
        out = out.replace(letter, spelling)
    assert out == kb.german_fold(text) == "AeOeUeaeoeuessSS"


def test_words_cut_like_the_tokenizer() -> None:
    assert kb.words("Router X200: E-101 (Wi_Fi)") == ["router", "x200", "e", "101", "wi", "fi"]


def test_search_text_becomes_quoted_words_with_the_last_a_prefix() -> None:
    query = kb.parse_article_search("Karte verl")
    assert query.terms == (("karte",), ("verl",))
    assert kb.match_expression(query) == '"karte" "verl"*'


def test_a_closed_phrase_is_exact_and_an_open_one_runs_to_the_end() -> None:
    closed = kb.parse_article_search('"card blocked"')
    assert kb.match_expression(closed) == '"card blocked"'
    still_typing = kb.parse_article_search('"card blo')
    assert kb.match_expression(still_typing) == '"card blo"*'
    assert kb.match_expression(kb.parse_article_search('"a b" c')) == '"a b" "c"*'


def test_german_letters_fold_in_the_query() -> None:
    assert kb.match_expression(kb.parse_article_search("Überweisung")) == '"ueberweisung"*'


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_search_text_never_raises_and_never_reaches_fts5_as_syntax(text: str) -> None:
    query = kb.parse_article_search(text)
    match = kb.match_expression(query)
    assert match is None or _SAFE.match(match), match
    if match is None and text.strip():
        assert query.problems  # a clear sentence instead of nothing


def test_only_words_are_kept_from_hostile_text() -> None:
    assert kb.parse_article_search("NEAR(").terms == (("near",),)
    assert kb.parse_article_search("OR OR").terms == (("or",),)
    assert kb.parse_article_search('"').problems == (kb.NO_WORDS,)
    assert kb.parse_article_search("*").problems == (kb.NO_WORDS,)


def test_too_much_text_is_cut_and_said() -> None:
    query = kb.parse_article_search("word " * 1000)
    assert query.terms == (("word",),)
    assert any("500 characters" in p for p in query.problems)
    many = kb.parse_article_search(" ".join(f"w{n}" for n in range(40)))
    assert len(many.terms) == kb.MAX_TERMS
    assert any(f"first {kb.MAX_TERMS} words" in p for p in many.problems)


def test_highlight_spans_cover_folded_and_prefix_matches() -> None:
    query = kb.parse_article_search("ueberweisung lastsch")
    text = "Per Überweisung statt Lastschrift zahlen"
    assert [text[a:b] for a, b in kb.highlight_spans(text, query)] == ["Überweisung", "Lastschrift"]
    assert kb.highlight_spans(text, kb.parse_article_search("")) == []


def test_excerpt_starts_near_the_first_match_without_markdown_marks() -> None:
    body = "# Title\n\nFirst paragraph.\n\n## Steps\n\n1. Open the **router** menu.\n"
    query = kb.parse_article_search("router")
    assert kb.excerpt(body, query) == "Open the router menu."
    assert kb.excerpt(body, kb.parse_article_search("")) == "First paragraph."


def test_suggestion_terms_drop_stop_words_numbers_and_repeats() -> None:
    terms = kb.suggestion_terms(
        "Karte 1234 verloren - bitte sperren", "Hallo, meine Karte ist weg!"
    )
    assert terms == ["karte", "verloren", "sperren", "weg"]
    assert "bitte" not in terms and "1234" not in terms
    expression = kb.suggestion_expression(terms)
    assert expression is not None and _SAFE.match(expression)
    assert '"karte"*' in expression and '"weg"' in expression


def test_link_and_quote_name_the_public_address() -> None:
    link = kb.link_text("Karte  verloren", "karte-verloren-ab12", "de")
    assert link == "Karte verloren: https://help.example.com/kb/de/karte-verloren-ab12"
    quote = kb.quote_text(
        "Karte verloren", "## Head\n\nSperren Sie die **Karte** sofort.", "k", "de"
    )
    assert quote.startswith("> Sperren Sie die Karte sofort.")
    assert quote.endswith("Mehr dazu: Karte verloren: https://help.example.com/kb/de/k")
    # A slug or language that is not one stays out of the address.
    assert kb.article_url("../../evil", "x y") == "https://help.example.com/kb/en/article"


def test_slugs_are_folded_ascii() -> None:
    assert (
        kb.slugify("Überweisung statt Lastschrift?", "ab12")
        == "ueberweisung-statt-lastschrift-ab12"
    )
    assert kb.slugify("***") == "article"
    assert kb.SLUG_PATTERN.match(kb.slugify("Größe & Café", "X"))


def test_a_proposal_from_a_reply_loses_greeting_sign_off_and_numbers() -> None:
    title, body = kb.draft_from_reply(
        "CS-10042 Karte verloren",
        "Hallo Frau Müller,\n\nich habe die Karte gesperrt (K-20001).\nDie neue kommt "
        "in fünf Tagen.\n\nViele Grüße\nAnna",
    )
    assert title == "Karte verloren"
    assert body == "ich habe die Karte gesperrt ().\nDie neue kommt in fünf Tagen."


def test_check_article_says_what_is_wrong() -> None:
    assert kb.check_article("Title", "Body", "de") == []
    assert kb.check_article("", "Body", "de") == ["An article needs a title."]
    assert kb.check_article("T", " ", "de") == ["An article needs some text."]
    assert kb.check_article("T", "B", "german") == [
        "An article's language is a code such as de or en."
    ]


@pytest.mark.parametrize(
    ("role", "me", "author", "state", "new_state", "delete", "refused"),
    [
        ("lead", "l", "a", "proposed", "published", False, None),
        ("admin", "x", None, "published", None, True, None),
        ("agent", "a", "a", "proposed", "published", False, kb.PUBLISH_REFUSAL),
        ("agent", "a", "a", "proposed", None, False, None),
        ("agent", "a", "a", "proposed", None, True, None),
        ("agent", "b", "a", "proposed", None, False, kb.OTHERS_REFUSAL),
        ("agent", "a", "a", "published", None, False, kb.CHANGE_REFUSAL),
        ("agent", "a", None, "published", None, True, kb.DELETE_REFUSAL),
    ],
)
def test_who_may_change_what(
    role: str, me: str, author: str | None, state: str, new_state: str | None, delete: bool,
    refused: str | None,
) -> None:  # fmt: skip
    assert kb.change_refusal(role, me, author, state, new_state, delete=delete) == refused


def test_agents_propose_and_leads_publish() -> None:
    assert kb.create_refusal("agent", "proposed") is None
    assert kb.create_refusal("agent", "published") == kb.PUBLISH_REFUSAL
    assert kb.create_refusal("lead", "published") is None
    assert kb.create_refusal("lead", "draft") is not None
