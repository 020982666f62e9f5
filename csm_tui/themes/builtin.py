"""The desk's own themes: ``csm-dark``, ``csm-light`` and ``csm-high-contrast``.

Each theme carries the domain variables the stylesheet uses (``$priority-urgent``,
``$note-internal``, ...). Colours follow the Okabe-Ito palette so that the hues stay apart for
the common forms of colour blindness; the widgets also mark every state with text, so colour is
never the only signal.
"""

from __future__ import annotations

from textual.theme import Theme

#: The Okabe-Ito colours, by name, so the themes read as choices rather than hex soup.
ORANGE = "#E69F00"
SKY_BLUE = "#56B4E9"
BLUISH_GREEN = "#009E73"
YELLOW = "#F0E442"
BLUE = "#0072B2"
VERMILLION = "#D55E00"
REDDISH_PURPLE = "#CC79A7"

#: Every variable the stylesheet may reference. A theme that is not ours (e.g. a built-in
#: Textual theme picked from the palette) falls back to these through
#: ``CsmApp.get_theme_variable_defaults``, so switching theme can never break CSS parsing.
DOMAIN_VARIABLE_DEFAULTS: dict[str, str] = {
    "sla-breach": VERMILLION,
    "sla-at-risk": ORANGE,
    "sla-ok": BLUISH_GREEN,
    "priority-urgent": VERMILLION,
    "priority-high": ORANGE,
    "priority-normal": SKY_BLUE,
    "priority-low": "#8C9099",
    "status-new": YELLOW,
    "status-open": ORANGE,
    "status-pending": SKY_BLUE,
    "status-on-hold": REDDISH_PURPLE,
    "status-solved": BLUISH_GREEN,
    "status-closed": "#8C9099",
    "note-internal": ORANGE,
    "reply-public": SKY_BLUE,
    "message-customer": BLUISH_GREEN,
}

CSM_DARK = Theme(
    name="csm-dark",
    primary=SKY_BLUE,
    secondary=BLUE,
    accent=ORANGE,
    warning=ORANGE,
    error=VERMILLION,
    success=BLUISH_GREEN,
    foreground="#E4E6EB",
    background="#15171C",
    surface="#1C1F26",
    panel="#252A33",
    dark=True,
    variables={
        **DOMAIN_VARIABLE_DEFAULTS,
        "block-cursor-background": "#2F4A63",
        "block-cursor-foreground": "#FFFFFF",
        "footer-key-foreground": SKY_BLUE,
    },
)

CSM_LIGHT = Theme(
    name="csm-light",
    primary=BLUE,
    secondary=SKY_BLUE,
    accent=VERMILLION,
    warning="#B07A00",
    error="#B34A00",
    success="#007A5A",
    foreground="#1F2328",
    background="#F7F7F5",
    surface="#FFFFFF",
    panel="#E9ECEF",
    dark=False,
    variables={
        # On a light ground the bright Okabe-Ito hues are too pale to read as text, so the
        # same hues are used a few steps darker.
        "sla-breach": "#B34A00",
        "sla-at-risk": "#9A6B00",
        "sla-ok": "#007A5A",
        "priority-urgent": "#B34A00",
        "priority-high": "#9A6B00",
        "priority-normal": BLUE,
        "priority-low": "#6A6F78",
        "status-new": "#7A6F00",
        "status-open": "#9A6B00",
        "status-pending": BLUE,
        "status-on-hold": "#A3487D",
        "status-solved": "#007A5A",
        "status-closed": "#6A6F78",
        "note-internal": "#9A6B00",
        "reply-public": BLUE,
        "message-customer": "#007A5A",
        "block-cursor-background": "#CFE3F3",
        "block-cursor-foreground": "#000000",
        "footer-key-foreground": BLUE,
    },
)

CSM_HIGH_CONTRAST = Theme(
    name="csm-high-contrast",
    primary=YELLOW,
    secondary=SKY_BLUE,
    accent=YELLOW,
    warning=YELLOW,
    error="#FF7A33",
    success="#33D6A6",
    foreground="#FFFFFF",
    background="#000000",
    surface="#000000",
    panel="#1A1A1A",
    dark=True,
    luminosity_spread=0.25,
    text_alpha=1.0,
    variables={
        **DOMAIN_VARIABLE_DEFAULTS,
        "priority-urgent": "#FF7A33",
        "priority-low": "#C8C8C8",
        "status-closed": "#C8C8C8",
        "block-cursor-background": YELLOW,
        "block-cursor-foreground": "#000000",
        "footer-key-foreground": YELLOW,
    },
)

#: Registered by the App, in this order; the first is the default.
BUILTIN_THEMES: tuple[Theme, ...] = (CSM_DARK, CSM_LIGHT, CSM_HIGH_CONTRAST)
DEFAULT_THEME = CSM_DARK.name
