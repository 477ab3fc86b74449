"""Templates written into a temporary folder, with the handler files they name."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sockgate.service.model import Service
from sockgate.templates import load_template

HANDLER = "def handler(event, context):\n    return {'statusCode': 200}\n"


def write_project(
    folder: Path, template: str | dict[str, Any], files: dict[str, str] | None = None
) -> Path:
    """template.yaml (text) or template.json (a mapping) plus handler files; returns the file."""
    folder.mkdir(parents=True, exist_ok=True)
    if isinstance(template, dict):
        path = folder / "template.json"
        path.write_text(json.dumps(template))
    else:
        path = folder / "template.yaml"
        path.write_text(template)
    for name, text in (files or {}).items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return path


def load(
    folder: Path,
    template: str | dict[str, Any],
    files: dict[str, str] | None = None,
    **options: Any,
) -> Service:
    """Write a project and read it."""
    write_project(folder, template, files)
    return load_template(folder, **options)


# A plain CloudFormation WebSocket API: one function behind $connect and $default.
WEBSOCKET = r"""
Resources:
  Api:
    Type: AWS::ApiGatewayV2::Api
    Properties:
      Name: chat
      ProtocolType: WEBSOCKET
      RouteSelectionExpression: $request.body.action
  ConnectRoute:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      ApiId: !Ref Api
      RouteKey: $connect
      Target: !Join [/, [integrations, !Ref Integ]]
  DefaultRoute:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      ApiId: !Ref Api
      RouteKey: $default
      Target: !Sub integrations/${Integ}
  Integ:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Api
      IntegrationType: AWS_PROXY
      IntegrationUri: !Sub "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/\
        functions/${Fn.Arn}/invocations"
  Stage:
    Type: AWS::ApiGatewayV2::Stage
    Properties:
      ApiId: !Ref Api
      StageName: prod
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Code: src
"""


def service_name(folder: Path) -> str:
    """The stack name a template in `folder` gets: the folder's name, '-' for the rest."""
    return folder.name.replace("_", "-")
