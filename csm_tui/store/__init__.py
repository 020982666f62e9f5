"""The desk's local SQLite store: engine factory, applying pulled changes, read queries."""
