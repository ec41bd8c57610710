"""The offline illustration: a poster of the text's key terms, on the text's own palette.

No test here can read the poster's words back (there is no OCR in the suite). What is checked
instead: the layout, as data, holds the text's key terms and fits the canvas; every colour
pair that carries text is legible; and the drawing puts ink where the layout says.
"""

from __future__ import annotations

import io
import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from eduportal.adapters.local.key_terms import key_terms
from eduportal.adapters.local.offline_images import OfflineImageGenerator
from eduportal.adapters.local.poster import (
    CAPTION,
    HEIGHT,
    VERSION,
    WIDTH,
    Label,
    Poster,
    background,
    compose,
    render,
)
from eduportal.adapters.local.poster_palette import MIN_CONTRAST, Color, contrast, palette_for
from eduportal.ports import ImageGenerator
from tests.support.texts import GEOGRAPHY, HISTORY, LANGUAGE, SCIENCE

CLASSROOM = [SCIENCE, HISTORY, GEOGRAPHY, LANGUAGE]


def labels(poster: Poster) -> list[Label]:
    return [*([poster.headline] if poster.headline else []), *poster.chips, poster.caption]


def drawn_terms(poster: Poster) -> list[str]:
    return [label.text for label in labels(poster)[:-1]]


def pixels_of(image: Image.Image, box: tuple[int, int, int, int], color: Color) -> int:
    """How many pixels in `box` are exactly `color`: a glyph's core or a filled shape."""
    return int(np.all(np.asarray(image.crop(box)) == color, axis=-1).sum())


# --- layout -----------------------------------------------------------------------------------


@pytest.mark.parametrize("text", CLASSROOM)
def test_the_poster_shows_the_texts_key_terms_best_first(text: str) -> None:
    poster = compose(text)
    terms = drawn_terms(poster)
    assert poster.headline is not None and len(terms) >= 6
    assert terms == key_terms(text, len(terms))


def test_the_headline_is_the_best_term() -> None:
    poster = compose(HISTORY)
    assert poster.headline is not None and poster.headline.text == "Magna Carta"
    assert {"Runnymede", "1215"} <= {chip.text for chip in poster.chips}


@pytest.mark.parametrize("text", CLASSROOM)
def test_everything_fits_the_canvas_and_nothing_overlaps(text: str) -> None:
    boxes = [label.box for label in labels(compose(text))]
    for left, top, right, bottom in boxes:
        assert 0 <= left < right <= WIDTH and 0 <= top < bottom <= HEIGHT
    for first, second in itertools.combinations(boxes, 2):
        apart = (
            first[2] <= second[0]
            or second[2] <= first[0]
            or first[3] <= second[1]
            or second[3] <= first[1]
        )
        assert apart, (first, second)


@pytest.mark.parametrize("text", CLASSROOM)
def test_the_terms_sit_in_the_middle_of_the_space_above_the_caption(text: str) -> None:
    poster = compose(text)
    assert poster.headline is not None
    above = poster.headline.box[1]
    below = poster.caption.box[1] - poster.chips[-1].box[3]
    assert abs(above - below) <= 1


def test_the_caption_says_what_this_is_in_the_bottom_corner() -> None:
    caption = compose(SCIENCE).caption
    assert caption.text == CAPTION == "Offline illustration"
    assert caption.box[0] > WIDTH / 2 and caption.box[1] > HEIGHT * 0.85


def test_a_term_too_long_for_the_poster_is_left_out() -> None:
    endless = "pneumonoultramicroscopicsilicovolcanoconiosisandthensomemoreletters"
    text = f"Miners can catch {endless} from fine dust. Their lungs slowly harden."
    poster = compose(text)
    assert endless in key_terms(text, 5)
    assert endless not in drawn_terms(poster)
    assert drawn_terms(poster)


def test_a_term_the_font_cannot_draw_is_left_out() -> None:
    text = "The Chinese word 光合作用 means photosynthesis in English."
    assert "光合作用" in key_terms(text, 5)
    assert "光合作用" not in drawn_terms(compose(text))
    assert "photosynthesis" in drawn_terms(compose(text))


def test_a_text_without_key_terms_still_gets_a_captioned_poster() -> None:
    poster = compose("It is what it is.")
    assert poster.headline is None and poster.chips == ()
    assert poster.caption.text == CAPTION


# --- colours ----------------------------------------------------------------------------------


def test_each_text_has_its_own_palette() -> None:
    palettes = {palette_for(text) for text in CLASSROOM}
    assert len(palettes) == len(CLASSROOM)
    assert len({palette.background_top for palette in palettes}) == len(CLASSROOM)


# Portal property (offline generators): whatever the text, every colour that carries text on
# the poster has a WCAG contrast of at least 4.5 with what it is drawn on.
@given(st.text(max_size=200))
def test_every_text_colour_is_legible_on_what_it_is_drawn_on(text: str) -> None:
    palette = palette_for(text)
    for ground in (palette.background_top, palette.background_bottom, *palette.shapes):
        assert contrast(palette.headline, ground) >= MIN_CONTRAST
    for fill, ink in palette.chips:
        assert contrast(fill, ink) >= MIN_CONTRAST


def test_contrast_is_the_wcag_ratio() -> None:
    assert contrast((0, 0, 0), (255, 255, 255)) == pytest.approx(21)
    assert contrast((119, 119, 119), (255, 255, 255)) == pytest.approx(4.48, abs=0.01)
    assert contrast((10, 20, 30), (10, 20, 30)) == 1


# --- drawing ----------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [SCIENCE, LANGUAGE])
def test_ink_lands_where_the_layout_puts_each_label(text: str) -> None:
    poster = compose(text)
    image = render(poster)
    palette = poster.palette
    assert poster.headline is not None
    assert pixels_of(image, poster.headline.box, palette.headline) > 500
    for index, chip in enumerate(poster.chips):
        fill, ink = palette.chips[index % len(palette.chips)]
        assert pixels_of(image, chip.box, fill) > 100
        assert pixels_of(image, chip.box, ink) > 20
    assert pixels_of(image, poster.caption.box, palette.headline) > 20
    assert pixels_of(image, poster.caption.box, palette.background_bottom) > 100


def test_the_illustration_is_a_1024_by_768_png() -> None:
    data = OfflineImageGenerator().generate(SCIENCE)
    with Image.open(io.BytesIO(data)) as image:
        assert (image.format, image.size, image.mode) == ("PNG", (WIDTH, HEIGHT), "RGB")
    assert (WIDTH, HEIGHT) == (1024, 768)


def test_one_prompt_one_picture_and_another_prompt_another() -> None:
    generator = OfflineImageGenerator()
    first = generator.generate("The French Revolution began in 1789.")
    assert OfflineImageGenerator().generate("The French Revolution began in 1789.") == first
    assert generator.generate("The French Revolution began in 1790.") != first
    assert generator.generate(HISTORY) != generator.generate(GEOGRAPHY)


def test_the_generator_names_itself_as_an_offline_stand_in() -> None:
    generator: ImageGenerator = OfflineImageGenerator()
    assert generator.source.startswith("Offline illustration")
    assert "upload a picture" in generator.source and "Amazon Bedrock" in generator.source


def test_the_fingerprint_names_the_drawers_version_size_and_encoding() -> None:
    """The generation cache keeps posters by it: a new drawer version is a new entry."""
    generator: ImageGenerator = OfflineImageGenerator()
    assert generator.fingerprint == f"offline-poster:v{VERSION}:1024x768:png-level-1"


def test_the_picture_is_what_the_generator_encodes() -> None:
    generator = OfflineImageGenerator()
    for text in (SCIENCE, HISTORY, "The French Revolution began in 1789."):
        picture = generator.picture(text)
        assert picture.format == "PNG" and picture.image.size == (WIDTH, HEIGHT)
        assert picture.data() == generator.generate(text)


rgb = st.tuples(*[st.integers(0, 255)] * 3)


@given(top=rgb, bottom=rgb)
def test_the_background_is_one_bilinear_stretch_of_its_two_colours(
    top: Color, bottom: Color
) -> None:
    """The background is stretched in two passes, for speed: the pixels are one resize's."""
    column = Image.new("RGB", (1, 2))
    column.putpixel((0, 0), top)
    column.putpixel((0, 1), bottom)
    stretched = column.resize((WIDTH, HEIGHT), Image.Resampling.BILINEAR)
    assert background(top, bottom).tobytes() == stretched.tobytes()
