"""Exports of filtered resident lists: masked by default, full values only for a permitted
user who asks, watermarked with the user, and audited with the filter, the rows delivered
and whether they were masked — or as a failure (``audit/exports.py``)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import asdict
from typing import IO

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gridgov.accounts.access_limits import export_note
from gridgov.audit.exports import ExportTally, export_delivered
from gridgov.core.errors import PermissionDenied
from gridgov.core.masking import mask_birth_date
from gridgov.core.policies import policy_get
from gridgov.core.writers import CsvWriter, XlsxWriter
from gridgov.people import privacy
from gridgov.people.selectors import ResidentFilters, resident_list

# In the exporting user's language, like the rest of the file.
HEADER = [
    pgettext_lazy("person", "Name"),
    _("Sex"),
    _("Birth date"),
    _("ID number"),
    _("Phone"),
    _("Relation to head"),
    _("Registration"),
    _("Residence status"),
    _("Grid"),
    _("Household number"),
    _("Address"),
]


def _rows(qs, full: bool) -> Iterator[list[str]]:
    for r in qs.iterator(chunk_size=2000):
        id_value = (
            privacy.reveal_id_number(r) if full and r.id_number_encrypted else (r.id_number_masked)
        )
        phone = privacy.reveal_phone(r) if full and r.phone_encrypted else r.phone_masked
        yield [
            str(v)
            for v in [
                r.name,
                r.get_sex_display(),
                r.birth_date.isoformat() if full else mask_birth_date(r.birth_date),
                id_value,
                phone,
                r.get_relation_display(),
                r.get_registration_display(),
                r.get_residence_display(),
                r.household.grid.code if hasattr(r.household, "grid") else "",
                r.household.number,
                r.household.address,
            ]
        ]


def resident_export(
    *, actor, filters: ResidentFilters, fmt: str, full: bool = False
) -> tuple[str, str, IO[bytes]]:
    """(file name, content type, finished file) of a CSV or XLSX export."""
    if not actor.has_permission("people.export"):
        raise PermissionDenied()
    if full and not actor.has_permission("people.export_full"):
        raise PermissionDenied()
    export_note(actor=actor, via="people.export")
    limit = policy_get("people.import").export_max_rows
    qs = resident_list(actor=actor, filters=filters).select_related("household__grid")[:limit]
    stamp = timezone.localtime()
    watermark = _("Exported by %(user)s · %(time)s") % {
        "user": actor.get_username(),
        "time": f"{stamp:%Y-%m-%d %H:%M}",
    }

    def write(out: IO[bytes], tally: ExportTally) -> None:
        rows = tally.counted(_rows(qs, full))
        if fmt == "xlsx":
            out.write(_xlsx(rows, full, watermark))
        else:
            for chunk in _csv(rows, watermark):
                out.write(chunk)

    file = export_delivered(
        action="people.export",
        actor=actor,
        target_type="people.resident",
        details={
            "filters": {k: v for k, v in asdict(filters).items() if v},
            "format": fmt,
            "masked": not full,
        },
        write=write,
    )
    name = f"residents-{stamp:%Y%m%d-%H%M}"
    if fmt == "xlsx":
        return (
            f"{name}.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            file,
        )
    return f"{name}.csv", "text/csv; charset=utf-8", file


def _csv(rows, watermark) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = CsvWriter(buffer)

    def flush() -> bytes:
        data = buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()
        return data

    writer.writerow(HEADER)
    for row in rows:
        writer.writerow(row)
        if buffer.tell() > 64 * 1024:
            yield flush()
    writer.writerow([watermark])
    yield flush()


def _xlsx(rows, full, watermark) -> bytes:
    workbook = XlsxWriter()
    sheet = workbook.sheet(_("Residents"))
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    info = workbook.sheet(pgettext_lazy("export sheet", "Export"))
    info.append([watermark])
    info.append(
        [_("Full ID and phone numbers.") if full else _("ID and phone numbers are masked.")]
    )
    return workbook.to_bytes()
