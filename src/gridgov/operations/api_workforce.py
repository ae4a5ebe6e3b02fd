"""Grid workforce API under /api/v1/operations/: the training categories (the policy), the
workers of the reader's area with the year's hours and certificate status, one worker's
profile, certificates and training ledger, and the writes. Scoped through the workers'
grid assignments."""

from datetime import date
from typing import Annotated

from ninja import Schema, Status
from pydantic import Field

from gridgov.core.api_support import (
    PermissionRouter,
    api_requires,
    integer,
    line,
)
from gridgov.operations import selectors_workforce as selectors
from gridgov.operations import services_workforce as services
from gridgov.operations.models import Certificate, TrainingRecord, WorkerProfile
from gridgov.operations.policies_workforce import workforce_policy

router = PermissionRouter(tags=["operations: grid workforce"])
# A path parameter arrives as text: bounded, so a huge id is a 422, not a database error.
UserId = Annotated[int, Field(ge=1, le=2**31 - 1)]


class CategoryOut(Schema):
    code: str
    name: str
    name_en: str
    counts_as: str


class WorkerOut(Schema):
    id: int
    name: str
    duty: str
    grids: list[str]
    grade: str | None
    professional_hours: float
    tool_hours: float
    meets_professional: bool
    meets_tools: bool
    certified: bool
    retests_due: int


class ProfileIn(Schema):
    grade: line(10)
    education: line(10)
    hire_date: date
    birth_year: integer(1900, 2100) | None = None
    left_on: date | None = None
    version: integer(0, 2**31 - 1) = 0


class ProfileOut(Schema):
    grade: str
    education: str
    hire_date: date
    birth_year: int | None
    left_on: date | None
    version: int


class CertificateIn(Schema):
    name: line(100)
    issued_on: date
    expires_on: date | None = None


class CertificateOut(Schema):
    id: int
    name: str
    issued_on: date
    expires_on: date | None


class TrainingIn(Schema):
    course: line(100)
    category: line(20)
    hours: float
    held_on: date
    provider: line(100) = ""
    score: integer(0, 100) | None = None
    retest_of: integer(1, 2**31 - 1) | None = None


class TrainingOut(Schema):
    id: int
    course: str
    category: str
    hours: float
    provider: str
    held_on: date
    score: int | None
    retest_of: int | None

    @staticmethod
    def resolve_retest_of(obj):
        return obj.retest_of_id


class WorkerDetailOut(WorkerOut):
    profile: ProfileOut | None
    certificates: list[CertificateOut]
    trainings: list[TrainingOut]


def _row(row) -> dict:
    return {
        "id": row.user.pk,
        "name": row.user.display_name or row.user.get_username(),
        "duty": row.duty,
        "grids": [g.code for g in row.grids],
        "grade": row.profile.grade if row.profile else None,
        "professional_hours": round(row.hours.professional, 1),
        "tool_hours": round(row.hours.tools, 1),
        "meets_professional": row.meets_professional,
        "meets_tools": row.meets_tools,
        "certified": row.certified,
        "retests_due": row.retests_due,
    }


@router.get("/workforce/training-categories", response=list[CategoryOut])
@api_requires("operations.view")
def categories(request):
    return [
        {"code": k, **v.model_dump()} for k, v in workforce_policy().training_categories.items()
    ]


@router.get("/workforce/workers", response=list[WorkerOut])
@api_requires("operations.view")
def worker_list(request):
    """The grid workers of the reader's area with the year's hours and certificate status."""
    return [_row(r) for r in selectors.worker_rows(actor=request.user)]


@router.get("/workforce/workers/{user_id}", response=WorkerDetailOut)
@api_requires("operations.view")
def worker_get(request, user_id: UserId):
    row = selectors.worker_row(actor=request.user, user_id=user_id)
    worker = row.user
    return {
        **_row(row),
        "profile": WorkerProfile.objects.filter(user=worker).first(),
        "certificates": list(Certificate.objects.filter(user=worker)),
        "trainings": list(TrainingRecord.objects.filter(user=worker)[:200]),
    }


@router.post("/workforce/workers/{user_id}/profile", response=ProfileOut)
@api_requires("operations.manage")
def profile_save(request, user_id: UserId, payload: ProfileIn):
    """Create the profile, or change it with the ``version`` read (409 when stale)."""
    worker, path = selectors.worker_path(
        actor=request.user, user_id=user_id, permission="operations.manage"
    )
    return services.profile_save(
        actor=request.user, worker=worker, path=path, data=payload.model_dump()
    )


@router.post("/workforce/workers/{user_id}/certificates", response={201: CertificateOut})
@api_requires("operations.manage")
def certificate_add(request, user_id: UserId, payload: CertificateIn):
    worker, path = selectors.worker_path(
        actor=request.user, user_id=user_id, permission="operations.manage"
    )
    return Status(
        201,
        services.certificate_add(
            actor=request.user, worker=worker, path=path, data=payload.model_dump()
        ),
    )


@router.post("/workforce/workers/{user_id}/trainings", response={201: TrainingOut})
@api_requires("operations.manage")
def training_add(request, user_id: UserId, payload: TrainingIn):
    """422 for hours ≤ 0 (a re-test may take none) or above 200, a day in the future, a
    category not in the policy."""
    worker, path = selectors.worker_path(
        actor=request.user, user_id=user_id, permission="operations.manage"
    )
    return Status(
        201,
        services.training_add(
            actor=request.user, worker=worker, path=path, data=payload.model_dump()
        ),
    )
