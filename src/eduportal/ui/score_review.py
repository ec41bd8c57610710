"""A teacher reviews answers: each one the scorer flagged, with its text and a score to give
right there, and any student's answer to any question, chosen and scored the same way.

Scores change in button callbacks, which Streamlit runs before the page is drawn again, so the
results table above shows the new score in the same run. The rules (who may, 0 to 100, what an
override does) are the results service's; a refusal shows its sentence.
"""

from __future__ import annotations

import streamlit as st

from eduportal.domain.accounts import Account
from eduportal.domain.assignments import QuestionAnswer
from eduportal.domain.errors import EduportalError
from eduportal.domain.grading import QuestionProgress
from eduportal.domain.results import AssignmentResults
from eduportal.observability.logging import log_error
from eduportal.ui.listing import as_written, escape_markdown
from eduportal.ui.results_table import NEEDS_A_LOOK, OVERRIDDEN, REVEALED, points
from eduportal.ui.session import container, show_error
from eduportal.ui.wording import plural, score_words

FLAGGED, CHOSEN = "look", "review"
"""Where score controls are drawn: on a flagged answer's card, or under the chosen answer. Part
of their keys, since one answer can be in both places at once."""
STUDENT = "review_student"
QUESTION = "review_question"
OUTCOME = "review_outcome"
"""What the last score change did, and where: (place, student, question id) and a sentence
or the service's refusal."""
HOW_IT_WORKS = (
    "Your score replaces the scorer's for the answer shown: the student sees it and the top "
    "five ranks by it. If the student later answers better, that answer's score takes over."
)


def note(flag: str) -> str:
    """ "needs a look: 'release' became 'capture'" → "'release' became 'capture'"."""
    reason = flag.removeprefix("needs a look:").strip()
    return reason[:1].upper() + reason[1:]


def answer_shown(qa: QuestionAnswer, progress: QuestionProgress) -> None:
    """The question, the student's best answer beside the reference, the scorer's doubts, and
    where the score stands."""
    st.markdown(as_written(qa.question))
    st.markdown(f"**Their answer:** {as_written(progress.answer)}")
    st.caption(f"Reference answer: {as_written(qa.answer)}")
    for flag in progress.flags:
        st.markdown(f"{NEEDS_A_LOOK} {escape_markdown(note(flag))}")
    st.caption(standing(progress))


def standing(progress: QuestionProgress) -> str:
    parts = [f"Now {score_words(progress.best_score or 0)}"]
    if progress.override is not None:
        parts.append(f"{OVERRIDDEN} the scorer gave {points(progress.override.scored)}")
    parts.append(plural(progress.attempts, "attempt"))
    if progress.revealed:
        parts.append(REVEALED)
    return " · ".join(parts)


def score_key(place: str, student: str, question_id: str) -> str:
    return f"{place}_score_{student}_{question_id}"


def answers_to_look_at(teacher: Account, results: AssignmentResults) -> None:
    """Every answer the scorer flagged, to read, judge and score."""
    numbers = _numbers(results)
    flagged = [
        (row.student_id, qa, progress)
        for row in results.students
        for qa in results.questions
        if (progress := row.progress.get(qa.id)) is not None and progress.flags
    ]
    if not flagged:
        return
    st.subheader("Answers that need a look")
    st.caption("The scorer was unsure of these. Read each answer; keep its score or give yours.")
    for student, qa, progress in flagged:
        with st.container(border=True):
            st.markdown(f"**{escape_markdown(student)}** · Question {numbers[qa.id]}")
            answer_shown(qa, progress)
            score_controls(teacher, results, student, qa.id, FLAGGED)


def change_a_score(teacher: Account, results: AssignmentResults) -> None:
    """Any student's best answer to any question they answered."""
    st.subheader("Change a score")
    st.caption(HOW_IT_WORKS)
    numbers = _numbers(results)
    rows = {row.student_id: row for row in results.students}
    left, right = st.columns(2)
    student = left.selectbox("Student", list(rows), key=STUDENT)
    row = rows[student]
    question_id = right.selectbox(
        "Question",
        list(row.progress),  # only those answered: an unanswered one has no score to change
        format_func=lambda qid: f"Question {numbers[qid]}",
        key=QUESTION,
    )
    qa = next(qa for qa in results.questions if qa.id == question_id)
    with st.container(border=True):
        answer_shown(qa, row.progress[question_id])
        score_controls(teacher, results, student, question_id, CHOSEN)
    show_outcome(None)


def score_controls(
    teacher: Account, results: AssignmentResults, student: str, question_id: str, place: str
) -> None:
    progress = next(r for r in results.students if r.student_id == student).progress[question_id]
    where = (teacher, results.assignment_id, question_id, student, _numbers(results)[question_id])
    key = score_key(place, student, question_id)
    st.session_state.setdefault(key, round(progress.best_score or 0))  # set above, not `value=`
    with st.container(horizontal=True, vertical_alignment="bottom"):
        st.number_input(
            "Your score, 0 to 100", min_value=0, max_value=100, step=1, key=key, width=180
        )
        st.button(
            "Save score",
            type="primary",
            key=f"{place}_save_{student}_{question_id}",
            on_click=change,
            args=(*where, place, False),
        )
        st.button(
            "Clear override",
            key=f"{place}_clear_{student}_{question_id}",
            on_click=change,
            args=(*where, place, True),
            disabled=not progress.overridden,
            help="Give the answer back the scorer's score.",
        )
    show_outcome((place, student, question_id))


def show_outcome(here: tuple[str, str, str] | None) -> None:
    """The last change's sentence beside the controls it came from (`here`); None shows it
    wherever it is, for an answer no longer on the page (its question removed meanwhile)."""
    outcome = st.session_state.get(OUTCOME)
    if outcome is None or here not in (None, outcome[0]):
        return
    del st.session_state[OUTCOME]
    if isinstance(outcome[1], EduportalError):
        show_error(outcome[1])
    else:
        st.success(outcome[1])


def change(
    teacher: Account,
    assignment_id: str,
    question_id: str,
    student: str,
    number: int,
    place: str,
    clearing: bool,
) -> None:
    """Save the teacher's score (or clear it) and say what the student now has."""
    results = container().results
    here = (place, student, question_id)
    try:
        if clearing:
            after = results.clear_override(teacher, assignment_id, question_id, student)
        else:
            score = float(st.session_state.get(score_key(place, student, question_id)) or 0)
            after = results.override(teacher, assignment_id, question_id, student, score)
    except EduportalError as refused:
        log_error(refused)
        st.session_state[OUTCOME] = (here, refused)
        return
    for shown in (FLAGGED, CHOSEN):  # every field of this answer shows the new score: set, as
        # a field whose key is only dropped keeps the number typed in the browser
        st.session_state[score_key(shown, student, question_id)] = round(after.best_score or 0)
    now = score_words(after.best_score or 0)
    st.session_state[OUTCOME] = (
        here,
        f"{student} is back to the scorer's {now} on question {number}."
        if clearing
        else f"{student} now has {now} on question {number}.",
    )


def _numbers(results: AssignmentResults) -> dict[str, int]:
    return {qa.id: number for number, qa in enumerate(results.questions, start=1)}
