"""The users of the design's load tests (issue 9), for Locust.

- `ImageLoadTest`: a classroom's mix. Creates an assignment with an illustration (weight 3,
  as a teacher), views one (weight 5, as a student: the assignment through the API, then its
  image from the URL the API returns) and lists the newest (weight 1, with their thumbnails).
- `ImageHeavyUser`: creation only, as a teacher: drives the server's CPU.
- `CacheTestUser`: views the same few assignments and images again and again, as a student:
  through a CDN, its `X-Cache` gives the hit ratio.

Every user thinks between two actions for `--think-min` to `--think-max` seconds. Accounts:
`--teacher` and `--student` name them; their passwords come from the environment
(EDUPORTAL_LOADTEST_TEACHER_PASSWORD, EDUPORTAL_LOADTEST_STUDENT_PASSWORD), never from the
command line. `eduportal loadtest` runs this file with everything set; by hand:

    EDUPORTAL_LOADTEST_TEACHER_PASSWORD=... EDUPORTAL_LOADTEST_STUDENT_PASSWORD=... \
    locust -f load-testing/locustfile.py --host http://127.0.0.1:8000 \
        --teacher teacher --student student ImageLoadTest
"""

from __future__ import annotations

import csv
import logging
import os
import random
from pathlib import Path
from typing import Any

import locust.stats
from locust import HttpUser, events, task
from locust.argument_parser import LocustArgumentParser
from locust.env import Environment

from eduportal.loadtest.locust_stats import FINAL_STATS_SUFFIX
from eduportal.loadtest.operations import STUDENT_PASSWORD_ENV, TEACHER_PASSWORD_ENV
from portal_session import ASSIGNMENTS, create, list_page, seed_assignments, sign_in, view

# `eduportal loadtest` follows the history file while the run goes on (Locust: every 5 s).
locust.stats.CSV_STATS_FLUSH_INTERVAL_SEC = 2

log = logging.getLogger("eduportal.load")


@events.init_command_line_parser.add_listener  # type: ignore[untyped-decorator]  # locust's hooks
def _arguments(parser: LocustArgumentParser, **_: Any) -> None:
    group = parser.add_argument_group("eduportal")
    group.add_argument("--think-min", type=float, default=1.0, help="seconds, at least")
    group.add_argument("--think-max", type=float, default=3.0, help="seconds, at most")
    group.add_argument(
        "--teacher", default="teacher", help=f"who creates (password: ${TEACHER_PASSWORD_ENV})"
    )
    group.add_argument(
        "--student", default="student", help=f"who views (password: ${STUDENT_PASSWORD_ENV})"
    )
    group.add_argument(
        "--seed-assignments",
        type=int,
        default=5,
        help="assignments made before the users start, to view from the first second",
    )
    group.add_argument(
        "--spike-from", type=int, default=10, help="spike_shape.py: users before and after"
    )


def think_time(user: HttpUser) -> float:
    options = user.environment.parsed_options
    low = options.think_min if options else 1.0
    high = options.think_max if options else 3.0
    return random.uniform(low, max(low, high))


def _password(variable: str) -> str:
    return os.environ.get(variable, "")


class PortalUser(HttpUser):
    abstract = True
    wait_time = think_time

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)  # type: ignore[no-untyped-call]  # untyped in locust
        self._sessions: dict[str, dict[str, str]] = {}

    def _account(self, role: str) -> tuple[str, str]:
        options = self.environment.parsed_options
        if role == "teacher":
            return (options.teacher if options else "teacher", _password(TEACHER_PASSWORD_ENV))
        return (options.student if options else "student", _password(STUDENT_PASSWORD_ENV))

    def session(self, role: str) -> dict[str, str] | None:
        """The role's bearer header, signing in first when there is none yet (a sign-in that
        failed under load is tried again at the next action rather than stopping the user)."""
        if role not in self._sessions:
            headers = sign_in(self, *self._account(role))
            if headers is None:
                return None
            self._sessions[role] = headers
        return self._sessions[role]


class ImageLoadTest(PortalUser):
    def on_start(self) -> None:
        self.session("teacher")
        self.session("student")

    @task(3)
    def create_with_image(self) -> None:
        teacher = self.session("teacher")
        if teacher:
            create(self, teacher)

    @task(5)
    def view_with_image(self) -> None:
        student, assignment_id = self.session("student"), ASSIGNMENTS.any_recent()
        if student and assignment_id:
            view(self, student, assignment_id)

    @task(1)
    def list_assignments(self) -> None:
        student = self.session("student")
        if student:
            list_page(self, student)


class ImageHeavyUser(PortalUser):
    def on_start(self) -> None:
        self.session("teacher")

    @task
    def create_with_image(self) -> None:
        teacher = self.session("teacher")
        if teacher:
            create(self, teacher)


class CacheTestUser(PortalUser):
    def on_start(self) -> None:
        self.session("student")

    @task
    def view_a_popular_one(self) -> None:
        student, assignment_id = self.session("student"), ASSIGNMENTS.any_seeded()
        if student and assignment_id:
            view(self, student, assignment_id)


_VIEWERS = (ImageLoadTest, CacheTestUser)


@events.test_start.add_listener  # type: ignore[untyped-decorator]  # locust's hooks are untyped
def _seed(environment: Environment, **_: Any) -> None:
    """Make the few assignments the viewers start from, when this run has viewers."""
    options = environment.parsed_options
    if ASSIGNMENTS.seeded or not options or not environment.host:
        return
    if not any(issubclass(cls, _VIEWERS) for cls in environment.user_classes):
        return
    try:
        seed_assignments(
            environment.host,
            options.teacher,
            _password(TEACHER_PASSWORD_ENV),
            options.seed_assignments,
        )
    except Exception as exc:  # the run goes on; views of nothing are skipped
        log.error("could not make the assignments to view before the run: %s", exc)


@events.init.add_listener  # type: ignore[untyped-decorator]  # locust's hooks are untyped
def _on_init(environment: Environment, **_: Any) -> None:
    final = environment.events.quit
    final.add_listener(lambda **_: _write_final_stats(environment))  # type: ignore[no-untyped-call]


def _write_final_stats(environment: Environment) -> None:
    """The whole run's statistics once every user has stopped, as PREFIX_stats.csv holds
    them: Locust rewrites that file every second and does not again at the end, so it can
    miss the last second's requests that its HTML report counts."""
    prefix = environment.parsed_options.csv_prefix if environment.parsed_options else None
    if prefix:
        with Path(f"{prefix}{FINAL_STATS_SUFFIX}").open("w", newline="") as file:
            writer = locust.stats.StatsCSV(environment, locust.stats.PERCENTILES_TO_REPORT)
            writer.requests_csv(csv.writer(file))
