"""Knowledge articles in the desk's store: FTS5 relevance against the seeded library,
hostile queries, folding, suggestions for a case, and the offline commands (propose, publish,
withdraw) with their outbox rows."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session

from csm_tui.desk import Desk
from csm_tui.domain import knowledge as kb
from csm_tui.domain.models import Article, Case, Contact, Message
from csm_tui.errors import CsmError
from csm_tui.server import seed_knowledge
from csm_tui.store import knowledge_index
from csm_tui.store.knowledge import SEARCH_LIMIT
from tests.knowledge_support import NOW, article_id, load_articles, sign_in_as


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Desk:
    """One store with the whole seeded library (read-only tests share it)."""
    desk = Desk.open(tmp_path_factory.mktemp("kb") / "store.sqlite3", clock=lambda: NOW)
    load_articles(desk)
    return desk


@pytest.fixture
def desk(tmp_path: Path) -> Desk:
    desk = Desk.open(tmp_path / "store.sqlite3", clock=lambda: NOW)
    yield desk
    desk.close()


def ids(desk: Desk, text: str, state: str = "published") -> list[str]:
    return [a.id for a in desk.search_articles(text, state).articles]


# -- the seed ------------------------------------------------------------------------------


def test_the_seeded_library_is_300_plus_articles_in_german_and_english() -> None:
    articles = seed_knowledge.articles(NOW)
    assert len(articles) >= 300
    by_lang = {lang: [a for a in articles if a.language == lang] for lang in ("de", "en")}
    assert len(by_lang["de"]) >= 150 and len(by_lang["en"]) >= 150
    assert len({a.id for a in articles}) == len({a.slug for a in articles}) == len(articles)
    for a in articles:
        assert kb.check_article(a.title, a.body, a.language, a.tags, a.product) == []
        assert kb.SLUG_PATTERN.match(a.slug) and a.state == kb.PUBLISHED
    # Deterministic: the same call gives the same library.
    again = seed_knowledge.articles(NOW)
    assert [(a.id, a.updated_at, a.body) for a in again] == [
        (a.id, a.updated_at, a.body) for a in articles
    ]


# -- relevance -----------------------------------------------------------------------------

#: Query -> the article that must come first: (theme, language, kind[, device]).
RELEVANCE: list[tuple[str, tuple[str, ...]]] = [
    ("doppelte Abbuchung", ("double-charge", "de", "guide")),
    ("charged twice", ("double-charge", "en", "faq")),
    ("Ueberweisung statt Lastschrift", ("bank-transfer", "de", "guide")),
    ("überweisung statt lastschrift", ("bank-transfer", "de", "guide")),
    ("kundennummer", ("customer-number", "de", "faq")),
    ("PIN vergessen", ("pin-forgotten", "de", "guide")),
    ("forgot pin", ("pin-forgotten", "en", "guide")),
    ("phishing sms", ("phishing", "de", "guide")),
    ("Ersatzkarte", ("replacement-card", "de", "guide")),
    ("paket nicht angekommen", ("parcel-missing", "de", "faq")),
    ("router x200 verbindung", ("connection-drops", "de", "device", "Router X200")),
    ("mesh point wlan langsam", ("wifi-slow", "de", "device", "Mesh Point M2")),
    ("tv box 4k fehlercode", ("setup-error", "de", "device", "TV Box 4K")),
    ("smart home koppeln", ("smart-home-pairing", "de", "guide")),
    ("return label", ("return-label", "en", "guide")),
    ("umtausch größe", ("exchange-size", "de", "guide")),
    ("passwort reset mail", ("password-reset", "de", "guide")),
    ("two-factor code", ("two-factor", "en", "guide")),
    ("dsgvo", ("gdpr-delete", "de", "guide")),
    ("gdpr delete", ("gdpr-delete", "en", "guide")),
    ("vat number", ("vat-number", "en", "guide")),
    ("ust-idnr", ("vat-number", "de", "guide")),
    ("techniker verschieben", ("engineer-reschedule", "de", "guide")),
    ("engineer did not turn up", ("engineer-no-show", "en", "guide")),
    ("zaehlerablesung", ("meter-reading", "de", "guide")),
    ("ratenzahlung", ("instalments", "de", "guide")),
    ("mahnung bezahlt", ("reminder-paid", "de", "faq")),
    ("iban ändern", ("bank-details", "de", "guide")),
    ("escalation third complaint", ("escalation", "en", "guide")),
    ("Sammelrech", ("consolidated-invoice", "de", "faq")),
]


@pytest.mark.parametrize(("query", "expected"), RELEVANCE, ids=[q for q, _ in RELEVANCE])
def test_the_right_article_comes_first(library: Desk, query: str, expected: tuple[str, ...]):
    found = library.search_articles(query)
    assert found.articles, f"nothing found for {query!r}"
    top = found.articles[0]
    assert top.id == article_id(*expected), f"{query!r} -> {top.title!r}"


def test_the_relevance_table_has_20_plus_queries() -> None:
    assert len(RELEVANCE) >= 20


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Kundennummer", "kundennummer"),
        ("Ueberweisung", "Überweisung"),
        ("gebuehr", "Gebühr"),
        ("ZÄHLERABLESUNG", "zaehlerablesung"),
        ("Größe", "groesse"),
    ],
)
def test_folded_spellings_find_the_same_articles(library: Desk, a: str, b: str) -> None:
    assert ids(library, a) == ids(library, b) != []


def test_the_title_weighs_more_than_the_body(desk: Desk) -> None:
    def article(key: str, title: str, body: str) -> Article:
        return Article(id=key, slug=key, title=title, body=body, language="en", updated_at=NOW)

    load_articles(
        desk,
        [
            article("body-only", "Alpha guide", "All about the zebra crossing and more zebra."),
            article("in-title", "Zebra crossing", "Some text about alpha."),
        ],
    )
    assert ids(desk, "zebra") == ["in-title", "body-only"]


def test_search_is_as_you_type_with_a_prefix(library: Desk) -> None:
    assert ids(library, "Kontaktl")[:2] == ids(library, "kontaktlos")[:2]


@pytest.mark.parametrize("text", ['"', "*", "NEAR(", "OR OR", "x" * 5000, "((", "a AND", "col:x"])
def test_hostile_queries_give_results_or_a_sentence(library: Desk, text: str) -> None:
    found = library.search_articles(text)
    assert found.articles or found.problems
    if len(text) > kb.MAX_SEARCH_CHARS:
        assert any("characters" in p for p in found.problems)


def test_no_text_lists_the_latest_and_nothing_found_says_so(library: Desk) -> None:
    latest = library.search_articles("")
    assert len(latest.articles) == SEARCH_LIMIT and latest.more
    times = [a.updated_at for a in latest.articles]
    assert times == sorted(times, reverse=True)
    none = library.search_articles("qqqqzzzz")
    assert none.articles == () and none.problems


# -- suggestions ---------------------------------------------------------------------------


def _case(desk: Desk, case_id: str, subject: str, message: str, language: str, tags=()) -> None:
    with Session(desk.store) as session:
        session.add(Contact(id=f"p-{case_id}", customer_number=f"K-{case_id}", language=language))
        session.add(
            Case(
                id=case_id,
                number=f"CS-{case_id}",
                subject=subject,
                contact_id=f"p-{case_id}",
                tags=list(tags),
                created_at=NOW,
                updated_at=NOW,
            )
        )
        session.add(
            Message(
                id=f"m-{case_id}",
                case_id=case_id,
                kind="customer",
                body=message,
                created_at=NOW - timedelta(minutes=5),
            )
        )
        session.commit()


@pytest.mark.parametrize(
    ("subject", "message", "language", "theme"),
    [
        (
            "Karte 4111 verloren - bitte sperren",
            "Ich habe heute gemerkt, dass meine Karte weg ist. Bitte sofort sperren!",
            "de",
            "card-lost",
        ),
        ("Parcel arrived damaged", "The box was crushed and the lamp is broken.", "en",
         "parcel-damaged"),
        ("Passwort-Reset-Mail kommt nicht an", "Ich bekomme keine E-Mail.", "de", "password-reset"),
        ("Router X200 keeps dropping the connection", "Every evening the internet drops.", "en",
         "connection-drops"),
    ],
)  # fmt: skip
def test_suggestions_follow_the_subject_and_the_customers_message(
    desk: Desk, subject: str, message: str, language: str, theme: str
) -> None:
    load_articles(desk)
    _case(desk, "c1", subject, message, language)
    suggested = desk.suggest_articles("c1")
    assert 1 <= len(suggested) <= 5
    top = suggested[0]
    assert top.language == language
    assert top.id in {
        article_id(theme, language, kind, device)
        for kind in ("guide", "faq", "checklist", "device")
        for device in ("", *seed_knowledge.DEVICES)
    }, top.title


def test_only_published_articles_are_suggested(desk: Desk) -> None:
    load_articles(
        desk,
        [
            Article(id="p", slug="p", title="Lost card", body="Block it.", state="proposed",
                    language="en", updated_at=NOW),
        ],
    )  # fmt: skip
    _case(desk, "c1", "Lost card", "I lost my card", "en")
    assert desk.suggest_articles("c1") == []
    assert ids(desk, "lost card") == []
    assert ids(desk, "lost card", "proposed") == ["p"]
    assert ids(desk, "lost card", "all") == ["p"]


def test_a_case_without_words_gets_no_suggestions(desk: Desk) -> None:
    load_articles(desk)
    _case(desk, "c1", "1234", "!!!", "en")
    assert desk.suggest_articles("c1") == []
    assert desk.suggest_articles("no-such-case") == []


# -- the index follows every writer --------------------------------------------------------


def test_the_index_follows_updates_and_deletes(desk: Desk) -> None:
    load_articles(desk)
    target = article_id("double-charge", "en", "guide")
    with sqlite3.connect(desk.store_path) as conn:
        conn.execute("UPDATE article SET title = 'Zwiebelkuchen' WHERE id = ?", (target,))
    assert ids(desk, "zwiebelkuchen") == [target]
    with sqlite3.connect(desk.store_path) as conn:
        conn.execute("DELETE FROM article WHERE id = ?", (target,))
    assert ids(desk, "zwiebelkuchen") == []


def test_an_older_store_gets_the_index_on_first_use(tmp_path: Path) -> None:
    desk = Desk.open(tmp_path / "old.sqlite3", clock=lambda: NOW)
    load_articles(desk)
    with sqlite3.connect(desk.store_path) as conn:
        conn.execute("DROP TABLE article_fts")
        conn.execute("DELETE FROM sync_state WHERE key = ?", (knowledge_index.SCHEMA_KEY,))
    desk.close()
    again = Desk(tmp_path / "old.sqlite3")
    try:
        assert ids(again, "Ersatzkarte")[0] == article_id("replacement-card", "de")
    finally:
        again.close()


# -- commands ------------------------------------------------------------------------------


def outbox(desk: Desk) -> list[tuple[str, str, str]]:
    with sqlite3.connect(desk.store_path) as conn:
        return conn.execute("SELECT op, entity, fields FROM outbox ORDER BY mid").fetchall()


@pytest.fixture
def signed_in(desk: Desk) -> Callable[[str], Desk]:
    def sign(role: str) -> Desk:
        sign_in_as(desk, f"a-{role}", role, role.title(), role)
        return desk

    return sign


def test_an_agent_proposes_offline_and_the_proposal_is_not_searched_by_default(signed_in):
    desk = signed_in("agent")
    _case(desk, "c1", "Lost card", "Help", "en")
    new_id = desk.propose_article(
        "Lost card abroad", "Call the **hotline**.", "en", ["card"], "Debit card", "c1"
    )
    article = desk.article(new_id)
    assert article is not None
    assert (article.state, article.author_id, article.source_case_id) == (
        "proposed",
        "a-agent",
        "c1",
    )
    assert ids(desk, "hotline") == [] and ids(desk, "hotline", "proposed") == [new_id]
    ((op, entity, fields),) = outbox(desk)
    assert (op, entity) == ("create", "article") and '"state":"proposed"' in fields


def test_a_proposal_needs_a_title_and_text(signed_in) -> None:
    desk = signed_in("agent")
    with pytest.raises(CsmError, match="needs a title"):
        desk.propose_article(" ", "Body", "en")
    with pytest.raises(CsmError, match="some text"):
        desk.propose_article("Title", "\x1b[2J", "en")
    assert outbox(desk) == []


def test_an_agent_cannot_publish_and_a_lead_can(signed_in) -> None:
    desk = signed_in("agent")
    new_id = desk.propose_article("Lost card abroad", "Call the hotline.", "en")
    assert not desk.can_publish
    with pytest.raises(CsmError) as refused:
        desk.publish_article(new_id)
    assert str(refused.value) == kb.PUBLISH_REFUSAL
    signed_in("lead")
    assert desk.can_publish
    desk.publish_article(new_id)
    assert ids(desk, "hotline") == [new_id]
    ops = [(op, entity) for op, entity, _ in outbox(desk)]
    assert ops == [("create", "article"), ("update", "article")]


def test_withdrawing_a_proposal_deletes_it_and_queues_the_delete(signed_in) -> None:
    desk = signed_in("agent")
    new_id = desk.propose_article("Lost card abroad", "Call the hotline.", "en")
    desk.withdraw_article(new_id)
    assert desk.article(new_id) is None
    assert [op for op, _, _ in outbox(desk)] == ["create", "delete"]


def test_an_agent_cannot_withdraw_a_published_article(signed_in) -> None:
    desk = signed_in("agent")
    load_articles(desk)
    with pytest.raises(CsmError, match="leads and admins delete"):
        desk.withdraw_article(article_id("double-charge", "de"))


def test_commands_need_a_signed_in_agent(desk: Desk) -> None:
    with pytest.raises(CsmError, match="Sync once"):
        desk.propose_article("T", "B", "en")
