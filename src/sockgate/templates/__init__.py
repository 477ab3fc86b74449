"""CloudFormation templates, SAM templates and CDK cloud assemblies -> the same `Service`.

`load_path(path, ...)` is what `sockgate dev PATH` runs: PATH's serverless.yml when it has
one, else `load_template(path, template=, stack=, parameters=, stage=, region=)`, which finds
what PATH holds (see `locate.py`), applies SAM's transform with aws-sam-translator when the
template asks for it, settles parameters, conditions and mappings (`prepass.py`), and reads
plain CloudFormation into the typed Service that `sockgate dev`, the pytest plugin and
everything downstream run, exactly as they run a serverless.yml. docs/templates.md lists the
resource types and properties read, and those listed as not run.
"""

from sockgate.templates.build import load_template
from sockgate.templates.dispatch import load_path
from sockgate.templates.locate import Source, find_source, has_serverless_config

__all__ = ["Source", "find_source", "has_serverless_config", "load_path", "load_template"]
