"""The optimizer on every kind of input Pillow reads (requirement 6)."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from unittest.mock import patch

import numpy as np
import pytest
from PIL import ExifTags, Image, ImageCms, ImageFile

from eduportal.adapters.local.poster import compose, render
from eduportal.domain.errors import ValidationError
from eduportal.imaging.codec import encode
from eduportal.imaging.optimize import SSIM_TARGET, ImageOptimizer
from eduportal.imaging.picture import Picture
from eduportal.imaging.quality import ssim
from eduportal.imaging.thumbnails import thumbnails
from tests.support.images import (
    PHOTOS,
    decode,
    gps_exif,
    gradient,
    photograph,
    png,
    png_chunk_types,
    png_claiming,
    png_with_metadata,
)
from tests.support.texts import SCIENCE

optimizer = ImageOptimizer()


def is_webp(data: bytes) -> bool:
    return data[:4] == b"RIFF" and data[8:12] == b"WEBP"


# Property 16: Image compression effectiveness, on real photographs
@pytest.mark.parametrize("name", PHOTOS)
def test_photographs_shrink_by_30_percent_without_visible_loss(name: str) -> None:
    photo = photograph(name)
    result = optimizer.optimize(png(photo))
    out = decode(result.data)
    reference = photo.resize(out.size, Image.Resampling.LANCZOS)
    assert result.figures.compression_ratio >= 0.30
    assert result.figures.optimized_size_bytes <= 0.70 * result.figures.original_size_bytes
    assert ssim(reference, out) >= 0.95


def test_figures_describe_the_output() -> None:
    source = png(photograph("retina"))
    result = optimizer.optimize(source)
    out = decode(result.data)
    assert result.figures.original_size_bytes == len(source)
    assert result.figures.optimized_size_bytes == len(result.data)
    assert result.figures.format == "webp"
    assert result.figures.dimensions == f"{out.width}x{out.height}" == "1024x1024"
    expected = round(1 - len(result.data) / len(source), 4)
    assert result.figures.compression_ratio == expected
    assert result.content_type == "image/webp" and result.extension == "webp"
    assert result.original_format == "png" and result.optimized


def test_small_images_are_never_upscaled() -> None:
    result = optimizer.optimize(png(gradient(300, 200)))
    assert decode(result.data).size == (300, 200)


def test_rgba_keeps_its_transparency() -> None:
    image = gradient(64, 64, "RGBA")
    image.putalpha(Image.linear_gradient("L").resize((64, 64)))
    out = decode(optimizer.optimize(png(image)).data)
    assert out.mode == "RGBA"
    assert np.asarray(out.getchannel("A")).min() < 10


def test_fully_opaque_alpha_is_dropped() -> None:
    out = decode(optimizer.optimize(png(gradient(64, 64, "RGBA"))).data)
    assert out.mode == "RGB"


def test_palette_with_transparency_becomes_rgba() -> None:
    image = gradient(64, 64).convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    image.info["transparency"] = 0
    out = decode(optimizer.optimize(png(image, transparency=0)).data)
    assert out.mode == "RGBA"


def test_la_grayscale_with_alpha() -> None:
    image = Image.merge("LA", [gradient(64, 64, "L"), Image.new("L", (64, 64), 128)])
    out = decode(optimizer.optimize(png(image)).data)
    assert out.mode == "RGBA"
    assert abs(out.getpixel((10, 10))[3] - 128) <= 2  # type: ignore[index]


def test_cmyk_jpeg_is_converted_to_rgb_with_the_right_colours() -> None:
    red = Image.new("RGB", (64, 64), (220, 30, 30)).convert("CMYK")
    out = decode(optimizer.optimize(encode(red, "JPEG", quality=95)).data).convert("RGB")
    r, g, b = out.getpixel((32, 32))  # type: ignore[misc]
    assert r > 180 and g < 80 and b < 80


def test_sixteen_bit_grayscale_is_scaled_not_clipped() -> None:
    levels = (np.linspace(0, 65535, 256, dtype=np.float64)[None, :] * np.ones((64, 1))).astype(
        np.uint16
    )
    image = Image.fromarray(levels)
    assert image.mode.startswith("I")
    out = np.asarray(decode(optimizer.optimize(png(image)).data).convert("L"), dtype=float)
    assert out[:, :8].mean() < 20 and out[:, -8:].mean() > 235
    assert 100 < out.mean() < 155  # clipping would make almost everything white


def test_animated_gif_keeps_the_first_frame() -> None:
    frames = [Image.new("RGB", (48, 48), colour) for colour in ((250, 0, 0), (0, 0, 250))]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=100)
    out = decode(optimizer.optimize(buffer.getvalue()).data)
    assert getattr(out, "n_frames", 1) == 1
    r, _, b = out.convert("RGB").getpixel((24, 24))  # type: ignore[misc]
    assert r > 200 and b < 50


def test_exif_orientation_is_applied_then_stripped() -> None:
    image = gradient(200, 100)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    exif[0x010F] = "CameraMaker"
    result = optimizer.optimize(encode(image, "JPEG", exif=exif.tobytes(), quality=95))
    out = decode(result.data)
    assert out.size == (100, 200)
    assert not out.getexif()
    assert b"CameraMaker" not in result.data


def test_an_unreadable_exif_block_is_dropped_not_fatal() -> None:
    result = optimizer.optimize(png(gradient(40, 30), exif=b"garbage, not a TIFF header"))
    assert result.optimized
    assert decode(result.data).size == (40, 30)


def test_metadata_is_stripped() -> None:
    image = gradient(64, 64)
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"
    source = encode(image, "PNG", exif=exif.tobytes(), icc_profile=srgb)
    result = optimizer.optimize(source)
    out = decode(result.data)
    assert "icc_profile" not in out.info and "exif" not in out.info and "xmp" not in out.info
    assert b"CameraMaker" not in result.data
    assert b"EXIF" not in result.data[:64] and b"ICCP" not in result.data[:64]


def test_quality_and_dimension_are_configurable() -> None:
    photo = png(photograph("astronaut"))
    small = ImageOptimizer(max_dimension=256, quality=40).optimize(photo)
    assert decode(small.data).size == (256, 256)
    assert (
        small.figures.optimized_size_bytes < optimizer.optimize(photo).figures.optimized_size_bytes
    )


def test_non_images_are_refused_clearly() -> None:
    with pytest.raises(ValidationError) as caught:
        optimizer.optimize(b"%PDF-1.7 definitely not an image")
    assert "not an image we can read" in caught.value.user_message


def test_empty_input_is_refused() -> None:
    with pytest.raises(ValidationError, match="empty"):
        optimizer.optimize(b"")


def test_inputs_over_the_byte_limit_are_refused_before_decoding() -> None:
    with pytest.raises(ValidationError) as caught:
        ImageOptimizer(max_bytes=1000).optimize(png(gradient(200, 200)))
    assert "largest we accept" in caught.value.user_message


@pytest.mark.parametrize("side", [20_000, 100_000])
def test_decompression_bombs_are_refused_from_the_header(side: int) -> None:
    bomb = png_claiming(side, side)
    assert len(bomb) < 200
    decoding = patch.object(ImageFile.ImageFile, "load", side_effect=AssertionError("decoded"))
    with decoding, pytest.raises(ValidationError) as caught:
        optimizer.optimize(bomb)  # refused from the header: nothing was decoded
    assert "too many pixels" in caught.value.user_message


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_a_truncated_image_is_refused_as_damaged(fmt: str) -> None:
    """Truncated uploads used to be stored byte for byte, GPS EXIF and all (issue 6)."""
    source = encode(photograph("chelsea"), fmt, exif=gps_exif())
    truncated = source[: len(source) // 2]
    assert Image.open(io.BytesIO(truncated)).getexif()  # the header and its EXIF survive
    with pytest.raises(ValidationError) as caught:
        optimizer.optimize(truncated)
    assert "damaged or incomplete" in caught.value.user_message
    assert "truncated" in caught.value.detail


def test_corrupt_pixel_data_is_refused_as_damaged() -> None:
    source = bytearray(png(photograph("chelsea")))
    idat = source.index(b"IDAT")
    source[idat + 200] ^= 0xFF
    with pytest.raises(ValidationError, match="decoding failed"):
        optimizer.optimize(bytes(source))


def test_a_png_missing_only_its_trailer_decodes_completely_and_is_accepted() -> None:
    """Every pixel is there when only IEND (or its CRC) is missing: nothing to refuse."""
    source = png(photograph("chelsea"))
    assert optimizer.optimize(source[:-12]).optimized


@pytest.fixture
def webp_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(image: Image.Image, fp: object, filename: str | bytes) -> None:
        raise OSError("encoder error -2 when writing image file")

    monkeypatch.setitem(Image.SAVE, "WEBP", fail)


@pytest.mark.usefixtures("webp_fails")
def test_a_failed_webp_encode_stores_lossless_png_without_metadata(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Property 19: Optimization fallback (6.4, for an image that decoded fully)
    image = photograph("chelsea").resize((120, 80))
    source = png_with_metadata(image)
    with caplog.at_level(logging.WARNING, logger="eduportal"):
        result = optimizer.optimize(source)
    assert not result.optimized
    assert result.extension == "png" and result.content_type == "image/png"
    assert png_chunk_types(result.data) == [b"IHDR", b"IDAT", b"IEND"]
    assert b"CameraMaker" not in result.data and b"private" not in result.data
    assert np.array_equal(np.asarray(decode(result.data)), np.asarray(image))
    assert result.figures.format == "png" and result.figures.dimensions == "120x80"
    assert result.figures.optimized_size_bytes == len(result.data)
    assert result.fallback_reason and "encoder error" in result.fallback_reason
    assert any("optimization failed" in record.getMessage() for record in caplog.records)


@pytest.mark.usefixtures("webp_fails")
def test_the_png_fallback_is_fitted_and_oriented_like_the_webp_would_be() -> None:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = "CameraMaker"
    source = encode(gradient(2000, 1000), "JPEG", exif=exif.tobytes())
    result = optimizer.optimize(source)
    assert not result.optimized
    assert decode(result.data).size == (512, 1024)
    assert b"CameraMaker" not in result.data


def test_when_even_the_png_fallback_fails_the_error_is_a_sentence(
    monkeypatch: pytest.MonkeyPatch, webp_fails: None
) -> None:
    def fail(image: Image.Image, fp: object, filename: str | bytes) -> None:
        raise OSError("no space for the PNG either")

    source = png(gradient(64, 64))
    monkeypatch.setitem(Image.SAVE, "PNG", fail)
    with pytest.raises(ValidationError) as caught:
        optimizer.optimize(source)
    assert caught.value.user_message.startswith("We could not process this image.")
    assert "no space for the PNG" in caught.value.detail


def test_jpeg_photographs_are_optimized_too() -> None:
    photo = photograph("coffee")
    result = optimizer.optimize(encode(photo, "JPEG", quality=95))
    assert is_webp(result.data)
    assert result.original_format == "jpeg"


# A picture handed over as pixels (`optimize_picture`) gives what its encoded bytes give.


def picture_png(image: Image.Image) -> bytes:
    return encode(image, "PNG", compress_level=1)


def transparent(width: int, height: int) -> Image.Image:
    image = gradient(width, height, "RGBA")
    image.putalpha(Image.linear_gradient("L").resize((width, height)))
    return image


PICTURES: dict[str, Callable[[], Image.Image]] = {
    "poster": lambda: render(compose(SCIENCE)),
    "photograph": lambda: photograph("coffee"),
    "larger than the limit": lambda: gradient(2000, 1000),
    "transparent": lambda: transparent(300, 200),
    "opaque alpha": lambda: gradient(300, 200, "RGBA"),
    "grey": lambda: gradient(300, 200, "L"),
    "palette": lambda: photograph("coffee").convert("P"),
}


@pytest.mark.parametrize("name", PICTURES)
def test_a_picture_optimizes_byte_for_byte_as_its_bytes(name: str) -> None:
    make = PICTURES[name]
    expected = optimizer.optimize(picture_png(make()))
    assert optimizer.optimize_picture(Picture(make(), "PNG", picture_png)) == expected


@pytest.mark.usefixtures("webp_fails")
def test_a_picture_falls_back_to_png_as_its_bytes_would() -> None:
    image = photograph("chelsea").resize((120, 80))
    expected = optimizer.optimize(picture_png(image))
    assert not expected.optimized
    assert optimizer.optimize_picture(Picture(image.copy(), "PNG", picture_png)) == expected


def test_a_picture_over_the_limits_is_refused_like_its_bytes() -> None:
    small = ImageOptimizer(max_pixels=10_000)
    with pytest.raises(ValidationError) as by_bytes:
        small.optimize(picture_png(gradient(200, 100)))
    with pytest.raises(ValidationError) as by_pixels:
        small.optimize_picture(Picture(gradient(200, 100), "PNG", picture_png))
    assert by_pixels.value.user_message == by_bytes.value.user_message
    tight = ImageOptimizer(max_bytes=1000)
    with pytest.raises(ValidationError) as by_bytes:
        tight.optimize(picture_png(photograph("coffee")))
    with pytest.raises(ValidationError) as by_pixels:
        tight.optimize_picture(Picture(photograph("coffee"), "PNG", picture_png))
    assert by_pixels.value.user_message == by_bytes.value.user_message


def test_a_picture_carries_no_metadata() -> None:
    image = gradient(20, 20)
    image.info["dpi"] = (300, 300)
    with pytest.raises(ValueError, match="no metadata"):
        Picture(image, "PNG", picture_png)


def test_thumbnails_side_by_side_are_the_thumbnails_one_after_another() -> None:
    webp = optimizer.optimize(png(photograph("coffee"))).data
    one_after_another = thumbnails(webp, (128, 256, 512), gate=optimizer.gate, webp=optimizer.webp)
    assert optimizer.thumbnails(webp) == {size: one_after_another[size] for size in (128, 256)}
    with ThreadPoolExecutor(2) as executor:
        side_by_side = thumbnails(
            webp, (128, 256, 512), gate=optimizer.gate, webp=optimizer.webp, executor=executor
        )
    assert side_by_side == one_after_another
    assert list(side_by_side) == [128, 256, 512]


def test_thumbnails_are_plain_pillows_thumbnails_of_the_decoded_image() -> None:
    """Decoding in one block (for the GIL's sake) decodes the same pixels."""
    webp = optimizer.optimize(png(photograph("astronaut"))).data
    decoded = decode(webp)
    for size, made in optimizer.thumbnails(webp).items():
        expected = decoded.copy()
        expected.thumbnail((size, size), Image.Resampling.LANCZOS)
        assert made == optimizer.webp.encode(expected).data


@pytest.mark.parametrize("source", ["poster", "astronaut"])
def test_thumbnails_made_beside_the_encode_show_what_the_stored_image_shows(source: str) -> None:
    """Made from the fitted pixels while they are encoded, not from the stored WebP decoded
    again: the same sizes, and each keeps the SSIM target against the source's pixels (those
    made from the stored WebP keep it against its pixels, which lost some already)."""
    image = render(compose(SCIENCE)) if source == "poster" else photograph(source)
    optimized = optimizer.optimize(png(image), thumbnails=True)
    assert optimized.thumbnails is not None
    assert optimized.data == optimizer.optimize(png(image)).data
    from_webp = optimizer.thumbnails(optimized.data)
    assert list(optimized.thumbnails) == list(from_webp) == [128, 256]
    for size, made in optimized.thumbnails.items():
        exact = image.copy()
        exact.thumbnail((size, size), Image.Resampling.LANCZOS)  # no codec between
        new, old = decode(made), decode(from_webp[size])
        assert new.size == old.size == exact.size
        assert ssim(new, exact) >= SSIM_TARGET


def test_a_picture_gets_the_thumbnails_its_bytes_get() -> None:
    picture = Picture(render(compose(SCIENCE)), "PNG", picture_png)
    expected = optimizer.optimize(picture.data(), thumbnails=True)
    assert optimizer.optimize_picture(picture, thumbnails=True) == expected
