# A student's own results: every assignment they answered, newest first, with the best score
# on each question and the average, each opening its assignment on the Assignments page.
# (Comments, not docstrings, in page scripts: Streamlit's magic would show a string.)

from __future__ import annotations

import streamlit as st

from eduportal.domain.accounts import Role
from eduportal.domain.results import StudentResult
from eduportal.ui.listing import SELECTED, escape_markdown
from eduportal.ui.session import container, page
from eduportal.ui.wording import answered_words, best_words, plural, score_words, unbroken

ASSIGNMENTS = "views/answer.py"


def question_lines(result: StudentResult) -> str:
    """A line per question answered, in the assignment's order, then one for the rest."""
    lines: list[str] = []
    unanswered: list[str] = []
    for number, question_id in enumerate(result.question_ids, start=1):
        progress = result.scores.progress.get(question_id)
        if progress is None:
            unanswered.append(str(number))
        else:
            lines.append(f"- Question {number}: {best_words(progress)}")
    if unanswered:
        lines.append(
            f"- Not answered yet: {'question' if len(unanswered) == 1 else 'questions'} "
            + ", ".join(unanswered)
        )
    return "\n".join(lines)


def result_card(result: StudentResult) -> None:
    scores = result.scores
    with st.container(border=True):
        st.page_link(
            ASSIGNMENTS,
            label=f"**{escape_markdown(result.title)}**",
            icon=":material/chevron_right:",
            icon_position="right",
            query_params={SELECTED: result.assignment_id},
            width="stretch",
        )
        summary = answered_words(scores.answered, len(result.question_ids))
        if scores.average is not None:
            summary += f" · average {unbroken(score_words(scores.average))}"
        st.markdown(summary)
        st.markdown(question_lines(result))


with page("My results", Role.STUDENT) as student:
    results = container().results.student_results(student)
    if not results:
        st.info("You have not answered any assignment yet. Your scores will show here.")
        st.page_link(ASSIGNMENTS, label="Go to the assignments", icon="📝")
    else:
        st.caption(
            f"{plural(len(results), 'assignment')} you answered, newest first. Your best answer "
            "to each question counts; the average is over the questions you answered."
        )
        for result in results:
            result_card(result)
