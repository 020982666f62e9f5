"""Realistic demo data for the case server, and a way to simulate customers writing in.

Owns ``generate`` (pure and deterministic for a seed and a ``now``), ``seed_database`` (bulk
inserts plus one change-log row per inserted entity, so desks already synced pull the new rows)
and ``touch_cases`` (customer replies through the one write path, for sync demos and tests).
German and English customers, ten queues by country and topic, five teams of agents, and case
timelines in the customer's language. About one case in twelve hands one or two tasks to the
fraud, billing or field-service team, with the timeline events the server would write. The
shared macros and snippets of ``seed_library`` come with it, and the macro uses of the worked
cases that the suggestions learn from, and the default SLA calendars and policies (one
``sla_config`` row). Status changes on the timelines are the server's audit lines
(``domain.sla.status_line``), by the agent who worked the case, so the SLA engine reads the
same history from seeded cases as from worked ones. About a third of the solved and closed
cases have a customer's survey answer (CSAT, ``seed_surveys``). Some 400 published knowledge
articles in German and English about the same topics come from ``seed_knowledge``.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, insert
from sqlmodel import Session, SQLModel, select

from csm_tui.domain.due import format_due
from csm_tui.domain.enums import (
    AgentRole,
    CaseStatus,
    Channel,
    MessageKind,
    Priority,
    SupportTier,
    TaskState,
    TaskTeam,
)
from csm_tui.domain.models import (
    REPLICATED,
    SLA_CONFIG_ID,
    SLA_CONFIG_NAME,
    Account,
    Agent,
    Article,
    Case,
    Contact,
    MacroRow,
    MacroUse,
    Message,
    Queue,
    SlaConfig,
    SnippetRow,
    SurveyAnswer,
    Task,
    new_id,
    to_wire,
    utcnow,
)
from csm_tui.domain.sla import default_calendars, default_policies, policies_to_toml, status_line
from csm_tui.domain.status import status_after_customer_reply
from csm_tui.server import mutations, seed_knowledge, seed_library, seed_surveys
from csm_tui.server.changes import lock_log
from csm_tui.server.tables import ChangeLog

#: Demo case numbers start here: CS-10001, CS-10002, ...
FIRST_CASE_NUMBER = 10001
#: Every case is created within this window before ``now``.
WINDOW = timedelta(days=30)


class SeedError(ValueError):
    """The database cannot take this seed; ``str()`` says why and what to do."""


@dataclass
class SeedData:
    """One generated data set, parents before children."""

    accounts: list[Account] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)
    agents: list[Agent] = field(default_factory=list)
    queues: list[Queue] = field(default_factory=list)
    cases: list[Case] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    tasks: list[Task] = field(default_factory=list)
    macros: list[MacroRow] = field(default_factory=list)
    snippets: list[SnippetRow] = field(default_factory=list)
    macro_uses: list[MacroUse] = field(default_factory=list)
    sla_configs: list[SlaConfig] = field(default_factory=list)
    survey_answers: list[SurveyAnswer] = field(default_factory=list)
    articles: list[Article] = field(default_factory=list)

    def by_entity(self) -> dict[str, list[Any]]:
        return {
            "account": self.accounts,
            "contact": self.contacts,
            "agent": self.agents,
            "queue": self.queues,
            "case": self.cases,
            "message": self.messages,
            "task": self.tasks,
            "macro": self.macros,
            "snippet": self.snippets,
            "macro_use": self.macro_uses,
            "sla_config": self.sla_configs,
            "survey_answer": self.survey_answers,
            "article": self.articles,
        }


# --------------------------------------------------------------------------------------------
# Content pools. Placeholders in braces are filled per case (see _placeholders).
# --------------------------------------------------------------------------------------------

_FIRST_DE_F = (
    "Anna",
    "Julia",
    "Laura",
    "Lea",
    "Sarah",
    "Katharina",
    "Sabine",
    "Petra",
    "Monika",
    "Claudia",
    "Nicole",
    "Stefanie",
    "Melanie",
    "Jana",
    "Lisa",
    "Miriam",
    "Ursula",
    "Birgit",
    "Franziska",
    "Johanna",
    "Marie",
    "Sophie",
    "Hannah",
    "Lena",
    "Emma",
    "Ayşe",
    "Elif",
)
_FIRST_DE_M = (
    "Thomas",
    "Michael",
    "Andreas",
    "Stefan",
    "Christian",
    "Markus",
    "Frank",
    "Jürgen",
    "Uwe",
    "Tobias",
    "Jan",
    "Florian",
    "Sebastian",
    "Matthias",
    "Klaus",
    "Wolfgang",
    "Lukas",
    "Jonas",
    "Felix",
    "Maximilian",
    "Paul",
    "Leon",
    "Tim",
    "Niklas",
    "Dieter",
    "Mehmet",
    "Piotr",
)
_LAST_DE = (
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Schulz",
    "Hoffmann",
    "Schäfer",
    "Koch",
    "Bauer",
    "Richter",
    "Klein",
    "Wolf",
    "Schröder",
    "Neumann",
    "Schwarz",
    "Zimmermann",
    "Braun",
    "Krüger",
    "Hofmann",
    "Hartmann",
    "Lange",
    "Schmitt",
    "Werner",
    "Krause",
    "Meier",
    "Lehmann",
    "Schulze",
    "Maier",
    "Köhler",
    "Herrmann",
    "König",
    "Walter",
    "Huber",
    "Kaiser",
    "Fuchs",
    "Peters",
    "Scholz",
    "Möller",
    "Weiß",
    "Jung",
    "Hahn",
    "Vogel",
    "Friedrich",
    "Keller",
    "Günther",
    "Berger",
    "Winkler",
    "Roth",
    "Beck",
    "Lorenz",
    "Baumann",
    "Albrecht",
    "Ludwig",
    "Winter",
    "Böhm",
    "Yılmaz",
    "Kaya",
    "Demir",
    "Nowak",
    "Kowalski",
)
_FIRST_EN_F = (
    "Olivia",
    "Emily",
    "Charlotte",
    "Sophie",
    "Amelia",
    "Jessica",
    "Hannah",
    "Lucy",
    "Grace",
    "Chloe",
    "Sarah",
    "Rebecca",
    "Laura",
    "Emma",
    "Rachel",
    "Victoria",
    "Helen",
    "Claire",
    "Karen",
    "Susan",
    "Margaret",
    "Alice",
    "Megan",
    "Eleanor",
    "Zoe",
    "Aisha",
    "Niamh",
)
_FIRST_EN_M = (
    "James",
    "Oliver",
    "Harry",
    "George",
    "Jack",
    "Thomas",
    "William",
    "Daniel",
    "Matthew",
    "Samuel",
    "Joseph",
    "David",
    "Michael",
    "Andrew",
    "Richard",
    "Paul",
    "Mark",
    "Peter",
    "Christopher",
    "Benjamin",
    "Liam",
    "Ryan",
    "Connor",
    "Ethan",
    "Aidan",
    "Raj",
    "Callum",
)
_LAST_EN = (
    "Smith",
    "Jones",
    "Williams",
    "Taylor",
    "Brown",
    "Davies",
    "Evans",
    "Wilson",
    "Thomas",
    "Johnson",
    "Roberts",
    "Robinson",
    "Thompson",
    "Wright",
    "Walker",
    "White",
    "Edwards",
    "Hughes",
    "Green",
    "Hall",
    "Lewis",
    "Harris",
    "Clarke",
    "Patel",
    "Jackson",
    "Wood",
    "Turner",
    "Martin",
    "Cooper",
    "Hill",
    "Ward",
    "Morris",
    "Moore",
    "Clark",
    "Lee",
    "King",
    "Baker",
    "Harrison",
    "Morgan",
    "Allen",
    "Scott",
    "Phillips",
    "Watson",
    "Davis",
    "Parker",
    "Price",
    "Bennett",
    "Young",
    "Griffiths",
    "Mitchell",
    "Kelly",
    "Cook",
    "Carter",
    "Richardson",
    "Bailey",
    "Collins",
    "Bell",
    "Shaw",
    "Murphy",
    "Khan",
    "O'Brien",
    "Murray",
    "Byrne",
    "Walsh",
    "Doyle",
    "Campbell",
    "Stewart",
    "MacDonald",
)

# (country, cities, phone prefixes); weights pick the country within a language.
_PLACES = {
    "de": (
        (
            80,
            "DE",
            (
                "Berlin",
                "Hamburg",
                "München",
                "Köln",
                "Frankfurt am Main",
                "Stuttgart",
                "Düsseldorf",
                "Leipzig",
                "Dortmund",
                "Bremen",
                "Dresden",
                "Hannover",
                "Nürnberg",
                "Freiburg",
            ),
            ("+49 151", "+49 160", "+49 176", "+49 30", "+49 40", "+49 89", "+49 221"),
        ),
        (12, "AT", ("Wien", "Graz", "Linz", "Salzburg"), ("+43 664", "+43 1")),
        (8, "CH", ("Zürich", "Basel", "Bern"), ("+41 79", "+41 44")),
    ),
    "en": (
        (
            85,
            "GB",
            (
                "London",
                "Manchester",
                "Birmingham",
                "Leeds",
                "Glasgow",
                "Edinburgh",
                "Bristol",
                "Liverpool",
                "Cardiff",
                "Sheffield",
                "Newcastle",
                "Nottingham",
            ),
            ("+44 7700 900", "+44 20 7946 0", "+44 161 496 0"),
        ),
        (15, "IE", ("Dublin", "Cork", "Galway"), ("+353 85", "+353 1")),
    ),
}
_MAIL_PROVIDERS = {
    "de": ("gmx.de", "web.de", "t-online.de", "gmail.com", "posteo.de", "outlook.de"),
    "en": (
        "gmail.com",
        "outlook.com",
        "btinternet.com",
        "yahoo.co.uk",
        "hotmail.co.uk",
        "icloud.com",
    ),
}
_COMPANIES = {
    "de": (
        "{last} Logistik GmbH",
        "{last} & {last2} Steuerberatung",
        "Bäckerei {last}",
        "{last} Haustechnik GmbH",
        "Autohaus {last}",
        "Praxis Dr. {last}",
        "{last} IT-Service GmbH",
        "Gasthof {last}",
        "{city} Immobilien GmbH",
        "{last} Maschinenbau KG",
    ),
    "en": (
        "{last} & Sons Ltd",
        "{last} Consulting Ltd",
        "{last} Joinery",
        "{city} Dental Care",
        "{last} Property Services Ltd",
        "{last} & {last2} LLP",
        "The {last} Bakery",
        "{last} Logistics Ltd",
        "{city} Veterinary Clinic",
        "{last} Engineering Ltd",
    ),
}
_HOUSEHOLD = {"de": "Haushalt {last}", "en": "{last} household"}

_MONTHS = {
    "de": (
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ),
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
}
_WEEKDAYS = {
    "de": ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
_DEVICES = ("Router X200", "Router X300 Pro", "Mesh Point M2", "TV Box 4K", "Smart Plug S1")

# Topic -> queue slug per language (Billing splits by country; the rest by topic).
_QUEUES: tuple[tuple[str, str, str, str], ...] = (
    # slug, name, country, topic
    ("billing-de", "Billing DE", "DE", "billing"),
    ("billing-uk", "Billing UK", "GB", "billing"),
    ("cards-fraud", "Cards & Fraud", "", "cards"),
    ("delivery", "Delivery", "", "delivery"),
    ("technical-support", "Technical Support", "", "technical"),
    ("returns", "Returns", "", "returns"),
    ("accounts-login", "Accounts & Login", "", "login"),
    ("complaints", "Complaints", "", "complaints"),
    ("business-customers", "Business Customers", "", "business"),
    ("field-service", "Field Service", "", "field"),
)
_TEAM_OF_QUEUE = {
    "billing-de": "Billing",
    "billing-uk": "Billing",
    "cards-fraud": "Fraud & Cards",
    "delivery": "Frontline",
    "technical-support": "Technical",
    "returns": "Frontline",
    "accounts-login": "Frontline",
    "complaints": "Frontline",
    "business-customers": "Business",
    "field-service": "Technical",
}
# (handle, name, role, team); leads first in each team.
_AGENTS: tuple[tuple[str, str, str, str], ...] = (
    ("katrin.hoffmann", "Katrin Hoffmann", "lead", "Frontline"),
    ("demo", "Demo Agent", "agent", "Frontline"),
    ("anna.schmidt", "Anna Schmidt", "agent", "Frontline"),
    ("jonas.weber", "Jonas Weber", "agent", "Frontline"),
    ("emily.clarke", "Emily Clarke", "agent", "Frontline"),
    ("lukas.becker", "Lukas Becker", "agent", "Frontline"),
    ("sophie.turner", "Sophie Turner", "agent", "Frontline"),
    ("mehmet.yilmaz", "Mehmet Yılmaz", "agent", "Frontline"),
    ("thomas.richter", "Thomas Richter", "lead", "Billing"),
    ("julia.wagner", "Julia Wagner", "agent", "Billing"),
    ("oliver.bennett", "Oliver Bennett", "agent", "Billing"),
    ("laura.fischer", "Laura Fischer", "agent", "Billing"),
    ("daniel.hughes", "Daniel Hughes", "agent", "Billing"),
    ("sarah.mitchell", "Sarah Mitchell", "lead", "Fraud & Cards"),
    ("markus.klein", "Markus Klein", "agent", "Fraud & Cards"),
    ("hannah.wolf", "Hannah Wolf", "agent", "Fraud & Cards"),
    ("james.walker", "James Walker", "agent", "Fraud & Cards"),
    ("stefan.braun", "Stefan Braun", "lead", "Technical"),
    ("lena.zimmermann", "Lena Zimmermann", "agent", "Technical"),
    ("ryan.cooper", "Ryan Cooper", "agent", "Technical"),
    ("felix.hartmann", "Felix Hartmann", "agent", "Technical"),
    ("chloe.evans", "Chloe Evans", "agent", "Technical"),
    ("claudia.neumann", "Claudia Neumann", "lead", "Business"),
    ("david.morgan", "David Morgan", "agent", "Business"),
    ("nina.krueger", "Nina Krüger", "agent", "Business"),
    ("peter.lange", "Peter Lange", "admin", "Operations"),
)


class _Topic:
    """Texts of one topic in both languages: subjects (with tags) and message bodies."""

    def __init__(
        self,
        subjects: list[tuple[str, str, tuple[str, ...]]],
        customer: dict[str, tuple[str, ...]],
        reply: dict[str, tuple[str, ...]],
        ask: dict[str, str],
        solve: dict[str, str],
        note: dict[str, tuple[str, ...]],
    ) -> None:
        self.subjects = subjects
        self.customer = customer
        self.reply = reply
        self.ask = ask
        self.solve = solve
        self.note = note


_TOPICS: dict[str, _Topic] = {
    "billing": _Topic(
        subjects=[
            (
                "Doppelte Abbuchung von {amount}",
                "Charged twice for {amount}",
                ("double-charge", "refund"),
            ),
            (
                "Rechnung {invoice} ist zu hoch",
                "Invoice {invoice} is higher than expected",
                ("invoice",),
            ),
            (
                "Lastschrift zurückgegangen - Mahngebühr?",
                "Direct debit bounced - late fee?",
                ("direct-debit",),
            ),
            (
                "Erstattung für Bestellung {order} noch nicht erhalten",
                "Refund for order {order} still not received",
                ("refund",),
            ),
            (
                "Falscher Tarif auf der Rechnung für {month}",
                "Wrong plan on my {month} bill",
                ("invoice", "tariff"),
            ),
            ("Bitte Bankverbindung ändern", "Please update my bank details", ("bank-details",)),
            (
                "Zahlungserinnerung, obwohl bezahlt",
                "Payment reminder although I paid",
                ("dunning",),
            ),
            ("Ratenzahlung möglich?", "Can I pay in instalments?", ("instalments",)),
        ],
        customer={
            "de": (
                "Auf meinem Kontoauszug sehe ich, dass {amount} zweimal abgebucht wurden. "
                "Die Rechnung {invoice} habe ich aber nur einmal erhalten. Bitte prüfen Sie "
                "das und erstatten Sie mir den doppelten Betrag.",
                "Meine Rechnung {invoice} für {month} ist deutlich höher als sonst. Ich habe "
                "an meinem Vertrag nichts geändert. Können Sie mir die Positionen erklären?",
                "Ich habe die Rücksendung zu Bestellung {order} schon vor drei Wochen "
                "abgeschickt, aber die Erstattung über {amount} ist noch nicht da. Wann kann "
                "ich mit dem Geld rechnen?",
            ),
            "en": (
                "My bank statement shows that {amount} was taken twice, but I only received "
                "invoice {invoice} once. Please look into this and refund the duplicate "
                "payment.",
                "My invoice {invoice} for {month} is much higher than usual. I have not "
                "changed anything on my contract. Could you explain the charges?",
                "I sent back order {order} three weeks ago and the refund of {amount} has "
                "still not arrived. When can I expect the money?",
            ),
        },
        reply={
            "de": (
                "vielen Dank für Ihre Nachricht. Ich habe Ihr Kundenkonto geprüft und sehe die "
                "Buchung über {amount}. Ich kläre das mit unserer Buchhaltung und melde mich "
                "spätestens in zwei Werktagen bei Ihnen.",
                "danke, dass Sie sich gemeldet haben. Die Rechnung {invoice} sehe ich mir "
                "gerade genauer an. Sobald ich die Ursache kenne, gebe ich Ihnen Bescheid.",
            ),
            "en": (
                "thank you for getting in touch. I have checked your account and can see the "
                "payment of {amount}. I am clarifying this with our finance team and will "
                "come back to you within two working days.",
                "thanks for reaching out. I am taking a closer look at invoice {invoice} now "
                "and will let you know as soon as I know what happened.",
            ),
        },
        ask={
            "de": "Damit ich die Zahlung zuordnen kann, schicken Sie mir bitte einen Auszug "
            "der Buchung (Datum und Betrag genügen). Kontonummern können Sie gern "
            "schwärzen.",
            "en": "So that I can match the payment, please send me a copy of the transaction "
            "(date and amount are enough). Feel free to black out account numbers.",
        },
        solve={
            "de": "die doppelte Abbuchung war ein Fehler in unserem Zahlungslauf. Ich habe "
            "die Erstattung über {amount} veranlasst; das Geld ist in drei bis fünf "
            "Werktagen auf Ihrem Konto.",
            "en": "the duplicate payment was caused by an error in our payment run. I have "
            "issued a refund of {amount}; the money will be in your account within "
            "three to five working days.",
        },
        note={
            "de": (
                "Zahlungslauf vom {weekday} geprüft, Doppelbuchung bestätigt. Erstattung "
                "braucht Freigabe durch Team Lead.",
                "Kunde hatte schon im Vormonat eine Gutschrift. Bitte Kulanz nicht "
                "doppelt gewähren.",
            ),
            "en": (
                "Checked the payment run from {weekday}; duplicate confirmed. Refund "
                "needs lead approval.",
                "Customer already had a goodwill credit last month, don't apply it twice.",
            ),
        },
    ),
    "cards": _Topic(
        subjects=[
            (
                "Karte {card} verloren - bitte sperren",
                "Lost card {card} - please block it",
                ("card-block", "urgent-block"),
            ),
            (
                "Unbekannte Abbuchung über {amount} auf Karte {card}",
                "Unknown payment of {amount} on card {card}",
                ("fraud-suspected", "chargeback"),
            ),
            ("Karte im Ausland abgelehnt", "Card declined abroad", ("card-declined",)),
            (
                "Neue Karte nicht angekommen",
                "Replacement card never arrived",
                ("card-replacement",),
            ),
            ("PIN vergessen für Karte {card}", "Forgot PIN for card {card}", ("pin",)),
            (
                "Verdächtige SMS mit Frage nach Kartendaten",
                "Suspicious text message asking for my card details",
                ("phishing",),
            ),
            ("Kartenlimit erhöhen", "Increase my card limit", ("card-limit",)),
            (
                "Kontaktlos bezahlen funktioniert nicht",
                "Contactless payments not working",
                ("card-declined",),
            ),
        ],
        customer={
            "de": (
                "Ich habe heute festgestellt, dass meine Karte {card} weg ist. Ich weiß "
                "nicht, ob sie gestohlen wurde. Bitte sperren Sie die Karte sofort und "
                "schicken Sie mir eine neue.",
                "Auf meiner Abrechnung steht eine Zahlung über {amount}, die ich nicht "
                "kenne. Ich habe an diesem Tag nichts gekauft. Bitte stoppen Sie das und "
                "sagen Sie mir, was ich tun muss.",
                "Beim Bezahlen wurde meine Karte {card} mehrfach abgelehnt, obwohl genug "
                "Guthaben da ist. Das war mir sehr unangenehm. Was ist da los?",
            ),
            "en": (
                "I noticed today that my card {card} is missing. I don't know whether it "
                "was stolen. Please block the card straight away and send me a new one.",
                "There is a payment of {amount} on my statement that I don't recognise. I "
                "didn't buy anything that day. Please stop it and tell me what I need to do.",
                "My card {card} was declined several times at the till even though there "
                "is enough money in the account. It was quite embarrassing. What is going on?",
            ),
        },
        reply={
            "de": (
                "ich habe die Karte {card} soeben gesperrt, es sind keine weiteren Zahlungen "
                "mehr möglich. Eine Ersatzkarte ist bestellt und kommt in etwa fünf Werktagen "
                "per Post.",
                "danke für den Hinweis. Ich habe die Zahlung über {amount} markiert und unser "
                "Betrugsteam prüft sie. Bitte nutzen Sie die Karte bis dahin nicht.",
            ),
            "en": (
                "I have just blocked card {card}; no further payments are possible. A "
                "replacement is on its way and should reach you by post in about five "
                "working days.",
                "thanks for letting us know. I have flagged the payment of {amount} and our "
                "fraud team is reviewing it. Please don't use the card in the meantime.",
            ),
        },
        ask={
            "de": "Für die Reklamation brauche ich noch Ihre Bestätigung, dass Sie die "
            "Zahlung nicht autorisiert haben. Bitte antworten Sie kurz auf diese "
            "Nachricht und nennen Sie, wann Sie die Karte zuletzt benutzt haben.",
            "en": "For the dispute I need your confirmation that you did not authorise the "
            "payment. Please reply to this message and tell me when you last used "
            "the card.",
        },
        solve={
            "de": "die Prüfung ist abgeschlossen: Die Zahlung über {amount} wird Ihnen "
            "vollständig gutgeschrieben. Ihre neue Karte ist aktiviert, die alte "
            "bleibt dauerhaft gesperrt.",
            "en": "our review is complete: the payment of {amount} will be credited back to "
            "you in full. Your new card is active and the old one stays blocked.",
        },
        note={
            "de": (
                "Karte gesperrt, Chargeback eröffnet. Transaktionen der letzten 30 Tage "
                "auf weitere Auffälligkeiten geprüft: keine.",
                "Kunde identifiziert über Geburtsdatum und letzte Buchung. Konto auf "
                "Watchlist gesetzt.",
            ),
            "en": (
                "Card blocked, chargeback opened. Checked the last 30 days of "
                "transactions for anything else suspicious: nothing found.",
                "Customer verified via date of birth and last transaction. Account "
                "added to the watch list.",
            ),
        },
    ),
    "delivery": _Topic(
        subjects=[
            (
                "Paket zu Bestellung {order} nicht angekommen",
                "Parcel for order {order} has not arrived",
                ("lost-parcel",),
            ),
            (
                "Lieferung verspätet - Sendung {tracking}",
                "Delivery delayed - tracking {tracking}",
                ("delivery-delay",),
            ),
            ("Paket beschädigt angekommen", "Parcel arrived damaged", ("damaged",)),
            (
                "Lieferadresse für Bestellung {order} ändern",
                "Change delivery address for order {order}",
                ("address-change",),
            ),
            (
                "Als zugestellt markiert, aber nichts da",
                "Marked as delivered but nothing here",
                ("lost-parcel",),
            ),
            (
                "Artikel fehlt in Bestellung {order}",
                "Item missing from order {order}",
                ("partial-delivery",),
            ),
            (
                "Abholung in der Filiale nicht möglich",
                "Cannot collect my parcel at the shop",
                ("pickup",),
            ),
            ("Lieferung an Packstation", "Deliver to a parcel locker", ("address-change",)),
        ],
        customer={
            "de": (
                "Ich warte seit über einer Woche auf meine Bestellung {order}. Laut "
                "Sendungsverfolgung {tracking} hängt das Paket im Verteilzentrum. Können "
                "Sie bitte nachfragen, wo es bleibt?",
                "Die Sendung {tracking} wird als zugestellt angezeigt, aber bei mir ist "
                "nichts angekommen. Auch die Nachbarn haben nichts angenommen.",
                "Das Paket zu Bestellung {order} kam heute an, der Karton war eingedrückt "
                "und der Inhalt ist beschädigt. Fotos kann ich gern schicken.",
            ),
            "en": (
                "I have been waiting for order {order} for more than a week. Tracking "
                "{tracking} says the parcel is stuck at the depot. Could you please find "
                "out where it is?",
                "Tracking {tracking} says the parcel was delivered, but nothing has arrived "
                "here. None of my neighbours took it in either.",
                "The parcel for order {order} arrived today; the box was crushed and the "
                "contents are damaged. I can send photos if that helps.",
            ),
        },
        reply={
            "de": (
                "vielen Dank für Ihre Geduld. Ich habe einen Nachforschungsauftrag beim "
                "Versanddienstleister zu Sendung {tracking} gestellt. Das dauert in der Regel "
                "zwei bis drei Werktage.",
                "das tut mir leid. Ich habe die Bestellung {order} geprüft und kläre mit dem "
                "Lager, ob wir sofort Ersatz schicken können.",
            ),
            "en": (
                "thank you for your patience. I have opened a trace with the carrier for "
                "{tracking}; this usually takes two to three working days.",
                "I'm sorry about that. I have checked order {order} and am asking the "
                "warehouse whether we can send a replacement right away.",
            ),
        },
        ask={
            "de": "Können Sie mir bitte zwei, drei Fotos von Verpackung und Inhalt schicken? "
            "Dann kann ich den Schaden direkt beim Versanddienstleister melden.",
            "en": "Could you please send me two or three photos of the packaging and the "
            "contents? Then I can report the damage to the carrier straight away.",
        },
        solve={
            "de": "eine Ersatzlieferung zu Bestellung {order} ist heute rausgegangen; Sie "
            "erhalten die neue Sendungsnummer per E-Mail. Das beschädigte Paket "
            "müssen Sie nicht zurückschicken.",
            "en": "a replacement for order {order} was dispatched today; you will receive "
            "the new tracking number by email. There is no need to send the damaged "
            "parcel back.",
        },
        note={
            "de": (
                "Nachforschung beim Carrier eröffnet, Referenz {ref}. Frist 5 Werktage.",
                "Lager bestätigt: Artikel auf Lager, Ersatzversand möglich.",
            ),
            "en": (
                "Carrier trace opened, reference {ref}. Deadline 5 working days.",
                "Warehouse confirms the item is in stock, replacement can go out today.",
            ),
        },
    ),
    "technical": _Topic(
        subjects=[
            (
                "{device} verliert ständig die Verbindung",
                "{device} keeps dropping the connection",
                ("connectivity", "router"),
            ),
            ("App stürzt nach dem Update ab", "App crashes after the update", ("app",)),
            (
                "Kein Internet seit {weekday}",
                "No internet since {weekday}",
                ("connectivity", "outage"),
            ),
            (
                "Fehlermeldung E{errcode} bei der Einrichtung",
                "Error E{errcode} during setup",
                ("setup",),
            ),
            ("WLAN abends sehr langsam", "Wi-Fi very slow in the evenings", ("connectivity",)),
            (
                "Smart-Home-Gerät lässt sich nicht koppeln",
                "Cannot pair my smart home device",
                ("setup",),
            ),
        ],
        customer={
            "de": (
                "Seit {weekday} bricht die Verbindung meines {device} mehrmals am Tag ab. "
                "Ich habe ihn schon neu gestartet, das hilft aber nur kurz. Ich arbeite im "
                "Homeoffice und bin darauf angewiesen.",
                "Bei der Einrichtung erscheint immer die Fehlermeldung E{errcode}. Ich habe "
                "die Anleitung genau befolgt. Was bedeutet der Fehler?",
                "Nach dem letzten Update startet die App nicht mehr, sie schließt sich "
                "sofort wieder. Neu installieren habe ich schon versucht.",
            ),
            "en": (
                "Since {weekday} my {device} has been dropping the connection several times a "
                "day. Restarting it only helps for a short while. I work from home and really "
                "depend on it.",
                "During setup I keep getting error E{errcode}. I followed the instructions "
                "exactly. What does the error mean?",
                "Since the last update the app won't start any more; it closes straight "
                "away. I have already tried reinstalling it.",
            ),
        },
        reply={
            "de": (
                "danke für die ausführliche Beschreibung. Ich sehe auf Ihrer Leitung "
                "tatsächlich mehrere Abbrüche. Ich habe einen Neustart des Ports angestoßen; "
                "bitte beobachten Sie die Verbindung bis morgen.",
                "der Fehler E{errcode} bedeutet, dass das Gerät keine Verbindung zum Server "
                "aufbauen kann. Bitte setzen Sie es einmal auf Werkseinstellungen zurück und "
                "versuchen Sie es erneut.",
            ),
            "en": (
                "thanks for the detailed description. I can see several drops on your line. "
                "I have reset the port on our side; please keep an eye on the connection "
                "until tomorrow.",
                "error E{errcode} means the device cannot reach our server. Please reset it "
                "to factory settings once and try again.",
            ),
        },
        ask={
            "de": "Können Sie mir bitte die Firmware-Version Ihres {device} schicken? Sie "
            "finden sie in der Oberfläche unter System > Info.",
            "en": "Could you please send me the firmware version of your {device}? You can "
            "find it in the web interface under System > About.",
        },
        solve={
            "de": "die Störung in Ihrem Bereich ist behoben, und wir haben die Firmware Ihres "
            "{device} aktualisiert. Seitdem ist die Leitung stabil.",
            "en": "the fault in your area has been fixed and we have updated the firmware of "
            "your {device}. The line has been stable since.",
        },
        note={
            "de": (
                "Leitungsmessung: Dämpfung erhöht, CRC-Fehler. Ticket an Netzbetrieb.",
                "Bekanntes Problem mit App-Version 5.2 auf älteren Android-Geräten.",
            ),
            "en": (
                "Line test: high attenuation, CRC errors. Passed to network operations.",
                "Known issue with app version 5.2 on older Android devices.",
            ),
        },
    ),
    "returns": _Topic(
        subjects=[
            (
                "Rücksendung für Bestellung {order} - Etikett fehlt",
                "Return label missing for order {order}",
                ("return",),
            ),
            ("Umtausch in eine andere Größe", "Exchange for a different size", ("exchange",)),
            (
                "Gutschrift für Rücksendung fehlt noch",
                "Credit for my return still missing",
                ("return", "refund"),
            ),
            (
                "Artikel defekt - Rückgabe in der Garantie",
                "Faulty item - return under warranty",
                ("warranty",),
            ),
            ("Rückgabefrist verlängern?", "Can I extend the return window?", ("return",)),
            ("Falscher Artikel geliefert", "Wrong item delivered", ("wrong-item",)),
        ],
        customer={
            "de": (
                "Ich möchte die Bestellung {order} zurückschicken, im Paket lag aber kein "
                "Rücksendeetikett. Können Sie mir eines per E-Mail schicken?",
                "Die Jacke aus Bestellung {order} passt leider nicht. Ich hätte sie gern eine "
                "Nummer größer. Geht ein direkter Umtausch?",
                "Meine Rücksendung ist laut Sendungsverfolgung seit zehn Tagen bei Ihnen, "
                "die Gutschrift über {amount} fehlt aber noch.",
            ),
            "en": (
                "I would like to return order {order}, but there was no return label in "
                "the parcel. Could you email one to me?",
                "The jacket from order {order} doesn't fit. I would like it one size up. "
                "Can you do a straight exchange?",
                "According to tracking, my return reached you ten days ago, but the credit "
                "of {amount} is still missing.",
            ),
        },
        reply={
            "de": (
                "ich habe Ihnen soeben ein Rücksendeetikett zu Bestellung {order} per E-Mail "
                "geschickt. Sie können das Paket in jeder Filiale abgeben.",
                "Ihre Rücksendung ist bei uns eingegangen und wird gerade geprüft. Die "
                "Gutschrift folgt direkt im Anschluss.",
            ),
            "en": (
                "I have just emailed you a return label for order {order}. You can drop the "
                "parcel off at any post office.",
                "your return has arrived and is being checked now. The credit will follow "
                "straight after.",
            ),
        },
        ask={
            "de": "Bitte teilen Sie mir noch mit, welche Größe Sie im Tausch möchten und ob "
            "die Farbe gleich bleiben soll.",
            "en": "Please let me know which size you would like instead and whether it "
            "should be the same colour.",
        },
        solve={
            "de": "die Gutschrift über {amount} ist erfolgt und sollte in zwei bis drei "
            "Werktagen auf Ihrem Konto sein.",
            "en": "the credit of {amount} has been issued and should reach your account in "
            "two to three working days.",
        },
        note={
            "de": (
                "Retoure im Lager gescannt, Ware einwandfrei. Gutschrift freigegeben.",
                "Rückgabefrist 2 Tage überschritten, Kulanz wegen Stammkunde gewährt.",
            ),
            "en": (
                "Return scanned at the warehouse, item in perfect condition. Credit approved.",
                "Return window exceeded by 2 days; goodwill granted, long-standing customer.",
            ),
        },
    ),
    "login": _Topic(
        subjects=[
            (
                "Passwort-Reset-Mail kommt nicht an",
                "Password reset email not arriving",
                ("password-reset",),
            ),
            (
                "Konto gesperrt nach zu vielen Versuchen",
                "Account locked after too many attempts",
                ("account-locked",),
            ),
            (
                "Zwei-Faktor-Code funktioniert nicht mehr",
                "Two-factor code no longer works",
                ("2fa",),
            ),
            (
                "E-Mail-Adresse im Kundenkonto ändern",
                "Change the email address on my account",
                ("account-change",),
            ),
            ("Kundenkonto löschen (DSGVO)", "Please delete my account (GDPR)", ("gdpr",)),
            (
                "Fremder Login in meinem Konto?",
                "Unknown login to my account?",
                ("security", "fraud-suspected"),
            ),
        ],
        customer={
            "de": (
                "Ich habe schon dreimal ein neues Passwort angefordert, aber die E-Mail "
                "kommt nicht an, auch nicht im Spam-Ordner. So komme ich nicht in mein "
                "Konto.",
                "Mein Konto ist gesperrt, weil ich mich mehrmals vertippt habe. Bitte "
                "entsperren Sie es, ich muss dringend eine Rechnung herunterladen.",
                "Ich habe eine Benachrichtigung über einen Login aus einem anderen Land "
                "bekommen. Das war ich nicht. Ist mein Konto gehackt worden?",
            ),
            "en": (
                "I have requested a new password three times, but the email never arrives, "
                "not even in my spam folder. I can't get into my account.",
                "My account is locked because I mistyped my password a few times. Please "
                "unlock it; I urgently need to download an invoice.",
                "I got a notification about a login from another country. That wasn't me. "
                "Has my account been hacked?",
            ),
        },
        reply={
            "de": (
                "ich habe Ihr Konto entsperrt und einen neuen Link zum Zurücksetzen des "
                "Passworts an Ihre hinterlegte Adresse geschickt. Der Link ist 24 Stunden "
                "gültig.",
                "zu Ihrer Sicherheit habe ich alle aktiven Sitzungen beendet. Bitte vergeben "
                "Sie jetzt ein neues Passwort und aktivieren Sie die Zwei-Faktor-Anmeldung.",
            ),
            "en": (
                "I have unlocked your account and sent a new password reset link to the "
                "address we have on file. The link is valid for 24 hours.",
                "for your security I have signed out all active sessions. Please set a new "
                "password now and turn on two-factor sign-in.",
            ),
        },
        ask={
            "de": "Zur Bestätigung Ihrer Identität nennen Sie mir bitte Ihr Geburtsdatum und "
            "die Postleitzahl Ihrer Rechnungsadresse.",
            "en": "To confirm your identity, please tell me your date of birth and the "
            "postcode of your billing address.",
        },
        solve={
            "de": "Ihr Konto ist wieder zugänglich und mit Zwei-Faktor-Anmeldung geschützt. "
            "Es gab keine Änderungen durch Dritte.",
            "en": "your account is accessible again and protected with two-factor sign-in. "
            "Nobody else made any changes.",
        },
        note={
            "de": (
                "Mailserver-Log: Reset-Mails wurden vom Provider abgewiesen (Postfach voll).",
                "Login aus unbekanntem Netz, IP auf Sperrliste gesetzt.",
            ),
            "en": (
                "Mail server log: reset emails bounced at the provider (mailbox full).",
                "Login from an unknown network; IP added to the block list.",
            ),
        },
    ),
    "complaints": _Topic(
        subjects=[
            (
                "Beschwerde über unfreundlichen Mitarbeiter",
                "Complaint about a rude agent",
                ("complaint",),
            ),
            (
                "Seit Wochen keine Antwort",
                "No answer to my request for weeks",
                ("complaint", "escalated"),
            ),
            (
                "Dritte Beschwerde zur gleichen Sache",
                "Third complaint about the same issue",
                ("complaint", "escalated"),
            ),
            ("Versprochener Rückruf kam nie", "Promised call back never happened", ("callback",)),
            (
                "Unzufrieden mit der Lösung zu {ref}",
                "Unhappy with the outcome of {ref}",
                ("complaint",),
            ),
            (
                "Werbeanrufe trotz Widerspruch",
                "Still getting marketing calls after opting out",
                ("marketing-opt-out",),
            ),
        ],
        customer={
            "de": (
                "Ich habe mich bereits zweimal wegen {ref} gemeldet und nie eine Antwort "
                "bekommen. So geht man nicht mit Kunden um. Ich erwarte jetzt eine Lösung.",
                "Beim letzten Anruf wurde ich einfach aus der Leitung geworfen, nachdem ich "
                "20 Minuten gewartet hatte. Mir wurde ein Rückruf versprochen, der nie kam.",
                "Obwohl ich der Werbung schriftlich widersprochen habe, werde ich weiter "
                "angerufen. Bitte löschen Sie meine Telefonnummer aus Ihren Listen.",
            ),
            "en": (
                "I have contacted you twice already about {ref} and never heard back. This "
                "is no way to treat customers. I now expect a solution.",
                "On my last call I was cut off after waiting 20 minutes. I was promised a "
                "call back that never came.",
                "Even though I opted out of marketing in writing, I keep getting calls. "
                "Please remove my number from your lists.",
            ),
        },
        reply={
            "de": (
                "es tut mir aufrichtig leid, dass Sie so lange warten mussten. Ich habe Ihren "
                "Vorgang jetzt übernommen und kümmere mich persönlich darum.",
                "danke für Ihr offenes Feedback. Ich habe Ihre Nummer sofort für Werbeanrufe "
                "gesperrt und gehe der Sache intern nach.",
            ),
            "en": (
                "I'm truly sorry you had to wait so long. I have taken over your case and "
                "will deal with it personally.",
                "thank you for your honest feedback. I have blocked your number for "
                "marketing calls right away and am following this up internally.",
            ),
        },
        ask={
            "de": "Wann kann ich Sie am besten telefonisch erreichen? Ich würde die Sache "
            "gern direkt mit Ihnen besprechen.",
            "en": "When is the best time to call you? I would like to talk this through "
            "with you directly.",
        },
        solve={
            "de": "als Entschuldigung haben wir Ihnen eine Gutschrift über {amount} "
            "gutgeschrieben. Ihr ursprüngliches Anliegen ist erledigt.",
            "en": "as an apology we have credited {amount} to your account. Your original "
            "request has been resolved.",
        },
        note={
            "de": (
                "Kunde sehr verärgert, Rückruf durch Team Lead zugesagt.",
                "Gesprächsaufzeichnung angefordert, Feedback an Teamleitung.",
            ),
            "en": (
                "Customer very upset; lead promised a call back.",
                "Requested the call recording, feedback passed to the team lead.",
            ),
        },
    ),
    "business": _Topic(
        subjects=[
            (
                "Sammelrechnung für {month} fehlt",
                "Consolidated invoice for {month} missing",
                ("b2b", "invoice"),
            ),
            ("Weitere Nutzer für unser Firmenkonto", "Add users to our business account", ("b2b",)),
            (
                "Rahmenvertrag: Angebot für {qty} Geräte",
                "Framework agreement: quote for {qty} devices",
                ("b2b", "quote"),
            ),
            (
                "USt-IdNr. auf Rechnungen ergänzen",
                "Add our VAT number to invoices",
                ("b2b", "invoice"),
            ),
            (
                "Ansprechpartner im Firmenkonto ändern",
                "Change the contact person on our business account",
                ("b2b",),
            ),
            (
                "Großbestellung {order} - Liefertermin",
                "Bulk order {order} - delivery date",
                ("b2b", "bulk-order"),
            ),
        ],
        customer={
            "de": (
                "Für {month} haben wir noch keine Sammelrechnung erhalten. Unsere "
                "Buchhaltung braucht sie bis Monatsende. Bitte senden Sie sie an die "
                "hinterlegte Rechnungsadresse.",
                "Wir planen, {qty} Geräte für unsere Filialen anzuschaffen, und hätten gern "
                "ein Angebot im Rahmen unseres Vertrags. Bitte mit Lieferzeit.",
                "Bitte ergänzen Sie auf allen künftigen Rechnungen unsere USt-IdNr. Ohne "
                "sie können wir die Vorsteuer nicht abziehen.",
            ),
            "en": (
                "We have not yet received the consolidated invoice for {month}. Our "
                "accounts team needs it by the end of the month. Please send it to the "
                "billing address on file.",
                "We are planning to buy {qty} devices for our branches and would like a "
                "quote under our framework agreement, including delivery times.",
                "Please add our VAT number to all future invoices. Without it we cannot "
                "reclaim the VAT.",
            ),
        },
        reply={
            "de": (
                "vielen Dank für Ihre Anfrage. Ich habe die Sammelrechnung neu erstellen "
                "lassen und schicke sie Ihnen heute noch zu.",
                "gern erstelle ich Ihnen ein Angebot über {qty} Geräte. Sie erhalten es bis "
                "spätestens Freitag von mir.",
            ),
            "en": (
                "thank you for your request. I have had the consolidated invoice "
                "regenerated and will send it to you today.",
                "I'm happy to prepare a quote for {qty} devices. You will have it from me by "
                "Friday at the latest.",
            ),
        },
        ask={
            "de": "Bitte bestätigen Sie mir noch die Lieferadressen der Filialen und einen "
            "Ansprechpartner vor Ort.",
            "en": "Please confirm the delivery addresses of the branches and a contact "
            "person on site.",
        },
        solve={
            "de": "das Angebot und die korrigierte Rechnung liegen Ihnen vor; alle künftigen "
            "Rechnungen enthalten Ihre USt-IdNr.",
            "en": "you now have the quote and the corrected invoice; all future invoices "
            "will include your VAT number.",
        },
        note={
            "de": (
                "Rahmenvertrag geprüft: Staffelpreis ab 50 Geräten gilt.",
                "Key Account informiert, Angebot braucht Freigabe Vertrieb.",
            ),
            "en": (
                "Checked the framework agreement: volume pricing from 50 devices applies.",
                "Key account manager informed; quote needs sales approval.",
            ),
        },
    ),
    "field": _Topic(
        subjects=[
            (
                "Technikertermin am {date} verschieben",
                "Reschedule engineer visit on {date}",
                ("engineer-visit", "appointment"),
            ),
            (
                "Techniker ist nicht erschienen",
                "Engineer did not turn up",
                ("engineer-visit", "no-show"),
            ),
            ("Termin zur Zählerablesung", "Meter reading appointment", ("appointment",)),
            (
                "Installation des Anschlusses in {city}",
                "Installation of the line in {city}",
                ("installation",),
            ),
            (
                "Gerät nach Technikerbesuch defekt",
                "Device faulty after the engineer's visit",
                ("engineer-visit",),
            ),
            ("Wartungstermin vereinbaren", "Book a maintenance appointment", ("appointment",)),
        ],
        customer={
            "de": (
                "Ich kann den Technikertermin am {date} leider nicht wahrnehmen, weil ich "
                "beruflich unterwegs bin. Können wir einen Termin in der Woche danach "
                "finden?",
                "Ich habe heute den ganzen Vormittag auf den Techniker gewartet, aber es kam "
                "niemand. Dafür habe ich extra Urlaub genommen.",
                "Seit dem Besuch Ihres Technikers funktioniert unser {device} nicht mehr. "
                "Vorher lief alles einwandfrei.",
            ),
            "en": (
                "Unfortunately I can't make the engineer visit on {date} because I'm "
                "travelling for work. Can we find a slot the week after?",
                "I waited all morning for the engineer today, but nobody came. I took a day "
                "off work for this.",
                "Since your engineer's visit our {device} no longer works. Everything was "
                "fine before.",
            ),
        },
        reply={
            "de": (
                "ich habe den Termin storniert und Ihnen drei Alternativtermine in der "
                "Folgewoche reserviert. Bitte wählen Sie einfach einen davon aus.",
                "es tut mir sehr leid, dass der Techniker nicht gekommen ist. Ich habe mit "
                "der Disposition gesprochen; Sie bekommen einen Termin mit Vorrang.",
            ),
            "en": (
                "I have cancelled the appointment and reserved three alternative slots for "
                "the following week. Just pick whichever suits you.",
                "I'm very sorry the engineer didn't turn up. I have spoken to dispatch and "
                "you will get a priority appointment.",
            ),
        },
        ask={
            "de": "Passt Ihnen Dienstag zwischen 8 und 12 Uhr oder Donnerstag zwischen 13 "
            "und 17 Uhr besser?",
            "en": "Would Tuesday between 8am and noon or Thursday between 1pm and 5pm suit "
            "you better?",
        },
        solve={
            "de": "der Techniker war heute bei Ihnen und hat das {device} ersetzt. Laut "
            "Protokoll läuft wieder alles.",
            "en": "the engineer visited you today and replaced the {device}. According to "
            "the report everything is working again.",
        },
        note={
            "de": (
                "Disposition: Techniker krank, Termin nicht umgeplant. Vorrangtermin gebucht.",
                "Auftrag an Außendienst übergeben, Material vorab bestellt.",
            ),
            "en": (
                "Dispatch: engineer off sick and the visit was not reassigned. Priority "
                "slot booked.",
                "Job handed to field service; parts ordered in advance.",
            ),
        },
    ),
}

_GREETING = {
    "de": ("Sehr geehrte Damen und Herren,", "Hallo,", "Guten Tag,", "Hallo zusammen,"),
    "en": ("Dear Sir or Madam,", "Hello,", "Hi,", "Good morning,"),
}
_CLOSING = {
    "de": ("Mit freundlichen Grüßen", "Viele Grüße", "Danke und viele Grüße", "Beste Grüße"),
    "en": ("Kind regards", "Best wishes", "Many thanks", "Regards"),
}
_AGENT_SIGN = {"de": ("Viele Grüße", "Freundliche Grüße"), "en": ("Kind regards", "Best wishes")}
_TEAM_SIGN = {"de": "Ihr Kundenservice", "en": "Customer Service"}
_FOLLOW_UP = {
    "de": (
        "Gibt es schon etwas Neues? Ich warte jetzt seit einigen Tagen auf eine Rückmeldung.",
        "Kurze Ergänzung: Ich habe die Unterlagen angehängt. Bitte melden Sie sich, wenn noch "
        "etwas fehlt.",
        "Ich habe es noch einmal versucht, leider ohne Erfolg. Können Sie bitte nachsehen?",
        "Danke für die schnelle Antwort. Ich warte dann auf Ihre Nachricht.",
    ),
    "en": (
        "Is there any news? I have been waiting a few days now for an update.",
        "Quick addition: I have attached the documents. Let me know if anything is missing.",
        "I tried again, still without success. Could you please have another look?",
        "Thanks for the quick reply. I'll wait to hear from you.",
    ),
}

# --------------------------------------------------------------------------------------------
# Generation
# --------------------------------------------------------------------------------------------

_STATUS_WEIGHTS = {
    CaseStatus.NEW: 14,
    CaseStatus.OPEN: 34,
    CaseStatus.PENDING: 22,
    CaseStatus.ON_HOLD: 8,
    CaseStatus.SOLVED: 12,
    CaseStatus.CLOSED: 10,
}
_PRIORITY_WEIGHTS = {Priority.LOW: 12, Priority.NORMAL: 62, Priority.HIGH: 19, Priority.URGENT: 7}
_CHANNEL_WEIGHTS = {
    Channel.EMAIL: 36,
    Channel.PHONE: 20,
    Channel.CHAT: 18,
    Channel.WEB: 12,
    Channel.SMS: 6,
    Channel.SOCIAL: 8,
}
_TIER_WEIGHTS = {SupportTier.STANDARD: 80, SupportTier.GOLD: 15, SupportTier.PLATINUM: 5}
# Business topics are for company accounts; households spread over the rest.
_TOPIC_WEIGHTS = {
    "billing": 22,
    "cards": 12,
    "delivery": 18,
    "technical": 14,
    "returns": 10,
    "login": 9,
    "complaints": 6,
    "field": 6,
}
_TRANSLIT = str.maketrans(
    {
        "ä": "ae",
        "ö": "oe",
        "ü": "ue",
        "ß": "ss",
        "Ä": "Ae",
        "Ö": "Oe",
        "Ü": "Ue",
        "ı": "i",
        "ş": "s",
        "'": "",
        " ": "",
    }
)
_SYSTEM = "System"

# Tasks for other teams: (German, English) titles per team, filled like subjects.
_TASK_TITLES: dict[TaskTeam, tuple[tuple[str, str], ...]] = {
    TaskTeam.FRAUD: (
        ("Kartensperre prüfen", "Check card block"),
        ("Verdächtige Buchungen prüfen", "Review suspicious transactions"),
        ("Rückbuchung über {amount} prüfen", "Investigate chargeback of {amount}"),
        ("Identität des Kunden verifizieren", "Verify the customer's identity"),
        ("Ersatzkarte {card} freigeben", "Approve replacement for card {card}"),
        ("Konto auf Übernahme prüfen", "Check the account for takeover"),
    ),
    TaskTeam.BILLING: (
        ("Doppelte Abbuchung erstatten", "Refund the double charge"),
        ("Rechnung {invoice} korrigieren", "Correct invoice {invoice}"),
        ("Gutschrift über {amount} erstellen", "Issue a credit note for {amount}"),
        ("Lastschrift stornieren", "Cancel the direct debit"),
        ("Mahnstopp einrichten", "Put dunning on hold"),
        ("Erstattung für Bestellung {order} anweisen", "Refund order {order}"),
    ),
    TaskTeam.FIELD_SERVICE: (
        ("Techniker-Termin vereinbaren", "Book a technician visit"),
        ("{device} vor Ort tauschen", "Replace the {device} on site"),
        ("Leitung am Hausanschluss messen", "Measure the line at the premises"),
        ("Ersatzgerät zustellen", "Ship a replacement device"),
        ("Installation in {city} prüfen", "Inspect the installation in {city}"),
    ),
}
_TASK_TEAM_OF_TOPIC = {
    "billing": TaskTeam.BILLING,
    "cards": TaskTeam.FRAUD,
    "technical": TaskTeam.FIELD_SERVICE,
    "field": TaskTeam.FIELD_SERVICE,
    "login": TaskTeam.FRAUD,
}
#: The agents' team that works each task team's tasks (who marks them done).
_AGENT_TEAM_OF_TASKS = {
    TaskTeam.FRAUD: "Fraud & Cards",
    TaskTeam.BILLING: "Billing",
    TaskTeam.FIELD_SERVICE: "Technical",
}
#: Share of worked (not new) cases that hand work to another team.
_TASK_SHARE = 0.09


def _pick(rng: random.Random, weights: dict[Any, int]) -> Any:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _uuid(rng: random.Random) -> str:
    # From the seeded generator, so that the same seed gives the same ids.
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _ascii(text: str) -> str:
    return text.translate(_TRANSLIT).lower()


@dataclass
class _Person:
    """What the generator needs to know about a contact beyond the table row."""

    contact: Contact
    female: bool
    city: str
    country: str
    company: bool


def generate(cases: int, *, seed: int = 42, now: datetime | None = None) -> SeedData:
    """Generate ``cases`` demo cases with their customers, agents, queues and timelines.

    Pure: the same ``seed`` and ``now`` give the same data, ids included.
    """
    draft = _draft(cases, seed, now)
    return SeedData(
        accounts=draft.accounts,
        contacts=draft.contacts,
        agents=draft.agents,
        queues=draft.queues,
        cases=[Case(**row) for row in draft.cases],
        messages=[Message(**row) for row in draft.messages],
        tasks=[Task(**row) for row in draft.tasks],
        macros=draft.macros,
        snippets=draft.snippets,
        macro_uses=[MacroUse(**row) for row in draft.macro_uses],
        sla_configs=draft.sla_configs,
        survey_answers=[SurveyAnswer(**row) for row in draft.survey_answers],
        articles=[Article(**row) for row in draft.articles],
    )


@dataclass
class _Draft:
    """A data set with cases and messages as column dicts: building some 30,000 SQLModel
    instances costs seconds, and ``seed_database`` only needs the values."""

    accounts: list[Account] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)
    agents: list[Agent] = field(default_factory=list)
    queues: list[Queue] = field(default_factory=list)
    cases: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    tasks: list[dict[str, Any]] = field(default_factory=list)
    macros: list[MacroRow] = field(default_factory=list)
    snippets: list[SnippetRow] = field(default_factory=list)
    macro_uses: list[dict[str, Any]] = field(default_factory=list)
    sla_configs: list[SlaConfig] = field(default_factory=list)
    survey_answers: list[dict[str, Any]] = field(default_factory=list)
    articles: list[dict[str, Any]] = field(default_factory=list)


def default_sla_config(now: datetime) -> SlaConfig:
    """The SLA configuration a seeded server starts with: the domain's default calendars and
    policies as TOML, under the fixed id and name every desk looks for."""
    return SlaConfig(
        id=SLA_CONFIG_ID,
        name=SLA_CONFIG_NAME,
        toml=policies_to_toml(default_calendars(), default_policies()),
        updated_at=now,
    )


def _draft(cases: int, seed: int, now: datetime | None) -> _Draft:
    if cases < 0:
        raise ValueError("The number of cases cannot be negative.")
    now = (now or utcnow()).replace(microsecond=0)
    rng = random.Random(seed)
    # Tasks draw from their own generator, so the rest of a seed's data is what it was
    # before tasks existed.
    task_rng = random.Random(f"tasks-{seed}")
    data = _Draft()
    data.queues = _make_queues(rng, now)
    data.agents = _make_agents(rng, now)
    people = _make_customers(rng, now, data, max(20, int(cases * 0.6)))
    queue_by_slug = {q.slug: q for q in data.queues}
    team_agents: dict[str, list[Agent]] = {}
    for agent in data.agents:
        if agent.role != AgentRole.ADMIN:
            team_agents.setdefault(agent.team, []).append(agent)
    tier_of = {a.id: a.tier for a in data.accounts}
    for n in range(cases):
        person = rng.choice(people)
        _make_case(
            rng,
            now,
            data,
            FIRST_CASE_NUMBER + n,
            person,
            queue_by_slug,
            team_agents,
            tier_of.get(person.contact.account_id or ""),
            task_rng,
        )
    # The macro library and its uses draw from their own generator too.
    data.macros = seed_library.macros(now)
    data.snippets = seed_library.snippets(now)
    data.macro_uses = seed_library.macro_uses(
        random.Random(f"macros-{seed}"),
        data.cases,
        topic_of_queue={q.id: q.topic for q in data.queues},
        slug_of_queue={q.id: q.slug for q in data.queues},
        language_of_contact={c.id: c.language for c in data.contacts},
    )
    data.sla_configs = [default_sla_config(now)]
    # CSAT: answers to the survey sent on solve, from their own generator too.
    data.survey_answers = seed_surveys.survey_answers(
        random.Random(f"surveys-{seed}"), data.cases, data.messages, now
    )
    # Knowledge articles: fixed ids, their own generator, the same whatever the case count.
    data.articles = seed_knowledge.article_rows(now, seed)
    return data


def _make_queues(rng: random.Random, now: datetime) -> list[Queue]:
    return [
        Queue(
            id=_uuid(rng),
            slug=slug,
            name=name,
            country=country,
            topic=topic,
            version=1,
            updated_at=now - timedelta(days=90),
        )
        for slug, name, country, topic in _QUEUES
    ]


def _make_agents(rng: random.Random, now: datetime) -> list[Agent]:
    return [
        Agent(
            id=_uuid(rng),
            handle=handle,
            name=name,
            role=AgentRole(role),
            team=team,
            email=f"{handle}@csm-demo.example",
            capacity=rng.choice((15, 20, 20, 25)),
            version=1,
            updated_at=now - timedelta(days=rng.randint(31, 120)),
        )
        for handle, name, role, team in _AGENTS
    ]


def _make_customers(rng: random.Random, now: datetime, data: _Draft, wanted: int) -> list[_Person]:
    people: list[_Person] = []
    numbers = rng.sample(range(10_000, 9_999_999), wanted + 10)
    while len(people) < wanted:
        lang = "de" if rng.random() < 0.55 else "en"
        weight_country = _PLACES[lang]
        _, country, cities, phones = rng.choices(
            weight_country, weights=[p[0] for p in weight_country]
        )[0]
        city = rng.choice(cities)
        last_names = _LAST_DE if lang == "de" else _LAST_EN
        company = rng.random() < 0.18
        family = rng.choice(last_names)
        if company:
            name = rng.choice(_COMPANIES[lang]).format(
                last=family, last2=rng.choice(last_names), city=city
            )
            domain = _ascii(
                name.split(" GmbH")[0]
                .split(" Ltd")[0]
                .split(" KG")[0]
                .split(" LLP")[0]
                .replace("&", "und" if lang == "de" else "and")
                .replace(".", "")
            )
            domain += ".de" if lang == "de" else (".co.uk" if country == "GB" else ".ie")
            size = rng.randint(2, 5)
        else:
            name = _HOUSEHOLD[lang].format(last=family)
            domain = ""
            size = 1 if rng.random() < 0.8 else 2
        account = Account(
            id=_uuid(rng),
            name=name,
            country=country,
            tier=_pick(rng, _TIER_WEIGHTS),
            version=1,
            updated_at=now - timedelta(days=rng.randint(31, 720)),
        )
        data.accounts.append(account)
        for _ in range(min(size, wanted - len(people))):
            female = rng.random() < 0.5
            firsts = (
                (_FIRST_DE_F if female else _FIRST_DE_M)
                if lang == "de"
                else (_FIRST_EN_F if female else _FIRST_EN_M)
            )
            first = rng.choice(firsts)
            last = family if not company else rng.choice(last_names)
            local = rng.choice(
                (f"{first}.{last}", f"{first[0]}.{last}", f"{first}{last}{rng.randint(1, 99)}")
            )
            email = f"{_ascii(local)}@{domain or rng.choice(_MAIL_PROVIDERS[lang])}"
            prefix = rng.choice(phones)
            # UK prefixes end inside Ofcom's drama ranges: only the last digits vary.
            phone = (
                f"{prefix}{rng.randint(100, 999)}"
                if prefix.startswith("+44")
                else f"{prefix} {rng.randint(1000000, 9999999)}"
            )
            contact = Contact(
                id=_uuid(rng),
                account_id=account.id,
                customer_number=f"K-{numbers[len(people)]:07d}",
                first_name=first,
                last_name=last,
                email=email,
                phone=phone,
                language=lang,
                version=1,
                updated_at=now - timedelta(days=rng.randint(31, 720)),
            )
            data.contacts.append(contact)
            people.append(_Person(contact, female, city, country, company))
    return people


def _placeholders(
    rng: random.Random, lang: str, country: str, created: datetime, number: int, city: str
) -> dict[str, str]:
    value = rng.choice((rng.uniform(5, 120), rng.uniform(20, 400), rng.uniform(100, 1500)))
    if lang == "de":
        amount = f"{value:,.2f} €".replace(",", "X").replace(".", ",").replace("X", ".")
    else:
        amount = f"{'£' if country == 'GB' else '€'}{value:,.2f}"
    month = (created.replace(day=1) - timedelta(days=1)).month
    visit = created + timedelta(days=rng.randint(2, 12))
    if lang == "de":
        date = visit.strftime("%d.%m.%Y")
        invoice = f"RE-{created.year}-{rng.randint(1, 999999):06d}"
        tracking = f"00340434{rng.randint(10**11, 10**12 - 1)}"
    else:
        date = f"{visit.day} {_MONTHS['en'][visit.month - 1]} {visit.year}"
        invoice = f"INV-{created.year}-{rng.randint(1, 999999):06d}"
        tracking = f"JD{rng.randint(10**15, 10**16 - 1)}GB"
    return {
        "amount": amount,
        "card": f"**** **** **** {rng.randint(1000, 9999)}",
        "order": str(rng.randint(30_000_000, 39_999_999)),
        "invoice": invoice,
        "tracking": tracking,
        "month": _MONTHS[lang][month - 1],
        "weekday": _WEEKDAYS[lang][(created - timedelta(days=rng.randint(1, 4))).weekday()],
        "date": date,
        "errcode": str(rng.randint(100, 999)),
        "qty": str(rng.choice((25, 40, 50, 120, 200))),
        "city": city,
        "ref": f"CS-{rng.randint(FIRST_CASE_NUMBER - 4000, max(FIRST_CASE_NUMBER, number - 1))}",
        "device": rng.choice(_DEVICES),
    }


def _make_case(
    rng: random.Random,
    now: datetime,
    data: _Draft,
    number: int,
    person: _Person,
    queues: dict[str, Queue],
    team_agents: dict[str, list[Agent]],
    tier: SupportTier | None,
    task_rng: random.Random,
) -> None:
    contact = person.contact
    lang = contact.language
    business = person.company and rng.random() < 0.35
    topic_key = "business" if business else _pick(rng, _TOPIC_WEIGHTS)
    topic = _TOPICS[topic_key]
    slug = (
        next(s for s, _, _, t in _QUEUES if t == topic_key)
        if topic_key != "billing"
        else ("billing-de" if lang == "de" else "billing-uk")
    )
    queue = queues[slug]
    status = _pick(rng, _STATUS_WEIGHTS)
    priority = _pick(rng, _PRIORITY_WEIGHTS)
    if topic_key in ("cards", "complaints") and rng.random() < 0.4:
        priority = rng.choice((Priority.HIGH, Priority.URGENT))
    channel = _pick(rng, _CHANNEL_WEIGHTS)
    # Leave at least two hours so even an eight-message timeline fits before now.
    created = now - timedelta(seconds=rng.randint(2 * 3600, int(WINDOW.total_seconds()) - 60))
    values = _placeholders(rng, lang, person.country, created, number, person.city)
    subject_de, subject_en, subject_tags = rng.choice(topic.subjects)
    subject = (subject_de if lang == "de" else subject_en).format_map(values)
    tags = list(subject_tags[: rng.randint(1, len(subject_tags))])
    if tier == SupportTier.PLATINUM:
        tags.append("vip")
    if rng.random() < 0.05:
        tags.append("social-media" if channel == Channel.SOCIAL else "repeat-contact")

    team = team_agents[_TEAM_OF_QUEUE[slug]]
    workers = [a for a in team if a.role == AgentRole.AGENT] or team
    assignee: Agent | None = None
    if status != CaseStatus.NEW and rng.random() < 0.92:
        assignee = rng.choice(workers)
    replier = assignee or rng.choice(workers)

    case_id = _uuid(rng)
    timeline = _timeline(
        rng, lang, status, channel, queue, topic, values, person, assignee, replier
    )
    times = _spread(rng, created, now, len(timeline))
    messages: list[dict[str, Any]] = []
    for (kind, author, body), at in zip(timeline, times, strict=True):
        messages.append(
            dict(
                id=_uuid(rng),
                case_id=case_id,
                kind=kind,
                author_agent_id=author.id if isinstance(author, Agent) else None,
                author_contact_id=contact.id if kind == MessageKind.CUSTOMER else None,
                author_name=(
                    author.name
                    if isinstance(author, Agent)
                    else contact.display_name
                    if kind == MessageKind.CUSTOMER
                    else _SYSTEM
                ),
                body=body,
                created_at=at,
                version=1,
            )
        )
    if status != CaseStatus.NEW and task_rng.random() < _TASK_SHARE:
        team_of = _TASK_TEAM_OF_TOPIC.get(topic_key) or task_rng.choice(list(TaskTeam))
        tasks, events = _make_tasks(
            task_rng, case_id, lang, status, team_of, values, times, replier, team_agents
        )
        data.tasks.extend(tasks)
        messages.extend(events)
        # Stable: a task event in the same second as a message comes after it.
        messages.sort(key=lambda m: m["created_at"])
    data.messages.extend(messages)
    data.cases.append(
        dict(
            id=case_id,
            number=f"CS-{number}",
            subject=subject,
            status=status,
            priority=priority,
            channel=channel,
            queue_id=queue.id,
            assignee_id=assignee.id if assignee else None,
            contact_id=contact.id,
            tags=tags,
            created_at=created,
            updated_at=times[-1],
            # Each event on the timeline was one change of the case.
            version=1 + sum(1 for kind, _, _ in timeline if kind == MessageKind.EVENT),
        )
    )


_Entry = tuple[MessageKind, Agent | None, str]


def _make_tasks(
    rng: random.Random,
    case_id: str,
    lang: str,
    status: CaseStatus,
    team: TaskTeam,
    values: dict[str, str],
    times: list[datetime],
    creator: Agent,
    team_agents: dict[str, list[Agent]],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """One or two tasks of a worked case, created by ``creator`` between the case's first
    and last message, with the EVENT messages the server writes for them (created, and done
    or cancelled). Tasks of solved and closed cases are finished; others now and then."""
    start, end = times[0], times[-1]
    if (end - start).total_seconds() < 10:
        return [], []
    tasks: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    finished_case = status in (CaseStatus.SOLVED, CaseStatus.CLOSED)
    workers = team_agents.get(_AGENT_TEAM_OF_TASKS[team]) or [creator]
    titles = list(_TASK_TITLES[team])
    rng.shuffle(titles)
    for n in range(1 if rng.random() < 0.7 else 2):
        if n == 1 and rng.random() < 0.5:
            team = rng.choice([t for t in TaskTeam if t != team])
            titles = list(_TASK_TITLES[team])
            workers = team_agents.get(_AGENT_TEAM_OF_TASKS[team]) or [creator]
        title_de, title_en = titles[n % len(titles)]
        title = (title_de if lang == "de" else title_en).format_map(values)
        span = int((end - start).total_seconds())
        created = start + timedelta(seconds=rng.randint(1, max(1, span // 2)))
        due: datetime | None = None
        if rng.random() < 0.8:
            day = (created + timedelta(days=rng.randint(1, 7))).date()
            due = datetime(day.year, day.month, day.day)
            if rng.random() < 0.25:
                due += timedelta(hours=rng.choice((10, 12, 16)))
        state = TaskState.OPEN
        if finished_case or rng.random() < 0.35:
            state = TaskState.CANCELLED if rng.random() < 0.12 else TaskState.DONE
        updated = created
        events.append(
            _task_event(rng, case_id, creator, created, _task_line(team, "created", title, due))
        )
        if state != TaskState.OPEN:
            updated = created + timedelta(
                seconds=rng.randint(1, max(1, int((end - created).total_seconds())))
            )
            worker = rng.choice(workers) if state == TaskState.DONE else creator
            events.append(
                _task_event(rng, case_id, worker, updated, _task_line(team, state.value, title))
            )
        tasks.append(
            dict(
                id=_uuid(rng),
                case_id=case_id,
                team=team.value,
                title=title,
                due_at=due,
                state=state.value,
                created_by_agent_id=creator.id,
                created_at=created,
                updated_at=updated,
                version=1 if state == TaskState.OPEN else 2,
            )
        )
    return tasks, events


def _task_line(team: TaskTeam, word: str, title: str, due: datetime | None = None) -> str:
    """The event line the case server writes (``server.push``), for the same history."""
    when = f" (due {format_due(due)})" if due is not None else ""
    return f"Task for {team.label} {word}: {title}{when}"


def _task_event(
    rng: random.Random, case_id: str, agent: Agent, at: datetime, body: str
) -> dict[str, Any]:
    return dict(
        id=_uuid(rng),
        case_id=case_id,
        kind=MessageKind.EVENT,
        author_agent_id=agent.id,
        author_contact_id=None,
        author_name=agent.name,
        body=body,
        created_at=at,
        version=1,
    )


def _timeline(
    rng: random.Random,
    lang: str,
    status: CaseStatus,
    channel: Channel,
    queue: Queue,
    topic: _Topic,
    values: dict[str, str],
    person: _Person,
    assignee: Agent | None,
    replier: Agent,
) -> list[_Entry]:
    """The messages of one case in order: (kind, agent author or None, body)."""
    entries: list[_Entry] = [
        (
            MessageKind.CUSTOMER,
            None,
            _customer_text(
                rng, lang, channel, rng.choice(topic.customer[lang]).format_map(values), person
            ),
        )
    ]

    def event(text: str) -> None:
        entries.append((MessageKind.EVENT, None, text))

    def public(text: str) -> None:
        entries.append(
            (
                MessageKind.PUBLIC,
                replier,
                _agent_text(rng, lang, text.format_map(values), person, replier),
            )
        )

    def internal() -> None:
        entries.append(
            (MessageKind.INTERNAL, replier, rng.choice(topic.note[lang]).format_map(values))
        )

    def customer_again() -> None:
        entries.append((MessageKind.CUSTOMER, None, rng.choice(_FOLLOW_UP[lang])))

    def moved(old: CaseStatus, new: CaseStatus) -> None:
        # The line the case server writes for the change, by the agent who made it.
        entries.append((MessageKind.EVENT, replier, status_line(old, new)))

    if status == CaseStatus.NEW:
        event(f"Received via {channel.value} and routed to {queue.name}")
        if rng.random() < 0.4:
            customer_again()
        return entries

    moved(CaseStatus.NEW, CaseStatus.OPEN)
    if assignee is not None:
        event(f"Assigned to {assignee.name}")
    public(rng.choice(topic.reply[lang]))
    if status == CaseStatus.OPEN:
        if rng.random() < 0.5:
            customer_again()
        if rng.random() < 0.4:
            internal()
    elif status == CaseStatus.PENDING:
        if rng.random() < 0.3:
            internal()
        public(topic.ask[lang])
        moved(CaseStatus.OPEN, CaseStatus.PENDING)
    elif status == CaseStatus.ON_HOLD:
        internal()
        moved(CaseStatus.OPEN, CaseStatus.ON_HOLD)
        if rng.random() < 0.3:
            customer_again()
    else:  # solved or closed
        if rng.random() < 0.4:
            customer_again()
        public(topic.solve[lang])
        moved(CaseStatus.OPEN, CaseStatus.SOLVED)
        if status == CaseStatus.CLOSED:
            moved(CaseStatus.SOLVED, CaseStatus.CLOSED)
    return entries[:8]


def _customer_text(
    rng: random.Random, lang: str, channel: Channel, body: str, person: _Person
) -> str:
    contact = person.contact
    if channel in (Channel.CHAT, Channel.SMS, Channel.SOCIAL):
        return body
    if channel == Channel.PHONE:
        lead = (
            "Telefonat, Anliegen der Kundin bzw. des Kunden:"
            if lang == "de"
            else ("Phone call, the customer says:")
        )
        return f"{lead}\n\n{body}"
    greeting = rng.choice(_GREETING[lang])
    closing = rng.choice(_CLOSING[lang])
    return (
        f"{greeting}\n\n{body}\n\n{closing}\n{contact.display_name}\n"
        f"{'Kundennummer' if lang == 'de' else 'Customer number'} {contact.customer_number}"
    )


def _agent_text(rng: random.Random, lang: str, body: str, person: _Person, agent: Agent) -> str:
    last = person.contact.last_name
    if lang == "de":
        salutation = (
            f"Sehr geehrte Frau {last}," if person.female else f"Sehr geehrter Herr {last},"
        )
    else:
        salutation = f"Dear {'Ms' if person.female else 'Mr'} {last},"
    first_name = agent.name.split()[0]
    return (
        f"{salutation}\n\n{body[:1].upper()}{body[1:]}\n\n{rng.choice(_AGENT_SIGN[lang])}\n"
        f"{first_name}\n{_TEAM_SIGN[lang]}"
    )


def _spread(rng: random.Random, created: datetime, now: datetime, n: int) -> list[datetime]:
    """``n`` whole-second times from ``created`` on, rising, all before ``now``."""
    available = (now - created).total_seconds() - 60
    span = min(available, rng.uniform(3600, 5 * 86400))
    weights = [rng.uniform(0.2, 1.0) for _ in range(n - 1)]
    total = sum(weights) or 1.0
    times = [created]
    for weight in weights:
        times.append(times[-1] + timedelta(seconds=max(1, int(span * weight / total))))
    return times


# --------------------------------------------------------------------------------------------
# Writing to a database
# --------------------------------------------------------------------------------------------


def seed_database(
    engine: Engine, cases: int, *, seed: int = 42, now: datetime | None = None
) -> dict[str, int]:
    """Insert a generated data set in one transaction and return the count per entity.

    Agents and queues that already exist (same handle or slug, for instance an agent added
    with ``add_agent`` before seeding) are kept and the new cases point at them. A database
    that already holds cases is refused: the same seed would make the same ids.
    """
    data = _draft(cases, seed, now)
    stamp = utcnow().replace(microsecond=0)
    with Session(engine) as session:
        if session.exec(select(Case.id).limit(1)).first() is not None:
            raise SeedError("The database already holds cases; seed a fresh database file.")
        _reuse_existing(session, data)
        rows: dict[str, list[dict[str, Any]]] = {
            "account": [_columns(o) for o in data.accounts],
            "contact": [_columns(o) for o in data.contacts],
            "agent": [_columns(o) for o in data.agents],
            "queue": [_columns(o) for o in data.queues],
            "case": data.cases,
            "message": data.messages,
            "task": data.tasks,
            "macro": [_columns(o) for o in data.macros],
            "snippet": [_columns(o) for o in data.snippets],
            "macro_use": data.macro_uses,
            "sla_config": [_columns(o) for o in data.sla_configs],
            "survey_answer": data.survey_answers,
            "article": data.articles,
        }
        changes: list[dict[str, Any]] = []
        for model in REPLICATED:
            table = model.__table__  # type: ignore[attr-defined]
            values = rows[model.entity]  # type: ignore[attr-defined]
            if not values:
                continue
            # Core executemany: the ORM unit of work is an order of magnitude slower here.
            session.execute(insert(table), values)
            changes.extend(
                {
                    "entity": model.entity,
                    "entity_id": row["id"],
                    "op": "upsert",  # type: ignore[attr-defined]
                    "fields": to_wire(_RowView(table, row)),
                    "actor_agent_id": None,
                    "changed_at": stamp,
                }
                for row in values
            )
        if changes:
            lock_log(session)
            session.execute(insert(ChangeLog.__table__), changes)  # type: ignore[attr-defined]
        session.commit()
    return {entity: len(values) for entity, values in rows.items()}


def _columns(row: SQLModel) -> dict[str, Any]:
    return {col.key: getattr(row, col.key) for col in row.__table__.columns}  # type: ignore[attr-defined]


class _RowView:
    """Column values in a dict, shaped like a row for ``to_wire``, so the change log gets
    exactly the wire values a desk would get from the model."""

    def __init__(self, table: Any, values: dict[str, Any]) -> None:
        self.__table__ = table
        self._values = values

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["_values"][name]
        except KeyError:
            raise AttributeError(name) from None


def _reuse_existing(session: Session, data: _Draft) -> None:
    # The library has fixed ids: a database that holds some of it keeps its own.
    macro_ids = set(session.exec(select(MacroRow.id)).all())
    snippet_ids = set(session.exec(select(SnippetRow.id)).all())
    data.macros = [m for m in data.macros if m.id not in macro_ids]
    data.snippets = [s for s in data.snippets if s.id not in snippet_ids]
    # So does an SLA configuration a lead already set.
    configs = {(c.id, c.name) for c in session.exec(select(SlaConfig)).all()}
    data.sla_configs = [
        c for c in data.sla_configs if not any(c.id == i or c.name == n for i, n in configs)
    ]
    # Seeded articles have fixed ids too (a lead may have changed them since).
    article_ids = set(session.exec(select(Article.id)).all())
    data.articles = [a for a in data.articles if a["id"] not in article_ids]
    handles = {a.handle: a.id for a in session.exec(select(Agent)).all()}
    slugs = {q.slug: q.id for q in session.exec(select(Queue)).all()}
    agent_ids = {a.id: handles[a.handle] for a in data.agents if a.handle in handles}
    queue_ids = {q.id: slugs[q.slug] for q in data.queues if q.slug in slugs}
    if not agent_ids and not queue_ids:
        return
    data.agents = [a for a in data.agents if a.id not in agent_ids]
    data.queues = [q for q in data.queues if q.id not in queue_ids]
    for case in data.cases:
        if case["assignee_id"] in agent_ids:
            case["assignee_id"] = agent_ids[case["assignee_id"]]
        if case["queue_id"] in queue_ids:
            case["queue_id"] = queue_ids[case["queue_id"]]
    for message in data.messages:
        if message["author_agent_id"] in agent_ids:
            message["author_agent_id"] = agent_ids[message["author_agent_id"]]
    for task in data.tasks:
        if task["created_by_agent_id"] in agent_ids:
            task["created_by_agent_id"] = agent_ids[task["created_by_agent_id"]]
    for use in data.macro_uses:
        if use["agent_id"] in agent_ids:
            use["agent_id"] = agent_ids[use["agent_id"]]


_PRIORITY_BUMP = {
    Priority.LOW: Priority.NORMAL,
    Priority.NORMAL: Priority.HIGH,
    Priority.HIGH: Priority.URGENT,
}


def touch_cases(engine: Engine, n: int, *, seed: int = 7) -> list[str]:
    """Let the customers of ``n`` random open (not closed) cases write again.

    Each touched case gets one new customer message and one case update (status as
    ``status_after_customer_reply`` says, else a priority bump, plus ``updated_at``), both
    through the one write path, so the change log holds exactly one ``case`` and one
    ``message`` row per touched case. Returns the touched case ids.
    """
    rng = random.Random(seed)
    with Session(engine) as session:
        candidates = list(
            session.exec(
                select(Case.id).where(Case.status != CaseStatus.CLOSED).order_by(Case.id)
            ).all()
        )
        chosen = rng.sample(candidates, min(max(n, 0), len(candidates)))
        for case_id in chosen:
            case = session.get(Case, case_id)
            assert case is not None  # just selected in this transaction
            contact = session.get(Contact, case.contact_id) if case.contact_id else None
            lang = contact.language if contact and contact.language in _FOLLOW_UP else "en"
            at = max(utcnow().replace(microsecond=0), case.updated_at + timedelta(seconds=1))
            mutations.create(
                session,
                Message(
                    id=new_id(),
                    case_id=case.id,
                    kind=MessageKind.CUSTOMER,
                    author_contact_id=contact.id if contact else None,
                    author_name=contact.display_name if contact else "Customer",
                    body=rng.choice(_FOLLOW_UP[lang]),
                    created_at=at,
                ),
            )
            current = CaseStatus(case.status)
            fields: dict[str, Any] = {"updated_at": at}
            after = status_after_customer_reply(current)
            if after != current:
                fields["status"] = after
            elif Priority(case.priority) in _PRIORITY_BUMP:
                fields["priority"] = _PRIORITY_BUMP[Priority(case.priority)]
            mutations.update_fields(session, Case, case.id, fields)
        session.commit()
    return chosen
