"""The customer panel on the case screen: who is asking, and on which account and tier.
All of it is untrusted text, drawn as cleaned ``Text``."""

from __future__ import annotations

from typing import Protocol

from rich.text import Text
from textual.widgets import Static

from csm_tui.domain.text import clean_line


class CustomerLike(Protocol):
    """What the panel needs of a customer (the desk's ``CustomerInfo`` fits); named as a
    shape so the widget never imports the store layer."""

    @property
    def name(self) -> str: ...
    @property
    def customer_number(self) -> str: ...
    @property
    def language(self) -> str: ...
    @property
    def email(self) -> str: ...
    @property
    def phone(self) -> str: ...
    @property
    def account(self) -> str: ...
    @property
    def tier(self) -> str: ...


class CustomerPanel(Static):
    """Name, customer number, language, email, phone, account and tier."""

    DEFAULT_CSS = """
    CustomerPanel {
        width: 40;
        height: 1fr;
        padding: 0 1;
        border: round $secondary 60%;
        border-title-color: $secondary;
        background: $surface;
    }
    """

    def __init__(self, customer: CustomerLike | None, *, id: str | None = None) -> None:
        super().__init__(self._content(customer), id=id)
        self.customer = customer
        self.border_title = "Customer"

    def show(self, customer: CustomerLike | None) -> None:
        """Show newer data of the customer (after a sync)."""
        self.customer = customer
        self.update(self._content(customer))

    @staticmethod
    def _content(customer: CustomerLike | None) -> Text:
        if customer is None:
            return Text("No customer on this case.", style="dim italic")
        text = Text(end="")
        text.append(clean_line(customer.name) or "(no name)", style="bold")
        text.append("\n\n")
        tier = clean_line(customer.tier)
        account = clean_line(customer.account) or "—"
        rows = [
            ("number", clean_line(customer.customer_number)),
            ("language", clean_line(customer.language)),
            ("email", clean_line(customer.email)),
            ("phone", clean_line(customer.phone)),
            ("account", account),
            ("tier", tier),
        ]
        for label, value in rows:
            text.append(f"{label:<9}", style="dim")
            text.append(value or "—")
            text.append("\n")
        text.rstrip()
        return text
