"""Untrusted text: strip terminal control characters before anything is shown.

Customer and server text is data, never markup (ARCHITECTURE.md). This module removes what a
terminal would act on: ESC sequences (CSI, OSC, DCS, ...), C0 controls except newline and tab,
DEL and C1 controls. Rendering it as ``rich.text.Text`` is the widgets' half of the rule.
"""

from __future__ import annotations

import re

# A full escape sequence first (so its parameters vanish with it), then any lone control.
_ESCAPE_SEQUENCE = re.compile(
    r"""
    \x1b\[[0-?]*[ -/]*[@-~]                 # CSI ... final byte
    | \x1b[\]PX^_][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?   # OSC/DCS/SOS/PM/APC ... terminator
    | \x1b[ -/]*[0-~]                       # two/three-byte escapes (ESC c, ESC ( B, ...)
    | [\x9b][0-?]*[ -/]*[@-~]               # 8-bit CSI
    | [\x9d\x90\x98\x9e\x9f][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?  # 8-bit OSC/DCS/...
    """,
    re.VERBOSE,
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean(text: str | None) -> str:
    """Return ``text`` without terminal escape sequences and control characters.

    Newline and tab stay; carriage returns are dropped (``\\r\\n`` becomes ``\\n``).
    """
    if not text:
        return ""
    return _CONTROL.sub("", _ESCAPE_SEQUENCE.sub("", text))


def clean_line(text: str | None) -> str:
    """Like :func:`clean`, for one-line cells: newlines and tabs become spaces."""
    return " ".join(clean(text).split())
