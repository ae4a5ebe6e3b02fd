"""Votes 表决 on a topic: the question and its options, the electorate frozen when the vote
opens (one ``Elector`` per eligible person, household or elected representative), the
turnout (who voted, when, how) and the ballots (what was chosen) in two tables that nothing
links when the ballot is secret, paper ballots entered by one member of staff and
confirmed by another, and the result stored once at closing (docs/participation.md, *Votes*).
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gridgov.core.scoping import ScopedQuerySet


class Representative(models.Model):
    """An elected residents' representative 居民代表 of a community, designated by staff;
    the electorate of a vote held among representatives."""

    community = models.ForeignKey(
        "org.OrgUnit", on_delete=models.PROTECT, related_name="resident_representatives"
    )
    scope_path = models.CharField(max_length=255, editable=False)
    resident = models.ForeignKey(
        "people.Resident", on_delete=models.PROTECT, related_name="representative_terms"
    )
    designated_by_name = models.CharField(max_length=150)
    designated_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "scope_path"
    scope_permission_app = "participation"

    class Meta:
        verbose_name = _("residents' representative")
        verbose_name_plural = _("residents' representatives")
        ordering = ["scope_path", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "resident"],
                condition=Q(ended_at__isnull=True),
                name="representative_active_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.community_id}: {self.resident_id}"

    def save(self, *args, **kwargs):
        self.scope_path = self.community.path
        super().save(*args, **kwargs)

    @property
    def audit_org_path(self) -> str:
        return self.scope_path


class Vote(models.Model):
    class Kind(models.TextChoices):
        BINDING = "binding", _("binding")
        ADVISORY = "advisory", _("advisory")

    class Secrecy(models.TextChoices):
        SECRET = "secret", _("secret ballot")
        OPEN = "open", _("open ballot")

    class Electorate(models.TextChoices):
        PERSONS = "persons", _("residents aged 18 and over living in the unit")
        HOUSEHOLDS = "households", _("one representative per household")
        REPRESENTATIVES = "representatives", _("the elected residents' representatives")

    class Method(models.TextChoices):
        ONLINE = "online", _("online")
        PAPER = "paper", _("paper")
        BOTH = "both", _("online and paper")

    class State(models.TextChoices):
        DRAFT = "draft", _("being prepared")
        OPEN = "open", _("voting open")
        CLOSED = "closed", _("vote closed")

    class Outcome(models.TextChoices):
        PASSED = "passed", _("passed")
        FAILED = "failed", _("not passed")
        NO_QUORUM = "no_quorum", _("no quorum")

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    topic = models.ForeignKey("participation.Topic", on_delete=models.PROTECT, related_name="votes")
    scope_path = models.CharField(max_length=255, editable=False)
    question = models.CharField(_("question put to the vote"), max_length=300)
    options = models.JSONField(_("options"))  # list of option texts, 2 or more
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    secrecy = models.CharField(_("ballot"), max_length=8, choices=Secrecy.choices)
    electorate_form = models.CharField(_("electorate"), max_length=16, choices=Electorate.choices)
    method = models.CharField(_("method"), max_length=8, choices=Method.choices)
    opens_at = models.DateTimeField(_("opens at"))
    closes_at = models.DateTimeField(_("closes at"))
    # The policy in force when the vote was set up (quorum, majority), kept with the vote.
    rules = models.JSONField(default=dict)
    policy_version = models.PositiveIntegerField(default=0)
    state = models.CharField(max_length=8, choices=State.choices, default=State.DRAFT)
    opened_at = models.DateTimeField(null=True, blank=True)
    # Null while the vote may still be cast (the topic's "decide" guard reads it).
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by_name = models.CharField(max_length=150, blank=True)
    electorate_size = models.PositiveIntegerField(default=0)
    # The result, written once at closing: {"counts": [...], "voters": n, ...}.
    result = models.JSONField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True)
    quorum_met = models.BooleanField(null=True)
    majority_reached = models.BooleanField(null=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "scope_path"
    scope_permission_app = "participation"

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["scope_path"], name="vote_scope_idx", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(fields=["state", "closes_at"], name="vote_state_idx"),
        ]

    def __str__(self) -> str:
        return self.question

    def save(self, *args, **kwargs):
        self.scope_path = self.topic.scope_path
        super().save(*args, **kwargs)

    @property
    def audit_org_path(self) -> str:
        return self.scope_path

    @property
    def allows_online(self) -> bool:
        return self.method in (self.Method.ONLINE, self.Method.BOTH)

    @property
    def allows_paper(self) -> bool:
        return self.method in (self.Method.PAPER, self.Method.BOTH)


class Elector(models.Model):
    """One member of a vote's electorate, frozen when the vote opened: a person (persons,
    representatives) or a household (any adult member living there may cast for it)."""

    vote = models.ForeignKey(Vote, on_delete=models.CASCADE, related_name="electors")
    resident = models.ForeignKey(
        "people.Resident", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    household = models.ForeignKey(
        "people.Household", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    scope_path = models.CharField(max_length=255)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["vote", "resident"], name="elector_resident_unique"),
            models.UniqueConstraint(fields=["vote", "household"], name="elector_household_unique"),
            models.CheckConstraint(
                condition=Q(resident__isnull=False) ^ Q(household__isnull=False),
                name="elector_person_or_household",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.vote_id}: {self.pk}"


class Turnout(models.Model):
    """That an elector voted, when and how (the register of who took part). One per elector,
    enforced by the database. ``open_choice`` is the option chosen, kept only for an open
    ballot; a secret ballot's choice lives in ``Ballot`` alone."""

    class Channel(models.TextChoices):
        ONLINE = "online", _("online")
        PAPER = "paper", _("paper")

    vote = models.ForeignKey(Vote, on_delete=models.CASCADE, related_name="turnout")
    elector = models.OneToOneField(Elector, on_delete=models.CASCADE, related_name="turnout")
    # Who cast it (for a household, the member who did).
    resident = models.ForeignKey("people.Resident", on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    recorded_by_name = models.CharField(max_length=150, blank=True)  # paper: the staff member
    at = models.DateTimeField()
    open_choice = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["vote", "at"], name="turnout_vote_idx")]

    def __str__(self) -> str:
        return f"{self.vote_id}: {self.elector_id}"


def _ballot_id() -> str:
    return uuid.uuid4().hex


class Ballot(models.Model):
    """One counted ballot: the option chosen and the hash of the voter's receipt code. No
    column refers to the elector, the resident or any account; the id is random and the
    time is only the day, so neither order nor time leads back to the turnout."""

    class Channel(models.TextChoices):
        ONLINE = "online", _("online")
        PAPER = "paper", _("paper")

    id = models.CharField(primary_key=True, max_length=32, default=_ballot_id, editable=False)
    vote = models.ForeignKey(Vote, on_delete=models.CASCADE, related_name="ballots")
    choice = models.PositiveSmallIntegerField()
    channel = models.CharField(max_length=8, choices=Channel.choices)
    receipt_hash = models.CharField(max_length=64, blank=True, db_index=True)
    day = models.DateField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.id


class PaperBallot(models.Model):
    """A paper ballot sheet as entered by one member of staff; counted (a ``Ballot``) only
    once another member of staff has confirmed it. Like the ballot, it names no voter."""

    class State(models.TextChoices):
        ENTERED = "entered", _("waiting for confirmation")
        CONFIRMED = "confirmed", _("confirmed")
        REJECTED = "rejected", _("rejected")

    id = models.CharField(primary_key=True, max_length=32, default=_ballot_id, editable=False)
    vote = models.ForeignKey(Vote, on_delete=models.CASCADE, related_name="paper_ballots")
    choice = models.PositiveSmallIntegerField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.ENTERED)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    entered_day = models.DateField()
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    checked_day = models.DateField(null=True, blank=True)
    reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.id
