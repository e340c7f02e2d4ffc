"""nodeapi: load the stack's settings, build the components, export the outputs."""

import pulumi
import pulumi_aws as aws

from components.cluster import Cluster, ClusterArgs
from components.network import Network, NetworkArgs
from settings import SettingsError, load_settings

try:
    settings = load_settings(pulumi.get_project())
except SettingsError as error:
    raise pulumi.RunError(str(error)) from None

stack = pulumi.get_stack()
provider = aws.Provider(
    "aws",
    region=settings.region,
    default_tags={"tags": {"project": pulumi.get_project(), "stack": stack,
                           "environment": settings.environment, "managed-by": "pulumi", **settings.tags}},
)
children = pulumi.ResourceOptions(providers={"aws": provider})
account_id = aws.get_caller_identity(opts=pulumi.InvokeOptions(provider=provider)).account_id

network = Network(
    "network",
    NetworkArgs(
        cidr=settings.network.cidr,
        az_count=settings.network.az_count,
        nat_strategy=settings.network.nat_strategy,
        interface_endpoints=settings.network.interface_endpoints,
        flow_logs_retention_days=settings.network.flow_logs_retention_days,
        region=settings.region,
        account_id=account_id,
    ),
    children,
)

cluster = Cluster(
    "cluster",
    ClusterArgs(container_insights="enhanced" if settings.is_production else "enabled"),
    children,
)

# --- data tier ---

# --- service tier ---

# --- observability ---

pulumi.export("region", settings.region)
pulumi.export("backupRegion", settings.backup_region)
pulumi.export("vpcId", network.vpc_id)
pulumi.export("privateSubnetIds", network.private_subnet_ids)
pulumi.export("isolatedSubnetIds", network.isolated_subnet_ids)
pulumi.export("clusterName", cluster.cluster_name)
