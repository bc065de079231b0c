"""The types of JSON values: what json.loads returns and json.dumps takes.

Policy documents, the state file, journal entries and the outputs of actions are JSON:
typed as such, a reader must check what it finds before using it as a str or a list.
"""

from __future__ import annotations

from typing import TypeAlias

JsonValue: TypeAlias = str | int | float | bool | list["JsonValue"] | dict[str, "JsonValue"] | None
JsonObject: TypeAlias = dict[str, JsonValue]
