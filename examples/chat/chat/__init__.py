"""The seed's chat service in Python: API Gateway WebSockets, Lambda, one DynamoDB table and
its stream. Handlers are plain AWS Lambda code using boto3; see serverless.yml for the map.

    connections.py  $connect / $disconnect          (connectionManager)
    messages.py     sendMessage, $default            (sendMessage, defaultMessage)
    channels.py     subscribe/unsubscribe, list      (channelManager, listChannels)
    history.py      getHistory                       (getHistory)
    broadcast.py    the table's stream -> clients    (broadcast)
    web.py          the page, over the HTTP API      (web)
    store.py        the table and its item layout
    delivery.py     posting to connections, 410 cleanup
    protocol.py     actions, events, validation, sanitising
    admin.py        python -m chat.admin ...
"""
