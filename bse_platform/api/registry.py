"""The feature registry as the API serves it: the catalog's entries grouped by family, and where to
send a caller who names a feature or family that does not exist."""

import difflib
from collections.abc import Iterable

from bse_platform.api.errors import ApiError
from bse_platform.api.schemas import FamilyEntry, RegistryResponse
from bse_platform.features import catalog
from bse_platform.features.catalog import FAMILIES, FEATURES, definitions_version

VALID_NAMES_HINT = "GET /registry lists every feature and family"


def family_entry(name: str) -> FamilyEntry:
    return FamilyEntry(**catalog.family_entry(name))


def registry() -> RegistryResponse:
    return RegistryResponse(definitions_version=definitions_version(), families=[family_entry(name) for name in FAMILIES])


def unknown_names_error(kind: str, names: list[str], valid: Iterable[str], parameter: str, status_code: int = 404) -> ApiError:
    """``names`` are not valid ``kind`` names: which, the closest valid ones, and where the rest are listed."""
    valid = list(valid)
    hints = [match for name in names for match in difflib.get_close_matches(name, valid, n=3)]
    suggestion = f" (did you mean {', '.join(dict.fromkeys(hints))}?)" if hints else ""
    return ApiError(status_code, f"{parameter}: unknown {kind} {', '.join(map(repr, names))}{suggestion}; {VALID_NAMES_HINT}", parameter)


def require_features(names: Iterable[str], parameter: str) -> None:
    """Every one of ``names`` is a catalog feature, else a 404 naming ``parameter`` and the unknown ones."""
    unknown = [name for name in names if name not in FEATURES]
    if unknown:
        raise unknown_names_error("feature", unknown, FEATURES, parameter)
