"""The tiny preview kept with every stored image (issue 11, "Instant paints").

A WebP of the fitted pixels shrunk to `LONGER_SIDE` px, as a `data:` URI: a client paints it,
blurred and stretched over the image's box, before the image arrives. A data URI rather than a
blurhash because every browser decodes it as it is (a blurhash needs a decoder in the client)
and it keeps the image's alpha. Measured on scikit-image's photographs and the offline posters
(`python -m bench.placeholder`): 20 px at quality 40 gives 159-359 characters of URI, in
about a hundredth of the optimization's time (2 ms on a megapixel).
"""

from __future__ import annotations

import base64
import io
import logging
from typing import Final

from PIL import Image

from eduportal.domain.images import MAX_PLACEHOLDER_CHARS, PLACEHOLDER_PREFIX
from eduportal.imaging.codec import encode

log = logging.getLogger(__name__)

LONGER_SIDE: Final = 20
"""Enough for the preview's main shapes and colours once blurred; 24 px and 32 px cost a
quarter and a half more bytes for detail the blur removes."""
ATTEMPTS: Final = ((LONGER_SIDE, 40), (16, 20))
"""(longer side, WebP quality), tried in order until one fits `MAX_PLACEHOLDER_CHARS`: none
of the benchmark's images needs the second."""


def placeholder_of(image: Image.Image) -> str | None:
    """The preview of a decoded `RGB` or `RGBA` image, within `MAX_PLACEHOLDER_CHARS`; None
    (logged) when even the smallest attempt does not fit or cannot be encoded: an image
    without a preview is shown as before, so a failure here costs only the preview."""
    width, height = image.size
    for side, quality in ATTEMPTS:
        scale = side / max(width, height, 1)
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        try:
            # BOX averages every source pixel: the cheapest reduction, and the right one
            # for a preview whose detail is blurred away anyway.
            small = image.resize(size, Image.Resampling.BOX)
            uri = PLACEHOLDER_PREFIX + base64.b64encode(
                encode(small, "WEBP", quality=quality)
            ).decode("ascii")
        except (OSError, ValueError):
            log.warning("no placeholder: the preview could not be encoded", exc_info=True)
            return None
        if len(uri) <= MAX_PLACEHOLDER_CHARS:
            return uri
    log.warning("no placeholder: the preview is over its size", extra={"size": image.size})
    return None


def is_opaque(placeholder: str) -> bool:
    """Whether the preview can be painted under its image: not when it is partly transparent
    (it would show through the image's transparent parts once the image has arrived), nor
    when it cannot be read (someone else's metadata)."""
    try:
        data = base64.b64decode(placeholder.removeprefix(PLACEHOLDER_PREFIX), validate=True)
        with Image.open(io.BytesIO(data)) as preview:
            return "A" not in preview.getbands()
    except (OSError, ValueError):
        return False
