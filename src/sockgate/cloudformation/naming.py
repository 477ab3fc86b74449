"""CloudFormation logical ids, named exactly as the Serverless Framework names them.

A stack first deployed with the Framework can then be updated by sockgate only if every
resource keeps its logical id (a renamed id is a delete plus a create: a new API id, a new
wss:// URL). The rules mirror `lib/plugins/aws/lib/naming.js` of serverless/serverless.
"""

from __future__ import annotations

import re

__all__ = [
    "DEPLOYMENT_BUCKET",
    "DEPLOYMENT_BUCKET_OUTPUT",
    "DEPLOYMENT_BUCKET_POLICY",
    "HTTP_API",
    "HTTP_API_STAGE",
    "ROLE",
    "WEBSOCKETS_API",
    "WEBSOCKETS_STAGE",
    "function_name",
    "http_api_integration",
    "http_api_permission",
    "http_api_route",
    "lambda_function",
    "lambda_version",
    "lambda_version_output",
    "log_group",
    "normalize_name",
    "normalize_name_alphanumeric",
    "normalize_path",
    "stream_mapping",
    "websockets_authorizer",
    "websockets_deployment",
    "websockets_integration",
    "websockets_permission",
    "websockets_route",
    "websockets_route_key",
    "websockets_route_response",
]

ROLE = "IamRoleLambdaExecution"
DEPLOYMENT_BUCKET = "ServerlessDeploymentBucket"
DEPLOYMENT_BUCKET_POLICY = "ServerlessDeploymentBucketPolicy"
DEPLOYMENT_BUCKET_OUTPUT = "ServerlessDeploymentBucketName"
WEBSOCKETS_API = "WebsocketsApi"
WEBSOCKETS_STAGE = "WebsocketsDeploymentStage"
HTTP_API = "HttpApi"
HTTP_API_STAGE = "HttpApiStage"

_NON_ALPHANUMERIC = re.compile(r"[^0-9A-Za-z]")


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def normalize_name(name: str) -> str:
    """lodash upperFirst: "connect" -> "Connect"."""
    return _upper_first(name)


def normalize_name_alphanumeric(name: str) -> str:
    """Drop every character but [0-9A-Za-z], then upper-case the first."""
    return normalize_name(_NON_ALPHANUMERIC.sub("", name))


def function_name(key: str) -> str:
    """getNormalizedFunctionName: "send-message_v2" -> "SendDashmessageUnderscorev2"."""
    return normalize_name(key.replace("-", "Dash").replace("_", "Underscore"))


def _path_part(part: str) -> str:
    # lodash capitalize lower-cases everything after the first character.
    text = part[:1].upper() + part[1:].lower()
    text = text.replace("-", "Dash")
    text = re.sub(r"\{(.*)\}", r"\1Var", text)
    return _upper_first(_NON_ALPHANUMERIC.sub("", text))


def normalize_path(path: str) -> str:
    """normalizePath: "GET /pages/{id}" -> "GetPagesIdVar"."""
    return "".join(_path_part(part) for part in path.split("/"))


def lambda_function(key: str) -> str:
    return f"{function_name(key)}LambdaFunction"


def lambda_version(key: str, digest: str) -> str:
    """getLambdaVersionLogicalId: the function's name, LambdaVersion, the digest's [0-9A-Za-z]."""
    return f"{function_name(key)}LambdaVersion{_NON_ALPHANUMERIC.sub('', digest)}"


def lambda_version_output(key: str) -> str:
    """getLambdaVersionOutputLogicalId: "ConnectLambdaFunctionQualifiedArn"."""
    return f"{lambda_function(key)}QualifiedArn"


def log_group(key: str) -> str:
    return f"{function_name(key)}LogGroup"


def websockets_integration(key: str) -> str:
    return f"{function_name(key)}WebsocketsIntegration"


def websockets_permission(key: str) -> str:
    return f"{function_name(key)}LambdaPermissionWebsockets"


def websockets_authorizer(name: str) -> str:
    return f"{function_name(name)}WebsocketsAuthorizer"


def websockets_route_key(route_key: str) -> str:
    """getNormalizedWebsocketsRouteKey: "$connect" -> "Sconnect" (no upper-casing)."""
    text = (
        route_key.replace("$", "S")
        .replace("/", "Slash")
        .replace("-", "Dash")
        .replace("_", "Underscore")
        .replace(".", "Period")
    )
    # The Framework stops here; any other character (a space, a colon) would make an id
    # CloudFormation rejects, so it is dropped rather than passed on.
    return _NON_ALPHANUMERIC.sub("", text)


def websockets_route(route_key: str) -> str:
    return f"{websockets_route_key(route_key)}WebsocketsRoute"


def websockets_route_response(route_key: str) -> str:
    return f"{websockets_route(route_key)}Response"


def websockets_deployment(digest: str) -> str:
    return f"WebsocketsDeployment{_NON_ALPHANUMERIC.sub('', digest)}"


def http_api_integration(key: str) -> str:
    return f"HttpApiIntegration{function_name(key)}"


def http_api_route(route_key: str) -> str:
    """getHttpApiRouteLogicalId: "*" -> "HttpApiRouteDefault", "GET /a" -> "HttpApiRouteGetA"."""
    if route_key == "*":
        return "HttpApiRouteDefault"
    return f"HttpApiRoute{normalize_path(route_key)}"


def http_api_permission(key: str) -> str:
    return f"{function_name(key)}LambdaPermissionHttpApi"


def stream_mapping(key: str, stream_type: str, stream_name: str) -> str:
    """getStreamLogicalId: ConnectEventSourceMappingDynamodbConnectionsTable."""
    return (
        f"{function_name(key)}EventSourceMapping{normalize_name(stream_type)}"
        f"{normalize_name_alphanumeric(stream_name)}"
    )
