"""Grid events (网格事件) and everything around their closed loop.

An event carries ``scope_path`` — the path of its grid, or of its community when the
location lies outside every grid — so scoped queues are one indexed prefix filter. The
state lives on the event; every transition appends an ``EventAction`` (the timeline).
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from gridgov.core.scoping import ScopedQuerySet


class Department(models.Model):
    """A functional department that takes events of its categories (事件归并清单)."""

    district = models.ForeignKey(
        "org.OrgUnit", verbose_name=_("district"), on_delete=models.PROTECT, related_name="+"
    )
    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("handlers"), blank=True, related_name="departments"
    )

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "district__path"
    scope_permission_app = "events"

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Urgency(models.TextChoices):
    IMMEDIATE = "immediate", _("immediate")
    SAME_DAY = "same_day", _("same day")
    DEADLINE = "deadline", _("within the deadline")


class Category(models.Model):
    """One class of the two-level catalogue (GB/T 47678.5-2026 and local extensions).

    Editable seed data, versioned: every change bumps ``version`` and keeps a revision.
    """

    class Kind(models.TextChoices):
        COMPONENT = "component", _("component (部件)")
        MATTER = "matter", _("matter (事项)")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    code = models.CharField(_("code"), max_length=5)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("major class"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    name = models.CharField(_("name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=80, blank=True)
    default_urgency = models.CharField(
        _("default urgency"), max_length=10, choices=Urgency.choices, default=Urgency.DEADLINE
    )
    # Overrides of the urgency limits, e.g. {"deadline": {"working_days": 5}}.
    sla_overrides = models.JSONField(_("time-limit overrides"), default=dict, blank=True)
    department = models.ForeignKey(
        Department,
        verbose_name=_("responsible department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    on_site_resolvable = models.BooleanField(_("grid worker may resolve on site"), default=False)
    # Events about vulnerable people (独居老人异常, 困境人员求助) stay out of public output.
    sensitive = models.BooleanField(_("sensitive: never in public output"), default=False)
    keywords = models.JSONField(_("keywords"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("event category")
        verbose_name_plural = _("event categories")
        ordering = ["kind", "code"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "code"], name="category_code_unique_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def is_major(self) -> bool:
        return self.parent_id is None

    @property
    def sla_overrides_json(self) -> str:
        import json

        return json.dumps(self.sla_overrides, ensure_ascii=False)


class CategoryRevision(models.Model):
    """The content of a category at each version (who changed what, and when)."""

    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="revisions")
    version = models.PositiveIntegerField()
    content = models.JSONField()
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["category", "version"], name="category_revision_unique")
        ]

    def __str__(self) -> str:
        return f"{self.category_id} v{self.version}"


class CalendarDay(models.Model):
    """An official holiday or adjusted working day entered by an admin for a year the
    calendar package does not know yet (or to correct it)."""

    date = models.DateField(_("date"), unique=True)
    is_workday = models.BooleanField(_("working day"))
    name = models.CharField(_("name"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {'+' if self.is_workday else '-'}"


class CalendarYear(models.Model):
    """Marks a year's holiday arrangement as completely entered (no more warning)."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return str(self.year)


class State(models.TextChoices):
    REPORTED = "reported", _("reported")
    ACCEPTED = "accepted", _("accepted")
    CLASSIFIED = "classified", _("registered")
    DISPATCHED = "dispatched", _("dispatched")
    HANDLING = "handling", _("being handled")
    WAITING = "waiting", _("waiting for the reporter")
    HANDLED = "handled", _("handled, to verify")
    CLOSED = "closed", _("closed")
    # Closed without being resolved: never counted as resolved by any KPI.
    REJECTED = "rejected", _("not accepted")
    MERGED = "merged", _("merged as duplicate")
    UNFOUNDED = "unfounded", _("not substantiated")
    OUT_OF_AREA = "out_of_area", _("outside our jurisdiction")
    SUSPENDED = "suspended", _("suspended (not solvable for now)")


OPEN_STATES = frozenset(
    {
        State.REPORTED,
        State.ACCEPTED,
        State.CLASSIFIED,
        State.DISPATCHED,
        State.HANDLING,
        State.WAITING,
        State.HANDLED,
    }
)
# States in which the handling deadline runs (the scan watches these).
CLOCK_STATES = ["classified", "dispatched", "handling", "handled"]
UNRESOLVED_END_STATES = frozenset(
    {State.REJECTED, State.MERGED, State.UNFOUNDED, State.OUT_OF_AREA, State.SUSPENDED}
)


class Channel(models.TextChoices):
    PATROL = "patrol", _("grid worker patrol")
    RESIDENT = "resident", _("resident")
    HOTLINE = "hotline", _("12345 hotline")
    DEVICE = "device", _("device alarm")
    OPEN311 = "open311", _("Open311")
    STAFF = "staff", _("staff")
    VISIT = "visit", _("household visit")


class EventQuerySet(ScopedQuerySet):
    def open(self):
        return self.filter(state__in=OPEN_STATES)


class Event(models.Model):
    class Level(models.TextChoices):
        GRID = "grid", _("grid")
        COMMUNITY = "community", _("community")
        STREET = "street", _("street")
        DISTRICT = "district", _("district department")

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    tracking_code = models.CharField(_("tracking code"), max_length=12, unique=True)
    # The tracking code is the public id (Open311 service_request_id). The reporter's
    # secret, shown to them once, is kept only as its SM3 digest.
    tracking_secret_digest = models.CharField(max_length=64, blank=True, default="")
    # Idempotency: a client resending the same report gets the same event back.
    client_id = models.CharField(max_length=64, blank=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    state = models.CharField(
        _("state"), max_length=12, choices=State.choices, default=State.REPORTED
    )
    title = models.CharField(_("title"), max_length=100)
    description = models.TextField(_("description"), max_length=2000, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    grid = models.ForeignKey(
        "org.OrgUnit",
        verbose_name=_("grid"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="events",
    )
    scope_path = models.CharField(max_length=255, editable=False)
    outside_grids = models.BooleanField(_("outside every grid"), default=False)
    category = models.ForeignKey(
        Category, verbose_name=_("category"), null=True, blank=True, on_delete=models.PROTECT
    )
    category_version = models.PositiveIntegerField(null=True, blank=True)
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices, blank=True)
    suggested_category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    suggestion_confidence = models.FloatField(null=True, blank=True)

    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reporter"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reported_events",
    )
    found_by_grid_worker = models.BooleanField(default=False)
    contact_name = models.CharField(_("contact name"), max_length=50, blank=True)
    contact_phone_encrypted = models.CharField(max_length=200, blank=True)
    contact_phone_masked = models.CharField(_("contact phone"), max_length=30, blank=True)
    contact_phone_index = models.CharField(max_length=64, blank=True, db_index=True)

    # Who holds it now: a person (grid worker), or a unit/department that must check in.
    level = models.CharField(_("level"), max_length=10, choices=Level.choices, default="grid")
    responsible_unit = models.ForeignKey(
        "org.OrgUnit",
        verbose_name=_("responsible unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_events",
    )
    suggested_assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="events",
    )
    checked_in_at = models.DateTimeField(null=True, blank=True)
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="duplicates"
    )

    reported_at = models.DateTimeField(_("reported at"), db_index=True)
    accept_due = models.DateTimeField(null=True, blank=True)
    handle_due = models.DateTimeField(_("due"), null=True, blank=True, db_index=True)
    feedback_due = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    classified_at = models.DateTimeField(null=True, blank=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    handled_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    calendar_assumed = models.BooleanField(default=False)  # Monday–Friday was assumed
    # When "due soon" starts (a share of the limit before the deadline), kept with it.
    due_soon_at = models.DateTimeField(null=True, blank=True)
    due_soon_notified = models.BooleanField(default=False)
    accept_late_notified = models.BooleanField(default=False)
    overdue_level = models.PositiveSmallIntegerField(default=0)  # rungs of the ladder climbed

    result = models.TextField(_("result"), max_length=2000, blank=True)
    close_reason = models.CharField(_("reason"), max_length=200, blank=True)
    rework_count = models.PositiveSmallIntegerField(_("rework"), default=0)
    extension_count = models.PositiveSmallIntegerField(default=0)
    reopen_count = models.PositiveSmallIntegerField(default=0)
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    actually_fixed = models.BooleanField(_("actually fixed"), null=True, blank=True)
    rating_comment = models.CharField(_("comment"), max_length=500, blank=True)
    rated_at = models.DateTimeField(null=True, blank=True)
    rating_followup_sent = models.BooleanField(default=False)

    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    objects = EventQuerySet.as_manager()
    scope_path_field = "scope_path"
    scope_permission_app = "events"

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        constraints = [
            models.UniqueConstraint(
                fields=["reporter", "client_id"],
                condition=~Q(client_id=""),
                name="event_client_id_unique",
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="event_rating_range",
            ),
        ]
        indexes = [
            models.Index(
                fields=["scope_path"], name="event_scope_idx", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(fields=["state", "handle_due"], name="event_state_due_idx"),
            # The deadline scan's questions, each answered from a small partial index.
            models.Index(
                fields=["due_soon_at"],
                name="event_due_soon_idx",
                condition=Q(
                    due_soon_notified=False, state__in=CLOCK_STATES, paused_at__isnull=True
                ),
            ),
            models.Index(
                fields=["handle_due"],
                name="event_escalation_idx",
                # The ladder has three rungs: events on the last one have nothing left to climb.
                condition=Q(state__in=CLOCK_STATES, paused_at__isnull=True, overdue_level__lt=3),
            ),
            models.Index(
                fields=["accept_due"],
                name="event_accept_late_idx",
                condition=Q(state="reported", accept_late_notified=False),
            ),
            models.Index(
                fields=["closed_at"],
                name="event_followup_idx",
                condition=Q(state="closed", rated_at__isnull=True, rating_followup_sent=False),
            ),
            models.Index(fields=["assignee", "state"], name="event_assignee_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.tracking_code} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("events:event_detail", args=[self.uid])

    @property
    def audit_org_path(self) -> str:
        return self.scope_path

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @classmethod
    def extra_scope_filter(cls, actor, action):
        """A department handler sees only the events given to one of their departments."""
        from gridgov.accounts.roles import Role

        roles = actor.roles
        if roles and roles <= {Role.DEPARTMENT_HANDLER}:
            return Q(department__members=actor)
        return None


class EventAction(models.Model):
    """One step of an event's timeline: who did what, when, with which note."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="actions")
    action = models.CharField(max_length=24)
    from_state = models.CharField(max_length=12, blank=True)
    to_state = models.CharField(max_length=12)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(max_length=60, blank=True)
    note = models.CharField(max_length=1000, blank=True)
    data = models.JSONField(default=dict, blank=True)
    public = models.BooleanField(default=False)  # shown to the reporter as a status note
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["event", "created_at"], name="eventaction_event_idx")]

    def __str__(self) -> str:
        return f"{self.event_id} {self.action}"

    @property
    def action_label(self):
        from gridgov.events.workflow import STEP_LABELS, TRANSITIONS

        if self.action in TRANSITIONS:
            return TRANSITIONS[self.action].label
        return STEP_LABELS.get(self.action, self.action)


class EventPhoto(models.Model):
    """A photo re-encoded as JPEG without metadata; the GPS it carried is kept apart."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="photos")
    action = models.ForeignKey(EventAction, null=True, on_delete=models.SET_NULL, related_name="+")
    stored_path = models.CharField(max_length=300)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    exif_lon = models.FloatField(null=True, blank=True)
    exif_lat = models.FloatField(null=True, blank=True)
    # Only photos staff approved are public; the others are for staff and the reporter.
    public = models.BooleanField(default=False)
    public_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    public_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return str(self.uid)


class EventRequest(models.Model):
    """An extension (延期) or suspension (挂账) asked for and approved or refused."""

    class Kind(models.TextChoices):
        EXTENSION = "extension", _("extension")
        SUSPENSION = "suspension", _("suspension")

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        APPROVED = "approved", _("approved")
        REFUSED = "refused", _("refused")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="requests")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    working_days = models.PositiveSmallIntegerField(null=True, blank=True)
    reason = models.CharField(max_length=500)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decision_note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["event", "kind"],
                condition=Q(status="pending"),
                name="one_pending_request_per_kind",
            )
        ]

    def __str__(self) -> str:
        return f"{self.event_id} {self.kind} {self.status}"


class DeviceSource(models.Model):
    """A sensor (smoke alarm, water meter…) that may create events through the webhook."""

    code = models.CharField(_("device code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    category = models.ForeignKey(Category, verbose_name=_("category"), on_delete=models.PROTECT)
    lon = models.FloatField()
    lat = models.FloatField()
    address = models.CharField(max_length=200, blank=True)
    secret_encrypted = models.CharField(max_length=200)
    is_active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return self.name


class DeviceNonce(models.Model):
    """Nonces already used by devices (replay protection); old ones are purged."""

    device = models.ForeignKey(DeviceSource, on_delete=models.CASCADE)
    nonce = models.CharField(max_length=64)
    seen_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["device", "nonce"], name="device_nonce_unique")
        ]

    def __str__(self) -> str:
        return self.nonce


class ClassifierModel(models.Model):
    """A text classifier trained on this deployment's own labelled events."""

    created_at = models.DateTimeField(auto_now_add=True)
    trained_on = models.PositiveIntegerField()
    tested_on = models.PositiveIntegerField()
    accuracy = models.FloatField()
    # Serialised scikit-learn pipeline; written only by the training command.
    blob = models.BinaryField()

    def __str__(self) -> str:
        return f"classifier {self.pk} ({self.accuracy:.3f})"
