"""Deliberation topics 议题: 征集中 → 已立项 → 讨论中 → 表决中 → 已决议 → 落实中 → 已反馈,
or 不予立项 with the reason (the states of ``participation.workflow``)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gridgov.core.scoping import ScopedQuerySet


class Topic(models.Model):
    class State(models.TextChoices):
        COLLECTING = "collecting", _("collecting proposals (征集中)")
        SELECTED = "selected", _("selected (已立项)")
        DISCUSSING = "discussing", _("under discussion (讨论中)")
        VOTING = "voting", _("voting (表决中)")
        DECIDED = "decided", _("decided (已决议)")
        IMPLEMENTING = "implementing", _("being implemented (落实中)")
        REPORTED = "reported", _("reported back (已反馈)")
        REJECTED = "rejected", _("not taken up (不予立项)")

    class Source(models.TextChoices):
        PROPOSAL = "proposal", _("resident proposal")
        COMMITTEE = "committee", _("residents' committee")
        EVENT = "event", _("grid event")
        NEED = "need", _("need from the three lists")
        SURVEY = "survey", _("survey")

    class MeetingType(models.TextChoices):
        HEARING = "hearing", _("hearing (听证会)")
        COORDINATION = "coordination", _("coordination meeting (协调会)")
        REVIEW = "review", _("review meeting (评议会)")
        ONLINE = "online", _("online only")

    OPEN_STATES = (
        State.COLLECTING,
        State.SELECTED,
        State.DISCUSSING,
        State.VOTING,
        State.DECIDED,
        State.IMPLEMENTING,
    )

    org_unit = models.ForeignKey(
        "org.OrgUnit",
        verbose_name=_("community or grid"),
        on_delete=models.PROTECT,
        related_name="topics",
    )
    scope_path = models.CharField(max_length=255, editable=False)
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), max_length=4000, blank=True)
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    meeting_type = models.CharField(
        _("meeting type"), max_length=14, choices=MeetingType.choices, default=MeetingType.ONLINE
    )
    # A major matter (重大事项) must be deliberated or voted: the 重大决策居民参与率 counts these.
    is_major = models.BooleanField(_("major matter (重大事项)"), default=False)
    meeting_at = models.DateTimeField(_("meeting time"), null=True, blank=True)
    meeting_place = models.CharField(_("meeting place"), max_length=120, blank=True)
    state = models.CharField(
        _("state"), max_length=14, choices=State.choices, default=State.COLLECTING
    )
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    selected_at = models.DateTimeField(_("selected at"), null=True, blank=True)
    # The record the topic came from, where there is one (source event or need).
    source_event = models.ForeignKey(
        "events.Event",
        verbose_name=_("source event"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    source_need = models.ForeignKey(
        "lists.Need",
        verbose_name=_("source need"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Who takes part, by kind: counts, and the names of the organisations (never residents).
    resident_reps = models.PositiveSmallIntegerField(_("residents' representatives"), default=0)
    experts = models.PositiveSmallIntegerField(_("experts"), default=0)
    merchants = models.PositiveSmallIntegerField(_("merchants"), default=0)
    departments = models.CharField(_("departments (names)"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "scope_path"
    scope_permission_app = "participation"

    class Meta:
        verbose_name = _("deliberation topic")
        verbose_name_plural = _("deliberation topics")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["scope_path"], name="topic_scope_idx", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(fields=["state", "selected_at"], name="topic_state_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        self.scope_path = self.org_unit.path
        super().save(*args, **kwargs)

    @property
    def audit_org_path(self) -> str:
        return self.scope_path


class TopicLog(models.Model):
    """The topic's public timeline: every step, who took it and when."""

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="log")
    action = models.CharField(max_length=30)
    from_state = models.CharField(max_length=14, blank=True)
    to_state = models.CharField(max_length=14)
    note = models.CharField(max_length=500, blank=True)
    actor_name = models.CharField(max_length=150)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.topic_id}: {self.action}"
