"""serverless.yml -> a typed `Service`: `load_service(path, stage=..., region=..., options=...)`.

Every problem is a `sockgate.errors.ConfigError` naming the file, the key path
(`functions.hello.events[0].websocket`) and the fix; never a traceback.

Variables (Serverless Framework v3 semantics, resolved on this machine):

- `${self:custom.table}` (any key of the file, resolved first; `${self:}` is the whole file),
  `${opt:stage}` (CLI options), `${sls:stage}` (CLI stage, then provider.stage, then "dev"),
  `${sls:instanceId}`, `${env:NAME}` (an empty or unset variable counts as missing),
  `${file(./config.yml):key.path}` / `${file(./x.json)}` (inside the service folder),
  `${aws:region}`, `${aws:accountId}` (000000000000 locally), `${aws:partition}`,
  `${strToBool(...)}`.
- Fallbacks after commas: `${opt:stage, self:provider.stage, 'dev'}`; a quoted string, a
  number, true/false/null, or another source. Variables nest:
  `${file(./config.${sls:stage}.json):CREDS}`.
- A variable that is the whole value keeps its type (a mapping, a number); inside a string it
  is interpolated. Circular references are errors.
- `${ssm:...}`, `${cf:...}`, `${s3:...}`, `${param:...}` need AWS and are errors locally: put
  an environment source first, `${env:TABLE, ssm:/chat/table}`, or use a default.
- CloudFormation's own `${AWS::Region}`, `${MyTable}`, `${!Literal}` in `Fn::Sub` are left
  alone (only `${lowercase-source:...}` is a Serverless variable).

CloudFormation intrinsics: YAML short tags (`!Ref`, `!GetAtt Table.Arn`, `!Sub`, `!Join`, ...)
load into the long form. Environment values, stream ARNs and resources keep intrinsics as
written; `sockgate.service.intrinsics.resolve_intrinsics` resolves `Ref`, `Fn::GetAtt`,
`Fn::Join`, `Fn::Sub`, `Fn::Select`, `Fn::Split` and `Fn::Base64` locally once the resources
exist (pseudo parameters included). `Fn::ImportValue` and conditions are errors that suggest
`${env:...}` for local runs.
"""

from sockgate.service.loader import load_service
from sockgate.service.model import (
    Authorizer,
    Function,
    HttpRoute,
    IntrinsicContext,
    ResourceAttrs,
    Service,
    StreamEvent,
    WebsocketRoute,
)

__all__ = [
    "Authorizer",
    "Function",
    "HttpRoute",
    "IntrinsicContext",
    "ResourceAttrs",
    "Service",
    "StreamEvent",
    "WebsocketRoute",
    "load_service",
]
