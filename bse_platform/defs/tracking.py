"""MLflow tracking of feature materializations, through dagster-mlflow.

dagster-mlflow's ``MlFlow`` starts one MLflow run per Dagster run, tagged with its run id; each
family the run materializes logs a run nested in it (``features.tracking``), and the features step
ends the run FINISHED or FAILED. ``MlFlow`` also resumes that run (setting it RUNNING) wherever the
resource is set up again for the same Dagster run, and a run set up in-process but never reached
stays active; so the resource's teardown ends whatever is still active, as it was before. The
experiment is created with its artifact location first, so that the artifacts of a SQLite tracking
store land beside the data, not in the working directory.
"""

import os

from dagster import Field, InitResourceContext, Noneable, ResourceDefinition, StringSource, resource

from bse_platform.defs.resources import StorageResource
from bse_platform.settings import SETTINGS

EXPERIMENT = "bse-features"


@resource(
    config_schema={
        "experiment_name": Field(StringSource, default_value=EXPERIMENT),
        "mlflow_tracking_uri": Field(StringSource, description="A tracking server's URL, or a store such as sqlite:///..."),
        "artifact_location": Field(Noneable(StringSource), default_value=None, description="Where a store's artifacts go"),
    },
    description="dagster-mlflow's MLflow tracking: one MLflow run per Dagster run, one nested run per family materialized",
)
def mlflow_tracking(context: InitResourceContext):
    import mlflow  # seconds to import: only the runs that track pay for it
    from dagster_mlflow.resources import MlFlow
    from mlflow.exceptions import MlflowException

    config = context.resource_config
    mlflow.set_tracking_uri(config["mlflow_tracking_uri"])
    if config["artifact_location"] and mlflow.get_experiment_by_name(config["experiment_name"]) is None:
        try:
            mlflow.create_experiment(config["experiment_name"], artifact_location=config["artifact_location"])
        except MlflowException:  # another run created it meanwhile
            pass
    ended_as = _ended_status(config["experiment_name"], context.run.run_id)
    tracking = MlFlow(context)
    try:
        yield tracking
    finally:
        if mlflow.active_run() is not None:
            mlflow.end_run(status=ended_as or "FINISHED")


def _ended_status(experiment_name: str, dagster_run_id: str | None) -> str | None:
    """How the Dagster run's MLflow run ended, if it exists and has ended."""
    import mlflow

    runs = mlflow.search_runs(
        experiment_names=[experiment_name], filter_string=f"tags.dagster_run_id = '{dagster_run_id}'", output_format="list"
    )
    ended = [run.info.status for run in runs if run.info.status != "RUNNING"]
    return ended[0] if ended else None


def tracking_location(storage: StorageResource) -> tuple[str, str | None]:
    """The deployment's tracking URI and artifact location: BSE_MLFLOW_TRACKING_URI (and
    BSE_MLFLOW_ARTIFACTS), else a SQLite store and artifact folder in ``mlflow/`` beside the local data."""
    if SETTINGS.mlflow_tracking_uri:
        return SETTINGS.mlflow_tracking_uri, SETTINGS.mlflow_artifact_location
    local = os.path.abspath(os.path.join(storage.base_uri if "://" not in storage.base_uri else ".", "mlflow"))
    return f"sqlite:///{local}/mlflow.db", SETTINGS.mlflow_artifact_location or f"{local}/artifacts"


def mlflow_tracking_for(storage: StorageResource) -> ResourceDefinition:
    uri, artifacts = tracking_location(storage)
    return mlflow_tracking.configured({"mlflow_tracking_uri": uri, "artifact_location": artifacts})
