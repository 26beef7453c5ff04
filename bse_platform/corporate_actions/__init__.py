"""Corporate actions: BSE's export of splits, bonus issues, dividends..., read into price and
volume adjustment factors per (security, ex-date). Pure pandas, no Dagster here."""

from bse_platform.corporate_actions.export import (
    CorporateActionsError,
    corporate_action_factors,
    read_corporate_actions_export,
)
from bse_platform.corporate_actions.purpose import ADJUSTING_KINDS, KINDS, Action, parse_purpose

__all__ = [
    "ADJUSTING_KINDS",
    "KINDS",
    "Action",
    "CorporateActionsError",
    "corporate_action_factors",
    "parse_purpose",
    "read_corporate_actions_export",
]
