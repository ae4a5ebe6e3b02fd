"""Loading the seed catalogue (data, not code): only into an empty catalogue, so what
admins edited is never overwritten."""

from __future__ import annotations

import json
from pathlib import Path

SEED_FILE = Path(__file__).parent / "seed" / "categories.json"


def load_seed_categories(Category) -> int:
    """Create the seed categories when none exist. ``Category`` may be a historical model."""
    if Category.objects.exists():
        return 0
    rows = json.loads(SEED_FILE.read_text(encoding="utf-8"))["categories"]
    sensitive = any(f.name == "sensitive" for f in Category._meta.get_fields())
    created = {}
    for row in rows:
        parent = created.get((row["kind"], row["parent"])) if row.get("parent") else None
        created[(row["kind"], row["code"])] = Category.objects.create(
            kind=row["kind"],
            code=row["code"],
            parent=parent,
            name=row["name"],
            name_en=row.get("name_en", ""),
            default_urgency=row.get("default_urgency", "deadline"),
            on_site_resolvable=row.get("on_site_resolvable", False),
            keywords=row.get("keywords", []),
            # Historical models before the flag existed do not take it.
            **({"sensitive": row.get("sensitive", False)} if sensitive else {}),
        )
    return len(created)
