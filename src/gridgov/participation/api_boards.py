"""The boards and bylaws API: the public board of a community (staff) and of the resident's
own community, the bylaws, and the compliance records (create, consent, remove). The board
answers carry what the public pages show and nothing more."""

from datetime import date
from uuid import UUID

from ninja import Schema, Status

from gridgov.core.api_support import (
    Limit,
    Offset,
    PermissionRouter,
    Version,
    api_requires,
    line,
    lines,
    page_slice,
)
from gridgov.core.errors import NotFound
from gridgov.core.scoping import access_object
from gridgov.participation import selectors_boards as selectors
from gridgov.participation import services_boards as services
from gridgov.participation.models import Bylaw, ComplianceEntry

router = PermissionRouter(tags=["participation boards"])


class PublicLineOut(Schema):
    colour: str
    who: str
    named: bool
    article: str
    occurred_on: date


class ServiceLineOut(Schema):
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


class BoardOut(Schema):
    community: str
    community_name: str
    period: str
    red: list[PublicLineOut]
    black: list[PublicLineOut]
    service: list[ServiceLineOut]
    service_published: bool


def _board(board) -> BoardOut:
    return BoardOut(
        community=board.community.code,
        community_name=board.community.name,
        period=board.period,
        red=[PublicLineOut(**vars(x)) for x in board.red],
        black=[PublicLineOut(**vars(x)) for x in board.black],
        service=[ServiceLineOut(**vars(x)) for x in board.service],
        service_published=board.service_published,
    )


@router.get("/participation/boards", response=BoardOut)
@api_requires("participation.view")
def board_get(request, community: line(20), period: line(7) = ""):
    """A community's public board for a month (default: this month). Staff with
    ``participation.manage`` there see the service board computed live until it is
    published at month end."""
    unit = selectors.community_in_scope(request.user, community)
    label = selectors.parse_period_label(period)
    preview = selectors.may_manage(request.user, unit.path)
    return _board(selectors.public_board(unit, label, preview=preview))


@router.get("/participation/me/boards", response=BoardOut)
@api_requires("participation.take_part")
def my_board_get(request, period: line(7) = ""):
    """The public board of the resident's own community (the account must be bound)."""
    unit = selectors.resident_community(request.user)
    label = selectors.parse_period_label(period)
    return _board(selectors.public_board(unit, label))


class PublishIn(Schema):
    community: line(20)
    period: line(7)


class PublishedOut(Schema):
    community: str
    period: str
    lines: int


@router.post("/participation/boards/publish", response=PublishedOut)
@api_requires("participation.manage")
def board_publish(request, payload: PublishIn):
    """Publish (or republish) a finished month's grid service board of one community, as
    the policy in force places each worker; 422 for a month not yet over."""
    unit = selectors.community_in_scope(request.user, payload.community, "participation.manage")
    label = selectors.parse_period_label(payload.period)
    written = services.publish_service_board(request.user, community=unit, period_label=label)
    return PublishedOut(community=unit.code, period=label, lines=written)


class ArticleIO(Schema):
    number: int
    title: line(60)
    text: lines(2000)


class BylawOut(Schema):
    id: int
    community: str
    kind: str
    title: str
    preamble: str
    adopted_on: date
    topic: int | None
    version: int
    articles: list[ArticleIO]

    @staticmethod
    def resolve_community(obj):
        return obj.community.code

    @staticmethod
    def resolve_topic(obj):
        return obj.topic_id

    @staticmethod
    def resolve_articles(obj):
        return [
            {"number": a.number, "title": a.title, "text": a.text}
            for a in obj.articles.all()
            if a.is_active
        ]


class BylawIn(Schema):
    community: line(20) = ""
    kind: line(12) = "convention"
    title: line(120)
    preamble: lines(2000) = ""
    adopted_on: line(10)
    topic: int | None = None
    articles: list[ArticleIO]


class BylawChangeIn(BylawIn):
    version: Version


@router.get("/participation/bylaws", response=list[BylawOut])
@api_requires("participation.view")
def bylaw_list(request, community: line(20) = ""):
    qs = selectors.bylaws_visible(request.user)
    if community:
        qs = qs.filter(community__code=community)
    return list(qs[:200])


def _bylaw_input(payload: BylawIn) -> services.BylawInput:
    return services.BylawInput(
        kind=payload.kind,
        title=payload.title,
        preamble=payload.preamble,
        adopted_on=payload.adopted_on,
        topic=payload.topic,
        articles=[a.model_dump() for a in payload.articles],
    )


@router.post("/participation/bylaws", response={201: BylawOut})
@api_requires("participation.manage")
def bylaw_create(request, payload: BylawIn):
    unit = services.community_for_manage(request.user, payload.community)
    bylaw = services.bylaw_create(request.user, community=unit, data=_bylaw_input(payload))
    return Status(201, selectors.bylaws_visible(request.user).get(pk=bylaw.pk))


@router.get("/participation/bylaws/{bylaw_id}", response=BylawOut)
@api_requires("participation.view")
def bylaw_get(request, bylaw_id: int):
    bylaw = selectors.bylaws_visible(request.user).filter(pk=bylaw_id).first()
    if bylaw is None:
        raise NotFound()
    return bylaw


@router.put("/participation/bylaws/{bylaw_id}", response=BylawOut)
@api_requires("participation.manage")
def bylaw_change(request, bylaw_id: int, payload: BylawChangeIn):
    bylaw = access_object(request.user, Bylaw.objects.all(), "manage", pk=bylaw_id)
    services.bylaw_update(
        request.user, bylaw=bylaw, data=_bylaw_input(payload), version=payload.version
    )
    return selectors.bylaws_visible(request.user).get(pk=bylaw.pk)


class EntryOut(Schema):
    """A staff record: the household by its registry uid and number, never a name."""

    uid: UUID
    community: str
    colour: str
    household: UUID | None
    household_number: str
    building: int
    building_label: str
    article: int
    article_title: str
    occurred_on: date
    period: str
    evidence: str
    consent_on: date | None
    consent_recorded_by: str
    public_name: str
    created_by: str
    removed: bool
    removed_reason: str
    version: int

    @staticmethod
    def resolve_community(obj):
        return obj.community.code

    @staticmethod
    def resolve_household(obj):
        return obj.household.uid if obj.household_id else None

    @staticmethod
    def resolve_household_number(obj):
        return obj.household.number if obj.household_id else ""

    @staticmethod
    def resolve_building(obj):
        return obj.building_id

    @staticmethod
    def resolve_building_label(obj):
        return selectors.building_label(obj.building)

    @staticmethod
    def resolve_article(obj):
        return obj.article_id

    @staticmethod
    def resolve_article_title(obj):
        return obj.article.title

    @staticmethod
    def resolve_consent_recorded_by(obj):
        return obj.consent_recorded_by_name

    @staticmethod
    def resolve_created_by(obj):
        return obj.created_by_name

    @staticmethod
    def resolve_removed(obj):
        return obj.removed_at is not None


class EntryPage(Schema):
    count: int
    offset: int
    limit: int
    items: list[EntryOut]


class EntryIn(Schema):
    """``household`` (uid) or ``building`` (id); ``evidence`` is required on the black list."""

    community: line(20)
    colour: line(5)
    household: UUID | None = None
    building: int | None = None
    article: int
    occurred_on: line(10)
    evidence: line(500) = ""


class ConsentIn(Schema):
    consent_on: line(10)
    public_name: line(30)
    version: Version


class RemoveIn(Schema):
    reason: line(300)
    version: Version


@router.get("/participation/compliance-records", response=EntryPage)
@api_requires("participation.view")
def entry_list(
    request,
    community: line(20) = "",
    period: line(7) = "",
    offset: Offset = 0,
    limit: Limit = 50,
):
    qs = selectors.entries_visible(request.user)
    if community:
        qs = qs.filter(community__code=community)
    if period:
        qs = qs.filter(period=period)
    items, limit, offset = page_slice(qs, offset, limit)
    return EntryPage(count=qs.count(), offset=offset, limit=limit, items=list(items))


@router.post("/participation/compliance-records", response={201: EntryOut})
@api_requires("participation.manage")
def entry_create(request, payload: EntryIn):
    unit = services.community_for_manage(request.user, payload.community)
    entry = services.entry_create(
        request.user,
        community=unit,
        data=services.EntryInput(
            colour=payload.colour,
            household=str(payload.household) if payload.household else "",
            building=payload.building,
            article=payload.article,
            occurred_on=payload.occurred_on,
            evidence=payload.evidence,
        ),
    )
    return Status(201, selectors.entries_visible(request.user).get(pk=entry.pk))


def _entry(request, uid: UUID, action: str = "view") -> ComplianceEntry:
    return access_object(request.user, selectors.entries_visible(request.user, action), uid=uid)


@router.get("/participation/compliance-records/{uid}", response=EntryOut)
@api_requires("participation.view")
def entry_get(request, uid: UUID):
    return _entry(request, uid)


@router.post("/participation/compliance-records/{uid}/consent", response=EntryOut)
@api_requires("participation.manage")
def entry_consent(request, uid: UUID, payload: ConsentIn):
    entry = services.entry_consent(
        request.user,
        entry=_entry(request, uid, "manage"),
        consent_on=payload.consent_on,
        public_name=payload.public_name,
        version=payload.version,
    )
    return _entry(request, entry.uid)


@router.post("/participation/compliance-records/{uid}/remove", response=EntryOut)
@api_requires("participation.manage")
def entry_remove(request, uid: UUID, payload: RemoveIn):
    entry = services.entry_remove(
        request.user,
        entry=_entry(request, uid, "manage"),
        reason=payload.reason,
        version=payload.version,
    )
    return _entry(request, entry.uid)
