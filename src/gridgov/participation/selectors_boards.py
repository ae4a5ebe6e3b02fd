"""Reads of the boards and bylaws. ``public_board`` is the one reader of what the public
and residents see: compliance lines anonymised to the building unless the household gave
its consent, never an ID number, a phone or a resident's name; service-board lines as
published, each with the rule and the policy version that placed it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.core.errors import NotFound
from gridgov.core.scoping import path_in_scope
from gridgov.org.models import OrgUnit
from gridgov.participation import service_board
from gridgov.participation.models import (
    Bylaw,
    BylawArticle,
    ComplianceEntry,
    ServiceBoardEntry,
)
from gridgov.residents.selectors import require_resident


def _above(path: str) -> list[str]:
    """The paths of the units above ``path`` and itself (``a/b/c/`` → a/, a/b/, a/b/c/)."""
    parts = [p for p in path.split("/") if p]
    return ["".join(f"{x}/" for x in parts[:n]) for n in range(1, len(parts) + 1)]


def bylaws_visible(actor, action: str = "view") -> QuerySet[Bylaw]:
    """The bylaws under the actor's units and, for reading, those of the community above a
    grid's staff: the grid keeps the community's bylaws too."""
    rows = Bylaw.objects.visible_to(actor, action)
    if action == "view" and getattr(actor, "is_authenticated", False):
        above = {a for p in actor.scope_paths("participation.view") for a in _above(p)}
        rows = Bylaw.objects.filter(Q(pk__in=rows.values("pk")) | Q(scope_path__in=above))
    return rows.select_related("community", "topic").prefetch_related("articles")


def entries_visible(actor, action: str = "view") -> QuerySet[ComplianceEntry]:
    return ComplianceEntry.objects.visible_to(actor, action).select_related(
        "article", "building__compound", "household__room__building__compound", "community"
    )


def communities_for(actor, permission: str = "participation.view") -> list[OrgUnit]:
    paths = actor.scope_paths(permission) if getattr(actor, "is_authenticated", False) else []
    units = OrgUnit.objects.filter(level="community", is_active=True).order_by("path")
    return [u for u in units if any(u.path.startswith(p) for p in paths)]


def community_in_scope(actor, code: str, permission: str = "participation.view") -> OrgUnit:
    """A community the actor reads, or 404. A grid's staff read their grid's community
    board (its public side is the same for everyone in the community)."""
    unit = OrgUnit.objects.filter(code=str(code or "").strip(), level="community").first()
    if unit is None:
        raise NotFound()
    paths = actor.scope_paths(permission) if getattr(actor, "is_authenticated", False) else []
    if not any(unit.path.startswith(p) or p.startswith(unit.path) for p in paths):
        raise NotFound()
    return unit


def resident_community(user) -> OrgUnit:
    resident = require_resident(user)
    return resident.household.grid.parent


def active_articles(community: OrgUnit) -> QuerySet[BylawArticle]:
    return BylawArticle.objects.filter(bylaw__community=community, is_active=True).select_related(
        "bylaw"
    )


def building_label(building) -> str:
    return _("%(compound)s building %(number)s") % {
        "compound": building.compound.name,
        "number": building.number,
    }


@dataclass
class PublicLine:
    colour: str
    who: str
    named: bool
    article: str
    occurred_on: date


@dataclass
class ServiceLine:
    name: str
    band: str
    band_label: str
    rank: int | None
    score: float | None
    satisfaction: float | None
    ratings: int
    on_time: float | None
    handled: int
    rule: str
    policy_version: int


@dataclass
class Board:
    community: OrgUnit
    period: str
    red: list[PublicLine] = field(default_factory=list)
    black: list[PublicLine] = field(default_factory=list)
    service: list[ServiceLine] = field(default_factory=list)
    service_published: bool = False
    periods: list[str] = field(default_factory=list)


def public_who(entry: ComplianceEntry) -> tuple[str, bool]:
    """How the public board names an entry: the consented name and room, or the building
    only (``X号楼 一户`` for a household without consent)."""
    building = building_label(entry.building)
    if entry.household_id is None:
        return building, False
    if entry.consent_on is None:
        return _("%(building)s, one household") % {"building": building}, False
    room = entry.household.room
    return (
        _("%(name)s (%(building)s, %(unit)s-%(room)s)")
        % {
            "name": entry.public_name,
            "building": building,
            "unit": room.unit_number,
            "room": room.number,
        },
        True,
    )


def recent_periods(count: int = 6) -> list[str]:
    today = timezone.localdate().replace(day=1)
    out = []
    year, month = today.year, today.month
    for _i in range(count):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return out


def parse_period_label(value: str | None) -> str:
    label = str(value or "").strip() or timezone.localdate().strftime("%Y-%m")
    try:
        service_board.month_period(label)
    except (ValueError, TypeError):
        from gridgov.core.errors import ValidationFailed

        raise ValidationFailed(details={"period": [_("Give a month such as 2026-11.")]}) from None
    return label


def period_finished(label: str) -> bool:
    """Whether the month has ended (only a finished month's service board is published)."""
    return service_board.month_period(label).end <= timezone.now()


def band_labels() -> dict[str, str]:
    return {k: str(v) for k, v in ServiceBoardEntry.Band.choices}


def public_board(community: OrgUnit, period: str, *, preview: bool = False) -> Board:
    """The community's public board for a month. ``preview`` (staff only) computes the
    service board live when the month is not published yet."""
    board = Board(community=community, period=period, periods=recent_periods())
    entries = (
        ComplianceEntry.objects.current()
        .filter(community=community, period=period)
        .select_related("article", "building__compound", "household__room")
        .order_by("-occurred_on", "pk")
    )
    for entry in entries:
        who, named = public_who(entry)
        line = PublicLine(entry.colour, who, named, entry.article.title, entry.occurred_on)
        (board.red if entry.colour == "red" else board.black).append(line)
    labels = band_labels()
    stored = list(
        ServiceBoardEntry.objects.filter(community=community, period=period).order_by(
            "rank", "shown_name"
        )
    )
    policies: dict[int, object] = {}
    if stored:
        board.service_published = True
        order = {"red": 0, "middle": 1, "black": 2, "insufficient": 3}
        for row in sorted(stored, key=lambda r: (order[r.band], r.rank or 0, r.shown_name)):
            policy = policies.setdefault(
                row.policy_version, service_board.policy_at(row.policy_version)
            )
            board.service.append(
                ServiceLine(
                    row.shown_name,
                    row.band,
                    labels[row.band],
                    row.rank,
                    row.score,
                    row.satisfaction,
                    row.ratings,
                    row.on_time,
                    row.handled,
                    service_board.rule_text(row.rule, policy),
                    row.policy_version,
                )
            )
    elif preview:
        lines, version = service_board.compute_board(community, service_board.month_period(period))
        policy = service_board.policy_at(version)
        for line in lines:
            board.service.append(
                ServiceLine(
                    line.name,
                    line.band,
                    labels[line.band],
                    line.rank,
                    line.score,
                    line.satisfaction,
                    line.ratings,
                    line.on_time,
                    line.handled,
                    service_board.rule_text(line.rule, policy),
                    version,
                )
            )
    return board


def may_manage(actor, path: str) -> bool:
    return path_in_scope(actor, path, "participation.manage")
