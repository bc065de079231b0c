"""What a correction gets to work with for one request."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import wire
from .world import World


@dataclass
class Exchange:
    call: wire.Call
    world: World
    # moto's own answer to the request; `body` replaces what the client sent.
    _forward: Callable[[bytes | None], wire.Reply]

    def forward(self, params: dict[str, Any] | None = None) -> wire.Reply:
        """Let moto answer, optionally with changed parameters (JSON protocols only)."""
        body = json.dumps(params).encode() if params is not None else None
        return self._forward(body)

    def result(self, data: dict[str, Any]) -> wire.Reply:
        return wire.result(self.call, data)

    def error(self, code: str, message: str, status: int = 400, **extra: object) -> wire.Reply:
        return wire.error(self.call, code, message, status, **extra)


# A correction answers (a Reply) or lets moto answer (None).
Handler = Callable[[Exchange], "wire.Reply | None"]
