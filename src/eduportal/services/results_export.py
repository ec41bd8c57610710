"""An assignment's results as a CSV file, built here once for every face that offers it.

One row per student: the user name, then each question's best score and attempts, then the
average over the questions answered. A question not answered leaves its two cells empty.

Spreadsheets run a cell that starts with `=`, `+`, `-` or `@` as a formula (and some read a
leading tab or carriage return the same way), so such a cell is written with a leading `'`,
which they show as text. User names cannot start with one today (`validate_username`), but
the file must stay safe whatever a name or a later column holds.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata

from eduportal.domain.results import AssignmentResults

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_FILENAME_STEM_CHARS = 60


def results_csv(results: AssignmentResults) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    header = ["student"]
    for number in range(1, len(results.questions) + 1):
        header += [f"Q{number} score", f"Q{number} attempts"]
    writer.writerow([*header, "average"])
    for row in results.students:
        cells = [row.student_id]
        for question in results.questions:
            progress = row.progress.get(question.id)
            if progress is None:
                cells += ["", ""]
            else:
                cells += [_number(progress.best_score), str(progress.attempts)]
        writer.writerow([_safe(cell) for cell in [*cells, _number(row.average)]])
    return buffer.getvalue()


def results_filename(title: str) -> str:
    """`<title>-results.csv` in ASCII letters, digits and `-` only (accents dropped), so it is
    safe in a Content-Disposition header and on every file system."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    stem = re.sub(r"[^A-Za-z0-9]+", "-", ascii_title).strip("-")
    stem = stem[:_FILENAME_STEM_CHARS].rstrip("-") or "assignment"
    return f"{stem}-results.csv"


def _number(value: float | None) -> str:
    """Scores keep one decimal; `g` drops a trailing `.0` (73.5, 100, 0)."""
    return "" if value is None else f"{value:g}"


def _safe(cell: str) -> str:
    return f"'{cell}" if cell.startswith(_FORMULA_STARTS) else cell
