"""Exports that leave the platform, audited for what was delivered.

An export is written whole to a temporary file before anything is sent. Its audit record
then names the rows and bytes delivered (outcome ``success``); when writing fails part-way,
the record says so (outcome ``fail``, the rows written before the failure and the error),
and nothing is sent. The temporary file is in memory up to a few megabytes, then in
``EXPORT_DIR``, and is deleted when the answer has been sent.

The audit trail's own CSV export is here as well.
"""

from __future__ import annotations

import io
import logging
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gridgov.audit.models import AuditRecord
from gridgov.audit.readable import readable
from gridgov.audit.selectors import audit_record_list
from gridgov.audit.services import audit_record
from gridgov.core.errors import GridGovError
from gridgov.core.writers import CsvWriter

logger = logging.getLogger("gridgov.exports")

_IN_MEMORY_BYTES = 8 * 1024 * 1024
AUDIT_EXPORT_MAX_ROWS = 100_000


class ExportFailed(GridGovError):
    code = "export_failed"
    status = 500
    default_message = _(
        "The export could not be completed and nothing was delivered; the failure is "
        "recorded in the audit trail."
    )


@dataclass
class ExportTally:
    """Rows the writer has finished with."""

    rows: int = 0

    def counted(self, rows: Iterable) -> Iterator:
        for row in rows:
            yield row
            # Back for the next row: the writer is done with this one.
            self.rows += 1


def export_delivered(
    *,
    action: str,
    actor,
    target_type: str,
    details: dict[str, Any],
    write: Callable[[IO[bytes], ExportTally], None],
) -> IO[bytes]:
    """Run ``write(file, tally)`` and audit the outcome; the finished file, at its start."""
    tally = ExportTally()
    export_dir = settings.EXPORT_DIR
    export_dir.mkdir(parents=True, exist_ok=True)
    spool = tempfile.SpooledTemporaryFile(max_size=_IN_MEMORY_BYTES, dir=export_dir)  # noqa: SIM115 - handed to the response, which closes it
    try:
        write(spool, tally)
        size = spool.tell()
    except Exception as exc:
        spool.close()
        logger.exception("%s failed after %d rows", action, tally.rows)
        with transaction.atomic():
            audit_record(
                action,
                actor=actor,
                target_type=target_type,
                outcome=AuditRecord.Outcome.FAIL,
                changes={**details, "rows": tally.rows, "error": type(exc).__name__},
            )
        raise ExportFailed() from exc
    try:
        with transaction.atomic():
            audit_record(
                action,
                actor=actor,
                target_type=target_type,
                changes={**details, "rows": tally.rows, "bytes": size},
            )
    except BaseException:
        spool.close()  # no audit record, no export (fail closed)
        raise
    spool.seek(0)
    return spool


# The audit trail's export ---------------------------------------------------------

# In the exporting user's language.
HEADER = [
    _("Time"),
    pgettext_lazy("audit", "Chain"),
    pgettext_lazy("audit", "Sequence"),
    _("Actor"),
    _("Role"),
    _("Org unit"),
    _("Action"),
    _("Outcome"),
    _("Target"),
    _("Details"),
    _("IP address"),
    pgettext_lazy("audit", "Request"),
    pgettext_lazy("audit", "Hash"),
]


def _row(r: AuditRecord) -> list:
    """A record as the trail page shows it (``readable``): names, not codes."""
    return [
        timezone.localtime(r.created_at).isoformat(),
        r.chain,
        r.seq,
        r.actor_name,
        r.role_label,
        r.unit_name,
        r.action_label,
        r.outcome_label,
        f"{r.target_label} {r.target_id}".strip(),
        "; ".join(r.change_lines),
        r.ip or "",
        r.request_id,
        r.hash,
    ]


def _readable_chunks(records, size: int = 2000):
    """The records in chunks, each made readable with one org-unit lookup."""
    chunk = []
    for record in records.iterator(chunk_size=size):
        chunk.append(record)
        if len(chunk) == size:
            yield from readable(chunk)
            chunk = []
    yield from readable(chunk)


def audit_trail_export(*, actor, filters: dict[str, Any]) -> tuple[str, str, IO[bytes]]:
    """(file name, content type, file) of the audit records in the actor's scope matching
    ``filters`` (those of ``audit_record_list``), as CSV."""
    from gridgov.accounts.access_limits import export_note
    from gridgov.core.scoping import require_permission

    require_permission(actor, "audit.export")
    export_note(actor=actor, via="audit.export")
    records = audit_record_list(actor=actor, **filters)[:AUDIT_EXPORT_MAX_ROWS]

    def write(out: IO[bytes], tally: ExportTally) -> None:
        text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
        writer = CsvWriter(text)  # printable cells, no live formulas (user names too)
        writer.writerow(HEADER)
        for record in tally.counted(_readable_chunks(records)):
            writer.writerow(_row(record))
        text.detach()  # leave the file open for the answer

    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    file = export_delivered(
        action="audit.export",
        actor=actor,
        target_type="audit.auditrecord",
        details={"filters": {k: str(v) for k, v in filters.items() if v}, "format": "csv"},
        write=write,
    )
    return f"audit-{stamp}.csv", "text/csv; charset=utf-8", file
