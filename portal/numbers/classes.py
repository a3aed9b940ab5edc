"""Number classes ("loại số") that SIM shops price by, computed from the digits alone."""

from __future__ import annotations

import datetime as dt

CLASS_LABELS: dict[str, str] = {
    "ngu_quy": "Ngũ quý",
    "tu_quy": "Tứ quý",
    "tam_hoa_kep": "Tam hoa kép",
    "taxi": "Taxi",
    "tam_hoa": "Tam hoa",
    "tien": "Số tiến (sảnh)",
    "loc_phat": "Lộc phát",
    "than_tai": "Thần tài",
    "ong_dia": "Ông địa",
    "lap": "Số lặp",
    "kep": "Số kép",
    "dao": "Số đảo",
    "ganh": "Số gánh",
    "nam_sinh": "Năm sinh",
    "de_nho": "Dễ nhớ",
    "thuong": "Thường",
}

# Rules, all on the tail of the 10-digit number:
# ngu_quy last 5+ same · tu_quy last 4 same · tam_hoa_kep AAABBB · tam_hoa last 3 same
# (only the strongest of these is reported) · taxi ABABAB, ABCABC or ABCDABCD · tien: the last 3+ digits
# climb by exactly 1 (no 9→0 wrap); 3 digits is "sảnh tiến nhỏ", beauty_score ranks longer runs higher ·
# loc_phat 68/86 · than_tai 39/79 · ong_dia 38/78 · lap ABAB · kep AABB · dao ABCCBA · ganh ABA or ABBA ·
# nam_sinh year 1950–2015 or ddmmyy in that range · de_nho ≤ 3 distinct digits in the last 6 when no
# shape class applies · thuong none of these.

# Beauty order, lower = more valuable; CLASS_LABELS is written in this order.
CLASS_RANK: dict[str, int] = {code: rank for rank, code in enumerate(CLASS_LABELS, start=1)}

# Default asking price per primary class, in VND; the price list screen overrides these.
DEFAULT_PRICE_TIERS: dict[str, int] = {
    "ngu_quy": 50_000_000,
    "tu_quy": 15_000_000,
    "tam_hoa_kep": 8_000_000,
    "taxi": 5_000_000,
    "tam_hoa": 3_000_000,
    "tien": 2_000_000,
    "loc_phat": 1_500_000,
    "than_tai": 1_200_000,
    "ong_dia": 800_000,
    "lap": 700_000,
    "kep": 600_000,
    "dao": 500_000,
    "ganh": 400_000,
    "nam_sinh": 300_000,
    "de_nho": 200_000,
    "thuong": 50_000,
}

# Classes that describe the shape of the tail; "dễ nhớ" is only the fallback when none of them applies.
_SHAPE_CLASSES = frozenset({"ngu_quy", "tu_quy", "tam_hoa_kep", "taxi", "tam_hoa", "tien", "lap", "kep", "dao", "ganh"})
_BIRTH_YEARS = range(1950, 2016)


def _check(number: str) -> None:
    if len(number) != 10 or not all("0" <= c <= "9" for c in number):
        raise ValueError(f"expected a 10-digit number, got {number!r}")


def _trailing_same(number: str) -> int:
    """Length of the run of identical digits at the end."""
    run = 1
    while run < len(number) and number[-run - 1] == number[-1]:
        run += 1
    return run


def _ascending_run(number: str) -> int:
    """Length of the run at the end where each digit is the previous one plus 1 (no 9→0 wrap)."""
    run = 1
    while run < len(number) and int(number[-run]) - int(number[-run - 1]) == 1:
        run += 1
    return run


def _valid_date(day: int, month: int, year: int) -> bool:
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


def _is_birth_date(number: str) -> bool:
    """Last 4 = a birth year or last 6 = ddmmyy, within 1950–2015 (ddmmyyyy tails are covered by the year)."""
    if int(number[-4:]) in _BIRTH_YEARS:
        return True
    day, month, yy = int(number[-6:-4]), int(number[-4:-2]), int(number[-2:])
    year = 1900 + yy if yy >= 50 else 2000 + yy
    return year in _BIRTH_YEARS and _valid_date(day, month, year)


def classify(number: str) -> list[str]:
    """Class codes of a 10-digit number, most valuable first; ["thuong"] when it has none."""
    _check(number)
    six, four, three = number[-6:], number[-4:], number[-3:]
    found: set[str] = set()

    same = _trailing_same(number)
    # A longer run implies the shorter ones, so only the strongest is reported.
    if same >= 5:
        found.add("ngu_quy")
    elif same == 4:
        found.add("tu_quy")
    tam_hoa_kep = len(set(six[:3])) == 1 and len(set(six[3:])) == 1 and six[0] != six[3]
    if tam_hoa_kep:
        found.add("tam_hoa_kep")
    elif same == 3:
        found.add("tam_hoa")

    taxi_ab = six == six[:2] * 3 and six[0] != six[1]
    taxi_abc = six[:3] == six[3:] and len(set(six)) > 1
    taxi_abcd = number[-8:-4] == four and len(set(four)) > 1
    if taxi_ab or taxi_abc or taxi_abcd:
        found.add("taxi")

    if _ascending_run(number) >= 3:
        found.add("tien")

    pair = number[-2:]
    if pair in ("68", "86"):
        found.add("loc_phat")
    if pair in ("39", "79"):
        found.add("than_tai")
    if pair in ("38", "78"):
        found.add("ong_dia")

    lap = four[:2] == four[2:] and four[0] != four[1]
    # ABABAB is already taxi; its ABAB/BAB tail is the same shape, not an extra one.
    if lap and not taxi_ab:
        found.add("lap")
    if four[0] == four[1] and four[2] == four[3] and four[0] != four[2]:
        found.add("kep")
    if six == six[::-1] and len(set(six)) > 1:
        found.add("dao")
    ganh3 = three[0] == three[2] and three[0] != three[1] and not lap
    ganh4 = four == four[::-1] and four[0] != four[1]
    if ganh3 or ganh4:
        found.add("ganh")

    if _is_birth_date(number):
        found.add("nam_sinh")
    if len(set(six)) <= 3 and not found & _SHAPE_CLASSES:
        found.add("de_nho")

    return sorted(found, key=CLASS_RANK.__getitem__) or ["thuong"]


def primary_class(number: str) -> str:
    """The most valuable class of the number ("thuong" for an ordinary one)."""
    return classify(number)[0]


def beauty_score(number: str) -> int:
    """Sort key for "đẹp nhất trước": higher is prettier; the primary class always dominates."""
    classes = classify(number)
    top = len(CLASS_RANK) + 1
    # Each primary rank step is worth 10,000; everything below adds at most ~6,600, so it only breaks ties.
    score = (top - CLASS_RANK[classes[0]]) * 10_000
    score += min(5_000, sum((top - CLASS_RANK[c]) * 40 for c in classes[1:]))
    score += _trailing_same(number) * 60
    score += (6 - len(set(number[-6:]))) * 100
    score += (10 - len(set(number))) * 20
    score += _ascending_run(number) * 30
    return score
