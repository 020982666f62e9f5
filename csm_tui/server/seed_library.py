"""Demo macros, snippets and macro uses for ``csm seed``.

The shared library a contact-center desk starts with: macros in German and English (reply
templates with merge fields, status, priority, tags, queue and task actions) and snippets
(``;greet``, ``;gruss``, ``;iban``, ...). Macro uses follow the seeded cases: on a worked case
the assignee applied the macros that fit its queue, tags and language, so the suggestions
have something to learn from. Pure and deterministic: ids come from fixed names (macros and
snippets) or from the generator passed in (uses).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from csm_tui.domain.enums import CaseStatus
from csm_tui.domain.macros import (
    ME,
    AddTags,
    CreateTask,
    MacroAction,
    Reply,
    SetAssignee,
    SetPriority,
    SetStatus,
    action_to_dict,
)
from csm_tui.domain.models import MacroRow, SnippetRow

#: Macro and snippet ids are uuid5 of their key in this namespace: the same in every seed.
_NAMESPACE = uuid.UUID("6f1d3c52-9b0e-4c1a-8f3e-2a7d5b9c4e10")
#: Share of worked cases on which the assignee applied a macro (a second one now and then).
USE_SHARE = 0.2
SECOND_USE_SHARE = 0.25


@dataclass(frozen=True)
class _MacroSpec:
    key: str
    lang: str
    name: str
    description: str
    actions: tuple[MacroAction, ...]
    #: The queue topics and case tags it suits (what its demo uses follow).
    topics: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()


_SIGN_EN = "\n\nKind regards\n{{ agent.name }}"
_SIGN_DE = "\n\nViele Grüße\n{{ agent.name }}"
_HELLO_EN = 'Hello {{ customer.first_name|default("there") }},\n\n'
_HELLO_DE = 'Hallo {{ customer.first_name|default("") }},\n\n'

_MACROS: tuple[_MacroSpec, ...] = (
    _MacroSpec(
        "refund-approved",
        "en",
        "Refund approved",
        "Tell the customer the refund is on its way and mark the case solved.",
        (
            Reply(
                "public",
                _HELLO_EN + "good news: we have approved your refund for case {{ case.number }}. "
                "The amount will be back on your account within 3-5 working days."
                "{{ cursor }}" + _SIGN_EN,
            ),
            AddTags(("refund",)),
            SetStatus("solved"),
        ),
        topics=("billing", "returns"),
        tags=("refund", "double-charge"),
    ),
    _MacroSpec(
        "erstattung-genehmigt",
        "de",
        "Erstattung genehmigt",
        "Erstattung bestätigen und den Fall als gelöst markieren.",
        (
            Reply(
                "public",
                _HELLO_DE + "gute Nachricht: Ihre Erstattung zum Fall {{ case.number }} ist "
                "genehmigt. Der Betrag ist in 3-5 Werktagen wieder auf Ihrem Konto."
                "{{ cursor }}" + _SIGN_DE,
            ),
            AddTags(("refund",)),
            SetStatus("solved"),
        ),
        topics=("billing", "returns"),
        tags=("refund", "double-charge"),
    ),
    _MacroSpec(
        "karte-gesperrt",
        "de",
        "Karte gesperrt – Betrugsverdacht",
        "Karte sperren lassen, Betrugsteam beauftragen, Kunde informieren.",
        (
            SetPriority("urgent"),
            AddTags(("fraud-suspected", "card-block")),
            Reply(
                "public",
                _HELLO_DE + "wir haben Ihre Karte zu Ihrer Sicherheit sofort gesperrt. Unser "
                "Betrugsteam prüft die Umsätze; eine neue Karte ist in 5-7 Werktagen bei "
                "Ihnen.{{ cursor }}" + _SIGN_DE,
            ),
            CreateTask("fraud", "Kartenumsätze zu {{ case.number }} prüfen", "+4h"),
            SetStatus("pending"),
        ),
        topics=("cards",),
        tags=("fraud-suspected", "card-block", "urgent-block", "chargeback"),
    ),
    _MacroSpec(
        "card-blocked",
        "en",
        "Card blocked – suspected fraud",
        "Block the card, hand the payments to the fraud team, tell the customer.",
        (
            SetPriority("urgent"),
            AddTags(("fraud-suspected", "card-block")),
            Reply(
                "public",
                _HELLO_EN + "for your security we have blocked your card straight away. Our "
                "fraud team is reviewing the payments; a new card will reach you within 5-7 "
                "working days.{{ cursor }}" + _SIGN_EN,
            ),
            CreateTask("fraud", "Review card payments on {{ case.number }}", "+4h"),
            SetStatus("pending"),
        ),
        topics=("cards",),
        tags=("fraud-suspected", "card-block", "urgent-block", "chargeback"),
    ),
    _MacroSpec(
        "ask-order-number",
        "en",
        "Ask for order number",
        "Ask for the order number and wait for the customer.",
        (
            Reply(
                "public",
                _HELLO_EN + "thanks for getting in touch. Could you send us your order "
                "number? You will find it in your order confirmation.{{ cursor }}" + _SIGN_EN,
            ),
            AddTags(("needs-info",)),
            SetStatus("pending"),
        ),
        topics=("delivery", "returns", "business"),
        tags=("lost-parcel", "delivery-delay", "wrong-item"),
    ),
    _MacroSpec(
        "bestellnummer-erfragen",
        "de",
        "Bestellnummer erfragen",
        "Nach der Bestellnummer fragen und auf den Kunden warten.",
        (
            Reply(
                "public",
                _HELLO_DE + "danke für Ihre Nachricht. Können Sie uns bitte Ihre "
                "Bestellnummer schicken? Sie steht in Ihrer Bestellbestätigung.{{ cursor }}"
                + _SIGN_DE,
            ),
            AddTags(("needs-info",)),
            SetStatus("pending"),
        ),
        topics=("delivery", "returns", "business"),
        tags=("lost-parcel", "delivery-delay", "wrong-item"),
    ),
    _MacroSpec(
        "close-solved-by-phone",
        "en",
        "Close: solved by phone",
        "Note the call and mark the case solved.",
        (
            Reply(
                "internal",
                'Solved on the phone with {{ customer.name|default("the customer") }}.{{ cursor }}',
            ),
            AddTags(("solved-by-phone",)),
            SetStatus("solved"),
        ),
        topics=("technical", "login", "complaints", "billing"),
        tags=("callback",),
    ),
    _MacroSpec(
        "telefonisch-geloest",
        "de",
        "Abschluss: telefonisch gelöst",
        "Telefonat notieren und den Fall als gelöst markieren.",
        (
            Reply(
                "internal",
                'Telefonisch mit {{ customer.name|default("dem Kunden") }} gelöst.{{ cursor }}',
            ),
            AddTags(("solved-by-phone",)),
            SetStatus("solved"),
        ),
        topics=("technical", "login", "complaints", "billing"),
        tags=("callback",),
    ),
    _MacroSpec(
        "password-reset",
        "en",
        "Password reset instructions",
        "Send the reset steps and wait for the customer.",
        (
            Reply(
                "public",
                _HELLO_EN + "you can set a new password at any time: open the sign-in page, "
                'choose "Forgot password" and follow the link we e-mail you (it is valid for '
                "30 minutes). Please check your spam folder too.{{ cursor }}" + _SIGN_EN,
            ),
            AddTags(("password-reset",)),
            SetStatus("pending"),
        ),
        topics=("login",),
        tags=("password-reset", "account-locked", "2fa"),
    ),
    _MacroSpec(
        "passwort-zuruecksetzen",
        "de",
        "Passwort zurücksetzen – Anleitung",
        "Anleitung zum Zurücksetzen schicken und auf den Kunden warten.",
        (
            Reply(
                "public",
                _HELLO_DE + "Sie können Ihr Passwort jederzeit selbst neu setzen: Auf der "
                'Anmeldeseite "Passwort vergessen" wählen und dem Link in unserer E-Mail '
                "folgen (30 Minuten gültig). Bitte sehen Sie auch im Spam-Ordner nach."
                "{{ cursor }}" + _SIGN_DE,
            ),
            AddTags(("password-reset",)),
            SetStatus("pending"),
        ),
        topics=("login",),
        tags=("password-reset", "account-locked", "2fa"),
    ),
    _MacroSpec(
        "book-engineer-visit",
        "en",
        "Book an engineer visit",
        "Hand the visit to field service and tell the customer.",
        (
            CreateTask("field_service", "Engineer visit for {{ case.number }}", "+2d"),
            Reply(
                "public",
                _HELLO_EN + "we have asked our field service to book an engineer visit; "
                "they will call you within two working days to agree on a time.{{ cursor }}"
                + _SIGN_EN,
            ),
            AddTags(("engineer-visit",)),
            SetStatus("pending"),
        ),
        topics=("field", "technical"),
        tags=("engineer-visit", "appointment", "installation", "no-show", "outage"),
    ),
    _MacroSpec(
        "technikertermin",
        "de",
        "Technikertermin vereinbaren",
        "Termin beim Außendienst beauftragen und den Kunden informieren.",
        (
            CreateTask("field_service", "Technikertermin zu {{ case.number }}", "+2d"),
            Reply(
                "public",
                _HELLO_DE + "wir haben unseren Außendienst gebeten, einen Technikertermin zu "
                "vereinbaren; Sie werden innerhalb von zwei Werktagen angerufen.{{ cursor }}"
                + _SIGN_DE,
            ),
            AddTags(("engineer-visit",)),
            SetStatus("pending"),
        ),
        topics=("field", "technical"),
        tags=("engineer-visit", "appointment", "installation", "no-show", "outage"),
    ),
    _MacroSpec(
        "router-restart",
        "en",
        "Router restart steps",
        "Walk the customer through a router restart.",
        (
            Reply(
                "public",
                _HELLO_EN + "please unplug your router for 30 seconds, plug it back in and "
                "wait until the lights are steady (about 3 minutes). If the connection still "
                "drops, reply with the colour of the status light.{{ cursor }}" + _SIGN_EN,
            ),
            AddTags(("router",)),
            SetStatus("pending"),
        ),
        topics=("technical",),
        tags=("router", "connectivity", "setup"),
    ),
    _MacroSpec(
        "ruecksendeetikett",
        "de",
        "Rücksendeetikett senden",
        "Retourenlabel schicken und auf die Rücksendung warten.",
        (
            Reply(
                "public",
                _HELLO_DE + "anbei finden Sie Ihr Rücksendeetikett zum Fall {{ case.number }}. "
                "Sobald das Paket bei uns ist, erstatten wir den Betrag innerhalb von 5 "
                "Werktagen.{{ cursor }}" + _SIGN_DE,
            ),
            AddTags(("return",)),
            SetStatus("pending"),
        ),
        topics=("returns",),
        tags=("return", "exchange", "wrong-item", "warranty"),
    ),
    _MacroSpec(
        "escalate-complaint",
        "en",
        "Escalate complaint to my lead",
        "Take the case, raise the priority and leave a note for the team lead.",
        (
            SetAssignee(ME),
            SetPriority("high"),
            AddTags(("escalated",)),
            Reply(
                "internal",
                "Escalated by {{ agent.name }}: {{ case.subject }}. {{ cursor }}",
            ),
        ),
        topics=("complaints",),
        tags=("complaint", "escalated", "callback"),
    ),
    _MacroSpec(
        "beschwerde-eskalieren",
        "de",
        "Beschwerde an Teamleitung",
        "Fall übernehmen, Priorität hoch, Notiz für die Teamleitung.",
        (
            SetAssignee(ME),
            SetPriority("high"),
            AddTags(("escalated",)),
            Reply(
                "internal",
                "Eskaliert von {{ agent.name }}: {{ case.subject }}. {{ cursor }}",
            ),
        ),
        topics=("complaints",),
        tags=("complaint", "escalated", "callback"),
    ),
)

# (key, shortcut, title, body)
_SNIPPETS: tuple[tuple[str, str, str, str], ...] = (
    ("greet", "greet", "Greeting", 'Hello {{ customer.first_name|default("there") }},\n\n'),
    ("gruss", "gruss", "Begrüßung", 'Hallo {{ customer.first_name|default("") }},\n\n'),
    (
        "anrede",
        "anrede",
        "Förmliche Anrede",
        '{{ customer.salutation|default("Sehr geehrte Damen und Herren") }},\n\n',
    ),
    ("thanks", "thanks", "Thanks for getting in touch", "Thank you for getting in touch. "),
    ("danke", "danke", "Danke für die Nachricht", "Vielen Dank für Ihre Nachricht. "),
    ("sig", "sig", "Signature", "Kind regards\n{{ agent.name }}\nCustomer Service"),
    ("sig-de", "sig-de", "Signatur", "Viele Grüße\n{{ agent.name }}\nIhr Kundenservice"),
    (
        "iban",
        "iban",
        "Unsere Bankverbindung",
        "Bitte überweisen Sie den Betrag auf: IBAN DE02 1203 0000 0000 2020 51, "
        "BIC BYLADEM1001, Verwendungszweck {{ case.number }}.",
    ),
    (
        "bank",
        "bank",
        "Our bank details",
        "Please transfer the amount to: IBAN DE02 1203 0000 0000 2020 51, BIC BYLADEM1001, "
        "reference {{ case.number }}.",
    ),
    ("sorry", "sorry", "Apology", "I am sorry for the trouble this has caused. "),
    (
        "entschuldigung",
        "entschuldigung",
        "Entschuldigung",
        "Bitte entschuldigen Sie die Unannehmlichkeiten. ",
    ),
    (
        "wait",
        "wait",
        "Thanks for your patience",
        "Thank you for your patience while we look into this. ",
    ),
    ("geduld", "geduld", "Danke für die Geduld", "Danke für Ihre Geduld, wir kümmern uns darum. "),
    (
        "callback",
        "callback",
        "Offer a call back",
        "If it is easier, reply with a good time and number and we will call you back. ",
    ),
    (
        "rueckruf",
        "rueckruf",
        "Rückruf anbieten",
        "Gern rufen wir Sie zurück: Nennen Sie uns einfach Nummer und Wunschzeit. ",
    ),
    (
        "order",
        "order",
        "Ask for the order number",
        "Could you send us your order number? You will find it in your order confirmation. ",
    ),
    (
        "bestellnr",
        "bestellnr",
        "Nach Bestellnummer fragen",
        "Können Sie uns bitte Ihre Bestellnummer schicken? Sie steht in der Bestellbestätigung. ",
    ),
    (
        "tracking",
        "tracking",
        "Tracking link",
        "You can follow your parcel at https://track.example.com with the tracking number "
        "from your dispatch e-mail. ",
    ),
    (
        "sendung",
        "sendung",
        "Sendungsverfolgung",
        "Ihre Sendung können Sie unter https://track.example.com mit der Sendungsnummer aus "
        "der Versandbestätigung verfolgen. ",
    ),
    (
        "hours",
        "hours",
        "Opening hours",
        "Our team is there for you Monday to Friday, 8:00-20:00, and Saturday, 9:00-14:00. ",
    ),
    (
        "zeiten",
        "zeiten",
        "Servicezeiten",
        "Wir sind Montag bis Freitag von 8 bis 20 Uhr und samstags von 9 bis 14 Uhr für Sie da. ",
    ),
    (
        "gdpr",
        "gdpr",
        "Data request (GDPR)",
        "We have passed your request to our data protection team; you will get an answer "
        "within 30 days. ",
    ),
    (
        "dsgvo",
        "dsgvo",
        "Auskunft nach DSGVO",
        "Ihre Anfrage liegt bei unserem Datenschutzteam; Sie erhalten innerhalb von 30 Tagen "
        "eine Antwort. ",
    ),
    (
        "ref",
        "ref",
        "Case reference",
        "Please quote {{ case.number }} in any reply so that it reaches us at once. ",
    ),
    (
        "vorgang",
        "vorgang",
        "Vorgangsnummer",
        "Bitte geben Sie bei Rückfragen die Vorgangsnummer {{ case.number }} an. ",
    ),
    (
        "closing",
        "closing",
        "Anything else?",
        "Is there anything else I can do for you?{{ cursor }}",
    ),
    (
        "abschluss",
        "abschluss",
        "Noch Fragen?",
        "Kann ich sonst noch etwas für Sie tun?{{ cursor }}",
    ),
)


def library_id(kind: str, key: str) -> str:
    """The fixed id of a seeded macro or snippet."""
    return str(uuid.uuid5(_NAMESPACE, f"{kind}:{key}"))


def macros(now: datetime) -> list[MacroRow]:
    """The shared demo macros (the same for every seed)."""
    return [
        MacroRow(
            id=library_id("macro", spec.key),
            name=spec.name,
            description=spec.description,
            scope="shared",
            owner_agent_id=None,
            actions=[action_to_dict(a) for a in spec.actions],
            version=1,
            updated_at=now - timedelta(days=60 - n),
        )
        for n, spec in enumerate(_MACROS)
    ]


def snippets(now: datetime) -> list[SnippetRow]:
    """The shared demo snippets (the same for every seed)."""
    return [
        SnippetRow(
            id=library_id("snippet", key),
            shortcut=shortcut,
            title=title,
            body=body,
            scope="shared",
            owner_agent_id=None,
            version=1,
            updated_at=now - timedelta(days=60 - n),
        )
        for n, (key, shortcut, title, body) in enumerate(_SNIPPETS)
    ]


def macro_uses(
    rng: random.Random,
    cases: Iterable[Mapping[str, Any]],
    *,
    topic_of_queue: Mapping[str, str],
    slug_of_queue: Mapping[str, str],
    language_of_contact: Mapping[str, str],
) -> list[dict[str, Any]]:
    """Macro uses (column dicts) on the worked, assigned cases: the assignee applied a macro
    of the customer's language that suits the case's queue or tags, now and then a second,
    at a time between the case's creation and its last change."""
    uses: list[dict[str, Any]] = []
    for case in cases:
        if case["status"] == CaseStatus.NEW or not case.get("assignee_id"):
            continue
        if rng.random() >= USE_SHARE:
            continue
        lang = language_of_contact.get(case.get("contact_id") or "", "en")
        topic = topic_of_queue.get(case.get("queue_id") or "", "")
        tags = set(case.get("tags") or [])
        weights = []
        for spec in _MACROS:
            weight = 0.0
            if spec.lang == lang:
                # Now and then a macro that fits nothing in particular: agents are people.
                weight = 0.2 + 6 * (topic in spec.topics) + 10 * len(tags & set(spec.tags))
            weights.append(weight)
        if not any(weights):
            continue
        picks = [rng.choices(_MACROS, weights=weights)[0]]
        if rng.random() < SECOND_USE_SHARE:
            second = rng.choices(_MACROS, weights=weights)[0]
            if second is not picks[0]:
                picks.append(second)
        span = max(int((case["updated_at"] - case["created_at"]).total_seconds()), 1)
        for spec in picks:
            uses.append(
                dict(
                    id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    macro_id=library_id("macro", spec.key),
                    case_id=case["id"],
                    agent_id=case["assignee_id"],
                    queue=slug_of_queue.get(case.get("queue_id") or "", ""),
                    tags=list(case.get("tags") or []),
                    subject=case["subject"],
                    created_at=case["created_at"] + timedelta(seconds=rng.randint(1, span)),
                    version=1,
                )
            )
    return uses
