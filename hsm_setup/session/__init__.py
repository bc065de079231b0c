"""The interactive flow, once: a Session that every front end renders."""
