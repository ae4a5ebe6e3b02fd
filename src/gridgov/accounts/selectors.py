from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone

from gridgov.accounts.models import LoginLock, User
from gridgov.core.errors import NotFound


def user_list(*, actor, search: str = "") -> QuerySet[User]:
    """Accounts whose memberships lie in the actor's ``accounts.view`` scope, plus accounts
    with no membership yet (new accounts waiting for a grant), for account admins."""
    paths = actor.scope_paths("accounts.view")
    if not paths:
        return User.objects.none()
    in_scope = Q()
    for path in paths:
        in_scope |= Q(memberships__org_unit__path__startswith=path)
    qs = User.objects.filter(in_scope | Q(memberships__isnull=True)).distinct()
    if search:
        qs = qs.filter(Q(username__icontains=search) | Q(display_name__icontains=search))
    return qs.order_by("username")


def user_get(*, actor, user_id: int) -> User:
    user = user_list(actor=actor).filter(pk=user_id).first()
    if user is None:
        raise NotFound()
    return user


def user_is_locked(user: User) -> bool:
    return LoginLock.objects.filter(
        username=user.username, locked_until__gt=timezone.now()
    ).exists()


def unit_staff(units, permission: str) -> list[User]:
    """Active people whose membership is at the unit (or one of the units) with a role
    granting ``permission``: who a notice about the unit goes to."""
    from gridgov.accounts.models import Membership
    from gridgov.accounts.roles import role_grants

    units = [u for u in (units if isinstance(units, list | tuple) else [units]) if u is not None]
    if not units:
        return []
    members = Membership.objects.filter(org_unit__in=units, user__is_active=True).select_related(
        "user"
    )
    return [m.user for m in members if role_grants(m.role, permission)]
