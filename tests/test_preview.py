"""The offline preview: JSON shape, parents, determinism, secrets masked, tree view, errors."""

import json
import re

import pulumi
import pulumi_aws as aws
import pytest

from tests.helpers import ROOT
from tools.preview import PreviewError, build_graph, load_stack_config, main, record, to_json

RESOURCE_KEYS = {"urn", "type", "name", "parent", "custom", "inputs", "options"}
OPTION_KEYS = {"protect", "ignoreChanges", "dependsOn", "retainOnDelete", "deleteBeforeReplace", "provider"}


def test_json_has_the_contract_shape(stack_graph):
    assert set(stack_graph) == {"project", "stack", "resources", "outputs"}
    assert stack_graph["project"] == "nodeapi"
    for resource in stack_graph["resources"]:
        assert set(resource) == RESOURCE_KEYS
        # aliases and customTimeouts: only when the program sets them
        assert set(resource["options"]) - {"aliases", "customTimeouts"} == OPTION_KEYS
        assert resource["type"].count(":") == 2 and resource["urn"].startswith(f"urn:pulumi:{stack_graph['stack']}::nodeapi::")
        assert isinstance(resource["options"]["ignoreChanges"], list) and isinstance(resource["options"]["dependsOn"], list)
    assert [r["urn"] for r in stack_graph["resources"]] == sorted(r["urn"] for r in stack_graph["resources"])


def test_every_resource_but_providers_has_a_component_parent(stack_graph):
    by_urn = {r["urn"]: r for r in stack_graph["resources"]}
    for resource in stack_graph["resources"]:
        if resource["type"].startswith("pulumi:providers:") or not resource["custom"]:
            continue
        assert resource["parent"] in by_urn, resource["urn"]
        assert by_urn[resource["parent"]]["custom"] is False, resource["urn"]


def test_cli_json_is_byte_identical_across_runs(prod_cli_json, prod):
    """One CLI run (its own process and hash seed), the session's build and a fresh one: same bytes."""
    graph = json.loads(prod_cli_json)
    assert graph["stack"] == "prod" and graph["resources"]
    assert prod_cli_json == to_json(prod) == to_json(build_graph("prod"))


def test_secure_config_values_are_masked(tmp_path):
    (tmp_path / "Pulumi.demo.yaml").write_text(
        "config:\n  aws:region: us-east-1\n  nodeapi:apiKey:\n    secure: v1:AAAA\n"
        "  nodeapi:settings:\n    nested:\n      token:\n        secure: v1:BBBB\n    flag: true\n"
        "  nodeapi:enabled: true\n  nodeapi:count: 3\n"
    )
    config, secret_keys = load_stack_config("demo", "nodeapi", tmp_path)
    assert config == {"aws:region": "us-east-1", "nodeapi:apiKey": "[secret]",
                      "nodeapi:settings": '{"nested": {"token": "[secret]"}, "flag": true}',
                      "nodeapi:enabled": "true", "nodeapi:count": "3"}
    assert sorted(secret_keys) == ["nodeapi:apiKey", "nodeapi:settings"]


def test_secret_inputs_and_outputs_show_as_secret():
    def build():
        provider = aws.Provider("aws", region="us-east-1")
        secret = aws.secretsmanager.Secret("s", opts=pulumi.ResourceOptions(provider=provider))
        aws.secretsmanager.SecretVersion("v", secret_id=secret.id, secret_string=pulumi.Output.secret("hunter2"),
                                         opts=pulumi.ResourceOptions(provider=provider))
        pulumi.export("password", pulumi.Output.secret("hunter2"))
        pulumi.export("plain", "visible")

    graph = record(build)
    version = next(r for r in graph["resources"] if r["name"] == "v")
    assert version["inputs"]["secretString"] == "[secret]"
    assert graph["outputs"] == {"password": "[secret]", "plain": "visible"}
    assert "hunter2" not in to_json(graph)


def test_unknown_stack_is_refused_with_the_known_ones():
    with pytest.raises(PreviewError) as caught:
        build_graph("qa")
    assert str(caught.value) == "no stack 'qa': Pulumi.qa.yaml not found; stacks: prod, staging"
    assert caught.value.exit_code == 2


def test_tree_groups_resources_by_component(capsys):
    assert main(["staging"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("nodeapi · staging: ")
    assert "\nnetwork  [nodeapi:network:Network]  " in text
    assert "  aws:ec2/subnet:Subnet" in text and "cidrBlock=10.30.0.0/20  availabilityZone=us-east-1a" in text
    assert "\noutputs:\n" in text


def test_outputs_contract_doc_lists_exactly_the_stack_outputs(stack_graph):
    doc = (ROOT / "docs" / "outputs.md").read_text()
    top, services = doc.split("### `services.<name>`")[0], doc.split("### `services.<name>`")[1].split("###")[0]
    rows = re.findall(r"^\| `(\w+)` \| ", top, flags=re.MULTILINE)
    # Keys a stack exports only with an optional section are described below the table ("is exported only when").
    conditional = set(re.findall(r"^`(\w+)` \(.*?\) is exported only when", doc, flags=re.MULTILINE))
    assert conditional == {"cdn", "hostedZoneId"}
    assert sorted(rows) == sorted(set(stack_graph["outputs"]) - conditional)
    documented = set(re.findall(r"`(\w+)`", "".join(re.findall(r"^\| (`.*?) \|", services, flags=re.MULTILINE))))
    for name, entry in stack_graph["outputs"]["services"].items():
        assert set(entry) <= documented, (name, set(entry) - documented)


def test_every_ops_command_finds_its_keys_in_the_stack_outputs(stack_graph):
    from ops.outputs import REQUIRED, type_problem

    for command, keys in REQUIRED.items():
        missing = [key for key in keys if key not in stack_graph["outputs"]]
        assert not missing, f"{command}: {missing}"
        assert [type_problem(key, stack_graph["outputs"][key]) for key in keys] == [None] * len(keys), command
