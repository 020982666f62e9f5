"""The case server: FastAPI app factory, auth, change log, the one write path, and seeding.

It shares only ``csm_tui.domain`` and the wire schemas (``csm_tui.sync.wire``) with the desk;
it never imports the desk's store, sync client or Textual.
"""
