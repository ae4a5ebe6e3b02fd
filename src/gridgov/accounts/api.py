from datetime import datetime
from typing import Literal

from ninja import Schema, Status

from gridgov.accounts import selectors, services
from gridgov.accounts.models import ApiToken
from gridgov.accounts.roles import API_TOKEN_PERMISSION
from gridgov.core.api_support import ErrorOut, PermissionRouter, api_requires, integer, line
from gridgov.core.errors import NotFound
from gridgov.core.permissions import SIGNED_IN

router = PermissionRouter(tags=["me"])


class MembershipOut(Schema):
    role: str
    role_name: str
    org_unit: str
    org_unit_name: str


class MeOut(Schema):
    username: str
    display_name: str
    roles: list[MembershipOut]
    permissions: list[str]


@router.get("/me", response=MeOut)
@api_requires(SIGNED_IN)
def me(request):
    from gridgov.accounts.roles import PERMISSIONS

    user = request.user
    memberships = [
        MembershipOut(
            role=m.role,
            role_name=str(m.get_role_display()),
            org_unit=m.org_unit.code,
            org_unit_name=m.org_unit.name,
        )
        for m in user.memberships_cached
    ]
    permissions = sorted({p for m in user.memberships_cached for p in PERMISSIONS[m.role]})
    return MeOut(
        username=user.username,
        display_name=user.display_name,
        roles=memberships,
        permissions=permissions,
    )


class TokenOut(Schema):
    id: int
    name: str
    kind: str
    jurisdiction: str | None
    prefix: str
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @staticmethod
    def resolve_jurisdiction(obj):
        return obj.jurisdiction.code if obj.jurisdiction_id else None


class TokenCreatedOut(TokenOut):
    token: str


class TokenIn(Schema):
    name: line(100)
    days: integer(1, 3650) | None = None
    kind: Literal["personal", "open311"] = "personal"
    # An Open311 key's district (its Open311 jurisdiction_id).
    jurisdiction: line(20) | None = None


@router.get("/me/tokens", response=list[TokenOut])
@api_requires(SIGNED_IN)
def token_list(request):
    tokens = ApiToken.objects.filter(user=request.user).select_related("jurisdiction")
    return list(tokens.order_by("-created_at"))


@router.post("/me/tokens", response={201: TokenCreatedOut, 403: ErrorOut, 422: ErrorOut})
@api_requires(API_TOKEN_PERMISSION)
def token_create(request, payload: TokenIn):
    """Needs a signed-in session: a bearer token cannot create tokens (403)."""
    jurisdiction = None
    if payload.jurisdiction:
        jurisdiction = next(
            (
                d
                for d in services.open311_jurisdictions(request.user)
                if d.code == payload.jurisdiction
            ),
            None,
        )
    token, raw = services.token_create(
        user=request.user,
        name=payload.name,
        days=payload.days,
        kind=payload.kind,
        jurisdiction=jurisdiction,
    )
    token.token = raw  # the only time the raw token leaves the server
    return Status(201, token)


@router.delete("/me/tokens/{token_id}", response={204: None})
@api_requires(SIGNED_IN)
def token_revoke(request, token_id: int):
    token = ApiToken.objects.filter(pk=token_id, user=request.user, revoked_at__isnull=True).first()
    if token is None:
        raise NotFound()
    services.token_revoke(user=request.user, token=token)
    return Status(204, None)


users_router = PermissionRouter(tags=["users"])


@users_router.delete("/users/{user_id}/two-factor", response={204: None, 403: ErrorOut})
@api_requires("accounts.reset_two_factor")
def user_two_factor_reset(request, user_id: int):
    """The security administrator resets an account's second factor (audited); the account
    sets up a new one at its next sign-in."""
    user = selectors.user_get(actor=request.user, user_id=user_id)
    services.user_two_factor_reset(actor=request.user, user=user)
    return Status(204, None)
