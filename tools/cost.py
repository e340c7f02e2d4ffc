"""Monthly cost estimate of a stack from its preview graph: itemised, by service, at list on-demand prices.

Pure functions over the `python -m tools.preview <stack> --json` graph. Prices: tools/prices/<region>.json;
usage the program cannot know: tools/prices/assumptions.json with the stack's `cost.assumptions` overrides.
What is priced, and how, is explained in docs/cost.md.
"""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from settings.schedule import on_fraction

HOURS = 730.0  # hours in the month AWS's pricing pages and calculator use
DAYS = HOURS / 24
PRICES = Path(__file__).resolve().parent / "prices"
DEFAULT_REGION = "us-east-1"
PROVIDER = "pulumi:providers:aws"
BACKUP_BUCKET_COMPONENT = "nodeapi:backups:BackupBucket"

APP_BUCKET_COMPONENTS = ("nodeapi:storage:",)  # component type prefixes whose buckets hold app files [s3AppGb]

SERVICES = ("Networking", "Load balancing", "Compute (Fargate)", "Database (RDS)", "Cache (ElastiCache)", "WAF",
            "CloudWatch", "Secrets Manager", "KMS", "S3", "AWS Backup", "ECR", "EFS", "CloudFront", "Route 53",
            "Lambda")

FREE = "free"
USAGE = "usage only"
# Types with no monthly charge of their own (or only per-request charges the assumptions do not model), or whose
# cost is counted on another resource. Anything neither here nor in PRICERS is reported as unknown.
NOT_PRICED: dict[str, str] = {
    PROVIDER: FREE,
    "aws:ec2/vpc:Vpc": FREE, "aws:ec2/subnet:Subnet": FREE, "aws:ec2/internetGateway:InternetGateway": FREE,
    "aws:ec2/routeTable:RouteTable": FREE, "aws:ec2/route:Route": FREE,
    "aws:ec2/routeTableAssociation:RouteTableAssociation": FREE, "aws:ec2/securityGroup:SecurityGroup": FREE,
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": FREE,
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": FREE,
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": FREE,
    "aws:ec2/networkInterface:NetworkInterface": FREE, "aws:iam/instanceProfile:InstanceProfile": FREE,
    "aws:ec2/launchTemplate:LaunchTemplate": "priced on its auto scaling group",
    "aws:autoscaling/schedule:Schedule": FREE, "aws:appautoscaling/scheduledAction:ScheduledAction": FREE,
    "aws:scheduler/scheduleGroup:ScheduleGroup": FREE,
    "aws:efs/accessPoint:AccessPoint": FREE, "aws:efs/mountTarget:MountTarget": FREE,
    "aws:efs/fileSystemPolicy:FileSystemPolicy": FREE,
    "aws:cloudfront/originAccessControl:OriginAccessControl": FREE, "aws:cloudfront/cachePolicy:CachePolicy": FREE,
    "aws:cloudfront/originRequestPolicy:OriginRequestPolicy": FREE,
    "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy": FREE,
    "aws:cloudfront/function:Function": "usage: 2 M invocations a month free, then $0.10 per million",
    "aws:route53/record:Record": "free for alias records to AWS resources; other queries usage only",
    "aws:acm/certificateValidation:CertificateValidation": FREE,
    "aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration": FREE,
    "aws:chatbot/teamsChannelConfiguration:TeamsChannelConfiguration": FREE,
    "aws:servicediscovery/httpNamespace:HttpNamespace":
        "free: Service Connect has no charge of its own (its proxy uses the task's CPU and memory)",
    "aws:s3/bucketCorsConfiguration:BucketCorsConfiguration": FREE,
    "aws:iam/role:Role": FREE, "aws:iam/rolePolicy:RolePolicy": FREE, "aws:iam/policy:Policy": FREE,
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": FREE, "aws:kms/alias:Alias": FREE,
    "aws:lb/listener:Listener": FREE, "aws:lb/listenerRule:ListenerRule": FREE, "aws:lb/targetGroup:TargetGroup": FREE,
    "aws:lb/listenerCertificate:ListenerCertificate": FREE, "aws:acm/certificate:Certificate": FREE,
    "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders": FREE,
    "aws:ecs/taskDefinition:TaskDefinition": "priced on its services and schedules",
    "aws:appautoscaling/target:Target": FREE, "aws:appautoscaling/policy:Policy": FREE,
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": FREE, "aws:ecr/repositoryPolicy:RepositoryPolicy": FREE,
    "aws:rds/parameterGroup:ParameterGroup": FREE, "aws:rds/subnetGroup:SubnetGroup": FREE,
    "aws:rds/proxyDefaultTargetGroup:ProxyDefaultTargetGroup": FREE, "aws:rds/proxyTarget:ProxyTarget": FREE,
    "aws:elasticache/parameterGroup:ParameterGroup": FREE, "aws:elasticache/subnetGroup:SubnetGroup": FREE,
    "aws:s3/bucketPolicy:BucketPolicy": FREE, "aws:s3/bucketOwnershipControls:BucketOwnershipControls": FREE,
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": FREE, "aws:s3/bucketVersioning:BucketVersioning": FREE,
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": FREE,
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": FREE,
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration": FREE,
    "aws:s3/bucketNotification:BucketNotification": FREE, "aws:s3/bucketLogging:BucketLogging": FREE,
    "aws:backup/plan:Plan": "priced on its vaults", "aws:backup/selection:Selection": FREE,
    "aws:backup/vaultLockConfiguration:VaultLockConfiguration": FREE,
    "aws:backup/vaultPolicy:VaultPolicy": FREE, "aws:backup/vaultNotifications:VaultNotifications": FREE,
    "aws:cloudwatch/logGroup:LogGroup": "usage: logsIngestedGb, logsStoredGb",
    "aws:cloudwatch/logMetricFilter:LogMetricFilter": FREE,
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": FREE,
    "docker:index/image:Image": "built on your machine; its storage is priced on the ECR repository",
    "aws:sns/topic:Topic": USAGE, "aws:sns/topicSubscription:TopicSubscription": USAGE,
    "aws:sns/topicPolicy:TopicPolicy": FREE,
    "aws:lambda/permission:Permission": FREE, "aws:cloudwatch/eventRule:EventRule": USAGE,
    "aws:lambda/invocation:Invocation": "one Lambda run per deploy that changes the data tier",
    "aws:s3/bucketCorsConfiguration:BucketCorsConfiguration": FREE,
    "aws:secretsmanager/secretVersion:SecretVersion": FREE, "aws:secretsmanager/secretPolicy:SecretPolicy": FREE,
    "aws:secretsmanager/secretRotation:SecretRotation": USAGE,
    "aws:wafv2/webAclAssociation:WebAclAssociation": FREE, "aws:wafv2/ipSet:IpSet": FREE,
    "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration": "usage: logsIngestedGb",
    "aws:wafv2/ruleGroup:RuleGroup": "priced as a rule of its web ACL",
    "random:index/randomPassword:RandomPassword": FREE, "random:index/randomString:RandomString": FREE,
    "random:index/randomId:RandomId": FREE,
}


class MissingPrice(Exception):
    """A priced resource whose size or region has no price in the price files."""


@dataclass(frozen=True)
class Item:
    """One line of the estimate: what, how much of it a month, at what unit price."""

    service: str
    name: str
    quantity: float
    unit: str
    unit_price: float

    @property
    def monthly(self) -> float:
        return self.quantity * self.unit_price


@dataclass(frozen=True)
class Estimate:
    """An itemised monthly estimate and everything it did not price."""

    stack: str
    region: str
    items: tuple[Item, ...]
    not_priced: dict[str, int]  # type -> resources (known free or usage only)
    unknown: dict[str, int]  # type -> resources with no price rule: must be looked at
    missing: tuple[str, ...]  # priced types whose size or region has no price
    assumptions: dict[str, float]
    dates: tuple[str, ...]
    levers: tuple[Any, ...] = ()  # tools.cost_levers.Lever: settings that would lower the total, biggest first
    notes: tuple[str, ...] = ()  # e.g. when interface endpoints pay for themselves

    @property
    def total(self) -> float:
        return round(sum(item.monthly for item in self.items), 2)

    def by_service(self) -> dict[str, list[Item]]:
        """Items grouped by service, in SERVICES order."""
        groups = {s: [i for i in self.items if i.service == s] for s in SERVICES}
        return {s: items for s, items in groups.items() if items}


@dataclass(frozen=True)
class Context:
    """What every price rule reads: the graph, its resources by type, prices by region, the assumptions."""

    graph: dict
    region: str
    prices: dict[str, dict]
    assumptions: dict[str, float]

    def of_type(self, type_: str) -> list[dict]:
        return [r for r in self.graph["resources"] if r["type"] == type_ and r["custom"]]

    def price(self, region: str, *path: str) -> float:
        """A price from the region's file, or MissingPrice naming it."""
        value: Any = self.prices.get(region)
        for key in path:
            if not isinstance(value, dict) or key not in value:
                raise MissingPrice(f"no price for {'.'.join(path)} in {region} (tools/prices/{region}.json)")
            value = value[key]
        return float(value)


def region_of(resource: dict, ctx: Context) -> str:
    """The resource's `region` input, else the stack's."""
    return resource["inputs"].get("region") or ctx.region


def stack_region(graph: dict) -> str:
    """The region of the stack's AWS provider."""
    regions = [r["inputs"].get("region") for r in graph["resources"] if r["type"] == PROVIDER]
    return next((r for r in regions if r), DEFAULT_REGION)


def graph_regions(graph: dict) -> list[str]:
    """Every region the graph places resources in."""
    regions = {stack_region(graph)} | {r["inputs"].get("region") for r in graph["resources"] if r["custom"]}
    return sorted(r for r in regions if isinstance(r, str) and r)


# ---------------------------------------------------------------------------------------------- networking


def _nat_gateway(r: dict, ctx: Context) -> list[Item]:
    region = region_of(r, ctx)
    return [Item("Networking", f"NAT gateway {r['name']}", HOURS, "h", ctx.price(region, "vpc", "natGatewayHour"))]


def _eip(r: dict, ctx: Context) -> list[Item]:
    price = ctx.price(region_of(r, ctx), "vpc", "publicIpv4Hour")
    return [Item("Networking", f"public IPv4 {r['name']} (Elastic IP)", HOURS, "h", price)]


def _vpc_endpoint(r: dict, ctx: Context) -> list[Item]:
    if r["inputs"].get("vpcEndpointType", "Gateway") != "Interface":
        return [Item("Networking", f"gateway endpoint {r['name']} (free)", HOURS, "h", 0.0)]
    azs = len(r["inputs"].get("subnetIds") or []) or 1
    price = ctx.price(region_of(r, ctx), "vpc", "interfaceEndpointAzHour")
    return [Item("Networking", f"interface endpoint {r['name']} ({azs} AZ)", azs * HOURS, "AZ-h", price)]


def _load_balancer(r: dict, ctx: Context) -> list[Item]:
    inputs, region = r["inputs"], region_of(r, ctx)
    if inputs.get("loadBalancerType", "application") != "application":
        raise MissingPrice(f"no price rule for a {inputs['loadBalancerType']} load balancer ({r['name']})")
    lcu = ctx.assumptions["albLcu"]
    items = [Item("Load balancing", f"ALB {r['name']}", HOURS, "h", ctx.price(region, "elb", "albHour")),
             Item("Load balancing", f"ALB {r['name']} LCUs [albLcu]", lcu * HOURS, "LCU-h",
                  ctx.price(region, "elb", "lcuHour"))]
    if not inputs.get("internal") and inputs.get("ipAddressType", "ipv4") in ("ipv4", "dualstack"):
        azs = len(inputs.get("subnets") or inputs.get("subnetMappings") or []) or 2
        items.append(Item("Networking", f"public IPv4 of ALB {r['name']} (one per AZ)", azs * HOURS, "h",
                          ctx.price(region, "vpc", "publicIpv4Hour")))
    return items


def _launch_template_of(group: dict, ctx: Context) -> dict:
    """The launch template of an auto scaling group: the one declared beside it (same parent component)."""
    found = [t for t in ctx.of_type("aws:ec2/launchTemplate:LaunchTemplate") if t["parent"] == group["parent"]]
    if len(found) != 1:
        raise MissingPrice(f"cannot tell the launch template of {group['name']} ({len(found)} beside it)")
    return found[0]


def ec2_items(ctx: Context, label: str, region: str, instance_type: str, volumes: list[tuple[str, float]],
              count: float, fraction: float) -> list[Item]:
    """Instance hours and EBS volumes (type, GB) of `count` instances running `fraction` of the month."""
    office = office_label(fraction)
    items = [Item("Networking", f"{label}: {count:g} × {instance_type}{office}", count * HOURS * fraction, "h",
                  ctx.price(region, "ec2", "instanceHour", instance_type))]
    for kind, gb in volumes:
        items.append(Item("Networking", f"{label}: {kind} root volume{office}", count * gb * fraction, "GB-month",
                          ctx.price(region, "ebs", f"{kind}GbMonth")))
    return items


def _autoscaling_group(r: dict, ctx: Context) -> list[Item]:
    """Instances of a group (the NAT instances): desired count × hours × office-hours share, and their disks."""
    template = _launch_template_of(r, ctx)["inputs"]
    volumes = [((m.get("ebs") or {}).get("volumeType") or "gp2", float((m.get("ebs") or {}).get("volumeSize") or 8))
               for m in template.get("blockDeviceMappings") or []]
    name, region = r["inputs"].get("name") or r["name"], region_of(r, ctx)
    fraction = group_fraction(ctx, r)
    count = float(r["inputs"].get("desiredCapacity") or r["inputs"].get("minSize") or 0)
    items = ec2_items(ctx, f"instances of {name}", region, template.get("instanceType", "?"), volumes, count, fraction)
    public = any(i.get("associatePublicIpAddress") for i in template.get("networkInterfaces") or [])
    elastic = any(e["parent"] == r["parent"] for e in ctx.of_type("aws:ec2/eip:Eip"))
    if public and not elastic:  # an Elastic IP beside the group replaces the launch address (priced on the EIP)
        items.append(Item("Networking", f"public IPv4 of the instances of {name}{office_label(fraction)}",
                          count * HOURS * fraction, "h", ctx.price(region, "vpc", "publicIpv4Hour")))
    return items


def _ec2_instance(r: dict, ctx: Context) -> list[Item]:
    root = r["inputs"].get("rootBlockDevice") or {}
    volumes = [(root.get("volumeType") or "gp3", float(root.get("volumeSize") or 8))]
    return ec2_items(ctx, f"instance {r['name']}", region_of(r, ctx), r["inputs"].get("instanceType", "?"), volumes,
                     1, 1.0)


def _flow_log(r: dict, ctx: Context) -> list[Item]:
    """Flow logs are vended logs: priced per GB delivered, half price to an Infrequent Access log group or S3."""
    inputs, region = r["inputs"], region_of(r, ctx)
    if inputs.get("logDestinationType") == "s3":
        kind, label = "vendedLogsS3Gb", "to S3"
    else:
        groups = [g for g in ctx.of_type("aws:cloudwatch/logGroup:LogGroup") if g["parent"] == r["parent"]]
        infrequent = len(groups) == 1 and groups[0]["inputs"].get("logGroupClass") == "INFREQUENT_ACCESS"
        kind, label = ("vendedLogsInfrequentAccessGb", "Infrequent Access") if infrequent else ("vendedLogsGb", "")
    label = f" ({label})" if label else ""
    return [Item("CloudWatch", f"flow logs {r['name']}{label} [flowLogsGb]", ctx.assumptions["flowLogsGb"], "GB",
                 ctx.price(region, "cloudwatch", kind))]


# ---------------------------------------------------------------------------------------------- compute


# Office hours (components/office_hours.py): scheduled actions and schedules that stop a resource outside them.
# Each returns the share of the month the resource runs (1.0 without such schedules).


def office_label(fraction: float) -> str:
    return "" if fraction >= 1 else f" (office hours: {fraction:.1%} of the month)"


def _fraction(starts: list[str], stops: list[str], what: str) -> float:
    try:
        return on_fraction(starts, stops)
    except ValueError as exc:
        raise MissingPrice(f"cannot price the office hours of {what}: {exc}") from None


def service_fraction(ctx: Context, service: dict) -> float:
    """From Application Auto Scaling scheduled actions on the service: max capacity 0 stops it, more starts it."""
    cluster = str(service["inputs"].get("cluster", "")).split("/")[-1]
    resource_id = f"service/{cluster}/{service['inputs'].get('name') or service['name']}"
    actions = [a["inputs"] for a in ctx.of_type("aws:appautoscaling/scheduledAction:ScheduledAction")
               if a["inputs"].get("resourceId") == resource_id]
    stops = [a["schedule"] for a in actions if not (a.get("scalableTargetAction") or {}).get("maxCapacity")]
    starts = [a["schedule"] for a in actions if (a.get("scalableTargetAction") or {}).get("maxCapacity")]
    return _fraction(starts, stops, service["name"])


def db_fraction(ctx: Context, identifier: str) -> float:
    """From EventBridge Scheduler schedules calling rds:stopDBInstance / rds:startDBInstance on the instance."""
    starts, stops = [], []
    for schedule in ctx.of_type("aws:scheduler/schedule:Schedule"):
        target = schedule["inputs"].get("target") or {}
        if json.loads(target.get("input") or "{}").get("DbInstanceIdentifier") != identifier:
            continue
        arn = str(target.get("arn", ""))
        (stops if arn.endswith(":rds:stopDBInstance") else starts if arn.endswith(":rds:startDBInstance")
         else []).append(schedule["inputs"]["scheduleExpression"])
    return _fraction(starts, stops, identifier)


def group_fraction(ctx: Context, group: dict) -> float:
    """From EC2 Auto Scaling scheduled actions on the group (Unix cron `recurrence`): desired 0 stops it."""
    name = group["inputs"].get("name") or group["name"]
    actions = [a["inputs"] for a in ctx.of_type("aws:autoscaling/schedule:Schedule")
               if str(a["inputs"].get("autoscalingGroupName", "")).startswith(name)]
    stops = [unix_to_aws_cron(a["recurrence"]) for a in actions if not a.get("desiredCapacity")]
    starts = [unix_to_aws_cron(a["recurrence"]) for a in actions if a.get("desiredCapacity")]
    return _fraction(starts, stops, name)


def unix_to_aws_cron(recurrence: str) -> str:
    """`40 7 * * 1,2,3` (Unix, 0 = Sunday) -> `cron(40 7 ? * 2,3,4 *)` (AWS, 1 = Sunday)."""
    minute, hour, dom, month, dow = recurrence.split()
    if dow not in ("*", "?"):
        dow = ",".join(str(int(d) % 7 + 1) for d in dow.split(","))
        dom = "?"
    return f"cron({minute} {hour} {dom} {month} {dow} *)"



def task_family(reference: str) -> str:
    """`arn:…:task-definition/<family>:<revision>`, `<family>:<revision>` or `<family>` -> family."""
    name = reference.split("task-definition/")[-1]
    head, _, revision = name.rpartition(":")
    return head if head and revision.isdigit() else name


def task_definition(ctx: Context, reference: str) -> dict:
    """The TaskDefinition resource a service or schedule names, matched by family."""
    family = task_family(reference)
    found = [t for t in ctx.of_type("aws:ecs/taskDefinition:TaskDefinition") if t["inputs"].get("family") == family]
    if not found:
        raise MissingPrice(f"no task definition with family {family!r} in the graph")
    return found[0]


def capacity_split(count: float, strategies: list[dict]) -> dict[str, float]:
    """Tasks per capacity provider: each provider's `base` first, the rest shared by `weight` (ECS's rule)."""
    if not strategies:
        return {"FARGATE": count}
    split = {s["capacityProvider"]: 0.0 for s in strategies}
    remaining = count
    for strategy in strategies:
        base = min(float(strategy.get("base") or 0), remaining)
        split[strategy["capacityProvider"]] += base
        remaining -= base
    weights = {s["capacityProvider"]: float(s.get("weight") or 0) for s in strategies}
    total = sum(weights.values())
    for provider, weight in weights.items():
        split[provider] += remaining * (weight / total if total else provider == strategies[0]["capacityProvider"])
    return {p: n for p, n in split.items() if n}


def _service_strategies(r: dict, ctx: Context) -> list[dict]:
    """The service's capacity provider strategy, its launch type, or its cluster's default strategy."""
    inputs = r["inputs"]
    if inputs.get("capacityProviderStrategies"):
        return inputs["capacityProviderStrategies"]
    if inputs.get("launchType"):
        return [{"capacityProvider": inputs["launchType"], "weight": 1}]
    cluster = str(inputs.get("cluster", "")).split("/")[-1]
    for defaults in ctx.of_type("aws:ecs/clusterCapacityProviders:ClusterCapacityProviders"):
        if defaults["inputs"].get("clusterName") == cluster:
            return defaults["inputs"].get("defaultCapacityProviderStrategies") or []
    return []


def fargate_items(ctx: Context, label: str, task: dict, tasks: dict[str, float], hours: float) -> list[Item]:
    """vCPU-hours and GB-hours of `tasks` (per capacity provider) running `hours` each."""
    inputs, region = task["inputs"], region_of(task, ctx)
    vcpu, gb = float(inputs.get("cpu", 256)) / 1024, float(inputs.get("memory", 512)) / 1024
    arch = (inputs.get("runtimePlatform") or {}).get("cpuArchitecture") or "X86_64"
    items = []
    for provider, count in tasks.items():
        rates = ("fargate", provider, arch)
        what = f"{label}: {count:g} × {vcpu:g} vCPU/{gb:g} GB {provider}"
        items.append(Item("Compute (Fargate)", f"{what} vCPU", count * vcpu * hours, "vCPU-h",
                          ctx.price(region, *rates, "vcpuHour")))
        items.append(Item("Compute (Fargate)", f"{what} memory", count * gb * hours, "GB-h",
                          ctx.price(region, *rates, "gbHour")))
    return items


def _ecs_service(r: dict, ctx: Context) -> list[Item]:
    inputs = r["inputs"]
    count = float(inputs.get("desiredCount") or 0)
    task = task_definition(ctx, inputs.get("taskDefinition", ""))
    fraction = service_fraction(ctx, r)
    label = f"service {r['name']}{office_label(fraction)}"
    items = fargate_items(ctx, label, task, capacity_split(count, _service_strategies(r, ctx)), HOURS * fraction)
    if (inputs.get("networkConfiguration") or {}).get("assignPublicIp"):
        price = ctx.price(region_of(r, ctx), "vpc", "publicIpv4Hour")
        items.append(Item("Networking", f"public IPv4 of service {r['name']} tasks", count * HOURS * fraction, "h",
                          price))
    return items


def _schedule(r: dict, ctx: Context) -> list[Item]:
    target = r["inputs"].get("target") or {}
    ecs = target.get("ecsParameters")
    if not ecs:
        return []  # EventBridge Scheduler itself: 14 million invocations a month free
    runs = runs_per_month(r["inputs"]["scheduleExpression"]) * float(ecs.get("taskCount") or 1)
    strategies = ecs.get("capacityProviderStrategies") or [{"capacityProvider": ecs.get("launchType") or "FARGATE"}]
    minutes = ctx.assumptions["scheduledTaskMinutes"]
    task = task_definition(ctx, ecs.get("taskDefinitionArn", ""))
    label = f"schedule {r['name']} ({runs:.4g} runs × {minutes:g} min [scheduledTaskMinutes])"
    return fargate_items(ctx, label, task, capacity_split(1, strategies), runs * minutes / 60)


def runs_per_month(expression: str) -> float:
    """Runs a month of a schedule expression (settings.schedules: the parser the settings validate with)."""
    from settings.schedules import runs_per_month as parsed_runs

    try:
        return parsed_runs(expression)
    except ValueError as exc:
        raise MissingPrice(f"cannot read schedule expression {expression!r}: {exc}") from None


# ---------------------------------------------------------------------------------------------- data


def _rds_instance(r: dict, ctx: Context) -> list[Item]:
    inputs, region = r["inputs"], region_of(r, ctx)
    copies = 2 if inputs.get("multiAz") else 1
    az = " (multi-AZ: ×2)" if copies == 2 else ""
    source = inputs.get("replicateSourceDb")
    kind = f" (read replica of {str(source).split(':db:')[-1]})" if source else ""
    storage_type = inputs.get("storageType") or "gp2"
    gb = _allocated_gb(r, ctx)
    fraction = db_fraction(ctx, inputs.get("identifier") or r["name"])
    items = [
        Item("Database (RDS)", f"{inputs['instanceClass']} {r['name']}{kind}{az}{office_label(fraction)}",
             copies * HOURS * fraction, "h", ctx.price(region, "rds", "instanceHour", inputs["instanceClass"])),
        Item("Database (RDS)", f"{storage_type} storage {r['name']}{az}", copies * gb, "GB-month",
             ctx.price(region, "rds", f"{storage_type}GbMonth")),
    ]
    billable = gb * ctx.assumptions["rdsBackupDailyChange"] * float(inputs.get("backupRetentionPeriod") or 0)
    if billable:
        items.append(Item("Database (RDS)", f"backup storage beyond the free {gb:g} GB, {r['name']} "
                                            "[rdsBackupDailyChange]", billable, "GB-month",
                          ctx.price(region, "rds", "backupGbMonth")))
    if inputs.get("performanceInsightsEnabled"):
        items.append(_performance_insights(r, ctx))
    if inputs.get("manageMasterUserPassword"):
        items.append(Item("Secrets Manager", f"master user secret of {r['name']} (RDS-managed)", 1, "secret",
                          ctx.price(region, "secretsmanager", "secretMonth")))
    return items


def _allocated_gb(r: dict, ctx: Context) -> float:
    """Allocated storage; a read replica without its own has its source's."""
    inputs = r["inputs"]
    if inputs.get("allocatedStorage"):
        return float(inputs["allocatedStorage"])
    if inputs.get("replicateSourceDb"):
        return _allocated_gb(db_instance(ctx, str(inputs["replicateSourceDb"])), ctx)
    return 20.0


def _performance_insights(r: dict, ctx: Context) -> Item:
    """Performance Insights: free with the 7-day retention; longer retention has no price here."""
    days = float(r["inputs"].get("performanceInsightsRetentionPeriod") or 7)
    if days > ctx.price(region_of(r, ctx), "rds", "performanceInsightsFreeDays"):
        raise MissingPrice(f"no price for Performance Insights kept {days:g} days ({r['name']})")
    return Item("Database (RDS)", f"Performance Insights {r['name']} ({days:g} days, free tier)", 1, "month", 0.0)


def db_instance(ctx: Context, arn_or_identifier: str) -> dict:
    """The DB instance an ARN (`…:db:<identifier>`) or identifier names."""
    identifier = arn_or_identifier.split(":db:")[-1]
    found = [d for d in ctx.of_type("aws:rds/instance:Instance") if d["inputs"].get("identifier") == identifier]
    if not found:
        raise MissingPrice(f"no DB instance {identifier!r} in the graph")
    return found[0]


def _rds_backup_replication(r: dict, ctx: Context) -> list[Item]:
    source = db_instance(ctx, r["inputs"].get("sourceDbInstanceArn", ""))
    gb = float(source["inputs"].get("allocatedStorage") or 20)
    change = ctx.assumptions["rdsBackupDailyChange"]
    retention = float(r["inputs"].get("retentionPeriod") or 7)
    stored = gb * (1 + change * retention)  # a full snapshot plus the retained changes, none of it free
    return [
        Item("Database (RDS)", f"replicated backups in {region_of(r, ctx)} [rdsBackupDailyChange]", stored,
             "GB-month", ctx.price(region_of(r, ctx), "rds", "backupGbMonth")),
        Item("Database (RDS)", f"backup replication transfer from {region_of(source, ctx)}", gb * change * DAYS,
             "GB", ctx.price(region_of(source, ctx), "vpc", "interRegionTransferGb")),
    ]


def _rds_proxy(r: dict, ctx: Context) -> list[Item]:
    instances = ctx.of_type("aws:rds/instance:Instance")
    targets = [t["inputs"].get("dbInstanceIdentifier") for t in ctx.of_type("aws:rds/proxyTarget:ProxyTarget")]
    chosen = [db_instance(ctx, t) for t in targets if t] or instances[:1]
    region = region_of(r, ctx)
    minimum = ctx.price(region, "rds", "proxyMinVcpus")
    vcpus = sum(max(ctx.price(region, "rds", "vcpus", d["inputs"]["instanceClass"]), minimum) for d in chosen)
    return [Item("Database (RDS)", f"RDS Proxy {r['name']} ({vcpus:g} vCPU of its instances)", vcpus * HOURS,
                 "vCPU-h", ctx.price(region, "rds", "proxyVcpuHour"))]


def _cache_nodes(inputs: dict) -> int:
    """Nodes of a replication group: numCacheClusters, else shards × (1 + replicas per shard)."""
    if inputs.get("numCacheClusters"):
        return int(inputs["numCacheClusters"])
    return int(inputs.get("numNodeGroups") or 1) * (1 + int(inputs.get("replicasPerNodeGroup") or 0))


def _cache(r: dict, ctx: Context) -> list[Item]:
    inputs = r["inputs"]
    nodes = int(inputs["numCacheNodes"]) if "numCacheNodes" in inputs else _cache_nodes(inputs)
    engine, node_type = inputs.get("engine") or "redis", inputs["nodeType"]
    price = ctx.price(region_of(r, ctx), "elasticache", "nodeHour", engine, node_type)
    return [Item("Cache (ElastiCache)", f"{engine} {node_type} {r['name']} ({nodes} nodes)", nodes * HOURS, "h", price)]


# ---------------------------------------------------------------------------------------------- edge, monitoring


def _web_acl(r: dict, ctx: Context) -> list[Item]:
    region = region_of(r, ctx)
    rules = len(r["inputs"].get("rules") or [])
    millions = ctx.assumptions["wafRequestsMillions"]
    return [
        Item("WAF", f"web ACL {r['name']}", 1, "ACL", ctx.price(region, "wafv2", "webAclMonth")),
        Item("WAF", f"rules of {r['name']}", rules, "rules", ctx.price(region, "wafv2", "ruleMonth")),
        Item("WAF", f"requests through {r['name']} [wafRequestsMillions]", millions, "M requests",
             ctx.price(region, "wafv2", "millionRequests")),
    ]


def alarm_metrics(inputs: dict) -> tuple[int, bool]:
    """(alarm metrics billed, high resolution?): one per metric in a metric-math alarm, ×3 for anomaly bands."""
    queries = inputs.get("metricQueries") or []
    metrics = [q["metric"] for q in queries if q.get("metric")]
    count = len(metrics) if queries else 1
    if any("ANOMALY_DETECTION_BAND" in str(q.get("expression") or "") for q in queries):
        count *= 3
    periods = [float(m.get("period") or 60) for m in metrics] or [float(inputs.get("period") or 60)]
    return count, min(periods) < 60


def _alarm(r: dict, ctx: Context) -> list[Item]:
    count, high = alarm_metrics(r["inputs"])
    kind = "alarmMetricHighResolution" if high else "alarmMetricStandard"
    label = "high-resolution" if high else "standard"
    return [Item("CloudWatch", f"alarm {r['name']} ({label})", count, "alarm metrics",
                 ctx.price(region_of(r, ctx), "cloudwatch", kind))]


def _composite_alarm(r: dict, ctx: Context) -> list[Item]:
    price = ctx.price(region_of(r, ctx), "cloudwatch", "compositeAlarm")
    return [Item("CloudWatch", f"composite alarm {r['name']}", 1, "alarm", price)]


def _dashboard(r: dict, ctx: Context) -> list[Item]:
    price = ctx.price(region_of(r, ctx), "cloudwatch", "dashboardMonth")
    return [Item("CloudWatch", f"dashboard {r['name']}", 1, "dashboard", price)]


def _ecs_cluster(r: dict, ctx: Context) -> list[Item]:
    """Container Insights: `enabled` publishes cluster- and service-level metrics; `enhanced` adds task- and
    container-level ones, billed by observation and expressed here as metrics per running task. Metrics are
    published (and billed) only while tasks run: office hours shorten both."""
    settings = {s.get("name"): s.get("value") for s in r["inputs"].get("settings") or []}
    mode = settings.get("containerInsights", "disabled")
    if mode == "disabled":
        return []
    name = r["inputs"].get("name") or r["name"]
    services = [v for v in ctx.of_type("aws:ecs/service:Service")
                if str(v["inputs"].get("cluster", "")).split("/")[-1] == name]
    shares = [(float(v["inputs"].get("desiredCount") or 0), service_fraction(ctx, v)) for v in services]
    fraction = max((share for _, share in shares), default=1.0)
    price = ctx.price(region_of(r, ctx), "cloudwatch", "customMetricMonth")
    items = [Item("CloudWatch", f"Container Insights ({mode}) {r['name']} [containerInsightsMetrics]"
                                f"{office_label(fraction)}", ctx.assumptions["containerInsightsMetrics"] * fraction,
                  "metrics", price)]
    if mode == "enhanced":
        tasks = sum(count * share for count, share in shares)
        items.append(Item("CloudWatch", f"Container Insights enhanced: {tasks:g} running tasks × "
                                        f"[containerInsightsTaskMetrics] {r['name']}",
                          tasks * ctx.assumptions["containerInsightsTaskMetrics"], "metrics", price))
    return items


def _secret(r: dict, ctx: Context) -> list[Item]:
    price = ctx.price(region_of(r, ctx), "secretsmanager", "secretMonth")
    return [Item("Secrets Manager", f"secret {r['name']}", 1, "secret", price)]


def _kms_key(r: dict, ctx: Context) -> list[Item]:
    region = region_of(r, ctx)
    return [Item("KMS", f"customer-managed key {r['name']} ({region})", 1, "key", ctx.price(region, "kms", "keyMonth"))]


# ---------------------------------------------------------------------------------------------- storage


def replica_storage_classes(ctx: Context) -> dict[str, str]:
    """Storage class of each replication destination bucket, by bucket name."""
    classes = {}
    for config in ctx.of_type("aws:s3/bucketReplicationConfig:BucketReplicationConfig"):
        for rule in config["inputs"].get("rules") or []:
            destination = rule.get("destination") or {}
            classes[str(destination.get("bucket", "")).split(":::")[-1]] = destination.get("storageClass") or "STANDARD"
    return classes


def bucket_assumption(r: dict) -> str:
    """Which size assumption a bucket takes, from the component that declares it."""
    parents = r["urn"].split("::")[2]
    if f"{BACKUP_BUCKET_COMPONENT}$" in parents:
        return "s3BackupGb"
    if any(prefix in parents for prefix in APP_BUCKET_COMPONENTS):
        return "s3AppGb"
    return "s3OtherGb"


def _bucket(r: dict, ctx: Context) -> list[Item]:
    key = bucket_assumption(r)
    storage_class = replica_storage_classes(ctx).get(r["inputs"].get("bucket", ""), "STANDARD")
    price = ctx.price(region_of(r, ctx), "s3", storage_class)
    return [Item("S3", f"bucket {r['name']} ({storage_class}) [{key}]", ctx.assumptions[key], "GB-month", price)]


def _bucket_replication(r: dict, ctx: Context) -> list[Item]:
    price = ctx.price(region_of(r, ctx), "vpc", "interRegionTransferGb")
    return [Item("S3", f"replication transfer {r['name']} [s3ReplicatedGb]", ctx.assumptions["s3ReplicatedGb"],
                 "GB", price)]


def _backed_up(ctx: Context) -> list[tuple[str, float, str]]:
    """(what, GB, price key) of each resource the backup selections name: DB instances (allocated storage),
    EFS file systems [efsStorageGb]."""
    arns = sorted({arn for s in ctx.of_type("aws:backup/selection:Selection")
                   for arn in s["inputs"].get("resources") or []})
    found = []
    for arn in arns:
        if ":db:" in arn:
            found.append((arn.split(":db:")[-1], _allocated_gb(db_instance(ctx, arn), ctx), "rdsSnapshotGbMonth"))
        elif ":elasticfilesystem:" in arn:
            found.append((arn.split("/")[-1] + " [efsStorageGb]", ctx.assumptions["efsStorageGb"], "efsWarmGbMonth"))
    return found


def _vault_uses(vault: dict, ctx: Context) -> list[tuple[float, bool]]:
    """(days kept, is a cross-region copy) for each plan rule that stores recovery points in the vault."""
    name = vault["inputs"].get("name") or vault["name"]
    uses = []
    for plan in ctx.of_type("aws:backup/plan:Plan"):
        for rule in plan["inputs"].get("rules") or []:
            if rule.get("targetVaultName") == name:
                uses.append((float((rule.get("lifecycle") or {}).get("deleteAfter") or 35), False))
            for copy in rule.get("copyActions") or []:
                if str(copy.get("destinationVaultArn", "")).endswith(f":vault/{name}"):
                    uses.append((float((copy.get("lifecycle") or {}).get("deleteAfter") or 35), True))
    return uses


def _vault(r: dict, ctx: Context) -> list[Item]:
    change, region = ctx.assumptions["rdsBackupDailyChange"], region_of(r, ctx)
    items = []
    for days, copy in _vault_uses(r, ctx):
        for what, gb, key in _backed_up(ctx):
            items.append(Item("AWS Backup", f"{what} in vault {r['name']} ({days:g} days) [rdsBackupDailyChange]",
                              gb * (1 + change * days), "GB-month", ctx.price(region, "backup", key)))
            if copy:
                items.append(Item("AWS Backup", f"copy transfer of {what} into {r['name']} from {ctx.region}",
                                  gb * change * DAYS, "GB", ctx.price(ctx.region, "vpc", "interRegionTransferGb")))
    return items


def _ecr_repository(r: dict, ctx: Context) -> list[Item]:
    price = ctx.price(region_of(r, ctx), "ecr", "storageGbMonth")
    return [Item("ECR", f"repository {r['name']} [ecrStorageGb]", ctx.assumptions["ecrStorageGb"], "GB-month", price)]


def _efs(r: dict, ctx: Context) -> list[Item]:
    price = ctx.price(region_of(r, ctx), "efs", "standardGbMonth")
    return [Item("EFS", f"file system {r['name']} (Standard) [efsStorageGb]", ctx.assumptions["efsStorageGb"],
                 "GB-month", price)]


def _efs_backup_policy(r: dict, ctx: Context) -> list[Item]:
    """EFS automatic backups (AWS Backup's default plan, 35 days): one copy of the data as warm backup storage."""
    if (r["inputs"].get("backupPolicy") or {}).get("status") != "ENABLED":
        return []
    price = ctx.price(region_of(r, ctx), "backup", "efsWarmGbMonth")
    return [Item("AWS Backup", f"automatic EFS backups {r['name']} [efsStorageGb]", ctx.assumptions["efsStorageGb"],
                 "GB-month", price)]


def _distribution(r: dict, ctx: Context) -> list[Item]:
    return []  # a distribution has no monthly charge: its traffic is priced once per stack (usage_items)


def _hosted_zone(r: dict, ctx: Context) -> list[Item]:
    price = ctx.price(ctx.region, "route53", "hostedZoneMonth")
    return [Item("Route 53", f"hosted zone {r['name']}", 1, "zone", price)]


HEALTH_CHECK_FEATURES = ("HTTPS", "STR_MATCH")  # each an optional feature in the health check's type


def _health_check(r: dict, ctx: Context) -> list[Item]:
    """$0.50 an AWS endpoint, $0.75 another; plus each optional feature (HTTPS, string matching, 10-second
    interval, latency measurement). An endpoint is AWS's when its name is an AWS service name."""
    inputs = r["inputs"]
    aws_endpoint = str(inputs.get("fqdn", "")).endswith((".amazonaws.com", ".cloudfront.net")) \
        or inputs.get("type") in ("CALCULATED", "CLOUDWATCH_METRIC")
    kind = "Aws" if aws_endpoint else "Other"
    kind_label = "AWS" if aws_endpoint else "non-AWS"
    features = sum(f in str(inputs.get("type", "")) for f in HEALTH_CHECK_FEATURES)
    features += int(float(inputs.get("requestInterval") or 30) == 10) + int(bool(inputs.get("measureLatency")))
    items = [Item("Route 53", f"health check {r['name']} ({kind_label} endpoint)", 1, "check",
                  ctx.price(ctx.region, "route53", f"healthCheck{kind}Month"))]
    if features:
        items.append(Item("Route 53", f"health check {r['name']}: optional features", features, "features",
                          ctx.price(ctx.region, "route53", f"healthCheckFeature{kind}Month")))
    return items


def _private_dns_namespace(r: dict, ctx: Context) -> list[Item]:
    price = ctx.price(ctx.region, "route53", "hostedZoneMonth")
    return [Item("Route 53", f"private hosted zone of namespace {r['name']}", 1, "zone", price)]


def _lambda_function(r: dict, ctx: Context) -> list[Item]:
    return []  # requests and GB-seconds are priced once per stack (usage_items), after the permanent free tier


PRICERS: dict[str, Callable[[dict, Context], list[Item]]] = {
    "aws:ec2/natGateway:NatGateway": _nat_gateway,
    "aws:ec2/eip:Eip": _eip,
    "aws:ec2/vpcEndpoint:VpcEndpoint": _vpc_endpoint,
    "aws:lb/loadBalancer:LoadBalancer": _load_balancer,
    "aws:ecs/cluster:Cluster": _ecs_cluster,
    "aws:ecs/service:Service": _ecs_service,
    "aws:scheduler/schedule:Schedule": _schedule,
    "aws:rds/instance:Instance": _rds_instance,
    "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication": _rds_backup_replication,
    "aws:rds/proxy:Proxy": _rds_proxy,
    "aws:elasticache/replicationGroup:ReplicationGroup": _cache,
    "aws:elasticache/cluster:Cluster": _cache,
    "aws:wafv2/webAcl:WebAcl": _web_acl,
    "aws:cloudwatch/metricAlarm:MetricAlarm": _alarm,
    "aws:cloudwatch/compositeAlarm:CompositeAlarm": _composite_alarm,
    "aws:cloudwatch/dashboard:Dashboard": _dashboard,
    "aws:secretsmanager/secret:Secret": _secret,
    "aws:kms/key:Key": _kms_key,
    "aws:kms/replicaKey:ReplicaKey": _kms_key,
    "aws:s3/bucket:Bucket": _bucket,
    "aws:s3/bucketV2:BucketV2": _bucket,
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig": _bucket_replication,
    "aws:backup/vault:Vault": _vault,
    "aws:ecr/repository:Repository": _ecr_repository,
    "aws:autoscaling/group:Group": _autoscaling_group,
    "aws:ec2/instance:Instance": _ec2_instance,
    "aws:ec2/flowLog:FlowLog": _flow_log,
    "aws:efs/fileSystem:FileSystem": _efs,
    "aws:efs/backupPolicy:BackupPolicy": _efs_backup_policy,
    "aws:cloudfront/distribution:Distribution": _distribution,
    "aws:route53/zone:Zone": _hosted_zone,
    "aws:route53/healthCheck:HealthCheck": _health_check,
    "aws:servicediscovery/privateDnsNamespace:PrivateDnsNamespace": _private_dns_namespace,
    "aws:lambda/function:Function": _lambda_function,
}


def usage_items(ctx: Context) -> list[Item]:
    """Stack-wide usage from the assumptions, for the resource kinds present: NAT data, logs, endpoint data,
    CloudFront traffic and Lambda invocations (after their permanent free tiers)."""
    present = {r["type"] for r in ctx.graph["resources"]}
    a, region, items = ctx.assumptions, ctx.region, []
    if "aws:ec2/natGateway:NatGateway" in present:
        items.append(Item("Networking", "NAT gateway data processing [natProcessedGb]", a["natProcessedGb"], "GB",
                          ctx.price(region, "vpc", "natGatewayGb")))
    interface = [r for r in ctx.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
                 if r["inputs"].get("vpcEndpointType") == "Interface"]
    if interface:
        items.append(Item("Networking", "interface endpoint data [interfaceEndpointGb]", a["interfaceEndpointGb"],
                          "GB", ctx.price(region, "vpc", "interfaceEndpointGb")))
    if "aws:cloudwatch/logGroup:LogGroup" in present:
        items.append(Item("CloudWatch", "log ingestion [logsIngestedGb]", a["logsIngestedGb"], "GB",
                          ctx.price(region, "cloudwatch", "logsIngestedGb")))
        items.append(Item("CloudWatch", "log storage [logsStoredGb]", a["logsStoredGb"], "GB-month",
                          ctx.price(region, "cloudwatch", "logsStoredGbMonth")))
    if "aws:cloudfront/distribution:Distribution" in present:
        items += _beyond_free(ctx, "CloudFront", "data out [cloudfrontGb]", a["cloudfrontGb"], "GB", "cloudfront",
                              "dataOutGb", "freeDataOutGb")
        items += _beyond_free(ctx, "CloudFront", "HTTPS requests [cloudfrontRequestsMillions]",
                              a["cloudfrontRequestsMillions"], "M requests", "cloudfront", "millionHttpsRequests",
                              "freeRequestsMillions")
    if "aws:lambda/function:Function" in present:
        items += _beyond_free(ctx, "Lambda", "requests [lambdaRequestsMillions]", a["lambdaRequestsMillions"],
                              "M requests", "lambda", "millionRequests", "freeRequestsMillions")
        items += _beyond_free(ctx, "Lambda", "compute [lambdaGbSeconds]", a["lambdaGbSeconds"], "GB-s", "lambda",
                              "gbSecond", "freeGbSeconds")
    return items


def _beyond_free(ctx: Context, service: str, what: str, used: float, unit: str, section: str, key: str,
                 free_key: str) -> list[Item]:
    """Usage above an always-free monthly allowance (per account: the estimate gives it to this stack)."""
    free = ctx.price(ctx.region, section, free_key)
    label = f"{what} beyond the {free:,g} {unit} free"
    return [Item(service, label, max(0.0, used - free), unit, ctx.price(ctx.region, section, key))]


# ---------------------------------------------------------------------------------------------- the estimate


def estimate(graph: dict, prices: dict[str, dict], assumptions: dict[str, float]) -> Estimate:
    """Price every resource of the graph; list what is free, usage only, unknown or without a price."""
    ctx = Context(graph, stack_region(graph), prices, assumptions)
    items, missing = [], []
    not_priced: dict[str, int] = {}
    unknown: dict[str, int] = {}
    for resource in graph["resources"]:
        kind = resource["type"]
        if not resource["custom"]:
            continue
        if kind in PRICERS:
            try:
                items += PRICERS[kind](resource, ctx)
            except MissingPrice as exc:
                missing.append(f"{resource['name']} ({kind}): {exc}")
        else:
            bucket = not_priced if kind in NOT_PRICED else unknown
            bucket[kind] = bucket.get(kind, 0) + 1
    try:
        items += usage_items(ctx)
    except MissingPrice as exc:
        missing.append(f"usage: {exc}")
    dates = tuple(sorted({p["date"] for p in prices.values() if p and "date" in p}))
    return Estimate(graph.get("stack", ""), ctx.region, tuple(items), not_priced, unknown, tuple(missing),
                    dict(assumptions), dates)


# ---------------------------------------------------------------------------------------------- text


def money(value: float) -> str:
    """`$1,234.56`, `-$3.00`."""
    return f"{'-' if value < -0.004 else ''}${abs(value):,.2f}"


def unit_price(value: float) -> str:
    """A unit price with the digits it has: `$0.045`, `$0.004445`, `$5.00`."""
    digits = f"{value:.6f}".rstrip("0")
    whole, _, fraction = digits.partition(".")
    return f"${whole}.{fraction.ljust(2, '0')}"


def quantity(value: float, unit: str) -> str:
    """`730 h`, `2,920 vCPU-h`, `0.5 GB`."""
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{text} {unit}"


def render_estimate(est: Estimate, sources: dict[str, str] | None = None) -> str:
    """The `--cost` text: items by service with subtotals, the total, what is not priced, the assumptions."""
    rows = [(f"  {i.name}", quantity(i.quantity, i.unit), unit_price(i.unit_price), money(i.monthly))
            for i in est.items]
    widths = [max([len(r[c]) for r in rows] + [len(h) for h in ("item", "quantity", "unit price", "monthly")][c:c + 1])
              for c in range(4)]
    widths[0] = max(widths[0], len("Total"))

    def line(cells: tuple[str, str, str, str]) -> str:
        return f"{cells[0]:<{widths[0]}}  {cells[1]:>{widths[1]}}  {cells[2]:>{widths[2]}}  {cells[3]:>{widths[3]}}"

    out = [f"Monthly cost estimate for {est.stack} ({est.region}): USD, {HOURS:g} h a month, list on-demand prices",
           "", line(("item", "quantity", "unit price", "monthly"))]
    for service, items in est.by_service().items():
        out += ["", service] + [line(row) for row, i in zip(rows, est.items) if i.service == service]
        out.append(line(("", "", "subtotal", money(sum(i.monthly for i in items)))))
    out += ["", line(("Total", "", "", money(est.total))), ""]
    return "\n".join(out + _summary(est) + _gaps(est) + _assumption_lines(est, sources or {})
                     + [f"Prices: {d}" for d in est.dates]) + "\n"


def _summary(est: Estimate) -> list[str]:
    """What drives the total (the three dearest services) and the biggest levers, when the estimate has them."""
    if not est.levers and not est.notes:
        return []
    from .cost_levers import drivers

    top = ", ".join(f"{service} {money(amount)} ({share:.0%})" for service, amount, share in drivers(est))
    out = [f"What drives it: {top}"]
    if est.levers:
        out.append("Biggest levers (setting: what it changes, saving a month):")
        out += [f"  {lever.setting}: {lever.what}: -{money(lever.saving)}" for lever in est.levers]
    else:
        out.append("Biggest levers: none; every setting --cost knows how to price is already at its cheaper value "
                   "(what is left changes the stack's shape: docs/cost.md)")
    return out + list(est.notes) + [""]


def _gaps(est: Estimate) -> list[str]:
    """What the total leaves out: unknown types first (they need a decision), missing prices, then free types."""
    out = []
    if est.unknown:
        out.append("UNKNOWN types (no price rule and not on the free list: add one to tools/cost.py):")
        out += [f"  {kind} × {n}" for kind, n in sorted(est.unknown.items())]
    if est.missing:
        out.append("NOT IN THE TOTAL (no price for the size or region):")
        out += [f"  {m}" for m in est.missing]
    out.append(f"Not priced (free, usage only or priced elsewhere): {sum(est.not_priced.values())} resources")
    out += [f"  {kind} × {n}: {NOT_PRICED[kind]}" for kind, n in sorted(est.not_priced.items())]
    return out + [""]


def _assumption_lines(est: Estimate, sources: dict[str, str]) -> list[str]:
    """The assumptions used, marking the stack's overrides."""
    out = ["Assumptions (tools/prices/assumptions.json; override per stack under cost.assumptions):"]
    width = max((len(k) for k in est.assumptions), default=0)
    for key, value in sorted(est.assumptions.items()):
        note = f"  ({sources[key]})" if key in sources else ""
        out.append(f"  {key:<{width}}  {value:g}{note}")
    return out + [""]


def cost_line(before: Estimate, after: Estimate) -> str:
    """`Estimated monthly cost: $X → $Y (+$Z)` for the pull-request diff, with unknown types named."""
    delta = after.total - before.total
    sign = "+" if delta > 0.004 else "-" if delta < -0.004 else "±"
    text = f"Estimated monthly cost: {money(before.total)} → {money(after.total)} ({sign}{money(abs(delta))})"
    gaps = sorted(after.unknown) + [m.split(" (")[0] for m in after.missing]
    if gaps:
        text += " — not in the estimate: " + ", ".join(f"`{g}`" for g in gaps)
    return text


# ---------------------------------------------------------------------------------------------- files


def load_prices(region: str, directory: Path = PRICES) -> dict:
    """The price file of a region ({} when there is none: its resources show as without a price)."""
    path = directory / f"{region}.json"
    return json.loads(path.read_text()) if path.exists() else {}


def default_assumptions(directory: Path = PRICES) -> dict[str, float]:
    """The defaults of every assumption."""
    document = json.loads((directory / "assumptions.json").read_text())
    return {key: float(entry["value"]) for key, entry in document["assumptions"].items()}


def merged_assumptions(overrides: dict[str, float], defaults: dict[str, float]) -> dict[str, float]:
    """Defaults with the stack's overrides; an override of an unknown key is refused."""
    unknown = sorted(set(overrides) - set(defaults))
    if unknown:
        raise KeyError(f"unknown cost assumptions {unknown}; known: {', '.join(sorted(defaults))}")
    return {**defaults, **{k: float(v) for k, v in overrides.items()}}


def estimate_graph(graph: dict, overrides: dict[str, float] | None = None) -> Estimate:
    """The estimate of a graph with the price files of its regions and the default assumptions plus overrides,
    with the settings that would lower it most."""
    from dataclasses import replace

    from .cost_levers import endpoint_note, levers

    prices = {region: load_prices(region) for region in graph_regions(graph)}
    assumptions = merged_assumptions(overrides or {}, default_assumptions())
    est = estimate(graph, prices, assumptions)
    note = endpoint_note(graph, prices, est.region)
    return replace(est, levers=tuple(levers(graph, prices, assumptions)), notes=(note,) if note else ())
