"""The needs list (需求清单), the resource list (资源清单) and service orders
(派单-接单-评单).

A need and its orders carry ``scope_path`` (the household's grid path) and are read through
``core.scoping`` under the ``lists`` permissions. A resource carries the path of the org
unit that keeps it; the area it serves is a list of org-unit paths or a radius from a point.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gridgov.core.scoping import ScopedQuerySet, path_filter, scope_filter


class NeedCategory(models.Model):
    """One category of the taxonomy shared by needs and resources (editable data)."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=40)
    name_en = models.CharField(_("English name"), max_length=60)
    is_active = models.BooleanField(_("active"), default=True)
    sort = models.PositiveSmallIntegerField(default=100)

    class Meta:
        verbose_name = _("need category")
        verbose_name_plural = _("need categories")
        ordering = ["sort", "code"]

    def __str__(self) -> str:
        return self.name


class Need(models.Model):
    """One item of a household's needs file (一户一档需求档案)."""

    class Kind(models.TextChoices):
        SERVICE = "service", _("service need")
        ISSUE = "issue", _("problem or request")
        INFO_GAP = "info_gap", _("missing registry information")

    class Source(models.TextChoices):
        VISIT = "visit", _("household visit")
        EVENT = "event", _("grid event")
        SELF = "self", _("resident self-report")
        HOTLINE = "hotline", _("12345 hotline")
        SURVEY = "survey", _("survey")
        STAFF = "staff", _("staff")

    class Priority(models.TextChoices):
        URGENT = "urgent", _("urgent")
        HIGH = "high", _("high")
        NORMAL = "normal", _("normal")
        LOW = "low", _("low")

    class Colour(models.TextChoices):
        RED = "red", _("red (红)")
        YELLOW = "yellow", _("yellow (黄)")
        BLUE = "blue", _("blue (蓝)")
        NONE = "", _("no special group")

    class State(models.TextChoices):
        REGISTERED = "registered", _("registered (已登记)")
        VERIFIED = "verified", _("verified (已核实)")
        MATCHING = "matching", _("matching (匹配中)")
        DISPATCHED = "dispatched", _("dispatched (已派单)")
        IN_SERVICE = "in_service", _("in service (服务中)")
        MET = "met", _("met (已满足)")
        PARTLY_MET = "partly_met", _("partly met (部分满足)")
        UNMET = "unmet", _("cannot be met (无法满足)")
        FOLLOWED_UP = "followed_up", _("followed up (已回访)")
        EXPIRED = "expired", _("no longer valid (已失效)")

    class Route(models.TextChoices):
        NONE = "", _("—")
        PROJECT = "project", _("to a project (转项目)")
        REFERRAL = "referral", _("referred elsewhere (转介)")

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    household = models.ForeignKey(
        "people.Household", verbose_name=_("household"), on_delete=models.PROTECT, related_name="+"
    )
    resident = models.ForeignKey(
        "people.Resident",
        verbose_name=_("resident"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    scope_path = models.CharField(max_length=255, editable=False)
    category = models.ForeignKey(
        NeedCategory, verbose_name=_("category"), on_delete=models.PROTECT, related_name="needs"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.SERVICE)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    # The record it came from: a visit's or an event's uid.
    source_ref = models.CharField(_("source record"), max_length=40, blank=True)
    text = models.CharField(_("description"), max_length=500, blank=True)
    priority = models.CharField(
        _("priority"), max_length=8, choices=Priority.choices, default=Priority.NORMAL
    )
    colour = models.CharField(
        _("special-group colour"), max_length=8, choices=Colour.choices, blank=True, default=""
    )
    # Which rule of which policy version set the colour (shown next to it).
    colour_rule = models.CharField(_("colour rule"), max_length=200, blank=True)
    state = models.CharField(
        _("state"), max_length=12, choices=State.choices, default=State.REGISTERED
    )
    route = models.CharField(
        _("route when unmet"), max_length=10, choices=Route.choices, blank=True, default=""
    )
    merged_count = models.PositiveIntegerField(_("duplicates merged"), default=0)
    result_note = models.CharField(_("result fed back"), max_length=300, blank=True)
    created_by_name = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "scope_path"
    scope_permission_app = "lists"

    OPEN_STATES = (
        State.REGISTERED,
        State.VERIFIED,
        State.MATCHING,
        State.DISPATCHED,
        State.IN_SERVICE,
    )

    class Meta:
        verbose_name = _("need")
        verbose_name_plural = _("needs")
        ordering = ["-created_at"]
        constraints = [
            # One open need per household and category: a second one is merged into it.
            models.UniqueConstraint(
                fields=["household", "category"],
                condition=Q(
                    state__in=["registered", "verified", "matching", "dispatched", "in_service"]
                ),
                name="need_one_open_per_household_category",
            )
        ]
        indexes = [
            models.Index(
                fields=["scope_path"], name="need_scope_idx", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(fields=["state", "category"], name="need_state_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.category} · {self.get_state_display()}"

    @property
    def audit_org_path(self) -> str:
        return self.scope_path

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN_STATES


class NeedLog(models.Model):
    """The need's timeline: every state change, merge and note, with who and when."""

    need = models.ForeignKey(Need, on_delete=models.CASCADE, related_name="log")
    action = models.CharField(max_length=20)
    from_state = models.CharField(max_length=12, blank=True)
    to_state = models.CharField(max_length=12, blank=True)
    note = models.CharField(max_length=500, blank=True)
    actor_name = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.need_id}:{self.action}"


class ResourceQuerySet(ScopedQuerySet):
    def visible_to(self, actor, action: str = "view"):
        """The usual subtree scope; for reading, also the resources kept by the units above
        the actor's (a street's catalogue is read by its communities and grids). Writes
        stay within the subtree."""
        inside = super().visible_to(actor, action)
        if action != "view" or not getattr(actor, "is_authenticated", False):
            return inside
        above: set[str] = set()
        for path in actor.scope_paths("lists.view"):
            codes = [c for c in path.split("/") if c]
            above |= {"/".join(codes[:i]) + "/" for i in range(1, len(codes))}
        if not above:
            return inside
        return self.filter(Q(pk__in=inside.values("pk")) | Q(scope_path__in=sorted(above)))


class Resource(models.Model):
    """One item of the resource list (资源清单): who serves, what, for whom, where, how much."""

    class Class(models.TextChoices):
        GOVERNMENT = "government", _("government (政府)")
        SOCIAL = "social", _("social (社会)")
        VOLUNTEER = "volunteer", _("volunteer (志愿)")

    class ProviderKind(models.TextChoices):
        DEPARTMENT = "department", _("government department")
        SOCIAL_ORG = "social_org", _("social organisation")
        ENTERPRISE = "enterprise", _("enterprise")
        VOLUNTEER_TEAM = "volunteer_team", _("volunteer team")
        RESIDENT_SKILL = "resident_skill", _("resident's skill")

    class Unit(models.TextChoices):
        PLACES = "places", _("places")
        HOURS = "hours", _("hours")
        ITEMS = "items", _("items")

    class Period(models.TextChoices):
        WEEK = "week", _("per week")
        MONTH = "month", _("per month")

    class Cost(models.TextChoices):
        FREE = "free", _("free")
        SUBSIDISED = "subsidised", _("subsidised")
        PAID = "paid", _("paid")

    class Status(models.TextChoices):
        ACTIVE = "active", _("in the pool")
        PAUSED = "paused", _("paused")
        RETIRED = "retired", _("retired")

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=100)
    resource_class = models.CharField(_("class"), max_length=12, choices=Class.choices)
    provider_kind = models.CharField(
        _("provider type"), max_length=16, choices=ProviderKind.choices
    )
    provider_name = models.CharField(_("provider"), max_length=100)
    categories = models.ManyToManyField(
        NeedCategory, verbose_name=_("categories served"), related_name="resources"
    )
    # The org unit that keeps the record (its scope).
    owner = models.ForeignKey(
        "org.OrgUnit", verbose_name=_("kept by"), on_delete=models.PROTECT, related_name="+"
    )
    scope_path = models.CharField(max_length=255, editable=False)
    capacity = models.PositiveIntegerField(_("capacity"))
    capacity_unit = models.CharField(
        _("capacity unit"), max_length=8, choices=Unit.choices, default=Unit.PLACES
    )
    capacity_period = models.CharField(
        _("capacity period"), max_length=8, choices=Period.choices, default=Period.MONTH
    )
    # The area served: org-unit paths (a household under one is served) …
    area_paths = models.JSONField(_("area served"), default=list, blank=True)
    # … and/or a radius from a point (WGS-84).
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    radius_m = models.PositiveIntegerField(_("radius (m)"), null=True, blank=True)
    cost_basis = models.CharField(
        _("cost basis"), max_length=12, choices=Cost.choices, default=Cost.FREE
    )
    # Eligibility: any of these special-population tags (none: everyone), and an age range.
    eligible_tags = models.JSONField(_("eligible groups"), default=list, blank=True)
    min_age = models.PositiveSmallIntegerField(_("minimum age"), null=True, blank=True)
    max_age = models.PositiveSmallIntegerField(_("maximum age"), null=True, blank=True)
    contact_name = models.CharField(_("contact"), max_length=50, blank=True)
    contact_phone_encrypted = models.CharField(max_length=200, blank=True)
    contact_phone_masked = models.CharField(_("contact phone"), max_length=30, blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.ACTIVE
    )
    last_verified = models.DateField(_("last verified"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    objects = ResourceQuerySet.as_manager()
    scope_path_field = "scope_path"
    scope_permission_app = "lists"

    class Meta:
        verbose_name = _("resource")
        verbose_name_plural = _("resources")
        ordering = ["name"]
        indexes = [
            models.Index(
                fields=["scope_path"], name="resource_scope_idx", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(fields=["status"], name="resource_status_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_org_path(self) -> str:
        return self.scope_path


class ResourceOperator(models.Model):
    """An account that operates a resource (服务提供方): it sees and acts on the service
    orders dispatched to the resource. Linked and unlinked by staff who manage the resource
    (``lists.manage`` in its scope); the account holds the service-provider role."""

    resource = models.ForeignKey(
        Resource, verbose_name=_("resource"), on_delete=models.CASCADE, related_name="operators"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("operator account"),
        on_delete=models.CASCADE,
        related_name="operated_resources",
    )
    created_by_name = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("resource operator")
        verbose_name_plural = _("resource operators")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["resource", "user"], name="resource_operator_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}@{self.resource_id}"

    @property
    def audit_org_path(self) -> str:
        return self.resource.scope_path


def own_orders_filter(actor) -> Q | None:
    """The orders a provider account acts on: those of the resources it operates, inside
    the units where it holds ``lists.serve``; None when it has none."""
    within = path_filter(actor, "lists.serve", "scope_path")
    if within is None:
        return None
    operated = ResourceOperator.objects.filter(user=actor).values("resource_id")
    return within & Q(resource_id__in=operated)


class ServiceOrderQuerySet(ScopedQuerySet):
    def visible_to(self, actor, action: str = "view"):
        """Staff: the subtree scope of ``lists.<action>``. Provider accounts: the orders of
        the resources they operate (``own_orders_filter``). ``view`` is both; ``serve`` is
        the provider's own only; ``act`` (an order action) is ``dispatch`` or ``serve``;
        any other action is staff's only."""
        if action not in ("view", "serve", "act"):
            return super().visible_to(actor, action)
        staff_action = {"view": "view", "act": "dispatch"}.get(action)
        parts = [own_orders_filter(actor)]
        if staff_action:
            parts.append(scope_filter(self.model, actor, staff_action))
        parts = [p for p in parts if p is not None]
        if not parts:
            return self.none()
        query = parts[0]
        for part in parts[1:]:
            query |= part
        return self.filter(query)


class ServiceOrder(models.Model):
    """One dispatch of a need to a resource (派单-接单-评单), rated twice: the resident's
    satisfaction and whether the need was met, and staff's outcome rating."""

    class State(models.TextChoices):
        DISPATCHED = "dispatched", _("dispatched (已派单)")
        ACCEPTED = "accepted", _("accepted (已接单)")
        REFUSED = "refused", _("refused (已拒单)")
        TIMED_OUT = "timed_out", _("not accepted in time (超时)")
        IN_SERVICE = "in_service", _("in service (服务中)")
        COMPLETED = "completed", _("completed (已完成)")
        RATED = "rated", _("rated (已评价)")
        CANCELLED = "cancelled", _("cancelled (已取消)")

    class Met(models.TextChoices):
        YES = "yes", _("met")
        PARTLY = "partly", _("partly met")
        NO = "no", _("not met")

    ACTIVE_STATES = (State.DISPATCHED, State.ACCEPTED, State.IN_SERVICE)
    # Orders that use a place of the resource in their period.
    USING_STATES = (
        State.DISPATCHED,
        State.ACCEPTED,
        State.IN_SERVICE,
        State.COMPLETED,
        State.RATED,
    )

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    need = models.ForeignKey(
        Need, verbose_name=_("need"), on_delete=models.PROTECT, related_name="orders"
    )
    resource = models.ForeignKey(
        Resource, verbose_name=_("resource"), on_delete=models.PROTECT, related_name="orders"
    )
    scope_path = models.CharField(max_length=255, editable=False)
    state = models.CharField(
        _("state"), max_length=12, choices=State.choices, default=State.DISPATCHED
    )
    dispatched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("dispatched by"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    dispatched_at = models.DateTimeField(_("dispatched"))
    accept_due = models.DateTimeField(_("accept by"))
    start_due = models.DateTimeField(_("first service by"))
    deadline_assumed = models.BooleanField(default=False)
    policy_version = models.PositiveIntegerField(default=0)
    note = models.CharField(_("note"), max_length=300, blank=True)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    refused_at = models.DateTimeField(_("refused"), null=True, blank=True)
    refusal_reason = models.CharField(_("reason for refusal"), max_length=300, blank=True)
    started_at = models.DateTimeField(_("service started"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    hours = models.DecimalField(_("hours given"), max_digits=6, decimal_places=1, null=True)
    resident_rating = models.PositiveSmallIntegerField(_("resident's rating"), null=True)
    need_met = models.CharField(_("need met?"), max_length=8, choices=Met.choices, blank=True)
    outcome_rating = models.PositiveSmallIntegerField(_("outcome rating"), null=True)
    rated_at = models.DateTimeField(_("rated"), null=True, blank=True)
    # The resident's own answer (1–5 and "was the need met?") through the rating link sent
    # when the service is completed; only the link's SHA-256 is kept. Staff then add the
    # outcome rating. Without it, staff record the resident's answer on their behalf (代办).
    rating_link_digest = models.CharField(max_length=64, blank=True, db_index=True)
    resident_rated_at = models.DateTimeField(_("rated by the resident"), null=True, blank=True)
    # When the order, accepted but not started by ``start_due``, was escalated (once).
    overdue_escalated_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = ServiceOrderQuerySet.as_manager()
    scope_path_field = "scope_path"
    scope_permission_app = "lists"

    class Meta:
        verbose_name = _("service order")
        verbose_name_plural = _("service orders")
        ordering = ["-dispatched_at"]
        constraints = [
            # A need has at most one order in hand at a time.
            models.UniqueConstraint(
                fields=["need"],
                condition=Q(state__in=["dispatched", "accepted", "in_service"]),
                name="service_order_one_active_per_need",
            )
        ]
        indexes = [
            models.Index(
                fields=["scope_path"], name="order_scope_idx", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(fields=["resource", "dispatched_at"], name="order_resource_idx"),
            models.Index(fields=["state", "accept_due"], name="order_due_idx"),
            models.Index(fields=["state", "start_due"], name="order_start_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.need_id}→{self.resource_id}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("lists:order_detail", args=[self.uid])

    @property
    def audit_org_path(self) -> str:
        return self.scope_path


class MatchProposal(models.Model):
    """One run of the optimiser (智能匹配) over the needs waiting for a match in a unit: its
    proposals and unserved needs (rows), to be confirmed, changed or rejected by a person."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    unit = models.ForeignKey(
        "org.OrgUnit", verbose_name=_("area"), on_delete=models.PROTECT, related_name="+"
    )
    scope_path = models.CharField(max_length=255, editable=False)
    category = models.ForeignKey(
        NeedCategory,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by_name = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)
    method = models.CharField(max_length=20)
    policy_version = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(default=0)
    # The optimiser's objective and the greedy baseline's on the same candidates.
    objective = models.JSONField(default=dict)
    greedy_objective = models.JSONField(default=dict)
    needs_total = models.PositiveIntegerField(default=0)
    proposed_count = models.PositiveIntegerField(default=0)

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "scope_path"
    scope_permission_app = "lists"

    class Meta:
        verbose_name = _("match proposal")
        verbose_name_plural = _("match proposals")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["scope_path"], name="proposal_scope_idx", opclasses=["varchar_pattern_ops"]
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit_id}@{self.created_at:%Y-%m-%d %H:%M}"

    @property
    def audit_org_path(self) -> str:
        return self.scope_path


class MatchProposalRow(models.Model):
    """One need of a proposal: the resource proposed with why, the alternatives and the
    distance, or why nobody could serve it; then what the person decided."""

    class State(models.TextChoices):
        PROPOSED = "proposed", _("proposed (待确认)")
        CONFIRMED = "confirmed", _("confirmed (已确认)")
        CHANGED = "changed", _("changed (已改派)")
        REJECTED = "rejected", _("rejected (已驳回)")
        UNSERVED = "unserved", _("no resource (无可用资源)")

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    proposal = models.ForeignKey(MatchProposal, on_delete=models.CASCADE, related_name="rows")
    need = models.ForeignKey(Need, on_delete=models.CASCADE, related_name="+")
    scope_path = models.CharField(max_length=255, editable=False)
    # The need's version when proposed: a need changed since is a stale proposal.
    need_version = models.PositiveIntegerField()
    resource = models.ForeignKey(
        Resource, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rank = models.PositiveIntegerField()
    priority = models.PositiveIntegerField()
    distance_m = models.FloatField(null=True, blank=True)
    # Codes and numbers (rendered in the reader's language): see lists/matching_services.py.
    explanation = models.JSONField(default=dict)
    unserved_reason = models.CharField(max_length=20, blank=True)
    state = models.CharField(max_length=12, choices=State.choices)
    order = models.ForeignKey(
        ServiceOrder, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    decided_by_name = models.CharField(max_length=150, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "scope_path"
    scope_permission_app = "lists"

    class Meta:
        ordering = ["rank", "id"]
        constraints = [
            models.UniqueConstraint(fields=["proposal", "need"], name="proposal_row_one_per_need")
        ]
        indexes = [
            models.Index(
                fields=["scope_path"],
                name="proposal_row_scope_idx",
                opclasses=["varchar_pattern_ops"],
            )
        ]

    def __str__(self) -> str:
        return f"{self.proposal_id}:{self.need_id}"

    @property
    def audit_org_path(self) -> str:
        return self.scope_path


class Project(models.Model):
    """One item of the projects list (项目清单 · 项目落地清单): needs no resource can meet,
    turned into a project with a sponsor, providers, a budget and a lifecycle."""

    class ServiceLine(models.TextChoices):
        AGEING_ADAPT = "ageing_adapt", _("home adaptation for old age (适老改造)")
        YOUTH_CARE = "youth_care", _("after-school care for children (青少托管)")
        CULTURE = "culture", _("culture for residents (文化惠民)")
        MEALS = "meals", _("meal help (助餐)")
        ELDERLY_CARE = "elderly_care", _("elderly care (养老服务)")
        HEALTH = "health", _("health and rehabilitation (健康康复)")
        EMPLOYMENT = "employment", _("help finding work (就业帮扶)")
        OTHER = "other", _("other (其他)")

    class State(models.TextChoices):
        RESEARCH = "research", _("needs research (需求调研)")
        DESIGN = "design", _("plan design (方案设计)")
        BUDGET_APPROVAL = "budget_approval", _("budget approval (预算审批)")
        IMPLEMENTING = "implementing", _("implementing (实施)")
        EVALUATION = "evaluation", _("performance evaluation (绩效评估)")
        RESIDENT_REVIEW = "resident_review", _("residents' review (居民评议)")
        CLOSED = "closed", _("closed (结项)")
        CANCELLED = "cancelled", _("cancelled (已撤销)")

    OPEN_STATES = (
        State.RESEARCH,
        State.DESIGN,
        State.BUDGET_APPROVAL,
        State.IMPLEMENTING,
        State.EVALUATION,
        State.RESIDENT_REVIEW,
    )
    # The budget is settled once approved: it changes only before approval is asked.
    BUDGET_EDITABLE = (State.RESEARCH, State.DESIGN)

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=100)
    service_line = models.CharField(
        _("service line"), max_length=16, choices=ServiceLine.choices, default=ServiceLine.OTHER
    )
    summary = models.CharField(_("summary"), max_length=1000, blank=True)
    needs = models.ManyToManyField(
        Need, verbose_name=_("needs"), related_name="projects", blank=True
    )
    providers = models.ManyToManyField(
        Resource, verbose_name=_("providers"), related_name="projects", blank=True
    )
    # The sponsoring unit (its scope).
    sponsor = models.ForeignKey(
        "org.OrgUnit", verbose_name=_("sponsor"), on_delete=models.PROTECT, related_name="+"
    )
    scope_path = models.CharField(max_length=255, editable=False)
    budget = models.DecimalField(_("budget (yuan)"), max_digits=12, decimal_places=2, default=0)
    funding_source = models.CharField(_("funding source"), max_length=100, blank=True)
    planned_start = models.DateField(_("planned start"), null=True, blank=True)
    planned_end = models.DateField(_("planned end"), null=True, blank=True)
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.RESEARCH
    )
    beneficiaries = models.PositiveIntegerField(_("beneficiaries"), null=True, blank=True)
    # Residents' ratings (1–5) recorded by staff during the residents' review: the page
    # shows their average.
    rating_sum = models.PositiveIntegerField(default=0)
    rating_count = models.PositiveIntegerField(_("ratings"), default=0)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=300, blank=True)
    created_by_name = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "scope_path"
    scope_permission_app = "lists"

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(budget__gte=0), name="project_budget_not_negative")
        ]
        indexes = [
            models.Index(
                fields=["scope_path"], name="project_scope_idx", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(fields=["state"], name="project_state_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_org_path(self) -> str:
        return self.scope_path

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN_STATES

    @property
    def resident_rating(self):
        """The average of the residents' ratings (one decimal), or None before the first."""
        if not self.rating_count:
            return None
        return round(self.rating_sum / self.rating_count, 1)


class ProjectLog(models.Model):
    """The project's timeline: every step, with who and when."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="log")
    action = models.CharField(max_length=20)
    from_state = models.CharField(max_length=16, blank=True)
    to_state = models.CharField(max_length=16, blank=True)
    note = models.CharField(max_length=500, blank=True)
    actor_name = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.project_id}:{self.action}"


# Bookable resources (设备共享库 · 空间共享计划) ------------------------------------------------


class BookableSpace(models.Model):
    """What makes a resource bookable (a room, a piece of equipment, a shared space): its
    weekly opening hours cut into slots, whether a booking needs approval, how many people
    it holds. The keeper is the resource's ``owner`` (its scope); the calendar is read by
    whoever sees the resource."""

    class Kind(models.TextChoices):
        ROOM = "room", _("room (活动室 / 会议室)")
        EQUIPMENT = "equipment", _("equipment (设备)")
        SPACE = "space", _("shared space (共享场地)")

    resource = models.OneToOneField(
        Resource, verbose_name=_("resource"), on_delete=models.PROTECT, related_name="bookable"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.ROOM)
    # Opening hours per weekday (0 = Monday … 6 = Sunday), local time:
    # {"0": [["08:30", "11:30"], ["13:30", "17:30"]], …}; a day not listed is closed.
    schedule = models.JSONField(_("opening hours"), default=dict)
    slot_minutes = models.PositiveSmallIntegerField(_("slot length (minutes)"), default=60)
    needs_approval = models.BooleanField(_("bookings need approval"), default=True)
    capacity_people = models.PositiveIntegerField(_("capacity (people)"), default=1)
    is_open = models.BooleanField(_("open for booking"), default=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("bookable resource")
        verbose_name_plural = _("bookable resources")

    def __str__(self) -> str:
        return self.resource.name

    @property
    def scope_path(self) -> str:
        return self.resource.scope_path

    @property
    def audit_org_path(self) -> str:
        return self.resource.scope_path


class BookingQuerySet(ScopedQuerySet):
    def visible_to(self, actor, action: str = "view"):
        """A booking is seen in the keeper's subtree (``scope_path``) and in the subtree of
        the unit it was booked for (``requester_path``)."""
        if actor is None or not getattr(actor, "is_authenticated", False):
            return self.none()
        paths = actor.scope_paths(f"lists.{action}")
        if not paths:
            return self.none()
        query = Q()
        for path in paths:
            query |= Q(scope_path__startswith=path) | Q(requester_path__startswith=path)
        return self.filter(query)


class Booking(models.Model):
    """One booking of a bookable resource for a resident or a group: requested → approved
    / rejected → checked in / no-show / cancelled → completed."""

    class State(models.TextChoices):
        REQUESTED = "requested", _("requested (待审批)")
        APPROVED = "approved", _("approved (已批准)")
        REJECTED = "rejected", _("rejected (已驳回)")
        CHECKED_IN = "checked_in", _("checked in (已签到)")
        NO_SHOW = "no_show", _("no-show (爽约)")
        CANCELLED = "cancelled", _("cancelled (已取消)")
        COMPLETED = "completed", _("completed (已完成)")

    # States that hold the slot: nobody else may book it.
    BLOCKING_STATES = (State.REQUESTED, State.APPROVED, State.CHECKED_IN)
    # States whose hours were used (utilisation).
    USED_STATES = (State.CHECKED_IN, State.COMPLETED)

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    space = models.ForeignKey(
        BookableSpace, verbose_name=_("resource"), on_delete=models.PROTECT, related_name="bookings"
    )
    # The keeper's path (the resource's scope) and the path of the unit it is booked for.
    scope_path = models.CharField(max_length=255, editable=False)
    requester_path = models.CharField(max_length=255, editable=False)
    start_at = models.DateTimeField(_("from"))
    end_at = models.DateTimeField(_("until"))
    state = models.CharField(
        _("state"), max_length=12, choices=State.choices, default=State.REQUESTED
    )
    resident = models.ForeignKey(
        "people.Resident",
        verbose_name=_("resident"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The applicant (a person, or the contact of a group): stored SM4-encrypted, shown masked.
    applicant_name_encrypted = models.CharField(max_length=200, blank=True)
    applicant_name_masked = models.CharField(_("applicant"), max_length=60, blank=True)
    applicant_phone_encrypted = models.CharField(max_length=200, blank=True)
    applicant_phone_masked = models.CharField(_("applicant's phone"), max_length=30, blank=True)
    group_name = models.CharField(_("group"), max_length=100, blank=True)
    purpose = models.CharField(_("purpose"), max_length=300)
    attendees = models.PositiveIntegerField(_("attendees"), default=1)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("booked by"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("booked"), auto_now_add=True)
    decided_by_name = models.CharField(_("decided by"), max_length=150, blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    checked_in_at = models.DateTimeField(_("checked in"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    policy_version = models.PositiveIntegerField(default=0)
    version = models.PositiveIntegerField(default=1)

    objects = BookingQuerySet.as_manager()
    scope_path_field = "scope_path"
    scope_permission_app = "lists"

    class Meta:
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        ordering = ["start_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_at__gt=models.F("start_at")), name="booking_end_after_start"
            ),
        ]
        indexes = [
            models.Index(fields=["space", "start_at"], name="booking_space_start_idx"),
            models.Index(fields=["state", "end_at"], name="booking_state_end_idx"),
            models.Index(
                fields=["scope_path"], name="booking_scope_idx", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(
                fields=["requester_path"],
                name="booking_requester_idx",
                opclasses=["varchar_pattern_ops"],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.space_id} {self.start_at:%Y-%m-%d %H:%M}"

    @property
    def audit_org_path(self) -> str:
        return self.scope_path
