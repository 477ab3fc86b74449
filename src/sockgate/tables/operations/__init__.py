"""The operations of the table service, by X-Amz-Target, and the thread each runs on."""

from __future__ import annotations

from dataclasses import dataclass

from sockgate.tables import streams
from sockgate.tables.operations import admin, batch, items, query, tables, transactions
from sockgate.tables.operations.context import Operation

__all__ = ["DYNAMODB", "OPERATIONS", "STREAMS", "Spec"]

DYNAMODB = "DynamoDB_20120810"
STREAMS = "DynamoDBStreams_20120810"


@dataclass(frozen=True)
class Spec:
    """One operation: its name, its function, and whether it writes (runs on the writer)."""

    name: str
    fn: Operation
    write: bool


_DYNAMODB_OPERATIONS = [
    Spec("CreateTable", tables.create_table, True),
    Spec("DescribeTable", tables.describe_table_op, False),
    Spec("ListTables", tables.list_tables, False),
    Spec("DeleteTable", tables.delete_table, True),
    Spec("UpdateTable", tables.update_table, True),
    Spec("UpdateTimeToLive", admin.update_time_to_live, True),
    Spec("DescribeTimeToLive", admin.describe_time_to_live, False),
    Spec("TagResource", admin.tag_resource, True),
    Spec("UntagResource", admin.untag_resource, True),
    Spec("ListTagsOfResource", admin.list_tags_of_resource, False),
    Spec("DescribeLimits", admin.describe_limits, False),
    Spec("DescribeEndpoints", admin.describe_endpoints, False),
    Spec("PutItem", items.put_item, True),
    Spec("GetItem", items.get_item, False),
    Spec("UpdateItem", items.update_item, True),
    Spec("DeleteItem", items.delete_item, True),
    Spec("Query", query.query, False),
    Spec("Scan", query.scan, False),
    Spec("BatchGetItem", batch.batch_get_item, False),
    Spec("BatchWriteItem", batch.batch_write_item, True),
    Spec("TransactWriteItems", transactions.transact_write_items, True),
    Spec("TransactGetItems", transactions.transact_get_items, False),
]
_STREAMS_OPERATIONS = [
    Spec("ListStreams", streams.list_streams, False),
    Spec("DescribeStream", streams.describe_stream, False),
    Spec("GetShardIterator", streams.get_shard_iterator, False),
    Spec("GetRecords", streams.get_records, False),
]

OPERATIONS: dict[str, Spec] = {f"{DYNAMODB}.{s.name}": s for s in _DYNAMODB_OPERATIONS}
OPERATIONS.update({f"{STREAMS}.{s.name}": s for s in _STREAMS_OPERATIONS})
