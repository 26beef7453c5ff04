"""An S3 HTTP endpoint on loopback for tests: moto's server stands in for MinIO (none installs here)."""

import contextlib
import socket
import uuid

import boto3
from moto.server import ThreadedMotoServer

from bse_platform.storage import ObjectStore

ACCESS_KEY = "testing-key"
SECRET_KEY = "testing-secret"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def moto_s3_endpoint():
    """Yields (endpoint_url, bucket) of a fresh bucket on a moto S3 server."""
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    bucket = f"bse-{uuid.uuid4().hex[:8]}"
    try:
        boto3.client(
            "s3", endpoint_url=endpoint, aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
            region_name="us-east-1",
        ).create_bucket(Bucket=bucket)  # fmt: skip
        yield endpoint, bucket
    finally:
        server.stop()


@contextlib.contextmanager
def moto_s3_store(prefix: str = "platform"):
    with moto_s3_endpoint() as (endpoint, bucket):
        yield ObjectStore(
            f"s3://{bucket}/{prefix}",
            s3_endpoint_url=endpoint,
            s3_access_key_id=ACCESS_KEY,
            s3_secret_access_key=SECRET_KEY,
        )
