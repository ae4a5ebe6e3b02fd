"""Reading and verifying the audit trail."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from gridgov.audit.models import AuditAnchor, AuditChainHead, AuditRecord
from gridgov.audit.services import GENESIS_HASH, ROOT_CHAIN, record_hash


@dataclass(frozen=True)
class VerifyProblem:
    chain: str
    seq: int | None
    record_id: int | None
    reason: str

    def __str__(self) -> str:
        return f"chain {self.chain} seq {self.seq} (id {self.record_id}): {self.reason}"


@dataclass(frozen=True)
class VerifyResult:
    checked: int
    problem: VerifyProblem | None

    @property
    def ok(self) -> bool:
        return self.problem is None


def _verify_chain(chain: str, head: AuditChainHead | None) -> tuple[int, VerifyProblem | None]:
    anchor = AuditAnchor.objects.filter(chain=chain).first()
    expected_seq = anchor.seq + 1 if anchor else 1
    prev_hash = anchor.hash if anchor else GENESIS_HASH
    checked = 0
    records = AuditRecord.objects.filter(chain=chain).order_by("seq")
    for record in records.iterator(chunk_size=2000):
        checked += 1
        if record.seq != expected_seq:
            return checked, VerifyProblem(
                chain, record.seq, record.pk, f"expected sequence {expected_seq} (missing record)"
            )
        if record.prev_hash != prev_hash:
            return checked, VerifyProblem(
                chain, record.seq, record.pk, "link to the previous record is broken"
            )
        if record_hash(prev_hash, record) != record.hash:
            return checked, VerifyProblem(
                chain, record.seq, record.pk, "content does not match its hash (edited)"
            )
        prev_hash = record.hash
        expected_seq += 1
    if head is not None and (head.seq != expected_seq - 1 or head.hash != prev_hash):
        return checked, VerifyProblem(
            chain, head.seq, None, "records are missing from the end of the chain"
        )
    return checked, None


def _verify_root_anchors() -> VerifyProblem | None:
    """Each anchor in the root chain must agree with the records it vouches for."""
    anchors = AuditRecord.objects.filter(chain=ROOT_CHAIN, action="audit.anchor")
    for anchor in anchors.iterator():
        for chain, claimed in anchor.changes.get("heads", {}).items():
            row = AuditRecord.objects.filter(chain=chain, seq=claimed["seq"]).first()
            if row is not None and row.hash != claimed["hash"]:
                return VerifyProblem(
                    chain, claimed["seq"], row.pk, "differs from the root-chain anchor"
                )
    return None


def audit_verify() -> VerifyResult:
    heads = {h.chain: h for h in AuditChainHead.objects.all()}
    chains = set(heads) | set(AuditRecord.objects.values_list("chain", flat=True).distinct())
    total = 0
    for chain in sorted(chains):
        checked, problem = _verify_chain(chain, heads.get(chain))
        total += checked
        if problem:
            return VerifyResult(total, problem)
    return VerifyResult(total, _verify_root_anchors())


def audit_record_list(
    *,
    actor,
    actor_name: str = "",
    action: str = "",
    org_unit_path: str = "",
    since=None,
    until=None,
) -> QuerySet[AuditRecord]:
    """Audit records in the actor's ``audit.view`` scope (plus platform-wide records, which
    belong to no org unit), newest first."""
    paths = actor.scope_paths("audit.view")
    if not paths:
        return AuditRecord.objects.none()
    in_scope = Q(org_unit_path="")
    for path in paths:
        in_scope |= Q(org_unit_path__startswith=path)
    qs = AuditRecord.objects.filter(in_scope)
    if actor_name:
        qs = qs.filter(actor_name__icontains=actor_name)
    if action:
        qs = qs.filter(action__startswith=action)
    if org_unit_path:
        qs = qs.filter(org_unit_path__startswith=org_unit_path)
    if since:
        qs = qs.filter(created_at__gte=since)
    if until:
        qs = qs.filter(created_at__lt=until)
    return qs.order_by("-created_at", "-id")
