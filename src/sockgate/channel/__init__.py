"""The local channel: workers' @connections calls carried to the gateway over a Unix socket.

    wire.py           the frame format both ends speak (pure)
    client.py         the worker's blocking client
    botocore_hook.py  carries a worker's apigatewaymanagementapi calls onto the client

The gateway's end is `sockgate.gateway.local_channel`. Nothing here imports the gateway, and a
worker imports only what its first boto3 client needs.
"""
