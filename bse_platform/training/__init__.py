"""Training sets: label events joined point-in-time to the features known before them."""

from bse_platform.training.labels import DEFAULT_DECISION_DELAY, LABEL_HORIZONS, forward_return_labels, label_column
from bse_platform.training.point_in_time import (
    DEFAULT_MAX_STALENESS,
    LeakageAudit,
    TrainingSet,
    UnknownSelectionError,
    available_at_column,
    leakage_violations,
    point_in_time_join,
    resolve_features,
    trade_date_column,
)

__all__ = [
    "DEFAULT_DECISION_DELAY",
    "DEFAULT_MAX_STALENESS",
    "LABEL_HORIZONS",
    "LeakageAudit",
    "TrainingSet",
    "UnknownSelectionError",
    "available_at_column",
    "forward_return_labels",
    "label_column",
    "leakage_violations",
    "point_in_time_join",
    "resolve_features",
    "trade_date_column",
]
