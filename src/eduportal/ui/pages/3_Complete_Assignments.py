"""Answer an assignment: pick it, pick a question, answer, see the score and the top five."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import streamlit as st

from eduportal.domain.accounts import Account, Role
from eduportal.domain.assignments import Assignment
from eduportal.services.grading import AnswerResult
from eduportal.ui.session import container, image_bytes, page


def choose_assignment() -> Assignment | None:
    items = container().assignments.list(limit=100).items
    if not items:
        st.info("There are no assignments yet.")
        return None
    labels = distinct_labels(items)
    chosen = st.selectbox(
        "Assignment", options=list(labels), format_func=labels.__getitem__, key="assignment"
    )
    return next(item for item in items if item.assignment_id == chosen)


def distinct_labels(items: list[Assignment]) -> dict[str, str]:
    """Title, author and date; numbered if still alike. The select box tells its options
    apart by label, so two alike would swap the chosen assignment (and the answer typed)."""
    labels: dict[str, str] = {}
    seen: dict[str, int] = {}
    for item in items:
        day = datetime.fromtimestamp(item.created_at, UTC).strftime("%d %b %Y")
        label = f"{item.title} · {item.teacher_id} · {day}"
        seen[label] = seen.get(label, 0) + 1
        labels[item.assignment_id] = label if seen[label] == 1 else f"{label} ({seen[label]})"
    return labels


def show_result(result: AnswerResult) -> None:
    score, best = st.columns(2)
    score.metric("Your score", f"{result.score:.1f}")
    best.metric("Your best", f"{result.best_score:.1f}")
    if not result.counted:
        st.caption("Not counted: you had already seen the reference answer.")
    st.subheader("Top five")
    st.table(
        [
            {"rank": row.rank, "student": row.student_id, "best score": f"{row.best_score:.1f}"}
            for row in result.leaderboard
        ]
    )
    st.subheader("Suggestions")
    st.markdown(f"**Corrected:** {result.suggestions.corrected}")
    st.markdown(f"**Another way to say it:** {result.suggestions.rephrased}")


def answer_form(student: Account, assignment: Assignment) -> None:
    questions = {qa.id: qa.question for qa in assignment.question_answers}
    question_id = st.selectbox(
        "Question", options=list(questions), format_func=questions.__getitem__, key="question"
    )
    grading = container().grading
    progress = grading.progress(student, assignment.assignment_id, question_id)
    if progress.best_score is not None:
        st.caption(f"Your best so far: {progress.best_score:.1f}")
    if progress.revealed:
        st.caption("You have seen the reference answer: new answers are scored but not counted.")
    answer = st.text_area("Your answer", key=f"answer_{assignment.assignment_id}_{question_id}")
    # What the student just got stays on the page across the reruns other buttons cause.
    shown = f"shown_{assignment.assignment_id}_{question_id}"
    kept: dict[str, Any] = st.session_state.setdefault(shown, {})
    answered = progress.attempts > 0
    if st.button("Submit answer", type="primary", key="submit"):
        with st.spinner("Scoring…"):
            kept["result"] = grading.answer(student, assignment.assignment_id, question_id, answer)
        answered = True
    if "result" in kept:
        show_result(kept["result"])
    if st.button(
        "Reveal the correct answer",
        key="reveal",
        disabled=not answered,
        help="Answer once first. After revealing, new answers no longer count.",
    ):
        kept["reference"] = grading.reveal(student, assignment.assignment_id, question_id)
    if "reference" in kept:
        st.info(f"Correct answer: {kept['reference']}")
    elif not answered:
        st.caption(
            "Answer once to unlock the correct answer. Once you have seen it, new answers to "
            "this question are scored but no longer count."
        )


with page("Complete Assignments", Role.STUDENT) as student:
    assert student is not None
    assignment = choose_assignment()
    if assignment is not None:
        left, right = st.columns([2, 3])
        left.image(image_bytes(assignment.s3_image_key), use_container_width=True)
        right.write(assignment.prompt)
        with right:
            answer_form(student, assignment)
