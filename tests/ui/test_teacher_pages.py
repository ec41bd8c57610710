"""The teacher's Assignments page, driven headless: searching the list, editing a saved
assignment (questions added and removed keep their answers; a stale page is refused), and the
results tab (the table, the CSV, a teacher's score that the student then has)."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from eduportal.domain.accounts import Account, Role
from eduportal.domain.assignments import QuestionAnswer
from eduportal.services.results_export import results_csv, results_filename
from eduportal.ui.results_table import NEEDS_A_LOOK
from eduportal.wiring import Container
from tests.support.fixture_types import PageFactory
from tests.support.images import photograph, png
from tests.support.pages import TEXT_TITLE, handed_to, make_assignment, texts
from tests.support.texts import GEOGRAPHY, HISTORY, PASSWORD, TEXT

LIST = "views/assignments.py"


def account(container: Container, name: str) -> Account:
    return container.accounts.login(name, PASSWORD).account


def search(app: AppTest, words: str) -> AppTest:
    return app.text_input(key="search").input(words).run()


def test_the_search_box_finds_by_title_subject_or_text_and_counts_in_words(
    open_page: PageFactory, container: Container
) -> None:
    cells = make_assignment(container, with_image=False, subject="Biology")
    make_assignment(container, with_image=False, text=HISTORY)
    container.accounts.register("teacher2", PASSWORD, Role.TEACHER)
    make_assignment(container, with_image=False, text=GEOGRAPHY, teacher="teacher2")
    app = open_page(LIST, user="teacher1")
    assert "2 assignments, newest first" in texts(app)
    assert "Biology · 5 questions · by teacher1" in texts(app)  # the subject, in the list
    search(app, "cell")
    assert "1 assignment matches “cell”, newest first" in texts(app)
    assert [b.key for b in app.button if b.key and b.key.startswith("open_")] == [f"open_{cells}"]
    search(app, "biology")  # the subject
    assert "1 assignment matches “biology”" in texts(app)
    search(app, "  KING ")  # the text, any case, trimmed
    assert "1 assignment matches “KING”" in texts(app)
    search(app, "amazon")
    assert "No assignment matches “amazon”." in texts(app)
    assert "turn off “Only mine” to search everyone's" in texts(app)
    app.toggle(key="only_mine").set_value(False).run()
    assert "1 assignment matches “amazon”" in texts(app)
    assert not app.exception


def test_a_search_too_long_is_the_services_sentence_as_a_warning(
    open_page: PageFactory, container: Container
) -> None:
    make_assignment(container, with_image=False)
    app = search(open_page(LIST, user="teacher1"), "x" * 101)
    assert [warning.value for warning in app.warning] == ["A search has at most 100 characters."]
    assert not app.error and "Reference" not in texts(app)
    assert app.text_input(key="search").value == "x" * 101  # still there to shorten


def test_coming_back_from_an_assignment_keeps_the_search(
    open_page: PageFactory, container: Container
) -> None:
    cells = make_assignment(container, with_image=False)
    app = search(open_page(LIST, user="teacher1"), "mitochondrion")
    app.button(key=f"open_{cells}").click().run()
    app.button(key="back").click().run()
    assert app.text_input(key="search").value == "mitochondrion"
    assert "1 assignment matches “mitochondrion”" in texts(app)


def editor_key(assignment_id: str, field: str, edit: int = 1) -> str:
    """A field of the `edit`-th edit started in this session (each gets fresh keys)."""
    return f"edit{edit}_{assignment_id}_{field}"


def test_editing_adds_and_removes_questions_and_answers_stay_with_theirs(
    open_page: PageFactory, container: Container
) -> None:
    assignment_id = make_assignment(container, with_image=False)
    before = container.assignments.get(assignment_id)
    student = account(container, "student1")
    container.grading.answer(student, assignment_id, "q3", before.question("q3").answer)
    app = open_page(LIST, user="teacher1", query={"assignment": assignment_id})
    app.button(key="edit").click().run()
    assert app.query_params["edit"] == "1"  # a refresh stays in edit mode

    def key(field: str) -> str:
        return editor_key(assignment_id, field)

    assert app.text_input(key=key("title")).value == TEXT_TITLE
    assert app.text_area(key=key("q2")).value == before.question("q3").question
    app.text_input(key=key("title")).input("Cells, week 2")
    app.text_input(key=key("subject")).input("Biology")
    app.button(key=key("remove_1")).click().run()  # question 2 goes
    app.button(key=key("add")).click().run()
    assert [area.label for area in app.text_area][-2:] == ["Question 5", "Answer 5"]
    app.text_area(key=key("q5")).input("Where is the energy stored?\nName the molecule.")
    app.text_area(key=key("a5")).input("Adenosine triphosphate")
    app.text_area(key=key("a2")).input("The mother")  # question 3's answer, edited
    app.button(key=key("save")).click().run()
    assert not app.exception
    assert "Saved your changes to “Cells, week 2”." in texts(app)
    assert [toast.value for toast in app.toast] == ["Saved your changes to “Cells, week 2”."]
    assert "edit" not in app.query_params
    saved = container.assignments.get(assignment_id)
    assert (saved.title, saved.subject) == ("Cells, week 2", "Biology")
    assert [qa.id for qa in saved.question_answers] == ["q1", "q3", "q4", "q5", "q6"]
    assert saved.question("q3").answer == "The mother"
    assert saved.question("q6").question == "Where is the energy stored?\nName the molecule."
    assert container.grading.progress(student, assignment_id, "q3").attempts == 1  # kept
    assert [e.student_id for e in container.grading.leaderboards(assignment_id)["q3"]] == [
        "student1"
    ]
    shown = texts(app)
    assert ":blue-badge[Biology]" in shown  # the subject, on the detail
    assert "Where is the energy stored?  \nName the molecule\\." in shown  # line break kept


def test_an_edit_from_a_stale_page_says_so_and_offers_the_latest(
    open_page: PageFactory, container: Container
) -> None:
    assignment_id = make_assignment(container, with_image=False)
    app = open_page(LIST, user="teacher1", query={"assignment": assignment_id, "edit": "1"})
    container.assignments.edit(
        account(container, "teacher1"), assignment_id, expected_version=1, title="From a tab"
    )
    app.text_input(key=editor_key(assignment_id, "title")).input("From this page")
    app.button(key=editor_key(assignment_id, "save")).click().run()
    assert [warning.value for warning in app.warning] == [
        "This assignment was changed meanwhile, in another tab or by someone else: reload to "
        "see the latest, then make your change again."
    ]
    assert not app.error
    assert container.assignments.get(assignment_id).title == "From a tab"
    app.button(key=editor_key(assignment_id, "reload")).click().run()
    title = app.text_input(key=editor_key(assignment_id, "title", edit=2))
    assert title.value == "From a tab"
    title.input("From this page, after all")
    app.button(key=editor_key(assignment_id, "save", edit=2)).click().run()
    assert "Saved your changes to “From this page, after all”." in texts(app)
    assert container.assignments.get(assignment_id).version == 3


def test_an_own_image_is_followed_on_choice_and_replaces_or_is_removed_on_save(
    open_page: PageFactory, container: Container
) -> None:
    assignment_id = make_assignment(container, with_image=True)
    kept = container.assignments.get(assignment_id).s3_image_key
    app = open_page(LIST, user="teacher1", query={"assignment": assignment_id, "edit": "1"})
    app.file_uploader[0].set_value(("notes.png", b"just some text", "image/png")).run()
    assert "Waiting for its turn to be processed…" in texts(app)  # sent, not decoded here
    container.worker().run(drain=True)
    app.run()
    assert "“notes.png” was refused: This file is not an image we can read." in texts(app)
    assert "Choose another file, or save without it." in texts(app)
    assert [b.label for b in app.button if b.label == "Undo the image change"]
    app.file_uploader[0].set_value(("cat.png", png(photograph("chelsea")), "image/png")).run()
    assert "It replaces the current image once ready, when you save." in texts(app)
    container.worker().run(drain=True)
    app.run()
    assert "It replaces the current image when you save." in texts(app)
    app.button(key=editor_key(assignment_id, "cancel")).click().run()
    assert "edit" not in app.query_params
    assert container.assignments.get(assignment_id).s3_image_key == kept
    app.button(key="edit").click().run()
    app.button(key=editor_key(assignment_id, "remove", edit=2)).click().run()
    assert "The image will be removed when you save." in texts(app)
    app.button(key=editor_key(assignment_id, "save", edit=2)).click().run()
    assert not container.assignments.get(assignment_id).has_image

    app.button(key="edit").click().run()
    app.file_uploader[0].set_value(("cat.png", png(photograph("chelsea")), "image/png")).run()
    app.button(key=editor_key(assignment_id, "save", edit=3)).click().run()  # still processing
    assert not app.exception
    assert container.assignments.get(assignment_id).awaits_image
    assert "is being processed" in str(app.get("progress")[0].proto.text)  # on the detail
    container.worker().run(drain=True)
    app.run()
    replaced = container.assignments.get(assignment_id)
    assert replaced.s3_image_key.startswith("processed/")
    assert replaced.image_metadata is not None and replaced.image_metadata.dimensions == "451x300"
    assert not app.get("progress")


def test_a_refused_file_chosen_in_the_editor_is_not_saved(
    open_page: PageFactory, container: Container
) -> None:
    assignment_id = make_assignment(container, with_image=True)
    before = container.assignments.get(assignment_id)
    app = open_page(LIST, user="teacher1", query={"assignment": assignment_id, "edit": "1"})
    app.file_uploader[0].set_value(("notes.png", b"just some text", "image/png")).run()
    container.worker().run(drain=True)
    app.text_input(key=editor_key(assignment_id, "title")).input("Renamed")
    app.button(key=editor_key(assignment_id, "save")).click().run()
    assert not app.exception
    after = container.assignments.get(assignment_id)
    assert after.title == "Renamed" and after.image_keys == before.image_keys
    assert after.image_upload is None  # the refused file was never the assignment's


def test_only_the_author_gets_the_editor_and_the_results(
    open_page: PageFactory, container: Container
) -> None:
    assignment_id = make_assignment(container, with_image=False)
    container.accounts.register("teacher2", PASSWORD, Role.TEACHER)
    query = {"assignment": assignment_id, "edit": "1", "tab": "Results"}
    app = open_page(LIST, user="teacher2", query=query)
    assert not app.exception
    assert not app.tabs and not app.text_area
    assert not [button for button in app.button if button.key == "edit"]
    assert "Answer:" in texts(app)  # the assignment itself, as any teacher sees it


REFERENCES = [
    QuestionAnswer("q1", "What do mitochondria do?", "They produce most of the cell's energy."),
    QuestionAnswer("q2", "Who passes mitochondria on?", "They are inherited from the mother."),
]


@pytest.fixture
def answered(container: Container) -> str:
    """An assignment two students answered: student1 twice on q1 (flagged: a word changed)
    and once on q2, student2 once on q2."""
    assignment = container.assignments.create(account(container, "teacher1"), TEXT, REFERENCES)
    container.accounts.register("student2", PASSWORD, Role.STUDENT)
    one, two = account(container, "student1"), account(container, "student2")
    grading, assignment_id = container.grading, assignment.assignment_id
    grading.answer(one, assignment_id, "q1", "They consume most of the cell's energy.")
    grading.answer(one, assignment_id, "q1", "Something else entirely")
    grading.answer(one, assignment_id, "q2", "They are inherited from the mother.")
    grading.answer(two, assignment_id, "q2", "From the father")
    return assignment_id


def results_tab(open_page: PageFactory, assignment_id: str) -> AppTest:
    return open_page(LIST, user="teacher1", query={"assignment": assignment_id, "tab": "Results"})


def test_the_results_tab_shows_each_students_best_with_what_to_look_at_and_the_csv(
    open_page: PageFactory, container: Container, answered: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    downloads = handed_to(
        monkeypatch, "download_button", lambda args, kwargs: (kwargs["file_name"], kwargs["data"])
    )
    app = results_tab(open_page, answered)
    assert not app.exception
    results = container.results.results(account(container, "teacher1"), answered)
    best = {row.student_id: row.progress for row in results.students}
    table = app.table[0].value
    assert list(table.columns) == ["Student", "Question 1", "Question 2", "Average"]
    assert list(table["Student"]) == ["student1", "student2"]
    one, two = table.iloc[0], table.iloc[1]
    q1 = best["student1"]["q1"]
    assert q1.flags and q1.best_score is not None
    assert one["Question 1"] == f"**{round(q1.best_score)}** · 2 attempts {NEEDS_A_LOOK}"
    assert one["Question 2"] == "**100** · 1 attempt"
    assert two["Question 1"] == "—"
    assert two["Average"].endswith("· 1 of 2 answered")
    assert downloads[-1] == (results_filename(results.title), results_csv(results))
    rows = list(csv.reader(io.StringIO(downloads[-1][1])))
    assert rows[0] == ["student", "Q1 score", "Q1 attempts", "Q2 score", "Q2 attempts", "average"]
    assert [row[0] for row in rows[1:]] == ["student1", "student2"]
    assert [h.value for h in app.subheader] == ["Answers that need a look", "Change a score"]
    shown = texts(app)
    assert "They consume most of the cell's energy\\." in shown  # the answer, to judge
    assert "'produce' became 'consume'" in shown


def test_a_teachers_score_is_what_the_student_has_until_cleared(
    open_page: PageFactory, container: Container, answered: str
) -> None:
    one, two = account(container, "student1"), account(container, "student2")
    scored = container.grading.progress(one, answered, "q1").best_score
    app = results_tab(open_page, answered)
    app.number_input(key="look_score_student1_q1").set_value(90)  # on the flagged answer
    app.button(key="look_save_student1_q1").click().run()
    assert [s.value for s in app.success] == ["student1 now has 90 / 100 on question 1."]
    assert app.table[0].value.iloc[0]["Question 1"].startswith("**90** · 2 attempts :blue-badge")
    assert container.grading.progress(one, answered, "q1").best_score == 90
    assert app.number_input(key="review_score_student1_q1").value == 90  # the same answer below
    app.button(key="review_clear_student1_q1").click().run()
    assert [s.value for s in app.success] == [
        f"student1 is back to the scorer's {round(scored or 0)} / 100 on question 1."
    ]
    assert container.grading.progress(one, answered, "q1").best_score == scored
    app.selectbox(key="review_student").set_value("student2").run()
    assert app.selectbox(key="review_question").options == ["Question 2"]  # only those answered
    app.number_input(key="review_score_student2_q2").set_value(75)
    app.button(key="review_save_student2_q2").click().run()
    assert container.grading.progress(two, answered, "q2").best_score == 75
    assert not app.exception


def test_a_refused_score_change_shows_the_services_sentence(
    open_page: PageFactory, container: Container, answered: str
) -> None:
    app = results_tab(open_page, answered)
    teacher = account(container, "teacher1")
    container.assignments.edit(  # in another tab: question 1 removed
        teacher, answered, expected_version=1, question_answers=[REFERENCES[1]]
    )
    app.button(key="review_save_student1_q1").click().run()
    assert [w.value for w in app.warning] == ["This assignment has no question 'q1'."]
    assert not app.exception


def test_with_no_answers_the_results_tab_says_so(
    open_page: PageFactory, container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    downloads: list[Any] = handed_to(monkeypatch, "download_button", lambda args, kwargs: None)
    app = results_tab(open_page, make_assignment(container, with_image=False))
    assert "No student has answered yet." in texts(app)
    assert downloads == [] and not app.table


def test_the_image_details_say_how_the_image_was_encoded(
    open_page: PageFactory, container: Container
) -> None:
    assignment_id = make_assignment(container)
    figures = container.assignments.get(assignment_id)
    assert figures.image_metadata is not None and figures.image_metadata.ssim is not None
    app = open_page(LIST, user="teacher1", query={"assignment": assignment_id})
    assert not app.exception
    (details,) = [c.value for c in app.caption if c.value.startswith("Stored as WEBP")]
    assert f"(SSIM {figures.image_metadata.ssim:.4f} against the resized original" in details
    assert "Encoded losslessly" in details or "Encoded at WebP quality" in details
