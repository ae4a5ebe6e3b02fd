from django.tasks import task


@task()
def run_import_task(job_id: int) -> str:
    """Background import of a resident file (idempotent: safe to run twice)."""
    from gridgov.people.imports import run_import
    from gridgov.people.models import ImportJob

    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    return run_import(job).status
