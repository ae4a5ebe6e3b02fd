"""Event titles and descriptions for the demo, from the templates in ``event_texts.json``
(what residents and grid workers write, per category), with the place filled from the
grid's own compounds and buildings."""

from __future__ import annotations

import json
import random
import re
from functools import cache
from pathlib import Path

from gridgov.org.models import Building

TEXTS_FILE = Path(__file__).parent / "event_texts.json"
_FIELD = re.compile(r"\{(\w+)\}")


@cache
def templates() -> dict[str, list[tuple[str, str]]]:
    data = json.loads(TEXTS_FILE.read_text(encoding="utf-8"))["texts"]
    return {code: [(title, text) for title, text in pairs] for code, pairs in data.items()}


def title_patterns() -> list[re.Pattern]:
    """One pattern per title template: what a title written from the templates looks like."""
    patterns = []
    for pairs in templates().values():
        for title, _text in pairs:
            pieces = _FIELD.split(title)
            # Odd pieces are field names; each stands for a non-empty run of characters.
            regex = "".join(re.escape(p) if i % 2 == 0 else ".+?" for i, p in enumerate(pieces))
            patterns.append(re.compile(f"^{regex}$"))
    return patterns


class Describer:
    """``describe(rng, category, grid)`` for ``synthetic.build``: a template of the
    category, filled with one of the grid's buildings (cached per grid)."""

    def __init__(self) -> None:
        self._places: dict[int, list[tuple[str, str]]] = {}

    def _buildings(self, grid) -> list[tuple[str, str]]:
        if grid.pk not in self._places:
            self._places[grid.pk] = [
                (b.compound.name, b.number)
                for b in Building.objects.filter(grid=grid)
                .select_related("compound")
                .order_by("compound__name", "number")
            ] or [(grid.name, "1号楼")]
        return self._places[grid.pk]

    def __call__(self, rng: random.Random, category, grid) -> tuple[str, str]:
        choices = templates().get(category.code)
        if not choices:
            raise KeyError(f"no demo text for category {category.code}")
        title, text = rng.choice(choices)
        compound, building = rng.choice(self._buildings(grid))
        floor = rng.randrange(2, 12)
        fields = {
            "compound": compound,
            "building": building,
            "unit": f"{rng.randrange(1, 4)}单元",
            "floor": f"{floor}楼",
            "room": f"{floor}0{rng.randrange(1, 5)}室",
            "n": str(rng.randrange(2, 5)),
        }
        return title.format(**fields), text.format(**fields)
