"""The DataTier alone (with the real network and cluster) under the recording mocks, from a real stack's settings."""

import copy
import json
from functools import lru_cache

import pulumi
import pulumi_aws as aws

from settings import parse_settings
from tests.helpers import stack_settings
from tools.preview import record

ACCOUNT = "123456789012"
CLIENTS = ("web", "worker")  # the app services whose security groups the data tier lets in


def settings_for(stack: str, changes: str = "{}"):
    """A real stack's settings, sections replaced from a JSON object (hashable, so graphs can be cached)."""
    raw = copy.deepcopy(stack_settings(stack))
    for key, value in json.loads(changes).items():
        if key.startswith("_"):  # build options, not settings
            continue
        if value is None:
            # The current model still requires `cache`: keep it for parsing, the DataTier gets None (absent).
            if key != "cache":
                raw.pop(key, None)
        elif key != "storage":  # not in the current model: parsed on its own below
            raw[key] = value
    return parse_settings(raw, f"{stack} (test)"), json.loads(changes)


class Sections:
    """The stack settings as the DataTier reads them, with `cache` possibly absent and the `storage` section the
    model does not have yet."""

    def __init__(self, settings, storage, cache):
        self._settings, self.storage, self.cache = settings, storage, cache

    def __getattr__(self, name):
        return getattr(self._settings, name)


@lru_cache(maxsize=None)
def data_graph(stack: str, changes: str = "{}") -> dict:
    """The graph of Network + Encryption + Cluster + two service groups + DataTier("data"), outputs exported."""
    from components.cluster import Cluster, ClusterArgs
    from components.data_tier import DataTier, DataTierArgs
    from components.encryption import Encryption, EncryptionArgs
    from components.network import Network, NetworkArgs
    from settings.storage import StorageSettings

    settings, raw = settings_for(stack, changes)
    storage = StorageSettings.model_validate(raw.get("storage", {}))
    cache = None if raw.get("cache", "") is None else settings.cache
    prefix = f"nodeapi-{stack}"
    found: dict = {}

    def build():
        net = settings.network
        network = Network("network", NetworkArgs(
            cidr=net.cidr, az_count=net.az_count, nat_strategy=net.nat_strategy,
            interface_endpoints=net.interface_endpoints, flow_logs_retention_days=net.flow_logs_retention_days,
            region=settings.region, account_id=ACCOUNT))
        encryption = Encryption("encryption", EncryptionArgs(
            alias=prefix, region=settings.region, backup_region=settings.backup_region, account_id=ACCOUNT,
            protect=settings.is_production))
        cluster = Cluster("cluster", ClusterArgs(cluster_name=prefix, container_insights="enabled",
                                                 kms_key_arn=encryption.key_arn))
        clients = {name: aws.ec2.SecurityGroup(f"{name}-sg", vpc_id=network.vpc_id, description=name)
                   for name in CLIENTS}
        data = DataTier("data", DataTierArgs(
            settings=Sections(settings, storage, cache), prefix=prefix, stack=stack, account_id=ACCOUNT,
            encryption=encryption, vpc_id=network.vpc_id, isolated_subnet_ids=network.isolated_subnet_ids,
            private_subnet_ids=network.private_subnet_ids, cluster_arn=cluster.arn, client_security_groups=clients,
            ready=[network]))
        found["data"] = data
        if raw.get("_extraBackups"):
            data.add_backup_resources("volumes", raw["_extraBackups"])
        pulumi.export("appSecretFirstValue", pulumi.Output.unsecret(data.app_user.initial_value))
        for key, value in data.outputs.items():
            pulumi.export(key, value)
        for service in ("all",) + CLIENTS:
            wiring = data.wiring if service == "all" else data.service_wiring(service)
            pulumi.export(f"wiring:{service}", {
                "environment": wiring.environment, "secrets": wiring.secrets, "secretArns": wiring.secret_arns,
                "kmsKeyArns": wiring.kms_key_arns, "taskRoleStatements": wiring.task_role_statements})

    graph = record(build, stack=stack)
    graph["component"] = found["data"]
    return graph


def with_changes(stack: str, **sections) -> dict:
    """data_graph with settings sections replaced (None: the section removed); `_extraBackups`: ARNs passed to
    `add_backup_resources("volumes", ...)` after the build."""
    return data_graph(stack, json.dumps(sections, sort_keys=True))


def use_data_tier_graphs(namespace: dict) -> None:
    """Make a test module's `prod`, `staging` and `stack_graph` fixtures the DataTier graphs (same names, so the
    assertions read as before the program was split into services)."""
    import pytest

    @pytest.fixture
    def prod(data_prod):
        return data_prod

    @pytest.fixture
    def staging(data_staging):
        return data_staging

    @pytest.fixture(params=["staging", "prod"])
    def stack_graph(request):
        return data_graph(request.param)

    namespace.update(prod=prod, staging=staging, stack_graph=stack_graph)
