"""Writes of votes 表决 (docs/participation.md, *Votes*): set-up, opening with the frozen
electorate, casting online, paper voters and paper ballots with a second person's check,
closing with the result, and the residents' representatives who form one electorate.

Every write checks permission and scope, validates with a message per field, runs in one
transaction and writes one audit record. One vote per elector: the cast locks the elector
row (``select_for_update``), and the turnout table's unique elector refuses a second row in
the database whatever happens above it. Closing locks the vote and all its elector rows,
so a cast either commits before the count or finds the vote closed.

A secret ballot is stored twice, apart: the turnout (elector, voter, when, channel) and the
ballot (option, the receipt code's hash, the day only, a random id). Nothing links them —
no key, no shared time, no order — so the choice of a voter cannot be queried.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import date, datetime
from fractions import Fraction
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from gridgov.audit.services import SystemActor, audit_record
from gridgov.core.errors import Conflict, PermissionDenied, ValidationFailed
from gridgov.core.policies import policy_in_force
from gridgov.core.scoping import require_in_scope
from gridgov.core.text import TextInvalid, normalise_text
from gridgov.org.models import OrgUnit
from gridgov.participation import signals
from gridgov.participation.models import (
    Ballot,
    Elector,
    PaperBallot,
    Representative,
    Topic,
    TopicLog,
    Turnout,
    Vote,
)
from gridgov.participation.workflow import move_topic
from gridgov.people.models import Household, Resident
from gridgov.residents.selectors import require_resident

SYSTEM = SystemActor("participation-votes")
MANAGE = "participation.manage"
MAX_OPTIONS = 20
# Receipt codes: no 0/O, 1/I/L — read aloud or copied from paper without doubt.
RECEIPT_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def _name(actor) -> str:
    if isinstance(actor, SystemActor):
        return f"system:{actor.name}"
    return actor.get_username()


def _text(value: Any, key: str, max_length: int, errors: dict, label: str) -> str:
    try:
        text = normalise_text(str(value or ""), max_length=max_length)
    except TextInvalid as exc:
        errors[key] = [exc.message]
        return ""
    if not text:
        errors[key] = [_("Enter the %(field)s.") % {"field": label}]
    return text


def _when(value: Any, key: str, errors: dict, label: str) -> datetime | None:
    if isinstance(value, datetime):
        moment = value
    else:
        moment = parse_datetime(str(value or "").strip()) if value else None
        if moment is None:
            errors[key] = [
                _("Give the %(field)s as a date and time (2026-05-01 09:00).") % {"field": label}
            ]
            return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def adult_birth_limit(today: date, age: int) -> date:
    """The latest birth date of a resident who is ``age`` today (29 February → 28th)."""
    try:
        return today.replace(year=today.year - age)
    except ValueError:
        return today.replace(year=today.year - age, day=28)


# Set-up ------------------------------------------------------------------------------------


def _clean(data: dict, errors: dict, *, now: datetime) -> dict:
    policy = policy_in_force("participation.votes").value
    clean: dict[str, Any] = {}
    clean["question"] = _text(
        data.get("question"), "question", 300, errors, _("question put to the vote")
    )
    raw = data.get("options")
    if isinstance(raw, str):
        raw = [line for line in raw.splitlines()]
    options: list[str] = []
    for item in raw or []:
        try:
            text = normalise_text(str(item or ""), max_length=100)
        except TextInvalid as exc:
            errors["options"] = [exc.message]
            break
        if text:
            options.append(text)
    if "options" not in errors:
        if len(options) < 2:
            errors["options"] = [_("Give at least two options, one per line.")]
        elif len(options) > MAX_OPTIONS:
            errors["options"] = [_("Give at most %(n)s options.") % {"n": MAX_OPTIONS}]
        elif len(set(options)) != len(options):
            errors["options"] = [_("Each option must be different.")]
    clean["options"] = options
    for key, model_choices, default, label in [
        ("kind", Vote.Kind, Vote.Kind.BINDING, _("kind")),
        ("secrecy", Vote.Secrecy, policy.default_secrecy, _("ballot")),
        ("electorate_form", Vote.Electorate, policy.default_electorate, _("electorate")),
        ("method", Vote.Method, policy.default_method, _("method")),
    ]:
        value = data.get(key) or default
        if value not in model_choices.values:
            errors[key] = [_("Choose a valid %(field)s.") % {"field": label}]
        clean[key] = value
    opens = _when(data.get("opens_at") or now, "opens_at", errors, _("opening time"))
    closes = _when(data.get("closes_at"), "closes_at", errors, _("closing time"))
    if opens and closes:
        if closes <= opens:
            errors["closes_at"] = [_("The vote must close after it opens.")]
        elif closes <= now:
            errors["closes_at"] = [_("The closing time must be in the future.")]
    clean["opens_at"], clean["closes_at"] = opens, closes
    return clean


def _rules() -> tuple[dict, int]:
    force = policy_in_force("participation.votes")
    value = force.value
    return (
        {
            "quorum_share": value.quorum_share,
            "majority_share": value.majority_share,
            "advisory_quorum": value.advisory_quorum,
            "voting_age": value.voting_age,
        },
        force.version,
    )


def vote_create(*, actor, topic: Topic, data: dict, now: datetime | None = None) -> Vote:
    """Set up a vote on a topic being deliberated (已立项 or 讨论中); it opens later."""
    now = now or timezone.now()
    require_in_scope(actor, topic.scope_path, MANAGE)
    errors: dict[str, list[str]] = {}
    clean = _clean(data, errors, now=now)
    if errors:
        raise ValidationFailed(details=errors)
    with transaction.atomic():
        current = Topic.objects.select_for_update().get(pk=topic.pk)
        if current.state not in (Topic.State.SELECTED, Topic.State.DISCUSSING):
            raise Conflict(
                _("A vote can be set up only on a topic selected or under discussion."),
                code="illegal_transition",
            )
        if current.votes.filter(closed_at__isnull=True).exists():
            raise Conflict(
                _("This topic already has a vote that is not closed."), code="vote_exists"
            )
        rules, version = _rules()
        vote = Vote.objects.create(
            topic=current, created_by=actor, rules=rules, policy_version=version, **clean
        )
        audit_record(
            "participation.vote.create",
            actor=actor,
            target=vote,
            changes={k: v for k, v in clean.items() if k not in ("opens_at", "closes_at")},
        )
    return vote


def vote_update(*, actor, vote: Vote, data: dict, version: int, now=None) -> Vote:
    """Change a vote still being prepared (``version``: the one read)."""
    now = now or timezone.now()
    require_in_scope(actor, vote.scope_path, MANAGE)
    errors: dict[str, list[str]] = {}
    clean = _clean(data, errors, now=now)
    if errors:
        raise ValidationFailed(details=errors)
    with transaction.atomic():
        current = Vote.objects.select_for_update().get(pk=vote.pk)
        if current.version != version:
            raise Conflict()
        if current.state != Vote.State.DRAFT:
            raise Conflict(_("An open or closed vote cannot be changed."), code="vote_not_draft")
        for key, value in clean.items():
            setattr(current, key, value)
        current.version += 1
        current.save()
        audit_record(
            "participation.vote.update",
            actor=actor,
            target=current,
            changes={"question": clean["question"], "options": clean["options"]},
        )
    return current


# The electorate ----------------------------------------------------------------------------


def eligible_residents(unit_path: str, on: date, age: int = 18):
    """Residents who may vote in ``unit_path`` on ``on``: active, living here, adult."""
    return Resident.objects.filter(
        archived_at__isnull=True,
        residence=Resident.Residence.PRESENT,
        birth_date__lte=adult_birth_limit(on, age),
        scope_path__startswith=unit_path,
    )


def electorate_rows(vote: Vote, on: date) -> list[Elector]:
    age = vote.rules.get("voting_age", 18)
    people = eligible_residents(vote.scope_path, on, age)
    if vote.electorate_form == Vote.Electorate.HOUSEHOLDS:
        households = (
            Household.objects.filter(
                pk__in=people.values("household_id"), scope_path__startswith=vote.scope_path
            )
            .order_by("pk")
            .values_list("pk", "scope_path")
        )
        return [Elector(vote=vote, household_id=pk, scope_path=path) for pk, path in households]
    if vote.electorate_form == Vote.Electorate.REPRESENTATIVES:
        people = people.filter(
            representative_terms__ended_at__isnull=True,
            representative_terms__community__path__in=_community_paths(vote.scope_path),
        ).distinct()
    return [
        Elector(vote=vote, resident_id=pk, scope_path=path)
        for pk, path in people.order_by("pk").values_list("pk", "scope_path")
    ]


def _community_paths(path: str) -> list[str]:
    """The communities a unit lies in or holds (a grid's community, a street's communities)."""
    return list(
        OrgUnit.objects.filter(level="community")
        .filter(path__in=[path[:n] for n in range(1, len(path) + 1)])
        .values_list("path", flat=True)
    ) + list(
        OrgUnit.objects.filter(level="community", path__startswith=path).values_list(
            "path", flat=True
        )
    )


def vote_open(*, actor, vote: Vote, version: int, now: datetime | None = None) -> Vote:
    """Open the vote: the topic moves to 表决中 and the electorate is read from the
    registry now and frozen (a resident moving in later does not vote)."""
    now = now or timezone.now()
    require_in_scope(actor, vote.scope_path, MANAGE)
    with transaction.atomic():
        current = Vote.objects.select_for_update().get(pk=vote.pk)
        if current.version != version:
            raise Conflict()
        if current.state != Vote.State.DRAFT:
            raise Conflict(_("This vote has already been opened."), code="vote_not_draft")
        if current.closes_at <= now:
            raise Conflict(
                _("The closing time has passed: change it before opening."), code="vote_expired"
            )
        electors = electorate_rows(current, timezone.localdate(now))
        if not electors:
            raise Conflict(
                _("Nobody is eligible to vote in this unit: check the registry or the electorate."),
                code="empty_electorate",
            )
        topic = current.topic
        move_topic(actor=actor, topic=topic, action="open_vote", version=topic.version)
        Elector.objects.bulk_create(electors, batch_size=2000)
        current.state = Vote.State.OPEN
        current.opened_at = now
        current.electorate_size = len(electors)
        current.version += 1
        current.save()
        audit_record(
            "participation.vote.open",
            actor=actor,
            target=current,
            changes={"electorate_form": current.electorate_form, "electorate": len(electors)},
        )
    return current


# Casting -----------------------------------------------------------------------------------


def receipt_hash(vote: Vote, code: str) -> str:
    normal = "".join(c for c in code.upper() if c.isalnum())
    return hashlib.sha256(f"{vote.uid}:{normal}".encode()).hexdigest()


def new_receipt_code() -> str:
    raw = "".join(secrets.choice(RECEIPT_ALPHABET) for _i in range(12))
    return "-".join(raw[i : i + 4] for i in range(0, 12, 4))


def _refuse_closed(vote: Vote, now: datetime) -> None:
    if vote.state == Vote.State.CLOSED or now >= vote.closes_at:
        raise Conflict(_("This vote is closed."), code="vote_closed")
    if vote.state == Vote.State.DRAFT or now < vote.opens_at:
        raise Conflict(_("This vote is not open yet."), code="vote_not_open")


def _elector_for(vote: Vote, resident: Resident) -> Elector | None:
    if vote.electorate_form == Vote.Electorate.HOUSEHOLDS:
        return Elector.objects.filter(vote=vote, household_id=resident.household_id).first()
    return Elector.objects.filter(vote=vote, resident=resident).first()


def _still_eligible(vote: Vote, resident: Resident, now: datetime) -> bool:
    """Checked again at casting: still active, still living in the vote's unit, adult."""
    resident = Resident.objects.get(pk=resident.pk)
    limit = adult_birth_limit(timezone.localdate(now), vote.rules.get("voting_age", 18))
    return (
        resident.archived_at is None
        and resident.residence == Resident.Residence.PRESENT
        and resident.scope_path.startswith(vote.scope_path)
        and resident.birth_date <= limit
    )


def _not_in_electorate() -> PermissionDenied:
    return PermissionDenied(
        _(
            "You are not in the electorate of this vote: it was fixed from the registry when "
            "the vote opened, and you must still live in its area."
        ),
        code="not_in_electorate",
    )


def _choice(vote: Vote, choice: Any) -> int:
    try:
        index = int(choice)
    except (TypeError, ValueError):
        index = -1
    if not 0 <= index < len(vote.options):
        raise Conflict(
            _("This option is not one of the vote's: reload the ballot."), code="stale_ballot"
        )
    return index


def vote_cast(
    *, actor, vote: Vote, choice: Any, version: int, now: datetime | None = None
) -> tuple[Turnout, str]:
    """A resident casts their ballot online: (the turnout, the receipt code shown once)."""
    now = now or timezone.now()
    resident = require_resident(actor)
    if version != vote.version:
        raise Conflict(
            _("The vote changed since the ballot was shown: reload it."), code="stale_ballot"
        )
    _refuse_closed(vote, now)
    if not vote.allows_online:
        raise Conflict(_("This vote is held on paper only."), code="paper_only")
    index = _choice(vote, choice)
    elector = _elector_for(vote, resident)
    if elector is None or not _still_eligible(vote, resident, now):
        raise _not_in_electorate()
    code = new_receipt_code()
    try:
        with transaction.atomic():
            Elector.objects.select_for_update().get(pk=elector.pk)
            current = Vote.objects.get(pk=vote.pk)
            if current.version != version:
                raise Conflict(
                    _("The vote changed since the ballot was shown: reload it."),
                    code="stale_ballot",
                )
            _refuse_closed(current, now)
            if Turnout.objects.filter(elector=elector).exists():
                raise _already_voted(vote)
            turnout = Turnout.objects.create(
                vote=current,
                elector=elector,
                resident=resident,
                channel=Turnout.Channel.ONLINE,
                at=now,
                open_choice=index if current.secrecy == Vote.Secrecy.OPEN else None,
            )
            Ballot.objects.create(
                vote=current,
                choice=index,
                channel=Ballot.Channel.ONLINE,
                receipt_hash=receipt_hash(current, code),
                day=timezone.localdate(now),
            )
            audit_record(
                "participation.vote.cast",
                actor=actor,
                target=current,
                changes={"channel": "online"},
            )
            signals.vote_cast.send(sender=Vote, resident=resident, source=turnout)
    except IntegrityError as exc:
        raise _already_voted(vote) from exc
    return turnout, code


def _already_voted(vote: Vote) -> Conflict:
    if vote.electorate_form == Vote.Electorate.HOUSEHOLDS:
        return Conflict(_("Your household has already voted in this vote."), code="already_voted")
    return Conflict(_("You have already voted in this vote."), code="already_voted")


def receipt_counted(vote: Vote, code: str) -> bool:
    """Whether a ballot with this receipt code is among the vote's ballots."""
    if not code or not code.strip():
        return False
    return Ballot.objects.filter(vote=vote, receipt_hash=receipt_hash(vote, code)).exists()


# Paper -------------------------------------------------------------------------------------


def _paper_open(vote: Vote, now: datetime) -> None:
    if not vote.allows_paper:
        raise Conflict(_("This vote is held online only."), code="online_only")
    if vote.state != Vote.State.OPEN:
        raise Conflict(_("Paper ballots are entered while the vote is open."), code="vote_closed")


def paper_turnout(*, actor, vote: Vote, resident: Resident, now=None) -> Turnout:
    """Record from the signed register that ``resident`` (or their household) voted on
    paper; from then on they cannot vote online."""
    now = now or timezone.now()
    require_in_scope(actor, vote.scope_path, MANAGE)
    _paper_open(vote, now)
    elector = _elector_for(vote, resident)
    if elector is None or not _still_eligible(vote, resident, now):
        raise _not_in_electorate()
    try:
        with transaction.atomic():
            Elector.objects.select_for_update().get(pk=elector.pk)
            if Vote.objects.get(pk=vote.pk).state != Vote.State.OPEN:
                raise Conflict(_("This vote is closed."), code="vote_closed")
            if Turnout.objects.filter(elector=elector).exists():
                raise _already_voted(vote)
            turnout = Turnout.objects.create(
                vote=vote,
                elector=elector,
                resident=resident,
                channel=Turnout.Channel.PAPER,
                recorded_by_name=_name(actor),
                at=now,
            )
            audit_record(
                "participation.vote.paper_turnout",
                actor=actor,
                target=vote,
                changes={"resident": str(resident.uid)},
            )
            signals.vote_cast.send(sender=Vote, resident=resident, source=turnout)
    except IntegrityError as exc:
        raise _already_voted(vote) from exc
    return turnout


def paper_enter(*, actor, vote: Vote, choice: Any, now=None) -> PaperBallot:
    """Enter one paper ballot sheet; it counts once another member of staff confirms it."""
    now = now or timezone.now()
    require_in_scope(actor, vote.scope_path, MANAGE)
    _paper_open(vote, now)
    try:
        index = int(choice)
    except (TypeError, ValueError):
        index = -1
    if not 0 <= index < len(vote.options):
        raise ValidationFailed(details={"choice": [_("Choose one of the vote's options.")]})
    with transaction.atomic():
        paper = PaperBallot.objects.create(
            vote=vote, choice=index, entered_by=actor, entered_day=timezone.localdate(now)
        )
        audit_record(
            "participation.vote.paper_enter", actor=actor, target=vote, changes={"sheet": paper.pk}
        )
    return paper


def paper_check(
    *, actor, paper: PaperBallot, confirm: bool, reason: str = "", now=None
) -> PaperBallot:
    """Confirm (it is counted) or reject (with the reason) a paper ballot entered by
    someone else. The person who entered it cannot confirm it."""
    now = now or timezone.now()
    vote = paper.vote
    require_in_scope(actor, vote.scope_path, MANAGE)
    if not confirm and not reason.strip():
        raise ValidationFailed(details={"reason": [_("Give a reason.")]})
    with transaction.atomic():
        current_vote = Vote.objects.select_for_update().get(pk=vote.pk)
        current = PaperBallot.objects.select_for_update().get(pk=paper.pk)
        if current.state != PaperBallot.State.ENTERED:
            raise Conflict(_("This paper ballot was already checked."), code="already_checked")
        if current.entered_by_id == actor.pk:
            raise PermissionDenied(
                _("Another member of staff must check the paper ballot you entered."),
                code="same_person",
            )
        if current_vote.state != Vote.State.OPEN:
            raise Conflict(_("This vote is closed."), code="vote_closed")
        if confirm:
            counted = Ballot.objects.filter(vote=vote, channel=Ballot.Channel.PAPER).count()
            voters = Turnout.objects.filter(vote=vote, channel=Turnout.Channel.PAPER).count()
            if counted >= voters:
                raise Conflict(
                    _(
                        "There would be more paper ballots than paper voters recorded: record "
                        "the voters from the signed register first."
                    ),
                    code="more_ballots_than_voters",
                )
            Ballot.objects.create(
                vote=vote,
                choice=current.choice,
                channel=Ballot.Channel.PAPER,
                day=timezone.localdate(now),
            )
        current.state = PaperBallot.State.CONFIRMED if confirm else PaperBallot.State.REJECTED
        current.checked_by = actor
        current.checked_day = timezone.localdate(now)
        current.reason = reason.strip()[:300]
        current.save()
        audit_record(
            "participation.vote.paper_check",
            actor=actor,
            target=vote,
            changes={"sheet": current.pk, "state": current.state},
        )
    return current


# Closing -----------------------------------------------------------------------------------


def more_than(count: int, share: float, of: int) -> bool:
    """``count`` is more than ``share`` of ``of``, exactly (no float rounding)."""
    return Fraction(count) > Fraction(str(share)) * of


def tally(vote: Vote, counts: list[int], voters: int) -> dict:
    """The result of a vote from its counts: turnout, quorum, majority, outcome."""
    rules = vote.rules
    ballots = sum(counts)
    top = max(counts) if counts else 0
    leaders = [i for i, n in enumerate(counts) if n == top]
    quorum_met = more_than(voters, rules.get("quorum_share", 0.5), vote.electorate_size)
    if vote.kind == Vote.Kind.BINDING:
        quorum_applies = True
        majority = ballots > 0 and more_than(top, rules.get("majority_share", 0.5), ballots)
    else:
        quorum_applies = bool(rules.get("advisory_quorum"))
        majority = ballots > 0 and len(leaders) == 1
    if quorum_applies and not quorum_met:
        outcome = Vote.Outcome.NO_QUORUM
    elif majority:
        outcome = Vote.Outcome.PASSED
    else:
        outcome = Vote.Outcome.FAILED
    return {
        "counts": counts,
        "ballots": ballots,
        "voters": voters,
        "electorate": vote.electorate_size,
        "turnout": round(voters / vote.electorate_size, 4) if vote.electorate_size else None,
        "quorum_applies": quorum_applies,
        "quorum_met": quorum_met,
        "majority_reached": bool(majority),
        "winner": leaders[0] if majority else None,
        "outcome": str(outcome),
    }


def vote_close(*, actor, vote: Vote, version: int | None, now: datetime | None = None) -> Vote:
    """Close and count: the result is stored once; the topic then waits for its decision."""
    now = now or timezone.now()
    if not isinstance(actor, SystemActor):
        require_in_scope(actor, vote.scope_path, MANAGE)
    with transaction.atomic():
        current = Vote.objects.select_for_update().get(pk=vote.pk)
        if version is not None and current.version != version:
            raise Conflict()
        if current.state != Vote.State.OPEN:
            raise Conflict(_("Only an open vote can be closed."), code="vote_not_open")
        if PaperBallot.objects.filter(vote=current, state=PaperBallot.State.ENTERED).exists():
            raise Conflict(
                _("Paper ballots are waiting for confirmation: check them before closing."),
                code="paper_unchecked",
            )
        # Every cast holding its elector's lock commits before the count.
        list(Elector.objects.select_for_update().filter(vote=current).values_list("pk"))
        by_choice = dict(
            Ballot.objects.filter(vote=current)
            .values_list("choice")
            .annotate(n=Count("pk"))
            .order_by()
        )
        counts = [by_choice.get(i, 0) for i in range(len(current.options))]
        voters = Turnout.objects.filter(vote=current).count()
        result = tally(current, counts, voters)
        current.result = result
        current.outcome = result["outcome"]
        current.quorum_met = result["quorum_met"]
        current.majority_reached = result["majority_reached"]
        current.state = Vote.State.CLOSED
        current.closed_at = now
        current.closed_by_name = _name(actor)
        current.version += 1
        current.save()
        TopicLog.objects.create(
            topic=current.topic,
            # One action per outcome, so the timeline names it in the reader's language.
            action=f"vote_{result['outcome']}",
            from_state=current.topic.state,
            to_state=current.topic.state,
            note=f"{voters}/{current.electorate_size}",
            actor_name=_name(actor),
        )
        audit_record(
            "participation.vote.close",
            actor=actor,
            target=current,
            changes={k: result[k] for k in ("counts", "voters", "electorate", "outcome")},
        )
    return current


def votes_close_due(*, now: datetime | None = None) -> int:
    """The job: close every open vote whose closing time has passed (those with paper
    ballots still to confirm wait for staff). Returns how many were closed."""
    now = now or timezone.now()
    closed = 0
    for vote in Vote.objects.filter(state=Vote.State.OPEN, closes_at__lte=now):
        try:
            vote_close(actor=SYSTEM, vote=vote, version=None, now=now)
            closed += 1
        except Conflict:
            continue
    return closed


# Residents' representatives ----------------------------------------------------------------


def representative_designate(*, actor, community: OrgUnit, resident: Resident) -> Representative:
    require_in_scope(actor, community.path, MANAGE)
    if community.level != "community":
        raise ValidationFailed(details={"community": [_("Choose a community.")]})
    if resident.archived_at is not None or not resident.scope_path.startswith(community.path):
        raise ValidationFailed(
            details={"resident": [_("Choose an active resident living in this community.")]}
        )
    with transaction.atomic():
        if Representative.objects.filter(
            community=community, resident=resident, ended_at__isnull=True
        ).exists():
            raise Conflict(
                _("This resident is already a representative."), code="already_representative"
            )
        rep = Representative.objects.create(
            community=community, resident=resident, designated_by_name=_name(actor)
        )
        audit_record(
            "participation.representative.designate",
            actor=actor,
            target=rep,
            changes={"resident": str(resident.uid)},
        )
    return rep


def representative_end(*, actor, representative: Representative, now=None) -> Representative:
    require_in_scope(actor, representative.scope_path, MANAGE)
    with transaction.atomic():
        current = Representative.objects.select_for_update().get(pk=representative.pk)
        if current.ended_at is not None:
            raise Conflict(_("This term has already ended."), code="already_ended")
        current.ended_at = now or timezone.now()
        current.save()
        audit_record(
            "participation.representative.end",
            actor=actor,
            target=current,
            changes={"resident": str(current.resident.uid)},
        )
    return current


FORM_FIELDS = (
    "question",
    "options",
    "kind",
    "secrecy",
    "electorate_form",
    "method",
    "opens_at",
    "closes_at",
)
