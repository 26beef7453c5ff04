-- PostgreSQL holds two databases: Dagster's (POSTGRES_DB, made by the image) and MLflow's.
CREATE DATABASE mlflow;
