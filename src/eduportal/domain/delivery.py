"""Which image format a client gets, from its `Accept` header (issue 11).

Browsers say what they decode in the `Accept` header of an image request: Chrome, Firefox and
Safari 16+ name `image/avif`, older WebP-capable browsers `image/webp`. Browsers that decode
neither (Safari before 14, Internet Explorer) name other image types (`image/png,image/*`)
and must never get WebP. Clients that name no image type at all (curl and httpx send `*/*`,
some send nothing) are given the stored canonical WebP: they are tools, not browsers whose
decoder we must guess, and serving them what is stored costs nothing.

The CloudFront function `infrastructure/functions/image_format.js` applies the same rules at
the CDN; `tests/data/accept_headers.json` holds the table both are tested on.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Final

from eduportal.domain.keys import is_negotiated, variant_key

_QVALUE: Final = re.compile(r"[01](\.[0-9]{0,3})?")
"""RFC 9110's qvalue: 0 to 1 with at most three decimals."""


class DeliveryFormat(StrEnum):
    AVIF = "avif"
    WEBP = "webp"
    LEGACY = "legacy"
    """PNG or JPEG: for clients that accept neither AVIF nor WebP."""


def delivery_format(accept: str | None) -> DeliveryFormat:
    """AVIF when `image/avif` is accepted (q > 0), else WebP when `image/webp` is, else WebP
    when no image type is named at all (header absent, empty, or only `*/*`), else LEGACY.

    Only an explicit `image/avif` or `image/webp` counts: `image/*` is sent by browsers that
    decode neither (Safari 13: `image/png,image/*;q=0.8,*/*;q=0.5`)."""
    accepted = _accepted_types(accept or "")
    if "image/avif" in accepted:
        return DeliveryFormat.AVIF
    if "image/webp" in accepted:
        return DeliveryFormat.WEBP
    if not any(media.startswith("image/") for media in _named_types(accept or "")):
        return DeliveryFormat.WEBP
    return DeliveryFormat.LEGACY


def requested_key(key: str, delivery: DeliveryFormat) -> str:
    """The key a CDN asks its origin for: the AVIF variant for AVIF, the JPEG variant for
    LEGACY (a PNG fallback is found by the portal's origin, which the CDN fails over to),
    the key itself for WebP and for keys that are not negotiated. Being the URI, it is the
    CDN's cache key, so one client's AVIF is never another's cached answer."""
    if not is_negotiated(key) or delivery is DeliveryFormat.WEBP:
        return key
    return variant_key(key, "avif" if delivery is DeliveryFormat.AVIF else "jpg")


def _named_types(accept: str) -> list[str]:
    return [part.split(";", 1)[0].strip().lower() for part in accept.split(",")]


def _accepted_types(accept: str) -> set[str]:
    """The media ranges named with a q-value above 0 (q=0 means "not acceptable")."""
    accepted = set()
    for part in accept.split(","):
        media, *parameters = (piece.strip() for piece in part.split(";"))
        if media and _quality(parameters) > 0:
            accepted.add(media.lower())
    return accepted


def _quality(parameters: list[str]) -> float:
    """The range's `q` parameter; 1 when absent, 0 when malformed (an unreadable range is
    not an acceptance to rely on)."""
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "q":
            return float(value) if _QVALUE.fullmatch(value := value.strip()) else 0.0
    return 1.0
