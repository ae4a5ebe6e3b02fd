"""Writes of the boards and bylaws: a community's bylaws and their articles, compliance
entries (create, the household's consent, removal with the reason) and the monthly grid
service board's publication. Each checks the permission and the scope, validates every
field with a message, writes in one transaction and leaves one audit record."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.audit.services import SystemActor, audit_record
from gridgov.core.errors import Conflict, NotFound, ValidationFailed
from gridgov.core.scoping import path_in_scope, require_in_scope
from gridgov.org.models import Building, OrgUnit
from gridgov.participation import service_board
from gridgov.participation.models import (
    Bylaw,
    BylawArticle,
    ComplianceEntry,
    ServiceBoardEntry,
    Topic,
)
from gridgov.people.models import Household

MANAGE = "participation.manage"
# Six digits in a row would be part of a phone or an ID number: never on a public board.
_DIGITS = re.compile(r"\d{6,}")


def _name(actor) -> str:
    if isinstance(actor, SystemActor):
        return f"system:{actor.name}"
    return actor.get_username()


def _text(value: Any, key: str, limit: int, errors: dict, *, required: str = "") -> str:
    text = str(value or "").strip()
    if len(text) > limit:
        errors[key] = [_("At most %(n)s characters.") % {"n": limit}]
    elif not text and required:
        errors[key] = [required]
    return text


def _day(value: Any, key: str, errors: dict, *, required: bool = True) -> date | None:
    if isinstance(value, date):
        day = value
    else:
        raw = str(value or "").strip()
        if not raw:
            if required:
                errors[key] = [_("Give a date such as 2026-11-30.")]
            return None
        try:
            day = date.fromisoformat(raw)
        except ValueError:
            errors[key] = [_("Give a date such as 2026-11-30.")]
            return None
    if day > timezone.localdate():
        errors[key] = [_("The date cannot be in the future.")]
        return None
    return day


def community_for_manage(actor, code: str) -> OrgUnit:
    """A community the actor manages participation in, or 404."""
    unit = OrgUnit.objects.filter(code=str(code or "").strip(), level="community").first()
    paths = actor.scope_paths(MANAGE) if getattr(actor, "is_authenticated", False) else []
    # The community itself, or one of its grids (a grid's staff record their grid's entries).
    if unit is None or not any(unit.path.startswith(p) or p.startswith(unit.path) for p in paths):
        raise NotFound()
    return unit


# Bylaws ----------------------------------------------------------------------------


@dataclass
class BylawInput:
    kind: str = Bylaw.Kind.CONVENTION
    title: str = ""
    preamble: str = ""
    adopted_on: Any = None
    topic: int | None = None
    # [{"number": 1, "title": "垃圾分类", "text": "…"}]; numbers left out are retired.
    articles: list | None = None


def _bylaw_fields(actor, community: OrgUnit, data: BylawInput, errors: dict) -> dict:
    fields: dict[str, Any] = {}
    if data.kind not in Bylaw.Kind.values:
        errors["kind"] = [_("Choose the community convention or the self-governance charter.")]
    fields["kind"] = data.kind
    fields["title"] = _text(data.title, "title", 120, errors, required=_("Give the title."))
    fields["preamble"] = _text(data.preamble, "preamble", 2000, errors)
    fields["adopted_on"] = _day(data.adopted_on, "adopted_on", errors)
    fields["topic"] = None
    if data.topic not in (None, ""):
        topic = (
            Topic.objects.visible_to(actor, "view")
            .filter(pk=_int_or_none(data.topic), scope_path__startswith=community.path)
            .first()
        )
        if topic is None:
            errors["topic"] = [_("No such topic in this community.")]
        fields["topic"] = topic
    return fields


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _articles(raw, errors: dict) -> list[tuple[int, str, str]]:
    if not isinstance(raw, list) or not raw:
        errors["articles"] = [_("Give at least one article.")]
        return []
    seen: set[int] = set()
    out = []
    for position, item in enumerate(raw, start=1):
        item = item if isinstance(item, dict) else {}
        number = _int_or_none(item.get("number", position))
        title = str(item.get("title") or "").strip()
        text = str(item.get("text") or "").strip()
        if number is None or not 1 <= number <= 999 or number in seen:
            errors["articles"] = [
                _("Article %(n)s: give a number from 1 to 999, each once.") % {"n": position}
            ]
            return []
        if not title or len(title) > 60 or not text or len(text) > 2000:
            errors["articles"] = [
                _("Article %(n)s: give a title (at most 60 characters) and its text.")
                % {"n": number}
            ]
            return []
        seen.add(number)
        out.append((number, title, text))
    return out


def _write_articles(bylaw: Bylaw, articles: list[tuple[int, str, str]]) -> None:
    """An article keeps its identity by its title (entries point at it, whatever its
    number becomes); a new title is a new article. Articles left out are deleted, or kept
    out of force when entries point at them."""
    existing = list(bylaw.articles.all())
    by_title: dict[str, BylawArticle] = {}
    for article in sorted(existing, key=lambda a: not a.is_active):
        by_title.setdefault(article.title, article)
    # Numbers are unique among the articles in force: retire all, then bring back.
    bylaw.articles.update(is_active=False)
    kept: set[int] = set()
    for number, title, text in articles:
        article = by_title.pop(title, None)
        if article is None:
            BylawArticle.objects.create(bylaw=bylaw, number=number, title=title, text=text)
            continue
        article.number, article.text, article.is_active = number, text, True
        article.save()
        kept.add(article.pk)
    for article in existing:
        if article.pk not in kept and not article.entries.exists():
            article.delete()


def bylaw_create(actor, *, community: OrgUnit, data: BylawInput) -> Bylaw:
    require_in_scope(actor, community.path, MANAGE)
    errors: dict[str, list[str]] = {}
    fields = _bylaw_fields(actor, community, data, errors)
    articles = _articles(data.articles, errors)
    if not errors and Bylaw.objects.filter(community=community, kind=data.kind).exists():
        errors["kind"] = [_("This community already has this kind of bylaws: edit them.")]
    if errors:
        raise ValidationFailed(details=errors)
    with transaction.atomic():
        bylaw = Bylaw.objects.create(community=community, updated_by_name=_name(actor), **fields)
        _write_articles(bylaw, articles)
        audit_record(
            "participation.bylaw.create",
            actor=actor,
            target=bylaw,
            changes={"title": bylaw.title, "articles": [a[1] for a in articles]},
        )
    return bylaw


def bylaw_update(actor, *, bylaw: Bylaw, data: BylawInput, version: int | None) -> Bylaw:
    require_in_scope(actor, bylaw.scope_path, MANAGE)
    errors: dict[str, list[str]] = {}
    data.kind = bylaw.kind
    fields = _bylaw_fields(actor, bylaw.community, data, errors)
    articles = _articles(data.articles, errors)
    if errors:
        raise ValidationFailed(details=errors)
    with transaction.atomic():
        current = Bylaw.objects.select_for_update().get(pk=bylaw.pk)
        if version is not None and int(version) != current.version:
            raise Conflict()
        for key, value in fields.items():
            setattr(current, key, value)
        current.version += 1
        current.updated_by_name = _name(actor)
        current.save()
        _write_articles(current, articles)
        audit_record(
            "participation.bylaw.update",
            actor=actor,
            target=current,
            changes={"version": current.version, "articles": [a[1] for a in articles]},
        )
    return current


# Compliance entries ----------------------------------------------------------------


@dataclass
class EntryInput:
    colour: str = ""
    household: str = ""  # the household's uid, or
    building: int | str | None = None  # the building's id (a whole building's entry)
    article: int | str | None = None
    occurred_on: Any = None
    evidence: str = ""


def entry_create(actor, *, community: OrgUnit, data: EntryInput) -> ComplianceEntry:
    """Record a red or black entry for a household or a building of ``community``. A
    household or building outside the actor's scope is a 404, whatever else is wrong; the
    entry lies in the building's grid, which the actor must manage."""
    household = building = None
    if data.household:
        household = _household(actor, community, str(data.household).strip())
    elif data.building not in (None, ""):
        building = (
            Building.objects.select_related("grid", "compound")
            .filter(pk=_int_or_none(data.building))
            .first()
        )
        if building is None or not path_in_scope(actor, building.grid.path, MANAGE):
            raise NotFound()
    errors: dict[str, list[str]] = {}
    if household is None and building is None:
        errors["household"] = [_("Choose a household or a building.")]
    if household is not None:
        if not household.scope_path.startswith(community.path):
            errors["household"] = [_("This household is not in the community.")]
        elif household.room_id is None:
            errors["household"] = [
                _("This household has no room on record: record the entry for its building.")
            ]
        else:
            building = household.room.building
    if (
        building is not None
        and household is None
        and not building.grid.path.startswith(community.path)
    ):
        errors["building"] = [_("This building is not in the community.")]
    if data.colour not in ComplianceEntry.Colour.values:
        errors["colour"] = [_("Choose the red list or the black list.")]
    article = (
        BylawArticle.objects.filter(
            pk=_int_or_none(data.article), is_active=True, bylaw__community=community
        )
        .select_related("bylaw")
        .first()
    )
    if article is None:
        errors["article"] = [_("Choose an article of this community's bylaws.")]
    occurred_on = _day(data.occurred_on, "occurred_on", errors)
    evidence = _text(data.evidence, "evidence", 500, errors)
    if data.colour == ComplianceEntry.Colour.BLACK and not evidence and "evidence" not in errors:
        errors["evidence"] = [_("A black-list entry needs its evidence note.")]
    if errors:
        raise ValidationFailed(details=errors)
    require_in_scope(actor, building.grid.path, MANAGE)
    with transaction.atomic():
        entry = ComplianceEntry.objects.create(
            community=community,
            scope_path=building.grid.path,
            colour=data.colour,
            household=household,
            building=building,
            article=article,
            occurred_on=occurred_on,
            period=occurred_on.strftime("%Y-%m"),
            evidence=evidence,
            created_by_name=_name(actor),
        )
        audit_record(
            "participation.compliance.create",
            actor=actor,
            target=entry,
            changes={
                "colour": entry.colour,
                "article": article.title,
                "household": str(household.uid) if household else "",
                "building": building.pk,
            },
        )
    return entry


def _household(actor, community: OrgUnit, key: str) -> Household:
    """A household by its registry uid, or by its number within the community; one outside
    the actor's scope is a 404, like one that does not exist."""
    uid = _uuid(key)
    if uid is not None:
        found = list(Household.objects.filter(uid=uid))
    else:
        found = list(
            Household.objects.filter(number=key, scope_path__startswith=community.path)[:2]
        )
    found = [h for h in found if path_in_scope(actor, h.scope_path, MANAGE)]
    if not found:
        raise NotFound()
    if len(found) > 1:
        raise ValidationFailed(
            details={"household": [_("Several households have this number: give its id.")]}
        )
    return found[0]


def _uuid(value):
    import uuid

    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        return None


def _locked(entry: ComplianceEntry, version: int | None) -> ComplianceEntry:
    current = ComplianceEntry.objects.select_for_update().get(pk=entry.pk)
    if version is not None and int(version) != current.version:
        raise Conflict()
    if current.removed_at is not None:
        raise Conflict(_("This entry was removed."), code="removed")
    return current


def entry_consent(
    actor, *, entry: ComplianceEntry, consent_on: Any, public_name: str, version: int | None
) -> ComplianceEntry:
    """The household agreed, on ``consent_on``, to appear on the public board as
    ``public_name`` with its room. Not applicable to a building's entry."""
    require_in_scope(actor, entry.scope_path, MANAGE)
    errors: dict[str, list[str]] = {}
    if entry.household_id is None:
        errors["consent_on"] = [_("A building's entry names no household: consent does not apply.")]
    day = _day(consent_on, "consent_on", errors)
    name = _text(public_name, "public_name", 30, errors, required=_("Give the name to show."))
    if name and _DIGITS.search(name):
        errors["public_name"] = [_("The name to show cannot contain a phone or ID number.")]
    if errors:
        raise ValidationFailed(details=errors)
    with transaction.atomic():
        current = _locked(entry, version)
        current.consent_on = day
        current.public_name = name
        current.consent_recorded_by_name = _name(actor)
        current.version += 1
        current.save()
        audit_record(
            "participation.compliance.consent",
            actor=actor,
            target=current,
            changes={"consent_on": day.isoformat()},
        )
    return current


def entry_remove(
    actor, *, entry: ComplianceEntry, reason: str, version: int | None
) -> ComplianceEntry:
    require_in_scope(actor, entry.scope_path, MANAGE)
    errors: dict[str, list[str]] = {}
    reason = _text(reason, "reason", 300, errors, required=_("Give the reason for removing it."))
    if errors:
        raise ValidationFailed(details=errors)
    with transaction.atomic():
        current = _locked(entry, version)
        current.removed_at = timezone.now()
        current.removed_by_name = _name(actor)
        current.removed_reason = reason
        current.version += 1
        current.save()
        audit_record(
            "participation.compliance.remove",
            actor=actor,
            target=current,
            changes={"reason": reason},
        )
    return current


# The grid service board ------------------------------------------------------------


def publish_service_board(actor, *, community: OrgUnit, period_label: str) -> int:
    """Store the community's board for a finished month as the policy in force places it
    (replacing an earlier publication of the same month). Returns the lines written."""
    if not isinstance(actor, SystemActor):
        require_in_scope(actor, community.path, MANAGE)
    period = service_board.month_period(period_label)
    if period.end > timezone.now():
        raise ValidationFailed(details={"period": [_("Only a finished month is published.")]})
    lines, version = service_board.compute_board(community, period)
    if (
        not lines
        and not ServiceBoardEntry.objects.filter(community=community, period=period_label).exists()
    ):
        return 0  # no grid workers on duty that month: nothing to publish
    now = timezone.now()
    with transaction.atomic():
        ServiceBoardEntry.objects.filter(community=community, period=period_label).delete()
        ServiceBoardEntry.objects.bulk_create(
            ServiceBoardEntry(
                community=community,
                scope_path=community.path,
                period=period_label,
                worker_id=line.worker_id,
                shown_name=line.name,
                band=line.band,
                rank=line.rank,
                score=line.score,
                satisfaction=line.satisfaction,
                ratings=line.ratings,
                on_time=line.on_time,
                handled=line.handled,
                rule=line.rule[:300],
                policy_version=version,
                computed_at=now,
            )
            for line in lines
        )
        audit_record(
            "participation.service_board.publish",
            actor=actor,
            target=community,
            changes={"period": period_label, "lines": len(lines), "policy_version": version},
        )
    return len(lines)


def publish_service_boards(*, period_label: str, only_missing: bool = False) -> int:
    """The monthly job: every active community's board for a finished month, as the system.
    ``only_missing`` leaves the communities already published that month alone, so the job
    can run every hour and publish once, on the first run after the month ends."""
    actor = SystemActor("participation_boards", batch_id=f"service-board-{period_label}")
    communities = OrgUnit.objects.filter(level="community", is_active=True).order_by("path")
    if only_missing:
        published = ServiceBoardEntry.objects.filter(period=period_label).values("community_id")
        communities = communities.exclude(pk__in=published)
    return sum(
        publish_service_board(actor, community=community, period_label=period_label)
        for community in communities
    )
