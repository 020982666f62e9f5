"""The knowledge screen and the case screen's suggested articles, driven by Pilot over a real
store holding the seeded library (``tests.knowledge_support``)."""

from __future__ import annotations

import sqlite3

import pytest
from rich.text import Text
from textual.widgets import Input, Label, Markdown, OptionList

from csm_tui.app import CsmApp, make_app
from csm_tui.config import Settings
from csm_tui.desk import Desk
from csm_tui.domain import knowledge as kb
from csm_tui.domain.models import Article
from csm_tui.screens import knowledge as knowledge_screen
from csm_tui.screens.knowledge import MATCH_STYLE, KnowledgeScreen
from csm_tui.screens.propose_article import NO_REPLY, ProposeArticleModal
from csm_tui.store.knowledge import SEARCH_LIMIT
from csm_tui.widgets.composer import Composer
from csm_tui.widgets.suggested_articles import SuggestedArticles
from tests.functional.pilot_support import open_case, settle
from tests.knowledge_support import NOW, article_id, load_articles, sign_in_as

SIZE = (120, 36)


@pytest.fixture(autouse=True)
def article_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Render the highlighted article's body at once (the screen waits for a pause)."""
    monkeypatch.setattr(knowledge_screen, "ARTICLE_DELAY", 0)


def app_for(settings: Settings, desk: Desk) -> CsmApp:
    app = make_app(settings, desk, sync_on_start=False)
    app.animation_level = "none"
    return app


def matched(prompt: object) -> list[str]:
    assert isinstance(prompt, Text)
    return [prompt.plain[s.start : s.end] for s in prompt.spans if s.style == MATCH_STYLE]


def notes(app: CsmApp) -> list[str]:
    return [n.message for n in app._notifications]  # private: no public accessor


def proposal(article_id: str = "prop-1", author: str = "a-agent") -> Article:
    return Article(
        id=article_id,
        slug="lost-card-abroad",
        title="Lost card abroad",
        body="Call the **hotline** at once.",
        language="en",
        state="proposed",
        author_agent_id=author,
        updated_at=NOW,
    )


async def test_k_opens_the_screen_and_typing_searches_with_folding_and_highlights(
    desk: Desk, settings: Settings
) -> None:
    load_articles(desk)
    app = app_for(settings, desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("K")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, KnowledgeScreen) and app.current_mode == "knowledge"
        assert len(screen.articles) == SEARCH_LIMIT  # no text yet: the latest
        await pilot.press("slash", *"Ueberweisung statt Lastschrift")
        await settle(app, pilot)
        assert screen.articles[0].id == article_id("bank-transfer", "de", "guide")
        first = screen.query_one("#kb-results", OptionList).get_option_at_index(0)
        assert matched(first.prompt)[:3] == ["Überweisung", "statt", "Lastschrift"]
        markdown = screen.query_one("#kb-markdown", Markdown)
        assert "## So gehen Sie vor" in (markdown.source or "")
        # The same words spelled with the letters find the same articles.
        before = [a.id for a in screen.articles]
        screen.query_one("#kb-search", Input).value = "Überweisung statt Lastschrift"
        await settle(app, pilot)
        assert [a.id for a in screen.articles] == before
        # Down moves through the results and the article follows.
        await pilot.press("down")
        await pilot.pause()
        assert screen.current is screen.articles[1]
        # Escape clears the search; K again is back to the queue, and so is escape then.
        await pilot.press("escape")
        await settle(app, pilot)
        assert screen.search_text == "" and len(screen.articles) == SEARCH_LIMIT
        await pilot.press("K")
        await settle(app, pilot)
        assert app.current_mode == "queue"
        await pilot.press("K")
        await settle(app, pilot)
        assert app.screen is screen
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.current_mode == "queue"


async def test_hostile_searches_give_results_or_a_sentence(desk: Desk, settings: Settings):
    load_articles(desk)
    app = app_for(settings, desk)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("K")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, KnowledgeScreen)
        search = screen.query_one("#kb-search", Input)
        problem = screen.query_one("#kb-problem", Label)
        for text in ['"', "*", "NEAR(", "OR OR", "x" * 5000, "((a", '"unclosed']:
            search.value = text
            await settle(app, pilot)
            assert screen.articles or problem.display, text
        search.value = '"'
        await settle(app, pilot)
        assert problem.display and kb.NO_WORDS in str(problem.render())
        search.value = "x" * 5000
        await settle(app, pilot)
        assert "500 characters" in str(problem.render())
        search.value = "qqqzzz"
        await settle(app, pilot)
        assert screen.articles == [] and screen.query_one("#kb-empty", Label).display


async def test_a_lead_sees_proposals_and_publishes_one(desk: Desk, settings: Settings) -> None:
    load_articles(desk, [proposal()])
    sign_in_as(desk, "a-lead", "lea.lead", "Lea Lead", "lead")
    app = app_for(settings, desk)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("K")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, KnowledgeScreen)
        assert screen.articles == []  # published only, by default
        await pilot.press("f")
        await settle(app, pilot)
        assert [a.id for a in screen.articles] == ["prop-1"]
        await pilot.press("p")
        await settle(app, pilot)
        stored = desk.article("prop-1")
        assert stored is not None and stored.state == "published"
        with sqlite3.connect(desk.store_path) as conn:
            ops = conn.execute("SELECT op, entity, fields FROM outbox").fetchall()
        assert ops == [("update", "article", '{"state":"published"}')]
        assert screen.articles == []  # no longer a proposal


async def test_an_agent_cannot_publish(desk: Desk, settings: Settings) -> None:
    load_articles(desk, [proposal()])
    sign_in_as(desk, "a-agent", "andy", "Andy Agent", "agent")
    app = app_for(settings, desk)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("K")
        await settle(app, pilot)
        await pilot.press("f", "f")  # all articles
        await settle(app, pilot)
        await pilot.press("p")
        await settle(app, pilot)
        assert kb.PUBLISH_REFUSAL in notes(app)
        assert desk.article("prop-1").state == "proposed"  # type: ignore[union-attr]


async def test_a_case_suggests_articles_and_l_and_e_put_them_into_the_reply(
    desk: Desk, settings: Settings, ids
) -> None:
    load_articles(desk)
    app = app_for(settings, desk)
    case_id = ids("case", 4)  # "Lieferung beschädigt angekommen", a German customer
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_case(app, pilot, case_id)
        await settle(app, pilot)
        box = screen.query_one(SuggestedArticles)
        assert box.display and box.articles
        top = box.articles[0]
        assert top.language == "de" and "beschädigt" in top.title
        await pilot.press("l")
        await pilot.pause()
        composer = screen.query_one(Composer)
        assert not composer.has_class("-hidden") and composer.kind == "public"
        assert top.link in composer.text
        await pilot.press("escape", "e")
        await pilot.pause()
        assert composer.text.startswith(top.link)
        assert "\n\n> " in composer.text and "Mehr dazu:" in composer.text


async def test_enter_on_a_suggestion_opens_it_in_the_knowledge_screen(
    desk: Desk, settings: Settings, ids
) -> None:
    load_articles(desk)
    app = app_for(settings, desk)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_case(app, pilot, ids("case", 4))
        await settle(app, pilot)
        box = screen.query_one(SuggestedArticles)
        wanted = box.articles[0]
        box.focus()
        await pilot.press("enter")
        await settle(app, pilot)
        knowledge = app.screen
        assert isinstance(knowledge, KnowledgeScreen)
        assert knowledge.current is not None and knowledge.current.id == wanted.id
        await pilot.press("K")
        await settle(app, pilot)
        assert app.screen is screen  # the case is still there


async def test_no_suggestions_no_box(desk: Desk, settings: Settings, ids) -> None:
    app = app_for(settings, desk)  # a store without articles
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_case(app, pilot, ids("case", 4))
        await settle(app, pilot)
        box = screen.query_one(SuggestedArticles)
        assert box.loaded and not box.display
        await pilot.press("l")
        await pilot.pause()
        assert screen.query_one(Composer).has_class("-hidden")


async def test_an_agent_proposes_an_article_from_their_reply(
    desk: Desk, settings: Settings, ids
) -> None:
    sign_in_as(desk, ids("agent", 0), "anna", "Anna Berger", "agent")
    case_id = ids("case", 4)
    app = app_for(settings, desk)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_case(app, pilot, case_id)
        await pilot.press("a")
        await pilot.pause()
        assert NO_REPLY in notes(app)
        desk.reply(
            case_id,
            "public",
            "Hallo Frau Yılmaz,\n\nbitte schicken Sie uns Fotos vom Karton.\n\nViele Grüße\nAnna",
        )
        await pilot.press("a")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, ProposeArticleModal)
        assert modal.draft.title == "Lieferung beschädigt angekommen"
        assert modal.draft.body == "bitte schicken Sie uns Fotos vom Karton."
        assert modal.draft.language == "de"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.screen is screen
        found = desk.search_articles("Fotos Karton", "proposed").articles
        assert [(a.title, a.author_id, a.source_case_id) for a in found] == [
            ("Lieferung beschädigt angekommen", ids("agent", 0), case_id)
        ]


async def test_the_proposal_modal_says_what_is_missing(desk: Desk, settings: Settings, ids):
    sign_in_as(desk, ids("agent", 0), "anna", "Anna Berger", "agent")
    case_id = ids("case", 4)
    desk.reply(case_id, "public", "Hallo,\n\nSo geht es.\n\nViele Grüße")
    app = app_for(settings, desk)
    async with app.run_test(size=SIZE) as pilot:
        await open_case(app, pilot, case_id)
        await pilot.press("a")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, ProposeArticleModal)
        modal.query_one("#propose-name", Input).value = ""
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is modal
        assert "needs a title" in str(modal.query_one("#propose-problem", Label).render())
        await pilot.press("escape")
        await pilot.pause()
        assert desk.search_articles("", "proposed").articles == ()


async def test_article_text_is_data_not_markup(desk: Desk, settings: Settings) -> None:
    hostile = Article(
        id="evil",
        slug="evil",
        title="[bold red]Refund[/] \x1b[2J now",
        body="Pay [link=http://evil.example]here[/link] \x1b]52;c;SGVsbG8=\x07 **refund**",
        language="en",
        tags=["[blink]x[/blink]"],
        updated_at=NOW,
    )
    load_articles(desk, [hostile])
    app = app_for(settings, desk)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("K")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, KnowledgeScreen)
        await pilot.press("slash", *"refund")
        await settle(app, pilot)
        prompt = screen.query_one("#kb-results", OptionList).get_option_at_index(0).prompt
        assert isinstance(prompt, Text)
        assert prompt.plain.startswith("[bold red]Refund[/] now")
        assert "\x1b" not in prompt.plain
        source = screen.query_one("#kb-markdown", Markdown).source or ""
        assert (
            "[link=http://evil.example]" in source and "\x1b" not in source and "\x07" not in source
        )
