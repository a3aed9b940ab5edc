"""The local eKYC provider, the default: real checks, offline, on this machine.

For one dossier (card front, card back, portrait) it answers, each as a ``Check``:

- ``photo_front`` / ``photo_back`` / ``photo_portrait``: a real photo, not a thumbnail (short side at least
  ``EKYC_MIN_SHORT_SIDE``), not blank (grey-level spread ``EKYC_MIN_CONTRAST``), not blurred (variance of
  the Laplacian at 800 px, ``EKYC_MIN_SHARPNESS``);
- ``portrait_face``: exactly one main face in the portrait (dlib's HOG detector; a detection counts from
  ``EKYC_FACE_MIN_SCORE``, which leaves out the weak hits HOG makes on badges and patterns; "main" is at
  least half the largest face's width);
- ``card_face``: a face in the card front's photo box;
- ``face_match``: dlib's ResNet face descriptor of both (face-recognition-models' weights); the distance's
  complement is the score, passing at ``1 - EKYC_FACE_MAX_DISTANCE`` (distance 0.6, dlib's usual);
- ``qr``: the chip card's QR code (zxing-cpp) from whichever side has it, against the declared details;
  a card without one (CMND, CCCD before 2021) passes with that said, unless ``EKYC_REQUIRE_QR``;
- ``id_number``: the CCCD number's structure against the declared details (portal.orders.validation).

The models load once per process, on first use, under a lock; calls into dlib are serialised by it too.
"""
from __future__ import annotations

import importlib.util
import io
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from flask_babel import gettext as _
from PIL import Image

from portal.gateways.ekyc import (
    Check,
    DeclaredIdentity,
    EkycResult,
    check_id_number,
    compare_card,
    face_verdict,
    parse_chip_qr,
)

WORK_SIDE = 800  # pixels: sharpness, the card's face and the QR code are looked for at this longest side
PORTRAIT_SIDE = 640  # the portrait's face fills the frame: found at a smaller scale
MAIN_FACE_RATIO = 0.5  # a second face at least this wide (relative to the largest) makes two people


@dataclass(frozen=True)
class Settings:
    min_short_side: int = 600
    min_contrast: float = 12.0
    min_sharpness: float = 40.0
    face_min_score: float = 0.5
    face_max_distance: float = 0.6
    require_qr: bool = False

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any]) -> Settings:
        return cls(cfg["EKYC_MIN_SHORT_SIDE"], cfg["EKYC_MIN_CONTRAST"], cfg["EKYC_MIN_SHARPNESS"],
                   cfg["EKYC_FACE_MIN_SCORE"], cfg["EKYC_FACE_MAX_DISTANCE"], cfg["EKYC_REQUIRE_QR"])


def weights(name: str) -> str:
    """A model file of the face-recognition-models package, found without importing it (its __init__ needs
    setuptools' deprecated pkg_resources)."""
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("face-recognition-models is not installed (requirements.txt)")
    return str(Path(next(iter(spec.submodule_search_locations))) / "models" / name)


class Models:
    """dlib's HOG face detector, 5-point landmarks and ResNet descriptor, loaded once per process."""

    _instance: Models | None = None
    _loading = threading.Lock()
    lock = threading.Lock()  # dlib objects are used by one thread at a time

    def __init__(self) -> None:
        import dlib

        self.detector = dlib.get_frontal_face_detector()
        self.landmarks = dlib.shape_predictor(weights("shape_predictor_5_face_landmarks.dat"))
        self.encoder = dlib.face_recognition_model_v1(weights("dlib_face_recognition_resnet_model_v1.dat"))

    @classmethod
    def get(cls) -> Models:
        if cls._instance is None:
            with cls._loading:
                if cls._instance is None:
                    cls._instance = cls()
        return cls._instance

    def faces(self, rgb: np.ndarray, min_score: float, upsample: int = 0) -> list[tuple[Any, float]]:
        """Faces scoring at least ``min_score``, largest first: (dlib rectangle, detection score)."""
        with self.lock:
            rects, scores, _kinds = self.detector.run(rgb, upsample, min_score)
        found = [(r, s) for r, s in zip(rects, scores, strict=True) if s >= min_score]
        return sorted(found, key=lambda f: f[0].width(), reverse=True)

    def descriptor(self, rgb: np.ndarray, rect: Any) -> np.ndarray:
        with self.lock:
            shape = self.landmarks(rgb, rect)
            return np.asarray(self.encoder.compute_face_descriptor(rgb, shape))


@dataclass
class Photo:
    """One uploaded side, decoded once: its real size and a working copy for the checks."""

    data: bytes
    width: int
    height: int
    image: Image.Image  # RGB, reduced (JPEG DCT scaling) but at least WORK_SIDE where the file allows

    @classmethod
    def decode(cls, data: bytes, side: int = WORK_SIDE) -> Photo | None:
        try:
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
                scale = min(1.0, side / max(width, height))
                image.draft("RGB", (round(width * scale), round(height * scale)))
                return cls(data, width, height, image.convert("RGB"))
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
            return None

    def full(self) -> Image.Image:
        """The photo at its full size (a small QR code may need it)."""
        if max(self.image.size) >= max(self.width, self.height):
            return self.image
        with Image.open(io.BytesIO(self.data)) as image:
            return image.convert("RGB")

    def scaled(self, side: int) -> np.ndarray:
        image = self.image
        if max(image.size) > side:
            image = image.copy()
            image.thumbnail((side, side), Image.Resampling.BILINEAR)
        return np.asarray(image)


def face_distance(card: tuple[np.ndarray, Any], selfie: tuple[np.ndarray, Any]) -> float:
    """dlib's descriptor distance between two (picture, face rectangle): below 0.6, usually one person."""
    models = Models.get()
    return float(np.linalg.norm(models.descriptor(*card) - models.descriptor(*selfie)))


def sharpness(grey: np.ndarray) -> float:
    """Variance of the 4-neighbour Laplacian: low when the photo is out of focus or shaken."""
    g = grey.astype(np.float32)
    lap = g[1:-1, :-2] + g[1:-1, 2:] + g[:-2, 1:-1] + g[2:, 1:-1] - 4 * g[1:-1, 1:-1]
    return float(lap.var())


def photo_check(side: str, photo: Photo | None, s: Settings) -> Check:
    name = f"photo_{side}"
    label = {"front": _("Ảnh mặt trước giấy tờ"), "back": _("Ảnh mặt sau giấy tờ"),
             "portrait": _("Ảnh chân dung")}[side]
    if photo is None:
        return Check(name, False, "photo_unreadable", _("%(what)s không đọc được. Vui lòng chụp lại.", what=label),
                     0.0, 1.0)
    grey = np.asarray(Image.fromarray(photo.scaled(WORK_SIDE)).convert("L"))
    short, contrast, sharp = min(photo.width, photo.height), float(grey.std()), sharpness(grey)
    details = {"width": photo.width, "height": photo.height, "contrast": round(contrast, 1),
               "sharpness": round(sharp, 1)}
    score = round(min(1.0, sharp / (2 * s.min_sharpness)), 3)  # 0.5 at the threshold
    if short < s.min_short_side:
        return Check(name, False, "photo_too_small", _(
            "%(what)s quá nhỏ (%(w)s×%(h)s điểm ảnh): cần cạnh ngắn ít nhất %(min)s điểm ảnh. Vui lòng chụp lại.",
            what=label, w=photo.width, h=photo.height, min=s.min_short_side), 0.0, 0.5, details)
    if contrast < s.min_contrast:
        return Check(name, False, "photo_blank", _("%(what)s gần như trống. Vui lòng chụp lại.", what=label),
                     0.0, 0.5, details)
    if sharp < s.min_sharpness:
        return Check(name, False, "photo_blurry", _(
            "%(what)s bị mờ. Vui lòng giữ máy chắc tay, đủ sáng và chụp lại.", what=label), score, 0.5, details)
    return Check(name, True, "photo_ok", _("%(what)s rõ nét.", what=label), score, 0.5, details)


def read_chip_qr(photos: list[tuple[str, Photo | None]]) -> tuple[str, str] | None:
    """(side, text) of the first QR code found, trying each side at working size, then at full decode."""
    import zxingcpp

    for side, photo in photos:
        if photo is None:
            continue
        for image in (Image.fromarray(photo.scaled(WORK_SIDE)), photo.full()):
            found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode))
            if found:
                return side, found[0].text
    return None


class LocalProvider:
    """Offline eKYC on this machine (see the module docstring)."""

    name = "local"

    def __init__(self, settings: Settings | None = None):
        self.settings = settings or Settings()

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any]) -> LocalProvider:
        return cls(Settings.from_config(cfg))

    def check(self, front: bytes, back: bytes, portrait: bytes, declared: DeclaredIdentity) -> EkycResult:
        s = self.settings
        photos = {"front": Photo.decode(front), "back": Photo.decode(back), "portrait": Photo.decode(portrait)}
        checks = [photo_check(side, photo, s) for side, photo in photos.items()]
        card_face, portrait_face, face_match = self.faces(photos["front"], photos["portrait"])
        checks += [portrait_face, card_face, face_match,
                   self.qr([("front", photos["front"]), ("back", photos["back"])], declared),
                   check_id_number(declared)]
        return EkycResult(self.name, tuple(checks))

    def portrait_face(self, photo: Photo | None) -> tuple[Check, tuple[np.ndarray, Any] | None]:
        """The portrait's one main face (the check, and the picture with the face's rectangle)."""
        s = self.settings
        if photo is None:
            return Check("portrait_face", False, "no_face", _("Không đọc được ảnh chân dung."), 0.0, 1.0), None
        rgb = photo.scaled(PORTRAIT_SIDE)
        faces = Models.get().faces(rgb, s.face_min_score)
        main = [f for f in faces if f[0].width() >= MAIN_FACE_RATIO * faces[0][0].width()] if faces else []
        details = {"faces": len(main), "scores": [round(score, 2) for _r, score in main]}
        if not main:
            return Check("portrait_face", False, "no_face", _(
                "Không tìm thấy khuôn mặt trong ảnh chân dung. Vui lòng nhìn thẳng vào máy, đủ sáng và chụp lại."),
                0.0, 1.0, details), None
        if len(main) > 1:
            return Check("portrait_face", False, "several_faces", _(
                "Ảnh chân dung có %(n)s khuôn mặt. Vui lòng chụp lại chỉ một mình bạn.", n=len(main)),
                0.0, 1.0, details), None
        return Check("portrait_face", True, "one_face", _("Ảnh chân dung có đúng một khuôn mặt."), 1.0, 1.0,
                     details), (rgb, main[0][0])

    def card_face(self, photo: Photo | None) -> tuple[Check, tuple[np.ndarray, Any] | None]:
        s = self.settings
        faces = []
        if photo is not None:
            rgb = photo.scaled(WORK_SIDE)
            faces = Models.get().faces(rgb, s.face_min_score)
            if not faces:  # a card photographed from further away: look again at twice the scale
                faces = Models.get().faces(rgb, s.face_min_score, upsample=1)
        if not faces:
            return Check("card_face", False, "no_card_face", _(
                "Không tìm thấy ảnh khuôn mặt trên mặt trước giấy tờ. Vui lòng chụp lại rõ nét, đủ bốn góc."),
                0.0, 1.0), None
        return Check("card_face", True, "card_face", _("Tìm thấy ảnh khuôn mặt trên mặt trước giấy tờ."), 1.0, 1.0,
                     {"score": round(faces[0][1], 2)}), (rgb, faces[0][0])

    def faces(self, front: Photo | None, portrait: Photo | None) -> tuple[Check, Check, Check]:
        """(card_face, portrait_face, face_match)."""
        card_check, card = self.card_face(front)
        portrait_check, selfie = self.portrait_face(portrait)
        threshold = round(1 - self.settings.face_max_distance, 3)
        if card is None or selfie is None:
            return card_check, portrait_check, Check("face_match", False, "face_match_skipped", _(
                "Chưa so khớp được khuôn mặt vì thiếu ảnh khuôn mặt hợp lệ."), None, threshold)
        distance = face_distance(card, selfie)
        score = round(max(0.0, 1 - distance), 3)
        return card_check, portrait_check, face_verdict(score, threshold, {"distance": round(distance, 3)})

    def qr(self, photos: list[tuple[str, Photo | None]], declared: DeclaredIdentity) -> Check:
        found = read_chip_qr(photos)
        if found is None:
            if self.settings.require_qr:
                return Check("qr", False, "qr_missing", _(
                    "Không tìm thấy mã QR trên giấy tờ. Vui lòng chụp rõ mặt có mã QR của thẻ căn cước gắn chip."),
                    0.0, 1.0)
            return Check("qr", True, "qr_absent", _(
                "Không tìm thấy mã QR trên giấy tờ (CMND hoặc thẻ chưa gắn chip): dựa vào các kiểm tra khác."))
        side, text = found
        card = parse_chip_qr(text)
        if card is None:
            return Check("qr", False, "qr_unreadable", _(
                "Mã QR trên giấy tờ không phải mã của thẻ căn cước gắn chip."), 0.0, 1.0, {"side": side})
        check = compare_card("qr", card, declared, _("mã QR của giấy tờ"))
        return Check(check.name, check.passed, check.code, check.reason, check.score, check.threshold,
                     {**check.details, "side": side})
