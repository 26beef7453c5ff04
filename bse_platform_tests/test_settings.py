"""Settings from the environment: defaults, parsing, and a clear error naming a bad variable."""

import datetime as dt

import pytest

from bse_platform.calendar import BSE_PUBLICATION_TIME
from bse_platform.settings import Settings


def test_defaults_are_the_embedded_set_up():
    settings = Settings.from_env({})
    assert settings == Settings()
    assert settings.storage_uri == "data" and settings.mirror_url is None and settings.publication_time == BSE_PUBLICATION_TIME
    assert settings.secrets_set == frozenset()


def test_values_are_parsed():
    settings = Settings.from_env({
        "BSE_MIRROR_URL": "http://127.0.0.1:8765", "BSE_MIN_ROWS": "50", "BSE_PUBLICATION_TIME": "19:30",
        "BSE_EXTRA_SESSIONS": "2025-02-01, 2024-11-01", "BSE_REQUEST_INTERVAL_SECONDS": "0.5", "REDIS_URL": "redis://x",
        "AWS_SECRET_ACCESS_KEY": "s",
    })  # fmt: skip
    assert settings.mirror_url == "http://127.0.0.1:8765" and settings.min_rows == 50
    assert settings.publication_time == dt.time(19, 30) and settings.request_interval_seconds == 0.5
    assert settings.extra_sessions == {dt.date(2025, 2, 1), dt.date(2024, 11, 1)}
    assert settings.secrets_set == {"REDIS_URL", "AWS_SECRET_ACCESS_KEY"}  # that they are set, not their values


def test_blank_means_unset():
    assert Settings.from_env({"BSE_MIN_ROWS": " ", "BSE_MIRROR_URL": ""}) == Settings()


@pytest.mark.parametrize(("name", "value"), [("BSE_MIN_ROWS", "many"), ("BSE_PUBLICATION_TIME", "8pm"), ("BSE_EXTRA_SESSIONS", "2025-02-30")])
def test_a_bad_value_names_its_variable(name, value):
    with pytest.raises(ValueError, match=f"{name}={value!r} is not valid"):
        Settings.from_env({name: value})
