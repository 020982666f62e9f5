"""Knowledge articles: the rules of searching, suggesting, quoting and publishing them.

Pure: no I/O, no SQL, no Textual. The store's FTS5 index (``store.knowledge_index``) and the
server's push handlers (``server.knowledge_push``) both follow what is decided here.

Folding: German writes ``ä ö ü ß`` as ``ae oe ue ss`` where the letters are missing (an
English keyboard, an old system), so ``Ueberweisung`` and ``Überweisung`` must be the same
word. :func:`german_fold` turns the letters into their two-letter spellings; the index stores
text folded that way (the same replacements in SQL, :data:`FOLD_SQL_PAIRS`) and its
tokenizer (``unicode61 remove_diacritics 2``) takes care of case and every other accent
(``é`` is ``e``). The query is folded the same way before it reaches FTS5. A word typed
without the ``e`` (``Uberweisung``) is a different word, as it would be in German.

Search text is data, never FTS5 syntax (ARCHITECTURE.md): :func:`parse_article_search`
turns it into words and phrases, and :func:`match_expression` into double-quoted strings
only, so that ``"``, ``*``, ``NEAR(``, ``OR OR`` or 5,000 characters give results or a
sentence saying why there are none, never an error. Every word must match; the last one as
a prefix (search as you type).

Roles: anyone may propose an article (state ``proposed``); leads and admins publish
(``published``), change and delete any article; an agent may change or withdraw only their
own proposal (:func:`change_refusal`). Only published articles are searched and suggested
by default.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

PROPOSED = "proposed"
PUBLISHED = "published"
STATES = (PROPOSED, PUBLISHED)
LEAD_ROLES = frozenset({"lead", "admin"})

MAX_TITLE = 200
MAX_BODY = 50_000
MAX_PRODUCT = 64
MAX_SLUG = 120
MAX_TAGS = 20
#: The longest search text read, and the most words and phrases that go to the index.
MAX_SEARCH_CHARS = 500
MAX_TERMS = 12
#: Most words of a case that go into its suggestion query.
MAX_SUGGESTION_TERMS = 16
#: Where published articles live for customers; a link is ``<base>/<language>/<slug>``.
KB_BASE_URL = "https://help.example.com/kb"

PUBLISH_REFUSAL = (
    "Only team leads and admins publish articles; yours stays a proposal until a lead publishes it."
)
CHANGE_REFUSAL = "Only team leads and admins change a published article; propose a new one."
OTHERS_REFUSAL = "Only its author or a team lead can change or withdraw this proposal."
DELETE_REFUSAL = "Only team leads and admins delete a published article."

#: (letter, spelling) pairs: the same replacements in Python and in the index's SQL.
FOLD_SQL_PAIRS: tuple[tuple[str, str], ...] = (
    ("ä", "ae"),
    ("ö", "oe"),
    ("ü", "ue"),
    ("Ä", "Ae"),
    ("Ö", "Oe"),
    ("Ü", "Ue"),
    ("ß", "ss"),
    ("ẞ", "SS"),
)
_GERMAN = str.maketrans(dict(FOLD_SQL_PAIRS))
# Letters NFKD does not take apart into a base letter and a mark.
_SPECIAL = str.maketrans({"ı": "i", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "æ": "ae", "œ": "oe"})
# FTS5's unicode61 splits on everything but letters and digits (underscore included).
_WORD = re.compile(r"[^\W_]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_SLUG_PART = re.compile(r"[a-z0-9]+")
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def german_fold(text: str) -> str:
    """``ä ö ü ß`` (any case) as ``ae oe ue ss``; nothing else changes."""
    return text.translate(_GERMAN)


def fold(text: str | None) -> str:
    """What the index compares: German-folded, case-folded, without any other accent."""
    if not text:
        return ""
    folded = german_fold(text).casefold()
    if folded.isascii():
        return folded
    decomposed = unicodedata.normalize("NFKD", folded.translate(_SPECIAL))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str | None) -> list[str]:
    """The folded words of ``text``, as the index's tokenizer cuts them."""
    return _WORD.findall(fold(text))


# -- search ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ArticleQuery:
    """What a search text asks for: phrases of folded words, all of which must match; the
    last one is a prefix when ``prefix_last``. ``problems`` says what was left out."""

    terms: tuple[tuple[str, ...], ...] = ()
    prefix_last: bool = True
    problems: tuple[str, ...] = field(default=(), compare=False)

    @property
    def is_empty(self) -> bool:
        return not self.terms

    @property
    def words(self) -> tuple[str, ...]:
        return tuple(w for term in self.terms for w in term)


NO_WORDS = "Type a word or number to search; quotes, stars and brackets alone find nothing."


def parse_article_search(text: object) -> ArticleQuery:
    """Read a search text: words, and ``"phrases"`` (an unclosed quote runs to the end).
    Never raises; punctuation is dropped and too much text is cut, each with a sentence."""
    if not isinstance(text, str):
        text = str(text)
    problems: list[str] = []
    if len(text) > MAX_SEARCH_CHARS:
        problems.append(f"Only the first {MAX_SEARCH_CHARS} characters of the search are used.")
        text = text[:MAX_SEARCH_CHARS]
    text = _CONTROL.sub(" ", text)
    terms: list[tuple[str, ...]] = []
    last_closed = False
    chunks = text.split('"')
    for n, chunk in enumerate(chunks):
        if n % 2:  # inside quotes: one phrase (closed when a chunk follows its quote)
            phrase = tuple(words(chunk))
            if phrase:
                terms.append(phrase)
                last_closed = n < len(chunks) - 1
        else:
            for word in words(chunk):
                terms.append((word,))
                last_closed = False
    # Repeated terms add nothing but cost; keep the first of each.
    unique = list(dict.fromkeys(terms))
    if len(unique) > MAX_TERMS:
        problems.append(f"Only the first {MAX_TERMS} words of the search are used.")
        unique = unique[:MAX_TERMS]
        last_closed = False
    if not unique and text.strip():
        problems.append(NO_WORDS)
    return ArticleQuery(tuple(unique), prefix_last=not last_closed, problems=tuple(problems))


def _quoted(term: Sequence[str]) -> str:
    # Folded words hold letters and digits only, so no quote can be inside; doubled anyway.
    return '"' + " ".join(term).replace('"', '""') + '"'


def match_expression(query: ArticleQuery) -> str | None:
    """The FTS5 MATCH text: double-quoted strings only, all required, the last a prefix.
    None when there is nothing to search for."""
    if query.is_empty:
        return None
    parts = [_quoted(t) for t in query.terms]
    if query.prefix_last:
        parts[-1] += "*"
    return " ".join(parts)


# -- suggestions ---------------------------------------------------------------------------

#: Words that say nothing about what a case is about (folded, German and English).
_STOPWORD_TEXT = """
    a about above after again all also am an and any are as at be because been before being
    below between both but by can cannot could did do does doing done down during each few
    for from further get got had has have having he her here hers him his how i if in into
    is it its itself just me more most my myself no nor not now of off on once only or other
    our ours out over own please same she should so some still such than thank thanks that
    the their them then there these they this those through to too under until up very was
    we were what when where which while who whom why will with would you your yours hello
    hi dear regards kind best wishes since already yet again ago week weeks day days today
    yesterday never ever really much many one two three
    aber alle allem allen aller alles als also am an ander andere anderem anderen anderer
    anderes auch auf aus bei bin bis bitte bist da damit dann das dass dein deine dem den
    der des dessen dich die dies diese diesem diesen dieser dieses dir doch dort du durch
    ein eine einem einen einer eines einmal er es etwas euch euer eure fuer gegen gewesen
    hab habe haben hallo hat hatte hatten hier hin hinter ich ihm ihn ihnen ihr ihre ihrem
    ihren ihrer ihres im in indem ins ist jede jedem jeden jeder jedes jetzt kann kein keine
    keinem keinen keiner koennen koennte machen man manche mein meine meinem meinen meiner
    meines mich mir mit muss musste nach nicht nichts noch nun nur ob oder ohne schon sehr
    sein seine seinem seinen seiner sich sie sind so solche soll sollte sondern sonst ueber
    um und uns unser unsere unter viel vom von vor war waren warum was weil welche welchem
    welchen welcher welches wenn wer werde werden wie wieder will wir wird wirst wo wollen
    wollte wurde wurden zu zum zur zwar zwischen danke vielen dank gruesse gruss freundlichen
    liebe lieber sehr geehrte geehrter damen herren seit bereits heute gestern immer leider
    mal gibt geht bekommen erhalten schon
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def suggestion_terms(*texts: str | None) -> list[str]:
    """The words of a case's texts (its subject, tags and latest customer message, in that
    order) worth searching for: folded, at least three letters, not a stop word, not a bare
    number (amounts and order numbers find nothing useful), each once, in order."""
    out: list[str] = []
    for text in texts:
        for word in words(text):
            if len(word) < 3 or word.isdigit() or word in STOPWORDS or word in out:
                continue
            out.append(word)
            if len(out) >= MAX_SUGGESTION_TERMS:
                return out
    return out


def suggestion_expression(terms: Sequence[str]) -> str | None:
    """Any of the words may match (bm25 ranks articles that match more, and rarer, words
    first); words of five letters or more match as prefixes, so ``Karte`` finds
    ``Kartensperre``. Quoted strings only."""
    if not terms:
        return None
    return " OR ".join(_quoted([t]) + ("*" if len(t) >= 5 else "") for t in terms)


# -- highlighting and excerpts -------------------------------------------------------------


def highlight_spans(text: str, query: ArticleQuery) -> list[tuple[int, int]]:
    """(start, end) of the words of ``text`` the query matched: equal to a query word, or
    starting with the last one when it is a prefix."""
    if query.is_empty or not text:
        return []
    exact = set(query.words)
    prefix = query.terms[-1][-1] if query.prefix_last else None
    spans = []
    for match in _WORD.finditer(text):
        word = fold(match.group())
        for part in _WORD.findall(word) or [word]:
            if part in exact or (prefix is not None and part.startswith(prefix)):
                spans.append((match.start(), match.end()))
                break
    return spans


_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_MD_MARK = re.compile(r"(\*\*|__|`|~~)")
_MD_LINE = re.compile(r"^\s{0,3}(?:#{1,6}\s+|>\s?|[-*+]\s+(?:\[[ xX]\]\s+)?|\d+[.)]\s+)")


def plain_lines(markdown: str) -> list[str]:
    """The text lines of a Markdown body without its marks (headings, lists, emphasis,
    link targets), blank lines dropped."""
    out = []
    for line in markdown.splitlines():
        line = _MD_LINE.sub("", line)
        line = _MD_MARK.sub("", _MD_LINK.sub(r"\1", line)).strip()
        if line:
            out.append(line)
    return out


def first_paragraph(markdown: str) -> str:
    """The first paragraph of running text (headings and list items skipped, unless
    there is nothing else)."""
    paragraphs: list[list[str]] = [[]]
    for raw in markdown.splitlines():
        if not raw.strip():
            paragraphs.append([])
            continue
        if _MD_LINE.match(raw):
            paragraphs.append([])
            continue
        paragraphs[-1].append(_MD_MARK.sub("", _MD_LINK.sub(r"\1", raw)).strip())
    for lines in paragraphs:
        if lines:
            return " ".join(lines)
    return " ".join(plain_lines(markdown))


def shorten(text: str, limit: int) -> str:
    """``text`` cut at a word boundary to at most ``limit`` characters, with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:") + "…"


def excerpt(markdown: str, query: ArticleQuery, width: int = 90) -> str:
    """One line of the body for the result list: the first line with a matched word
    (starting a little before it), else the first paragraph."""
    if not query.is_empty:
        wanted = query.words
        for line in plain_lines(markdown):
            # A cheap test on the folded line first: spans cost a fold per word.
            folded = fold(line)
            if not any(w in folded for w in wanted):
                continue
            spans = highlight_spans(line, query)
            if spans:
                start = spans[0][0]
                if start > width // 3:
                    space = line.rfind(" ", 0, start - width // 6)
                    line = "…" + line[space + 1 if space >= 0 else start :]
                return shorten(line, width)
    return shorten(first_paragraph(markdown), width)


# -- linking and quoting -------------------------------------------------------------------


def article_url(slug: str, language: str) -> str:
    """The article's public address."""
    lang = language if re.fullmatch(r"[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})?", language or "") else "en"
    safe = slug if SLUG_PATTERN.match(slug or "") else "article"
    return f"{KB_BASE_URL}/{lang}/{safe}"


def link_text(title: str, slug: str, language: str) -> str:
    """What "insert a link" puts into a reply: the title and the address."""
    return f"{' '.join(title.split())}: {article_url(slug, language)}"


def quote_text(title: str, body: str, slug: str, language: str, limit: int = 400) -> str:
    """What "insert an excerpt" puts into a reply: the first paragraph as a quote, and
    where the rest is."""
    paragraph = shorten(first_paragraph(body), limit) or " ".join(title.split())
    source = "Mehr dazu" if language.startswith("de") else "More"
    return f"> {paragraph}\n\n{source}: {link_text(title, slug, language)}"


def slugify(title: str, suffix: str = "") -> str:
    """A URL slug from a title (``Karte verloren?`` -> ``karte-verloren``), ``suffix``
    appended to keep it unique."""
    parts = _SLUG_PART.findall(fold(title))
    slug = "-".join(parts)[: MAX_SLUG - 10].strip("-") or "article"
    extra = "-".join(_SLUG_PART.findall(fold(suffix)))
    return f"{slug}-{extra}" if extra else slug


# -- a proposal from a reply ---------------------------------------------------------------

_GREETING = re.compile(
    r"^(hallo|hello|hi|dear|guten (tag|morgen|abend)|sehr geehrte[rs]?|liebe[rs]?|moin|"
    r"good (morning|afternoon|evening))\b.*[,!]?\s*$",
    re.IGNORECASE,
)
_SIGN_OFF = re.compile(
    r"^(viele grüße|viele gruesse|freundliche grüße|freundliche gruesse|mit freundlichen|"
    r"beste grüße|liebe grüße|kind regards|best regards|best wishes|regards|many thanks|"
    r"thanks again|cheers|ihr kundenservice|your customer service)\b",
    re.IGNORECASE,
)
_CASE_REF = re.compile(r"\b(?:CS|K)-\d+\b")


def draft_from_reply(subject: str, reply: str) -> tuple[str, str]:
    """A proposal's title and Markdown body from a case subject and a reply the agent
    wrote: the greeting line and the sign-off go, case and customer numbers too."""
    title = " ".join(_CASE_REF.sub("", subject).split()).strip(" -:") or "New article"
    lines = reply.strip().splitlines()
    if lines and _GREETING.match(lines[0].strip()):
        lines = lines[1:]
    for n, line in enumerate(lines):
        if _SIGN_OFF.match(line.strip()):
            lines = lines[:n]
            break
    body = _CASE_REF.sub("", "\n".join(lines)).strip()
    return title[:MAX_TITLE], body


# -- rules ---------------------------------------------------------------------------------


def check_article(
    title: object, body: object, language: object, tags: Iterable[object] = (), product: object = ""
) -> list[str]:
    """One sentence per problem of an article as it would be stored (empty: fine)."""
    problems = []
    if not isinstance(title, str) or not title.strip():
        problems.append("An article needs a title.")
    elif len(title) > MAX_TITLE:
        problems.append(f"An article's title is at most {MAX_TITLE} characters long.")
    if not isinstance(body, str) or not body.strip():
        problems.append("An article needs some text.")
    elif len(body) > MAX_BODY:
        problems.append(f"An article's text is at most {MAX_BODY:,} characters long.")
    if not isinstance(language, str) or not re.fullmatch(
        r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})?", language
    ):
        problems.append("An article's language is a code such as de or en.")
    tag_list = list(tags)
    if len(tag_list) > MAX_TAGS or not all(isinstance(t, str) and len(t) <= 64 for t in tag_list):
        problems.append(f"An article has at most {MAX_TAGS} tags of at most 64 characters.")
    if not isinstance(product, str) or len(product) > MAX_PRODUCT:
        problems.append(f"An article's product is at most {MAX_PRODUCT} characters long.")
    return problems


def is_lead(role: str | None) -> bool:
    return role in LEAD_ROLES


def publish_refusal(role: str | None) -> str | None:
    """Why this role may not publish (None: it may)."""
    return None if is_lead(role) else PUBLISH_REFUSAL


def create_refusal(role: str | None, state: str) -> str | None:
    """Why this role may not create an article in ``state``."""
    if state not in STATES:
        return f"An article is {' or '.join(STATES)}, not {state[:40]!r}."
    return publish_refusal(role) if state == PUBLISHED else None


def change_refusal(
    role: str | None,
    me: str | None,
    author: str | None,
    state: str,
    new_state: str | None = None,
    *,
    delete: bool = False,
) -> str | None:
    """Why the agent ``me`` may not change (or ``delete``) an article in ``state`` by
    ``author`` (``new_state``: the state the change sets, if any). None: they may."""
    if is_lead(role):
        return None
    if new_state is not None and new_state != state and new_state == PUBLISHED:
        return PUBLISH_REFUSAL
    if state == PUBLISHED:
        return DELETE_REFUSAL if delete else CHANGE_REFUSAL
    if me is None or author != me:
        return OTHERS_REFUSAL
    return None
