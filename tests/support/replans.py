"""Running the background replans of sessions the way a worker does, in the test's process."""

from __future__ import annotations

from sessions_app.models import ReplanJob, ReplanStatus
from sessions_app.tasks import replan_session


def replans_run() -> list[int]:
    """Call the task function of every unfinished replan job, oldest first; their ids."""
    job_ids = list(
        ReplanJob.objects.filter(status__in=[ReplanStatus.QUEUED, ReplanStatus.RUNNING])
        .order_by("id")
        .values_list("id", flat=True)
    )
    for job_id in job_ids:
        replan_session(job_id)
    return job_ids
