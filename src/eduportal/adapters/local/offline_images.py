"""`ImageGenerator` without a model: a poster of the text's key terms, labelled as such.

Without an image model nothing here can depict the text, and a picture that pretends to would
mislead a class. What can be made honestly is a poster of the terms the text is about (see
`poster`), captioned "Offline illustration" on the image itself, so that a downloaded copy
still says what it is, and `source` tells the page the same together with how to get a real
picture.

It is a `PictureGenerator`: the poster is drawn here, so `picture` hands it over undecoded
and creating an assignment skips a PNG encode and decode (`imaging.picture`).
"""

from __future__ import annotations

from PIL import Image

from eduportal.adapters.local.poster import HEIGHT, VERSION, WIDTH, compose, render
from eduportal.imaging.codec import encode
from eduportal.imaging.picture import Picture

SOURCE = (
    "Offline illustration (made from the text's key terms; upload a picture or use Amazon "
    "Bedrock for a real one)"
)
PNG_LEVEL = 1


def encode_poster(image: Image.Image) -> bytes:
    """The PNG this generator has always returned (zlib level 1): its length is every offline
    illustration's recorded `original_size_bytes`, so a change here changes stored figures."""
    return encode(image, "PNG", compress_level=PNG_LEVEL)


class OfflineImageGenerator:
    source = SOURCE
    fingerprint = f"offline-poster:v{VERSION}:{WIDTH}x{HEIGHT}:png-level-{PNG_LEVEL}"
    """The drawer's version and what it hands over; the text alone decides the rest."""

    def generate(self, prompt: str) -> bytes:
        return self.picture(prompt).data()

    def picture(self, prompt: str) -> Picture:
        return Picture(render(compose(prompt)), "PNG", encode_poster)
