"""Synthetic ID cards, portraits and a fake camera feed: never a real person's document.

Faces come from photos that installed packages ship, read at test time (never committed): scikit-image's
``astronaut.png`` and matplotlib's sample ``grace_hopper.jpg`` (a second person). Cards are drawn with
Pillow: printed details, the face pasted into the photo box, and the chip card's QR code (segno) holding
``ID|old ID|full name|ddmmyyyy|Nam/Nữ|address|issue date`` on the front (2021 CCCD) or the back (2024 card).
``write_y4m`` makes a file for Chromium's ``--use-file-for-fake-video-capture`` showing the card, then
its back, then the face (the lead's browser tests feed it to the camera page).
"""
from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

import numpy as np
import segno
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from portal.gateways.ekyc import DeclaredIdentity
from portal.orders.models import Gender, IdType

PHOTO_SIZE = (1600, 1200)  # what a phone camera page sends, landscape


@dataclass(frozen=True)
class Person:
    """A made-up card holder."""

    id_number: str = "001190012345"  # Hà Nội (001), woman born in the 1900s (1), 1990 (90)
    old_id: str = "012345678"
    full_name: str = "Nguyễn Thị Lan Anh"
    birth_date: dt.date = dt.date(1990, 5, 17)
    gender: Gender = Gender.FEMALE
    address: str = "Số 5 Phạm Hùng, Mỹ Đình 2, Nam Từ Liêm, Hà Nội"
    issue_date: dt.date = dt.date(2021, 7, 1)

    @property
    def gender_text(self) -> str:
        return "Nữ" if self.gender == Gender.FEMALE else "Nam"

    def chip_text(self) -> str:
        """The chip card's QR text."""
        return "|".join([self.id_number, self.old_id, self.full_name, self.birth_date.strftime("%d%m%Y"),
                         self.gender_text, self.address, self.issue_date.strftime("%d%m%Y")])

    def declared(self, **changes) -> DeclaredIdentity:
        """What this person types on the form (``changes`` to type something else)."""
        fields = {"id_type": IdType.CCCD, "id_number": self.id_number, "full_name": self.full_name,
                  "birth_date": self.birth_date, "gender": self.gender, **changes}
        return DeclaredIdentity(**fields)

    def but(self, **changes) -> Person:
        return replace(self, **changes)


LAN = Person()


# --- faces from installed packages ---------------------------------------------------------------

@cache
def _astronaut() -> Image.Image:
    from skimage import data

    return Image.fromarray(data.astronaut())


@cache
def _grace_hopper() -> Image.Image:
    from matplotlib import cbook

    with cbook.get_sample_data("grace_hopper.jpg") as f:
        return Image.open(f).convert("RGB")


# Head-and-shoulders boxes around each face (the astronaut's face is at 179,83-266,170; Grace Hopper's at
# 161,137-376,352), cut at the 3:4 of an ID photo.
FACES = {"astronaut": (_astronaut, (120, 20, 330, 300)), "grace_hopper": (_grace_hopper, (75, 60, 465, 580))}


def face(who: str) -> Image.Image:
    """A 3:4 head-and-shoulders picture of ``who`` (astronaut or grace_hopper)."""
    loader, box = FACES[who]
    return loader().crop(box)


@cache
def _font_path() -> str:
    from matplotlib import get_data_path

    return str(Path(get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf")  # has Vietnamese letters


def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    path = _font_path().replace("DejaVuSans.ttf", "DejaVuSans-Bold.ttf") if bold else _font_path()
    return ImageFont.truetype(path, size)


def _background(size: tuple[int, int], seed: int = 1) -> Image.Image:
    """A desk: a brown gradient with grain, so that a photo of it is not blank."""
    w, h = size
    rng = np.random.default_rng(seed)
    ramp = np.linspace(0, 1, w)[None, :, None]
    base = np.array([120, 90, 60]) * (0.8 + 0.3 * ramp) + rng.normal(0, 9, (h, w, 3))
    stripes = 12 * np.sin(np.linspace(0, 60, h))[:, None, None]
    return Image.fromarray(np.clip(base + stripes, 0, 255).astype(np.uint8))


def _qr(text: str, side: int) -> Image.Image:
    buffer = io.BytesIO()
    segno.make(text, error="m", micro=False).save(buffer, kind="png", scale=10, border=2)
    buffer.seek(0)
    return Image.open(buffer).convert("RGB").resize((side, side), Image.Resampling.NEAREST)


def _card(size: tuple[int, int], title: str) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    w, h = size
    top = np.array([214, 232, 246], dtype=float)
    bottom = np.array([246, 236, 214], dtype=float)
    t = np.linspace(0, 1, h)[:, None, None]
    card = Image.fromarray((top * (1 - t) + bottom * t).repeat(w, axis=1).astype(np.uint8))
    draw = ImageDraw.Draw(card)
    draw.rounded_rectangle((0, 0, w - 1, h - 1), radius=36, outline=(90, 110, 140), width=4)
    draw.text((w // 2, 34), "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", font=_font(30, True), fill=(30, 30, 30), anchor="mt")
    draw.text((w // 2, 76), "Độc lập - Tự do - Hạnh phúc", font=_font(26), fill=(30, 30, 30), anchor="mt")
    draw.text((w // 2, 122), title, font=_font(40, True), fill=(170, 20, 20), anchor="mt")
    return card, draw


def _on_desk(card: Image.Image, size: tuple[int, int], seed: int) -> Image.Image:
    photo = _background(size, seed)
    photo.paste(card, ((size[0] - card.width) // 2, (size[1] - card.height) // 2))
    return photo


def _card_size(size: tuple[int, int]) -> tuple[int, int]:
    w = int(size[0] * 0.86)
    return w, int(w / 1.586)  # ID-1: 85.60 × 53.98 mm


def card_front(person: Person = LAN, who: str = "astronaut", qr: bool = True,
               size: tuple[int, int] = PHOTO_SIZE) -> Image.Image:
    """A photo of the card's front on a desk: the holder's face, details, and (2021 CCCD) the chip QR."""
    card, draw = _card(_card_size(size), "CĂN CƯỚC CÔNG DÂN")
    cw, ch = card.size
    photo_w = int(cw * 0.25)
    portrait = face(who).resize((photo_w, photo_w * 4 // 3), Image.Resampling.LANCZOS)
    card.paste(portrait, (int(cw * 0.04), int(ch * 0.30)))
    x, y, line = int(cw * 0.33), int(ch * 0.30), int(ch * 0.085)
    rows = [("Số / No.:", person.id_number), ("Họ và tên / Full name:", person.full_name.upper()),
            ("Ngày sinh / Date of birth:", person.birth_date.strftime("%d/%m/%Y")),
            ("Giới tính / Sex:", person.gender_text), ("Quốc tịch / Nationality:", "Việt Nam"),
            ("Nơi thường trú / Place of residence:", person.address)]
    for i, (label, value) in enumerate(rows):
        draw.text((x, y + i * line), label, font=_font(22), fill=(60, 60, 60))
        draw.text((x, y + i * line + 26), value, font=_font(28, True), fill=(10, 10, 10))
    if qr:
        side = int(ch * 0.26)
        card.paste(_qr(person.chip_text(), side), (cw - side - int(cw * 0.04), int(ch * 0.04)))
    return _on_desk(card, size, seed=2)


def card_back(person: Person = LAN, qr: bool = False, size: tuple[int, int] = PHOTO_SIZE) -> Image.Image:
    """The back: issue details, fingerprint boxes, the machine-readable zone; the QR on the 2024 card."""
    card, draw = _card(_card_size(size), "ĐẶC ĐIỂM NHÂN DẠNG")
    cw, ch = card.size
    draw.text((int(cw * 0.05), int(ch * 0.30)), "Ngày, tháng, năm / Date: " + person.issue_date.strftime("%d/%m/%Y"),
              font=_font(28), fill=(20, 20, 20))
    draw.text((int(cw * 0.05), int(ch * 0.38)), "CỤC TRƯỞNG CỤC CẢNH SÁT QUẢN LÝ HÀNH CHÍNH VỀ TRẬT TỰ XÃ HỘI",
              font=_font(20, True), fill=(20, 20, 20))
    for i in range(2):
        left = int(cw * (0.55 + 0.2 * i))
        draw.rectangle((left, int(ch * 0.30), left + int(cw * 0.16), int(ch * 0.62)), outline=(80, 80, 80), width=3)
        for r in range(5, 60, 7):
            draw.ellipse((left + 60 - r, int(ch * 0.46) - r, left + 60 + r, int(ch * 0.46) + r),
                         outline=(120, 120, 120), width=2)
    mrz = f"IDVNM{person.id_number[3:]}{person.id_number}<<1".ljust(30, "<")[:30]
    for i, text in enumerate((mrz, f"{person.birth_date:%y%m%d}{'F' if person.gender == Gender.FEMALE else 'M'}"
                              "3107017VNM<<<<<<<<<<<8", person.full_name.upper().replace(" ", "<"))):
        draw.text((int(cw * 0.05), int(ch * 0.70) + i * 44), text, font=_font(34), fill=(10, 10, 10))
    if qr:
        side = int(ch * 0.26)
        card.paste(_qr(person.chip_text(), side), (int(cw * 0.05), int(ch * 0.04)))
    return _on_desk(card, size, seed=3)


def portrait(who: str = "astronaut", size: tuple[int, int] = PHOTO_SIZE) -> Image.Image:
    """A selfie: ``who``'s head and shoulders filling most of the frame, in front of a wall."""
    picture = _background(size, seed=4)
    head = face(who)
    height = int(size[1] * 0.95)
    head = head.resize((height * head.width // head.height, height), Image.Resampling.LANCZOS)
    picture.paste(head.filter(ImageFilter.UnsharpMask(radius=2, percent=80)), ((size[0] - head.width) // 2,
                                                                                size[1] - head.height))
    return picture


def two_faces(size: tuple[int, int] = PHOTO_SIZE) -> Image.Image:
    """Two people side by side in the portrait."""
    picture = _background(size, seed=5)
    for i, who in enumerate(("astronaut", "grace_hopper")):
        head = face(who)
        height = int(size[1] * 0.8)
        head = head.resize((height * head.width // head.height, height), Image.Resampling.LANCZOS)
        picture.paste(head, (i * size[0] // 2 + (size[0] // 2 - head.width) // 2, size[1] - height))
    return picture


def no_face(size: tuple[int, int] = PHOTO_SIZE) -> Image.Image:
    """A cup of coffee where the face should be."""
    from skimage import data

    return Image.fromarray(data.coffee()).resize(size, Image.Resampling.LANCZOS)


def blurred(image: Image.Image, radius: float = 8) -> Image.Image:
    return image.filter(ImageFilter.GaussianBlur(radius))


def jpeg(image: Image.Image, quality: int = 92, **save_args) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, **save_args)
    return out.getvalue()


def dossier(person: Person = LAN, card_face: str = "astronaut", selfie: str = "astronaut",
            qr_on: str = "front") -> tuple[bytes, bytes, bytes]:
    """Front, back and portrait JPEGs, as the capture page sends them."""
    return (jpeg(card_front(person, card_face, qr=qr_on == "front")), jpeg(card_back(person, qr=qr_on == "back")),
            jpeg(portrait(selfie)))


# --- the fake camera --------------------------------------------------------------------------------

def _yuv420(image: Image.Image) -> bytes:
    """RGB → planar YUV 4:2:0 (BT.601, full range, as Y4M's C420jpeg)."""
    rgb = np.asarray(image.convert("RGB"), dtype=np.float32)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    y = 0.299 * r + 0.587 * g + 0.114 * b
    u = (b - y) * 0.564 + 128
    v = (r - y) * 0.713 + 128

    def half(plane: np.ndarray) -> np.ndarray:
        return (plane[0::2, 0::2] + plane[1::2, 0::2] + plane[0::2, 1::2] + plane[1::2, 1::2]) / 4

    return b"".join(np.clip(p, 0, 255).round().astype(np.uint8).tobytes() for p in (y, half(u), half(v)))


def write_y4m(path: str | Path, scenes: list[tuple[Image.Image, float]], size: tuple[int, int] = (1280, 720),
              fps: int = 10) -> Path:
    """A Y4M video of ``scenes`` (picture, seconds), letterboxed to ``size``, for Chromium's fake camera
    (``--use-fake-device-for-media-stream --use-file-for-fake-video-capture=<path>``; Chromium loops it)."""
    w, h = size
    path = Path(path)
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{w} H{h} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for picture, seconds in scenes:
            frame = Image.new("RGB", size, (20, 20, 20))
            fitted = picture.copy()
            fitted.thumbnail(size, Image.Resampling.LANCZOS)
            frame.paste(fitted, ((w - fitted.width) // 2, (h - fitted.height) // 2))
            planes = _yuv420(frame)
            for _ in range(max(1, round(seconds * fps))):
                out.write(b"FRAME\n" + planes)
    return path


def camera_feed(path: str | Path, person: Person = LAN, who: str = "astronaut", seconds: float = 3) -> Path:
    """The capture journey as the camera sees it: card front, card back, then the holder's face."""
    return write_y4m(path, [(card_front(person, who), seconds), (card_back(person), seconds),
                            (portrait(who), seconds)])
