"""The collection plan page (phone-first): each compound of the viewer's area with its
collection method, households, share aged 60+, the assisted-collection flag, its groups and
the functions they leave unmet; then the grid workers' load (包片负责制). The same plans are
shown beside the compounds on the registration form and a group's page."""

from __future__ import annotations

from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from gridgov.core.permissions import requires
from gridgov.core.policies import policy_get
from gridgov.groups import selectors_collection
from gridgov.groups.models import Group
from gridgov.groups.policies_collection import METHOD_LABELS

SIZE_LABELS = {
    "large": _("large compound"),
    "medium": _("medium compound"),
    "small": _("small compound"),
}
UNKNOWN_LABELS = {
    "none_on_file": _("no resident of it on file"),
    "few_on_file": _("too few households on file"),
}
FUNCTION_LABELS = dict(Group.Function.choices)


def decorate(plan) -> object:
    """The plan's labels in the reader's language."""
    plan.method_label = METHOD_LABELS.get(plan.method, "")
    plan.size_label = SIZE_LABELS.get(plan.size, "")
    plan.unknown_label = UNKNOWN_LABELS.get(plan.aged_unknown, "")
    plan.needed_labels = [FUNCTION_LABELS[f] for f in plan.needed]
    plan.unmet_labels = [FUNCTION_LABELS[f] for f in plan.unmet]
    return plan


def plans_by_compound(user, compounds) -> dict:
    """{compound id: its plan} for compounds of the user's area."""
    plans, _version = selectors_collection.collection_plan(actor=user, compounds=compounds)
    return {p.compound.pk: decorate(p) for p in plans}


@requires("groups.view")
def collection_plan(request):
    user = request.user
    plans, version = selectors_collection.collection_plan(actor=user)
    policy = policy_get("groups.collection")
    workers = selectors_collection.worker_loads(actor=user)
    return render(
        request,
        "groups/collection_plan.html",
        {
            "plans": [decorate(p) for p in plans],
            "policy": policy,
            "policy_version": version,
            "workers": workers,
            "flagged_workers": sum(1 for w in workers if w.flag),
            "assisted": sum(1 for p in plans if p.assisted),
            "unmet": sum(1 for p in plans if p.matched is False),
        },
    )
