"""The knowledge screen (mode "knowledge", key ``K``): search articles as you type, read one
rendered as Markdown beside the list, and, for leads, publish the agents' proposals.

Every keystroke in the search box reads the store's FTS5 index in a thread worker
(``Desk.search_articles``: bm25 with the title weighted above the body, prefix matching, German
letters folded so ``Ueberweisung`` finds ``Überweisung``); its results come back as a
:class:`KnowledgeScreen.Found` message and replace the list unless a newer keystroke is on its
way. The words that matched are underlined in each title and in the line of text shown under
it. Nothing needs the server: search works offline.

``f`` switches the list between published articles (what agents search and what cases are
suggested), proposals (what agents proposed from their replies; a lead publishes one with
``p``) and all. Publishing and withdrawing are desk commands (local row + outbox mutation),
pushed like any other edit; the server refuses an agent's publish with a sentence, and the
desk says the same sentence before even trying.

Article text is untrusted: titles and excerpts are cleaned ``Text``; the body goes to
Textual's ``Markdown`` (which builds its own content, never Rich markup) after control
characters are stripped, with links not opened on click.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Input, Label, Markdown, OptionList, Static
from textual.widgets.option_list import Option

from csm_tui.domain import knowledge as rules
from csm_tui.domain.text import clean, clean_line
from csm_tui.errors import CsmError
from csm_tui.screens.desk_access import DeskAccess

if TYPE_CHECKING:
    from textual.app import App

    from csm_tui.desk import ArticleResults, ArticleRow

#: The list's filters, in the order ``f`` goes through them, with their titles.
FILTERS: tuple[tuple[str, str], ...] = (
    ("published", "published"),
    ("proposed", "proposals"),
    ("all", "all articles"),
)
MATCH_STYLE = "bold underline"
#: Width of the result list (the article takes the rest).
LIST_WIDTH = 58
#: Seconds the highlighted article must stay before its body is rendered: rendering Markdown
#: (a widget per block) costs more than the whole list, so while the agent types or moves
#: through the list, the list repaints at once and the body follows when they pause.
ARTICLE_DELAY = 0.15


def highlighted(text: str, query: rules.ArticleQuery, style: str = "") -> Text:
    """``text`` (cleaned) as ``Text`` with the matched words in :data:`MATCH_STYLE`."""
    line = Text(clean_line(text), style=style, no_wrap=True, overflow="ellipsis", end="")
    for start, end in rules.highlight_spans(line.plain, query):
        line.stylize(MATCH_STYLE, start, end)
    return line


def result_option(article: ArticleRow, query: rules.ArticleQuery) -> Option:
    """Two lines: the title (matches underlined), then language, product and the line of
    text the words were found in."""
    prompt = highlighted(article.title, query, "bold")
    meta = Text(no_wrap=True, overflow="ellipsis", end="")
    meta.append(f"\n{clean_line(article.language)[:5] or '··'}", style="dim")
    if article.product:
        meta.append(f" · {clean_line(article.product)[:24]}", style="dim")
    if article.state == rules.PROPOSED:
        meta.append(" · proposed", style="italic")
    meta.append(" · ", style="dim")
    meta.append_text(highlighted(rules.excerpt(clean(article.body), query), query, "dim"))
    prompt.append_text(meta)
    return Option(prompt, id=article.id)


def article_header(article: ArticleRow) -> Text:
    """The lines above the rendered body: title, then what it is about and whose it is."""
    out = Text(clean_line(article.title), style="bold")
    parts = [clean_line(article.language), clean_line(article.product)]
    parts += ["#" + clean_line(t) for t in article.tags]
    parts.append(f"updated {article.updated_at:%Y-%m-%d}")
    out.append("\n" + " · ".join(p for p in parts if p), style="dim")
    if article.state == rules.PROPOSED:
        who = clean_line(article.author) or "an agent"
        out.append(f"\nProposed by {who}; not yet published.", style="italic")
    out.append("\n" + rules.article_url(article.slug, article.language), style="dim")
    return out


class KnowledgeScreen(DeskAccess, Screen[None]):
    """Search box, result list and the highlighted article."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "focus_search", "Search", id="kb.search", key_display="/"),
        Binding("escape", "back", "Back", id="kb.back"),
        Binding("f", "next_filter", "Filter", id="kb.filter"),
        Binding("p", "publish", "Publish", id="kb.publish"),
        Binding("x", "withdraw", "Withdraw", id="kb.withdraw"),
        Binding("enter", "details", "Read", id="kb.details", show=False),
        Binding("down", "move(1)", "Next article", id="kb.next", show=False),
        Binding("up", "move(-1)", "Previous article", id="kb.previous", show=False),
    ]

    PALETTE_HELP: ClassVar[dict[str, str]] = {
        "kb.search": "Search the knowledge articles",
        "kb.back": "Clear the search, or go back to the queue",
        "kb.filter": "Show published articles, proposals or all",
        "kb.publish": "Publish the highlighted proposal (leads and admins)",
        "kb.withdraw": "Delete the highlighted article (a proposal of yours, or any as a lead)",
        "kb.details": "Move to the highlighted article (to scroll it)",
    }

    DEFAULT_CSS = f"""
    KnowledgeScreen #kb-title {{ width: 1fr; padding: 0 1; text-style: bold; }}
    KnowledgeScreen #kb-search {{ margin: 0 1; }}
    KnowledgeScreen #kb-problem {{ color: $warning; padding: 0 1; height: auto; }}
    KnowledgeScreen #kb-body {{ height: 1fr; }}
    KnowledgeScreen #kb-side {{ width: {LIST_WIDTH}; height: 1fr; }}
    KnowledgeScreen #kb-results {{
        height: 1fr; scrollbar-size-vertical: 1; text-wrap: nowrap; text-overflow: ellipsis;
    }}
    KnowledgeScreen #kb-empty {{ color: $foreground-muted; text-style: italic; padding: 0 1; }}
    KnowledgeScreen #kb-article {{
        width: 1fr; height: 1fr; border: round $primary-darken-2; padding: 0 1;
        scrollbar-size-vertical: 1;
    }}
    KnowledgeScreen #kb-article:focus {{ border: round $primary; }}
    KnowledgeScreen #kb-article-head {{ margin-bottom: 1; }}
    KnowledgeScreen #kb-markdown {{ margin: 0; padding: 0; }}
    """

    # The list, as on the macro screen: its keys (f, p, x) work at once; / starts typing.
    AUTO_FOCUS = "#kb-results"

    @dataclass
    class Found(Message):
        """A search (``generation``) came back from its worker."""

        generation: int
        state: str
        results: ArticleResults
        total: int

    def __init__(self) -> None:
        super().__init__()
        self.filter = FILTERS[0][0]
        self.results: ArticleResults | None = None
        self.articles: list[ArticleRow] = []
        self._generation = 0
        self._shown_article: str | None = None
        self._body_timer: Timer | None = None
        #: An article to highlight when the next results arrive (opened from a case).
        self._wanted: str | None = None

    def compose(self) -> ComposeResult:
        yield Label(Text("Knowledge"), id="kb-title")
        yield Input(
            placeholder='/ search articles: words, "a phrase" (Ue = Ü)',
            id="kb-search",
            compact=True,
        )
        yield Label(id="kb-problem")
        with Horizontal(id="kb-body"):
            with Vertical(id="kb-side"):
                yield OptionList(id="kb-results")
                yield Label(id="kb-empty")
            with VerticalScroll(id="kb-article"):
                yield Static(id="kb-article-head")
                yield Markdown(id="kb-markdown", open_links=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#kb-problem", Label).display = False
        self.query_one("#kb-empty", Label).display = False
        self.csm_app.cases_changed_signal.subscribe(self, self._on_store_changed)
        self.search()

    def _on_store_changed(self, _case_ids: set[str]) -> None:
        # A sync may bring new, changed or published articles.
        self._shown_article = None
        self.search()

    # -- searching -------------------------------------------------------------------------

    @property
    def search_text(self) -> str:
        return self.query_one("#kb-search", Input).value

    def search(self) -> None:
        """Read the results for the search box and filter now (in a worker)."""
        self._generation += 1
        self._search(self._generation, self.search_text, self.filter)

    @work(thread=True, exclusive=True, group="kb-search", exit_on_error=False)
    def _search(self, generation: int, text: str, state: str) -> None:
        try:
            results = self.desk.search_articles(text, state)
            total = self.desk.article_count(state)
        except CsmError as err:
            self.app.call_from_thread(self.csm_app.route_error, err, "Knowledge")
            return
        self.post_message(self.Found(generation, state, results, total))

    def on_knowledge_screen_found(self, message: Found) -> None:
        message.stop()
        if message.generation != self._generation:
            return  # a newer keystroke's results are on their way
        self.results = message.results
        self._fill(message.results, message.total)

    def _fill(self, results: ArticleResults, total: int) -> None:
        current = self.current
        keep = self._wanted or (current.id if current is not None else None)
        self._wanted = None
        self.articles = list(results.articles)
        options = self.query_one("#kb-results", OptionList)
        options.clear_options()
        options.add_options(result_option(a, results.query) for a in self.articles)
        ids = [a.id for a in self.articles]
        if ids:
            options.highlighted = ids.index(keep) if keep in ids else 0
        title = dict(FILTERS)[self.filter]
        if results.text.strip() and not results.query.is_empty:
            shown = f"{len(ids)}{'+' if results.more else ''} of {total:,}"
        else:
            shown = f"{total:,}"
        self.query_one("#kb-title", Label).update(Text(f"Knowledge · {title} · {shown}"))
        problem = self.query_one("#kb-problem", Label)
        problem.update(Text(" ".join(results.problems)))
        problem.display = bool(results.problems)
        empty = self.query_one("#kb-empty", Label)
        if ids:
            empty.display = False
        else:
            empty.update(Text(self._empty_sentence(results)))
            empty.display = True
        self._show_article()

    def _empty_sentence(self, results: ArticleResults) -> str:
        if self.filter == "proposed" and not results.text.strip():
            return "No proposals: agents propose articles from their replies (a on a case)."
        if results.text.strip():
            return "Nothing matches; escape clears the search."
        return "No articles yet; a sync brings them from the case server."

    @property
    def current(self) -> ArticleRow | None:
        if not self.is_mounted or not self.articles:
            return None
        index = self.query_one("#kb-results", OptionList).highlighted
        if index is None or not 0 <= index < len(self.articles):
            return None
        return self.articles[index]

    def _show_article(self) -> None:
        article = self.current
        if article is not None and article.id == self._shown_article:
            return
        self._shown_article = article.id if article is not None else None
        head = self.query_one("#kb-article-head", Static)
        head.update(article_header(article) if article is not None else Text(""))
        if self._body_timer is not None:
            self._body_timer.stop()
            self._body_timer = None
        if ARTICLE_DELAY > 0:
            self._body_timer = self.set_timer(ARTICLE_DELAY, self._show_body)
        else:  # no delay (tests): at once
            self.call_later(self._show_body)

    def _show_body(self) -> None:
        self._body_timer = None
        article = self.current
        self.query_one("#kb-markdown", Markdown).update(
            clean(article.body) if article is not None else ""
        )
        self.query_one("#kb-article", VerticalScroll).scroll_home(animate=False)

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        self._show_article()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_details()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.search()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one("#kb-results", OptionList).focus()

    def show_article(self, article_id: str, title: str) -> None:
        """Search for an article's title and highlight it (opened from a case)."""
        self._wanted = article_id
        self.filter = "all"
        search = self.query_one("#kb-search", Input)
        search.value = title
        # Now, not on the Changed message: results of an older search must not take the
        # wanted article's turn.
        self.search()
        self.query_one("#kb-results", OptionList).focus()

    # -- moving around ---------------------------------------------------------------------

    def action_focus_search(self) -> None:
        self.query_one("#kb-search", Input).focus()

    def action_move(self, step: int) -> None:
        options = self.query_one("#kb-results", OptionList)
        if step > 0:
            options.action_cursor_down()
        else:
            options.action_cursor_up()

    def action_details(self) -> None:
        if self.current is not None:
            self.query_one("#kb-article", VerticalScroll).focus()

    def action_next_filter(self) -> None:
        names = [name for name, _ in FILTERS]
        self.filter = names[(names.index(self.filter) + 1) % len(names)]
        self.search()

    async def action_back(self) -> None:
        search = self.query_one("#kb-search", Input)
        results = self.query_one("#kb-results", OptionList)
        if self.focused is self.query_one("#kb-article"):
            results.focus()
        elif search.value:
            search.value = ""
            results.focus()
        elif self.focused is search and self.articles:
            results.focus()
        else:
            await self.app.switch_mode("queue")

    def palette_commands(self) -> Iterator[SystemCommand]:
        for binding in self.BINDINGS:
            assert isinstance(binding, Binding)
            if binding.id in self.PALETTE_HELP:
                yield SystemCommand(
                    binding.description,
                    self.PALETTE_HELP[binding.id],
                    partial(self.run_action, binding.action),
                )

    # -- publishing ------------------------------------------------------------------------

    def action_publish(self) -> None:
        article = self.current
        if article is None:
            return
        if article.state == rules.PUBLISHED:
            self.notify("This article is published already.", timeout=2)
            return
        if not self.desk.can_publish:
            self.notify(rules.PUBLISH_REFUSAL, title="Not published", severity="warning")
            return
        title = clean_line(article.title)
        self.csm_app.edit(
            partial(self.desk.publish_article, article.id),
            set(),
            f"Published “{title}”; it goes to every desk with the next sync.",
            then=lambda _result: self.search(),
        )

    def action_withdraw(self) -> None:
        article = self.current
        if article is None:
            return
        title = clean_line(article.title)
        what = "proposal" if article.state == rules.PROPOSED else "article"

        def answered(yes: bool | None) -> None:
            if yes:
                self.csm_app.edit(
                    partial(self.desk.withdraw_article, article.id),
                    set(),
                    f"Deleted the {what} “{title}”.",
                    then=lambda _result: self.search(),
                )

        from csm_tui.screens.confirm import ConfirmModal

        self.app.push_screen(
            ConfirmModal(f"Delete the {what} “{title}”?", confirm="Delete"), answered
        )


async def open_article(app: App[object], article_id: str) -> None:
    """Switch to the knowledge screen showing ``article_id`` (from a case's suggestions)."""
    desk = getattr(app, "desk", None)
    article = desk.article(article_id) if desk is not None else None
    if article is None:
        app.notify("That article is no longer in the local store.", timeout=2)
        return
    await app.switch_mode("knowledge")
    screen = app.screen
    if isinstance(screen, KnowledgeScreen):
        screen.show_article(article.id, clean_line(article.title))
