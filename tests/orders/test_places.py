"""Reference places: 34 provinces since 1 July 2025 for addresses, 63 CCCD codes, each routed to a CTKV."""
from __future__ import annotations

from portal.org.data import REGIONS, STORES
from portal.org.places import CCCD_PROVINCES, PROVINCES, canonical_province, province_names, region_of_province


def test_the_lists_are_complete():
    assert len(PROVINCES) == 34
    assert len(CCCD_PROVINCES) == 63
    assert all(len(code) == 3 and code.isdigit() for code in CCCD_PROVINCES)
    assert len({old for old, _new in CCCD_PROVINCES.values()}) == 63


def test_every_province_maps_to_a_regional_company__routing_rule():
    ctkv = {region_id for region_id, _code, _name in REGIONS if region_id}
    assert set(PROVINCES.values()) == ctkv  # every CTKV serves at least one province, and only CTKVs do


def test_every_old_province_is_part_of_one_of_the_34():
    assert {new for _old, new in CCCD_PROVINCES.values()} == set(PROVINCES)


def test_stores_are_in_listed_provinces_of_their_region():
    for _code, region, _name, _address, province in STORES:
        assert PROVINCES[province] == region


def test_province_names_are_forgiving_and_sorted(db):
    assert canonical_province("  hà   nội ") == "Hà Nội"
    assert canonical_province("Hà Giang") is None  # merged into Tuyên Quang on 1 July 2025
    assert region_of_province("cần  thơ") == 9
    assert region_of_province("Hà Giang") is None
    names = province_names()
    assert len(names) == 34 and names[0] == "An Giang"
