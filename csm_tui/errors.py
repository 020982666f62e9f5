"""The one exception type whose message is shown to the user as-is.

Every expected failure (unreachable server, refused token, bad config, broken local store) is
raised as :class:`CsmError` with one sentence that says what happened and what to do. The CLI
prints that sentence; anything else is a bug and its traceback goes to the log file.
"""

from __future__ import annotations


class CsmError(Exception):
    """A failure the user can act on; ``str(err)`` is the sentence to show."""
