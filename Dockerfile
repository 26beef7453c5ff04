# The project's image: the code location, the webserver, the daemon and the MLflow server of
# docker-compose.yml all run from it (one install of the pinned Dagster family and MLflow).
FROM python:3.11-slim
WORKDIR /opt/bse-platform
COPY pyproject.toml README.md ./
COPY bse_platform ./bse_platform
RUN pip install --no-cache-dir .
COPY deploy ./deploy
RUN mkdir -p /opt/dagster/home && cp deploy/compose/dagster.yaml /opt/dagster/home/dagster.yaml
ENV DAGSTER_HOME=/opt/dagster/home
EXPOSE 3000 4000 5000
