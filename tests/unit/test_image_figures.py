"""The figures kept with each image, and the encoding carried in its object's metadata so a
process that did not encode it (the portal adopting the pipeline's image) can tell."""

from __future__ import annotations

from eduportal.domain.images import EncodingMode, ImageFigures
from tests.support.images import PLACEHOLDER

PROBED = ImageFigures(1000, 400, 0.6, "webp", "451x300")


def test_the_encoding_travels_in_the_objects_metadata() -> None:
    lossy = ImageFigures(
        1000, 400, 0.6, "webp", "451x300", 77, EncodingMode.LOSSY, 0.9557, PLACEHOLDER
    )
    lossless = ImageFigures(1000, 400, 0.6, "webp", "451x300", None, "lossless", 1.0)
    for figures in (lossy, lossless):
        assert PROBED.with_encoding(figures.encoding_metadata()) == figures
    assert lossy.encoding_metadata() == {
        "encoding": "lossy",
        "webp-quality": "77",
        "ssim": "0.9557",
        "placeholder": PLACEHOLDER,
    }


def test_an_object_stored_before_encodings_were_recorded_has_none() -> None:
    assert PROBED.encoding_metadata() == {}
    assert PROBED.with_encoding({"image-id": "x"}) == PROBED


def test_metadata_someone_else_wrote_wrongly_is_no_figure() -> None:
    garbled = {
        "encoding": "lossy",
        "webp-quality": "high",
        "ssim": "n/a",
        "placeholder": PLACEHOLDER + '") } * { background: url("https://elsewhere/',
    }
    assert PROBED.with_encoding(garbled) == ImageFigures(
        1000, 400, 0.6, "webp", "451x300", None, "lossy", None
    )
