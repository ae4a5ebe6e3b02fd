"""The rows of an import between its two passes, in a temporary SQLite file.

Checks that need the whole file run here as SQL, so memory stays bounded whatever the
file's size: the same person twice in the file; rows already on file (one query per
thousand rows, never one per row); and households. A row with a household number is in
that household. A row without one joins the household its 户主 row starts (the 户主 or 本人
row and the rows below it) or, when grouping by address, the household of the rows with the
same address. A household whose 户主 is already on file is the 户主's household; any other
gets the number ``I<import number>-<row of its first member, 5 digits>``, unique in the grid
because the import's number is.
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from gridgov.core.crypto import blind_index, blind_indexes
from gridgov.core.masking import mask_name
from gridgov.people.models import Household, Resident, ResidentTag
from gridgov.people.services import FIELD_LABELS

CHUNK = 1000
SHOWN_HOUSEHOLDS = 20
# Problems name the column by our field's key; reports show its label in the reader's language.
RELATION_COLUMN = "relation"
ID_COLUMN = "id_number"
NAME_COLUMN = "name"
ADDRESS_COLUMN = "address"
HOUSEHOLD_COLUMN = "household_number"
# Resident fields a row is compared on with the record already on file.
COMPARED = [
    "sex",
    "birth_date",
    "ethnicity",
    "id_type",
    "relation",
    "registration",
    "residence",
    "occupation",
    "education",
]

_SCHEMA = """
CREATE TABLE plan (
    row INTEGER PRIMARY KEY,     -- the row number the user sees
    state TEXT NOT NULL,         -- new, unchanged or rejected
    grid TEXT NOT NULL,
    number TEXT,                 -- household number: given, generated, or the 户主's
    grp INTEGER,                 -- household group of rows without a number
    is_head INTEGER NOT NULL,
    address TEXT NOT NULL,
    import_key TEXT,
    has_id INTEGER NOT NULL DEFAULT 0,
    name TEXT NOT NULL DEFAULT '',
    household_id INTEGER,        -- a household already on file the row joins
    household_address TEXT,
    body TEXT                    -- the validated values (JSON); NULL for a rejected row
);
CREATE INDEX plan_key ON plan(import_key);
CREATE INDEX plan_grp ON plan(grp);
CREATE INDEX plan_household ON plan(grid, number, row);
CREATE INDEX plan_address ON plan(grid, address);
"""

Report = Callable[[int, str, str, str], None]  # row, column, rule, message


@dataclass
class SpooledRow:
    body: dict[str, Any]
    number: str
    household_id: int | None
    household_address: str


def encode_body(values: dict[str, Any], **extra: Any) -> str:
    plain = {k: v.isoformat() if isinstance(v, date) else v for k, v in values.items()}
    return json.dumps({"values": plain, **extra}, ensure_ascii=False)


def decode_values(body: dict[str, Any]) -> dict[str, Any]:
    values = dict(body["values"])
    if "birth_date" in values:
        values["birth_date"] = date.fromisoformat(values["birth_date"])
    return values


class Spool:
    def __init__(self, directory: Path):
        handle, name = tempfile.mkstemp(suffix=".sqlite", dir=directory)  # mode 0600
        os.close(handle)
        self.db = sqlite3.connect(name, isolation_level=None)
        self.db.executescript(
            "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA temp_store=FILE;" + _SCHEMA
        )
        # The rows hold personal data in clear: the file has no name from now on, so even a
        # killed worker leaves nothing behind.
        Path(name).unlink()
        self.db.execute("BEGIN")

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *exc) -> None:
        self.db.close()

    def add(
        self,
        *,
        row: int,
        grid: str,
        number: str,
        group: int | None,
        is_head: bool,
        address: str,
        import_key: str | None = None,
        has_id: bool = False,
        name: str = "",
        body: str | None = None,
    ) -> None:
        self.db.execute(
            "INSERT INTO plan (row, state, grid, number, grp, is_head, address, import_key,"
            " has_id, name, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                row,
                "new" if body is not None else "rejected",
                grid,
                number or None,
                group,
                int(is_head),
                address,
                import_key,
                int(has_id),
                name,
                body,
            ),
        )

    def count(self, state: str) -> int:
        return self.db.execute("SELECT COUNT(*) FROM plan WHERE state = ?", (state,)).fetchone()[0]

    def _reject(self, rows: list[int]) -> None:
        self.db.executemany(
            "UPDATE plan SET state = 'rejected' WHERE row = ?", [(row,) for row in rows]
        )

    def _reject_found(self, query: str, describe: Callable[[tuple], tuple], report) -> None:
        """Reject the rows ``query`` finds (its first column is the row), reporting each as
        ``describe`` says, without holding them all in memory."""
        self.db.execute(f"CREATE TEMP TABLE found AS {query}")  # our own SQL
        cursor = self.db.execute("SELECT * FROM found ORDER BY 1")
        while hits := cursor.fetchmany(CHUNK):
            for hit in hits:
                report(hit[0], *describe(hit))
        self.db.execute("UPDATE plan SET state = 'rejected' WHERE row IN (SELECT row FROM found)")
        self.db.execute("DROP TABLE found")

    # Whole-file checks ---------------------------------------------------------------

    def settle(self, *, actor, job, grouping: str | None, report: Report) -> None:
        """Everything between reading the file and writing: duplicates, households,
        records already on file, generated numbers. ``grouping`` is None when the file
        gives household numbers."""
        self._same_person_twice(report)
        if grouping == "address":
            self._group_by_address(report)
        self._members_of_rejected_heads(report)
        if grouping is None:
            self._check_registry(actor, "1", report)
        else:
            self._check_registry(actor, "is_head = 1", report)
            self._members_of_rejected_heads(report)
            self._check_registry(actor, "is_head = 0", report)
            self._number_new_households(job, report)
        self.db.execute(
            "UPDATE plan SET household_address = (SELECT q.address FROM plan q"
            " WHERE q.grid = plan.grid AND q.number = plan.number AND q.address != ''"
            " AND q.state = 'new' ORDER BY q.row LIMIT 1) WHERE state = 'new'"
        )

    def _same_person_twice(self, report: Report) -> None:
        def describe(hit):
            _row, has_id, first = hit
            if has_id:
                return (
                    ID_COLUMN,
                    "duplicate",
                    _("The same ID number as row %(row)d.") % {"row": first},
                )
            return (
                NAME_COLUMN,
                "duplicate",
                _("The same person (name, birth date, household) as row %(row)d.") % {"row": first},
            )

        self._reject_found(
            "SELECT row, has_id, first FROM (SELECT p.row, p.has_id, (SELECT MIN(q.row)"
            " FROM plan q WHERE q.import_key = p.import_key AND q.row < p.row) AS first"
            " FROM plan p WHERE p.state = 'new') WHERE first IS NOT NULL",
            describe,
            report,
        )

    def _group_by_address(self, report: Report) -> None:
        self.db.execute(
            "UPDATE plan SET grp = (SELECT MIN(q.row) FROM plan q WHERE q.grid = plan.grid"
            " AND q.address = plan.address) WHERE address != '' AND grid != ''"
        )

        def describe(hit):
            _row, heads = hit
            if heads == 0:
                message = _(
                    "Cannot be grouped: no row at this address is the 户主 (or 本人). Mark "
                    "the head of the household, or group the rows by 与户主关系 order."
                )
            else:
                message = _(
                    "Cannot be grouped: %(n)d rows at this address are 户主; several "
                    "households share it. Group the rows by 与户主关系 order, or add a 户编号 "
                    "column."
                ) % {"n": heads}
            return RELATION_COLUMN, "household", message

        self._reject_found(
            "SELECT p.row, odd.heads FROM plan p JOIN (SELECT grp, SUM(is_head) AS heads"
            " FROM plan WHERE grp IS NOT NULL GROUP BY grp HAVING heads != 1) AS odd"
            " USING (grp) WHERE p.state = 'new'",
            describe,
            report,
        )

    def _members_of_rejected_heads(self, report: Report) -> None:
        def describe(hit):
            return (
                RELATION_COLUMN,
                "household",
                _(
                    "Not imported because the 户主 of this household (row %(row)d) is not: "
                    "a household is imported whole."
                )
                % {"row": hit[1]},
            )

        self._reject_found(
            "SELECT m.row AS row, h.row AS head FROM plan m JOIN plan h ON h.grp = m.grp"
            " AND h.is_head = 1"
            " AND h.row != m.row WHERE m.state = 'new' AND h.state = 'rejected'",
            describe,
            report,
        )

    def _check_registry(self, actor, which: str, report: Report) -> None:
        """Rows whose person is already on file: unchanged when it is the same person in
        the same household with the same details, otherwise rejected saying where."""
        last = 0
        while True:
            chunk = self.db.execute(
                "SELECT row, grid, number, grp, is_head, household_id, body FROM plan"  # noqa: S608
                f" WHERE state = 'new' AND {which} AND row > ? ORDER BY row LIMIT ?",
                (last, CHUNK),
            ).fetchall()
            if not chunk:
                return
            last = chunk[-1][0]
            self._check_chunk(actor, chunk, report)

    def _check_chunk(self, actor, chunk: list[tuple], report: Report) -> None:
        by_index: dict[str, int] = {}
        by_key: dict[str, int] = {}
        rows: dict[int, tuple] = {}
        for row, grid, number, group, is_head, household_id, body_text in chunk:
            body = json.loads(body_text)
            rows[row] = (grid, number, group, is_head, household_id, body)
            number_on_card = body["values"].get("id_number")
            if number_on_card:
                for index in blind_indexes(number_on_card, purpose="id_number"):
                    by_index[index] = row
            by_key[body["import_key"]] = row
        found = list(
            Resident.objects.filter(
                Q(id_number_index__in=list(by_index)) | Q(import_key__in=list(by_key))
            ).select_related("household__grid")
        )
        if not found:
            return
        pks = [r.pk for r in found]
        visible = set(
            Resident.objects.visible_to(actor).filter(pk__in=pks).values_list("pk", flat=True)
        )
        tags: dict[int, set[str]] = {}
        for resident_id, tag in ResidentTag.objects.filter(resident_id__in=pks).values_list(
            "resident_id", "category__name"
        ):
            tags.setdefault(resident_id, set()).add(tag)
        rejected: set[int] = set()
        unchanged: set[int] = set()
        adopted = []
        for resident in found:
            row = by_index.get(resident.id_number_index or "") or by_key.get(
                resident.import_key or ""
            )
            if row is None or row in rejected or row in unchanged:
                continue
            grid, number, group, is_head, household_id, body = rows[row]
            values = decode_values(body)
            if resident.pk not in visible:
                report(
                    row,
                    ID_COLUMN,
                    "on_file",
                    _(
                        "This ID number is already registered outside your area. Ask the "
                        "street office to move the resident instead of importing them again."
                    ),
                )
                rejected.add(row)
                continue
            household = resident.household
            if group is None:
                same_household = (household.grid.code, household.number) == (grid, number)
            elif household_id is None:  # a 户主's household is theirs; a new one has nobody
                same_household = bool(is_head)
            else:
                same_household = household.pk == household_id
            where = {
                "name": mask_name(resident.name),
                "id": resident.id_number_masked or "—",
                "household": household.number,
                "grid": f"{household.grid.name} ({household.grid.code})",
            }
            if resident.archived_at is not None:
                report(
                    row,
                    ID_COLUMN,
                    "on_file",
                    _(
                        "Already on file as resident %(name)s (%(id)s) in household "
                        "%(household)s, %(grid)s, archived (moved out or deceased)."
                    )
                    % where,
                )
                rejected.add(row)
                continue
            if resident.name != values["name"] or not same_household:
                report(
                    row,
                    ID_COLUMN,
                    "on_file",
                    _(
                        "Already on file as resident %(name)s (%(id)s) in household "
                        "%(household)s, %(grid)s."
                    )
                    % where,
                )
                rejected.add(row)
                continue
            different = _differences(values, body, resident, tags.get(resident.pk, set()))
            if different:
                report(
                    row,
                    ID_COLUMN,
                    "on_file",
                    _(
                        "Already on file in this household with other details (%(fields)s). "
                        "An import does not change residents: edit them on their page."
                    )
                    % {"fields": ", ".join(different)},
                )
                rejected.add(row)
                continue
            unchanged.add(row)
            if group is not None and household_id is None:
                adopted.append((household.pk, household.number, group))
        self._reject(sorted(rejected))
        self.db.executemany(
            "UPDATE plan SET state = 'unchanged' WHERE row = ?", [(row,) for row in unchanged]
        )
        # The household of a 户主 already on file is the household of the rows below it.
        self.db.executemany("UPDATE plan SET household_id = ?, number = ? WHERE grp = ?", adopted)

    def _number_new_households(self, job, report: Report) -> None:
        self.db.execute(
            "UPDATE plan SET number = 'I' || ? || '-' || printf('%05d', grp)"
            " WHERE grp IS NOT NULL AND household_id IS NULL",
            (job.pk,),
        )
        # A number someone already gave a household by hand is not taken over.
        last = ("", "")
        while True:
            chunk = self.db.execute(
                "SELECT DISTINCT grid, number FROM plan WHERE state = 'new'"
                " AND household_id IS NULL AND (grid, number) > (?, ?)"
                " ORDER BY grid, number LIMIT ?",
                (*last, CHUNK),
            ).fetchall()
            if not chunk:
                return
            last = chunk[-1]
            taken = Household.objects.filter(
                grid__code__in={g for g, _n in chunk}, number__in={n for _g, n in chunk}
            ).exclude(import_job=job)
            for household in taken.select_related("grid"):
                key = (household.grid.code, household.number)
                rows = [
                    r
                    for (r,) in self.db.execute(
                        "SELECT row FROM plan WHERE state = 'new' AND grid = ? AND number = ?",
                        key,
                    )
                ]
                for row in rows:
                    report(
                        row,
                        HOUSEHOLD_COLUMN,
                        "household",
                        _(
                            "The household number %(number)s this import would give is "
                            "already used in the grid; upload the file again."
                        )
                        % {"number": household.number},
                    )
                self._reject(rows)

    # Reading back ------------------------------------------------------------------------

    def new_rows(self) -> Iterator[SpooledRow]:
        cursor = self.db.execute(
            "SELECT body, number, household_id, household_address FROM plan"
            " WHERE state = 'new' ORDER BY row"
        )
        while batch := cursor.fetchmany(CHUNK):
            for body, number, household_id, address in batch:
                yield SpooledRow(json.loads(body), number, household_id, address or "")

    def households(self, source: str) -> dict[str, Any]:
        """The households the rows form, for the preview: how many, how many members each,
        the first ones with their 户主."""
        sizes: Counter[int] = Counter()
        first: list[dict[str, Any]] = []
        joining = 0
        given: list[tuple[str, str]] = []  # numbers from the file: are they on file?

        def count_on_file() -> int:
            found = Household.objects.filter(
                grid__code__in={g for g, _n in given}, number__in={n for _g, n in given}
            ).values_list("grid__code", "number")
            return len(set(found) & set(given))

        for grid, number, members, low, high, on_file in self.db.execute(
            "SELECT grid, number, COUNT(*), MIN(row), MAX(row), MAX(household_id IS NOT NULL)"
            " FROM plan WHERE state != 'rejected' AND number IS NOT NULL"
            " GROUP BY grid, number ORDER BY MIN(row)"
        ):
            sizes[members] += 1
            joining += on_file
            if source == "number":
                given.append((grid, number))
                if len(given) >= CHUNK:
                    joining += count_on_file()
                    given.clear()
            if len(first) < SHOWN_HOUSEHOLDS:
                head = self.db.execute(
                    "SELECT name FROM plan WHERE grid = ? AND number = ? AND is_head = 1"
                    " AND state != 'rejected' ORDER BY row LIMIT 1",
                    (grid, number),
                ).fetchone()
                first.append(
                    {
                        "grid": grid,
                        "number": number,
                        "head": head[0] if head else "",
                        "members": members,
                        "rows": f"{low}–{high}" if high != low else str(low),
                        "on_file": bool(on_file),
                    }
                )
        if given:
            joining += count_on_file()
        ungrouped = self.db.execute(
            "SELECT COUNT(*) FROM plan WHERE state = 'rejected' AND number IS NULL"
        ).fetchone()[0]
        return {
            "source": source,
            "count": sum(sizes.values()),
            "on_file": joining,
            "sizes": [[size, sizes[size]] for size in sorted(sizes)],
            "first": first,
            "ungrouped": ungrouped if source != "number" else 0,
        }


def _differences(values: dict[str, Any], body: dict[str, Any], resident, tags: set[str]):
    provided = set(body.get("provided", []))
    different = [
        str(FIELD_LABELS[f])
        for f in COMPARED
        if f in provided and f in values and values[f] != getattr(resident, f)
    ]
    phone = values.get("phone")
    if "phone" in provided and phone:
        digits = phone.replace("-", "")
        if resident.phone_index not in blind_indexes(digits, purpose="phone"):
            different.append(str(FIELD_LABELS["phone"]))
    if set(body.get("tags", [])) - tags:
        different.append(str(_("special-population tags")))
    return different


def person_key(*, id_number: str | None, grid: str, household: str, name: str, born) -> str:
    """The import key of a row: its ID number, or who it is in which household."""
    if id_number:
        return blind_index(id_number, purpose="import_key")
    return blind_index(f"{grid}|{household}|{name}|{born}", purpose="import_key")
