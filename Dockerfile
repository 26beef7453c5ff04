FROM python:3.11-slim
WORKDIR /opt/bse-platform
COPY pyproject.toml README.md ./
COPY bse_platform ./bse_platform
RUN pip install --no-cache-dir . dagster-postgres==0.29.27
COPY workspace.yaml ./
COPY deploy/compose/dagster.yaml /opt/dagster/home/dagster.yaml
ENV DAGSTER_HOME=/opt/dagster/home
EXPOSE 3000
