"""An assignment's results for its teacher: students by questions, and the CSV file.

Each cell is the student's best score on the question (the teacher's own score when they set
one), out of 100, with the number of attempts and what the teacher should know about it, in
words: overridden, the reference answer seen, the scorer unsure ("needs a look").

A table of students by questions does not fit a phone, so the same cells are also drawn as one
card per student, and the page's width picks which is shown (CSS, as Streamlit's own columns
stack at 640 px): the server cannot know the screen.
"""

from __future__ import annotations

import streamlit as st

from eduportal.domain.grading import QuestionProgress
from eduportal.domain.results import AssignmentResults, StudentScores
from eduportal.services.results_export import results_csv, results_filename
from eduportal.ui.listing import escape_markdown
from eduportal.ui.wording import plural

NOT_ANSWERED = "—"
OVERRIDDEN = ":blue-badge[overridden]"
REVEALED = ":gray-badge[saw the answer]"
NEEDS_A_LOOK = ":orange-badge[needs a look]"
_MEANINGS = {
    OVERRIDDEN: "your score stands in for the scorer's",
    REVEALED: "they saw the reference answer, so later answers do not count",
    NEEDS_A_LOOK: "the scorer was unsure: read the answer below",
}
WIDE, NARROW = "results_wide", "results_narrow"
_ONE_OF_TWO = f"""<style>
@media (max-width: 640px) {{ .st-key-{WIDE} {{ display: none !important; }} }}
@media (min-width: 641px) {{ .st-key-{NARROW} {{ display: none !important; }} }}
</style>"""


def points(score: float | None) -> str:
    """A score in whole points, as a teacher writes it: "73"."""
    return NOT_ANSWERED if score is None else str(round(score))


def markers(progress: QuestionProgress) -> list[str]:
    found = []
    if progress.overridden:
        found.append(OVERRIDDEN)
    if progress.revealed:
        found.append(REVEALED)
    if progress.flags:
        found.append(NEEDS_A_LOOK)
    return found


def cell(progress: QuestionProgress | None, missing: str = NOT_ANSWERED) -> str:
    if progress is None:
        return missing
    score = f"**{points(progress.best_score)}** · {plural(progress.attempts, 'attempt')}"
    return " ".join([score, *markers(progress)])


def average(row: StudentScores, questions: int) -> str:
    return f"**{points(row.average)}** · {row.answered} of {questions} answered"


def results_table(results: AssignmentResults) -> None:
    """How many answered, the CSV download, the table (or cards) and what its marks mean."""
    count, download = st.columns([3, 1], vertical_alignment="center")
    count.caption(f"{plural(len(results.students), 'student')} answered so far.")
    download.download_button(
        "Download CSV",
        data=results_csv(results),
        file_name=results_filename(results.title),
        mime="text/csv",
        key="download_results",
        icon=":material/download:",
        on_click="ignore",
    )
    st.html(_ONE_OF_TWO)
    with st.container(key=WIDE):
        _table(results)
    with st.container(key=NARROW):
        _cards(results)
    _legend(results)


def _table(results: AssignmentResults) -> None:
    rows = []
    for row in results.students:
        line = {"Student": escape_markdown(row.student_id)}
        for number, qa in enumerate(results.questions, start=1):
            line[f"Question {number}"] = cell(row.progress.get(qa.id))
        line["Average"] = average(row, len(results.questions))
        rows.append(line)
    st.table(rows, hide_header=False, alt="Each student's best score on each question")


def _cards(results: AssignmentResults) -> None:
    for row in results.students:
        with st.container(border=True):
            st.markdown(
                f"**{escape_markdown(row.student_id)}** · average "
                f"{average(row, len(results.questions))}"
            )
            st.markdown(
                "\n".join(
                    f"- Question {number}: {cell(row.progress.get(qa.id), 'not answered')}"
                    for number, qa in enumerate(results.questions, start=1)
                )
            )


def _legend(results: AssignmentResults) -> None:
    shown = {
        marker
        for row in results.students
        for progress in row.progress.values()
        for marker in markers(progress)
    }
    meanings = [f"{marker} {meaning}." for marker, meaning in _MEANINGS.items() if marker in shown]
    st.caption(
        " ".join(
            [
                "Each cell: the best score out of 100 and how many times the student answered.",
                *meanings,
                "The average is over the questions each student answered.",
            ]
        )
    )
