import pytest

from bse_platform_tests.s3 import moto_s3_store


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path):
    """The same tests against a local folder and an S3 HTTP endpoint on loopback (moto's server)."""
    if request.param == "local":
        from bse_platform.storage import ObjectStore

        yield ObjectStore(str(tmp_path / "store"))
    else:
        with moto_s3_store() as s3_store:
            yield s3_store
