"""Writing the audit trail. ``audit_record`` is called inside every service transaction:
if it fails, the caller's transaction fails with it (fail closed, SECURITY.md D6)."""

from __future__ import annotations

import json
import re
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from gridgov.audit.actions import ACTIONS
from gridgov.audit.models import AuditAnchor, AuditChainHead, AuditRecord
from gridgov.core.errors import GridGovError, PermissionDenied
from gridgov.core.masking import mask_text
from gridgov.core.request_context import current_request_context

GENESIS_HASH = "0" * 64
PLATFORM_CHAIN = "platform"
ROOT_CHAIN = "root"
# Depth of the district in a path "31/3101/310104/…": province, city, district.
_DISTRICT_DEPTH = 3


@dataclass(frozen=True)
class SystemActor:
    """A named non-human actor (an import, a scheduled job) with a batch id."""

    name: str
    batch_id: str = ""


def chain_for_path(org_unit_path: str) -> str:
    parts = [p for p in org_unit_path.split("/") if p]
    if len(parts) >= _DISTRICT_DEPTH:
        return parts[_DISTRICT_DEPTH - 1]
    return PLATFORM_CHAIN


def _json_safe(value: Any) -> Any:
    """Round-trip through JSON so the hashed content equals what the database returns."""
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))


# A birth date is eight digits of the ID number: the trail keeps the year (docs/registry.md).
_BIRTH_KEYS = {"birth_date"}
_ISO_DATE = re.compile(r"^(\d{4})-\d{2}-\d{2}$")


def _mask_changes(value: Any, key: str | None = None) -> Any:
    if isinstance(value, str):
        if key in _BIRTH_KEYS and _ISO_DATE.match(value):
            return value[:4]
        return mask_text(value)
    if isinstance(value, dict):
        return {k: _mask_changes(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_changes(v, key) for v in value]
    return value


def shown_changes(changes: Any) -> Any:
    """A record's changes as pages, the API and exports show them: masked again with the
    current rules, since records written earlier kept more (they stay unchanged, hashed)."""
    return _mask_changes(changes)


def canonical_content(record: AuditRecord) -> str:
    content = {
        "chain": record.chain,
        "seq": record.seq,
        "created_at": record.created_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor_id": record.actor_id,
        "actor_name": record.actor_name,
        "actor_role": record.actor_role,
        "org_unit_path": record.org_unit_path,
        "action": record.action,
        "outcome": record.outcome,
        "target_type": record.target_type,
        "target_id": record.target_id,
        "changes": record.changes,
        "request_id": record.request_id,
        "ip": record.ip,
        "batch_id": record.batch_id,
    }
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def record_hash(prev_hash: str, record: AuditRecord) -> str:
    from gridgov.core.crypto import sm3_hex

    return sm3_hex((prev_hash + "\n" + canonical_content(record)).encode())


def _lock_head(chain: str) -> AuditChainHead:
    head = AuditChainHead.objects.select_for_update().filter(chain=chain).first()
    if head is None:
        # Two first appends may race to create the head; the loser retries on the row.
        with transaction.atomic():
            AuditChainHead.objects.get_or_create(
                chain=chain, defaults={"seq": 0, "hash": GENESIS_HASH}
            )
        head = AuditChainHead.objects.select_for_update().get(chain=chain)
    return head


def _actor_fields(actor) -> tuple[int | None, str, str, str]:
    if actor is None:
        return None, "anonymous", "", ""
    if isinstance(actor, SystemActor):
        return None, f"system:{actor.name}", "system", ""
    roles = ",".join(sorted({m.role for m in getattr(actor, "memberships_cached", [])}))
    primary = actor.primary_scope_path() if hasattr(actor, "primary_scope_path") else ""
    return actor.pk, actor.get_username(), roles, primary


def audit_record(
    action: str,
    *,
    actor=None,
    target: Any = None,
    target_type: str = "",
    target_id: str = "",
    org_unit_path: str = "",
    changes: dict[str, Any] | None = None,
    outcome: str = AuditRecord.Outcome.SUCCESS,
    actor_name: str | None = None,
    chain: str | None = None,
) -> AuditRecord:
    """Append one record to the chain of the org unit it concerns."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    actor_id, name, role, actor_path = _actor_fields(actor)
    if actor_name is not None:
        name = actor_name
    if target is not None:
        target_type = target_type or target._meta.label_lower
        target_id = target_id or str(target.pk)
        org_unit_path = org_unit_path or getattr(target, "audit_org_path", "")
    org_unit_path = org_unit_path or actor_path
    ctx = current_request_context()
    batch_id = actor.batch_id if isinstance(actor, SystemActor) else ""
    chain = chain or chain_for_path(org_unit_path)

    with transaction.atomic():
        head = _lock_head(chain)
        record = AuditRecord(
            chain=chain,
            seq=head.seq + 1,
            created_at=timezone.now(),
            actor_id=actor_id,
            actor_name=name[:150],
            actor_role=role[:100],
            org_unit_path=org_unit_path,
            action=action,
            outcome=outcome,
            target_type=target_type,
            target_id=str(target_id)[:80],
            changes=_json_safe(_mask_changes(changes or {})),
            request_id=ctx.request_id if ctx else "",
            ip=ctx.ip if ctx else None,
            batch_id=batch_id,
            prev_hash=head.hash,
        )
        record.hash = record_hash(head.hash, record)
        record.save(force_insert=True)
        head.seq, head.hash = record.seq, record.hash
        head.save(update_fields=["seq", "hash"])
    return record


def refusal[E: GridGovError](error: E, reason: str) -> E:
    """Names why a privileged action is refused (``self``, ``out_of_scope``,
    ``separation_of_duties`` …), so ``audit_refusals`` records the error."""
    error.audit_reason = reason
    return error


@contextmanager
def audit_refusals(
    action: str,
    *,
    actor,
    target: Any = None,
    changes: dict[str, Any] | None = None,
):
    """Refused privileged actions leave a trace: when the block raises ``PermissionDenied``
    or an error marked by ``refusal()``, one ``action`` record with outcome=fail and the
    reason is appended after the block's own transaction rolled back, then the error goes
    on to the caller. Wrap the whole service, outside its transaction."""
    try:
        yield
    except GridGovError as exc:
        reason = getattr(exc, "audit_reason", None)
        if reason is None and isinstance(exc, PermissionDenied):
            reason = "no_permission"
        if reason is None:
            raise
        # The actor's chain: the attempt is the actor's act, whatever it aimed at.
        actor_path = _actor_fields(actor)[3]
        with transaction.atomic():
            audit_record(
                action,
                actor=actor,
                target=target,
                org_unit_path=actor_path,
                outcome=AuditRecord.Outcome.FAIL,
                changes={**(changes or {}), "reason": reason},
            )
        raise


def audit_anchor(*, actor=None) -> AuditRecord:
    """Write every chain's head into the root chain, so chains vouch for each other."""
    heads = {
        h.chain: {"seq": h.seq, "hash": h.hash}
        for h in AuditChainHead.objects.exclude(chain=ROOT_CHAIN).order_by("chain")
    }
    with transaction.atomic():
        return audit_record(
            "audit.anchor",
            actor=actor or SystemActor("audit-anchor"),
            changes={"heads": heads},
            chain=ROOT_CHAIN,
        )


def audit_purge(*, before: datetime, actor=None) -> int:
    """Delete records older than ``before`` chain by chain, keeping each chain verifiable
    by storing the last purged record as the chain's anchor."""
    from gridgov.core.policies import policy_get

    floor = timezone.now() - timedelta(days=180)
    retention = policy_get("audit.retention").retention_days
    limit = timezone.now() - timedelta(days=retention)
    before = min(before, limit, floor)
    purged = 0
    with transaction.atomic():
        chains = AuditRecord.objects.filter(created_at__lt=before).values_list("chain", flat=True)
        for chain in sorted(set(chains)):
            last = (
                AuditRecord.objects.filter(chain=chain, created_at__lt=before)
                .order_by("-seq")
                .first()
            )
            with connection.cursor() as cursor:
                if connection.vendor == "postgresql":
                    cursor.execute("SET LOCAL gridgov.audit_purge = 'on'")
            deleted, _ = AuditRecord.objects.filter(chain=chain, seq__lte=last.seq).delete()
            purged += deleted
            AuditAnchor.objects.update_or_create(
                chain=chain,
                defaults={"seq": last.seq, "hash": last.hash, "purged_at": timezone.now()},
            )
        audit_record(
            "audit.purge",
            actor=actor or SystemActor("audit-retention"),
            changes={"before": before.isoformat(), "deleted": purged},
        )
    return purged
