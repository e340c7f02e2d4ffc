"""Helpers for the data-tier tests: mocked ids/ARNs of graph resources and one cached variant graph."""

import copy
from functools import lru_cache

from tests.helpers import one, stack_settings
from tools.mock_outputs import outputs_for
from tools.preview import build_graph

ACCOUNT = "123456789012"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SG = "aws:ec2/securityGroup:SecurityGroup"
KEY = "aws:kms/key:Key"


def state_of(graph: dict, type_: str, name: str) -> dict:
    """What the mocks answered for a resource (id, arn, endpoints...), as other resources see it."""
    resource = one(graph, type_, name)
    region = resource["inputs"].get("region", "us-east-1")
    resource_id, state = outputs_for(type_, name, resource["inputs"], region, ACCOUNT)
    return {**state, "id": resource_id}


def app_sg_id(graph: dict) -> str:
    return state_of(graph, SG, "network-app")["id"]


def key_arn(graph: dict, backup: bool = False) -> str:
    return state_of(graph, KEY, "encryption-backup" if backup else "encryption")["arn"]


def component_urn(graph: dict, type_: str, name: str) -> str:
    return one(graph, type_, name)["urn"]


@lru_cache(maxsize=None)
def prod_variant() -> dict:
    """Prod with the optional features on: RDS Proxy, object lock (compliance, 30 days), a secret override."""
    settings = copy.deepcopy(stack_settings("prod"))
    settings["database"]["proxy"] = True
    settings["backups"]["objectLock"] = "compliance"
    settings["backups"]["objectLockDays"] = 30
    return build_graph("prod", settings=settings)


def client_sg_ids(graph: dict) -> dict[str, str]:
    """The ids of the service groups the DataTier graphs let in (tests/data_tier_graph.py CLIENTS)."""
    from tests.data_tier_graph import CLIENTS

    return {name: state_of(graph, SG, f"{name}-sg")["id"] for name in CLIENTS}


def tasks_sg_id(graph: dict) -> str:
    """The data tier's own tasks group (pg_dump, database users)."""
    return state_of(graph, SG, "data-tasks-sg")["id"]


def data_variant() -> dict:
    """Prod's DataTier with the optional features on: RDS Proxy (password auth), object lock (compliance, 30 d)."""
    from tests.data_tier_graph import with_changes

    settings = stack_settings("prod")
    return with_changes("prod", database={**settings["database"], "proxy": True},
                        backups={**settings["backups"], "objectLock": "compliance", "objectLockDays": 30})
