"""The language front end: text -> checked `Model` (see load.py for the phases)."""
