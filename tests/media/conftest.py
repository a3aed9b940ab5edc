"""Media fixtures: a keyring, a local store in a temporary folder, S3 in moto's server mode."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from portal.media.crypto import Keyring, new_key
from portal.media.storage import LocalBackend, S3Backend, Storage

BUCKET = "portal-media-test"


@pytest.fixture
def key_text() -> str:
    """MEDIA_ENCRYPTION_KEYS with one fresh key."""
    return f"k1:{new_key()}"


@pytest.fixture
def keyring(key_text) -> Keyring:
    return Keyring.parse(key_text)


@pytest.fixture
def local_store(tmp_path, keyring) -> Storage:
    return Storage(LocalBackend(tmp_path / "media"), keyring)


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """moto's S3 in server mode on a free loopback port: boto3 talks real HTTP to it, as to MinIO or AWS."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_config(s3_endpoint, key_text) -> dict:
    """Settings of an S3 store with a fresh bucket (the moto server keeps its state for the session)."""

    config = {"MEDIA_STORAGE": "s3", "MEDIA_S3_BUCKET": BUCKET, "MEDIA_S3_ENDPOINT_URL": s3_endpoint,
              "MEDIA_S3_REGION": "us-east-1", "MEDIA_S3_ACCESS_KEY_ID": "test", "MEDIA_S3_SECRET_ACCESS_KEY": "test",
              "MEDIA_S3_PREFIX": "dossiers/", "MEDIA_ENCRYPTION_KEYS": key_text}
    client = S3Backend.from_config(config).client
    existing = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
    if BUCKET in existing:
        for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
            client.delete_object(Bucket=BUCKET, Key=item["Key"])
    else:
        client.create_bucket(Bucket=BUCKET)
    return config
