"""The human view of the preview: resources grouped by component, with their key properties."""

from typing import Any

# Inputs worth a glance per type; other types show their first few scalar inputs.
KEY_PROPS: dict[str, tuple[str, ...]] = {
    "pulumi:providers:aws": ("region",),
    "aws:ec2/vpc:Vpc": ("cidrBlock",),
    "aws:ec2/subnet:Subnet": ("cidrBlock", "availabilityZone"),
    "aws:ec2/route:Route": ("destinationCidrBlock",),
    "aws:ec2/vpcEndpoint:VpcEndpoint": ("serviceName", "vpcEndpointType"),
    "aws:ec2/flowLog:FlowLog": ("trafficType", "logDestinationType"),
    "aws:cloudwatch/logGroup:LogGroup": ("retentionInDays",),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": ("fromPort", "cidrIpv4", "description"),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": ("ipProtocol", "cidrIpv4", "description"),
    "aws:kms/key:Key": ("enableKeyRotation", "region"),
    "aws:rds/instance:Instance": ("identifier", "instanceClass", "multiAz", "backupRetentionPeriod", "deletionProtection"),
    "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication": ("region", "retentionPeriod"),
    "aws:rds/proxy:Proxy": ("name", "requireTls"),
    "aws:elasticache/replicationGroup:ReplicationGroup": ("replicationGroupId", "engine", "nodeType", "numCacheClusters",
                                                          "multiAzEnabled"),
    "aws:s3/bucket:Bucket": ("bucket", "region"),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": ("bucket",),
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig": ("bucket",),
    "aws:backup/vault:Vault": ("name", "region"),
    "aws:backup/plan:Plan": ("name",),
    "aws:ecs/taskDefinition:TaskDefinition": ("family", "cpu", "memory"),
    "aws:scheduler/schedule:Schedule": ("name", "scheduleExpression"),
    "aws:secretsmanager/secret:Secret": ("name", "recoveryWindowInDays"),
    "aws:lb/loadBalancer:LoadBalancer": ("name", "internal", "enableDeletionProtection"),
    "aws:lb/listener:Listener": ("port", "protocol", "sslPolicy"),
    "aws:lb/listenerRule:ListenerRule": ("priority",),
    "aws:lb/targetGroup:TargetGroup": ("name", "port", "deregistrationDelay"),
    "aws:ecs/service:Service": ("name", "desiredCount"),
    "aws:appautoscaling/target:Target": ("resourceId", "minCapacity", "maxCapacity"),
    "aws:appautoscaling/policy:Policy": ("name",),
    "aws:ecr/repository:Repository": ("name", "imageTagMutability"),
    "aws:lambda/function:Function": ("name", "runtime", "architectures"),
    "aws:wafv2/webAcl:WebAcl": ("name", "scope"),
    "aws:cloudwatch/metricAlarm:MetricAlarm": ("name", "threshold"),
    "aws:sns/topic:Topic": ("name",),
    "aws:cloudfront/distribution:Distribution": ("aliases", "priceClass", "httpVersion"),
    "aws:cloudfront/originAccessControl:OriginAccessControl": ("name", "signingBehavior"),
    "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy": ("name",),
    "aws:cloudfront/cachePolicy:CachePolicy": ("name", "minTtl", "defaultTtl", "maxTtl"),
    "aws:s3/bucketObjectv2:BucketObjectv2": ("key", "contentType", "cacheControl"),
}
SKIP = {"tags", "tagsAll", "__defaults"}
MAX_GENERIC = 3


def top_component(resource: dict, by_urn: dict[str, dict]) -> str | None:
    """URN of the outermost component above a resource (the stack itself does not count)."""
    current = resource
    while current.get("parent") and current["parent"] in by_urn:
        current = by_urn[current["parent"]]
    return current["urn"] if not current["custom"] else None


def key_properties(resource: dict) -> str:
    """`name=value` pairs for the inputs that matter for this type."""
    inputs = resource["inputs"]
    names = KEY_PROPS.get(resource["type"])
    if names is None:
        names = tuple(k for k in sorted(inputs) if k not in SKIP and isinstance(inputs[k], (str, int, float, bool)))[:MAX_GENERIC]
    return "  ".join(f"{n}={_short(inputs[n])}" for n in names if n in inputs)


def _short(value: Any, limit: int = 60) -> str:
    text = str(value).lower() if isinstance(value, bool) else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render_tree(graph: dict) -> str:
    """Text tree: providers, then each component with its resources, then outputs."""
    resources = graph["resources"]
    by_urn = {r["urn"]: r for r in resources}
    groups: dict[str | None, list[dict]] = {}
    for r in resources:
        groups.setdefault(top_component(r, by_urn) if r["custom"] else r["urn"], []).append(r)
    lines = [f"{graph['project']} · {graph['stack']}: {sum(r['custom'] for r in resources)} resources "
             f"in {sum(not r['custom'] for r in resources)} components", ""]
    providers = [r for r in resources if r["type"].startswith("pulumi:providers:")]
    for p in providers:
        lines.append(f"provider {p['name']} ({p['type'].split(':')[-1]})  {key_properties(p)}")
    for urn, members in sorted(groups.items(), key=lambda kv: kv[0] or ""):
        if urn is None or urn not in by_urn or by_urn[urn]["custom"] or by_urn[urn]["parent"] in by_urn:
            continue  # nested components are listed with the outermost one
        component = by_urn[urn]
        custom = [r for r in members if r["custom"] and not r["type"].startswith("pulumi:providers:")]
        lines += ["", f"{component['name']}  [{component['type']}]  {len(custom)} resources"]
        for r in sorted(custom, key=lambda r: (r["type"], r["name"])):
            lines.append(f"  {r['type']:<60} {r['name']:<34} {key_properties(r)}".rstrip())
    lines += ["", "outputs:"] + [f"  {k}: {_short(v, 100)}" for k, v in sorted(graph["outputs"].items())]
    return "\n".join(lines) + "\n"
