"""Sim phong thủy: score a number for its owner by âm dương, ngũ hành and nút (docs/fengshui.md)."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

CAN = ("Giáp", "Ất", "Bính", "Đinh", "Mậu", "Kỷ", "Canh", "Tân", "Nhâm", "Quý")
CHI = ("Tý", "Sửu", "Dần", "Mão", "Thìn", "Tỵ", "Ngọ", "Mùi", "Thân", "Dậu", "Tuất", "Hợi")

# Nạp âm: one element per pair of years in the 60-year cycle, starting at Giáp Tý (Hải trung kim).
NAP_AM = (
    "Kim", "Hỏa", "Mộc", "Thổ", "Kim", "Hỏa", "Thủy", "Thổ", "Kim", "Mộc",
    "Thủy", "Thổ", "Hỏa", "Mộc", "Thủy", "Kim", "Hỏa", "Mộc", "Thổ", "Kim",
    "Hỏa", "Thủy", "Thổ", "Kim", "Mộc", "Thủy", "Thổ", "Hỏa", "Mộc", "Thủy",
)  # fmt: skip

# Hà Đồ: 1,6 Thủy; 2,7 Hỏa; 3,8 Mộc; 4,9 Kim; 5,0 Thổ.
DIGIT_ELEMENT = {
    "1": "Thủy", "6": "Thủy", "2": "Hỏa", "7": "Hỏa", "3": "Mộc",
    "8": "Mộc", "4": "Kim", "9": "Kim", "5": "Thổ", "0": "Thổ",
}  # fmt: skip

# Tương sinh: each element generates the next. Tương khắc: each element controls the one it maps to.
GENERATES = {"Kim": "Thủy", "Thủy": "Mộc", "Mộc": "Hỏa", "Hỏa": "Thổ", "Thổ": "Kim"}
CONTROLS = {"Kim": "Mộc", "Mộc": "Thổ", "Thổ": "Thủy", "Thủy": "Hỏa", "Hỏa": "Kim"}

# Tết (lunar 1/1) in Vietnam, UTC+7, from Hồ Ngọc Đức's algorithm, checked against an ephemeris.
# Vietnam differs from China in e.g. 1968, 1985 and 2007. One line per decade, MMDD per year.
_TET_TABLE = """
    1940–1949: 0208 0127 0215 0205 0125 0213 0202 0122 0210 0129
    1950–1959: 0217 0206 0127 0214 0203 0124 0212 0131 0218 0208
    1960–1969: 0128 0215 0205 0125 0213 0201 0121 0209 0129 0216
    1970–1979: 0206 0127 0215 0203 0123 0211 0131 0218 0207 0128
    1980–1989: 0216 0205 0125 0213 0202 0121 0209 0129 0217 0206
    1990–1999: 0127 0215 0204 0123 0210 0131 0219 0207 0128 0216
    2000–2009: 0205 0124 0212 0201 0122 0209 0129 0217 0207 0126
    2010–2019: 0214 0203 0123 0210 0131 0219 0208 0128 0216 0205
    2020–2029: 0125 0212 0201 0122 0210 0129 0217 0206 0126 0213
    2030:      0202
"""
_TET_MMDD = [token for token in _TET_TABLE.split() if not token.endswith(":")]
TET_DATES: dict[int, tuple[int, int]] = {1940 + i: (int(t[:2]), int(t[2:])) for i, t in enumerate(_TET_MMDD)}
# Outside the table (born before 1940 or after 2030): lunar year turns on Feb 5, a rough average Tết.
FALLBACK_TET = (2, 5)

WEIGHT_AM_DUONG = 3.0
WEIGHT_NGU_HANH = 4.0
WEIGHT_NUT = 3.0


@dataclass(frozen=True)
class FengShuiScore:
    """A score out of 10 (steps of 0.5) with one Vietnamese reason per component."""

    score: float
    reasons: list[str]


def lunar_year(birth_date: dt.date) -> int:
    """The lunar year a person belongs to: those born before Tết count in the previous year."""
    month, day = TET_DATES.get(birth_date.year, FALLBACK_TET)
    if (birth_date.month, birth_date.day) < (month, day):
        return birth_date.year - 1
    return birth_date.year


def can_chi(year: int) -> str:
    """Sexagenary name of a lunar year: 1990 → "Canh Ngọ"."""
    return f"{CAN[(year - 4) % 10]} {CHI[(year - 4) % 12]}"


def birth_element(birth_date: dt.date) -> tuple[str, str]:
    """(mệnh, can chi) of the owner, e.g. ("Thổ", "Canh Ngọ") for someone born in mid-1990."""
    year = lunar_year(birth_date)
    return NAP_AM[((year - 4) % 60) // 2], can_chi(year)


def _am_duong(even: int) -> tuple[float, str]:
    odd = 10 - even
    gap = abs(even - odd) // 2
    ratio = {0: 1.0, 1: 0.75, 2: 0.4, 3: 0.2}.get(gap, 0.0)
    if gap == 0:
        return ratio, f"Cân bằng âm dương: {even} chẵn / {odd} lẻ"
    if gap == 1:
        return ratio, f"Âm dương khá cân bằng: {even} chẵn / {odd} lẻ"
    return ratio, f"Lệch âm dương: {even} chẵn / {odd} lẻ"


def _ngu_hanh(last_digit: int, birth_date: dt.date) -> tuple[float, str]:
    owner, name = birth_element(birth_date)
    mine = DIGIT_ELEMENT[str(last_digit)]
    head = f"Mệnh {owner} ({name} {lunar_year(birth_date)}) – số mang hành {mine}"
    if GENERATES[mine] == owner:
        return 1.0, f"{head} sinh {owner}: rất hợp"
    if mine == owner:
        return 0.75, f"{head}, cùng hành với mệnh: hợp"
    if GENERATES[owner] == mine:
        return 0.5, f"{head}, được mệnh {owner} sinh ra (sinh xuất): tạm được"
    if CONTROLS[owner] == mine:
        return 0.25, f"{head}, bị mệnh {owner} khắc: ít hợp"
    return 0.0, f"{head} khắc {owner}: không hợp"


def nut(number: str) -> int:
    """Tổng nút: digit sum mod 10, where 0 counts as 10 (the best)."""
    return sum(int(c) for c in number) % 10 or 10


def _nut(value: int) -> tuple[float, str]:
    if value >= 9:
        return 1.0, f"Tổng nút: {value} nút – rất đẹp"
    if value >= 7:
        return 0.75, f"Tổng nút: {value} nút – đẹp"
    if value >= 5:
        return 0.5, f"Tổng nút: {value} nút – trung bình"
    return 0.2, f"Tổng nút: {value} nút – thấp"


def feng_shui_key(number: str) -> int:
    """What the score depends on, packed in one integer: even digits ×100 + last digit ×10 + nút mod 10.

    Stored with each number so that a search can ask for the keys that score well
    for a birth date instead of scoring every number.
    """
    if len(number) != 10 or not all("0" <= c <= "9" for c in number):
        raise ValueError(f"expected a 10-digit number, got {number!r}")
    even = sum(1 for c in number if int(c) % 2 == 0)
    return even * 100 + int(number[-1]) * 10 + nut(number) % 10


def score_key(key: int, birth_date: dt.date) -> FengShuiScore:
    """The score of every number whose feng_shui_key is ``key``."""
    even, last_digit, nut_value = key // 100, key // 10 % 10, key % 10 or 10
    parts = [
        (WEIGHT_AM_DUONG, _am_duong(even)),
        (WEIGHT_NGU_HANH, _ngu_hanh(last_digit, birth_date)),
        (WEIGHT_NUT, _nut(nut_value)),
    ]
    raw = sum(weight * ratio for weight, (ratio, _) in parts)
    # Round half up to the nearest 0.5; the epsilon absorbs float noise such as 6.749999….
    score = math.floor(raw * 2 + 0.5 + 1e-9) / 2
    return FengShuiScore(score=min(10.0, max(0.0, score)), reasons=[reason for _, (_, reason) in parts])


def score_number(number: str, birth_date: dt.date) -> FengShuiScore:
    """Feng-shui score of a 10-digit number for an owner born on birth_date."""
    return score_key(feng_shui_key(number), birth_date)


def possible_keys() -> list[int]:
    """Every feng_shui_key a 10-digit number can have (for ranking them per birth date)."""
    return [e * 100 + d * 10 + n for e in range(11) for d in range(10) for n in range(10)
            if (d % 2 == 0 or e < 10) and (d % 2 == 1 or e > 0)]
