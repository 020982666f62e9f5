"""Pure rules shared by the desk and the case server: entities, enums, status rules, text safety.

Nothing in here does I/O or imports Textual, HTTP, the store, sync or the server.
"""
