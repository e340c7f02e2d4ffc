"""Load the stack's settings, compose the network, data, edge, app and observability, export the outputs."""

from pathlib import Path

import pulumi
import pulumi_aws as aws

from components.alias_records import AliasRecords, AliasRecordsArgs, alias_specs
from components.app import App, AppArgs
from components.certificates import Certificates, CertificatesArgs, ZoneLookupError, zone_id_of
from components.cluster import Cluster, ClusterArgs
from components.data_tier import DataTier, DataTierArgs
from components.edge import Edge, EdgeArgs
from components.encryption import Encryption, EncryptionArgs
from components.frontends import Frontends, FrontendsArgs
from components.network import Network, NetworkArgs
from components.notifications import Notifications, NotificationsArgs, Subscribers
from components.office_hours import OfficeHours, office_hours_args
from components.observability import Observability, ObservabilityArgs
from components.providers import US_EAST_1, aws_provider, default_tags, needs_us_east_1
from components.service_groups import ServiceGroups, ServiceGroupsArgs
from components.stack_names import StackNames
from components.volumes import Volumes, VolumesArgs
from components.stack_outputs import export_all, job_outputs, service_outputs
from settings import SettingsError, load_settings
from settings.domain import alias_places, certificate_places

try:
    settings = load_settings(pulumi.get_project())
except SettingsError as error:
    raise pulumi.RunError(str(error)) from None

names = StackNames(settings.app.name or pulumi.get_project(), pulumi.get_stack())
tags = default_tags(settings, names)
provider = aws_provider("aws", settings.region, tags, settings.account_id)
us_east_1 = aws_provider(f"aws-{US_EAST_1}", US_EAST_1, tags, settings.account_id) if needs_us_east_1(settings) \
    else None
children = pulumi.ResourceOptions(providers={"aws": provider})
account_id = aws.get_caller_identity(opts=pulumi.InvokeOptions(provider=provider)).account_id
net = settings.network

encryption = Encryption("encryption", EncryptionArgs(
    alias=names.prefix, region=settings.region, backup_region=settings.backup_region, account_id=account_id,
    protect=settings.is_production), children)
notifications = Notifications("notifications", NotificationsArgs(
    prefix=names.prefix, kms_key_arn=encryption.key_arn,
    warning=Subscribers.from_settings(settings.alarms.notifications.warning),
    critical=Subscribers.from_settings(settings.alarms.notifications.critical)), children)
network = Network("network", NetworkArgs(
    cidr=net.cidr, az_count=net.az_count, nat_strategy=net.nat_strategy, interface_endpoints=net.interface_endpoints,
    flow_logs_retention_days=net.flow_logs_retention_days, region=settings.region, account_id=account_id,
    nat_instance=net.nat_instance_options(), flow_logs_class=net.flow_logs_class, name_prefix=names.prefix,
    instance_tags=tags, warning_topic_arn=notifications.warning_topic_arn,
    critical_topic_arn=notifications.critical_topic_arn), children)
cluster = Cluster("cluster", ClusterArgs(
    cluster_name=names.cluster(), container_insights=settings.cluster.container_insights_level(settings.is_production),
    kms_key_arn=encryption.key_arn), children)
groups = ServiceGroups("service-groups", ServiceGroupsArgs(
    vpc_id=network.vpc_id, ports={name: s.port for name, s in settings.services.items()},
    connects_to={name: list(s.connects_to) for name, s in settings.services.items()}), children)
volumes = Volumes("volumes", VolumesArgs(
    settings=settings, prefix=names.prefix, kms_key_arn=encryption.key_arn, vpc_id=network.vpc_id,
    subnet_ids=network.private_subnet_ids, service_groups=groups.groups), children)
data = DataTier("data", DataTierArgs(
    settings=settings, prefix=names.prefix, stack=names.stack, account_id=account_id, encryption=encryption,
    vpc_id=network.vpc_id, isolated_subnet_ids=network.isolated_subnet_ids,
    private_subnet_ids=network.private_subnet_ids, client_security_groups=groups.groups, ready=[network],
    cluster_arn=cluster.arn, backup_resource_arns=volumes.backup_arns), children)
network.admit_to_endpoints("data-tasks", data.tasks_security_group)
try:
    zone_id = zone_id_of(settings.domain, provider) if settings.domain else None
except ZoneLookupError as error:
    raise pulumi.RunError(str(error)) from None
certificates = Certificates("certificates", CertificatesArgs(
    prefix=names.prefix, zone_id=zone_id, places=certificate_places(settings), us_east_1=us_east_1),
    children) if settings.domain else None
managed_certificates = certificates.arns if certificates else {}
edge = Edge("edge", EdgeArgs(
    settings=settings, names=names, account_id=account_id, vpc_id=network.vpc_id,
    public_subnet_ids=network.public_subnet_ids, service_groups=groups.groups, kms_key_arn=encryption.key_arn,
    certificate_arn=managed_certificates.get("api", settings.load_balancer.certificate_arn)),
    children) if settings.load_balancer else None
app = App("app", AppArgs(
    settings=settings, names=names, account_id=account_id, project_dir=str(Path(__file__).parent), cluster=cluster,
    private_subnet_ids=network.private_subnet_ids, app_security_group_id=network.app_security_group.id,
    service_groups=groups.groups, data=data, kms_key_arn=encryption.key_arn,
    routes=edge.routes if edge else {}, load_balancer_arn_suffix=edge.load_balancer.arn_suffix if edge else None,
    https_listener_arn=edge.load_balancer.https_listener_arn if edge else None, volumes=volumes.volumes), children)
frontends = Frontends("frontends", FrontendsArgs(
    settings=settings, names=names, account_id=account_id, project_dir=str(Path(__file__).parent),
    alb_dns_name=edge.load_balancer.dns_name if edge else None, certificate_arns=managed_certificates), children)
dns = AliasRecords("dns", AliasRecordsArgs(
    zone_id=zone_id, aliases=alias_specs(alias_places(settings), edge and edge.load_balancer, frontends)),
    children) if settings.domain else None
observability = Observability("observability", ObservabilityArgs(
    settings=settings, names=names, kms_key_arn=encryption.key_arn, app=app, edge=edge, data=data,
    cluster_name=cluster.cluster_name, notifications=notifications), children)
if settings.schedule.office_hours is not None:
    OfficeHours("office-hours", office_hours_args(settings, names, app, network, account_id), children)

mode, subnets, app_group = settings.maintenance, network.private_subnet_ids, network.app_security_group.id
services = service_outputs(settings, app, edge, subnets, app_group, groups.group_ids)
export_all({
    "region": settings.region, "backupRegion": settings.backup_region, "vpcId": network.vpc_id,
    "privateSubnetIds": subnets, "isolatedSubnetIds": network.isolated_subnet_ids,
    "clusterName": cluster.cluster_name, "execLogGroupName": cluster.exec_log_group_name,
    **data.outputs, "backupKmsKeyArn": encryption.backup_key_arn,
    **({"url": f"https://{settings.api_host}", "certificateArn": edge.load_balancer.certificate_arn,
        "albArn": edge.load_balancer.arn,
        "albDnsName": edge.load_balancer.dns_name, "httpsListenerArn": edge.load_balancer.https_listener_arn,
        "testListenerArn": edge.load_balancer.test_listener_arn,
        "maintenanceAdminService": mode.admin_service or min(edge.routes),
        "maintenanceAdminPaths": list(mode.admin_paths), "maintenanceAllowedCidrs": list(mode.allowed_cidrs)}
       if edge else {}),
    "repositoryUrls": {owner: image.repository_url for owner, image in app.images.items()},
    "services": services,
    "jobs": job_outputs(settings, app, subnets, app_group, groups.group_ids),
    **({"hostedZoneId": zone_id} if settings.domain else {}),
    **frontends.outputs,
    **observability.outputs,
})
