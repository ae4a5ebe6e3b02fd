"""Each role's home is its work: the queues it has to empty and the numbers it answers for.

``core`` knows no app: each app registers, in its ``AppConfig.ready()``, the sections it
adds to a user's home (``register_section``) and, for users whose home is elsewhere, the
page they land on (``register_landing``). A section function returns None for users it has
nothing for. Every count a section shows must be ``.count()`` of the very selector behind
the list it links to, scoped through ``core.scoping``, so the two always agree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# How many of a queue's first rows a section shows under its count.
PREVIEW = 5


@dataclass
class Queue:
    key: str
    label: Any
    count: int
    url: str
    tone: str = "primary"  # the badge colour when something waits
    rows: list = field(default_factory=list)  # the first events, shown on the workbench


@dataclass
class Section:
    key: str
    title: Any
    queues: list[Queue] = field(default_factory=list)
    tiles: list = field(default_factory=list)  # KPI tiles
    unit: Any = None  # the unit the tiles are about
    freshness: Any = None  # when the tiles' figures were computed
    measured: bool = True  # False when no KPI has a value yet this period
    actions: list = field(default_factory=list)  # (label, url): the section's own tasks
    lead: bool = False  # shown first (the hub's board)


_sections: dict[str, tuple[int, Callable[[Any], Section | None]]] = {}
_landings: dict[str, tuple[int, Callable[[Any], str | None]]] = {}


def register_section(order: int):
    """Add a section function to every home, in ``order`` (sections of the same key from
    several apps are shown as one)."""

    def decorator(function: Callable[[Any], Section | None]):
        _sections[f"{function.__module__}.{function.__qualname__}"] = (order, function)
        return function

    return decorator


def register_landing(function: Callable[[Any], str | None] | None = None, *, order: int = 100):
    """A function that names the page a user's home is instead of the workbench, or None.
    Asked in ``order`` (lower first): the first page named wins."""

    def decorator(function: Callable[[Any], str | None]):
        _landings[f"{function.__module__}.{function.__qualname__}"] = (order, function)
        return function

    return decorator(function) if function is not None else decorator


def landing_for(user) -> str | None:
    for _order, function in sorted(_landings.values(), key=lambda item: item[0]):
        url = function(user)
        if url:
            return url
    return None


def workbench_for(user) -> list[Section]:
    """The sections of the user's home, in the order of their work."""
    found: list[Section] = []
    for _order, function in sorted(_sections.values(), key=lambda item: item[0]):
        section = function(user)
        if section is None:
            continue
        same = next((s for s in found if s.key == section.key), None)
        if same is None:
            found.append(section)
        else:
            same.queues += section.queues
            same.actions += section.actions
    found.sort(key=lambda s: not s.lead)
    return found
