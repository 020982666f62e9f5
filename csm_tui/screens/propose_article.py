"""Propose a knowledge article from a reply the agent wrote (issue #6): the case screen's
``a`` key, and the pieces of the case screen that use knowledge articles.

The modal starts from the agent's latest public reply on the case, with the greeting, the
sign-off and case numbers taken out (``domain.knowledge.draft_from_reply``), the case subject
as title, the customer's language and the case's tags. The agent edits any of it; ``ctrl+s``
proposes (a desk command: the article in state "proposed" and its outbox row, pushed with the
next sync), escape drops it. A lead publishes it from the knowledge screen.

:func:`insert_article` puts the highlighted suggestion into the composer: a link (``l``) or a
quoted excerpt (``e``), opening the composer as a public reply when it was closed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, TextArea

from csm_tui.domain import knowledge as rules
from csm_tui.domain.text import clean, clean_line

if TYPE_CHECKING:
    from csm_tui.screens.case import CaseScreen

NO_REPLY = (
    "You have not sent a public reply on this case yet; send one, then propose it as an article."
)
NO_SUGGESTION = "There is no suggested article to use for this case."


@dataclass(frozen=True)
class ArticleDraft:
    """What the agent proposes."""

    title: str
    body: str
    language: str
    product: str
    tags: tuple[str, ...]


class ProposeArticleModal(ModalScreen[ArticleDraft | None]):
    """Title, language, product, tags and the Markdown text of a proposal."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "propose", "Propose", id="propose.save"),
        Binding("escape", "cancel", "Cancel", id="propose.cancel"),
    ]

    DEFAULT_CSS = """
    ProposeArticleModal { align: center middle; }
    ProposeArticleModal > Vertical {
        width: 90; height: auto; max-height: 90%; padding: 1 2;
        border: thick $accent; background: $surface;
    }
    ProposeArticleModal #propose-title { text-style: bold; margin-bottom: 1; }
    ProposeArticleModal .propose-row { height: auto; }
    ProposeArticleModal .propose-row > Label { width: 10; padding: 0 1 0 0; }
    ProposeArticleModal .propose-row > Input { width: 1fr; }
    ProposeArticleModal #propose-body { height: 14; margin-top: 1; }
    ProposeArticleModal #propose-problem { color: $error; height: auto; }
    ProposeArticleModal #propose-help { color: $foreground-muted; }
    """

    def __init__(self, draft: ArticleDraft) -> None:
        super().__init__()
        self.draft = draft

    def compose(self) -> ComposeResult:
        draft = self.draft
        with Vertical():
            yield Label(Text("Propose a knowledge article"), id="propose-title")
            with Horizontal(classes="propose-row"):
                yield Label(Text("Title"))
                yield Input(draft.title, id="propose-name", compact=True)
            with Horizontal(classes="propose-row"):
                yield Label(Text("Language"))
                yield Input(draft.language, id="propose-language", compact=True)
            with Horizontal(classes="propose-row"):
                yield Label(Text("Product"))
                yield Input(draft.product, id="propose-product", compact=True)
            with Horizontal(classes="propose-row"):
                yield Label(Text("Tags"))
                yield Input(", ".join(draft.tags), id="propose-tags", compact=True)
            yield TextArea(draft.body, id="propose-body", soft_wrap=True)
            yield Label(id="propose-problem")
            yield Label(
                Text("ctrl+s propose (a lead publishes it) · escape cancel"), id="propose-help"
            )

    def on_mount(self) -> None:
        self.query_one("#propose-problem", Label).display = False
        self.query_one("#propose-name", Input).focus()

    def _value(self, name: str) -> str:
        return self.query_one(f"#propose-{name}", Input).value.strip()

    def action_propose(self) -> None:
        draft = ArticleDraft(
            title=clean_line(self._value("name")),
            body=clean(self.query_one("#propose-body", TextArea).text).strip(),
            language=self._value("language"),
            product=clean_line(self._value("product")),
            tags=tuple(t for t in (clean_line(p) for p in self._value("tags").split(",")) if t),
        )
        problems = rules.check_article(
            draft.title, draft.body, draft.language, draft.tags, draft.product
        )
        if problems:
            problem = self.query_one("#propose-problem", Label)
            problem.update(Text(problems[0]))
            problem.display = True
            return
        self.dismiss(draft)

    def action_cancel(self) -> None:
        self.dismiss(None)


# -- the case screen's knowledge keys --------------------------------------------------------


def propose_from_case(screen: CaseScreen) -> None:
    """Open the proposal modal from the agent's latest public reply on the case."""
    detail = screen.detail
    if detail is None:
        return
    desk = screen.desk
    replies = desk.my_replies(screen.case_id)
    if not replies:
        screen.notify(NO_REPLY, severity="warning", timeout=4)
        return
    title, body = rules.draft_from_reply(clean_line(detail.case.subject), clean(replies[0][1]))
    language = (detail.customer.language if detail.customer else "") or "en"
    draft = ArticleDraft(
        title=title,
        body=body,
        language=language.split("-")[0],
        product="",
        tags=tuple(clean_line(t) for t in detail.case.tags),
    )
    case_id = screen.case_id

    def proposed(result: ArticleDraft | None) -> None:
        if result is None:
            return
        screen.csm_app.edit(
            lambda: desk.propose_article(
                result.title,
                result.body,
                result.language,
                list(result.tags),
                result.product,
                source_case_id=case_id,
            ),
            set(),
            f"Proposed “{result.title}”; a team lead publishes it from the knowledge screen.",
        )

    screen.app.push_screen(ProposeArticleModal(draft), proposed)


def insert_article(screen: CaseScreen, kind: str) -> None:
    """Put the highlighted suggestion into the composer: ``kind`` "link" or "quote"."""
    from csm_tui.widgets.suggested_articles import SuggestedArticles

    found = screen.query(SuggestedArticles)
    article = found.first().current if found else None
    composer = screen._composer
    if article is None or composer is None:
        screen.notify(NO_SUGGESTION, timeout=2)
        return
    if composer.has_class("-hidden") or not composer.text.strip():
        screen.action_write("public")
    area = composer.area
    text = article.link if kind == "link" else article.quote
    before = area.document.get_text_range((0, 0), area.cursor_location)
    if before.strip() and not before.endswith("\n\n"):
        text = ("\n" if before.endswith("\n") else "\n\n") + text
    area.insert(text + "\n")
    area.focus()
