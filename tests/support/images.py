"""Test images: real photographs shipped by scikit-image, synthetic scenes, odd modes."""

from __future__ import annotations

import base64
import io
import struct
import zlib
from typing import Any

import numpy as np
from PIL import ExifTags, Image, ImageCms, PngImagePlugin

from eduportal.imaging.codec import encode

PHOTOS = ("astronaut", "coffee", "chelsea", "rocket", "retina", "motorcycle_left")
"""Photographs from scikit-image's wheel (`skimage.data`), no download needed."""


def photograph(name: str) -> Image.Image:
    import skimage.data

    loader: Any = getattr(skimage.data, name, None)
    if loader is not None:
        return Image.fromarray(loader()).convert("RGB")
    path = skimage.data.data_dir + f"/{name}.png"
    return Image.open(path).convert("RGB")


def png(image: Image.Image, **options: Any) -> bytes:
    return encode(image, "PNG", **options)


def gradient(width: int, height: int, mode: str = "RGB") -> Image.Image:
    """Cheap, smooth content: for tests about geometry and modes, not compression."""
    x = np.linspace(0, 255, width, dtype=np.float64)[None, :]
    y = np.linspace(0, 255, height, dtype=np.float64)[:, None]
    red = np.broadcast_to(x, (height, width))
    green = np.broadcast_to(y, (height, width))
    blue = (red + green) / 2
    rgb = np.stack([red, green, blue], axis=-1).astype(np.uint8)
    return Image.fromarray(rgb, "RGB").convert(mode) if mode != "RGB" else Image.fromarray(rgb)


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


PLACEHOLDER = (
    "data:image/webp;base64,UklGRkAAAABXRUJQVlA4IDQAAAAQAwCdASoUAA0APu1kqU2ppaQiMAgBMB2JQBOl0"
    "AAQNgAA+479CjZRMU/bsXbxrTYJQAAA"
)
"""A 20x13 preview of an orange picture, as `imaging.lqip` makes it."""


def decoded_placeholder(placeholder: str | None) -> Image.Image:
    """The preview a placeholder paints: it must be a WebP `data:` URI."""
    prefix = "data:image/webp;base64,"
    assert placeholder is not None and placeholder.startswith(prefix), placeholder
    data = base64.b64decode(placeholder.removeprefix(prefix), validate=True)
    assert data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    return decode(data)


def gps_exif() -> bytes:
    """An EXIF block as phones write it: a camera make and a GPS position."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "CameraMaker"
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (48.0, 51.0, 29.0),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (2.0, 17.0, 40.0),
    }
    return exif.tobytes()


def png_with_metadata(image: Image.Image) -> bytes:
    """A PNG carrying everything that must never be published: EXIF with GPS, XMP, an ICC
    profile (sRGB, so the pixels need no conversion) and a text chunk."""
    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", "<x:xmpmeta>private</x:xmpmeta>")
    info.add_text("Comment", "private")
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    return png(image, exif=gps_exif(), icc_profile=srgb, pnginfo=info)


def png_chunk_types(data: bytes) -> list[bytes]:
    """The chunk types of a PNG, in order (the signature and CRCs are checked by decoding)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    types, at = [], 8
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        types.append(data[at + 4 : at + 8])
        at += 12 + length
    return types


def png_claiming(width: int, height: int, *, bit_depth: int = 8, color_type: int = 2) -> bytes:
    """A tiny PNG whose header claims `width` x `height`: nothing behind it is ever decoded."""
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)
    return _png(ihdr, zlib.compress(b"\x00" * 64))


def sixteen_bit_png(width: int, height: int, *, channels: int) -> bytes:
    """A 16-bit gray (`channels=1`) or 16-bit RGBA (`channels=4`) PNG.

    Pillow does not write 16-bit RGBA, so this writes the PNG itself: every row but the first
    is filtered "Up" against an identical row, so even 7000 x 7000 compresses to 0.5-2 MB and
    is written in under a second. Gray is a ramp; RGBA has fine sawtooth detail in red and
    green and alpha from opaque to clear, which gives the encoder work as a photo would: with
    smooth colour, the allocator retention `imaging/allocator.py` prevents did not show.
    """
    ramp = np.linspace(0, 65535, width).astype(np.uint16)
    if channels == 1:
        samples = ramp
    else:
        saw = (np.arange(width, dtype=np.uint32) * 2400 % 65536).astype(np.uint16)
        blue = np.full(width, 30000, np.uint16)
        samples = np.stack([saw, saw[::-1], blue, ramp[::-1]], axis=-1)  # alpha 1 .. 0
    first = samples.astype(">u2").tobytes()
    compressor = zlib.compressobj(1)
    parts = [compressor.compress(b"\x00" + first)]
    up = b"\x02" + bytes(len(first))
    parts.extend(compressor.compress(up) for _ in range(height - 1))
    parts.append(compressor.flush())
    color_type = 0 if channels == 1 else 6
    ihdr = struct.pack(">IIBBBBB", width, height, 16, color_type, 0, 0, 0)
    return _png(ihdr, b"".join(parts))


def _png(ihdr: bytes, idat: bytes) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + body))
        return struct.pack(">I", len(body)) + kind + body + crc

    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def cmyk_tiff(width: int, height: int) -> bytes:
    """A deflate-compressed CMYK TIFF in Pillow's strips of about 64 KB, as print tools write."""
    ramp = np.linspace(0, 255, width).astype(np.uint8)
    row = np.stack([ramp, ramp[::-1], np.full(width, 40, np.uint8), ramp // 2], axis=-1)
    pixels = np.ascontiguousarray(np.broadcast_to(row[None], (height, width, 4)))
    return encode(Image.fromarray(pixels, "CMYK"), "TIFF", compression="tiff_adobe_deflate")
