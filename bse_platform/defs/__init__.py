"""The Dagster layer: partitions, resources, IO managers, assets and checks composing the pure modules."""

import warnings

from dagster import BetaWarning, PreviewWarning

# Chosen on purpose and known to be beta or preview in Dagster 1.13: per-partition asset checks,
# backfill policies, pools, source code references. Their status warnings tell a user nothing to do.
warnings.filterwarnings("ignore", category=BetaWarning)
warnings.filterwarnings("ignore", category=PreviewWarning)
# The daily job runs one trade date at a time, so the job-wide backfill policy Dagster picks from its
# assets' differing ones never applies; UI backfills use each asset's own policy.
warnings.filterwarnings("ignore", message="Asset job .* materializes assets with varying BackfillPolicies", category=UserWarning)
