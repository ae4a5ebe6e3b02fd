"""User and role administration: accounts by the system admin, grants by the security admin."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from gridgov.accounts import selectors, services
from gridgov.accounts.models import Membership
from gridgov.accounts.roles import Role
from gridgov.core.errors import GridGovError, NotFound, ValidationFailed
from gridgov.core.permissions import requires
from gridgov.org.models import OrgUnit


@requires("accounts.view")
def user_list(request):
    query = request.GET.get("q", "").strip()
    page = Paginator(selectors.user_list(actor=request.user, search=query), 50).get_page(
        request.GET.get("page")
    )
    return render(request, "accounts/user_list.html", {"page": page, "q": query})


@requires("accounts.manage_users")
def user_create(request):
    errors: dict = {}
    if request.method == "POST":
        try:
            user, password = services.user_create(
                actor=request.user,
                username=request.POST.get("username", ""),
                display_name=request.POST.get("display_name", "").strip()[:50],
            )
        except ValidationFailed as exc:
            errors = exc.details or {}
        else:
            return render(
                request, "accounts/user_created.html", {"new_user": user, "password": password}
            )
    return render(
        request, "accounts/user_create.html", {"errors": errors}, status=400 if errors else 200
    )


@requires("accounts.view")
def user_detail(request, user_id: int):
    user = selectors.user_get(actor=request.user, user_id=user_id)
    error = None
    if request.method == "POST":
        try:
            _handle_user_action(request, user)
        except GridGovError as exc:
            error = str(exc.message)
            if exc.details:
                error += " " + "; ".join(str(m) for msgs in exc.details.values() for m in msgs)
        else:
            return redirect("accounts:user_detail", user_id=user.pk)
    grant_units = (
        OrgUnit.objects.visible_to(request.user).exclude(level="grid").order_by("path")[:500]
        if request.user.has_permission("accounts.grant")
        else []
    )
    return render(
        request,
        "accounts/user_detail.html",
        {
            "subject": user,
            "memberships": user.memberships.select_related("org_unit").order_by("role"),
            "roles": Role.choices,
            "grant_units": grant_units,
            "can_grant": request.user.has_permission("accounts.grant"),
            "can_manage": request.user.has_permission("accounts.manage_users"),
            "can_reset_two_factor": request.user.has_permission("accounts.reset_two_factor"),
            "locked": selectors.user_is_locked(user),
            "error": error,
        },
        status=400 if error else 200,
    )


def _handle_user_action(request, user) -> None:
    action = request.POST.get("action")
    actor = request.user
    if action == "grant":
        # Any existing unit goes to the service, which refuses (and audits) one outside the
        # actor's scope with the same words as an unknown code.
        unit = OrgUnit.objects.filter(code=request.POST.get("org_unit", "").strip()).first()
        if unit is None:
            raise ValidationFailed(_("Choose an org unit within your scope."))
        services.membership_grant(
            actor=actor, user=user, role=request.POST.get("role", ""), org_unit=unit
        )
        messages.success(request, _("Role granted."))
    elif action == "revoke":
        membership = Membership.objects.filter(pk=request.POST.get("membership"), user=user).first()
        if membership is None:
            raise NotFound()
        services.membership_revoke(actor=actor, membership=membership)
        messages.success(request, _("Role revoked."))
    elif action in {"disable", "enable"}:
        services.user_set_active(actor=actor, user=user, active=action == "enable")
        messages.success(request, _("Saved."))
    elif action == "unlock":
        services.user_unlock(actor=actor, user=user)
        messages.success(request, _("The account was unlocked."))
    elif action == "reset_two_factor":
        services.user_two_factor_reset(actor=actor, user=user)
        messages.success(
            request, _("Two-factor sign-in was reset; the account sets it up at its next sign-in.")
        )
    else:
        raise ValidationFailed(_("Unknown action."))
