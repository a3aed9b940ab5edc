"""Places of Vietnam: the 34 provinces and cities of addresses, and the 63 province codes of the CCCD.

Since 1 July 2025 (Resolution 202/2025/QH15) Vietnam has 34 provinces and centrally-run cities and no
district level; addresses use this list. A citizen ID card (CCCD) keeps the code of the province where it
was registered among the 63 older provinces (Circular 07/2016/TT-BCA, Circular 59/2021/TT-BCA): those codes
stay valid, and each older province is now part of one of the 34.

Routing rule (SPEC "Actors and systems"): an order goes to the regional company (CTKV) of the customer's
province. Which CTKV serves a province is the ``province_region`` table, which admins edit (``/admin/provinces``);
``PROVINCES`` below is its seed (the org's reference data inserts a missing row from it) and the answer for a
province whose row is not there yet.

Each process keeps the 34 rows in memory. A change calls ``changed()`` after its commit: that process re-reads the
table at once, and bumps a version number in Redis that every other process compares with its own at most every
``REFRESH_SECONDS`` (bench/README.md, "Province routing": routing costs what the constant cost).
"""
from __future__ import annotations

import threading
import time
import unicodedata
from dataclasses import dataclass

from redis.exceptions import RedisError
from sqlalchemy import select

from portal.core import redis as portal_redis
from portal.core import sqlite
from portal.extensions import db
from portal.org.models import ProvinceRegion

REFRESH_SECONDS = 2.0
VERSION_KEY = "portal:province-regions:version"

# The 34 provinces and cities since 1 July 2025 → the CTKV (1–9) that serves them: the seed of the province_region
# table (routing reads the table).
PROVINCES: dict[str, int] = {
    "Hà Nội": 1,
    "Bắc Ninh": 1,
    "TP. Hồ Chí Minh": 2,
    "Đà Nẵng": 3,
    "Huế": 3,
    "Quảng Trị": 3,
    "Quảng Ngãi": 3,
    "Ninh Bình": 4,
    "Thanh Hóa": 4,
    "Nghệ An": 4,
    "Hà Tĩnh": 4,
    "Hải Phòng": 5,
    "Quảng Ninh": 5,
    "Hưng Yên": 5,
    "Lạng Sơn": 5,
    "Phú Thọ": 6,
    "Tuyên Quang": 6,
    "Lào Cai": 6,
    "Thái Nguyên": 6,
    "Cao Bằng": 6,
    "Điện Biên": 6,
    "Lai Châu": 6,
    "Sơn La": 6,
    "Khánh Hòa": 7,
    "Gia Lai": 7,
    "Đắk Lắk": 7,
    "Lâm Đồng": 7,
    "Đồng Nai": 8,
    "Tây Ninh": 8,
    "Cần Thơ": 9,
    "Vĩnh Long": 9,
    "Đồng Tháp": 9,
    "An Giang": 9,
    "Cà Mau": 9,
}

# CCCD province codes (first three digits): code → (province before 2025, the province it is part of now).
CCCD_PROVINCES: dict[str, tuple[str, str]] = {
    "001": ("Hà Nội", "Hà Nội"),
    "002": ("Hà Giang", "Tuyên Quang"),
    "004": ("Cao Bằng", "Cao Bằng"),
    "006": ("Bắc Kạn", "Thái Nguyên"),
    "008": ("Tuyên Quang", "Tuyên Quang"),
    "010": ("Lào Cai", "Lào Cai"),
    "011": ("Điện Biên", "Điện Biên"),
    "012": ("Lai Châu", "Lai Châu"),
    "014": ("Sơn La", "Sơn La"),
    "015": ("Yên Bái", "Lào Cai"),
    "017": ("Hòa Bình", "Phú Thọ"),
    "019": ("Thái Nguyên", "Thái Nguyên"),
    "020": ("Lạng Sơn", "Lạng Sơn"),
    "022": ("Quảng Ninh", "Quảng Ninh"),
    "024": ("Bắc Giang", "Bắc Ninh"),
    "025": ("Phú Thọ", "Phú Thọ"),
    "026": ("Vĩnh Phúc", "Phú Thọ"),
    "027": ("Bắc Ninh", "Bắc Ninh"),
    "030": ("Hải Dương", "Hải Phòng"),
    "031": ("Hải Phòng", "Hải Phòng"),
    "033": ("Hưng Yên", "Hưng Yên"),
    "034": ("Thái Bình", "Hưng Yên"),
    "035": ("Hà Nam", "Ninh Bình"),
    "036": ("Nam Định", "Ninh Bình"),
    "037": ("Ninh Bình", "Ninh Bình"),
    "038": ("Thanh Hóa", "Thanh Hóa"),
    "040": ("Nghệ An", "Nghệ An"),
    "042": ("Hà Tĩnh", "Hà Tĩnh"),
    "044": ("Quảng Bình", "Quảng Trị"),
    "045": ("Quảng Trị", "Quảng Trị"),
    "046": ("Thừa Thiên Huế", "Huế"),
    "048": ("Đà Nẵng", "Đà Nẵng"),
    "049": ("Quảng Nam", "Đà Nẵng"),
    "051": ("Quảng Ngãi", "Quảng Ngãi"),
    "052": ("Bình Định", "Gia Lai"),
    "054": ("Phú Yên", "Đắk Lắk"),
    "056": ("Khánh Hòa", "Khánh Hòa"),
    "058": ("Ninh Thuận", "Khánh Hòa"),
    "060": ("Bình Thuận", "Lâm Đồng"),
    "062": ("Kon Tum", "Quảng Ngãi"),
    "064": ("Gia Lai", "Gia Lai"),
    "066": ("Đắk Lắk", "Đắk Lắk"),
    "067": ("Đắk Nông", "Lâm Đồng"),
    "068": ("Lâm Đồng", "Lâm Đồng"),
    "070": ("Bình Phước", "Đồng Nai"),
    "072": ("Tây Ninh", "Tây Ninh"),
    "074": ("Bình Dương", "TP. Hồ Chí Minh"),
    "075": ("Đồng Nai", "Đồng Nai"),
    "077": ("Bà Rịa – Vũng Tàu", "TP. Hồ Chí Minh"),
    "079": ("TP. Hồ Chí Minh", "TP. Hồ Chí Minh"),
    "080": ("Long An", "Tây Ninh"),
    "082": ("Tiền Giang", "Đồng Tháp"),
    "083": ("Bến Tre", "Vĩnh Long"),
    "084": ("Trà Vinh", "Vĩnh Long"),
    "086": ("Vĩnh Long", "Vĩnh Long"),
    "087": ("Đồng Tháp", "Đồng Tháp"),
    "089": ("An Giang", "An Giang"),
    "091": ("Kiên Giang", "An Giang"),
    "092": ("Cần Thơ", "Cần Thơ"),
    "093": ("Hậu Giang", "Cần Thơ"),
    "094": ("Sóc Trăng", "Cần Thơ"),
    "095": ("Bạc Liêu", "Cà Mau"),
    "096": ("Cà Mau", "Cà Mau"),
}


def _key(name: str) -> str:
    return unicodedata.normalize("NFC", " ".join((name or "").split())).casefold()


_BY_KEY = {_key(name): name for name in PROVINCES}


def province_names() -> list[str]:
    """The 34 provinces in Vietnamese alphabetical order (for a select box)."""
    return sorted(PROVINCES, key=lambda n: _key(n).replace("tp. ", ""))


def canonical_province(name: str) -> str | None:
    """The list's spelling of ``name`` (case, spaces and Unicode form forgiven), or None if it is not one of the 34."""
    return _BY_KEY.get(_key(name))


@dataclass
class _Cache:
    regions: dict[str, int] | None = None
    version: bytes | None = None  # Redis's version number when ``regions`` was read
    checked: float = 0.0  # time.monotonic() of the last comparison


_cache = _Cache()
_lock = threading.Lock()


def _read() -> dict[str, int]:
    """The table as committed now, on a connection of its own: a long transaction's snapshot (SQLite) must not be
    cached under a newer version."""
    with sqlite.reading(), db.engine.connect() as connection:
        rows = dict(connection.execute(select(ProvinceRegion.province, ProvinceRegion.region_id)).tuples().all())
    return {name: rows.get(name, region) for name, region in PROVINCES.items()}


def province_regions() -> dict[str, int]:
    """Every province → the CTKV serving it now (the table; the seed for a row not there yet)."""
    now = time.monotonic()
    with _lock:
        if _cache.regions is not None and now - _cache.checked < REFRESH_SECONDS:
            return _cache.regions
    try:
        version = portal_redis.connection().get(VERSION_KEY)
    except RedisError:
        return _read()  # without the version nothing is cached: the table is read each time
    with _lock:
        if _cache.regions is None or version != _cache.version:
            _cache.regions, _cache.version = _read(), version  # version first, then the table (see changed)
        _cache.checked = now
        return _cache.regions


def region_of_province(name: str) -> int | None:
    """The CTKV serving a province (routing rule), as the province → region table says; None for a name not in
    the list."""
    province = canonical_province(name)
    return province_regions()[province] if province else None


def changed() -> None:
    """After a commit that changed the table: this process reads it again at its next look-up, the others within
    ``REFRESH_SECONDS`` (they see a new version number)."""
    with _lock:
        _cache.regions = None
    portal_redis.connection().incr(VERSION_KEY)


def forget() -> None:
    """Drop this process's copy (tests: a rolled-back change must not outlive its test)."""
    with _lock:
        _cache.regions, _cache.version = None, None
