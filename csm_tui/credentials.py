"""The one place that reads and writes the server token.

The token lives in the system keyring (service ``csm-tui``, user = server URL) or in the
``CSM_TOKEN`` environment variable the user sets; never in the config file or a log.
"""

from __future__ import annotations

import os

from csm_tui.errors import CsmError

SERVICE = "csm-tui"
_NO_BACKEND = (
    "No system keyring is available to hold the token; install one (for example "
    "`pip install keyrings.alt`) or set CSM_TOKEN in your environment."
)


def get_token(server: str) -> str | None:
    env = os.environ.get("CSM_TOKEN")
    if env:
        return env
    import keyring  # imported late: finding its backends takes a noticeable part of a start
    import keyring.errors

    try:
        return keyring.get_password(SERVICE, server)
    except keyring.errors.NoKeyringError:
        raise CsmError(_NO_BACKEND) from None
    except keyring.errors.KeyringError as err:
        raise CsmError(
            f"The keyring could not be read ({type(err).__name__}); {_NO_BACKEND}"
        ) from None


def set_token(server: str, token: str) -> None:
    import keyring
    import keyring.errors

    try:
        keyring.set_password(SERVICE, server, token)
    except keyring.errors.NoKeyringError:
        raise CsmError(_NO_BACKEND) from None
    except keyring.errors.KeyringError as err:
        raise CsmError(
            f"The keyring refused the token ({type(err).__name__}); {_NO_BACKEND}"
        ) from None


def delete_token(server: str) -> bool:
    import keyring
    import keyring.errors

    try:
        keyring.delete_password(SERVICE, server)
    except keyring.errors.PasswordDeleteError:
        return False
    except keyring.errors.NoKeyringError:
        raise CsmError(_NO_BACKEND) from None
    return True


def backend_problem() -> str | None:
    """The sentence to show when no usable keyring backend is installed, else None (checked
    before asking a server for a token that could then not be kept)."""
    import keyring
    from keyring.backends import fail, null

    backend = keyring.get_keyring()
    inner = getattr(backend, "backends", None)
    if isinstance(backend, fail.Keyring | null.Keyring) or inner == []:
        return _NO_BACKEND
    return None


def backend_name() -> str:
    import keyring

    backend = keyring.get_keyring()
    return f"{type(backend).__module__}.{type(backend).__name__}"
