"""Policies of the three lists (docs/lists.md): the 红/黄/蓝 colour of a need's special
group, and the service-order time limits on the working-day calendar."""

from typing import Annotated

from django.utils.translation import gettext_lazy as _
from pydantic import Field

from gridgov.core.policies import PolicyDefinition, PolicySchema, register_policy


class ColourPolicy(PolicySchema):
    """A need takes the colour of the first list (red, then yellow, then blue) that holds a
    special-population tag of the person concerned (or, when no person is named, of any
    active member of the household); ``red_min_age`` makes anyone that old red."""

    red_tags: list[str] = Field(
        default_factory=lambda: [
            "living_alone_elderly",
            "disabled_elderly",
            "tekun",
            "child_in_difficulty",
        ],
        description="tags that make a need red (红): care without delay",
    )
    yellow_tags: list[str] = Field(
        default_factory=lambda: [
            "empty_nest_elderly",
            "oldest_old",
            "disability",
            "dibao",
            "dibian",
            "chronic_disease",
            "left_behind_child",
            "pregnant",
        ],
        description="tags that make a need yellow (黄): regular attention",
    )
    blue_tags: list[str] = Field(
        default_factory=lambda: ["hardship", "veteran", "entitled_group", "new_employment"],
        description="tags that make a need blue (蓝): on record, ordinary follow-up",
    )
    red_min_age: int = Field(
        90, ge=60, le=120, description="a person at least this old makes the need red"
    )


class OrderPolicy(PolicySchema):
    accept_working_days: int = Field(
        1, ge=1, le=10, description="working days a provider has to accept or refuse an order"
    )
    first_service_working_days: int = Field(
        3, ge=1, le=30, description="working days from dispatch to the first service"
    )
    match_days: int = Field(
        7,
        ge=1,
        le=90,
        description="days from registration within which a need counts as matched (需求匹配率)",
    )


Weight = Annotated[int, Field(ge=1, le=100)]


class MatchingPolicy(PolicySchema):
    """The optimiser's priority of a need is its colour's weight times its urgency's
    weight; it serves the most priority it can, then the shortest total distance, then
    the less loaded providers (lists/matching.py)."""

    colour_weights: dict[str, Weight] = Field(
        default_factory=lambda: {"red": 3, "yellow": 2, "blue": 1, "none": 1},
        description="weight of a need by its special-group colour (red, yellow, blue, none)",
    )
    urgency_weights: dict[str, Weight] = Field(
        default_factory=lambda: {"urgent": 4, "high": 3, "normal": 2, "low": 1},
        description="weight of a need by its priority (urgent, high, normal, low)",
    )
    balance_load: bool = Field(
        True, description="among equally good answers, prefer providers with fewer orders"
    )
    max_alternatives: int = Field(
        5, ge=0, le=20, description="how many other candidates each proposal lists"
    )


def _weight_labels() -> dict[str, str]:
    from gridgov.lists.models import Need

    labels = {str(code): str(label) for code, label in Need.Priority.choices}
    labels.update({str(c): str(label) for c, label in Need.Colour.choices if c})
    labels["none"] = str(Need.Colour.NONE.label)
    return labels


class BookingPolicy(PolicySchema):
    """Bookable resources (docs/lists.md, *Bookings*)."""

    max_days_ahead: int = Field(
        60, ge=1, le=366, description="how many days ahead a slot may be booked"
    )
    max_slots: int = Field(
        8, ge=1, le=48, description="the most consecutive slots one booking may take"
    )
    checkin_early_minutes: int = Field(
        30, ge=0, le=240, description="minutes before the start from which check-in is open"
    )
    no_show_grace_minutes: int = Field(
        15,
        ge=0,
        le=240,
        description="minutes after the end of the slot: check-in closes, and an approved "
        "booking nobody checked in to becomes a no-show",
    )


def _colour_labels() -> dict[str, str]:
    from gridgov.people.models import TagCategory

    return dict(TagCategory.objects.values_list("code", "name"))


for definition in [
    PolicyDefinition(
        "lists.colour",
        ColourPolicy,
        _("Needs: 红/黄/蓝 special-group colour"),
        _(
            "Which special-population tags make a need red, yellow or blue, and the age that "
            "makes it red; the need shows the rule and policy version that set its colour."
        ),
        "policy.change_system",
        value_labels=_colour_labels,
    ),
    PolicyDefinition(
        "lists.orders",
        OrderPolicy,
        _("Service order time limits"),
        _(
            "Working days a provider has to accept a service order and to give the first "
            "service; an order not accepted in time goes back to matching."
        ),
        "policy.change_system",
    ),
    PolicyDefinition(
        "lists.matching",
        MatchingPolicy,
        _("Need matching: priority weights"),
        _(
            "The weights of a need's special-group colour and urgency in the matching "
            "proposal, whether to prefer less loaded providers, and how many alternatives "
            "each proposal shows."
        ),
        "policy.change_system",
        value_labels=_weight_labels,
    ),
    PolicyDefinition(
        "lists.bookings",
        BookingPolicy,
        _("Bookable rooms and equipment"),
        _(
            "How far ahead a slot may be booked, how many slots one booking may take, when "
            "check-in opens and closes, and when an unattended booking becomes a no-show."
        ),
        "policy.change_system",
    ),
]:
    register_policy(definition)


class ProjectPolicy(PolicySchema):
    """When the gap table proposes a project, and which service line a need category
    proposes."""

    propose_threshold: int = Field(
        5,
        ge=1,
        le=1000,
        description="a community with more needs of one category that nobody can meet "
        "than this gets a project proposed",
    )
    category_lines: dict[str, str] = Field(
        default_factory=lambda: {
            "ageing_adapt": "ageing_adapt",
            "childcare": "youth_care",
            "education": "youth_care",
            "culture": "culture",
            "meals": "meals",
            "elderly_care": "elderly_care",
            "special_care": "elderly_care",
            "health": "health",
            "rehab": "health",
            "medical_help": "health",
            "mental_health": "health",
            "employment": "employment",
        },
        description="the service line a proposed project takes for each need category "
        "(others: other)",
    )


def _project_labels() -> dict[str, str]:
    from gridgov.lists.models import NeedCategory, Project

    labels = {code: str(label) for code, label in Project.ServiceLine.choices}
    labels.update(dict(NeedCategory.objects.values_list("code", "name")))
    return labels


register_policy(
    PolicyDefinition(
        "lists.projects",
        ProjectPolicy,
        _("Projects: when the gap table proposes one"),
        _(
            "How many needs of one category nobody can meet a community may have before the "
            "gap table proposes a project, and the service line each category proposes."
        ),
        "policy.change_system",
        value_labels=_project_labels,
    )
)
