"""`RenderCache`: a rendering is reused only for the very same value object."""

from __future__ import annotations

from dataclasses import dataclass

from eduportal.services.read_cache import RenderCache


@dataclass(frozen=True)
class Doc:
    title: str


def test_the_same_object_is_rendered_once() -> None:
    cache: RenderCache[str, Doc, str] = RenderCache()
    rendered: list[Doc] = []

    def render(doc: Doc) -> str:
        rendered.append(doc)
        return doc.title.upper()

    doc = Doc("cells")
    assert cache.get("a1", doc, render) == "CELLS"
    assert cache.get("a1", doc, render) == "CELLS"
    assert rendered == [doc]


def test_another_object_is_rendered_again_even_when_equal() -> None:
    """A value read again from the database is a new object: no rendering of an older read
    can stand in for it, whatever its fields say."""
    cache: RenderCache[str, Doc, str] = RenderCache()
    calls: list[Doc] = []

    def render(doc: Doc) -> str:
        calls.append(doc)
        return doc.title

    first, edited, reread = Doc("cells"), Doc("cells, edited"), Doc("cells, edited")
    for doc in (first, edited, reread, reread):
        cache.get("a1", doc, render)
    assert calls == [first, edited, reread]


def test_keys_are_kept_apart_and_bounded() -> None:
    cache: RenderCache[tuple[str, bool], Doc, str] = RenderCache(max_entries=2)
    doc = Doc("cells")
    assert cache.get(("a1", True), doc, lambda d: "with answers") == "with answers"
    assert cache.get(("a1", False), doc, lambda d: "without") == "without"
    assert cache.get(("a1", True), doc, lambda d: "again") == "with answers"
    cache.get(("a2", True), doc, lambda d: "other")  # the least recently used goes
    assert cache.get(("a1", False), doc, lambda d: "rendered anew") == "rendered anew"
