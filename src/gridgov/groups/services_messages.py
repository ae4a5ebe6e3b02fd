"""Chat exports: the consent notice, reading an export, and the retention purge.

An export is read only for a registered group whose consent notice is in force; a file
in an unknown format or encoding, over the size policy or already read is refused with
the reason and nothing is stored. Reading keeps the file encrypted (deleted after the
``groups.messages`` policy's ``text_days``), one row per new message without its text,
the day's keyword hits (``services_warnings``) and the export's figures: activity (share
of members who posted in the window), messages per day, and the median time from a
resident's question to the first reply (by an admin named at upload, else by anyone else).
"""

from __future__ import annotations

import hashlib
import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.db import connection, transaction
from django.db.models import Count, Min
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.audit.services import audit_record
from gridgov.core import attachments
from gridgov.core.crypto import blind_index
from gridgov.core.errors import Conflict, ValidationFailed
from gridgov.core.policies import policy_get
from gridgov.core.scoping import require_in_scope
from gridgov.groups import chat_formats, services_warnings
from gridgov.groups.models import ChatImport, ChatMessage, ExportConsent, Group
from gridgov.groups.services import _text, actor_name

EXPORT_FOLDER = "chat_exports"
ENCODINGS = {"utf-8": "utf-8-sig", "gb18030": "gb18030"}
BATCH = 5000


class ExportRefused(ValidationFailed):
    """A chat export not read: the reason is in ``details["file"]``; nothing is stored."""

    code = "export_refused"


def _refuse(message: str) -> ExportRefused:
    return ExportRefused(message, details={"file": [message]})


# Consent ----------------------------------------------------------------------------


def consent_in_force(group: Group) -> ExportConsent | None:
    return group.export_consents.filter(withdrawn_at__isnull=True).first()


def consent_record(*, actor, group: Group, notice: str, noticed_on) -> ExportConsent:
    require_in_scope(actor, group.scope_path, "groups.register")
    errors: dict = {}
    notice = _text(notice, "notice", 300, errors)
    if not notice and "notice" not in errors:
        errors["notice"] = [_("Say how the members were told (e.g. the group notice).")]
    if isinstance(noticed_on, str):
        from django.utils.dateparse import parse_date

        try:
            noticed_on = parse_date(noticed_on.strip()) if noticed_on.strip() else None
        except ValueError:
            noticed_on = None
    if not isinstance(noticed_on, date):
        errors["noticed_on"] = [_("Give the date as YYYY-MM-DD.")]
    elif noticed_on > timezone.localdate():
        errors["noticed_on"] = [_("This date is in the future.")]
    if errors:
        raise ValidationFailed(details=errors)
    with transaction.atomic():
        Group.objects.select_for_update().get(pk=group.pk)
        if consent_in_force(group) is not None:
            raise Conflict(
                _("A consent notice is already in force for this group."), code="consent_exists"
            )
        consent = ExportConsent.objects.create(
            group=group, notice=notice, noticed_on=noticed_on, recorded_by_name=actor_name(actor)
        )
        audit_record(
            "groups.consent.record",
            actor=actor,
            target=group,
            org_unit_path=group.scope_path,
            changes={"noticed_on": str(noticed_on)},
        )
    return consent


def consent_withdraw(*, actor, group: Group) -> ExportConsent:
    require_in_scope(actor, group.scope_path, "groups.register")
    with transaction.atomic():
        Group.objects.select_for_update().get(pk=group.pk)
        consent = consent_in_force(group)
        if consent is None:
            raise Conflict(_("No consent notice is in force."), code="no_consent")
        consent.withdrawn_at = timezone.now()
        consent.withdrawn_by_name = actor_name(actor)
        consent.save(update_fields=["withdrawn_at", "withdrawn_by_name"])
        audit_record(
            "groups.consent.withdraw", actor=actor, target=group, org_unit_path=group.scope_path
        )
    return consent


# Reading an export --------------------------------------------------------------------


@dataclass
class _Read:
    file_format: str
    messages: list[chat_formats.Message]


def _decode(data: bytes, encoding: str) -> str:
    codec = ENCODINGS.get(encoding)
    if codec is None:
        raise _refuse(_("Choose the encoding: UTF-8 or GB18030."))
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        raise _refuse(
            _(
                "The file is not %(encoding)s text (byte %(at)s cannot be read). Export it "
                "again as UTF-8, or choose the encoding it was saved in."
            )
            % {"encoding": encoding.upper(), "at": exc.start}
        ) from None


def _parse(text: str, file_format: str) -> _Read:
    try:
        if file_format in ("", "auto"):
            name, messages = chat_formats.detect(text)
            return _Read(name, messages)
        reader = chat_formats.READERS.get(file_format)
        if reader is None:
            raise _refuse(
                _("Unknown format %(f)s; choose one of: %(all)s.")
                % {"f": file_format[:20], "all": ", ".join(chat_formats.iter_formats())}
            )
        return _Read(file_format, reader(text))
    except chat_formats.FormatNotRecognised as exc:
        raise _refuse(
            _("The file is not a chat export this product reads (%(why)s).") % {"why": exc}
        ) from None


def _read_upload(upload, max_bytes: int) -> bytes:
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise _refuse(
            _("The file is larger than %(mb)s MB; export a shorter period.")
            % {"mb": max_bytes // (1024 * 1024)}
        )
    if not data:
        raise _refuse(_("The file is empty."))
    return data


def _names(text: str) -> set[str]:
    parts = str(text or "").replace("、", ",").replace("，", ",").replace("\n", ",").split(",")
    return {p.strip() for p in parts if p.strip()}


def sender_hash(group: Group, name: str) -> str:
    """HMAC-SM3 of a display name within one group: posters counted, never named."""
    return blind_index(f"{group.uid}:{name}", purpose="groups.chat_sender")[:32]


def ensure_month_partitions(moments) -> None:
    """On PostgreSQL, the monthly partitions the messages fall in (created if missing)."""
    if connection.vendor != "postgresql":
        return
    months = {(m.astimezone(UTC).year, m.astimezone(UTC).month) for m in moments}
    with connection.cursor() as cursor:
        for year, month in sorted(months):
            start = datetime(year, month, 1, tzinfo=UTC)
            end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS groups_chatmessage_y{year}m{month:02d} "
                "PARTITION OF groups_chatmessage FOR VALUES FROM (%s) TO (%s)",
                [start, end],
            )


def _question_markers() -> tuple[str, ...]:
    return tuple(policy_get("groups.messages").question_markers)


def _first_replies(messages, sender_of, admins: set[str], markers) -> tuple[int, list[float]]:
    """(questions, hours to each answered one's first reply). A question is a resident's
    message with a marker; the reply is the next message of an admin (if admins were
    named) or of anyone else."""
    questions = 0
    delays: list[float] = []
    pending: list[tuple[datetime, str]] = []
    for message in messages:
        sender = sender_of[message.sender]
        from_admin = sender in admins
        if pending and (from_admin or not admins):
            still = []
            for asked_at, asker in pending:
                if asker == sender:
                    still.append((asked_at, asker))
                else:
                    delays.append((message.sent_at - asked_at).total_seconds() / 3600)
            pending = still
        if not from_admin and any(marker in message.text for marker in markers):
            questions += 1
            pending.append((message.sent_at, sender))
    return questions, delays


def ingest_export(
    *,
    actor,
    group: Group,
    upload,
    file_format: str = "auto",
    encoding: str = "utf-8",
    admin_names: str = "",
) -> ChatImport:
    """Read one export of ``group``; see the module's docstring."""
    require_in_scope(actor, group.scope_path, "groups.register")
    if not group.is_registered:
        raise _refuse(_("Only a registered (approved) group's exports are read."))
    if consent_in_force(group) is None:
        raise _refuse(
            _(
                "No consent notice is recorded for this group: record how its members were "
                "told before an export is read."
            )
        )
    policy = policy_get("groups.messages")
    data = _read_upload(upload, policy.max_export_mb * 1024 * 1024)
    sha256 = hashlib.sha256(data).hexdigest()
    if ChatImport.objects.filter(group=group, sha256=sha256).exists():
        raise Conflict(_("This file was already read for this group."), code="export_exists")
    parsed = _parse(_decode(data, encoding), file_format)
    messages = sorted(parsed.messages, key=lambda m: m.sent_at)
    sender_of = {name: sender_hash(group, name) for name in {m.sender for m in messages}}
    admins = {sender_hash(group, name) for name in _names(admin_names)}
    digest_key = bytes.fromhex(blind_index(str(group.uid), purpose="groups.chat_digest"))[:32]
    markers = _question_markers()
    matcher = services_warnings.matcher()
    first, last = messages[0].sent_at, messages[-1].sent_at
    seen = set(
        ChatMessage.objects.filter(group=group, sent_at__range=(first, last)).values_list(
            "digest", flat=True
        )
    )
    ensure_month_partitions(m.sent_at for m in messages)
    questions, delays = _first_replies(messages, sender_of, admins, markers)
    hits_by_day: dict = defaultdict(services_warnings.DayHits)
    now = timezone.now()
    with attachments.written_files(), transaction.atomic():
        chat_import = ChatImport(
            group=group,
            scope_path=group.scope_path,
            file_format=parsed.file_format,
            encoding=encoding,
            size=len(data),
            sha256=sha256,
            first_at=first,
            last_at=last,
            messages_read=len(messages),
            questions=questions,
            answered=len(delays),
            response_hours=round(statistics.median(delays), 2) if delays else None,
            imported_by_name=actor_name(actor),
        )
        chat_import.save()
        chat_import.stored_path = str(
            attachments.write_blob(data, folder=EXPORT_FOLDER, uid=chat_import.uid)
        )
        hits_total = 0
        rows: list[tuple] = []
        for message in messages:
            digest = hashlib.blake2b(
                f"{message.sent_at.isoformat()}\x00{message.sender}\x00{message.text}".encode(),
                key=digest_key,
                digest_size=16,
            ).hexdigest()
            if digest in seen:
                continue
            seen.add(digest)
            hits = services_warnings.count_hits(matcher, message, hits_by_day)
            hits_total += hits
            rows.append(
                (
                    group.pk,
                    chat_import.pk,
                    message.sent_at,
                    sender_of[message.sender],
                    digest,
                    any(marker in message.text for marker in markers),
                    min(hits, 32767),
                )
            )
            if len(rows) >= BATCH:
                write_messages(rows)
                chat_import.messages_new += len(rows)
                rows = []
        if rows:
            write_messages(rows)
            chat_import.messages_new += len(rows)
        chat_import.hits = hits_total
        _activity(chat_import, group, policy.activity_days)
        warnings = services_warnings.record_hits(group, hits_by_day, now=now)
        chat_import.warnings = len(warnings)
        chat_import.save()
        audit_record(
            "groups.export.import",
            actor=actor,
            target=chat_import,
            org_unit_path=group.scope_path,
            changes={
                "group": str(group.uid),
                "format": parsed.file_format,
                "messages": chat_import.messages_read,
                "new": chat_import.messages_new,
                "warnings": len(warnings),
            },
        )
    return chat_import


MESSAGE_COLUMNS = (
    "group_id",
    "chat_import_id",
    "sent_at",
    "sender",
    "digest",
    "is_question",
    "hits",
)


def write_messages(rows: list[tuple]) -> None:
    """Message rows (in ``MESSAGE_COLUMNS`` order): COPY on PostgreSQL, where an export
    brings tens of thousands at once; a bulk insert elsewhere."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            columns = ", ".join(MESSAGE_COLUMNS)
            with cursor.cursor.copy(f"COPY groups_chatmessage ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        return
    ChatMessage.objects.bulk_create(
        [ChatMessage(**dict(zip(MESSAGE_COLUMNS, row, strict=True))) for row in rows]
    )


def _activity(chat_import: ChatImport, group: Group, days: int) -> None:
    """Posters and messages in the ``days`` up to the export's last message, from every
    export of the group: activity as a share of the registered members (unknown members:
    not measured), messages per day over the days the stored messages cover."""
    end = chat_import.last_at
    start = end - timedelta(days=days)
    window = ChatMessage.objects.filter(group=group, sent_at__gt=start, sent_at__lte=end)
    figures = window.aggregate(
        posters=Count("sender", distinct=True), messages=Count("id"), since=Min("sent_at")
    )
    chat_import.posters_30d = figures["posters"]
    if figures["messages"]:
        covered = max(1.0, min(days, (end - figures["since"]).total_seconds() / 86400))
        chat_import.messages_per_day = round(figures["messages"] / covered, 2)
    if group.members_total:
        chat_import.activity_pct = round(
            min(100.0, 100.0 * figures["posters"] / group.members_total), 1
        )


# Retention ----------------------------------------------------------------------------


@dataclass
class PurgeReport:
    files_deleted: int = 0
    rows_deleted: int = 0
    partitions_dropped: int = 0


def purge_messages(*, now: datetime | None = None) -> PurgeReport:
    """Delete exports' text past ``text_days`` and message rows past ``metadata_days``
    (whole monthly partitions on PostgreSQL, then the rest of the cut-off month)."""
    from gridgov.audit.services import SystemActor
    from gridgov.groups.models import KeywordDay

    now = now or timezone.now()
    policy = policy_get("groups.messages")
    report = PurgeReport()
    text_cutoff = now - timedelta(days=policy.text_days)
    expired = ChatImport.objects.filter(text_deleted_at__isnull=True, imported_at__lt=text_cutoff)
    for chat_import in expired.iterator():
        if chat_import.stored_path:
            attachments.delete_blob(chat_import.stored_path)
        ChatImport.objects.filter(pk=chat_import.pk).update(stored_path="", text_deleted_at=now)
        report.files_deleted += 1
    cutoff = now - timedelta(days=policy.metadata_days)
    if connection.vendor == "postgresql":
        report.partitions_dropped = _drop_partitions_before(cutoff)
    report.rows_deleted, _detail = ChatMessage.objects.filter(sent_at__lt=cutoff).delete()
    KeywordDay.objects.filter(day__lt=timezone.localdate(cutoff)).delete()
    if report.files_deleted or report.rows_deleted or report.partitions_dropped:
        audit_record(
            "groups.export.purge",
            actor=SystemActor("groups_purge_messages"),
            changes={
                "files": report.files_deleted,
                "rows": report.rows_deleted,
                "partitions": report.partitions_dropped,
            },
        )
    return report


def message_partitions() -> list[tuple[str, datetime]]:
    """(name, upper bound) of each monthly partition, on PostgreSQL."""
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'groups_chatmessage' "
            "ORDER BY c.relname"
        )
        names = [row[0] for row in cursor.fetchall()]
    bounds = []
    for name in names:
        year, month = int(name[-7:-3]), int(name[-2:])
        bounds.append((name, datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)))
    return bounds


def _drop_partitions_before(cutoff: datetime) -> int:
    dropped = 0
    with connection.cursor() as cursor:
        # A table with deferred foreign-key checks pending (rows written earlier in this
        # transaction) cannot be dropped: run the checks now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for name, upper in message_partitions():
            if upper <= cutoff:
                cursor.execute(f'DROP TABLE "{name}"')
                dropped += 1
    return dropped
