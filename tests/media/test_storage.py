"""Encrypted media storage (issue 11, "Uploads done safely"): random names, ciphertext at rest, rotating keys,
no way out of the store; the same interface on a local folder and on S3 (moto's server mode)."""
from __future__ import annotations

import os
import stat

import pytest

from portal import config as portal_config
from portal.media import storage as media_storage
from portal.media.crypto import DecryptError, Keyring, new_key
from portal.media.storage import NAME, BadName, LocalBackend, MediaNotFound, Storage, build

PHOTO = b"\xff\xd8\xff\xe0" + b"JFIF portrait bytes " * 50


def test_put_names_objects_randomly_and_gets_them_back(local_store):
    first, second = local_store.put(PHOTO, "portrait"), local_store.put(PHOTO, "portrait")
    assert first != second and NAME.fullmatch(first) and first.startswith("portrait/")
    assert local_store.get(first) == PHOTO and local_store.exists(second)


def test_bytes_on_disk_are_ciphertext_under_a_key_id(local_store, tmp_path):
    name = local_store.put(PHOTO, "id_front")
    [path] = [p for p in (tmp_path / "media").rglob("*") if p.is_file()]
    blob = path.read_bytes()
    assert path.name == name.split("/")[1] and blob.startswith(b"PM1\x02k1")
    assert b"JFIF" not in blob and not blob.startswith(b"\xff\xd8")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".tmp-")]


def test_another_key_cannot_read_it(local_store, tmp_path):
    name = local_store.put(PHOTO, "id_back")
    stranger = Storage(LocalBackend(tmp_path / "media"), Keyring.parse(f"k1:{new_key()}"))
    with pytest.raises(DecryptError):
        stranger.get(name)
    unknown = Storage(LocalBackend(tmp_path / "media"), Keyring.parse(f"k9:{new_key()}"))
    with pytest.raises(DecryptError, match="not configured"):
        unknown.get(name)


def test_a_blob_copied_under_another_name_does_not_decrypt(local_store, tmp_path):
    a, b = local_store.put(PHOTO, "portrait"), local_store.put(b"other", "portrait")
    backend = local_store.backend
    backend.write(b, backend.read(a))  # swap one dossier's portrait for another's
    with pytest.raises(DecryptError):
        local_store.get(b)


def test_keys_rotate_old_objects_stay_readable_and_can_be_rewritten(tmp_path, key_text):
    old = Storage(LocalBackend(tmp_path), Keyring.parse(key_text))
    name = old.put(PHOTO, "portrait")
    rotated = Storage(LocalBackend(tmp_path), Keyring.parse(f"k2:{new_key()},{key_text}"))
    assert rotated.get(name) == PHOTO
    assert rotated.put(PHOTO, "portrait") and rotated.reencrypt(name) is True
    assert rotated.reencrypt(name) is False  # already on k2
    only_new = Storage(LocalBackend(tmp_path), Keyring(rotated.keyring.current,
                                                       {"k2": rotated.keyring.keys["k2"]}))
    assert only_new.get(name) == PHOTO


@pytest.mark.parametrize("name", ["../../etc/passwd", "portrait/../../../etc/passwd", "/etc/passwd",
                                  "portrait/" + "A" * 32, "portrait/" + "0" * 31, "portrait\\" + "0" * 32,
                                  "portrait/" + "0" * 32 + "/x", "", "Portrait/" + "0" * 32])
def test_names_that_could_leave_the_store_are_refused(local_store, name):
    for operation in (local_store.get, local_store.exists, local_store.delete):
        with pytest.raises(BadName):
            operation(name)


@pytest.mark.parametrize("kind", ["../x", "a/b", "", "Portrait", "x" * 33, "ảnh"])
def test_kinds_are_plain_words(local_store, kind):
    with pytest.raises(BadName):
        local_store.put(PHOTO, kind)


def test_delete_is_safe_to_repeat_and_missing_objects_say_so(local_store):
    name = local_store.put(PHOTO, "portrait")
    local_store.delete(name)
    local_store.delete(name)
    assert not local_store.exists(name)
    with pytest.raises(MediaNotFound):
        local_store.get(name)


def test_s3_store_round_trip_with_ciphertext_in_the_bucket(s3_config):
    store = build(s3_config)
    name = store.put(PHOTO, "portrait")
    raw = store.backend.client.get_object(Bucket=s3_config["MEDIA_S3_BUCKET"], Key="dossiers/" + name)["Body"].read()
    assert raw.startswith(b"PM1") and b"JFIF" not in raw
    assert store.get(name) == PHOTO and store.exists(name)
    store.delete(name)
    assert not store.exists(name)
    with pytest.raises(MediaNotFound):
        store.get(name)
    with pytest.raises(BadName):
        store.get("../" + name)


def test_two_web_machines_share_the_s3_store(s3_config):
    """Several web processes build their own client from the same settings and see the same objects."""
    name = build(s3_config).put(PHOTO, "id_front")
    assert build(dict(s3_config)).get(name) == PHOTO


def test_the_app_store_follows_the_settings(app, tmp_path, key_text):
    saved = {k: app.config[k] for k in ("MEDIA_ROOT", "MEDIA_ENCRYPTION_KEYS")}
    app.config.update(MEDIA_ROOT=str(tmp_path / "m"), MEDIA_ENCRYPTION_KEYS=key_text)
    app.extensions.pop("media_storage", None)
    try:
        with app.app_context():
            store = media_storage.storage()
            assert store is media_storage.storage() and isinstance(store.backend, LocalBackend)
            name = store.put(PHOTO, "portrait")
        assert (tmp_path / "m" / name.split("/")[0]).is_dir()
    finally:
        app.config.update(saved)
        app.extensions.pop("media_storage", None)


def test_default_media_folder_is_in_instance_outside_static():
    root = portal_config.load({})["MEDIA_ROOT"]
    assert root.startswith(str(portal_config.INSTANCE)) and "static" not in root.split(os.sep)


def test_production_refuses_to_start_without_a_media_key():
    env = {"PORTAL_ENV": "production", "SECRET_KEY": "k", "DATABASE_URL": "postgresql://h/db",
           "REDIS_URL": "redis://h:6379/0"}
    with pytest.raises(portal_config.ConfigError, match="MEDIA_ENCRYPTION_KEYS"):
        portal_config.load(env)
    with pytest.raises(portal_config.ConfigError, match="32 bytes"):
        portal_config.load({**env, "MEDIA_ENCRYPTION_KEYS": "k1:c2hvcnQ="})
    assert portal_config.load({**env, "MEDIA_ENCRYPTION_KEYS": f"k1:{new_key()}"})["PORTAL_ENV"] == "production"


def test_development_creates_a_media_key_once_per_instance(tmp_path, monkeypatch):
    monkeypatch.setattr(portal_config, "INSTANCE", tmp_path)
    first = portal_config.load({})["MEDIA_ENCRYPTION_KEYS"]
    assert first.startswith("dev1:") and portal_config.load({})["MEDIA_ENCRYPTION_KEYS"] == first
    assert stat.S_IMODE((tmp_path / "media_key").stat().st_mode) == 0o600
