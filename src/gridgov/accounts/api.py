from datetime import datetime

from ninja import Schema, Status

from gridgov.accounts import services
from gridgov.accounts.models import ApiToken
from gridgov.core.api_support import PermissionRouter, api_requires
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
    prefix: str
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreatedOut(TokenOut):
    token: str


class TokenIn(Schema):
    name: str
    days: int | None = None


@router.get("/me/tokens", response=list[TokenOut])
@api_requires(SIGNED_IN)
def token_list(request):
    return list(ApiToken.objects.filter(user=request.user).order_by("-created_at"))


@router.post("/me/tokens", response={201: TokenCreatedOut})
@api_requires(SIGNED_IN)
def token_create(request, payload: TokenIn):
    token, raw = services.token_create(user=request.user, name=payload.name, days=payload.days)
    out = TokenOut.model_validate(token).model_dump()
    return Status(201, TokenCreatedOut(**out, token=raw))


@router.delete("/me/tokens/{token_id}", response={204: None})
@api_requires(SIGNED_IN)
def token_revoke(request, token_id: int):
    token = ApiToken.objects.filter(pk=token_id, user=request.user, revoked_at__isnull=True).first()
    if token is None:
        raise NotFound()
    services.token_revoke(user=request.user, token=token)
    return Status(204, None)
