"""DynamoDB's PartiQL: statements parsed (parser) and written as the service's own requests
(translate); sockgate.tables.operations.partiql runs them."""
