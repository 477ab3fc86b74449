"""The operations of the table service, by X-Amz-Target, and the thread each runs on."""

from __future__ import annotations

from dataclasses import dataclass

from sockgate.tables import streams
from sockgate.tables.operations import (
    admin,
    batch,
    items,
    partiql,
    query,
    tables,
    transactions,
)
from sockgate.tables.operations.context import Operation

__all__ = ["BY_STATEMENT", "DYNAMODB", "LOOKUP", "OPERATIONS", "READ", "STREAMS", "WRITE", "Spec"]

DYNAMODB = "DynamoDB_20120810"
STREAMS = "DynamoDBStreams_20120810"

# Where an operation runs (see sockgate.tables.engine):
WRITE = "write"  # queued for the next group commit
LOOKUP = "lookup"  # a read of bounded size, answered at once on the loop
READ = "read"  # a read that may return a megabyte or count a table: on the reader thread
BY_STATEMENT = "statement"  # PartiQL: READ for a SELECT, WRITE otherwise


@dataclass(frozen=True)
class Spec:
    """One operation: its name, its function, and where it runs (WRITE, LOOKUP, READ or
    BY_STATEMENT)."""

    name: str
    fn: Operation
    runs: str


_DYNAMODB_OPERATIONS = [
    Spec("CreateTable", tables.create_table, WRITE),
    Spec("DescribeTable", tables.describe_table_op, READ),
    Spec("ListTables", tables.list_tables, LOOKUP),
    Spec("DeleteTable", tables.delete_table, WRITE),
    Spec("UpdateTable", tables.update_table, WRITE),
    Spec("UpdateTimeToLive", admin.update_time_to_live, WRITE),
    Spec("DescribeTimeToLive", admin.describe_time_to_live, LOOKUP),
    Spec("TagResource", admin.tag_resource, WRITE),
    Spec("UntagResource", admin.untag_resource, WRITE),
    Spec("ListTagsOfResource", admin.list_tags_of_resource, LOOKUP),
    Spec("DescribeLimits", admin.describe_limits, LOOKUP),
    Spec("DescribeEndpoints", admin.describe_endpoints, LOOKUP),
    Spec("PutItem", items.put_item, WRITE),
    Spec("GetItem", items.get_item, LOOKUP),
    Spec("UpdateItem", items.update_item, WRITE),
    Spec("DeleteItem", items.delete_item, WRITE),
    Spec("Query", query.query, READ),
    Spec("Scan", query.scan, READ),
    Spec("BatchGetItem", batch.batch_get_item, READ),
    Spec("BatchWriteItem", batch.batch_write_item, WRITE),
    Spec("TransactWriteItems", transactions.transact_write_items, WRITE),
    Spec("TransactGetItems", transactions.transact_get_items, READ),
    # PartiQL statements may write: they run where writes run, but a lone SELECT is a read.
    Spec("ExecuteStatement", partiql.execute_statement, BY_STATEMENT),
    Spec("BatchExecuteStatement", partiql.batch_execute_statement, WRITE),
    Spec("ExecuteTransaction", partiql.execute_transaction, WRITE),
]
_STREAMS_OPERATIONS = [
    Spec("ListStreams", streams.list_streams, LOOKUP),
    Spec("DescribeStream", streams.describe_stream, LOOKUP),
    Spec("GetShardIterator", streams.get_shard_iterator, LOOKUP),
    Spec("GetRecords", streams.get_records, READ),
]

OPERATIONS: dict[str, Spec] = {f"{DYNAMODB}.{s.name}": s for s in _DYNAMODB_OPERATIONS}
OPERATIONS.update({f"{STREAMS}.{s.name}": s for s in _STREAMS_OPERATIONS})
