"""Object keys: built only here, and validated here before any store touches them.

A key becomes a path under the data directory in the embedded default and an S3 key on AWS,
so one validation rule must keep both safe: no `..`, no leading `/`, no hidden segments,
a bounded length and a small alphabet.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from typing import Final

from eduportal.domain.errors import ValidationError

NO_IMAGE: Final = "no_image"
"""Stored as the image key of an assignment that has no image (requirement 1.5)."""

MAX_KEY_LENGTH: Final = 512
MAX_SEGMENT_LENGTH: Final = 200
"""Keys become paths in the embedded default, where a name over 255 bytes (less the
metadata sidecar's `.json`) is an operating-system error; our own segments are far shorter."""
GENERATED_PREFIX: Final = "generated_images/"
DRAFTS_PREFIX: Final = "drafts/"
UPLOADS_PREFIX: Final = "uploads/"
"""Where uploads land for the processing pipeline; what lands here starts it."""
PROCESSED_PREFIX: Final = "processed/"
THUMBNAILS_PREFIX: Final = "thumbnails/"
ARCHIVE_PREFIX: Final = "archive/"
HEALTH_PREFIX: Final = "health/"
"""Readiness canaries: written, read and deleted by one probe; never images."""
GENERATION_CACHE_PREFIX: Final = "generation_cache/"
"""Generated illustrations kept by what was asked for (`services/generation.py`): the
generator's bytes as it returned them, shared by every teacher, named by no record, never
served."""

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
_SEGMENT = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")
_EXTENSION = re.compile(r"[a-z0-9]{1,5}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_THUMBNAIL_NAME = re.compile(r"[1-9][0-9]{0,4}\.(webp|avif|jpg|png)")
"""A thumbnail's name: its size, and the extension of its canonical WebP or a variant's."""

CANONICAL_EXTENSION: Final = "webp"
VARIANT_EXTENSIONS: Final = ("avif", "jpg", "png")
"""The other representations of a stored WebP (`variant_key`): AVIF for the browsers that
decode it, JPEG (opaque) or PNG (alpha, drawings) for those that decode neither."""
_NEGOTIATED_PREFIXES: Final = (GENERATED_PREFIX, PROCESSED_PREFIX, THUMBNAILS_PREFIX)


def validate_id(value: str, what: str = "id") -> str:
    """Ids (assignment, image) become key segments, so they get the strictest alphabet."""
    if not _ID.fullmatch(value):
        raise ValidationError(
            f"The {what} {value[:80]!r} is not valid: use 1 to 64 letters, digits, '-' or '_'.",
        )
    return value


def validate_key(key: str) -> str:
    if not key or len(key) > MAX_KEY_LENGTH:
        raise ValidationError(f"An image key must have 1 to {MAX_KEY_LENGTH} characters.")
    segments = key.split("/")
    if any(len(segment) > MAX_SEGMENT_LENGTH for segment in segments):
        raise ValidationError(
            f"An image key's parts have at most {MAX_SEGMENT_LENGTH} characters.",
            detail=f"key segment too long in {key[:80]!r}",
        )
    if any(not _SEGMENT.fullmatch(segment) for segment in segments):
        raise ValidationError(
            f"The image key {key[:80]!r} is not valid: segments use letters, digits, '.', '-', '_' "
            "and may not be empty or start with '.'.",
        )
    return key


def canary_key(host: str, token: str) -> str:
    """`health/{host}-{token}.bin`: one key per probe, so two processes probing at once never
    read or delete each other's canary; the host tells an operator whose probe left one."""
    safe_host = re.sub(r"[^A-Za-z0-9_-]", "-", host)[:63] or "host"
    return f"{HEALTH_PREFIX}{safe_host}-{validate_id(token, 'token')}.bin"


def generated_image_key(assignment_id: str, extension: str = "webp") -> str:
    """`generated_images/{assignment_id}.webp` (property 3); `.png` when optimization fell back."""
    validate_id(assignment_id, "assignment id")
    return f"{GENERATED_PREFIX}{assignment_id}.{_extension(extension)}"


def _extension(extension: str) -> str:
    if not _EXTENSION.fullmatch(extension):
        raise ValidationError(f"The file extension {extension!r} is not valid.")
    return extension


def upload_key(image_id: str, file_name: str) -> str:
    """`uploads/{image_id}/{safe_name}`: the id makes the key unique, the name tells an
    operator what was uploaded."""
    return f"{UPLOADS_PREFIX}{validate_id(image_id, 'image id')}/{safe_file_name(file_name)}"


def safe_file_name(file_name: str) -> str:
    """A file name as a key segment: the last path part, characters outside the key alphabet
    replaced, no leading dot, at most 100 characters; `image` when nothing is left."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", file_name.replace("\\", "/").rsplit("/", 1)[-1])
    name = name.lstrip(".-")[:100].rstrip(".-")
    return name or "image"


def image_id_for_key(key: str) -> str:
    """The image id of an object under `uploads/`: the id segment of the keys we build, and
    for any other key (a file put in the bucket by other means) the first 32 hex digits of
    the key's SHA-256, so every event for one object names the same image."""
    validate_key(key)
    parts = key.split("/")
    if len(parts) == 3 and parts[0] + "/" == UPLOADS_PREFIX and _ID.fullmatch(parts[1]):
        return parts[1]
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def processed_key(image_id: str, extension: str = "webp") -> str:
    """Deterministic, like every pipeline output: a stage run twice writes the same object.
    `.png` only when WebP encoding failed (requirement 6.4)."""
    return f"{PROCESSED_PREFIX}{validate_id(image_id, 'image id')}.{_extension(extension)}"


def thumbnail_key(image_id: str, size: int) -> str:
    return f"{THUMBNAILS_PREFIX}{validate_id(image_id, 'image id')}/{size:d}.webp"


def is_negotiated(key: str) -> bool:
    """A public image stored as WebP, which may have variants in other formats: the origin
    and the CDN choose among them by the client's `Accept`."""
    return key.startswith(_NEGOTIATED_PREFIXES) and key.endswith(f".{CANONICAL_EXTENSION}")


def variant_key(key: str, extension: str) -> str:
    """`x.webp` -> `x.avif` (or `x.jpg`, `x.png`): same stem, the variant's extension, so a
    variant sits beside its image and a CDN can name it from the image's URL alone."""
    if not is_negotiated(key) or extension not in VARIANT_EXTENSIONS:
        raise ValidationError(f"{key[:80]!r} has no {extension[:8]!r} variant.")
    return f"{key.removesuffix(CANONICAL_EXTENSION)}{extension}"


def variant_keys(key: str) -> tuple[str, ...]:
    """Every variant `key` could have (none for a key that is not negotiated): what deleting
    the image deletes too."""
    if not is_negotiated(key):
        return ()
    return tuple(variant_key(key, extension) for extension in VARIANT_EXTENSIONS)


def canonical_key(key: str) -> str | None:
    """The WebP a variant key (`x.avif`, `x.jpg`, `x.png`) is a variant of; None for any
    other key. A generated image stored as PNG because WebP failed has a key of this shape
    too: its canonical WebP never exists, and it is served as it is."""
    stem, dot, extension = key.rpartition(".")
    if not dot or extension not in VARIANT_EXTENSIONS:
        return None
    canonical = f"{stem}.{CANONICAL_EXTENSION}"
    return canonical if is_negotiated(canonical) else None


def archive_key(image_id: str, upload: str) -> str:
    """`archive/{image_id}/{name}`: the upload as it arrived, named as it was."""
    name = validate_key(upload).rsplit("/", 1)[-1]
    return f"{ARCHIVE_PREFIX}{validate_id(image_id, 'image id')}/{safe_file_name(name)}"


def generated_thumbnail_key(assignment_id: str, size: int) -> str:
    """`generated_images/{assignment_id}/{size}.webp`: a generated illustration's thumbnail,
    made when it is stored. Beside its image, under the same owner, so what deletes or
    reconciles an assignment's image finds its thumbnails in the same place."""
    return f"{GENERATED_PREFIX}{validate_id(assignment_id, 'assignment id')}/{size:d}.webp"


def generated_image_owner(key: str) -> str | None:
    """The assignment id a `generated_images/{id}.{ext}` key, or one of its thumbnails'
    `generated_images/{id}/{size}.webp`, was built for; None for any other key. Lets a key
    found in storage be checked against its one possible record."""
    if not key.startswith(GENERATED_PREFIX):
        return None
    rest = key[len(GENERATED_PREFIX) :]
    owner, slash, name = rest.partition("/")
    if slash:
        return owner if _ID.fullmatch(owner) and _THUMBNAIL_NAME.fullmatch(name) else None
    stem, dot, extension = rest.rpartition(".")
    if not dot or not _ID.fullmatch(stem) or not _EXTENSION.fullmatch(extension):
        return None
    return stem


def thumbnail_size(key: str) -> int | None:
    """The size a thumbnail key was made for (`thumbnails/{id}/256.webp` → 256, and the same
    for a generated illustration's); None for a key that is not a thumbnail's."""
    if not key.startswith((THUMBNAILS_PREFIX, GENERATED_PREFIX)):
        return None
    parts = key.split("/")
    if len(parts) != 3 or not _THUMBNAIL_NAME.fullmatch(parts[2]):
        return None
    return int(parts[2].split(".", 1)[0])


def is_private_key(key: str) -> bool:
    """Objects the image origin never serves: draft images (only their owner may see them)
    and the generation cache (the portal's own working copies, which no page links to)."""
    return key.startswith((DRAFTS_PREFIX, GENERATION_CACHE_PREFIX))


def generation_cache_key(sha256: str) -> str:
    """`generation_cache/{sha256}.png`: one cached illustration, named by the hash of what
    identifies its request (the prompt, the model and its parameters), so the key says
    nothing about the text and a request finds its entry without a lookup table."""
    if not _SHA256.fullmatch(sha256):
        raise ValidationError(f"{sha256[:80]!r} is not a SHA-256 hex digest.")
    return f"{GENERATION_CACHE_PREFIX}{sha256}.png"


def _draft_owner(username: str) -> str:
    """The key segment of one account's draft objects: the first 16 hex digits of the user
    name's SHA-256. Operators list keys and logs keep them, so they name no one, and a user
    name needs no escaping to become a segment."""
    return hashlib.sha256(username.encode()).hexdigest()[:16]


def new_draft_image_key(username: str, sha256: str) -> str:
    """`drafts/{owner}/{sha256}-{nonce}`, a key never used before.

    The digest says which bytes the object holds; the random nonce makes every write a new
    key, so the old key a draft save deletes can never be one a newer save points at, even
    when a teacher goes back to an image chosen earlier.
    """
    if not _SHA256.fullmatch(sha256):
        raise ValidationError(f"{sha256[:80]!r} is not a SHA-256 hex digest.")
    return f"{DRAFTS_PREFIX}{_draft_owner(username)}/{sha256}-{secrets.token_hex(4)}"
