"""Keeping the organisation's reference rows in place."""
from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.org.data import REGIONS, SHOPCODES, STORES
from portal.org.models import ProvinceRegion, Region, Shopcode, Store
from portal.org.places import PROVINCES


def ensure_organisation() -> None:
    """Insert the regions, shopcodes, demo stores and province → region rows that are missing (idempotent; the org's
    reference data). A row an admin has changed stays as they left it."""
    have_regions = set(db.session.scalars(select(Region.id)))
    for region_id, code, name in REGIONS:
        if region_id not in have_regions:
            db.session.add(Region(id=region_id, code=code, name=name))
    db.session.flush()
    have_shopcodes = set(db.session.scalars(select(Shopcode.code)))
    for code, region_id, name in SHOPCODES:
        if code not in have_shopcodes:
            db.session.add(Shopcode(code=code, region_id=region_id, name=name))
    db.session.flush()
    have_stores = set(db.session.scalars(select(Store.code)))
    for code, region_id, name, address, province in STORES:
        if code not in have_stores:
            db.session.add(
                Store(code=code, region_id=region_id, name=name, address=address, province=province,
                      shopcode=f"KV{region_id}ONL")
            )
    db.session.flush()
    have_provinces = set(db.session.scalars(select(ProvinceRegion.province)))
    for province, region_id in PROVINCES.items():
        if province not in have_provinces:
            db.session.add(ProvinceRegion(province=province, region_id=region_id))
    db.session.flush()


def regions() -> list[Region]:
    return list(db.session.scalars(select(Region).order_by(Region.id)))


def store_by_code(code: str) -> Store | None:
    return db.session.scalar(select(Store).where(Store.code == code))
