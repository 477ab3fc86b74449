"""What PATH holds, in the documented order (no sockets)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sockgate.errors import ConfigError
from sockgate.templates import find_source, has_serverless_config, load_path


def manifest(folder: Path, *stacks: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    artifacts = {
        name: {
            "type": "aws:cloudformation:stack",
            "environment": "aws://unknown-account/unknown-region",
            "properties": {"templateFile": f"{name}.template.json"},
        }
        for name in stacks
    }
    artifacts["Tree"] = {"type": "cdk:tree", "properties": {"file": "tree.json"}}
    (folder / "manifest.json").write_text(json.dumps({"version": "36.0.0", "artifacts": artifacts}))
    return folder


def test_serverless_yml_comes_first(tmp_path: Path) -> None:
    (tmp_path / "serverless.yml").write_text("service: x\n")
    (tmp_path / "template.yaml").write_text("Resources: {}\n")
    assert has_serverless_config(tmp_path)


def test_template_names_in_sam_clis_order(tmp_path: Path) -> None:
    (tmp_path / "template.json").write_text("{}")
    (tmp_path / "template.yml").write_text("")
    source = find_source(tmp_path)
    assert source.file == tmp_path / "template.yml"
    assert source.kind == "template"


def test_cdk_out_of_a_project_and_the_assembly_itself(tmp_path: Path) -> None:
    manifest(tmp_path / "cdk.out", "ChatStack")
    for path in (tmp_path, tmp_path / "cdk.out", tmp_path / "cdk.out" / "manifest.json"):
        source = find_source(path)
        assert source.file == tmp_path / "cdk.out" / "ChatStack.template.json"
        assert (source.kind, source.stack, source.region) == (
            "CDK cloud assembly",
            "ChatStack",
            None,
        )


def test_several_stacks_need_stack(tmp_path: Path) -> None:
    manifest(tmp_path, "Api", "Data")
    with pytest.raises(ConfigError, match=r"several stacks \(Api, Data\).*--stack"):
        find_source(tmp_path)
    assert find_source(tmp_path, stack="Data").stack == "Data"
    with pytest.raises(ConfigError, match="no such stack"):
        find_source(tmp_path, stack="Web")


def test_nothing_there_says_what_was_looked_for(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no serverless.yml, template.yaml"):
        load_path(tmp_path)


def test_a_template_named_otherwise_is_recognised(tmp_path: Path) -> None:
    other = tmp_path / "stack.yaml"
    other.write_text("Resources:\n  T: {Type: AWS::SNS::Topic}\n")
    assert not has_serverless_config(other)


def test_stacks_of_nested_assemblies_cdk_stages(tmp_path: Path) -> None:
    manifest(tmp_path / "assembly-Prod", "ProdChat")
    top = {
        "version": "36.0.0",
        "artifacts": {
            "assembly-Prod": {
                "type": "cdk:cloud-assembly",
                "properties": {"directoryName": "assembly-Prod", "displayName": "Prod"},
            }
        },
    }
    (tmp_path / "manifest.json").write_text(json.dumps(top))
    source = find_source(tmp_path)
    assert source.stack == "ProdChat"
    assert source.assembly == tmp_path / "assembly-Prod"
    assert find_source(tmp_path, stack="assembly-Prod/ProdChat").stack == "ProdChat"


def test_a_cdk_apps_state_lives_beside_cdk_out(tmp_path: Path) -> None:
    app = Path(__file__).resolve().parents[2] / "examples" / "cdk-chat"
    for path in (app, app / "cdk.out"):
        assert load_path(path).directory == app
