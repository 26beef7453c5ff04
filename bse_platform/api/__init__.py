"""The feature lookup API over HTTP: online and point-in-time lookups, ingest, the registry, health
and Prometheus metrics (FastAPI; no Dagster)."""

from bse_platform.api.app import app_from_settings, create_app, serve

__all__ = ["app_from_settings", "create_app", "serve"]
