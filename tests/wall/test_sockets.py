"""``/wall``: supervisors and admins only (checklist 31), each in their own region's room, a snapshot on connect and
on ``resync``."""
from __future__ import annotations

from datetime import timedelta

import pytest

from portal.core.roles import Role
from portal.dossiers.models import DossierStatus
from portal.wall import live
from tests.wall.conftest import fresh, snapshots


def test_an_anonymous_socket_is_refused(client, wall_socket):
    assert not wall_socket(client).is_connected("/wall")


@pytest.mark.parametrize("role", [Role.AGENT, Role.CONNECTION, Role.CLERK, Role.SHIPPING])
def test_other_roles_are_refused(client, login, wall_socket, role):
    login(role, region=1)
    assert not wall_socket(client).is_connected("/wall")


def test_a_foreign_origin_is_refused(client, login, wall_socket):
    login(Role.SUPERVISOR, region=1)
    assert not wall_socket(client, headers={"Origin": "https://evil.example"}).is_connected("/wall")


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.ADMIN])
def test_supervisors_and_admins_get_their_regions_snapshot_on_connect(client, login, wall_socket, dossier_at,
                                                                     role):
    dossier_at(2, DossierStatus.SUBMITTED, timedelta(minutes=3))
    login(role, region=1)
    sock = wall_socket(client)
    assert sock.is_connected("/wall")
    [snap] = snapshots(sock)
    assert snap["region_id"] == 1 and not snap["head_office"] and snap["regions"] == []
    assert snap["total"]["review"]["waiting"] == 0  # CTKV2's dossier is not CTKV1's business


def test_a_region_hears_its_own_room_only(client, login, wall_socket, dossier_at):
    login(Role.SUPERVISOR, region=1)
    sock = wall_socket(client)
    snapshots(sock)
    dossier_at(2, DossierStatus.SUBMITTED)  # flags CTKV2 and head office
    assert sorted(live.tick({0, 1, 2})) == [0, 2]
    assert snapshots(sock, wait=0.3) == []


def test_head_office_gets_every_region(client, login, wall_socket, dossier_at):
    dossier_at(2, DossierStatus.SUBMITTED)
    login(Role.SUPERVISOR, region=0)
    [snap] = snapshots(wall_socket(client))
    assert snap["head_office"] and snap["total"]["review"]["waiting"] == 1
    assert {row["id"]: row["review"]["waiting"] for row in snap["regions"]}[2] == 1


def test_resync_sends_the_snapshot_again(client, login, wall_socket):
    login(Role.SUPERVISOR, region=3)
    sock = wall_socket(client)
    snapshots(sock)
    assert fresh(sock.emit, "resync", {}, namespace="/wall", callback=True) == {"ok": True, "region": 3}
    [snap] = snapshots(sock)
    assert snap["region_id"] == 3
