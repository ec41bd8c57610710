"""The results CSV: its columns, its escaping, formula-safe cells, and a safe file name."""

from __future__ import annotations

import csv
import io

import pytest

from eduportal.domain.assignments import numbered
from eduportal.domain.grading import QuestionProgress
from eduportal.domain.results import AssignmentResults, StudentScores
from eduportal.services.results_export import results_csv, results_filename

QUESTIONS = tuple(numbered([("First?", "One."), ("Second?", "Two."), ("Third?", "Three.")]))


def table(*students: StudentScores) -> AssignmentResults:
    return AssignmentResults("1700000000000-abcdef", "Cells", QUESTIONS, students)


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def test_one_row_per_student_with_each_questions_score_and_attempts() -> None:
    text = results_csv(
        table(
            StudentScores(
                "ann",
                {
                    "q1": QuestionProgress(attempts=2, best_score=73.5),
                    "q3": QuestionProgress(attempts=1, best_score=100.0),
                },
            ),
            StudentScores("bob", {"q2": QuestionProgress(attempts=4, best_score=0.0)}),
        )
    )
    assert rows(text) == [
        [
            "student",
            "Q1 score",
            "Q1 attempts",
            "Q2 score",
            "Q2 attempts",
            "Q3 score",
            "Q3 attempts",
            "average",
        ],
        ["ann", "73.5", "2", "", "", "100", "1", "86.8"],
        ["bob", "", "", "0", "4", "", "", "0"],
    ]
    assert text.endswith("\r\n")  # RFC 4180 line ends, as spreadsheets expect


def test_no_students_is_a_header_alone() -> None:
    (header,) = rows(results_csv(table()))
    assert header[0] == "student" and header[-1] == "average" and len(header) == 8


@pytest.mark.parametrize("name", ["=HYPERLINK(1)", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_a_cell_a_spreadsheet_would_run_as_a_formula_is_written_as_text(name: str) -> None:
    text = results_csv(table(StudentScores(name, {"q1": QuestionProgress(1, 50.0)})))
    assert rows(text)[1][0] == f"'{name}"


def test_commas_quotes_and_line_breaks_are_quoted_not_split() -> None:
    name = 'ann, "the" \nsecond'
    text = results_csv(table(StudentScores(name, {"q1": QuestionProgress(1, 50.0)})))
    assert rows(text)[1][:3] == [name, "50", "1"]


@pytest.mark.parametrize(
    ("title", "filename"),
    [
        ("Cells", "Cells-results.csv"),
        ("The cell: powerhouse & more!", "The-cell-powerhouse-more-results.csv"),
        ("Fotosíntesis en las células", "Fotosintesis-en-las-celulas-results.csv"),
        ('"; filename=evil.exe', "filename-evil-exe-results.csv"),
        ("../../etc/passwd", "etc-passwd-results.csv"),
        ("日本語", "assignment-results.csv"),
        ("x" * 200, "x" * 60 + "-results.csv"),
        (("word " * 30).strip(), ("word-" * 12).rstrip("-") + "-results.csv"),
    ],
)
def test_the_file_name_is_the_title_in_safe_characters(title: str, filename: str) -> None:
    assert results_filename(title) == filename
