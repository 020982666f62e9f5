"""Demo knowledge articles for ``csm seed``: 300+ published articles in German and English
about the demo cases' topics (billing, cards, delivery, technical support, returns, login,
complaints, business customers, field service).

Each theme below is written once per language (title, question, introduction, steps, notes)
and becomes three articles per language: a how-to guide, a customer FAQ and an agent
checklist. Technical themes also get one troubleshooting article per device of the demo
(Router X200, Mesh Point M2, ...). Pure and deterministic: ids are uuid5 of fixed keys, times
step back from ``now`` by a generator seeded with the seed's number.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from csm_tui.domain.knowledge import PUBLISHED, slugify
from csm_tui.domain.models import Article

_NAMESPACE = uuid.UUID("2b7e4f0a-5c1d-4e8b-9a3f-6d0c8e1b7a52")

#: The demo's devices (``seed._DEVICES``): technical themes get one article per device.
DEVICES = ("Router X200", "Router X300 Pro", "Mesh Point M2", "TV Box 4K", "Smart Plug S1")


@dataclass(frozen=True)
class _Text:
    title: str
    question: str
    intro: str
    steps: tuple[str, ...]
    notes: tuple[str, ...]


@dataclass(frozen=True)
class _Theme:
    key: str
    topic: str
    product: str
    tags: tuple[str, ...]
    de: _Text
    en: _Text
    per_device: bool = False


def _t(
    title: str, question: str, intro: str, steps: tuple[str, ...], notes: tuple[str, ...]
) -> _Text:
    return _Text(title, question, intro, steps, notes)


_THEMES: tuple[_Theme, ...] = (
    # -- billing ---------------------------------------------------------------------------
    _Theme(
        "double-charge",
        "billing",
        "Rechnung",
        ("double-charge", "refund"),
        _t(
            "Doppelte Abbuchung erstatten",
            "Warum wurde mein Betrag zweimal abgebucht?",
            "Eine doppelte Abbuchung entsteht meist, wenn ein Zahlungslauf wiederholt wurde oder "
            "eine Lastschrift zusätzlich zu einer Überweisung eingezogen wurde.",
            (
                "Buchungsdatum und Betrag auf dem Kontoauszug mit der Rechnung vergleichen.",
                "Im Kundenkonto unter Zahlungen prüfen, ob beide Buchungen bei uns "
                "eingegangen sind.",
                "Die Erstattung des doppelten Betrags in der Buchhaltung beantragen; "
                "Freigabe durch den Team Lead ab 200 €.",
            ),
            (
                "Die Erstattung ist in drei bis fünf Werktagen auf dem Konto.",
                "Eine Rücklastschrift durch die Bank verursacht Gebühren; bitten Sie den Kunden, "
                "darauf zu verzichten.",
            ),
        ),
        _t(
            "Refund a double charge",
            "Why was I charged twice?",
            "A double charge usually happens when a payment run was repeated or a direct debit "
            "was collected on top of a bank transfer.",
            (
                "Compare the date and amount on the bank statement with the invoice.",
                "Check under Payments in the customer account whether both payments reached us.",
                "Request the refund of the duplicate amount from finance; refunds over £200 need "
                "lead approval.",
            ),
            (
                "The refund reaches the account within three to five working days.",
                "A chargeback through the bank causes fees; ask the customer not to start one.",
            ),
        ),
    ),
    _Theme(
        "invoice-explained",
        "billing",
        "Rechnung",
        ("invoice",),
        _t(
            "Rechnung verstehen: alle Positionen erklärt",
            "Warum ist meine Rechnung höher als sonst?",
            "Die Rechnung zeigt Grundgebühr, Verbrauch, einmalige Entgelte und Gutschriften. "
            "Eine höhere Rechnung hat fast immer einen Grund in einer dieser Positionen.",
            (
                "Rechnungszeitraum prüfen: Enthält die Rechnung anteilig zwei Monate?",
                "Einmalige Entgelte wie Versand, Techniker oder Mahngebühr suchen.",
                "Tarifwechsel oder abgelaufene Rabatte im Vertragsverlauf nachsehen.",
            ),
            (
                "Rechnungen der letzten 24 Monate stehen im Kundenkonto als PDF bereit.",
                "Ein Einspruch gegen die Rechnung ist acht Wochen lang möglich.",
            ),
        ),
        _t(
            "Understanding your invoice: every line explained",
            "Why is my invoice higher than usual?",
            "The invoice shows the monthly fee, usage, one-off charges and credits. A higher "
            "invoice almost always has its reason in one of these lines.",
            (
                "Check the billing period: does the invoice cover parts of two months?",
                "Look for one-off charges such as shipping, an engineer visit or a late fee.",
                "Check the contract history for a plan change or a discount that ended.",
            ),
            (
                "Invoices of the last 24 months are in the customer account as PDF.",
                "Customers can dispute an invoice within eight weeks.",
            ),
        ),
    ),
    _Theme(
        "direct-debit-bounced",
        "billing",
        "Lastschrift",
        ("direct-debit", "dunning"),
        _t(
            "Lastschrift zurückgegangen: Mahngebühr und nächste Schritte",
            "Meine Lastschrift ist geplatzt – was kostet das?",
            "Kann eine Lastschrift nicht eingelöst werden, berechnet die Bank eine "
            "Rücklastschriftgebühr, die wir weitergeben müssen.",
            (
                "Grund der Rücklastschrift im Zahlungsverlauf nachsehen (Deckung, Widerspruch, "
                "Konto erloschen).",
                "Kunden bitten, den offenen Betrag per Überweisung zu zahlen oder einen neuen "
                "Einzug zu erlauben.",
                "Bei erstmaliger Rücklastschrift die Gebühr von 3 € aus Kulanz erlassen.",
            ),
            (
                "Nach zwei Rücklastschriften stellen wir auf Überweisung um.",
                "Mahnstufe eins wird erst nach 14 Tagen verschickt.",
            ),
        ),
        _t(
            "Direct debit bounced: late fee and next steps",
            "My direct debit bounced - what does it cost?",
            "When a direct debit cannot be collected the bank charges a return fee, which we "
            "have to pass on.",
            (
                "Look up the return reason in the payment history (funds, dispute, "
                "closed account).",
                "Ask the customer to pay the open amount by bank transfer or to allow a new "
                "collection.",
                "Waive the £3 fee as a goodwill gesture for a first return.",
            ),
            (
                "After two returned debits we switch the account to bank transfer.",
                "The first reminder only goes out after 14 days.",
            ),
        ),
    ),
    _Theme(
        "refund-status",
        "billing",
        "Erstattung",
        ("refund",),
        _t(
            "Erstattung nach Rücksendung: Bearbeitungszeiten",
            "Wann bekomme ich mein Geld nach der Rücksendung zurück?",
            "Wir erstatten, sobald die Rücksendung im Lager geprüft ist. Das dauert nach "
            "Eingang in der Regel zwei Werktage.",
            (
                "Sendungsverfolgung der Rücksendung prüfen: Ist das Paket im Lager angekommen?",
                "Im Auftrag nachsehen, ob die Prüfung abgeschlossen ist.",
                "Ist die Erstattung gebucht, den Zahlungsweg nennen: Karte bis zu fünf Tage, "
                "PayPal sofort, Überweisung ein bis zwei Tage.",
            ),
            (
                "Erstattet wird immer auf das ursprüngliche Zahlungsmittel.",
                "Fehlt die Erstattung nach zehn Werktagen, Fall an die Buchhaltung geben.",
            ),
        ),
        _t(
            "Refund after a return: how long it takes",
            "When do I get my money back after a return?",
            "We refund as soon as the warehouse has checked the return, usually two working "
            "days after it arrives.",
            (
                "Check the tracking of the return: has the parcel reached the warehouse?",
                "See in the order whether the check is complete.",
                "Once the refund is booked, name the payment method: card up to five days, PayPal "
                "at once, bank transfer one to two days.",
            ),
            (
                "We always refund to the original payment method.",
                "If the refund is missing after ten working days, hand the case to finance.",
            ),
        ),
    ),
    _Theme(
        "wrong-tariff",
        "billing",
        "Tarif",
        ("invoice", "tariff"),
        _t(
            "Falscher Tarif auf der Rechnung korrigieren",
            "Auf meiner Rechnung steht der falsche Tarif – was nun?",
            "Nach einem Tarifwechsel kann die erste Rechnung noch den alten Tarif zeigen, wenn "
            "der Wechsel mitten im Abrechnungszeitraum lag.",
            (
                "Datum des Tarifwechsels im Vertragsverlauf prüfen.",
                "Anteilige Berechnung beider Tarife auf der Rechnung nachvollziehen.",
                "Ist der Tarif wirklich falsch, Korrekturrechnung anstoßen und Differenz "
                "gutschreiben.",
            ),
            (
                "Die Korrektur erscheint als Gutschrift auf der nächsten Rechnung.",
                "Tarifwechsel gelten immer ab dem Folgetag der Bestätigung.",
            ),
        ),
        _t(
            "Correct a wrong plan on the bill",
            "My bill shows the wrong plan - what now?",
            "After a plan change the first bill can still show the old plan when the change "
            "fell in the middle of the billing period.",
            (
                "Check the date of the plan change in the contract history.",
                "Follow the pro-rata charges of both plans on the bill.",
                "If the plan really is wrong, start a corrected invoice and credit the difference.",
            ),
            (
                "The correction shows as a credit on the next bill.",
                "Plan changes apply from the day after the confirmation.",
            ),
        ),
    ),
    _Theme(
        "bank-details",
        "billing",
        "Zahlungsdaten",
        ("bank-details",),
        _t(
            "Bankverbindung und IBAN ändern",
            "Wie ändere ich meine Bankverbindung?",
            "Kunden ändern ihre IBAN selbst im Kundenkonto unter Zahlungsdaten. Am Telefon "
            "ändern wir sie nur nach Prüfung der Identität.",
            (
                "Identität prüfen: Kundennummer, Geburtsdatum und Rechnungsadresse abfragen.",
                "Neue IBAN eingeben; das SEPA-Mandat wird automatisch neu erstellt.",
                "Kunden auf die Bestätigungs-E-Mail mit der Mandatsreferenz hinweisen.",
            ),
            (
                "Änderungen bis zum 20. gelten für die nächste Abbuchung.",
                "Niemals IBAN-Änderungen per E-Mail ohne Identitätsprüfung annehmen.",
            ),
        ),
        _t(
            "Change bank details and IBAN",
            "How do I change my bank details?",
            "Customers change their IBAN themselves in the customer account under Payment "
            "details. On the phone we change it only after checking their identity.",
            (
                "Verify the identity: ask for customer number, date of birth and billing address.",
                "Enter the new IBAN; the direct debit mandate is created again automatically.",
                "Point the customer to the confirmation email with the mandate reference.",
            ),
            (
                "Changes made by the 20th apply to the next collection.",
                "Never accept an IBAN change by email without an identity check.",
            ),
        ),
    ),
    _Theme(
        "reminder-paid",
        "billing",
        "Mahnung",
        ("dunning",),
        _t(
            "Zahlungserinnerung trotz Zahlung",
            "Ich habe bezahlt und trotzdem eine Mahnung bekommen – warum?",
            "Eine Zahlung, die ohne Rechnungsnummer im Verwendungszweck kommt, kann nicht "
            "automatisch zugeordnet werden; dann läuft die Mahnung weiter.",
            (
                "Zahlungseingang mit Datum und Betrag im Klärungskonto suchen.",
                "Zahlung der Rechnung manuell zuordnen.",
                "Mahnstufe zurücksetzen und Mahngebühr stornieren.",
            ),
            (
                "Kunden bitten, künftig die Rechnungsnummer als Verwendungszweck anzugeben.",
                "Die Korrektur ist am nächsten Werktag im Kundenkonto sichtbar.",
            ),
        ),
        _t(
            "Payment reminder although paid",
            "I paid and still got a reminder - why?",
            "A payment without the invoice number in the reference cannot be matched "
            "automatically, so the reminder process goes on.",
            (
                "Find the payment by date and amount in the unmatched payments account.",
                "Match the payment to the invoice by hand.",
                "Reset the dunning level and cancel the late fee.",
            ),
            (
                "Ask the customer to use the invoice number as payment reference from now on.",
                "The correction shows in the customer account the next working day.",
            ),
        ),
    ),
    _Theme(
        "instalments",
        "billing",
        "Ratenzahlung",
        ("instalments",),
        _t(
            "Ratenzahlung vereinbaren",
            "Kann ich meine Rechnung in Raten zahlen?",
            "Offene Beträge ab 100 € können in bis zu sechs Monatsraten gezahlt werden, wenn "
            "keine Rücklastschrift offen ist.",
            (
                "Offenen Betrag und Fälligkeit im Kundenkonto prüfen.",
                "Ratenplan mit dem Kunden festlegen (zwei bis sechs Raten).",
                "Ratenvereinbarung im Konto anlegen; Mahnlauf wird automatisch pausiert.",
            ),
            (
                "Wird eine Rate nicht gezahlt, wird der Restbetrag sofort fällig.",
                "Für Ratenzahlung fallen keine Zinsen an.",
            ),
        ),
        _t(
            "Set up an instalment plan",
            "Can I pay my invoice in instalments?",
            "Open amounts from £100 can be paid in up to six monthly instalments when no "
            "returned debit is open.",
            (
                "Check the open amount and due date in the customer account.",
                "Agree the plan with the customer (two to six instalments).",
                "Create the instalment plan in the account; reminders pause automatically.",
            ),
            (
                "If an instalment is missed, the rest is due at once.",
                "Instalment plans carry no interest.",
            ),
        ),
    ),
    _Theme(
        "bank-transfer",
        "billing",
        "Zahlungsdaten",
        ("payment", "bank-transfer"),
        _t(
            "Per Überweisung statt Lastschrift zahlen",
            "Kann ich per Überweisung bezahlen?",
            "Statt per Lastschrift können Kunden jede Rechnung per Überweisung zahlen. Wichtig "
            "ist der richtige Verwendungszweck.",
            (
                "Zahlungsart im Kundenkonto auf Überweisung umstellen.",
                "Kunden unsere Bankverbindung und die Rechnungsnummer als Verwendungszweck nennen.",
                "Hinweis geben: Eine Überweisung braucht ein bis zwei Bankarbeitstage.",
            ),
            (
                "Bei Überweisung ist die Zahlung 14 Tage nach Rechnungsdatum fällig.",
                "Daueraufträge bitte an den Rechnungsbetrag anpassen lassen.",
            ),
        ),
        _t(
            "Pay by bank transfer instead of direct debit",
            "Can I pay by bank transfer?",
            "Instead of direct debit, customers can pay every invoice by bank transfer. The "
            "right payment reference matters.",
            (
                "Switch the payment method in the customer account to bank transfer.",
                "Give the customer our bank details and the invoice number as reference.",
                "Mention that a transfer takes one to two banking days.",
            ),
            (
                "With bank transfer, payment is due 14 days after the invoice date.",
                "Standing orders must match the invoice amount.",
            ),
        ),
    ),
    _Theme(
        "customer-number",
        "billing",
        "Kundenkonto",
        ("account",),
        _t(
            "Wo finde ich meine Kundennummer?",
            "Wie lautet meine Kundennummer?",
            "Die Kundennummer beginnt mit K- und steht oben rechts auf jeder Rechnung, in jeder "
            "E-Mail von uns und im Kundenkonto unter Persönliche Daten.",
            (
                "Kunden bitten, eine Rechnung oder eine unserer E-Mails zur Hand zu nehmen.",
                "Ohne Unterlagen: Kunde über E-Mail-Adresse und Geburtsdatum suchen.",
                "Kundennummer erst nach erfolgreicher Identitätsprüfung nennen.",
            ),
            (
                "Die Kundennummer ändert sich nie, auch nicht nach einem Umzug.",
                "Firmenkunden haben zusätzlich eine Vertragsnummer.",
            ),
        ),
        _t(
            "Where do I find my customer number?",
            "What is my customer number?",
            "The customer number starts with K- and is printed top right on every invoice, in "
            "every email from us and in the customer account under Personal details.",
            (
                "Ask the customer to have an invoice or one of our emails at hand.",
                "Without documents: find the customer by email address and date of birth.",
                "Only give out the customer number after a successful identity check.",
            ),
            (
                "The customer number never changes, not even after a move.",
                "Business customers also have a contract number.",
            ),
        ),
    ),
    # -- cards -----------------------------------------------------------------------------
    _Theme(
        "card-lost",
        "cards",
        "Debitkarte",
        ("card-block", "urgent-block"),
        _t(
            "Karte verloren oder gestohlen: sofort sperren",
            "Ich habe meine Karte verloren – was muss ich tun?",
            "Eine verlorene oder gestohlene Karte wird sofort gesperrt. Kunden können das auch "
            "rund um die Uhr über den Sperr-Notruf 116 116 oder in der App tun.",
            (
                "Identität prüfen und die Karte im Kartensystem sofort sperren.",
                "Letzte Umsätze mit dem Kunden durchgehen und unbekannte Buchungen markieren.",
                "Ersatzkarte bestellen; bei Diebstahl Anzeige bei der Polizei empfehlen.",
            ),
            (
                "Die Sperre wirkt sofort und kann nicht rückgängig gemacht werden.",
                "Die Ersatzkarte kommt in fünf bis sieben Werktagen mit neuer PIN.",
            ),
        ),
        _t(
            "Lost or stolen card: block it at once",
            "I lost my card - what should I do?",
            "A lost or stolen card is blocked at once. Customers can also do it around the "
            "clock in the app or through the card emergency line.",
            (
                "Verify the identity and block the card in the card system at once.",
                "Go through the latest payments with the customer and flag unknown ones.",
                "Order a replacement card; after a theft, recommend a police report.",
            ),
            (
                "The block works at once and cannot be undone.",
                "The replacement card arrives in five to seven working days with a new PIN.",
            ),
        ),
    ),
    _Theme(
        "unknown-payment",
        "cards",
        "Kreditkarte",
        ("fraud-suspected", "chargeback"),
        _t(
            "Unbekannte Kartenzahlung reklamieren",
            "Auf meiner Karte ist eine Zahlung, die ich nicht kenne – was tun?",
            "Unbekannte Zahlungen sind oft Abos oder Händlernamen, die anders heißen als der "
            "Shop. Ist die Zahlung wirklich fremd, leiten wir eine Rückbuchung (Chargeback) ein.",
            (
                "Händlername, Datum und Betrag mit dem Kunden prüfen.",
                "Bei Betrugsverdacht Karte sperren und Aufgabe an das Fraud-Team anlegen.",
                "Chargeback-Formular ausfüllen lassen; Frist: 13 Monate nach Buchung.",
            ),
            (
                "Der Betrag wird während der Prüfung vorläufig gutgeschrieben.",
                "Das Fraud-Team meldet sich innerhalb von zehn Werktagen.",
            ),
        ),
        _t(
            "Dispute an unknown card payment",
            "There is a payment on my card I don't recognise - what now?",
            "Unknown payments are often subscriptions or merchant names that differ from the "
            "shop. If the payment really is fraudulent, we start a chargeback.",
            (
                "Check the merchant name, date and amount with the customer.",
                "If fraud is suspected, block the card and create a task for the fraud team.",
                "Have the customer fill in the chargeback form; deadline: 13 months after booking.",
            ),
            (
                "The amount is credited provisionally while we investigate.",
                "The fraud team gets back within ten working days.",
            ),
        ),
    ),
    _Theme(
        "card-declined-abroad",
        "cards",
        "Debitkarte",
        ("card-declined",),
        _t(
            "Karte im Ausland abgelehnt",
            "Warum funktioniert meine Karte im Ausland nicht?",
            "Im Ausland lehnen Terminals Karten ab, wenn der Auslandseinsatz gesperrt ist, das "
            "Limit erreicht ist oder der Händler kein Maestro/V PAY annimmt.",
            (
                "Im Kartensystem prüfen, ob der Auslandseinsatz für die Region freigeschaltet ist.",
                "Tages- und Monatslimit prüfen und bei Bedarf vorübergehend erhöhen.",
                "Ablehnungsgrund im Autorisierungsprotokoll nachsehen.",
            ),
            (
                "Kunden können den Auslandseinsatz in der App selbst freischalten.",
                "Außerhalb Europas wird die PIN häufiger verlangt als kontaktlos.",
            ),
        ),
        _t(
            "Card declined abroad",
            "Why does my card not work abroad?",
            "Abroad, terminals decline cards when use abroad is switched off, the limit is "
            "reached or the merchant does not accept the card scheme.",
            (
                "Check in the card system whether use abroad is enabled for the region.",
                "Check the daily and monthly limit and raise it for a while if needed.",
                "Look up the decline reason in the authorisation log.",
            ),
            (
                "Customers can enable use abroad themselves in the app.",
                "Outside Europe the PIN is asked for more often than contactless.",
            ),
        ),
    ),
    _Theme(
        "replacement-card",
        "cards",
        "Debitkarte",
        ("card-replacement",),
        _t(
            "Ersatzkarte nicht angekommen",
            "Meine neue Karte ist nicht angekommen – was jetzt?",
            "Ersatzkarten gehen per Brief an die Meldeadresse. Kommt die Karte nach zehn "
            "Werktagen nicht an, sperren wir sie vorsorglich und schicken eine neue.",
            (
                "Versanddatum und Adresse im Kartensystem prüfen.",
                "Nach zehn Werktagen: Karte sperren und neu bestellen.",
                "Bei falscher Adresse zuerst die Adresse korrigieren lassen.",
            ),
            (
                "PIN-Brief und Karte kommen getrennt, meist mit zwei Tagen Abstand.",
                "Express-Versand kostet 15 € und dauert zwei Werktage.",
            ),
        ),
        _t(
            "Replacement card never arrived",
            "My new card has not arrived - what now?",
            "Replacement cards go by post to the registered address. If the card has not "
            "arrived after ten working days, we block it to be safe and send a new one.",
            (
                "Check the dispatch date and address in the card system.",
                "After ten working days: block the card and order a new one.",
                "If the address is wrong, have it corrected first.",
            ),
            (
                "The PIN letter and the card come separately, usually two days apart.",
                "Express delivery costs £15 and takes two working days.",
            ),
        ),
    ),
    _Theme(
        "pin-forgotten",
        "cards",
        "Debitkarte",
        ("pin",),
        _t(
            "PIN vergessen: neue PIN anfordern",
            "Ich habe meine PIN vergessen – wie bekomme ich eine neue?",
            "Aus Sicherheitsgründen können wir keine PIN nennen. Kunden fordern einen neuen "
            "PIN-Brief an oder sehen die PIN in der App nach Anmeldung mit zwei Faktoren.",
            (
                "Kunden auf die PIN-Anzeige in der App hinweisen.",
                "Alternativ PIN-Brief im Kartensystem anfordern.",
                "Nach dreimaliger Falscheingabe die Sperre des Zählers im System aufheben.",
            ),
            (
                "Der PIN-Brief kommt in drei bis fünf Werktagen.",
                "Mitarbeitende fragen niemals nach der PIN.",
            ),
        ),
        _t(
            "Forgot your PIN: request a new one",
            "I forgot my PIN - how do I get a new one?",
            "For security reasons we can never tell a PIN. Customers request a new PIN letter "
            "or view the PIN in the app after signing in with two factors.",
            (
                "Point the customer to the PIN view in the app.",
                "Or request a PIN letter in the card system.",
                "After three wrong entries, reset the PIN counter in the system.",
            ),
            (
                "The PIN letter arrives in three to five working days.",
                "Agents never ask for the PIN.",
            ),
        ),
    ),
    _Theme(
        "phishing",
        "cards",
        "Sicherheit",
        ("phishing", "security"),
        _t(
            "Phishing: verdächtige SMS oder E-Mail erkennen",
            "Ich habe eine SMS bekommen, die nach meinen Kartendaten fragt – ist das echt?",
            "Wir fragen nie per SMS, E-Mail oder Telefon nach Kartennummer, PIN oder TAN. "
            "Solche Nachrichten sind Phishing.",
            (
                "Kunden bestätigen, dass die Nachricht nicht von uns stammt.",
                "Fragen, ob Daten eingegeben wurden; wenn ja, Karte sofort sperren.",
                "Nachricht an phishing@example.com weiterleiten lassen und löschen.",
            ),
            (
                "Links in solchen Nachrichten niemals öffnen.",
                "Echte Nachrichten von uns nennen immer den Namen und die Kundennummer.",
            ),
        ),
        _t(
            "Phishing: spot a suspicious text or email",
            "I got a text asking for my card details - is it real?",
            "We never ask for card number, PIN or one-time codes by text, email or phone. Such "
            "messages are phishing.",
            (
                "Confirm to the customer that the message is not from us.",
                "Ask whether any details were entered; if so, block the card at once.",
                "Have the message forwarded to phishing@example.com, then deleted.",
            ),
            (
                "Never open links in such messages.",
                "Real messages from us always use the name and the customer number.",
            ),
        ),
    ),
    _Theme(
        "card-limit",
        "cards",
        "Kreditkarte",
        ("card-limit",),
        _t(
            "Kartenlimit erhöhen",
            "Kann ich mein Kartenlimit erhöhen?",
            "Das Verfügungslimit lässt sich in der App bis zum vereinbarten Rahmen selbst "
            "ändern. Eine Erhöhung des Rahmens braucht eine Bonitätsprüfung.",
            (
                "Aktuelles Limit und Rahmen im Kartensystem ansehen.",
                "Innerhalb des Rahmens: Limit sofort anpassen.",
                "Über den Rahmen hinaus: Antrag mit Einkommensnachweis an das Kreditteam.",
            ),
            (
                "Vorübergehende Erhöhungen gelten höchstens 30 Tage.",
                "Die Entscheidung des Kreditteams kommt in zwei Werktagen.",
            ),
        ),
        _t(
            "Increase your card limit",
            "Can I increase my card limit?",
            "The spending limit can be changed in the app up to the agreed credit line. "
            "Raising the credit line needs a credit check.",
            (
                "Look up the current limit and credit line in the card system.",
                "Within the credit line: change the limit at once.",
                "Above the credit line: send an application with proof of income to the credit "
                "team.",
            ),
            (
                "Temporary increases last at most 30 days.",
                "The credit team decides within two working days.",
            ),
        ),
    ),
    _Theme(
        "contactless",
        "cards",
        "Debitkarte",
        ("card-declined", "contactless"),
        _t(
            "Kontaktlos bezahlen funktioniert nicht",
            "Warum geht kontaktloses Bezahlen nicht mehr?",
            "Nach mehreren kontaktlosen Zahlungen hintereinander verlangt die Karte aus "
            "Sicherheitsgründen einmal die PIN. Danach geht kontaktlos wieder.",
            (
                "Kunden bitten, einmal mit Karte und PIN am Terminal zu zahlen.",
                "Prüfen, ob kontaktlos in der App ausgeschaltet wurde.",
                "Bei beschädigter Antenne Ersatzkarte bestellen.",
            ),
            (
                "Ohne PIN sind kontaktlos bis 50 € möglich.",
                "Mit dem Smartphone gelten die Grenzen der Wallet-App.",
            ),
        ),
        _t(
            "Contactless payments not working",
            "Why does contactless payment no longer work?",
            "After several contactless payments in a row, the card asks once for the PIN for "
            "security. After that, contactless works again.",
            (
                "Ask the customer to pay once with card and PIN at a terminal.",
                "Check whether contactless was switched off in the app.",
                "If the antenna is damaged, order a replacement card.",
            ),
            (
                "Without PIN, contactless works up to £100.",
                "With a phone, the limits of the wallet app apply.",
            ),
        ),
    ),
    # -- delivery --------------------------------------------------------------------------
    _Theme(
        "parcel-missing",
        "delivery",
        "Versand",
        ("lost-parcel",),
        _t(
            "Paket nicht angekommen: Nachforschung starten",
            "Mein Paket ist nicht angekommen – was kann ich tun?",
            "Zeigt die Sendungsverfolgung seit fünf Werktagen keinen neuen Status, starten wir "
            "beim Versanddienstleister einen Nachforschungsauftrag.",
            (
                "Sendungsnummer und letzten Status in der Sendungsverfolgung prüfen.",
                "Nach fünf Werktagen ohne Bewegung Nachforschung beim Dienstleister beauftragen.",
                "Kunden Ersatzlieferung oder Erstattung anbieten, sobald das Paket als verloren "
                "gilt.",
            ),
            (
                "Eine Nachforschung dauert bis zu zehn Werktage.",
                "Ersatz schicken wir sofort bei Artikeln unter 50 €.",
            ),
        ),
        _t(
            "Parcel not arrived: start a trace",
            "My parcel has not arrived - what can I do?",
            "If tracking has shown no new status for five working days, we start a trace with "
            "the carrier.",
            (
                "Check the tracking number and last status.",
                "After five working days without movement, start a trace with the carrier.",
                "Offer a replacement or a refund as soon as the parcel counts as lost.",
            ),
            (
                "A trace takes up to ten working days.",
                "We send a replacement at once for items under £50.",
            ),
        ),
    ),
    _Theme(
        "delivery-delayed",
        "delivery",
        "Versand",
        ("delivery-delay",),
        _t(
            "Lieferung verspätet: Lieferzeiten und Gründe",
            "Warum dauert meine Lieferung länger?",
            "Verspätungen entstehen durch Lieferengpässe, Feiertage oder Wetter. Die "
            "Sendungsverfolgung zeigt den neuen voraussichtlichen Liefertag.",
            (
                "Auftragsstatus prüfen: versendet oder noch im Lager?",
                "Bei Lagerrückstand den neuen Versandtermin nennen.",
                "Bei mehr als sieben Tagen Verspätung Versandkosten erstatten.",
            ),
            (
                "Vor Feiertagen rechnen wir mit ein bis zwei Tagen mehr.",
                "Kunden können unversendete Aufträge kostenlos stornieren.",
            ),
        ),
        _t(
            "Delivery delayed: delivery times and reasons",
            "Why is my delivery taking longer?",
            "Delays come from stock shortages, holidays or weather. Tracking shows the new "
            "expected delivery day.",
            (
                "Check the order status: shipped or still in the warehouse?",
                "If the warehouse is behind, give the new dispatch date.",
                "For delays over seven days, refund the shipping costs.",
            ),
            (
                "Before holidays, expect one or two days more.",
                "Customers can cancel orders that have not shipped for free.",
            ),
        ),
    ),
    _Theme(
        "parcel-damaged",
        "delivery",
        "Versand",
        ("damaged",),
        _t(
            "Paket beschädigt angekommen",
            "Mein Paket kam beschädigt an – was nun?",
            "Beschädigte Sendungen ersetzen wir. Fotos von Verpackung und Ware helfen uns, "
            "den Schaden beim Versanddienstleister geltend zu machen.",
            (
                "Kunden um Fotos von Karton, Etikett und beschädigtem Artikel bitten.",
                "Schadensmeldung im Auftrag anlegen.",
                "Ersatzlieferung auslösen oder Erstattung anbieten.",
            ),
            (
                "Die beschädigte Ware muss nicht zurückgeschickt werden, außer bei Geräten über "
                "200 €.",
                "Schäden bitte innerhalb von 14 Tagen melden.",
            ),
        ),
        _t(
            "Parcel arrived damaged",
            "My parcel arrived damaged - what now?",
            "We replace damaged shipments. Photos of the packaging and the item help us claim "
            "the damage with the carrier.",
            (
                "Ask the customer for photos of the box, the label and the damaged item.",
                "Create a damage report on the order.",
                "Send a replacement or offer a refund.",
            ),
            (
                "Damaged goods need not be returned, except devices over £200.",
                "Damage must be reported within 14 days.",
            ),
        ),
    ),
    _Theme(
        "address-change",
        "delivery",
        "Versand",
        ("address-change",),
        _t(
            "Lieferadresse einer Bestellung ändern",
            "Kann ich die Lieferadresse noch ändern?",
            "Solange der Auftrag nicht versendet ist, ändern wir die Lieferadresse sofort. "
            "Danach hilft nur eine Umleitung beim Versanddienstleister.",
            (
                "Auftragsstatus prüfen.",
                "Vor Versand: Adresse im Auftrag ändern und Bestätigung schicken.",
                "Nach Versand: Kunden den Link zur Umleitung in der Sendungsverfolgung geben.",
            ),
            (
                "Eine Umleitung ist bis zum Vorabend der Zustellung möglich.",
                "Die Rechnungsadresse bleibt unverändert.",
            ),
        ),
        _t(
            "Change the delivery address of an order",
            "Can I still change the delivery address?",
            "As long as the order has not shipped, we change the delivery address at once. "
            "After that only a redirect with the carrier helps.",
            (
                "Check the order status.",
                "Before dispatch: change the address on the order and send a confirmation.",
                "After dispatch: give the customer the redirect link from tracking.",
            ),
            (
                "A redirect is possible until the evening before delivery.",
                "The billing address stays the same.",
            ),
        ),
    ),
    _Theme(
        "marked-delivered",
        "delivery",
        "Versand",
        ("lost-parcel",),
        _t(
            "Als zugestellt markiert, aber kein Paket da",
            "Laut Sendungsverfolgung zugestellt, aber ich habe nichts bekommen?",
            "Oft liegt das Paket bei Nachbarn, in einer Filiale oder am Ablageort. Erst danach "
            "gilt es als verloren.",
            (
                "Zustellnachweis mit Unterschrift oder Foto beim Dienstleister abrufen.",
                "Kunden bitten, bei Nachbarn und am Ablageort nachzusehen.",
                "Nach 48 Stunden Nachforschung starten und Ersatz anbieten.",
            ),
            (
                "Eine Ablagegenehmigung überträgt das Risiko auf den Kunden.",
                "Bei Wiederholung Fall an das Fraud-Team geben.",
            ),
        ),
        _t(
            "Marked as delivered but no parcel",
            "Tracking says delivered but I got nothing?",
            "Often the parcel is with a neighbour, at a shop or at the safe place. Only after "
            "that does it count as lost.",
            (
                "Get the proof of delivery (signature or photo) from the carrier.",
                "Ask the customer to check with neighbours and at the safe place.",
                "After 48 hours, start a trace and offer a replacement.",
            ),
            (
                "A safe-place permission moves the risk to the customer.",
                "If it happens again, hand the case to the fraud team.",
            ),
        ),
    ),
    _Theme(
        "item-missing",
        "delivery",
        "Versand",
        ("partial-delivery",),
        _t(
            "Artikel fehlt in der Bestellung",
            "In meinem Paket fehlt ein Artikel – warum?",
            "Große Bestellungen kommen oft in mehreren Paketen. Der Lieferschein zeigt, was in "
            "welchem Paket ist.",
            (
                "Lieferschein und Teillieferungen im Auftrag prüfen.",
                "Kommt kein weiteres Paket, Packgewicht mit dem Lager abgleichen.",
                "Fehlenden Artikel nachliefern oder erstatten.",
            ),
            (
                "Teillieferungen kosten keine zusätzlichen Versandkosten.",
                "Fehlmengen bitte innerhalb von 14 Tagen melden.",
            ),
        ),
        _t(
            "Item missing from the order",
            "An item is missing from my parcel - why?",
            "Large orders often come in several parcels. The delivery note shows what is in "
            "which parcel.",
            (
                "Check the delivery note and partial shipments on the order.",
                "If no further parcel comes, compare the packing weight with the warehouse.",
                "Send the missing item or refund it.",
            ),
            (
                "Partial deliveries cost no extra shipping.",
                "Missing items must be reported within 14 days.",
            ),
        ),
    ),
    _Theme(
        "parcel-locker",
        "delivery",
        "Versand",
        ("address-change", "pickup"),
        _t(
            "Lieferung an Packstation oder Filiale",
            "Kann ich an eine Packstation liefern lassen?",
            "Bestellungen können an Packstationen und Filialen geliefert werden. Dafür braucht "
            "der Kunde eine Postnummer.",
            (
                "Postnummer und Packstationsnummer als Lieferadresse eintragen.",
                "Sperrgut und Geräte über 31,5 kg ausschließen: diese gehen nur an Hausadressen.",
                "Kunden auf die Abholfrist von sieben Tagen hinweisen.",
            ),
            (
                "Nach Ablauf der Frist geht das Paket an uns zurück und wird erstattet.",
                "Zur Abholung in der Filiale Ausweis mitbringen.",
            ),
        ),
        _t(
            "Delivery to a parcel locker or shop",
            "Can I have my order delivered to a parcel locker?",
            "Orders can be delivered to parcel lockers and shops. The customer needs a locker "
            "account for it.",
            (
                "Enter the locker account and locker number as the delivery address.",
                "Bulky goods and devices over 31.5 kg only go to home addresses.",
                "Point the customer to the collection window of seven days.",
            ),
            (
                "After that the parcel comes back to us and is refunded.",
                "Bring photo ID to collect at a shop.",
            ),
        ),
    ),
    # -- technical -------------------------------------------------------------------------
    _Theme(
        "connection-drops",
        "technical",
        "Internet",
        ("connectivity", "router"),
        _t(
            "Verbindung bricht ständig ab",
            "Warum bricht meine Internetverbindung immer wieder ab?",
            "Häufige Abbrüche haben meist drei Ursachen: veraltete Firmware, ein überlasteter "
            "WLAN-Kanal oder ein Leitungsproblem.",
            (
                "Gerät für 30 Sekunden vom Strom trennen und neu starten.",
                "Firmware-Version prüfen und Update starten.",
                "Leitungsmessung im Techniksystem durchführen; bei Fehlern Störung melden.",
            ),
            (
                "Das Leitungsprotokoll zeigt Abbrüche der letzten 7 Tage.",
                "Bei mehr als drei Abbrüchen am Tag Techniker-Aufgabe anlegen.",
            ),
        ),
        _t(
            "Connection keeps dropping",
            "Why does my internet connection keep dropping?",
            "Frequent drops usually have three causes: old firmware, a crowded Wi-Fi channel or "
            "a line fault.",
            (
                "Unplug the device for 30 seconds and restart it.",
                "Check the firmware version and start an update.",
                "Run a line test in the technical system; report a fault if it fails.",
            ),
            (
                "The line log shows drops of the last 7 days.",
                "With more than three drops a day, create a task for field service.",
            ),
        ),
        per_device=True,
    ),
    _Theme(
        "app-crash",
        "technical",
        "App",
        ("app",),
        _t(
            "App stürzt nach dem Update ab",
            "Meine App stürzt seit dem Update ab – was hilft?",
            "Nach einem Update kann der alte Zwischenspeicher Abstürze verursachen. Meist hilft "
            "es, den Cache zu leeren oder die App neu zu installieren.",
            (
                "App-Version und Betriebssystem des Geräts erfragen.",
                "Cache leeren (Android) oder App löschen und neu installieren (iOS).",
                "Besteht der Fehler weiter, Absturzbericht in der App senden lassen.",
            ),
            (
                "Unterstützt werden Android ab Version 10 und iOS ab Version 16.",
                "Bekannte Fehler stehen auf der Statusseite.",
            ),
        ),
        _t(
            "App crashes after the update",
            "My app crashes since the update - what helps?",
            "After an update, old cached data can cause crashes. Clearing the cache or "
            "reinstalling the app usually helps.",
            (
                "Ask for the app version and the phone's operating system.",
                "Clear the cache (Android) or delete and reinstall the app (iOS).",
                "If the error persists, have the customer send a crash report from the app.",
            ),
            (
                "Supported are Android 10 and later, iOS 16 and later.",
                "Known issues are listed on the status page.",
            ),
        ),
    ),
    _Theme(
        "no-internet",
        "technical",
        "Internet",
        ("connectivity", "outage"),
        _t(
            "Kein Internet: Störung prüfen",
            "Ich habe kein Internet – gibt es eine Störung?",
            "Bevor wir einen Techniker schicken, prüfen wir die Störungskarte und die Leitung. "
            "Viele Ausfälle sind regionale Störungen, die bereits bearbeitet werden.",
            (
                "Postleitzahl in der Störungskarte prüfen.",
                "Leuchten am Gerät abfragen: Power, DSL/Online, WLAN.",
                "Keine Störung bekannt: Leitungsmessung und Neustart, dann Störung melden.",
            ),
            (
                "Bei einer Großstörung den Fall mit dem Störungsticket verknüpfen.",
                "Ab drei Tagen Ausfall gibt es eine Gutschrift auf die Grundgebühr.",
            ),
        ),
        _t(
            "No internet: check for an outage",
            "I have no internet - is there an outage?",
            "Before sending an engineer, we check the outage map and the line. Many failures "
            "are regional outages already being worked on.",
            (
                "Check the postcode on the outage map.",
                "Ask about the lights on the device: power, DSL/online, Wi-Fi.",
                "No known outage: run a line test and a restart, then report a fault.",
            ),
            (
                "For a major outage, link the case to the outage ticket.",
                "From three days without service, the monthly fee is credited.",
            ),
        ),
        per_device=True,
    ),
    _Theme(
        "setup-error",
        "technical",
        "Internet",
        ("setup",),
        _t(
            "Fehlermeldung bei der Einrichtung",
            "Bei der Einrichtung erscheint ein Fehlercode – was bedeutet er?",
            "Fehlercodes beginnen mit E. Die häufigsten sind E101 (keine Leitung), E204 "
            "(falsche Zugangsdaten) und E310 (Firmware zu alt).",
            (
                "Fehlercode erfragen und in der Codeliste nachsehen.",
                "Bei E204: Zugangsdaten aus dem Begrüßungsbrief neu eingeben lassen.",
                "Bei E310: Gerät per LAN-Kabel verbinden und Firmware aktualisieren.",
            ),
            (
                "Die Leitung ist am Schaltdatum ab 12 Uhr aktiv.",
                "Eine Werkseinstellung löscht alle eigenen Einstellungen.",
            ),
        ),
        _t(
            "Error message during setup",
            "An error code appears during setup - what does it mean?",
            "Error codes start with E. The most common are E101 (no line), E204 (wrong login "
            "details) and E310 (firmware too old).",
            (
                "Ask for the error code and look it up in the code list.",
                "For E204: have the login details from the welcome letter entered again.",
                "For E310: connect the device by LAN cable and update the firmware.",
            ),
            (
                "The line is live from noon on the activation date.",
                "A factory reset removes all custom settings.",
            ),
        ),
        per_device=True,
    ),
    _Theme(
        "wifi-slow",
        "technical",
        "WLAN",
        ("connectivity", "wifi"),
        _t(
            "WLAN abends langsam",
            "Warum ist mein WLAN abends so langsam?",
            "Abends nutzen viele Nachbarn dieselben WLAN-Kanäle. Ein Kanalwechsel oder das "
            "5-GHz-Band schafft oft sofort Abhilfe.",
            (
                "Geschwindigkeit per LAN-Kabel messen lassen, um die Leitung auszuschließen.",
                "Automatische Kanalwahl aktivieren oder auf 5 GHz wechseln.",
                "Für große Wohnungen einen Mesh-Repeater empfehlen.",
            ),
            (
                "Wände und Fußbodenheizung dämpfen das Signal stark.",
                "Die gebuchte Bandbreite gilt für die Leitung, nicht für WLAN.",
            ),
        ),
        _t(
            "Wi-Fi slow in the evenings",
            "Why is my Wi-Fi so slow in the evening?",
            "In the evening many neighbours use the same Wi-Fi channels. Changing the channel or "
            "using the 5 GHz band often helps at once.",
            (
                "Have the speed measured over a LAN cable to rule out the line.",
                "Turn on automatic channel selection or switch to 5 GHz.",
                "For large homes, recommend a mesh repeater.",
            ),
            (
                "Walls and underfloor heating weaken the signal a lot.",
                "The booked bandwidth applies to the line, not to Wi-Fi.",
            ),
        ),
        per_device=True,
    ),
    _Theme(
        "smart-home-pairing",
        "technical",
        "Smart Home",
        ("setup", "smart-home"),
        _t(
            "Smart-Home-Gerät koppeln",
            "Mein Smart-Home-Gerät lässt sich nicht koppeln – was tun?",
            "Smart-Home-Geräte koppeln nur im 2,4-GHz-WLAN und im Kopplungsmodus. Der "
            "Kopplungsmodus endet nach drei Minuten.",
            (
                "Gerät in den Kopplungsmodus bringen (Taste fünf Sekunden halten, LED blinkt).",
                "Smartphone mit dem 2,4-GHz-Netz verbinden.",
                "In der App Gerät hinzufügen; bei Fehlern Gerät zurücksetzen.",
            ),
            ("Höchstens 30 Geräte pro Zentrale.", "Gastnetze unterstützen keine Kopplung."),
        ),
        _t(
            "Pair a smart home device",
            "My smart home device won't pair - what now?",
            "Smart home devices only pair on 2.4 GHz Wi-Fi and in pairing mode. Pairing mode "
            "ends after three minutes.",
            (
                "Put the device into pairing mode (hold the button five seconds, LED flashes).",
                "Connect the phone to the 2.4 GHz network.",
                "Add the device in the app; on errors, reset the device.",
            ),
            ("At most 30 devices per hub.", "Guest networks do not support pairing."),
        ),
    ),
    # -- returns ---------------------------------------------------------------------------
    _Theme(
        "return-label",
        "returns",
        "Rücksendung",
        ("return",),
        _t(
            "Rücksendeetikett erstellen",
            "Wo bekomme ich ein Rücksendeetikett?",
            "Das Rücksendeetikett erstellt der Kunde im Kundenkonto unter Bestellungen. Wir "
            "können es auch per E-Mail schicken.",
            (
                "Bestellung im Konto öffnen und Rücksendung anmelden.",
                "Etikett als PDF oder QR-Code für die Filiale wählen.",
                "Fehlt das Etikett, manuell im Auftrag erzeugen und per E-Mail senden.",
            ),
            (
                "Die Rücksendung ist innerhalb von 30 Tagen kostenlos.",
                "Ein QR-Code braucht keinen Drucker.",
            ),
        ),
        _t(
            "Create a return label",
            "Where do I get a return label?",
            "Customers create the return label in the customer account under Orders. We can "
            "also send it by email.",
            (
                "Open the order in the account and register the return.",
                "Choose a PDF label or a QR code for the shop.",
                "If the label is missing, create it on the order and send it by email.",
            ),
            ("Returns are free within 30 days.", "A QR code needs no printer."),
        ),
    ),
    _Theme(
        "exchange-size",
        "returns",
        "Rücksendung",
        ("exchange",),
        _t(
            "Umtausch in eine andere Größe",
            "Kann ich einen Artikel in eine andere Größe umtauschen?",
            "Ein Umtausch läuft als Rücksendung mit neuer Bestellung. Ist die Größe auf Lager, "
            "reservieren wir sie für sieben Tage.",
            (
                "Verfügbarkeit der gewünschten Größe prüfen.",
                "Rücksendung mit Grund Umtausch anmelden; neue Größe reservieren.",
                "Die neue Größe versenden wir, sobald die Rücksendung gescannt ist.",
            ),
            (
                "Beim Umtausch fallen keine Versandkosten an.",
                "Sonderangebote können nur gegen Erstattung zurückgegeben werden.",
            ),
        ),
        _t(
            "Exchange for a different size",
            "Can I exchange an item for a different size?",
            "An exchange runs as a return with a new order. If the size is in stock, we hold it "
            "for seven days.",
            (
                "Check that the wanted size is available.",
                "Register the return with the reason exchange; reserve the new size.",
                "We ship the new size as soon as the return is scanned.",
            ),
            ("Exchanges carry no shipping costs.", "Sale items can only be returned for a refund."),
        ),
    ),
    _Theme(
        "warranty",
        "returns",
        "Garantie",
        ("warranty",),
        _t(
            "Defekter Artikel: Rückgabe in der Garantie",
            "Mein Artikel ist defekt – gilt die Garantie?",
            "In den ersten zwei Jahren gilt die gesetzliche Gewährleistung, bei vielen Geräten "
            "zusätzlich die Herstellergarantie.",
            (
                "Kaufdatum und Fehlerbeschreibung aufnehmen.",
                "Innerhalb von zwei Jahren: Reparatur, Ersatz oder Erstattung anbieten.",
                "Danach: Kunden an die Herstellergarantie verweisen.",
            ),
            (
                "In den ersten zwölf Monaten wird vermutet, dass der Mangel schon beim "
                "Kauf bestand.",
                "Geräte bitte vor dem Versand zurücksetzen lassen.",
            ),
        ),
        _t(
            "Faulty item: return under warranty",
            "My item is faulty - does the warranty apply?",
            "For the first two years the legal guarantee applies, and for many devices the "
            "manufacturer's warranty too.",
            (
                "Note the purchase date and a description of the fault.",
                "Within two years: offer repair, replacement or refund.",
                "After that: refer the customer to the manufacturer's warranty.",
            ),
            (
                "In the first twelve months the fault is presumed to have existed at purchase.",
                "Devices should be reset before they are sent.",
            ),
        ),
    ),
    _Theme(
        "return-window",
        "returns",
        "Rücksendung",
        ("return",),
        _t(
            "Rückgabefrist verlängern",
            "Kann ich die Rückgabefrist verlängern?",
            "Die Rückgabefrist beträgt 30 Tage ab Lieferung. Bei Urlaub oder Krankheit "
            "verlängern wir sie einmalig um 14 Tage.",
            (
                "Lieferdatum prüfen.",
                "Verlängerung im Auftrag eintragen und Kunden bestätigen.",
                "Neue Frist im Rücksendeetikett aktualisieren.",
            ),
            (
                "Zur Weihnachtszeit gilt die Frist bis zum 15. Januar.",
                "Gebrauchte Hygieneartikel sind vom Umtausch ausgeschlossen.",
            ),
        ),
        _t(
            "Extend the return window",
            "Can I extend the return window?",
            "The return window is 30 days from delivery. For holidays or illness we extend it "
            "once by 14 days.",
            (
                "Check the delivery date.",
                "Enter the extension on the order and confirm it to the customer.",
                "Update the new deadline on the return label.",
            ),
            (
                "Over Christmas the window runs until 15 January.",
                "Used hygiene items cannot be returned.",
            ),
        ),
    ),
    _Theme(
        "wrong-item",
        "returns",
        "Rücksendung",
        ("wrong-item",),
        _t(
            "Falscher Artikel geliefert",
            "Ich habe einen falschen Artikel bekommen – was nun?",
            "Bei einer Falschlieferung schicken wir den richtigen Artikel sofort und holen den "
            "falschen kostenlos ab.",
            (
                "Artikelnummer auf dem Etikett mit der Bestellung vergleichen.",
                "Richtigen Artikel als Ersatzlieferung auslösen.",
                "Abholung des falschen Artikels beauftragen.",
            ),
            (
                "Der Kunde muss nicht auf die Rücksendung warten.",
                "Bei Wiederholung Lager informieren.",
            ),
        ),
        _t(
            "Wrong item delivered",
            "I received the wrong item - what now?",
            "For a wrong delivery we send the right item at once and collect the wrong one for "
            "free.",
            (
                "Compare the item number on the label with the order.",
                "Send the right item as a replacement.",
                "Book a collection of the wrong item.",
            ),
            (
                "The customer does not have to wait for the return.",
                "If it happens again, inform the warehouse.",
            ),
        ),
    ),
    # -- login -----------------------------------------------------------------------------
    _Theme(
        "password-reset",
        "login",
        "Kundenkonto",
        ("password-reset",),
        _t(
            "Passwort-Reset-Mail kommt nicht an",
            "Ich bekomme keine E-Mail zum Zurücksetzen des Passworts – warum?",
            "Die Reset-Mail landet oft im Spam oder geht an eine alte Adresse. Der Link ist 60 "
            "Minuten gültig.",
            (
                "Spam- und Werbeordner prüfen lassen.",
                "Hinterlegte E-Mail-Adresse im Konto vergleichen.",
                "Nach Identitätsprüfung einen neuen Reset-Link aus dem System senden.",
            ),
            (
                "Pro Stunde sind höchstens fünf Reset-Mails möglich.",
                "Firmen-Mailserver blockieren manchmal unsere Absenderadresse.",
            ),
        ),
        _t(
            "Password reset email not arriving",
            "I don't get the email to reset my password - why?",
            "The reset email often lands in spam or goes to an old address. The link is valid "
            "for 60 minutes.",
            (
                "Have the customer check the spam and promotions folders.",
                "Compare the email address on the account.",
                "After an identity check, send a new reset link from the system.",
            ),
            (
                "At most five reset emails per hour.",
                "Company mail servers sometimes block our sender address.",
            ),
        ),
    ),
    _Theme(
        "account-locked",
        "login",
        "Kundenkonto",
        ("account-locked",),
        _t(
            "Konto gesperrt nach zu vielen Anmeldeversuchen",
            "Mein Konto ist gesperrt – wie entsperre ich es?",
            "Nach fünf falschen Passworteingaben sperren wir das Konto für 30 Minuten. Danach "
            "ist die Anmeldung wieder möglich.",
            (
                "Zeitpunkt der Sperre im Anmeldeprotokoll prüfen.",
                "Nach Identitätsprüfung die Sperre sofort aufheben.",
                "Kunden ein neues Passwort über den Reset-Link setzen lassen.",
            ),
            (
                "Viele Fehlversuche aus dem Ausland an das Fraud-Team melden.",
                "Passwortmanager verhindern Tippfehler.",
            ),
        ),
        _t(
            "Account locked after too many attempts",
            "My account is locked - how do I unlock it?",
            "After five wrong passwords we lock the account for 30 minutes. After that, signing "
            "in works again.",
            (
                "Check the time of the lock in the sign-in log.",
                "After an identity check, lift the lock at once.",
                "Have the customer set a new password through the reset link.",
            ),
            (
                "Report many failed attempts from abroad to the fraud team.",
                "Password managers prevent typing mistakes.",
            ),
        ),
    ),
    _Theme(
        "two-factor",
        "login",
        "Sicherheit",
        ("2fa", "security"),
        _t(
            "Zwei-Faktor-Code funktioniert nicht",
            "Mein Zwei-Faktor-Code wird nicht akzeptiert – was tun?",
            "Codes aus der Authenticator-App hängen von der Uhrzeit ab. Geht die Uhr des "
            "Smartphones falsch, sind die Codes ungültig.",
            (
                "Automatische Uhrzeit auf dem Smartphone einschalten lassen.",
                "Neues Smartphone: Zwei-Faktor nach Identitätsprüfung zurücksetzen.",
                "Kunden die Wiederherstellungscodes sicher aufbewahren lassen.",
            ),
            (
                "SMS-Codes sind fünf Minuten gültig.",
                "Wir fragen niemals nach einem Zwei-Faktor-Code.",
            ),
        ),
        _t(
            "Two-factor code not working",
            "My two-factor code is not accepted - what now?",
            "Codes from the authenticator app depend on the time. If the phone's clock is wrong, "
            "the codes are invalid.",
            (
                "Have the customer turn on automatic time on the phone.",
                "New phone: reset two-factor after an identity check.",
                "Have the customer keep the recovery codes safe.",
            ),
            (
                "Text message codes are valid for five minutes.",
                "We never ask for a two-factor code.",
            ),
        ),
    ),
    _Theme(
        "email-change",
        "login",
        "Kundenkonto",
        ("account-change",),
        _t(
            "E-Mail-Adresse im Kundenkonto ändern",
            "Wie ändere ich meine E-Mail-Adresse?",
            "Die E-Mail-Adresse ist gleichzeitig der Benutzername. Eine Änderung wird an die "
            "alte und die neue Adresse bestätigt.",
            (
                "Im Kundenkonto unter Persönliche Daten die neue Adresse eintragen.",
                "Bestätigungslink in der neuen E-Mail öffnen lassen.",
                "Ist die alte Adresse nicht mehr erreichbar, Änderung nach Identitätsprüfung "
                "selbst vornehmen.",
            ),
            (
                "Bis zur Bestätigung gilt die alte Adresse.",
                "Eine Adresse kann nur zu einem Konto gehören.",
            ),
        ),
        _t(
            "Change the email address on the account",
            "How do I change my email address?",
            "The email address is also the user name. A change is confirmed to both the old and "
            "the new address.",
            (
                "Enter the new address in the customer account under Personal details.",
                "Have the customer open the confirmation link in the new email.",
                "If the old address no longer works, make the change after an identity check.",
            ),
            (
                "Until confirmed, the old address stays in use.",
                "An address can belong to one account only.",
            ),
        ),
    ),
    _Theme(
        "gdpr-delete",
        "login",
        "Datenschutz",
        ("gdpr",),
        _t(
            "Kundenkonto löschen (DSGVO)",
            "Wie kann ich mein Konto und meine Daten löschen lassen?",
            "Nach Art. 17 DSGVO löschen wir Konto und Daten auf Wunsch, sofern keine "
            "gesetzlichen Aufbewahrungspflichten entgegenstehen.",
            (
                "Identität prüfen und Löschantrag im Datenschutz-Portal anlegen.",
                "Offene Rechnungen oder Verträge müssen zuvor beendet sein.",
                "Bestätigung der Löschung innerhalb von 30 Tagen zusagen.",
            ),
            (
                "Rechnungen bewahren wir zehn Jahre auf (Abgabenordnung).",
                "Eine Datenauskunft nach Art. 15 ist vor der Löschung möglich.",
            ),
        ),
        _t(
            "Delete my account (GDPR)",
            "How can I have my account and data deleted?",
            "Under Art. 17 GDPR we delete the account and data on request, unless legal "
            "retention duties apply.",
            (
                "Verify the identity and file the deletion request in the privacy portal.",
                "Open invoices or contracts must be ended first.",
                "Promise confirmation of the deletion within 30 days.",
            ),
            (
                "We keep invoices for six years (tax law).",
                "A copy of the data under Art. 15 is possible before deletion.",
            ),
        ),
    ),
    _Theme(
        "unknown-login",
        "login",
        "Sicherheit",
        ("security", "fraud-suspected"),
        _t(
            "Fremder Login im Konto",
            "Jemand hat sich in mein Konto eingeloggt – was tun?",
            "Meldet ein Kunde eine unbekannte Anmeldung, sichern wir das Konto sofort: alle "
            "Sitzungen beenden, Passwort zurücksetzen, Zwei-Faktor einschalten.",
            (
                "Anmeldeprotokoll mit Ort und Gerät prüfen.",
                "Alle Sitzungen beenden und Passwort-Reset erzwingen.",
                "Bestellungen und geänderte Daten seit der Anmeldung prüfen; Fraud-Team "
                "informieren.",
            ),
            (
                "Kunden raten, das Passwort nirgends sonst zu verwenden.",
                "Geänderte Lieferadressen sind ein typisches Zeichen für Betrug.",
            ),
        ),
        _t(
            "Unknown login to the account",
            "Someone signed in to my account - what now?",
            "When a customer reports an unknown sign-in, we secure the account at once: end all "
            "sessions, reset the password, turn on two-factor.",
            (
                "Check the sign-in log for place and device.",
                "End all sessions and force a password reset.",
                "Check orders and changed details since the sign-in; tell the fraud team.",
            ),
            (
                "Advise the customer not to reuse the password anywhere.",
                "Changed delivery addresses are a typical sign of fraud.",
            ),
        ),
    ),
    # -- complaints ------------------------------------------------------------------------
    _Theme(
        "complaint-handling",
        "complaints",
        "Beschwerde",
        ("complaint",),
        _t(
            "Beschwerden annehmen und bearbeiten",
            "Wie beschwere ich mich über den Service?",
            "Jede Beschwerde bekommt innerhalb von 24 Stunden eine persönliche Antwort. Wir "
            "hören zu, entschuldigen uns, wo es angebracht ist, und nennen die nächsten Schritte.",
            (
                "Anliegen vollständig aufnehmen und zusammenfassen.",
                "Fall mit dem Tag complaint versehen und an das Beschwerdeteam geben.",
                "Rückmeldung mit Datum zusagen und einhalten.",
            ),
            (
                "Beschwerden über Mitarbeitende gehen an den Team Lead.",
                "Kulanz bis 25 € kann jede Mitarbeiterin selbst gewähren.",
            ),
        ),
        _t(
            "Taking and handling complaints",
            "How do I complain about the service?",
            "Every complaint gets a personal answer within 24 hours. We listen, apologise where "
            "it is due and name the next steps.",
            (
                "Take down the whole issue and sum it up.",
                "Tag the case complaint and hand it to the complaints team.",
                "Promise an answer by a date, and keep it.",
            ),
            (
                "Complaints about staff go to the team lead.",
                "Every agent may grant goodwill up to £25.",
            ),
        ),
    ),
    _Theme(
        "escalation",
        "complaints",
        "Beschwerde",
        ("complaint", "escalated"),
        _t(
            "Eskalation: wiederholte Beschwerde",
            "Ich beschwere mich schon zum dritten Mal – wer hilft mir?",
            "Bei der dritten Beschwerde zur gleichen Sache übernimmt ein Team Lead den Fall "
            "persönlich und ruft den Kunden an.",
            (
                "Alle früheren Fälle des Kunden verknüpfen.",
                "Fall auf Priorität hoch setzen und dem Team Lead zuweisen.",
                "Rückruf innerhalb eines Werktags vereinbaren.",
            ),
            (
                "Eskalierte Fälle werden im Wochenbericht besprochen.",
                "Die Lösung schriftlich bestätigen.",
            ),
        ),
        _t(
            "Escalation: repeated complaint",
            "This is my third complaint - who can help?",
            "On the third complaint about the same issue a team lead takes the case personally "
            "and calls the customer.",
            (
                "Link all earlier cases of the customer.",
                "Set the case to high priority and assign it to the team lead.",
                "Arrange a call back within one working day.",
            ),
            (
                "Escalated cases are reviewed in the weekly report.",
                "Confirm the outcome in writing.",
            ),
        ),
    ),
    _Theme(
        "callback",
        "complaints",
        "Rückruf",
        ("callback",),
        _t(
            "Rückruf vereinbaren",
            "Wann ruft mich jemand zurück?",
            "Rückrufe vereinbaren wir mit Zeitfenster. Verpasste Rückrufe holen wir am selben "
            "Tag nach.",
            (
                "Telefonnummer und Zeitfenster bestätigen.",
                "Rückruf als Aufgabe mit Fälligkeit anlegen.",
                "Nach dem Anruf Ergebnis als Notiz im Fall festhalten.",
            ),
            (
                "Zeitfenster sind Montag bis Freitag 8 bis 20 Uhr.",
                "Nach zwei erfolglosen Versuchen schreiben wir eine E-Mail.",
            ),
        ),
        _t(
            "Arrange a call back",
            "When will someone call me back?",
            "We arrange call backs with a time window. Missed call backs are made up the same day.",
            (
                "Confirm the phone number and time window.",
                "Create the call back as a task with a due time.",
                "After the call, note the outcome on the case.",
            ),
            (
                "Time windows are Monday to Friday, 8 am to 8 pm.",
                "After two failed tries we send an email.",
            ),
        ),
    ),
    _Theme(
        "marketing-opt-out",
        "complaints",
        "Datenschutz",
        ("marketing-opt-out",),
        _t(
            "Werbung abbestellen: Widerspruch gegen Werbeanrufe",
            "Ich bekomme trotz Widerspruch Werbeanrufe – wie stoppe ich das?",
            "Ein Widerspruch gegen Werbung gilt für alle Kanäle und wird innerhalb von 48 "
            "Stunden in allen Systemen wirksam.",
            (
                "Werbesperre im Kundenkonto für Telefon, E-Mail und Post setzen.",
                "Rufnummer des Anrufers erfragen: Anrufe von Dritten an den Datenschutz melden.",
                "Bestätigung des Widerspruchs per E-Mail senden.",
            ),
            (
                "Service-Nachrichten zu Verträgen sind keine Werbung.",
                "Verstöße dokumentieren wir für die Datenschutzbehörde.",
            ),
        ),
        _t(
            "Opt out of marketing calls",
            "I still get marketing calls after opting out - how do I stop them?",
            "An objection to marketing covers all channels and takes effect in all systems "
            "within 48 hours.",
            (
                "Set the marketing block in the customer account for phone, email and post.",
                "Ask for the caller's number: report calls from third parties to privacy.",
                "Send a confirmation of the opt-out by email.",
            ),
            (
                "Service messages about contracts are not marketing.",
                "We document breaches for the data protection authority.",
            ),
        ),
    ),
    _Theme(
        "goodwill",
        "complaints",
        "Kulanz",
        ("complaint", "goodwill"),
        _t(
            "Kulanz und Gutschriften",
            "Bekomme ich eine Entschädigung?",
            "Kulanz ist eine freiwillige Geste. Sie richtet sich nach Aufwand und Ärger des "
            "Kunden, nicht nach Forderungen.",
            (
                "Bisherige Gutschriften des Kunden im Konto prüfen.",
                "Bis 25 € selbst gewähren, darüber Team Lead fragen.",
                "Gutschrift mit Begründung im Fall notieren.",
            ),
            (
                "Kulanz nicht zweimal für denselben Vorfall gewähren.",
                "Gutschriften erscheinen auf der nächsten Rechnung.",
            ),
        ),
        _t(
            "Goodwill and credits",
            "Will I get compensation?",
            "Goodwill is a voluntary gesture. It depends on the customer's trouble, not on what "
            "they demand.",
            (
                "Check earlier credits on the customer account.",
                "Grant up to £25 yourself; above that, ask the team lead.",
                "Note the credit and its reason on the case.",
            ),
            (
                "Do not grant goodwill twice for the same incident.",
                "Credits show on the next invoice.",
            ),
        ),
    ),
    # -- business --------------------------------------------------------------------------
    _Theme(
        "consolidated-invoice",
        "business",
        "Firmenkonto",
        ("b2b", "invoice"),
        _t(
            "Sammelrechnung für Firmenkunden",
            "Wo finde ich unsere Sammelrechnung?",
            "Firmenkunden erhalten eine monatliche Sammelrechnung über alle Verträge. Sie wird "
            "am dritten Werktag im Firmenportal bereitgestellt.",
            (
                "Im Firmenportal unter Rechnungen den Monat wählen.",
                "Fehlt die Rechnung, Rechnungslauf im Abrechnungssystem prüfen.",
                "Rechnung neu erzeugen und an die Rechnungsadresse senden.",
            ),
            (
                "Einzelnachweise gibt es als CSV-Export.",
                "Rechnungsempfänger verwaltet der Hauptansprechpartner.",
            ),
        ),
        _t(
            "Consolidated invoice for business customers",
            "Where is our consolidated invoice?",
            "Business customers get one monthly invoice for all contracts. It is in the business "
            "portal on the third working day.",
            (
                "Choose the month under Invoices in the business portal.",
                "If it is missing, check the billing run in the billing system.",
                "Create the invoice again and send it to the billing address.",
            ),
            (
                "Itemised records are available as a CSV export.",
                "The main contact manages invoice recipients.",
            ),
        ),
    ),
    _Theme(
        "business-users",
        "business",
        "Firmenkonto",
        ("b2b",),
        _t(
            "Weitere Nutzer im Firmenkonto anlegen",
            "Wie fügen wir weitere Nutzer zu unserem Firmenkonto hinzu?",
            "Der Hauptansprechpartner lädt Nutzer im Firmenportal ein und vergibt Rollen: "
            "Bestellen, Rechnungen, Verwaltung.",
            (
                "Im Firmenportal Nutzer einladen (E-Mail-Adresse und Rolle).",
                "Einladung ist sieben Tage gültig.",
                "Rollen später unter Nutzerverwaltung ändern.",
            ),
            (
                "Bis zu 50 Nutzer pro Firmenkonto.",
                "Nur der Hauptansprechpartner kann Nutzer löschen.",
            ),
        ),
        _t(
            "Add users to a business account",
            "How do we add users to our business account?",
            "The main contact invites users in the business portal and gives them roles: "
            "ordering, invoices, administration.",
            (
                "Invite users in the business portal (email address and role).",
                "The invitation is valid for seven days.",
                "Change roles later under User management.",
            ),
            ("Up to 50 users per business account.", "Only the main contact can remove users."),
        ),
    ),
    _Theme(
        "framework-quote",
        "business",
        "Rahmenvertrag",
        ("b2b", "quote"),
        _t(
            "Rahmenvertrag: Angebot für viele Geräte",
            "Wie bekommen wir ein Angebot für eine größere Stückzahl?",
            "Ab 25 Geräten erstellt der Vertrieb ein Angebot mit Staffelpreisen und festen "
            "Lieferterminen.",
            (
                "Stückzahl, Gerätetyp und Lieferort aufnehmen.",
                "Aufgabe an das Vertriebsteam mit Frist zwei Werktage anlegen.",
                "Kunden den Ansprechpartner im Vertrieb nennen.",
            ),
            ("Angebote sind 30 Tage gültig.", "Rahmenverträge laufen mindestens zwölf Monate."),
        ),
        _t(
            "Framework agreement: quote for many devices",
            "How do we get a quote for a larger quantity?",
            "From 25 devices, sales prepares a quote with volume prices and fixed delivery dates.",
            (
                "Note the quantity, device type and delivery site.",
                "Create a task for the sales team, due in two working days.",
                "Give the customer the name of their sales contact.",
            ),
            (
                "Quotes are valid for 30 days.",
                "Framework agreements run for at least twelve months.",
            ),
        ),
    ),
    _Theme(
        "vat-number",
        "business",
        "Firmenkonto",
        ("b2b", "invoice", "vat"),
        _t(
            "USt-IdNr. auf Rechnungen ergänzen",
            "Wie kommt unsere Umsatzsteuer-Identifikationsnummer auf die Rechnung?",
            "Die USt-IdNr. wird im Firmenkonto hinterlegt und nach Prüfung beim Bundeszentralamt "
            "für Steuern auf alle künftigen Rechnungen gedruckt.",
            (
                "USt-IdNr. im Firmenkonto unter Stammdaten eintragen.",
                "Prüfung läuft automatisch; bei Fehler Schreibweise prüfen.",
                "Bereits gestellte Rechnungen auf Wunsch korrigiert neu ausstellen.",
            ),
            (
                "Für innergemeinschaftliche Lieferungen ist die USt-IdNr. Pflicht.",
                "Firmenname und Adresse müssen zur USt-IdNr. passen.",
            ),
        ),
        _t(
            "Add the VAT number to invoices",
            "How does our VAT number get onto the invoice?",
            "The VAT number is stored on the business account and, once checked, printed on all "
            "future invoices.",
            (
                "Enter the VAT number on the business account under Company details.",
                "The check runs automatically; on an error, check the spelling.",
                "On request, issue corrected copies of earlier invoices.",
            ),
            (
                "For cross-border EU deliveries the VAT number is required.",
                "Company name and address must match the VAT number.",
            ),
        ),
    ),
    _Theme(
        "contact-person",
        "business",
        "Firmenkonto",
        ("b2b",),
        _t(
            "Ansprechpartner im Firmenkonto ändern",
            "Wie ändern wir den Hauptansprechpartner?",
            "Den Hauptansprechpartner ändert nur eine zeichnungsberechtigte Person, schriftlich "
            "mit Firmenstempel oder im Firmenportal.",
            (
                "Vollmacht bzw. Handelsregisterauszug prüfen.",
                "Neuen Ansprechpartner im Firmenkonto eintragen.",
                "Alten Ansprechpartner über die Änderung informieren.",
            ),
            ("Die Änderung gilt ab dem nächsten Werktag.", "Nutzerkonten bleiben bestehen."),
        ),
        _t(
            "Change the contact person on a business account",
            "How do we change the main contact?",
            "Only an authorised signatory changes the main contact, in writing or in the "
            "business portal.",
            (
                "Check the authorisation or the company register extract.",
                "Enter the new contact on the business account.",
                "Tell the old contact about the change.",
            ),
            ("The change applies from the next working day.", "User accounts stay as they are."),
        ),
    ),
    _Theme(
        "bulk-order",
        "business",
        "Großbestellung",
        ("b2b", "bulk-order"),
        _t(
            "Großbestellung: Liefertermin und Teillieferungen",
            "Wann wird unsere Großbestellung geliefert?",
            "Großbestellungen planen wir mit dem Lager. Der Liefertermin steht in der "
            "Auftragsbestätigung; Teillieferungen sind möglich.",
            (
                "Auftragsbestätigung und Lagerbestand prüfen.",
                "Liefertermin mit der Logistik abstimmen (Avis, Rampe, Uhrzeit).",
                "Teillieferung anbieten, wenn ein Artikel fehlt.",
            ),
            (
                "Lieferungen auf Palette brauchen eine Anlieferzeit.",
                "Rechnung erst nach vollständiger Lieferung.",
            ),
        ),
        _t(
            "Bulk order: delivery date and partial shipments",
            "When will our bulk order be delivered?",
            "We plan bulk orders with the warehouse. The delivery date is in the order "
            "confirmation; partial shipments are possible.",
            (
                "Check the order confirmation and stock.",
                "Agree the delivery date with logistics (notice, ramp, time).",
                "Offer a partial shipment when an item is missing.",
            ),
            ("Pallet deliveries need a delivery slot.", "Invoice only after full delivery."),
        ),
    ),
    # -- field service ---------------------------------------------------------------------
    _Theme(
        "engineer-reschedule",
        "field",
        "Techniker",
        ("engineer-visit", "appointment"),
        _t(
            "Technikertermin verschieben",
            "Kann ich meinen Technikertermin verschieben?",
            "Technikertermine lassen sich bis 24 Stunden vorher kostenlos verschieben. Danach "
            "berechnen wir eine Ausfallpauschale.",
            (
                "Termin im Einsatzplan suchen.",
                "Neues Zeitfenster mit dem Kunden wählen (vormittags oder nachmittags).",
                "Bestätigung per SMS und E-Mail senden.",
            ),
            ("Die Ausfallpauschale beträgt 49 €.", "Der Techniker ruft 30 Minuten vor Ankunft an."),
        ),
        _t(
            "Reschedule an engineer visit",
            "Can I move my engineer appointment?",
            "Engineer visits can be moved free of charge up to 24 hours before. After that a "
            "missed-visit fee applies.",
            (
                "Find the appointment in the dispatch plan.",
                "Choose a new slot with the customer (morning or afternoon).",
                "Send a confirmation by text and email.",
            ),
            ("The missed-visit fee is £40.", "The engineer calls 30 minutes before arriving."),
        ),
    ),
    _Theme(
        "engineer-no-show",
        "field",
        "Techniker",
        ("engineer-visit", "no-show"),
        _t(
            "Techniker nicht erschienen",
            "Der Techniker ist nicht gekommen – was nun?",
            "Ist der Techniker nicht erschienen, entschuldigen wir uns, vergeben den nächsten "
            "freien Termin mit Vorrang und schreiben eine Entschädigung gut.",
            (
                "Einsatzprotokoll prüfen: Gab es eine Notiz zum Grund?",
                "Vorrangtermin im Einsatzplan buchen.",
                "Entschädigung von 20 € gutschreiben.",
            ),
            (
                "Nicht erschienene Termine an den Team Lead Field Service melden.",
                "Kunden erhalten die Handynummer des nächsten Technikers.",
            ),
        ),
        _t(
            "Engineer did not turn up",
            "The engineer didn't come - what now?",
            "If the engineer did not turn up, we apologise, book the next free slot with "
            "priority and credit compensation.",
            (
                "Check the job log: is there a note about why?",
                "Book a priority slot in the dispatch plan.",
                "Credit £20 compensation.",
            ),
            (
                "Report no-shows to the field service lead.",
                "Customers get the mobile number of the next engineer.",
            ),
        ),
    ),
    _Theme(
        "meter-reading",
        "field",
        "Zähler",
        ("appointment", "meter"),
        _t(
            "Termin zur Zählerablesung",
            "Wann wird mein Zähler abgelesen?",
            "Die Ablesung kündigen wir zwei Wochen vorher an. Wer nicht da ist, kann den "
            "Zählerstand online oder per Foto melden.",
            (
                "Ablesezeitraum im Kundenkonto prüfen.",
                "Alternativ Zählerstand online melden lassen (Foto mit Zählernummer).",
                "Selbstablesung im System erfassen.",
            ),
            (
                "Ohne Ablesung schätzen wir den Verbrauch.",
                "Zählernummer steht auf dem Zähler und auf der Rechnung.",
            ),
        ),
        _t(
            "Meter reading appointment",
            "When will my meter be read?",
            "We announce the reading two weeks in advance. Customers who are out can send the "
            "reading online or as a photo.",
            (
                "Check the reading period in the customer account.",
                "Or have the reading sent online (photo with meter number).",
                "Record the self-reading in the system.",
            ),
            (
                "Without a reading we estimate the usage.",
                "The meter number is on the meter and on the bill.",
            ),
        ),
    ),
    _Theme(
        "installation",
        "field",
        "Anschluss",
        ("installation",),
        _t(
            "Installation des Anschlusses",
            "Wie läuft die Installation meines Anschlusses ab?",
            "Bei einer Neuinstallation verlegt der Techniker die Leitung bis zur Dose und prüft "
            "das Signal. Der Termin dauert etwa zwei Stunden.",
            (
                "Vorab klären: Zugang zum Keller und Hausanschlussraum.",
                "Techniker installiert Dose und misst die Leitung.",
                "Gerät anschließen und Zugangsdaten gemeinsam einrichten.",
            ),
            (
                "Ein Eigentümer muss der Installation zustimmen.",
                "Die Installation ist im Tarif enthalten.",
            ),
        ),
        _t(
            "Installation of the line",
            "How does the installation of my line work?",
            "For a new installation the engineer lays the line to the socket and checks the "
            "signal. The visit takes about two hours.",
            (
                "Agree in advance: access to the basement and the building's connection room.",
                "The engineer installs the socket and tests the line.",
                "Connect the device and set up the login details together.",
            ),
            (
                "The owner of the building must agree to the installation.",
                "Installation is included in the plan.",
            ),
        ),
    ),
    _Theme(
        "device-after-visit",
        "field",
        "Techniker",
        ("engineer-visit",),
        _t(
            "Gerät nach Technikerbesuch defekt",
            "Seit dem Technikerbesuch funktioniert mein Gerät nicht mehr – was tun?",
            "Geht ein Gerät nach einem Einsatz kaputt, prüfen wir das Einsatzprotokoll und "
            "tauschen das Gerät kostenlos.",
            (
                "Einsatzprotokoll und Fotos des Technikers ansehen.",
                "Fernprüfung des Geräts durchführen.",
                "Austauschgerät versenden oder neuen Termin buchen.",
            ),
            (
                "Schäden durch den Einsatz übernimmt unsere Haftpflicht.",
                "Austauschgeräte kommen in zwei Werktagen.",
            ),
        ),
        _t(
            "Device faulty after the engineer's visit",
            "My device stopped working after the engineer's visit - what now?",
            "If a device breaks after a visit, we check the job log and swap the device free of "
            "charge.",
            (
                "Look at the job log and the engineer's photos.",
                "Run a remote check of the device.",
                "Send a replacement device or book a new visit.",
            ),
            (
                "Damage caused by the visit is covered by our liability insurance.",
                "Replacement devices arrive in two working days.",
            ),
        ),
    ),
    _Theme(
        "maintenance",
        "field",
        "Wartung",
        ("appointment", "maintenance"),
        _t(
            "Wartungstermin vereinbaren",
            "Wie vereinbare ich einen Wartungstermin?",
            "Wartungstermine buchen Kunden online oder bei uns. Die jährliche Wartung ist im "
            "Servicevertrag enthalten.",
            (
                "Servicevertrag und letzte Wartung im Konto prüfen.",
                "Freies Zeitfenster im Einsatzplan buchen.",
                "Erinnerung einen Tag vorher per SMS einrichten.",
            ),
            (
                "Ohne Servicevertrag kostet die Wartung 89 €.",
                "Wartungsberichte stehen danach im Kundenkonto.",
            ),
        ),
        _t(
            "Book a maintenance appointment",
            "How do I book a maintenance visit?",
            "Customers book maintenance visits online or with us. The yearly service is "
            "included in the service contract.",
            (
                "Check the service contract and the last service on the account.",
                "Book a free slot in the dispatch plan.",
                "Set up a text reminder one day before.",
            ),
            (
                "Without a service contract a visit costs £75.",
                "Service reports are in the customer account afterwards.",
            ),
        ),
    ),
)

_HEAD = {
    "de": {
        "steps": "So gehen Sie vor",
        "notes": "Gut zu wissen",
        "check": "Prüfen",
        "reply": "Antwortbaustein",
        "faq": "Kurz gesagt",
        "checklist": "Checkliste für das Team: {title}",
        "device": "{device}: {title}",
        "device_intro": "Diese Anleitung gilt für das Gerät {device}.",
        "reply_text": "vielen Dank für Ihre Nachricht. {intro} Ich habe das für Sie geprüft "
        "und melde mich mit dem Ergebnis.",
        "more": "Weitere Hilfe finden Sie in unserem Hilfe-Center.",
    },
    "en": {
        "steps": "What to do",
        "notes": "Good to know",
        "check": "Check",
        "reply": "Reply template",
        "faq": "In short",
        "checklist": "Agent checklist: {title}",
        "device": "{device}: {title}",
        "device_intro": "This guide is for the {device}.",
        "reply_text": "thank you for your message. {intro} I have looked into this for you "
        "and will come back with the result.",
        "more": "You will find more help in our help centre.",
    },
}


def _guide(text: _Text, lang: str, device: str = "") -> str:
    head = _HEAD[lang]
    intro = (
        text.intro if not device else f"{head['device_intro'].format(device=device)} {text.intro}"
    )
    steps = "\n".join(f"{n}. {step}" for n, step in enumerate(text.steps, 1))
    notes = "\n".join(f"- {note}" for note in text.notes)
    return f"{intro}\n\n## {head['steps']}\n\n{steps}\n\n## {head['notes']}\n\n{notes}\n"


def _faq(text: _Text, lang: str) -> str:
    head = _HEAD[lang]
    steps = "\n".join(f"- {step}" for step in text.steps)
    return f"**{head['faq']}:** {text.intro}\n\n{steps}\n\n> {text.notes[0]}\n\n{head['more']}\n"


def _checklist(text: _Text, lang: str) -> str:
    head = _HEAD[lang]
    checks = "\n".join(f"- [ ] {step}" for step in text.steps)
    notes = "\n".join(f"- {note}" for note in text.notes)
    reply = head["reply_text"].format(intro=text.intro)
    return (
        f"## {head['check']}\n\n{checks}\n\n## {head['notes']}\n\n{notes}\n\n"
        f"## {head['reply']}\n\n{reply}\n"
    )


def _id(*parts: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, "/".join(parts)))


def article_id(theme: str, lang: str, kind: str, device: str = "") -> str:
    """The fixed id of a seeded article (the same in every seed)."""
    return _id(theme, lang, kind, device)


def articles(now: datetime, seed: int = 42) -> list[Article]:
    """Every seeded article as a model (see :func:`article_rows`)."""
    return [Article(**row) for row in article_rows(now, seed)]


def article_rows(now: datetime, seed: int = 42) -> list[dict[str, Any]]:
    """Every seeded article as column values: published, authored by nobody (the knowledge
    team), updated within the last year. Dicts, not models: ``seed_database`` inserts them
    as they are, and building 400 models would cost a fifth of a small seed."""
    rng = random.Random(f"knowledge-{seed}")
    out: list[dict[str, Any]] = []

    def add(theme: _Theme, lang: str, kind: str, title: str, body: str, device: str = "") -> None:
        updated = now - timedelta(days=rng.randint(1, 360), minutes=rng.randint(0, 1439))
        tags = [*theme.tags, kind] if kind != "guide" else list(theme.tags)
        ident = article_id(theme.key, lang, kind, device)
        out.append(
            {
                "id": ident,
                "slug": slugify(title, ident[:4]),
                "title": title,
                "body": body,
                "tags": tags,
                "product": device or theme.product,
                "language": lang,
                "state": PUBLISHED,
                "author_agent_id": None,
                "source_case_id": None,
                "created_at": updated - timedelta(days=rng.randint(0, 200)),
                "updated_at": updated,
                "version": 1,
            }
        )

    for theme in _THEMES:
        for lang in ("de", "en"):
            text: _Text = getattr(theme, lang)
            head = _HEAD[lang]
            add(theme, lang, "guide", text.title, _guide(text, lang))
            add(theme, lang, "faq", text.question, _faq(text, lang))
            add(theme, lang, "checklist", head["checklist"].format(title=text.title),
                _checklist(text, lang))  # fmt: skip
            if theme.per_device:
                for device in DEVICES:
                    title = head["device"].format(device=device, title=text.title)
                    add(theme, lang, "device", title, _guide(text, lang, device), device)
    return out
