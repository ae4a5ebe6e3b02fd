"""Writes of deliberation 议事: topics' particulars, proposals and co-signatures, the
discussion and its moderation, the decision and its report-back, and the meeting notices.

Every write checks who acts (staff: the ``participation`` permission in the object's
scope; residents: ``residents.selectors.require_resident`` and their own grid and
community), validates with a message per field, and runs in one transaction with the
topic's timeline and an audit record; a topic changes state only through
``participation.workflow.move_topic``."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from gridgov.audit.services import SystemActor, audit_record
from gridgov.core import attachments, notifications
from gridgov.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from gridgov.core.policies import policy_get
from gridgov.core.scoping import path_in_scope, require_in_scope
from gridgov.core.text import TextInvalid, normalise_text
from gridgov.events.models import Event
from gridgov.lists.models import Need, Project
from gridgov.org.models import OrgUnit
from gridgov.participation import selectors_deliberation as selectors
from gridgov.participation.models import (
    Comment,
    CoSignature,
    Decision,
    Proposal,
    Topic,
    TopicDocument,
    TopicLog,
    TopicNotice,
)
from gridgov.participation.signals import proposal_adopted
from gridgov.participation.workflow import move_topic
from gridgov.people.models import Resident
from gridgov.residents.selectors import require_resident

# Topic steps taken by the generic transition; deciding and reporting back have their own
# forms, and a vote is opened by the votes.
PLAIN_ACTIONS = ("select", "reject", "open_discussion")
# Topics a resident may still discuss, and propose into.
DISCUSSABLE = (
    Topic.State.COLLECTING,
    Topic.State.SELECTED,
    Topic.State.DISCUSSING,
    Topic.State.VOTING,
)
# A proposal made on a topic is part of it at once (纳入议题) and may still gather support.
COSIGNABLE = (Proposal.State.SUBMITTED, Proposal.State.SECONDED, Proposal.State.INCLUDED)
DECLINABLE = (Proposal.State.SUBMITTED, Proposal.State.SECONDED)


def _name(actor) -> str:
    if isinstance(actor, SystemActor):
        return f"system:{actor.name}"
    return actor.get_username()


def _text(
    value: Any,
    key: str,
    max_length: int,
    errors: dict,
    *,
    required=False,
    multiline=False,
    label="",
) -> str:
    try:
        text = normalise_text(str(value or ""), max_length=max_length, multiline=multiline)
    except TextInvalid as exc:
        errors[key] = [exc.message]
        return ""
    if required and not text:
        errors[key] = [_("Fill in the %(field)s.") % {"field": label}]
    return text


def _count(value: Any, key: str, errors: dict) -> int:
    raw = str(value if value is not None else "").strip() or "0"
    if not raw.isdigit() or int(raw) > 9999:
        errors[key] = [_("Give a whole number from 0 to 9999.")]
        return 0
    return int(raw)


def _log(topic: Topic, action: str, actor, note: str = "") -> None:
    TopicLog.objects.create(
        topic=topic,
        action=action,
        from_state=topic.state,
        to_state=topic.state,
        note=note[:500],
        actor_name=_name(actor),
    )


def _stale(current) -> Conflict:
    return Conflict(
        _("Someone else changed this meanwhile; it is now “%(state)s”. Reload.")
        % {"state": current.get_state_display()},
        details={"state": current.state, "version": current.version},
    )


# Topics --------------------------------------------------------------------------------


def _clean_topic(actor, data: dict, errors: dict) -> dict:
    clean: dict[str, Any] = {}
    clean["title"] = _text(data.get("title"), "title", 120, errors, required=True, label=_("title"))
    clean["description"] = _text(
        data.get("description"), "description", 4000, errors, multiline=True
    )
    code = str(data.get("org_unit") or "")
    unit = OrgUnit.objects.filter(
        code=code, level__in=[OrgUnit.Level.COMMUNITY, OrgUnit.Level.GRID], is_active=True
    ).first()
    if unit is not None and not path_in_scope(actor, unit.path, "participation.manage"):
        raise NotFound()  # another area's unit: as if it did not exist
    if unit is None:
        errors["org_unit"] = [_("Choose a community or grid in your area.")]
    clean["org_unit"] = unit
    source = str(data.get("source") or "")
    if source not in Topic.Source.values:
        errors["source"] = [_("Choose where the topic comes from.")]
    clean["source"] = source
    meeting = str(data.get("meeting_type") or Topic.MeetingType.ONLINE)
    if meeting not in Topic.MeetingType.values:
        errors["meeting_type"] = [_("Choose a meeting type.")]
    clean["meeting_type"] = meeting
    clean["is_major"] = str(data.get("is_major") or "").lower() in {"1", "true", "on", "yes"}
    raw_at = data.get("meeting_at") or ""
    at = raw_at if isinstance(raw_at, datetime) else parse_datetime(str(raw_at)) if raw_at else None
    if raw_at and at is None:
        errors["meeting_at"] = [_("Give the meeting time as date and time.")]
    if at is not None and timezone.is_naive(at):
        at = timezone.make_aware(at)
    clean["meeting_at"] = at
    if meeting != Topic.MeetingType.ONLINE and at is None and "meeting_at" not in errors:
        errors["meeting_at"] = [_("A meeting needs its time.")]
    clean["meeting_place"] = _text(data.get("meeting_place"), "meeting_place", 120, errors)
    for key in ("resident_reps", "experts", "merchants"):
        clean[key] = _count(data.get(key), key, errors)
    clean["departments"] = _text(data.get("departments"), "departments", 300, errors)
    clean["source_event"] = _linked(actor, Event, data.get("source_event"), "source_event", errors)
    clean["source_need"] = _linked(actor, Need, data.get("source_need"), "source_need", errors)
    if (
        source == Topic.Source.EVENT
        and clean["source_event"] is None
        and "source_event" not in errors
    ):
        errors["source_event"] = [_("Give the event the topic comes from.")]
    if source == Topic.Source.NEED and clean["source_need"] is None and "source_need" not in errors:
        errors["source_need"] = [_("Give the need the topic comes from.")]
    return clean


def _linked(actor, model, uid, key: str, errors: dict):
    """A record of another list named by its uid, in the actor's participation scope."""
    if not uid:
        return None
    row = model.objects.filter(uid=uid).first() if _is_uuid(uid) else None
    if row is None or not path_in_scope(actor, row.scope_path, "participation.manage"):
        errors[key] = [_("No such record in your area.")]
        return None
    return row


def _is_uuid(value) -> bool:
    import uuid

    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


TOPIC_FIELDS = (
    "title",
    "description",
    "org_unit",
    "source",
    "meeting_type",
    "is_major",
    "meeting_at",
    "meeting_place",
    "resident_reps",
    "experts",
    "merchants",
    "departments",
    "source_event",
    "source_need",
)


def topic_create(*, actor, data: dict) -> Topic:
    """A new topic in 征集中."""
    if not actor.has_permission("participation.manage"):
        raise PermissionDenied()
    errors: dict = {}
    clean = _clean_topic(actor, data, errors)
    if errors:
        raise ValidationFailed(details=errors)
    with transaction.atomic():
        topic = Topic(created_by=actor, **clean)
        topic.save()
        _log(topic, "create", actor, topic.title)
        audit_record(
            "participation.topic.create",
            actor=actor,
            target=topic,
            changes={"title": topic.title, "source": topic.source},
        )
    return topic


def topic_update(*, actor, topic: Topic, data: dict, version: int) -> Topic:
    """Change the particulars of an open topic (its schedule, participants, sources)."""
    require_in_scope(actor, topic.scope_path, "participation.manage")
    errors: dict = {}
    clean = _clean_topic(actor, data, errors)
    if errors:
        raise ValidationFailed(details=errors)
    with transaction.atomic():
        current = Topic.objects.select_for_update().get(pk=topic.pk)
        if current.version != version:
            raise _stale(current)
        if current.state not in Topic.OPEN_STATES:
            raise Conflict(_("A closed topic cannot be changed."), code="topic_closed")
        before = {k: str(getattr(current, k)) for k in TOPIC_FIELDS}
        for key, value in clean.items():
            setattr(current, key, value)
        rescheduled = before["meeting_at"] != str(current.meeting_at)
        current.version += 1
        current.save()
        changed = {
            k: [before[k], str(getattr(current, k))]
            for k in TOPIC_FIELDS
            if before[k] != str(getattr(current, k))
        }
        _log(
            current,
            "reschedule" if rescheduled else "update",
            actor,
            str(current.meeting_at or "") if rescheduled else "",
        )
        audit_record("participation.topic.update", actor=actor, target=current, changes=changed)
    return current


def topic_transition(*, actor, topic: Topic, action: str, version: int, reason: str = "") -> Topic:
    """Select, reject (with the reason) or open the discussion. A topic not taken up
    declines the proposals taken into it, with its reason (they count as decided)."""
    if action not in PLAIN_ACTIONS:
        raise ValidationFailed(details={"action": [_("Choose a valid step.")]})
    with transaction.atomic():
        current = move_topic(
            actor=actor, topic=topic, action=action, version=version, reason=reason
        )
        if action == "reject":
            Proposal.objects.filter(topic=current, state=Proposal.State.INCLUDED).update(
                state=Proposal.State.DECLINED, reason=current.reason, decided_at=timezone.now()
            )
    return current


# Documents -----------------------------------------------------------------------------

DOCUMENT_FOLDER = "topic_documents"
DOCUMENT_FIELD = "documents"


def topic_documents_add(*, actor, topic: Topic, files: list, title: str = "") -> list:
    """Add documents to an open topic through the shared attachment handler: PDFs kept as
    sent, photos re-encoded without metadata (their GPS dropped), within the policy's
    count, sizes and pages; all or nothing."""
    require_in_scope(actor, topic.scope_path, "participation.manage")
    errors: dict = {}
    title = _text(title, "title", 120, errors, required=True, label=_("document title"))
    if not files:
        errors[DOCUMENT_FIELD] = [_("Choose a file to add.")]
    if errors:
        raise ValidationFailed(details=errors)
    limits = policy_get("participation.deliberation")
    room = max(0, limits.documents_max - TopicDocument.objects.filter(topic=topic).count())
    attachments.check_uploads(
        files,
        field=DOCUMENT_FIELD,
        max_files=room,
        max_mb=limits.document_mb,
        max_pdf_mb=limits.document_pdf_mb,
        too_many=_("At most %(n)d more documents on this topic."),
    )
    prepared = [
        attachments.prepare(
            upload, field=DOCUMENT_FIELD, accept_pdf=True, max_pdf_pages=limits.document_pdf_pages
        )
        for upload in files
    ]
    with attachments.written_files(), transaction.atomic():
        current = Topic.objects.select_for_update().get(pk=topic.pk)
        if current.state not in Topic.OPEN_STATES:
            raise Conflict(_("A closed topic cannot be changed."), code="topic_closed")
        stored = []
        for n, item in enumerate(prepared, start=1):
            row = TopicDocument(
                topic=current,
                title=title if len(prepared) == 1 else f"{title} ({n})",
                uploaded_by_name=_name(actor),
            )
            kept = attachments.write(item, folder=DOCUMENT_FOLDER, uid=row.uid)
            row.kind = kept.kind
            row.content_type = kept.content_type
            row.stored_path = str(kept.path)
            row.size, row.sha256, row.pages = kept.size, kept.sha256, kept.pages
            row.save()
            stored.append(row)
        _log(current, "add_documents", actor, title)
        audit_record(
            "participation.topic.documents",
            actor=actor,
            target=current,
            changes={
                "documents": [
                    {"uid": str(d.uid), "kind": d.kind, "size": d.size, "sha256": d.sha256}
                    for d in stored
                ]
            },
        )
    return stored


def document_content(document: TopicDocument) -> bytes:
    """The plain bytes of a topic's document (a public meeting material, not personal data;
    the views check who may read the topic). A damaged file is refused."""
    return attachments.read(document.stored_path, sha256=document.sha256)


# Proposals -----------------------------------------------------------------------------


def _proposal_unit(resident: Resident, code: str, errors: dict) -> OrgUnit | None:
    units = selectors.resident_units(resident)
    if not code:
        return units[0]
    for unit in units:
        if unit.code == code:
            return unit
    errors["org_unit"] = [_("Propose to your own grid or community.")]
    return None


def proposal_create(*, actor, data: dict, on_behalf_of: str = "") -> Proposal:
    """A verified resident's proposal, or one staff with ``participation.assist`` enter on a
    resident's behalf (代办, recorded as such). ``draft`` keeps it unsubmitted."""
    if on_behalf_of:
        if not actor.has_permission("participation.assist"):
            raise PermissionDenied()
        resident = (
            Resident.objects.active().select_related("household").filter(uid=on_behalf_of).first()
            if _is_uuid(on_behalf_of)
            else None
        )
        if resident is None or not path_in_scope(
            actor, resident.scope_path, "participation.assist"
        ):
            raise NotFound()
    else:
        resident = require_resident(actor)
    errors: dict = {}
    unit = _proposal_unit(resident, str(data.get("org_unit") or ""), errors)
    title = _text(data.get("title"), "title", 120, errors, required=True, label=_("title"))
    body = _text(
        data.get("body"), "body", 4000, errors, required=True, multiline=True, label=_("proposal")
    )
    topic = None
    if data.get("topic"):
        topic = (
            selectors.resident_topic_list(resident=resident)
            .filter(
                pk=str(data["topic"]) if str(data["topic"]).isdigit() else -1,
                state=Topic.State.COLLECTING,
            )
            .first()
        )
        if topic is None:
            errors["topic"] = [
                _("Choose a topic of your grid or community that collects proposals.")
            ]
    if errors:
        raise ValidationFailed(details=errors)
    draft = str(data.get("draft") or "").lower() in {"1", "true", "on", "yes"}
    with transaction.atomic():
        proposal = Proposal.objects.create(
            org_unit=unit,
            topic=topic,
            author=resident,
            entered_by=actor,
            on_behalf=bool(on_behalf_of),
            title=title,
            body=body,
            state=Proposal.State.DRAFT if draft else _submitted_state(topic),
            submitted_at=None if draft else timezone.now(),
        )
        audit_record(
            "participation.proposal.create",
            actor=actor,
            target=proposal,
            changes={"on_behalf": proposal.on_behalf, "state": proposal.state},
        )
    return proposal


def _submitted_state(topic) -> str:
    return Proposal.State.INCLUDED if topic is not None else Proposal.State.SUBMITTED


def proposal_submit(*, actor, proposal: Proposal) -> Proposal:
    resident = require_resident(actor)
    with transaction.atomic():
        current = Proposal.objects.select_for_update().get(pk=proposal.pk)
        if current.author_id != resident.pk:
            raise NotFound()
        if current.state != Proposal.State.DRAFT:
            raise Conflict(
                _("This proposal has already been submitted."), code="illegal_transition"
            )
        current.state = _submitted_state(current.topic)
        current.submitted_at = timezone.now()
        current.version += 1
        current.save()
        audit_record(
            "participation.proposal.submit",
            actor=actor,
            target=current,
            changes={"state": current.state},
        )
    return current


def proposal_cosign(*, actor, proposal_uid) -> Proposal:
    """附议: once per resident; not one's own proposal; a hidden or closed one refuses."""
    resident = require_resident(actor)
    proposal = selectors.resident_proposal_get(resident=resident, uid=proposal_uid)
    threshold = policy_get("participation.deliberation").cosign_threshold
    with transaction.atomic():
        current = Proposal.objects.select_for_update().get(pk=proposal.pk)
        if current.author_id == resident.pk:
            raise Conflict(_("You cannot co-sign your own proposal."), code="own_proposal")
        closed_topic = (
            current.state == Proposal.State.INCLUDED
            and current.topic is not None
            and current.topic.state not in DISCUSSABLE
        )
        if current.hidden_at is not None or current.state not in COSIGNABLE or closed_topic:
            raise Conflict(_("This proposal no longer takes co-signatures."), code="not_cosignable")
        try:
            with transaction.atomic():
                CoSignature.objects.create(proposal=current, resident=resident)
        except IntegrityError as exc:
            raise Conflict(
                _("You have already co-signed this proposal."), code="already_cosigned"
            ) from exc
        current.cosign_count = current.cosignatures.count()
        if current.state == Proposal.State.SUBMITTED and current.cosign_count >= threshold:
            current.state = Proposal.State.SECONDED
        current.version += 1
        current.save()
        audit_record(
            "participation.proposal.cosign",
            actor=actor,
            target=current,
            changes={"cosign_count": current.cosign_count, "state": current.state},
        )
    return current


def _staff_proposal(actor, proposal: Proposal, version: int) -> Proposal:
    require_in_scope(actor, proposal.scope_path, "participation.manage")
    current = Proposal.objects.select_for_update().get(pk=proposal.pk)
    if current.version != version:
        raise _stale(current)
    return current


def proposal_hide(*, actor, proposal: Proposal, reason: str, version: int) -> Proposal:
    """Moderation: the proposal leaves the residents' pages; its author still sees it and
    the reason."""
    errors: dict = {}
    reason = _text(reason, "reason", 500, errors, required=True, label=_("reason"))
    if errors:
        raise ValidationFailed(details=errors)
    with transaction.atomic():
        current = _staff_proposal(actor, proposal, version)
        if current.hidden_at is not None:
            raise Conflict(_("This proposal is already hidden."), code="already_hidden")
        current.hidden_at = timezone.now()
        current.hidden_reason = reason
        current.hidden_by_name = _name(actor)
        current.version += 1
        current.save()
        audit_record(
            "participation.proposal.hide", actor=actor, target=current, changes={"reason": reason}
        )
    return current


def proposal_decline(*, actor, proposal: Proposal, reason: str, version: int) -> Proposal:
    """不予采纳 with the reason (counted as decided by 居民意见采纳率)."""
    errors: dict = {}
    reason = _text(reason, "reason", 500, errors, required=True, label=_("reason"))
    if errors:
        raise ValidationFailed(details=errors)
    with transaction.atomic():
        current = _staff_proposal(actor, proposal, version)
        if current.state not in COSIGNABLE:
            raise Conflict(
                _("Only a submitted proposal can be declined."), code="illegal_transition"
            )
        current.state = Proposal.State.DECLINED
        current.reason = reason
        current.decided_at = timezone.now()
        current.version += 1
        current.save()
        audit_record(
            "participation.proposal.decline",
            actor=actor,
            target=current,
            changes={"reason": reason},
        )
    return current


def proposal_include(
    *, actor, proposal: Proposal, version: int, topic: Topic | None = None
) -> Proposal:
    """纳入议题: a co-signed proposal becomes a new topic in 征集中, or joins an open topic of
    its grid or of the community containing it."""
    with transaction.atomic():
        current = _staff_proposal(actor, proposal, version)
        if current.state != Proposal.State.SECONDED or current.hidden_at is not None:
            raise Conflict(
                _("Only a co-signed proposal can be taken into a topic."), code="illegal_transition"
            )
        if topic is None:
            topic = Topic(
                org_unit=current.org_unit,
                title=current.title,
                description=current.body,
                source=Topic.Source.PROPOSAL,
                created_by=actor,
            )
            topic.save()
            _log(topic, "create", actor, current.title)
            audit_record(
                "participation.topic.create",
                actor=actor,
                target=topic,
                changes={
                    "title": topic.title,
                    "source": topic.source,
                    "proposal": str(current.uid),
                },
            )
        else:
            require_in_scope(actor, topic.scope_path, "participation.manage")
            if (
                not current.scope_path.startswith(topic.scope_path)
                or topic.state not in DISCUSSABLE
            ):
                raise ValidationFailed(
                    details={
                        "topic": [_("Choose an open topic of the proposal's grid or community.")]
                    }
                )
            _log(topic, "add_proposal", actor, current.title)
        current.topic = topic
        current.state = Proposal.State.INCLUDED
        current.version += 1
        current.save()
        audit_record(
            "participation.proposal.include",
            actor=actor,
            target=current,
            changes={"topic": topic.pk},
        )
    return current


# Discussion ----------------------------------------------------------------------------


def comment_create(*, actor, topic_pk, body: str) -> Comment:
    resident = require_resident(actor)
    topic = selectors.resident_topic_get(resident=resident, pk=topic_pk)
    errors: dict = {}
    body = _text(body, "body", 2000, errors, required=True, multiline=True, label=_("comment"))
    if errors:
        raise ValidationFailed(details=errors)
    if topic.state not in DISCUSSABLE:
        raise Conflict(_("The discussion of this topic is closed."), code="discussion_closed")
    with transaction.atomic():
        comment = Comment.objects.create(topic=topic, author=resident, body=body)
        audit_record(
            "participation.comment.create",
            actor=actor,
            target=topic,
            changes={"comment": str(comment.uid)},
        )
    return comment


def comment_remove(*, actor, comment: Comment, reason: str) -> Comment:
    """Moderation: the comment stays on the record as "removed by the moderator: reason"."""
    require_in_scope(actor, comment.topic.scope_path, "participation.manage")
    errors: dict = {}
    reason = _text(reason, "reason", 300, errors, required=True, label=_("reason"))
    if errors:
        raise ValidationFailed(details=errors)
    with transaction.atomic():
        current = Comment.objects.select_for_update().get(pk=comment.pk)
        if current.removed_at is not None:
            raise Conflict(_("This comment has already been removed."), code="already_removed")
        current.removed_at = timezone.now()
        current.removed_reason = reason
        current.removed_by_name = _name(actor)
        current.save()
        _log(current.topic, "remove_comment", actor, reason)
        audit_record(
            "participation.comment.remove",
            actor=actor,
            target=current.topic,
            changes={"comment": str(current.uid), "reason": reason},
        )
    return current


# Decision and report-back --------------------------------------------------------------


def decision_record(*, actor, topic: Topic, data: dict, version: int) -> Decision:
    """决议: the outcome (a reason when not adopted), the linked project or event; the topic
    moves to 已决议; its proposals are adopted or not, and each adopted author is credited
    (``proposal_adopted``)."""
    require_in_scope(actor, topic.scope_path, "participation.manage")
    errors: dict = {}
    outcome = str(data.get("outcome") or "")
    if outcome not in Decision.Outcome.values:
        errors["outcome"] = [_("Choose the outcome.")]
    summary = _text(data.get("summary"), "summary", 4000, errors, multiline=True)
    reason = _text(data.get("reason"), "reason", 500, errors)
    if outcome == Decision.Outcome.NOT_ADOPTED and not reason and "reason" not in errors:
        errors["reason"] = [_("Give the reason the topic was not adopted.")]
    project = _linked(actor, Project, data.get("project"), "project", errors)
    event = _linked(actor, Event, data.get("event"), "event", errors)
    if errors:
        raise ValidationFailed(details=errors)
    now = timezone.now()
    due = timezone.localdate(now) + timedelta(
        days=policy_get("participation.deliberation").report_back_days
    )
    adopting = outcome in Decision.ADOPTING
    with transaction.atomic():
        current = move_topic(
            actor=actor,
            topic=topic,
            action="decide",
            version=version,
            reason=reason or summary[:500],
        )
        decision = Decision.objects.create(
            topic=current,
            outcome=outcome,
            summary=summary,
            reason=reason,
            project=project,
            event=event,
            report_due=due,
            decided_at=now,
            decided_by_name=_name(actor),
        )
        proposals = list(
            Proposal.objects.select_for_update()
            .filter(topic=current, state=Proposal.State.INCLUDED, hidden_at__isnull=True)
            .select_related("author")
        )
        for proposal in proposals:
            proposal.state = Proposal.State.ADOPTED if adopting else Proposal.State.DECLINED
            proposal.decided_at = now
            if not adopting:
                proposal.reason = reason
            proposal.version += 1
            proposal.save()
        audit_record(
            "participation.decision.record",
            actor=actor,
            target=current,
            changes={
                "outcome": outcome,
                "proposals": len(proposals),
                "report_due": due.isoformat(),
            },
        )
        if adopting:
            for proposal in proposals:
                proposal_adopted.send(sender=Proposal, resident=proposal.author, source=proposal)
    return decision


def decision_implementation(*, actor, topic: Topic, implementation: str, version: int) -> Decision:
    """The implementation status; the first step beyond "not started" moves the topic to
    落实中, "done" marks its adopted proposals 已落实."""
    require_in_scope(actor, topic.scope_path, "participation.manage")
    if implementation not in Decision.Implementation.values:
        raise ValidationFailed(details={"implementation": [_("Choose the implementation status.")]})
    decision = Decision.objects.filter(topic=topic).first()
    if decision is None:
        raise Conflict(_("The topic has no decision yet."), code="no_decision")
    with transaction.atomic():
        current = Topic.objects.select_for_update().get(pk=topic.pk)
        if current.version != version:
            raise _stale(current)
        before = decision.implementation
        decision.implementation = implementation
        decision.save()
        if (
            current.state == Topic.State.DECIDED
            and implementation != Decision.Implementation.NOT_STARTED
        ):
            current = move_topic(
                actor=actor, topic=current, action="implement", version=current.version
            )
        else:
            current.version += 1
            current.save()
            _log(current, "implementation", actor, implementation)
        if implementation == Decision.Implementation.DONE:
            Proposal.objects.filter(topic=current, state=Proposal.State.ADOPTED).update(
                state=Proposal.State.IMPLEMENTED
            )
        audit_record(
            "participation.decision.implementation",
            actor=actor,
            target=current,
            changes={"implementation": [before, implementation]},
        )
    return decision


def report_back(*, actor, topic: Topic, text: str, version: int) -> Decision:
    """The public report-back 反馈: the topic moves to 已反馈."""
    require_in_scope(actor, topic.scope_path, "participation.manage")
    errors: dict = {}
    text = _text(
        text, "report_text", 4000, errors, required=True, multiline=True, label=_("report-back")
    )
    if errors:
        raise ValidationFailed(details=errors)
    decision = Decision.objects.filter(topic=topic).first()
    if decision is None:
        raise Conflict(_("The topic has no decision yet."), code="no_decision")
    with transaction.atomic():
        move_topic(
            actor=actor, topic=topic, action="report_back", version=version, reason=text[:500]
        )
        decision.report_text = text
        decision.reported_at = timezone.now()
        decision.save()
        audit_record(
            "participation.decision.report_back",
            actor=actor,
            target=Topic.objects.get(pk=topic.pk),
            changes={"reported_at": decision.reported_at.isoformat()},
        )
    return decision


# Notices -------------------------------------------------------------------------------


NOTICE_STATES = (Topic.State.SELECTED, Topic.State.DISCUSSING, Topic.State.VOTING)


def notices_send_due(*, now: datetime | None = None) -> int:
    """Tell every eligible resident of each topic whose notice is due (the policy's days
    before its meeting, or at selection for online-only topics), once per resident and
    topic; the meeting must still lie ahead. Returns how many were told."""
    now = now or timezone.now()
    told = 0
    for topic in Topic.objects.filter(state__in=NOTICE_STATES).select_related("org_unit"):
        due = selectors.notice_due_at(topic)
        if due is None or due > now or (topic.meeting_at is not None and topic.meeting_at < now):
            continue
        already = set(TopicNotice.objects.filter(topic=topic).values_list("resident_id", flat=True))
        residents = [
            r
            for r in selectors.eligible_residents(topic, timezone.localdate(now))
            if r.pk not in already
        ]
        if not residents:
            continue
        with transaction.atomic():
            TopicNotice.objects.bulk_create(
                [TopicNotice(topic=topic, resident=r) for r in residents], ignore_conflicts=True
            )
            when = (
                timezone.localtime(topic.meeting_at).strftime("%Y-%m-%d %H:%M")
                if topic.meeting_at
                else _("online")
            )
            message = _("Deliberation topic “%(title)s” (%(unit)s): %(when)s %(place)s") % {
                "title": topic.title,
                "unit": topic.org_unit.name,
                "when": when,
                "place": topic.meeting_place,
            }
            for resident in residents:
                notifications.send_external(recipient=f"resident:{resident.uid}", message=message)
            audit_record(
                "participation.topic.notify",
                actor=SystemActor("participation_notices"),
                target=topic,
                changes={"residents": len(residents)},
            )
        told += len(residents)
    return told
