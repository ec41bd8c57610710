"""Every stored image the pages show, painted at once (issue 11, "Instant paints").

`st.image` sends the page an address the browser fetches afterwards: until then the image's
box is empty and its height unknown, so the page jumps when it arrives. Given the image's
placeholder, the box takes the image's shape at once and paints the preview, blurred, until
the image covers it: scoped CSS on a keyed container (Streamlit gives it the class
`st-key-{key}`), no script.
"""

from __future__ import annotations

import hashlib
from typing import Final
from urllib.parse import quote

import streamlit as st
from streamlit.elements.lib.layout_utils import Width

from eduportal.domain.assignments import Assignment
from eduportal.domain.errors import ValidationError
from eduportal.domain.images import valid_placeholder
from eduportal.imaging.lqip import is_opaque
from eduportal.imaging.placeholder import placeholder_image
from eduportal.imaging.probe import probe

BLUR: Final = 1.2
"""The blur's radius in preview pixels (a twentieth of the box's longer side): the preview's
squares melt into gradients while its main shapes stay where they are."""
_MAX_PIXELS: Final = 64_000_000


def show_image(
    data: bytes,
    *,
    placeholder: str | None,
    alt: str,
    key: str,
    width: Width = "stretch",
    caption: str | None = None,
) -> None:
    """`st.image(data, ...)`, with the placeholder painted until the image arrives. `key`
    names the image uniquely on the page (its storage key, an assignment's id).

    Without a placeholder (images stored before previews) it is `st.image` as it was, and so
    it is for the "Image unavailable" picture standing in for a missing image (not the
    preview's shape) and for a partly transparent preview, which would show through the
    image's transparent parts once the image has arrived."""
    preview = valid_placeholder(placeholder)
    painted = preview is not None and is_opaque(preview) and data != placeholder_image()
    size = _size(data) if painted else None
    if preview is None or size is None:
        st.image(data, width=width, caption=caption, alt=alt)
        return
    name = "preview_" + hashlib.sha256(key.encode()).hexdigest()[:16]
    st.html(f"<style>{preview_css(name, preview, size)}</style>")
    with st.container(key=name, width=width):
        st.image(data, width=width, caption=caption, alt=alt)


def placeholder(assignment: Assignment) -> str | None:
    """The assignment's image's placeholder; None for an image stored before previews."""
    figures = assignment.image_metadata
    return figures.placeholder if figures is not None else None


def preview_css(name: str, placeholder: str, size: tuple[int, int]) -> str:
    """The rule for the image in container `name`: its box in the image's proportions
    before it has any (`auto` then gives way to the image's own), the preview behind it.

    The preview is blurred by an SVG filter around it, as the background: a CSS `filter`
    on the image would blur the image too. The alpha table keeps the edges opaque (a blur
    fades them into the page)."""
    width, height = size
    svg = (
        "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 20 20' preserveAspectRatio='none'>"
        "<filter id='b' color-interpolation-filters='sRGB'>"
        f"<feGaussianBlur stdDeviation='{BLUR}'/>"
        "<feComponentTransfer><feFuncA type='discrete' tableValues='1 1'/></feComponentTransfer>"
        "</filter>"
        "<image width='100%' height='100%' preserveAspectRatio='none' filter='url(#b)' "
        f"href='{placeholder}'/></svg>"
    )
    # `<` escaped too: Streamlit's sanitizer drops a <style> whose text looks like markup.
    background = "data:image/svg+xml;charset=utf-8," + quote(svg, safe=" '=/:;,+()")
    return (
        f".st-key-{name} img{{aspect-ratio:auto {width}/{height};"
        f'background:url("{background}") center/100% 100% no-repeat}}'
    )


def _size(data: bytes) -> tuple[int, int] | None:
    """The image's width and height from its header; None when it has none we read."""
    try:
        probed = probe(data, max_bytes=len(data), max_pixels=_MAX_PIXELS)
    except ValidationError:
        return None
    return probed.width, probed.height
