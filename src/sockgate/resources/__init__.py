"""The service's resources on a local or remote endpoint: DynamoDB tables from serverless.yml."""

from sockgate.resources.provision import provision_tables

__all__ = ["provision_tables"]
