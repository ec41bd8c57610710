"""An assignment's results for its teacher: students by questions, and the CSV file.

Each cell is the student's best score on the question (the teacher's own score when they set
one), out of 100, with the number of attempts and what the teacher should know about it, in
words: overridden, the reference answer seen, the scorer unsure ("needs a look").
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
LEGEND = (
    "Each cell is the student's best score out of 100 and how many times they answered. "
    f"{OVERRIDDEN} your score stands in for the scorer's · {REVEALED} they saw the reference "
    f"answer, so later answers do not count · {NEEDS_A_LOOK} the scorer was unsure: read the "
    "answer below. The average is over the questions the student answered."
)


def points(score: float | None) -> str:
    """A score in whole points, as a teacher writes it: "73"."""
    return NOT_ANSWERED if score is None else str(round(score))


def cell(progress: QuestionProgress | None) -> str:
    if progress is None:
        return NOT_ANSWERED
    words = [f"**{points(progress.best_score)}** · {plural(progress.attempts, 'attempt')}"]
    if progress.overridden:
        words.append(OVERRIDDEN)
    if progress.revealed:
        words.append(REVEALED)
    if progress.flags:
        words.append(NEEDS_A_LOOK)
    return " ".join(words)


def average(row: StudentScores, questions: int) -> str:
    return f"**{points(row.average)}** · {row.answered} of {questions} answered"


def results_table(results: AssignmentResults) -> None:
    """How many answered, the CSV download, the table and its legend."""
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
    questions = len(results.questions)
    rows = []
    for row in results.students:
        line = {"Student": escape_markdown(row.student_id)}
        for number, qa in enumerate(results.questions, start=1):
            line[f"Question {number}"] = cell(row.progress.get(qa.id))
        line["Average"] = average(row, questions)
        rows.append(line)
    st.table(rows, hide_header=False, alt="Each student's best score on each question")
    st.caption(LEGEND)
