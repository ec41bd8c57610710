"""Each role is offered its own pages; signed out, every address leads to the sign-in form."""

from __future__ import annotations

from eduportal.domain.accounts import Account, Role
from eduportal.ui.navigation import list_script, views_for


def offered(account: Account | None) -> dict[str, str]:
    """The pages the menu shows."""
    return {view.url_path: view.title for view in views_for(account) if view.shown}


def account(role: Role) -> Account:
    return Account(username="someone", role=role, password_hash="x", created_at=0.0)


def test_teachers_are_offered_their_list_the_create_page_the_pipeline_and_operations() -> None:
    assert offered(account(Role.TEACHER)) == {
        "assignments": "Assignments",
        "create": "Create an assignment",
        "pipeline": "Image pipeline",
        "operations": "Operations",
    }


def test_students_are_not_offered_the_create_page_the_pipeline_or_operations() -> None:
    assert "create" not in offered(account(Role.STUDENT))
    assert "pipeline" not in offered(account(Role.STUDENT))
    assert "operations" not in offered(account(Role.STUDENT))
    assert offered(account(Role.STUDENT))["assignments"] == "Assignments"


def test_both_roles_open_an_assignment_at_the_same_address() -> None:
    """A link a teacher shares (`/assignments?assignment=ID`) opens for a student."""
    teacher = next(p for p in views_for(account(Role.TEACHER)) if p.url_path == "assignments")
    student = next(p for p in views_for(account(Role.STUDENT)) if p.url_path == "assignments")
    assert not teacher.default and not student.default  # a default page lives only at `/`


def test_signed_in_the_start_page_moves_on_to_the_roles_list() -> None:
    for role, script in ((Role.TEACHER, "views/assignments.py"), (Role.STUDENT, "views/answer.py")):
        (start,) = [view for view in views_for(account(role)) if view.default]
        assert not start.shown
        assert list_script(account(role)) == script


def test_signed_out_the_sign_in_page_comes_first() -> None:
    pages = views_for(None)
    assert pages[0].default and pages[0].url_path == "sign-in"
