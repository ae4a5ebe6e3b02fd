"""Pages of the boards and bylaws: the bylaws (list, editor), the compliance records (list,
record one, the household's consent, removal with the reason), the staff's board page (the
public board as residents see it, with the service board's live preview until month end)
and the resident's own board (phone first, large type). They call the same services as
the API."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from gridgov.core.errors import GridGovError, ValidationFailed, error_text
from gridgov.core.permissions import requires
from gridgov.core.scoping import access_object
from gridgov.org.models import Building
from gridgov.participation import selectors_boards as selectors
from gridgov.participation import services_boards as services
from gridgov.participation.models import Bylaw, ComplianceEntry

PAGE = 200


def _version(request) -> int:
    raw = request.POST.get("version", "")
    return int(raw) if raw.isdigit() else -1


def _community(request, permission="participation.view"):
    units = selectors.communities_for(request.user, permission)
    if not units:
        # A grid's staff read their grid's community.
        from gridgov.org.models import OrgUnit

        paths = request.user.scope_paths(permission)
        units = list(OrgUnit.objects.filter(level="community", children__path__in=paths).distinct())
    code = request.GET.get("community") or request.POST.get("community") or ""
    if code:
        return selectors.community_in_scope(request.user, code, permission), units
    return (units[0] if units else None), units


# Bylaws ----------------------------------------------------------------------------


@requires("participation.view")
def bylaw_list(request):
    bylaws = list(selectors.bylaws_visible(request.user)[:PAGE])
    return render(
        request,
        "participation/bylaw_list.html",
        {
            "bylaws": bylaws,
            "can_manage": request.user.has_permission("participation.manage"),
        },
    )


def _articles_from(text: str) -> list[dict]:
    """One article a line: ``title: text`` (a full-width colon works too)."""
    out = []
    for number, raw in enumerate((x for x in text.splitlines() if x.strip()), start=1):
        title, sep, body = raw.replace("：", ":").partition(":")
        out.append({"number": number, "title": title.strip(), "text": body.strip() if sep else ""})
    return out


def _articles_text(bylaw: Bylaw | None) -> str:
    if bylaw is None:
        return ""
    return "\n".join(f"{a.title}：{a.text}" for a in bylaw.articles.all() if a.is_active)


def _bylaw_input(request) -> services.BylawInput:
    post = request.POST
    return services.BylawInput(
        kind=post.get("kind", ""),
        title=post.get("title", ""),
        preamble=post.get("preamble", ""),
        adopted_on=post.get("adopted_on", ""),
        topic=post.get("topic") or None,
        articles=_articles_from(post.get("articles", "")),
    )


def _bylaw_form(request, bylaw, errors, posted, status=200):
    return render(
        request,
        "participation/bylaw_form.html",
        {
            "bylaw": bylaw,
            "errors": errors or {},
            "posted": posted,
            "kinds": Bylaw.Kind.choices,
            "communities": selectors.communities_for(request.user, "participation.manage"),
        },
        status=status,
    )


@requires("participation.manage")
def bylaw_create(request):
    if request.method == "POST":
        try:
            unit = services.community_for_manage(request.user, request.POST.get("community"))
            bylaw = services.bylaw_create(request.user, community=unit, data=_bylaw_input(request))
        except ValidationFailed as exc:
            messages.error(request, exc.message)
            return _bylaw_form(request, None, exc.details, request.POST, status=400)
        except GridGovError as exc:
            messages.error(request, error_text(exc))
            return _bylaw_form(request, None, None, request.POST, status=exc.status)
        messages.success(request, _("The bylaws were saved."))
        return redirect("participation:bylaw_edit", bylaw_id=bylaw.pk)
    return _bylaw_form(request, None, None, {"kind": "convention"})


@requires("participation.manage")
def bylaw_edit(request, bylaw_id: int):
    bylaw = access_object(request.user, Bylaw.objects.all(), "manage", pk=bylaw_id)
    if request.method == "POST":
        try:
            bylaw = services.bylaw_update(
                request.user, bylaw=bylaw, data=_bylaw_input(request), version=_version(request)
            )
        except ValidationFailed as exc:
            messages.error(request, exc.message)
            return _bylaw_form(request, bylaw, exc.details, request.POST, status=400)
        except GridGovError as exc:
            messages.error(request, error_text(exc))
            return _bylaw_form(request, bylaw, None, request.POST, status=exc.status)
        messages.success(request, _("The bylaws were saved."))
        return redirect("participation:bylaw_edit", bylaw_id=bylaw.pk)
    posted = {
        "kind": bylaw.kind,
        "title": bylaw.title,
        "preamble": bylaw.preamble,
        "adopted_on": bylaw.adopted_on.isoformat(),
        "topic": bylaw.topic_id or "",
        "articles": _articles_text(bylaw),
    }
    return _bylaw_form(request, bylaw, None, posted)


# Compliance records ------------------------------------------------------------------


def _entry_form_context(request, community) -> dict:
    if community is None:
        return {"articles": [], "buildings": []}
    return {
        "articles": list(selectors.active_articles(community)),
        "buildings": list(
            Building.objects.filter(grid__path__startswith=community.path)
            .select_related("compound")
            .order_by("compound__name", "number")[:PAGE]
        ),
    }


@requires("participation.view")
def entry_list(request):
    community, units = _community(request)
    period = request.GET.get("period", "")
    qs = selectors.entries_visible(request.user)
    if community is not None:
        qs = qs.filter(community=community)
    if period:
        qs = qs.filter(period=period)
    can_manage = community is not None and selectors.may_manage(request.user, community.path)
    return render(
        request,
        "participation/entry_list.html",
        {
            "entries": list(qs[:PAGE]),
            "count": qs.count(),
            "community": community,
            "communities": units,
            "period": period,
            "periods": selectors.recent_periods(),
            "can_manage": can_manage,
            "colours": ComplianceEntry.Colour.choices,
            "errors": {},
            "posted": {},
            **(_entry_form_context(request, community) if can_manage else {}),
        },
    )


@requires("participation.manage")
@require_POST
def entry_create(request):
    post = request.POST
    community = services.community_for_manage(request.user, post.get("community"))
    try:
        entry = services.entry_create(
            request.user,
            community=community,
            data=services.EntryInput(
                colour=post.get("colour", ""),
                household=post.get("household", "").strip(),
                building=post.get("building") or None,
                article=post.get("article") or None,
                occurred_on=post.get("occurred_on", ""),
                evidence=post.get("evidence", ""),
            ),
        )
    except ValidationFailed as exc:
        messages.error(request, error_text(exc, ComplianceEntry))
        qs = selectors.entries_visible(request.user).filter(community=community)
        return render(
            request,
            "participation/entry_list.html",
            {
                "entries": list(qs[:PAGE]),
                "count": qs.count(),
                "community": community,
                "communities": selectors.communities_for(request.user),
                "periods": selectors.recent_periods(),
                "can_manage": True,
                "colours": ComplianceEntry.Colour.choices,
                "errors": exc.details or {},
                "posted": post,
                **_entry_form_context(request, community),
            },
            status=400,
        )
    messages.success(request, _("The entry was recorded."))
    return redirect("participation:entry_detail", uid=entry.uid)


@requires("participation.view")
def entry_detail(request, uid):
    entry = access_object(request.user, selectors.entries_visible(request.user), uid=uid)
    who, named = selectors.public_who(entry)
    return render(
        request,
        "participation/entry_detail.html",
        {
            "entry": entry,
            "public_who": who,
            "named": named,
            "building_label": selectors.building_label(entry.building),
            "can_manage": selectors.may_manage(request.user, entry.scope_path)
            and entry.removed_at is None,
        },
    )


@requires("participation.manage")
@require_POST
def entry_action(request, uid):
    entry = access_object(request.user, selectors.entries_visible(request.user, "manage"), uid=uid)
    action = request.POST.get("action", "")
    try:
        if action == "consent":
            services.entry_consent(
                request.user,
                entry=entry,
                consent_on=request.POST.get("consent_on", ""),
                public_name=request.POST.get("public_name", ""),
                version=_version(request),
            )
            messages.success(request, _("The consent was recorded."))
        elif action == "remove":
            services.entry_remove(
                request.user,
                entry=entry,
                reason=request.POST.get("reason", ""),
                version=_version(request),
            )
            messages.success(request, _("The entry was removed."))
        else:
            raise ValidationFailed(details={"action": [_("Unknown action.")]})
    except GridGovError as exc:
        messages.error(request, error_text(exc, ComplianceEntry))
    return redirect("participation:entry_detail", uid=entry.uid)


# Boards ----------------------------------------------------------------------------


@requires("participation.view")
def board_staff(request):
    community, units = _community(request)
    try:
        period = selectors.parse_period_label(request.GET.get("period"))
    except ValidationFailed:
        period = selectors.parse_period_label("")
    board = None
    manages = community is not None and selectors.may_manage(request.user, community.path)
    if community is not None:
        board = selectors.public_board(community, period, preview=manages)
    return render(
        request,
        "participation/board_staff.html",
        {
            "board": board,
            "community": community,
            "communities": units,
            "period": period,
            "periods": selectors.recent_periods(),
            "may_publish": manages and selectors.period_finished(period),
        },
    )


@require_POST
@requires("participation.manage")
def board_publish(request):
    """Publish (or republish, with the ratings that came late) a finished month's grid
    service board of one community, as the policy in force places each worker."""
    community, _units = _community(request, "participation.manage")
    period = request.POST.get("period", "")
    if community is None:
        messages.error(request, _("No community in your area."))
        return redirect("participation:board_staff")
    try:
        period = selectors.parse_period_label(period)
        lines = services.publish_service_board(
            request.user, community=community, period_label=period
        )
    except GridGovError as exc:
        messages.error(request, error_text(exc))
    else:
        if lines:
            messages.success(
                request,
                ngettext(
                    "The grid service board of %(period)s was published: %(count)d worker.",
                    "The grid service board of %(period)s was published: %(count)d workers.",
                    lines,
                )
                % {"period": period, "count": lines},
            )
        else:
            messages.info(
                request,
                _("No grid worker was on duty here in %(period)s: there is no board to publish.")
                % {"period": period},
            )
    return redirect(
        f"{reverse('participation:board_staff')}?community={community.code}&period={period}"
    )


@requires("participation.take_part")
def board_mine(request):
    try:
        community = selectors.resident_community(request.user)
    except GridGovError as exc:
        return render(
            request, "participation/board_mine.html", {"error": exc.message}, status=exc.status
        )
    try:
        period = selectors.parse_period_label(request.GET.get("period"))
    except ValidationFailed:
        period = selectors.parse_period_label("")
    return render(
        request,
        "participation/board_mine.html",
        {"board": selectors.public_board(community, period), "period": period},
    )
