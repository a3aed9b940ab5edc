"""Safe intake of an uploaded photo (ID card sides, portrait): judge it by its bytes, re-encode it clean.

``clean_image(data)`` accepts JPEG, PNG and WebP (and HEIC when pillow-heif is installed), decided by the
file's magic bytes and by Pillow's own parser restricted to that one format, never by the file name or
the declared MIME type. It refuses, with ``Invalid`` and a stable code:

- ``image_empty`` / ``image_too_large``: nothing, or more than ``MEDIA_MAX_UPLOAD_BYTES`` (10 MB; a
  stream is read only that far);
- ``image_type``: anything else (PDF, HTML, SVG, GIF, TIFF…), including a known format Pillow refuses;
- ``image_too_many_pixels``: more than ``MEDIA_MAX_PIXELS`` (40 MP) by the header, before any decoding
  (decompression bombs), our own limit rather than Pillow's global default alone; and more than
  ``MEDIA_MAX_DECODED_PIXELS`` (16 MP) to decode: a JPEG is decoded at a reduced DCT scale, so a 40 MP
  photo decodes as 10 MP, but PNG, WebP and HEIC decode at full size (a 130 KB white 40 MP PNG would
  otherwise take 210 MB); WebP, whose decoder keeps about four full-size copies, stops at
  ``MEDIA_MAX_WEBP_PIXELS`` (8 MP: a 16 MP WebP of 6.7 MB would take 264 MB);
- ``image_broken``: truncated or corrupt data (Pillow's ``verify`` and a full decode).

What it keeps: the picture turned upright (EXIF orientation applied), converted to sRGB when it carried
another ICC profile, scaled down to ``MEDIA_MAX_SIDE`` (2000 px) on its longest side, re-encoded as a
baseline JPEG (``MEDIA_JPEG_QUALITY`` 90) with no metadata at all: no EXIF (so no GPS), XMP, ICC or
comments. Big JPEGs are decoded at a reduced DCT scale (``Image.draft`` through ``thumbnail``), so a
10 MB photo never sits in memory at full size; see bench/README.md for the peak.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from typing import BinaryIO

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, ImageCms, ImageFile, ImageOps

from portal.core.errors import Invalid

try:  # optional: HEIC/HEIF photos from iPhones, if the wheel installed
    import pillow_heif

    pillow_heif.register_heif_opener(thumbnails=False)
    HEIF = True
except ImportError:  # pragma: no cover - the wheel is pinned in requirements.txt
    HEIF = False

DEFAULTS = {"MEDIA_MAX_UPLOAD_BYTES": 10 * 1024 * 1024, "MEDIA_MAX_PIXELS": 40_000_000,
            "MEDIA_MAX_DECODED_PIXELS": 16_000_000, "MEDIA_MAX_WEBP_PIXELS": 8_000_000, "MEDIA_MAX_SIDE": 2000,
            "MEDIA_JPEG_QUALITY": 90}
HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}
# Pillow format names each sniffed type may open as (MPO: a JPEG with extra pictures, as some cameras write).
PILLOW_FORMATS = {"jpeg": ("JPEG", "MPO"), "png": ("PNG",), "webp": ("WEBP",), "heif": ("HEIF",)}

ImageFile.LOAD_TRUNCATED_IMAGES = False  # the default, stated: a truncated upload is refused, not padded grey


@dataclass(frozen=True)
class CleanImage:
    """A re-encoded photo, ready to store."""

    data: bytes  # JPEG, no metadata
    width: int
    height: int
    source_type: str  # jpeg, png, webp or heif, as sniffed
    content_type: str = "image/jpeg"


def sniff(head: bytes) -> str | None:
    """The image type the first bytes announce (jpeg, png, webp, heif), or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if HEIF and head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS:
        return "heif"
    return None


def _settings(overrides: dict) -> dict:
    config = current_app.config if current_app else {}
    return {name: overrides.get(name.removeprefix("MEDIA_").lower()) or config.get(name, default)
            for name, default in DEFAULTS.items()}


def _type_error() -> Invalid:
    if HEIF:
        return Invalid("image_type", _("Ảnh phải là JPEG, PNG, WebP hoặc HEIC."))
    return Invalid("image_type", _("Ảnh phải là JPEG, PNG hoặc WebP."))


def _broken() -> Invalid:
    return Invalid("image_broken", _("Ảnh bị hỏng hoặc chưa tải lên hết. Vui lòng chụp hoặc chọn lại ảnh."))


def _too_many_pixels(limit: int) -> Invalid:
    return Invalid("image_too_many_pixels", _(
        "Ảnh có độ phân giải quá lớn (tối đa %(mp)s megapixel). Vui lòng chụp lại ở độ phân giải thấp hơn.",
        mp=limit // 1_000_000))


def read_limited(source: bytes | BinaryIO, max_bytes: int) -> bytes:
    """The upload's bytes, reading at most one byte past the limit (a 50 MB stream is not read whole)."""
    data = source if isinstance(source, bytes | bytearray) else source.read(max_bytes + 1)
    if not data:
        raise Invalid("image_empty", _("Tệp ảnh trống. Vui lòng chụp hoặc chọn lại ảnh."))
    if len(data) > max_bytes:
        raise Invalid("image_too_large", _("Ảnh quá lớn: tối đa %(mb)s MB.", mb=max_bytes // (1024 * 1024)))
    return bytes(data)


def _open(data: bytes, kind: str, max_pixels: int) -> Image.Image:
    """Open with only the sniffed format's parser; size checked from the header, before decoding."""
    formats = PILLOW_FORMATS[kind]
    try:
        with Image.open(io.BytesIO(data), formats=formats) as probe:
            if probe.width * probe.height > max_pixels:
                raise _too_many_pixels(max_pixels)
            probe.verify()  # structure and checksums (PNG CRCs), without keeping pixels
        image = Image.open(io.BytesIO(data), formats=formats)
    except Invalid:
        raise
    except Image.DecompressionBombError:
        raise _too_many_pixels(max_pixels) from None
    except (Image.UnidentifiedImageError, SyntaxError, ValueError):
        raise _type_error() from None
    except (OSError, EOFError):
        raise _broken() from None
    if image.format not in formats:  # pragma: no cover - Image.open(formats=…) already ensures it
        raise _type_error()
    return image


def _to_srgb(image: Image.Image) -> Image.Image:
    """RGB, white behind transparency, colours converted to sRGB when the file had another profile."""
    icc = image.info.get("icc_profile")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        image = Image.new("RGB", rgba.size, "white")
        image.paste(rgba, mask=rgba.getchannel("A"))
    elif image.mode != "RGB":
        image = image.convert("RGB")
    if icc:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            if "srgb" not in (ImageCms.getProfileDescription(source) or "").lower():
                image = ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"), outputMode="RGB")
        except (ImageCms.PyCMSError, OSError, TypeError):
            pass  # an unreadable profile: keep the pixels as they are
    return image


def clean_image(source: bytes | BinaryIO, **overrides: int) -> CleanImage:
    """Check an uploaded photo by content and re-encode it without metadata (raises ``Invalid``).

    ``overrides`` (max_upload_bytes, max_pixels, max_decoded_pixels, max_webp_pixels, max_side, jpeg_quality)
    replace the settings.
    """
    cfg = _settings(overrides)
    data = read_limited(source, cfg["MEDIA_MAX_UPLOAD_BYTES"])
    kind = sniff(data[:32])
    if kind is None:
        raise _type_error()
    image = _open(data, kind, cfg["MEDIA_MAX_PIXELS"])
    try:
        with image:
            image.seek(0)  # animated PNG/WebP, MPO: the first picture
            side = cfg["MEDIA_MAX_SIDE"]
            scale = min(1.0, side / max(image.size))
            # JPEG: decoded at the smallest DCT scale (1/2, 1/4, 1/8) still at least the target size.
            image.draft(None, (max(1, round(image.width * scale)), max(1, round(image.height * scale))))
            # PNG, WebP, HEIC have no reduced decode; Pillow's WebP decoder holds ~4 full-size copies.
            limit = cfg["MEDIA_MAX_WEBP_PIXELS" if kind == "webp" else "MEDIA_MAX_DECODED_PIXELS"]
            if image.width * image.height > limit:
                raise _too_many_pixels(limit)
            image.load()
            # Whole box-reduction steps first, then the fine resize: PNG/WebP/HEIC never get a second
            # full-size copy (Pillow's resize of RGBA premultiplies into one).
            factor = int(max(image.size) // side)
            small = image.reduce(factor) if factor >= 2 else image
            if small is not image:
                small.info = dict(image.info)  # EXIF orientation, ICC profile
                image.close()  # frees the full-size pixels
            small.thumbnail((side, side), Image.Resampling.LANCZOS)
            ImageOps.exif_transpose(small, in_place=True)  # upright, on the reduced picture
            picture = _to_srgb(small)
    except Image.DecompressionBombError:
        raise _too_many_pixels(cfg["MEDIA_MAX_PIXELS"]) from None
    except (OSError, EOFError, SyntaxError, ValueError):
        raise _broken() from None
    picture.info = {}
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=cfg["MEDIA_JPEG_QUALITY"], exif=b"", icc_profile=None, optimize=False)
    return CleanImage(out.getvalue(), picture.width, picture.height, kind)

