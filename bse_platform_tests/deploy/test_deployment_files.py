"""The deployment files: docker-compose.yml validated by Debian's docker-compose and by the Compose
Specification's JSON schema, and checked against the Dockerfile, .env.example, both Dagster
instance configs, the compose workspace and the Kubernetes values, so names, variables, ports and
pools line up. (No Docker engine runs here: the stack itself is not started.)"""

import re
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml
from dagster._core.instance.config import dagster_instance_config

from bse_platform.defs.ingestion import raw_bhavcopy
from bse_platform.settings import Settings

REPO = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text())
COMPOSE_TEXT = (REPO / "docker-compose.yml").read_text()
ENV_EXAMPLE = dict(
    line.split("=", 1) for line in (REPO / ".env.example").read_text().splitlines() if line and not line.startswith("#")
)
COMPOSE_SPEC = Path("/usr/lib/python3/dist-packages/compose/config/compose_spec.json")  # Debian's docker-compose
DAGSTER_SERVICES = ("code-server", "webserver", "daemon")


def resolved(compose_file: Path = REPO / "docker-compose.yml") -> dict:
    """What docker-compose makes of the file with .env.example's values."""
    if shutil.which("docker-compose") is None:
        pytest.skip("docker-compose is not installed (Debian: apt-get install docker-compose; `make test` installs it as root)")
    completed = subprocess.run(
        ["docker-compose", "-f", str(compose_file), "--env-file", str(REPO / ".env.example"), "config"],
        capture_output=True, text=True, timeout=120, cwd=REPO,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    return yaml.safe_load(completed.stdout)


def test_docker_compose_accepts_the_file():
    config = resolved()
    assert set(config["services"]) == {"minio", "create-buckets", "redis", "postgres", "mlflow", "code-server", "webserver", "daemon"}


def test_the_file_matches_the_compose_specification_schema():
    if not COMPOSE_SPEC.exists():
        pytest.skip(f"{COMPOSE_SPEC} not found: it comes with Debian's docker-compose package")
    import json

    jsonschema.validate(COMPOSE, json.loads(COMPOSE_SPEC.read_text()))


def test_every_variable_compose_reads_is_in_env_example():
    used = set(re.findall(r"\$\{(\w+)(?::?[?-][^}]*)?\}", COMPOSE_TEXT))
    assert used == set(ENV_EXAMPLE), f"missing: {used - set(ENV_EXAMPLE)}, unused: {set(ENV_EXAMPLE) - used}"


def test_only_the_dagster_ui_and_the_mlflow_ui_are_published():
    published = {name: service.get("ports") for name, service in resolved()["services"].items() if service.get("ports")}
    assert {name: [int(p["published"]) for p in ports] for name, ports in published.items()} == {"webserver": [3000], "mlflow": [5000]}


def test_services_wait_for_what_they_need_to_be_healthy():
    services = resolved()["services"]
    for name, service in services.items():
        if name != "create-buckets":
            assert "healthcheck" in service, name
        for dependency, condition in service.get("depends_on", {}).items():
            expected = "service_completed_successfully" if dependency == "create-buckets" else "service_healthy"
            assert condition["condition"] == expected, (name, dependency)
    assert set(services["code-server"]["depends_on"]) == {"postgres", "redis", "mlflow", "create-buckets"}


def test_the_instance_config_reads_only_variables_the_dagster_services_get():
    instance_yaml = (REPO / "deploy/compose/dagster.yaml").read_text()
    needed = set(re.findall(r"\{ ?env: (\w+) ?\}", instance_yaml))
    services = resolved()["services"]
    for name in DAGSTER_SERVICES:
        assert needed <= set(services[name]["environment"]), (name, needed - set(services[name]["environment"]))
    assert "postgres" in services and services["code-server"]["environment"]["DAGSTER_PG_HOST"] == "postgres"


def test_the_workspace_points_at_the_code_server_port():
    workspace = yaml.safe_load((REPO / "deploy/compose/workspace.yaml").read_text())
    (location,) = workspace["load_from"]
    server = location["grpc_server"]
    services = resolved()["services"]
    assert server["host"] == "code-server" and f"-p {server['port']}" in services["code-server"]["command"]
    for name in ("webserver", "daemon"):
        assert "deploy/compose/workspace.yaml" in services[name]["command"]


def test_the_dockerfile_installs_the_instance_config_and_the_workspace():
    dockerfile = (REPO / "Dockerfile").read_text()
    assert "COPY deploy ./deploy" in dockerfile and "cp deploy/compose/dagster.yaml /opt/dagster/home/dagster.yaml" in dockerfile
    assert "ENV DAGSTER_HOME=/opt/dagster/home" in dockerfile


def test_the_platform_reads_the_stack_from_the_app_environment():
    environment = resolved()["services"]["code-server"]["environment"]
    settings = Settings.from_env(environment)
    assert settings.storage_uri == f"s3://{ENV_EXAMPLE['BSE_BUCKET']}/platform"
    assert settings.s3_endpoint_url == "http://minio:9000" and settings.mlflow_tracking_uri == "http://mlflow:5000"
    assert {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "REDIS_URL"} <= settings.secrets_set
    assert environment["REDIS_URL"].endswith("@redis:6379/0") and "redis" in resolved()["services"]


@pytest.mark.parametrize("config", ["deploy/local/dagster.yaml", "deploy/compose/dagster.yaml"])
def test_both_instance_configs_are_valid_and_limit_the_download_pool(config, tmp_path, monkeypatch):
    for name in ("DAGSTER_PG_HOST", "DAGSTER_PG_PORT", "DAGSTER_PG_USER", "DAGSTER_PG_PASSWORD", "DAGSTER_PG_DB", "DAGSTER_COMPUTE_LOG_BUCKET", "BSE_S3_ENDPOINT_URL"):
        monkeypatch.setenv(name, "5432" if name.endswith("PORT") else "x")
    shutil.copy(REPO / config, tmp_path / "dagster.yaml")
    values, _ = dagster_instance_config(str(tmp_path))
    assert values["concurrency"]["pools"]["default_limit"] == 1  # the pool of raw_bhavcopy and corporate_actions
    assert values["run_monitoring"]["enabled"]
    assert raw_bhavcopy.op.pool == "bse_downloads"


def test_the_kubernetes_values_lint_and_run_the_project_image():
    completed = subprocess.run(
        [str(Path(shutil.which("yamllint") or REPO / ".venv/bin/yamllint")), "-d", "{extends: relaxed, rules: {line-length: {max: 140}}}",
         "deploy", "docker-compose.yml", "workspace.yaml"],
        capture_output=True, text=True, cwd=REPO, timeout=60,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout
    values = yaml.safe_load((REPO / "deploy/kubernetes/values.yaml").read_text())
    (deployment,) = values["dagster-user-deployments"]["deployments"]
    assert deployment["dagsterApiGrpcArgs"] == ["-m", "bse_platform.definitions"]
    assert values["runLauncher"]["type"] == "K8sRunLauncher" and values["postgresql"]["enabled"] is False
