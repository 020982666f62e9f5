"""Sync between the local store and the case server.

``wire`` holds the pydantic schemas both sides share; ``client`` and ``engine`` are the desk's
half and must never be imported by the server.
"""
