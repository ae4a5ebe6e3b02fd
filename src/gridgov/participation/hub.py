"""The resident's participation page (/participation/me/): one card per part — topics,
votes, volunteering, points and the time bank, surveys, boards — each registered by its
part, so the resident portal has one place that lists them.

A card function gets the signed-in user and their bound resident and returns a
``HubCard`` (or None when the part has nothing for them). Counts on a card are ``.count()``
of the selector behind the page it links to."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass
class HubCard:
    key: str
    title: Any
    url: str
    summary: Any = ""
    count: int | None = None  # something waiting for the resident (a badge)


_parts: dict[str, tuple[int, Callable[[Any, Any], HubCard | None]]] = {}


def register_resident_part(order: int):
    def decorator(function: Callable[[Any, Any], HubCard | None]):
        _parts[f"{function.__module__}.{function.__qualname__}"] = (order, function)
        return function

    return decorator


def hub_cards(user, resident) -> list[HubCard]:
    cards = []
    for _order, function in sorted(_parts.values(), key=lambda item: item[0]):
        card = function(user, resident)
        if card is not None:
            cards.append(card)
    return cards
