"""SQLite storage of the table service: schema, item and index rows, stream records."""
