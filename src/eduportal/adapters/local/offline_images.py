"""`ImageGenerator` without a model: a poster of the text's key terms, labelled as such.

Without an image model nothing here can depict the text, and a picture that pretends to would
mislead a class. What can be made honestly is a poster of the terms the text is about (see
`poster`), captioned "Offline illustration" on the image itself, so that a downloaded copy
still says what it is, and `source` tells the page the same together with how to get a real
picture.
"""

from __future__ import annotations

from eduportal.adapters.local.poster import compose, render
from eduportal.imaging.codec import encode

SOURCE = (
    "Offline illustration (made from the text's key terms; upload a picture or use Amazon "
    "Bedrock for a real one)"
)


class OfflineImageGenerator:
    source = SOURCE

    def generate(self, prompt: str) -> bytes:
        return encode(render(compose(prompt)), "PNG", compress_level=1)
