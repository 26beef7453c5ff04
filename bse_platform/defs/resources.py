"""Typed, documented configuration of the outside world: where files live and how BSE is reached."""

import datetime as dt

from dagster import ConfigurableResource
from pydantic import Field

from bse_platform.bse.client import DEFAULT_CORPORATE_ACTIONS_URL, DEFAULT_HEADERS, BseClient, PublishedFile
from bse_platform.bse.parser import DEFAULT_MAX_BAD_ROW_SHARE, RawBhavcopy
from bse_platform.bse.raw_schema import validate_raw_bhavcopy
from bse_platform.bse.products import DEFAULT_BASE_URL, DEFAULT_ERAS, Era
from bse_platform.storage import ObjectStore
from bse_platform.validation import ValidationReport


class StorageResource(ConfigurableResource):
    """One base URI for raw files and Parquet: a local folder, or s3://bucket/prefix (MinIO/S3)."""

    base_uri: str = Field(default="data", description="Local folder or s3://bucket/prefix")
    s3_endpoint_url: str | None = Field(default=None, description="S3 endpoint, e.g. http://localhost:9000 for MinIO")
    s3_region: str | None = Field(default=None, description="S3 region (us-east-1 when unset)")
    s3_access_key_id: str | None = Field(default=None, description="Set from EnvVar('AWS_ACCESS_KEY_ID')")
    s3_secret_access_key: str | None = Field(default=None, description="Set from EnvVar('AWS_SECRET_ACCESS_KEY')")

    def store(self) -> ObjectStore:
        return ObjectStore(
            self.base_uri,
            s3_endpoint_url=self.s3_endpoint_url,
            s3_region=self.s3_region,
            s3_access_key_id=self.s3_access_key_id,
            s3_secret_access_key=self.s3_secret_access_key,
        )


class BseSourceResource(ConfigurableResource):
    """Where and how bhavcopies are downloaded, and what a plausible file looks like."""

    base_url: str = Field(default=DEFAULT_BASE_URL, description="BSE's Equity bhavcopy folder, or a mirror of it")
    corporate_actions_url: str = Field(
        default=DEFAULT_CORPORATE_ACTIONS_URL,
        description="BSE's corporate-actions CSV export, with {from_date:%Y%m%d} and {to_date:%Y%m%d} placeholders",
    )
    headers: dict[str, str] = Field(
        default=dict(DEFAULT_HEADERS), description="Request headers; BSE needs Accept-Language and Referer"
    )
    product_eras: dict[str, str] = Field(
        default={era.product: era.first_date.isoformat() for era in DEFAULT_ERAS},
        description="Product (eq, eq_isincode, bse_eq_bhavcopy, udiff) -> first trade date it is fetched for",
    )
    timeout_seconds: float = Field(default=30.0, description="Per-request time-out")
    retries: int = Field(default=4, description="Retries on 429/5xx/connection errors, with exponential backoff")
    backoff_seconds: float = Field(default=2.0, description="Backoff factor between retries")
    min_interval_seconds: float = Field(default=1.0, description="Least time between two requests (politeness)")
    min_rows: int = Field(default=1000, description="A file with fewer data rows is suspect (BSE has ~3,000-5,000)")
    max_bad_row_share: float = Field(
        default=DEFAULT_MAX_BAD_ROW_SHARE,
        description="Malformed rows (wrong field count) are skipped and reported; past this share the file fails",
    )

    def client(self) -> BseClient:
        return BseClient(
            self.base_url,
            corporate_actions_url=self.corporate_actions_url,
            headers=self.headers,
            eras=[Era(dt.date.fromisoformat(first), product) for product, first in self.product_eras.items()],
            timeout_seconds=self.timeout_seconds,
            retries=self.retries,
            backoff_seconds=self.backoff_seconds,
            min_interval_seconds=self.min_interval_seconds,
        )

    def validate_raw(self, file: PublishedFile, trade_date: dt.date) -> tuple[RawBhavcopy, ValidationReport]:
        """Is ``file`` a usable bhavcopy of ``trade_date`` by this source's standards? (see raw_schema)"""
        return validate_raw_bhavcopy(
            file.content,
            file.file_name,
            trade_date,
            min_rows=self.min_rows,
            max_bad_row_share=self.max_bad_row_share,
        )
