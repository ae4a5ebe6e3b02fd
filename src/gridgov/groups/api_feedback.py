"""Residents' feedback: a verified resident's groups ``/api/v1/my-chat-groups`` with their
rating of the month and suggestions; the staff's ``/api/v1/suggestions`` and 金点子 picks."""

from datetime import date, datetime
from uuid import UUID

from django.utils import timezone
from ninja import Schema, Status

from gridgov.core.api_support import (
    Limit,
    Offset,
    PermissionRouter,
    api_requires,
    line,
    lines,
    page_slice,
)
from gridgov.core.errors import ValidationFailed
from gridgov.groups import selectors_feedback
from gridgov.groups import services_feedback as feedback
from gridgov.groups.services_snapshots import month_of
from gridgov.residents.selectors import require_resident

router = PermissionRouter(tags=["chat groups"])


class MyGroupOut(Schema):
    uid: UUID
    name: str
    function: str
    my_stars: int | None


class RatingIn(Schema):
    stars: int


class RatingOut(Schema):
    group: UUID
    month: date
    stars: int


class SuggestionIn(Schema):
    text: lines(300)


class SuggestionOut(Schema):
    uid: UUID
    group: UUID
    group_name: str
    month: date
    text: str
    golden: bool
    created_at: datetime

    @staticmethod
    def resolve_group(obj):
        return obj.group.uid

    @staticmethod
    def resolve_group_name(obj):
        return obj.group.name


class SuggestionPage(Schema):
    count: int
    offset: int
    limit: int
    items: list[SuggestionOut]


class GoldenIn(Schema):
    golden: bool


@router.get("/my-chat-groups", response=list[MyGroupOut])
@api_requires("groups.take_part")
def my_groups(request):
    """The registered groups serving the caller's compound, with the caller's rating of
    this month (403 ``not_a_verified_resident`` for an account not bound to a resident)."""
    resident = require_resident(request.user)
    mine = selectors_feedback.my_ratings(resident, timezone.localdate().replace(day=1))
    return [
        MyGroupOut(uid=g.uid, name=g.name, function=g.function, my_stars=mine.get(g.pk))
        for g in feedback.groups_of_resident(resident)
    ]


@router.post("/my-chat-groups/{uid}/rating", response=RatingOut)
@api_requires("groups.take_part")
def rating_give(request, uid: UUID, payload: RatingIn):
    """1–5 stars for this month (given again, it changes)."""
    rating = feedback.rating_give(actor=request.user, group_uid=uid, stars=payload.stars)
    return RatingOut(group=uid, month=rating.month, stars=rating.stars)


@router.post("/my-chat-groups/{uid}/suggestions", response={201: SuggestionOut})
@api_requires("groups.take_part")
def suggestion_send(request, uid: UUID, payload: SuggestionIn):
    return Status(
        201, feedback.suggestion_send(actor=request.user, group_uid=uid, text=payload.text)
    )


@router.get("/suggestions", response=SuggestionPage)
@api_requires("groups.view")
def suggestion_list(
    request, month: line(7) = "", golden: bool | None = None, offset: Offset = 0, limit: Limit = 50
):
    """Suggestions of the caller's area (``month`` YYYY-MM, ``golden`` true for 金点子)."""
    first = None
    if month:
        first = month_of(month)
        if first is None:
            raise ValidationFailed(details={"month": ["YYYY-MM"]})
    qs = selectors_feedback.suggestion_list(actor=request.user, month=first, golden=golden)
    items, limit, offset = page_slice(qs, offset, limit)
    return SuggestionPage(count=qs.count(), offset=offset, limit=limit, items=list(items))


@router.post("/suggestions/{uid}/golden", response=SuggestionOut)
@api_requires("groups.register")
def suggestion_golden(request, uid: UUID, payload: GoldenIn):
    """Pick (``golden`` true) or unpick a 金点子 (409 ``golden_limit`` past the month's)."""
    suggestion = selectors_feedback.suggestion_get(actor=request.user, uid=uid)
    return feedback.golden_set(actor=request.user, suggestion=suggestion, golden=payload.golden)
