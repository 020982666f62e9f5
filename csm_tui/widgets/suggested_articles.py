"""Knowledge articles suggested for the case on screen, beside the case (issue #6).

The suggestions come from the case's subject, tags and latest customer message
(``Desk.suggest_articles``: FTS5 over the local store, so offline too), read in a thread
worker when the widget mounts and again whenever a sync or an edit changed the store. The
highlighted one is what the case screen's keys insert into the reply: ``l`` a link, ``e`` a
quoted excerpt; enter opens it in the knowledge screen. A case with nothing to suggest shows
no box at all.

Titles are untrusted text: cleaned and drawn as ``Text``, never markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from rich.text import Text
from textual import work
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from csm_tui.domain.text import clean_line
from csm_tui.errors import CsmError

if TYPE_CHECKING:
    from csm_tui.desk import ArticleRow


class ArticleSource(Protocol):
    """What the widget needs of the desk."""

    def suggest_articles(self, case_id: str, limit: int = 5) -> list[ArticleRow]: ...


#: Shown under the list: the keys that use a suggestion.
KEYS_HINT = "l link · e excerpt"


class SuggestedArticles(OptionList):
    """Up to five published articles for one case, best first."""

    DEFAULT_CSS = """
    SuggestedArticles {
        height: auto;
        max-height: 9;
        border: round $accent 60%;
        border-title-color: $accent;
        border-subtitle-color: $foreground-muted;
        background: $surface;
        text-wrap: nowrap;
        text-overflow: ellipsis;
        & > .option-list--option { padding: 0; }
    }
    """

    @dataclass
    class Loaded(Message):
        """The suggestions for ``case_id`` were read (in a worker)."""

        case_id: str
        articles: list[ArticleRow]

    def __init__(self, desk: ArticleSource, case_id: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.desk = desk
        self.case_id = case_id
        self.articles: list[ArticleRow] = []
        self.loaded = False
        self.border_title = "Suggested articles"
        self.border_subtitle = KEYS_HINT
        # Hidden until there is something to suggest: the side panel has little room.
        self.display = False

    def on_mount(self) -> None:
        signal = getattr(self.app, "cases_changed_signal", None)
        if signal is not None:
            # Any change may bring articles (a sync) or a new customer message (this case).
            signal.subscribe(self, lambda _ids: self.reload())
        self.reload()

    def reload(self) -> None:
        self._read(self.case_id)

    @work(thread=True, exclusive=True, group="suggest-articles", exit_on_error=False)
    def _read(self, case_id: str) -> None:
        try:
            found = self.desk.suggest_articles(case_id)
        except CsmError:
            found = []  # suggestions are a help: a store problem shows elsewhere
        self.post_message(self.Loaded(case_id, found))

    def on_suggested_articles_loaded(self, message: Loaded) -> None:
        message.stop()
        if message.case_id != self.case_id:
            return
        self.show(message.articles)

    def show(self, articles: Sequence[ArticleRow]) -> None:
        keep = self.current.id if self.current is not None else None
        self.articles = list(articles)
        self.loaded = True
        self.clear_options()
        self.add_options(self._option(a) for a in self.articles)
        self.border_title = f"Suggested articles ({len(self.articles)})"
        self.display = bool(self.articles)
        if self.articles:
            ids = [a.id for a in self.articles]
            self.highlighted = ids.index(keep) if keep in ids else 0

    async def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        # Enter: read the whole article in the knowledge screen (escape comes back here).
        event.stop()
        article = self.current
        if article is not None:
            from csm_tui.screens.knowledge import open_article

            await open_article(self.app, article.id)

    @staticmethod
    def _option(article: ArticleRow) -> Option:
        line = Text(no_wrap=True, overflow="ellipsis", end="")
        line.append(clean_line(article.language)[:2].upper() or "··", style="dim")
        line.append(" ")
        line.append(clean_line(article.title))
        return Option(line, id=article.id)

    @property
    def current(self) -> ArticleRow | None:
        """The highlighted suggestion (the first one until the agent moves)."""
        if not self.articles:
            return None
        index = self.highlighted if self.highlighted is not None else 0
        return self.articles[index] if 0 <= index < len(self.articles) else None
