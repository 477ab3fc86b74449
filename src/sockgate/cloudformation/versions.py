"""`AWS::Lambda::Version` per function and its `QualifiedArn` output (`versionFunctions`).

CloudFormation cannot update a Version, so the Framework puts a digest of everything that
should make a new version into its logical id: new code or configuration, new id, new version;
neither, same id, nothing to do. The digest is the one of Serverless Framework 3's
`compile/functions.js` (the default since lambdaHashingVersion 20201221), so that a stack the
Framework deployed keeps its versions when sockgate packages the same code and configuration:

    base64(sha256(base64(sha256(zip)) + JSON.stringify(deepSortObjectByKey(properties))))

`properties` are the function's Properties without Code, ReservedConcurrentExecutions and Tags
(which change no version), plus `layerConfigurations: []` (sockgate packages no layers).
deepSortObjectByKey sorts keys with JavaScript's `localeCompare`, an ICU collation and not
code point order ("_" before letters, "a" before "B"), so `_collation_key` reproduces it.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from sockgate.cloudformation import naming
from sockgate.cloudformation.intrinsics import ref
from sockgate.service.model import Service

__all__ = ["version_digest", "version_resources"]

# Printable ASCII in ICU's root collation order, the default of Node's localeCompare
# (checked against Node 20). Both cases of a letter share a place: case only decides between
# strings that are otherwise equal, lower case first.
_ICU_ASCII_ORDER = " _-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$0123456789abcdefghijklmnopqrstuvwxyz"
_PRIMARY = {char: index for index, char in enumerate(_ICU_ASCII_ORDER)}
# Property names and environment variable names are ASCII; anything else sorts after ASCII by
# code point, which is where ICU puts most letters of other scripts, though not always in order.
_OTHER = len(_PRIMARY)

_UNVERSIONED = ("Code", "ReservedConcurrentExecutions", "Tags")


def _collation_key(text: str) -> tuple[tuple[int, ...], tuple[bool, ...]]:
    primary = tuple(_PRIMARY.get(char.lower(), _OTHER + ord(char)) for char in text)
    upper = tuple(char.isascii() and char.isupper() for char in text)
    return primary, upper


def _deep_sorted(value: Any) -> Any:
    """deepSortObjectByKey, with numbers as JSON.stringify writes them."""
    if isinstance(value, dict):
        return {
            key: _deep_sorted(value[key])
            for key in sorted(value, key=lambda key: _collation_key(str(key)))
        }
    if isinstance(value, list | tuple):
        return [_deep_sorted(item) for item in value]
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return int(value)  # JavaScript writes 6.0 as 6
    return value


def version_digest(code_sha256: str, properties: dict[str, Any]) -> str:
    """The Framework's version digest (base64) of a function's code hash (hex) and Properties."""
    hashed = {key: value for key, value in properties.items() if key not in _UNVERSIONED}
    hashed["layerConfigurations"] = []
    text = json.dumps(_deep_sorted(hashed), separators=(",", ":"), ensure_ascii=False)
    digest = hashlib.sha256(_base64_sha256(code_sha256).encode() + text.encode())
    return base64.b64encode(digest.digest()).decode()


def _base64_sha256(code_sha256: str) -> str:
    # Lambda's CodeSha256 (and the Framework's file hash) is the base64 of the digest.
    return base64.b64encode(bytes.fromhex(code_sha256)).decode()


def version_resources(
    service: Service, functions: dict[str, Any], code_sha256: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Resources and outputs for every function with `version` set.

    functions: the generated resources by logical id (the functions among them are read, before
    `resources:` overrides, as the Framework hashes them); code_sha256: hex SHA-256 of the zip.
    """
    resources: dict[str, Any] = {}
    outputs: dict[str, Any] = {}
    for fn in service.functions.values():
        if not fn.version:
            continue
        function_id = naming.lambda_function(fn.key)
        properties = functions[function_id]["Properties"]
        version_id = naming.lambda_version(fn.key, version_digest(code_sha256, properties))
        version: dict[str, Any] = {
            "FunctionName": ref(function_id),
            "CodeSha256": _base64_sha256(code_sha256),
        }
        if fn.description:
            version["Description"] = fn.description
        resources[version_id] = {
            "Type": "AWS::Lambda::Version",
            # Kept when a later deploy moves to a new version: something may still invoke
            # this one (an alias, an event source). They go when the function goes.
            "DeletionPolicy": "Retain",
            "Properties": version,
        }
        outputs[naming.lambda_version_output(fn.key)] = {
            "Description": "Current Lambda function version",
            "Value": ref(version_id),
        }
    return resources, outputs
