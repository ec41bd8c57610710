"""Which pages the navigation offers: each role its own, and every address when signed out.

Teachers and students each see only their own pages. The list of assignments has the same
address for both (`/assignments?assignment=ID`), so a link a teacher shares opens for a
student too. Signed out, every address still resolves (with no menu) and its page shows the
sign-in form, which brings the user back to that address.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from eduportal.domain.accounts import Account, Role

VIEWS = Path(__file__).with_name("views")


@dataclass(frozen=True)
class View:
    script: str
    title: str
    icon: str
    url_path: str
    default: bool = False
    shown: bool = True
    """False for a page the menu leaves out."""

    def page(self) -> st.Page:
        return st.Page(
            VIEWS / self.script,
            title=self.title,
            icon=self.icon,
            url_path=self.url_path,
            default=self.default,
            visibility="visible" if self.shown else "hidden",
        )


START = View("start.py", "eduportal", ":material/home:", "start", default=True, shown=False)
"""`/` when signed in: it moves on to the role's list, so the list is always at its own
address (a default page lives only at `/`, and `/assignments` would not be found)."""
SIGN_IN = View("welcome.py", "Sign in", ":material/login:", "sign-in", default=True)
TEACHER_LIST = View("assignments.py", "Assignments", ":material/library_books:", "assignments")
CREATE = View("create.py", "Create an assignment", ":material/edit_note:", "create")
STUDENT_LIST = View("answer.py", "Assignments", ":material/assignment:", "assignments")
MY_RESULTS = View("my_results.py", "My results", ":material/insights:", "my-results")
PIPELINE = View("pipeline.py", "Image pipeline", ":material/conveyor_belt:", "pipeline")
"""Teachers acting as operators: every upload's record, and the dead letters to redrive."""
OPERATIONS = View("operations.py", "Operations", ":material/monitoring:", "operations")
"""Teachers acting as operators: the last hour of the whole portal, as charts."""


def views_for(account: Account | None) -> list[View]:
    if account is None:
        return [SIGN_IN, TEACHER_LIST, CREATE, MY_RESULTS, PIPELINE, OPERATIONS]
    if account.role is Role.TEACHER:
        return [START, TEACHER_LIST, CREATE, PIPELINE, OPERATIONS]
    return [START, STUDENT_LIST, MY_RESULTS]


def list_script(account: Account) -> str:
    """The role's list of assignments, as `st.switch_page` names it (from the entrypoint)."""
    view = TEACHER_LIST if account.role is Role.TEACHER else STUDENT_LIST
    return f"{VIEWS.name}/{view.script}"
