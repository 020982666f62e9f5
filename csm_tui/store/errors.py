"""Turning SQLite failures on the store file into one sentence with the way out."""

from __future__ import annotations

from pathlib import Path

from csm_tui.errors import CsmError


def store_error(path: Path, err: BaseException) -> CsmError:
    text = str(getattr(err, "orig", err)).lower()
    if "locked" in text or "busy" in text:
        return CsmError(
            f"The local store {path} is locked by another csm process; close it and try again."
        )
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return CsmError(
            f"The local store {path} is damaged; move it aside and run `csm sync` to rebuild it."
        )
    return CsmError(f"The local store {path} cannot be used ({text}); check the disk and retry.")
