"""Every policy rule over the mocked graph of both real stacks: prod is clean (mandatory), staging's advisories listed."""

import copy
import json

import pytest

from policy.rules import violations
from tools.preview import build_graph

# Advisory violations staging is known to have; a new one shows up here in review.
STAGING_ADVISORIES: list[tuple[str, str, str]] = []


@pytest.fixture(scope="module")
def graphs() -> dict[str, dict]:
    return {stack: build_graph(stack) for stack in ("staging", "prod")}


def test_prod_has_no_violations(graphs):
    assert violations(graphs["prod"], "prod") == []


def test_staging_advisories_are_the_known_ones(graphs):
    assert violations(graphs["staging"], "staging") == STAGING_ADVISORIES


def test_staging_judged_by_prod_rules_shows_its_deliberate_relaxations(graphs):
    found = violations(graphs["staging"], "prod")
    assert sorted({rule for rule, _, _ in found}) == ["rds-backup-retention", "rds-deletion-safety", "stateful-protected"]


def _set(graph: dict, resource_type: str, name: str, change) -> dict:
    """A copy of the graph with `change(inputs)` applied to one resource."""
    graph = copy.deepcopy(graph)
    for resource in graph["resources"]:
        if resource["type"] == resource_type and resource["name"] == name:
            change(resource["inputs"])
    return graph


def _writable_root(inputs: dict) -> None:
    containers = json.loads(inputs["containerDefinitions"])
    containers[0]["readonlyRootFilesystem"] = False
    inputs["containerDefinitions"] = json.dumps(containers)


BREAKS = {
    "public database": ("aws:rds/instance:Instance", "database", lambda i: i.update(publiclyAccessible=True), ["rds-not-public"]),
    "plaintext cache": ("aws:elasticache/replicationGroup:ReplicationGroup", "cache",
                        lambda i: i.update(transitEncryptionEnabled=False), ["elasticache-encryption"]),
    "writable dump container": ("aws:ecs/taskDefinition:TaskDefinition", "db-dump-task", _writable_root,
                                ["ecs-read-only-root"]),
    "writable web container": ("aws:ecs/taskDefinition:TaskDefinition", "web-task", _writable_root,
                               ["ecs-read-only-root"]),
    "bucket without public access block": (
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "access-logs-public-access-block",
        lambda i: i.update(bucket="elsewhere"), ["s3-bucket-settings"]),
    "bucket policy without the TLS deny": (
        "aws:s3/bucketPolicy:BucketPolicy", "backup-bucket-policy",
        lambda i: i.update(policy=json.dumps({"Version": "2012-10-17", "Statement": []})), ["s3-tls-only"]),
}


@pytest.mark.parametrize("resource_type, name, change, rules", BREAKS.values(), ids=BREAKS.keys())
def test_a_broken_prod_resource_is_caught(graphs, resource_type, name, change, rules):
    assert [rule for rule, _, _ in violations(_set(graphs["prod"], resource_type, name, change), "prod")] == rules
