"""The outside world, typed and documented: where files live, how BSE is reached, where Redis is.

Each field's default is the deployment's setting (``bse_platform.settings``), so editing one field
in the launchpad keeps the others as the environment set them. Secrets are ``EnvVar`` defaults:
Dagster reads them at run time and never shows their values.
"""

import datetime as dt

from dagster import ConfigurableResource, EnvVar
from dagster_aws.s3 import S3Resource
from pydantic import Field

from bse_platform.bse.client import DEFAULT_CORPORATE_ACTIONS_URL, DEFAULT_HEADERS, BseClient, PublishedFile, at_mirror
from bse_platform.bse.parser import DEFAULT_MAX_BAD_ROW_SHARE, DEFAULT_MAX_COMPRESSION_RATIO, DEFAULT_MAX_CSV_BYTES, RawBhavcopy
from bse_platform.bse.products import DEFAULT_BASE_URL, DEFAULT_ERAS, Era
from bse_platform.bse.raw_schema import validate_raw_bhavcopy
from bse_platform.online import OnlineStore, redis_from_url
from bse_platform.online.store import DEFAULT_TTL_SECONDS
from bse_platform.settings import REDIS_URL, SETTINGS
from bse_platform.storage import ObjectStore
from bse_platform.validation import ValidationReport


def _secret(name: str) -> EnvVar | None:
    """A secret Dagster reads from the environment at run time, if the deployment sets it."""
    return EnvVar(name) if name in SETTINGS.secrets_set else None


def s3_from_settings() -> S3Resource:
    """dagster-aws's S3 resource for the deployment: endpoint (MinIO), region and credentials (EnvVar;
    unset: the default AWS chain, an IAM role or ~/.aws)."""
    return S3Resource(
        endpoint_url=SETTINGS.s3_endpoint_url,
        region_name=SETTINGS.s3_region or "us-east-1",
        aws_access_key_id=_secret("AWS_ACCESS_KEY_ID"),
        aws_secret_access_key=_secret("AWS_SECRET_ACCESS_KEY"),
    )


class StorageResource(ConfigurableResource):
    """One base URI for raw files and Parquet: a local folder, or s3://bucket/prefix (MinIO/S3) reached
    with the settings of ``s3`` (Parquet itself is read and written by pyarrow)."""

    base_uri: str = Field(default=SETTINGS.storage_uri, description="Local folder or s3://bucket/prefix (BSE_STORAGE_URI)")
    s3: S3Resource | None = None

    def store(self) -> ObjectStore:
        s3 = self.s3 or S3Resource()
        return ObjectStore(
            self.base_uri,
            s3_endpoint_url=s3.endpoint_url,
            s3_region=s3.region_name,
            s3_access_key_id=s3.aws_access_key_id,
            s3_secret_access_key=s3.aws_secret_access_key,
        )


class BseSourceResource(ConfigurableResource):
    """Where and how BSE's files are downloaded, and what a plausible bhavcopy looks like."""

    mirror_url: str | None = Field(
        default=SETTINGS.mirror_url,
        description="Root URL of a BSE mirror: every download (bhavcopies, corporate actions) goes there, "
        "at BSE's own paths. Unset: BSE itself (BSE_MIRROR_URL)",
    )
    headers: dict[str, str] = Field(
        default=dict(DEFAULT_HEADERS), description="Request headers; BSE needs Accept-Language and Referer"
    )
    product_eras: dict[str, str] = Field(
        default={era.product: era.first_date.isoformat() for era in DEFAULT_ERAS},
        description="Product (eq, eq_isincode, bse_eq_bhavcopy, udiff) -> first trade date it is fetched for",
    )
    timeout_seconds: float = Field(default=30.0, description="Time-out of each connection and each read")
    retries: int = Field(default=4, description="Retries on 429/5xx/connection errors, with exponential backoff")
    backoff_seconds: float = Field(default=2.0, description="Backoff factor between retries")
    max_wait_seconds: float = Field(default=30.0, description="Longest wait before a retry, the server's Retry-After included")
    deadline_seconds: float = Field(default=300.0, description="A download still arriving this long after it started is abandoned")
    min_interval_seconds: float = Field(
        default=SETTINGS.request_interval_seconds,
        description="Least time between two requests, BSE blocks impatient clients (BSE_REQUEST_INTERVAL_SECONDS)",
    )
    min_rows: int = Field(
        default=SETTINGS.min_rows, description="A file with fewer securities is suspect; BSE has ~3,000-5,000 (BSE_MIN_ROWS)"
    )
    max_bad_row_share: float = Field(
        default=DEFAULT_MAX_BAD_ROW_SHARE,
        description="Malformed rows (wrong field count) are skipped and reported; past this share the file fails",
    )
    max_csv_bytes: int = Field(default=DEFAULT_MAX_CSV_BYTES, description="A file (unzipped) larger than this is broken")
    max_compression_ratio: float = Field(
        default=DEFAULT_MAX_COMPRESSION_RATIO, description="A zip expanding more than this many times its size is broken"
    )

    def client(self, **limits: float) -> BseClient:
        """A client with these settings; ``limits`` override the time limits (a sensor tick's are tighter)."""
        base_url, corporate_actions_url = DEFAULT_BASE_URL, DEFAULT_CORPORATE_ACTIONS_URL
        if self.mirror_url:
            base_url, corporate_actions_url = at_mirror(base_url, self.mirror_url), at_mirror(corporate_actions_url, self.mirror_url)
        settings = {
            "timeout_seconds": self.timeout_seconds,
            "retries": self.retries,
            "backoff_seconds": self.backoff_seconds,
            "max_wait_seconds": self.max_wait_seconds,
            "deadline_seconds": self.deadline_seconds,
        }
        return BseClient(
            base_url,
            corporate_actions_url=corporate_actions_url,
            headers=self.headers,
            eras=[Era(dt.date.fromisoformat(first), product) for product, first in self.product_eras.items()],
            min_interval_seconds=self.min_interval_seconds,
            **(settings | limits),
        )

    def validate_raw(self, file: PublishedFile, trade_date: dt.date) -> tuple[RawBhavcopy, ValidationReport]:
        """Is ``file`` a usable bhavcopy of ``trade_date`` by this source's standards? (see raw_schema)"""
        return validate_raw_bhavcopy(
            file.content,
            file.file_name,
            trade_date,
            min_rows=self.min_rows,
            max_bad_row_share=self.max_bad_row_share,
            max_csv_bytes=self.max_csv_bytes,
            max_compression_ratio=self.max_compression_ratio,
        )


class RedisResource(ConfigurableResource):
    """Where the online store lives: REDIS_URL's server, or an embedded Redis (no services needed)."""

    url: str | None = Field(
        default=_secret(REDIS_URL), description="EnvVar REDIS_URL (password/TLS in the URL); unset: an embedded Redis"
    )
    embedded_path: str = Field(default=SETTINGS.embedded_redis_path, description="Data file of the embedded Redis (BSE_EMBEDDED_REDIS_PATH)")
    namespace: str = Field(default="bse", description="Prefix of every key the store writes")
    ttl_seconds: int = Field(default=DEFAULT_TTL_SECONDS, description="How long a replaced snapshot stays readable")

    def store(self) -> OnlineStore:
        return OnlineStore(redis_from_url(self.url, embedded_path=self.embedded_path), self.namespace, self.ttl_seconds)
