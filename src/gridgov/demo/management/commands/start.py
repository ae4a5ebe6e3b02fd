"""`gridgov start`: migrate, collect the static files when they changed, seed the demo
district when the database is empty, print one login per role, and serve on
http://127.0.0.1:8000 with several web worker processes, background-task workers, the
deadline scan, the KPI job and the daily backup.

SIGTERM or SIGINT (Ctrl+C) stops all of them (see ``core/supervisor.py``)."""

import os
import shutil
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from gridgov.core.staticfiles import collectstatic_if_changed
from gridgov.core.supervisor import ProcessSupervisor
from gridgov.demo.geography import OutlineDataMissing
from gridgov.demo.seed import demo_is_seeded, demo_logins, demo_password, seed_demo


def gunicorn_command(*, bind: str, workers: int, graceful_timeout: int = 5) -> list[str]:
    """The web server ``gridgov start`` runs (its settings: ``gridgov/gunicorn_conf.py``)."""
    gunicorn = shutil.which("gunicorn", path=os.path.dirname(sys.executable))
    if gunicorn is None:
        raise CommandError("gunicorn is not installed")
    return [
        gunicorn,
        "gridgov.wsgi:application",
        "--config",
        "python:gridgov.gunicorn_conf",
        "--bind",
        bind,
        "--workers",
        str(workers),
        "--access-logfile",
        "-",
        "--graceful-timeout",
        str(graceful_timeout),
        # Its control socket lives in $HOME, shared by every gunicorn of the user; nothing
        # here uses it.
        "--no-control-socket",
    ]


class Command(BaseCommand):
    help = "Prepare the database and serve GridGov."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default="127.0.0.1:8000")
        parser.add_argument("--workers", type=int, default=2, help="web worker processes")
        parser.add_argument(
            "--task-workers", type=int, default=2, help="background-task worker processes"
        )
        parser.add_argument("--no-serve", action="store_true", help="prepare only")
        parser.add_argument(
            "--no-backup-schedule",
            action="store_true",
            help="do not run the daily backup here (another machine of the installation does)",
        )
        parser.add_argument(
            "--stop-timeout",
            type=int,
            default=20,
            help="seconds the processes get to finish after SIGTERM/SIGINT before they are killed",
        )

    def handle(self, *args, bind, workers, task_workers, no_serve, stop_timeout, **options):
        no_backup_schedule = options["no_backup_schedule"]
        call_command("migrate", interactive=False, verbosity=0)
        call_command("createcachetable", verbosity=0)
        # Fingerprinted, compressed assets (a no-op when the sources did not change).
        if collectstatic_if_changed():
            self.stdout.write("Static files collected.")
        if settings.PRODUCTION:
            from gridgov.accounts.models import User

            if User.objects.filter(is_demo=True, is_active=True).exists():
                raise CommandError(
                    "Demo accounts exist: production mode refuses to start. Disable them first."
                )
        elif not demo_is_seeded():
            try:
                seed_demo()
            except OutlineDataMissing as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(self.style.SUCCESS("Demo district seeded (上海市徐汇区)."))
        if not settings.PRODUCTION:
            self._print_logins(bind)
        if no_serve:
            return
        server = gunicorn_command(
            bind=bind, workers=workers, graceful_timeout=max(1, stop_timeout // 2)
        )
        sys.stdout.flush()
        # Background-task workers (imports, reports) next to the web workers: on the Redis
        # queue when REDIS_URL is set, else on the database queue.
        if os.environ.get("REDIS_URL"):
            task_command = ["rqworker", "--job-class", "django_tasks_rq.Job", "default"]
        else:
            task_command = ["db_worker", "--no-reload", "--interval", "1"]
        manage = [sys.executable, "-m", "gridgov.manage"]
        with ProcessSupervisor(stop_timeout=stop_timeout) as supervisor:
            for number in range(1, max(1, task_workers) + 1):
                supervisor.spawn(f"task worker {number}", [*manage, *task_command])
            # Deadlines: due-soon notices and escalation of overdue events, every minute.
            supervisor.spawn(
                "deadline scan",
                [*manage, "events_scan", "--loop", "60"],
                stdout=subprocess.DEVNULL,
            )
            # KPI alerts (and the monthly reports), every 15 minutes.
            supervisor.spawn(
                "KPI job",
                [*manage, "kpis_check_alerts", "--loop", "900"],
                stdout=subprocess.DEVNULL,
            )
            # Household visit tasks for the due households, every hour.
            supervisor.spawn(
                "visit tasks",
                [*manage, "visits_generate_tasks", "--loop", "3600"],
                stdout=subprocess.DEVNULL,
            )
            # Service orders not accepted in time go back to matching, every 5 minutes.
            supervisor.spawn(
                "service order timeouts",
                [*manage, "lists_timeouts", "--loop", "300"],
                stdout=subprocess.DEVNULL,
            )
            # Residents told of the deliberation topics' meetings that are due, every hour.
            supervisor.spawn(
                "meeting notices",
                [*manage, "participation_notices", "--loop", "3600"],
                stdout=subprocess.DEVNULL,
            )
            # Votes past their closing time are closed and counted, every 5 minutes.
            supervisor.spawn(
                "vote closing",
                [*manage, "votes_close_due", "--loop", "300"],
                stdout=subprocess.DEVNULL,
            )
            # The month's grid service boards, published on the first run after it ends.
            supervisor.spawn(
                "service boards",
                [*manage, "participation_boards", "--loop", "3600"],
                stdout=subprocess.DEVNULL,
            )
            # The inventory campaigns' daily collection rates and alerts, every hour.
            supervisor.spawn(
                "campaign days",
                [*manage, "groups_campaign_daily", "--loop", "3600"],
                stdout=subprocess.DEVNULL,
            )
            # Chat exports' text and old message rows deleted past retention, every hour.
            supervisor.spawn(
                "chat export retention",
                [*manage, "groups_purge_messages", "--loop", "3600"],
                stdout=subprocess.DEVNULL,
            )
            # Silent devices go offline with a repair ticket; overdue repairs told, every minute.
            supervisor.spawn(
                "device clock",
                [*manage, "operations_devices", "--loop", "60"],
                stdout=subprocess.DEVNULL,
            )
            # Spaces idle last month get their function-adjustment task, checked hourly.
            supervisor.spawn(
                "idle facilities",
                [*manage, "operations_facilities", "--loop", "3600"],
                stdout=subprocess.DEVNULL,
            )
            # Uncollected redemptions and lapsed points expire, every hour.
            supervisor.spawn(
                "points expiry",
                [*manage, "points_expire", "--loop", "3600"],
                stdout=subprocess.DEVNULL,
            )
            # The daily backup, at the backups.schedule policy's time (before 22:00).
            if not no_backup_schedule:
                supervisor.spawn(
                    "backup schedule",
                    [*manage, "backup", "--schedule"],
                    stdout=subprocess.DEVNULL,
                )
            supervisor.spawn("web server", server, main=True)
            status = supervisor.run()
        if status:
            raise CommandError(f"the web server exited with status {status}")

    def _print_logins(self, bind):
        password = demo_password()
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"GridGov demo: http://{bind}/"))
        self.stdout.write(f"Demo password for every account below: {password}")
        self.stdout.write(f"{'user name':<18} {'role':<28} scope")
        for login in demo_logins():
            extra = (
                "  (two-factor code: .venv/bin/gridgov demo_code " + login.username + ")"
                if login.two_factor
                else ""
            )
            self.stdout.write(f"{login.username:<18} {login.role:<28} {login.scope}{extra}")
        self.stdout.write("")
