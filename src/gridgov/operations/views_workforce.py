"""Pages of the grid workforce: the workers of the reader's area with the year's training
hours against the policy, certificate status (持证上岗) and re-tests due; one worker with the
forms for the profile, a certificate and a training. They call the same services and
selectors as the API."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gridgov.core.errors import GridGovError, error_text
from gridgov.core.permissions import requires
from gridgov.core.scoping import path_in_scope
from gridgov.operations import selectors_workforce as selectors
from gridgov.operations import services_workforce as services
from gridgov.operations.models import Certificate, TrainingRecord, WorkerProfile
from gridgov.operations.policies_workforce import workforce_policy


@requires("operations.view")
def worker_list(request):
    rows = selectors.worker_rows(actor=request.user)
    return render(
        request,
        "operations/worker_list.html",
        {
            "rows": rows,
            "policy": workforce_policy(),
            "year": timezone.localdate().year,
            "uncertified": sum(1 for r in rows if not r.certified),
        },
    )


@requires("operations.view")
def worker_detail(request, user_id: int):
    worker, path = selectors.worker_path(actor=request.user, user_id=user_id)
    row = selectors.worker_row(actor=request.user, user_id=worker.pk)
    policy = workforce_policy()
    trainings = list(TrainingRecord.objects.filter(user=worker)[:100])
    for t in trainings:
        category = policy.training_categories.get(t.category)
        t.category_label = category.label() if category else t.category
    return render(
        request,
        "operations/worker_detail.html",
        {
            "row": row,
            "worker": worker,
            "profile": WorkerProfile.objects.filter(user=worker).first(),
            "certificates": list(Certificate.objects.filter(user=worker)),
            "trainings": trainings,
            "policy": policy,
            "grades": WorkerProfile.Grade.choices,
            "educations": WorkerProfile.Education.choices,
            "manages": path_in_scope(request.user, path, "operations.manage"),
            "today": timezone.localdate(),
        },
    )


def _write(request, user_id: int, write, success: str):
    worker, path = selectors.worker_path(
        actor=request.user, user_id=user_id, permission="operations.manage"
    )
    try:
        write(actor=request.user, worker=worker, path=path, data=request.POST.dict())
    except GridGovError as exc:
        if exc.status == 404:
            raise
        messages.error(request, error_text(exc))
    else:
        messages.success(request, success)
    return redirect("operations:worker_detail", worker.pk)


@require_POST
@requires("operations.manage")
def worker_profile(request, user_id: int):
    return _write(request, user_id, services.profile_save, _("Profile saved."))


@require_POST
@requires("operations.manage")
def worker_certificate(request, user_id: int):
    return _write(request, user_id, services.certificate_add, _("Certificate recorded."))


@require_POST
@requires("operations.manage")
def worker_training(request, user_id: int):
    return _write(request, user_id, services.training_add, _("Training recorded."))
