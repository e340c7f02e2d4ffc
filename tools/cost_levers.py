"""What drives a stack's monthly estimate and which settings would lower it most: each lever rewrites a copy of the
graph the way the setting would, and the same price rules price it (no separate arithmetic to drift)."""

import json
from collections.abc import Callable
from dataclasses import dataclass

from policy.rules import is_production
from settings.schedule import OfficeHoursSettings

from .cost import HOURS, Estimate, MissingPrice, estimate

NAT_INSTANCE_TYPE = "t4g.nano"
APP_TASK_COMPONENT = "nodeapi:service:AppTask"  # task definitions of the app image (image.build.platform)
NAT_INSTANCE_ALARMS = (("in-service", 2), ("status-check", 1), ("bandwidth", 1))  # alarm, metrics it reads


@dataclass(frozen=True)
class Lever:
    """A setting, what it changes, and what it saves a month (against the estimate it was computed from)."""

    setting: str
    what: str
    saving: float


def drivers(est: Estimate, count: int = 3) -> list[tuple[str, float, float]]:
    """(service, monthly, share of the total) of the services that cost most."""
    totals = {service: sum(i.monthly for i in items) for service, items in est.by_service().items()}
    top = sorted(totals.items(), key=lambda kv: -kv[1])[:count]
    return [(service, amount, amount / est.total if est.total else 0.0) for service, amount in top]


def levers(graph: dict, prices: dict[str, dict], assumptions: dict[str, float], count: int = 3) -> list[Lever]:
    """The `count` settings that would save most, each priced on a rewritten copy of the graph."""
    base = _exact_total(estimate(graph, prices, assumptions))
    found = []
    for setting, what, rewrite in LEVERS:
        changed = json.loads(json.dumps(graph, default=str))  # a plain copy: graphs are JSON (tools/preview.py)
        if not rewrite(changed):
            continue
        try:
            saving = base - _exact_total(estimate(changed, prices, assumptions))
        except MissingPrice:
            continue
        if saving >= 0.01:
            found.append(Lever(setting, what, round(saving, 2)))
    return sorted(found, key=lambda lever: -lever.saving)[:count]


def _exact_total(est: Estimate) -> float:
    return sum(item.monthly for item in est.items)


def endpoint_note(graph: dict, prices: dict[str, dict], region: str) -> str | None:
    """When an interface endpoint pays for itself: its AZ-hours against the NAT processing it saves."""
    types = {r["type"] for r in graph["resources"]}
    vpc = prices.get(region, {}).get("vpc", {})
    if not vpc or "aws:ec2/natGateway:NatGateway" not in types:
        if "aws:autoscaling/group:Group" in types:
            return ("Interface endpoints: through NAT instances there is no per-GB processing to save, so an "
                    "endpoint never pays for itself on price alone.")
        return None
    per_az = vpc["interfaceEndpointAzHour"] * HOURS
    saved = vpc["natGatewayGb"] - vpc["interfaceEndpointGb"]
    return (f"Interface endpoints: each costs ${per_az:.2f} a month per AZ; instead of NAT gateways (${vpc['natGatewayGb']}"
            f"/GB against ${vpc['interfaceEndpointGb']}/GB) it pays for itself above {per_az / saved:,.0f} GB a month "
            "per AZ through that one service.")


# ---------------------------------------------------------------------------------------------- rewrites


def _resources(graph: dict, type_: str) -> list[dict]:
    return [r for r in graph["resources"] if r["type"] == type_ and r["custom"]]


def _synthetic(graph: dict, type_: str, name: str, parent: str, inputs: dict) -> None:
    graph["resources"].append({"urn": f"{parent}${type_}::{name}", "type": type_, "name": name, "parent": parent,
                               "custom": True, "inputs": inputs, "options": {}})


def nat_instances(graph: dict) -> bool:
    """Each NAT gateway becomes a t4g.nano NAT instance (group, template, alarms); the Elastic IPs stay."""
    gateways = _resources(graph, "aws:ec2/natGateway:NatGateway")
    if not gateways:
        return False
    for gateway in gateways:
        graph["resources"].remove(gateway)
        parent = f"{gateway['urn']}-instance"
        _synthetic(graph, "aws:autoscaling/group:Group", gateway["name"], parent, {"desiredCapacity": 1})
        _synthetic(graph, "aws:ec2/launchTemplate:LaunchTemplate", f"{gateway['name']}-template", parent, {
            "instanceType": NAT_INSTANCE_TYPE,
            "blockDeviceMappings": [{"ebs": {"volumeSize": 8, "volumeType": "gp3"}}]})
        for alarm, metrics in NAT_INSTANCE_ALARMS:
            queries = [{"metric": {"period": 60}} for _ in range(metrics)] if metrics > 1 else []
            _synthetic(graph, "aws:cloudwatch/metricAlarm:MetricAlarm", f"{gateway['name']}-{alarm}", parent,
                       {"period": 60, **({"metricQueries": queries} if queries else {})})
    return True


def two_azs(graph: dict) -> bool:
    """Three AZs become two: the third AZ's NAT gateway and its address go, the ALB keeps two addresses."""
    gateways = sorted(_resources(graph, "aws:ec2/natGateway:NatGateway"), key=lambda r: r["name"])
    if len(gateways) != 3:
        return False
    last = gateways[-1]
    graph["resources"] = [r for r in graph["resources"]
                          if not (r["name"] == last["name"] and r["type"] in ("aws:ec2/natGateway:NatGateway",
                                                                               "aws:ec2/eip:Eip"))]
    for alb in _resources(graph, "aws:lb/loadBalancer:LoadBalancer"):
        if len(alb["inputs"].get("subnets") or []) == 3:
            alb["inputs"]["subnets"] = alb["inputs"]["subnets"][:2]
    for endpoint in _resources(graph, "aws:ec2/vpcEndpoint:VpcEndpoint"):
        if len(endpoint["inputs"].get("subnetIds") or []) == 3:
            endpoint["inputs"]["subnetIds"] = endpoint["inputs"]["subnetIds"][:2]
    return True


def graviton(graph: dict) -> bool:
    """The app's x86 task definitions run on ARM64 (Graviton); others (the database dump's images) stay."""
    changed = False
    for task in _resources(graph, "aws:ecs/taskDefinition:TaskDefinition"):
        if f"{APP_TASK_COMPONENT}$" not in task["urn"]:
            continue
        platform = task["inputs"].setdefault("runtimePlatform", {})
        if (platform.get("cpuArchitecture") or "X86_64") == "X86_64":
            platform["cpuArchitecture"] = "ARM64"
            changed = True
    return changed


def spot(graph: dict) -> bool:
    """Every service of a non-production stack on Fargate Spot."""
    if is_production(graph.get("stack", "")):
        return False
    changed = False
    for service in _resources(graph, "aws:ecs/service:Service"):
        strategies = service["inputs"].get("capacityProviderStrategies") or []
        if not any(s.get("capacityProvider") == "FARGATE_SPOT" and s.get("weight") for s in strategies):
            service["inputs"].pop("launchType", None)
            service["inputs"]["capacityProviderStrategies"] = [{"capacityProvider": "FARGATE_SPOT", "weight": 1}]
            changed = True
    return changed


def standard_insights(graph: dict) -> bool:
    """Container Insights `enhanced` becomes `enabled` (service-level metrics, which the alarms read, stay)."""
    changed = False
    for cluster in _resources(graph, "aws:ecs/cluster:Cluster"):
        for setting in cluster["inputs"].get("settings") or []:
            if setting.get("name") == "containerInsights" and setting.get("value") == "enhanced":
                setting["value"] = "enabled"
                changed = True
    return changed


def office_hours(graph: dict) -> bool:
    """A non-production stack without office hours gets the default ones: services, database, NAT instances."""
    if is_production(graph.get("stack", "")) or _resources(graph, "aws:appautoscaling/scheduledAction:ScheduledAction"):
        return False
    crons = OfficeHoursSettings().crons()
    parent = "urn:pulumi:lever::office-hours"
    for service in _resources(graph, "aws:ecs/service:Service"):
        cluster = str(service["inputs"].get("cluster", "")).split("/")[-1]
        resource_id = f"service/{cluster}/{service['inputs'].get('name') or service['name']}"
        for moment, cron, high in (("stop", crons.services_stop, 0), ("start", crons.services_start, 1)):
            _synthetic(graph, "aws:appautoscaling/scheduledAction:ScheduledAction", f"{service['name']}-{moment}",
                       parent, {"resourceId": resource_id, "schedule": cron,
                                "scalableTargetAction": {"maxCapacity": high}})
    for db in _resources(graph, "aws:rds/instance:Instance"):
        if db["inputs"].get("replicateSourceDb"):
            continue
        for moment, cron, api in (("stop", crons.backing_stop, "stop"), ("start", crons.backing_start, "start")):
            _synthetic(graph, "aws:scheduler/schedule:Schedule", f"{db['name']}-{moment}", parent, {
                "scheduleExpression": cron, "target": {
                    "arn": f"arn:aws:scheduler:::aws-sdk:rds:{api}DBInstance",
                    "input": f'{{"DbInstanceIdentifier": "{db["inputs"].get("identifier") or db["name"]}"}}'}})
    for group in _resources(graph, "aws:autoscaling/group:Group"):
        for moment, recurrence, desired in (("stop", crons.backing_stop_unix, 0), ("start", crons.backing_start_unix, 1)):
            _synthetic(graph, "aws:autoscaling/schedule:Schedule", f"{group['name']}-{moment}", parent, {
                "autoscalingGroupName": group["inputs"].get("name") or group["name"], "recurrence": recurrence,
                "desiredCapacity": desired})
    return True


def infrequent_flow_logs(graph: dict) -> bool:
    """Flow log groups in the Infrequent Access class."""
    parents = {r["parent"] for r in _resources(graph, "aws:ec2/flowLog:FlowLog")}
    changed = False
    for group in _resources(graph, "aws:cloudwatch/logGroup:LogGroup"):
        if group["parent"] in parents and group["inputs"].get("logGroupClass", "STANDARD") == "STANDARD":
            group["inputs"]["logGroupClass"] = "INFREQUENT_ACCESS"
            changed = True
    return changed


LEVERS: tuple[tuple[str, str, Callable[[dict], bool]], ...] = (
    ("network.natStrategy: instance", "NAT instances (t4g.nano, one per NAT gateway) instead of NAT gateways; "
     "bandwidth, patching and availability trade-offs in docs/cost.md", nat_instances),
    ("network.azCount: 2", "two AZs instead of three: one NAT gateway and one ALB address less; database, cache "
     "and web tasks still span two AZs", two_azs),
    ("image.build.platform: linux/arm64", "Graviton (ARM64) tasks, 20% below x86; the image must build for arm64",
     graviton),
    ("services.<name>.spot: true", "Fargate Spot for every service, 70% below on-demand; tasks can be interrupted "
     "(refused in production)", spot),
    ("cluster.containerInsights: enabled", "Container Insights without task- and container-level metrics; the "
     "alarms and autoscaling read service-level ones", standard_insights),
    ("schedule.officeHours", "services at zero, database stopped, NAT instances off outside Mon-Fri 08:00-19:00",
     office_hours),
    ("network.flowLogsClass: INFREQUENT_ACCESS", "flow logs at half the ingestion price (no metric filters)",
     infrequent_flow_logs),
)
