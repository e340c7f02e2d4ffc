"""The monthly cost estimate: price rules per resource kind on hand-made graphs, cron runs, Spot, multi-AZ,
unknown types, assumptions from settings, rendering, the pull-request cost line and both real stacks."""

import json

import pytest

from settings.cost import CostAssumptions
from settings.loader import SettingsError, parse_settings
from tests.helpers import stack_settings
from tools.cost import (
    Estimate,
    Item,
    capacity_split,
    cost_line,
    default_assumptions,
    estimate,
    load_prices,
    merged_assumptions,
    render_estimate,
    runs_per_month,
    task_family,
)
from tools.plan_diff import render_diff

PRICES = {region: load_prices(region) for region in ("us-east-1", "us-west-2")}
# Test values for every assumption, independent of the defaults file (which may be retuned).
ASSUMPTIONS = {
    "natProcessedGb": 30, "albLcu": 1, "wafRequestsMillions": 5, "scheduledTaskMinutes": 15,
    "rdsBackupDailyChange": 0.02, "logsIngestedGb": 10, "logsStoredGb": 20, "containerInsightsMetrics": 25,
    "interfaceEndpointGb": 10, "s3BackupGb": 20, "s3OtherGb": 2, "s3ReplicatedGb": 20, "ecrStorageGb": 2,
}
PROVIDER = {"urn": "urn:pulumi:test::nodeapi::pulumi:providers:aws::aws", "type": "pulumi:providers:aws",
            "name": "aws", "parent": None, "custom": True, "inputs": {"region": "us-east-1"}, "options": {}}


def res(kind: str, name: str, inputs: dict | None = None, component: str = "nodeapi:test:Component") -> dict:
    """A custom resource under a component of type `component`."""
    return {"urn": f"urn:pulumi:test::nodeapi::{component}${kind}::{name}", "type": kind, "name": name,
            "parent": f"urn:pulumi:test::nodeapi::{component}::c", "custom": True, "inputs": inputs or {},
            "options": {}}


def graph(*resources: dict, stack: str = "test") -> dict:
    return {"project": "nodeapi", "stack": stack, "outputs": {}, "resources": [PROVIDER, *resources]}


def total(*resources: dict, assumptions: dict | None = None) -> float:
    """The unrounded monthly sum, to compare with hand computations to a tenth of a cent."""
    return sum(item.monthly for item in estimate(graph(*resources), PRICES, assumptions or ASSUMPTIONS).items)


def task(family: str, cpu: str, memory: str, arch: str = "X86_64") -> dict:
    return res("aws:ecs/taskDefinition:TaskDefinition", f"{family}-task",
               {"family": family, "cpu": cpu, "memory": memory, "runtimePlatform": {"cpuArchitecture": arch}})


def service(name: str, count: int, family: str, **inputs) -> dict:
    arn = f"arn:aws:ecs:us-east-1:123456789012:task-definition/{family}:1"
    return res("aws:ecs/service:Service", name, {"desiredCount": count, "taskDefinition": arn,
                                                 "cluster": "arn:aws:ecs:us-east-1:123456789012:cluster/c", **inputs})


def spot(weight_on_demand: int = 0, base_on_demand: int = 0) -> list[dict]:
    strategies = [{"capacityProvider": "FARGATE_SPOT", "weight": 1, "base": 0}]
    if weight_on_demand or base_on_demand:
        strategies.insert(0, {"capacityProvider": "FARGATE", "weight": weight_on_demand, "base": base_on_demand})
    return strategies


def db(name: str = "db", **inputs) -> dict:
    return res("aws:rds/instance:Instance", name, {"identifier": f"nodeapi-{name}", "instanceClass": "db.t4g.micro",
                                                   "allocatedStorage": 20, "storageType": "gp3",
                                                   "backupRetentionPeriod": 0, **inputs})


def alarm(name: str, **inputs) -> dict:
    return res("aws:cloudwatch/metricAlarm:MetricAlarm", name, inputs)


def metric(period: float = 60) -> dict:
    return {"metric": {"metricName": "M", "namespace": "N", "period": period, "stat": "Sum"}}


def plan(rules: list[dict]) -> dict:
    return res("aws:backup/plan:Plan", "plan", {"rules": rules})


# Hand-computed: quantity × unit price, 730 h a month, prices of tools/prices/us-east-1.json (us-west-2 where noted).
CASES = {
    # 730 h × $0.045 + NAT data 30 GB × $0.045 = 32.85 + 1.35
    "nat gateway and its data": ([res("aws:ec2/natGateway:NatGateway", "nat")], 34.20),
    # 730 h × $0.005 public IPv4
    "elastic ip": ([res("aws:ec2/eip:Eip", "eip")], 3.65),
    # ALB 730 × 0.0225 = 16.425; 1 LCU × 730 × 0.008 = 5.84; 2 public IPv4 × 730 × 0.005 = 7.30
    "internet-facing alb": ([res("aws:lb/loadBalancer:LoadBalancer", "alb", {"subnets": ["a", "b"]})], 29.565),
    "internal alb has no public ips": ([res("aws:lb/loadBalancer:LoadBalancer", "alb", {"internal": True})], 22.265),
    # 2 tasks × 0.5 vCPU × 730 × 0.04048 = 29.5504; 2 × 1 GB × 730 × 0.004445 = 6.4897
    "fargate on-demand": ([task("web", "512", "1024"), service("web", 2, "web")], 36.0401),
    # 1 × 0.25 × 730 × 0.012144 = 2.21628; 1 × 0.5 × 730 × 0.0013335 = 0.48673 (Spot: 70% off)
    "fargate spot": ([task("web", "256", "512"), service("web", 1, "web", capacityProviderStrategies=spot())], 2.70301),
    # 3 tasks: base 1 on FARGATE, the other 2 split 1:1 -> 2 on-demand (2 × 0.25 × 730 × 0.04048 = 14.7752,
    # 2 × 0.5 × 730 × 0.004445 = 3.24485) + 1 Spot (2.70301)
    "fargate base then weights": ([task("web", "256", "512"),
                                   service("web", 3, "web", capacityProviderStrategies=spot(1, 1))], 20.72306),
    # ARM64: 1 × 1 vCPU × 730 × 0.03238 = 23.6374; 2 GB × 730 × 0.00356 = 5.1976
    "fargate arm64": ([task("api", "1024", "2048", "ARM64"), service("api", 1, "api")], 28.835),
    # no strategy on the service: the cluster default (Spot) applies
    "fargate cluster default strategy": ([task("web", "256", "512"), service("web", 1, "web"),
                                          res("aws:ecs/clusterCapacityProviders:ClusterCapacityProviders", "cp",
                                              {"clusterName": "c", "defaultCapacityProviderStrategies": spot()})],
                                         2.70301),
    # daily: 730/24 = 30.41667 runs × 15 min = 7.60417 h; 0.25 vCPU -> 1.90104 × 0.04048 = 0.07695;
    # 0.5 GB -> 3.80208 × 0.004445 = 0.01690
    "scheduled task": ([task("job", "256", "512"),
                        res("aws:scheduler/schedule:Schedule", "job", {
                            "scheduleExpression": "cron(0 3 * * ? *)",
                            "target": {"ecsParameters": {"launchType": "FARGATE", "taskCount": 1,
                                                         "taskDefinitionArn": "arn:aws:ecs:us-east-1:1:task-definition/job:3"}}})],
                       0.09385),
    # 730 × 0.016 = 11.68; 20 GB × 0.115 = 2.30; backups 20 × 0.02 × 7 = 2.8 GB × 0.095 = 0.266; master secret 0.40
    "rds single-az": ([db(backupRetentionPeriod=7, manageMasterUserPassword=True)], 14.646),
    # multi-AZ doubles: 2 × 730 × 0.065 = 94.90; 2 × 50 GB × 0.115 = 11.50; backups 50 × 0.02 × 30 = 30 × 0.095
    # = 2.85 (free amount = 50 GB, not doubled); Performance Insights 7 days: free
    "rds multi-az": ([db(instanceClass="db.t4g.medium", allocatedStorage=50, multiAz=True, backupRetentionPeriod=30,
                         performanceInsightsEnabled=True, performanceInsightsRetentionPeriod=7)], 109.25),
    # instance 11.68 + 2.30; us-west-2 replica 20 × (1 + 0.02 × 30) = 32 GB × 0.095 = 3.04;
    # transfer 20 × 0.02 × 30.41667 = 12.16667 GB × 0.02 = 0.24333
    "rds cross-region backups": ([db(), res("aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication",
                                            "repl", {"region": "us-west-2", "retentionPeriod": 30,
                                                     "sourceDbInstanceArn": "arn:aws:rds:us-east-1:1:db:nodeapi-db"})],
                                 17.26333),
    # instance 13.98 + proxy 2 vCPU × 730 × 0.015 = 21.90
    "rds proxy": ([db(), res("aws:rds/proxy:Proxy", "proxy")], 35.88),
    # valkey (20% below Redis OSS): 2 nodes × 730 × 0.0256 = 37.376
    "valkey two nodes": ([res("aws:elasticache/replicationGroup:ReplicationGroup", "cache",
                              {"engine": "valkey", "nodeType": "cache.t4g.small", "numCacheClusters": 2})], 37.376),
    # redis, 1 shard + 1 replica = 2 nodes × 730 × 0.016 = 23.36
    "redis primary and replica": ([res("aws:elasticache/replicationGroup:ReplicationGroup", "cache",
                                       {"engine": "redis", "nodeType": "cache.t4g.micro",
                                        "replicasPerNodeGroup": 1})], 23.36),
    # $5 ACL + 3 rules × $1 + 5 M requests × $0.60
    "waf": ([res("aws:wafv2/webAcl:WebAcl", "acl", {"rules": [{"name": "a"}, {"name": "b"}, {"name": "c"}]})], 11.0),
    "standard alarm": ([alarm("a", period=60)], 0.10),
    "high-resolution alarm": ([alarm("a", period=10)], 0.30),
    # metric math: each metric of the expression is an alarm metric: 2 × $0.10
    "metric-math alarm": ([alarm("a", metricQueries=[metric(), metric(), {"expression": "m1/m2"}])], 0.20),
    "high-resolution metric-math alarm": ([alarm("a", metricQueries=[metric(10), metric(10), {"expression": "m1+m2"}])],
                                          0.60),
    "anomaly detection alarm": ([alarm("a", metricQueries=[metric(), {"expression": "ANOMALY_DETECTION_BAND(m1)"}])],
                                0.30),
    "composite alarm and dashboard": ([res("aws:cloudwatch/compositeAlarm:CompositeAlarm", "c"),
                                       res("aws:cloudwatch/dashboard:Dashboard", "d")], 3.50),
    # 25 metrics × $0.30; a cluster without Container Insights costs nothing
    "container insights": ([res("aws:ecs/cluster:Cluster", "c", {"settings": [{"name": "containerInsights",
                                                                              "value": "enhanced"}]}),
                            res("aws:ecs/cluster:Cluster", "off")], 7.50),
    # ingestion 10 GB × 0.50 + storage 20 GB × 0.03
    "log groups": ([res("aws:cloudwatch/logGroup:LogGroup", "a"), res("aws:cloudwatch/logGroup:LogGroup", "b")], 5.60),
    "secret": ([res("aws:secretsmanager/secret:Secret", "s")], 0.40),
    "kms keys in both regions": ([res("aws:kms/key:Key", "k"), res("aws:kms/replicaKey:ReplicaKey", "r",
                                                                   {"region": "us-west-2"})], 2.0),
    # 2 AZ × 730 × 0.01 = 14.60 + 10 GB × 0.01; the S3 gateway endpoint is free
    "vpc endpoints": ([res("aws:ec2/vpcEndpoint:VpcEndpoint", "ecr", {"vpcEndpointType": "Interface",
                                                                     "subnetIds": ["a", "b"]}),
                       res("aws:ec2/vpcEndpoint:VpcEndpoint", "s3", {"vpcEndpointType": "Gateway"})], 14.70),
    # backup bucket 20 GB × 0.023 = 0.46; its replica in STANDARD_IA 20 × 0.0125 = 0.25; replication 20 GB × 0.02
    # = 0.40; the access-log bucket 2 GB × 0.023 = 0.046
    "s3 buckets": ([res("aws:s3/bucket:Bucket", "backups", {"bucket": "b"}, "nodeapi:backups:BackupBucket"),
                    res("aws:s3/bucket:Bucket", "replica", {"bucket": "r", "region": "us-west-2"},
                        "nodeapi:backups:BackupBucket"),
                    res("aws:s3/bucketReplicationConfig:BucketReplicationConfig", "repl", {
                        "bucket": "b", "rules": [{"destination": {"bucket": "arn:aws:s3:::r",
                                                                  "storageClass": "STANDARD_IA"}}]}),
                    res("aws:s3/bucket:Bucket", "logs", {"bucket": "l"})], 1.156),
    # DB 50 GB single-AZ: 11.68 + 5.75 = 17.43; each vault 50 × (1 + 0.02 × 30) = 80 GB × 0.095 = 7.60 (× 2);
    # copy transfer 50 × 0.02 × 30.41667 = 30.41667 GB × 0.02 = 0.60833; the unused vault costs nothing
    "aws backup with a cross-region copy": ([
        db(allocatedStorage=50),
        res("aws:backup/selection:Selection", "sel", {"resources": ["arn:aws:rds:us-east-1:1:db:nodeapi-db"]}),
        plan([{"targetVaultName": "main", "lifecycle": {"deleteAfter": 30},
               "copyActions": [{"destinationVaultArn": "arn:aws:backup:us-west-2:1:vault/copy",
                                "lifecycle": {"deleteAfter": 30}}]}]),
        res("aws:backup/vault:Vault", "main", {"name": "main"}),
        res("aws:backup/vault:Vault", "copy", {"name": "copy", "region": "us-west-2"}),
        res("aws:backup/vault:Vault", "spare", {"name": "spare"})], 33.23833),
    "ecr repository": ([res("aws:ecr/repository:Repository", "app")], 0.20),
}


@pytest.mark.parametrize("resources, expected", CASES.values(), ids=CASES.keys())
def test_monthly_cost_per_resource_kind(resources, expected):
    assert total(*resources) == pytest.approx(expected, abs=0.0005)


def test_spot_is_70_percent_off_on_demand():
    on_demand = total(task("web", "512", "1024"), service("web", 2, "web"))
    on_spot = total(task("web", "512", "1024"), service("web", 2, "web", capacityProviderStrategies=spot()))
    assert on_spot == pytest.approx(on_demand * 0.3, abs=0.01)


def test_multi_az_doubles_instance_and_storage_not_the_free_backup_amount():
    single, multi = total(db(backupRetentionPeriod=7)), total(db(backupRetentionPeriod=7, multiAz=True))
    assert multi - single == pytest.approx(11.68 + 2.30)


@pytest.mark.parametrize("expression, runs", [
    ("cron(0 3 * * ? *)", 730 / 24),  # daily
    ("cron(*/15 * * * ? *)", 4 * 730),  # every 15 minutes
    ("cron(0,30 8-17 * * ? *)", 2 * 10 * 730 / 24),  # twice an hour, 10 hours a day
    ("cron(0 9 ? * MON-FRI *)", 5 * 730 / 24 / 7),  # weekdays
    ("cron(0 9 ? * 2#1 *)", 1),  # first Monday of the month
    ("cron(0 0 1 * ? *)", 1),  # first of the month
    ("cron(0 0 L * ? *)", 1),  # last day of the month
    ("cron(0 0 1 JAN,JUL ? *)", 2 / 12),  # twice a year
    ("rate(5 minutes)", 730 * 12),
    ("rate(1 hour)", 730),
    ("rate(2 days)", 730 / 48),
    ("at(2026-12-01T00:00:00)", 0),  # one-off: no monthly cost
])
def test_runs_per_month_from_schedule_expressions(expression, runs):
    assert runs_per_month(expression) == pytest.approx(runs)


def test_capacity_split_and_task_family():
    assert capacity_split(5, spot(3, 1)) == {"FARGATE": 1 + 3, "FARGATE_SPOT": 1}
    assert capacity_split(2, []) == {"FARGATE": 2}
    assert task_family("arn:aws:ecs:us-east-1:1:task-definition/nodeapi-prod-web:12") == "nodeapi-prod-web"
    assert task_family("nodeapi-prod-web") == task_family("nodeapi-prod-web:3") == "nodeapi-prod-web"


def test_unknown_types_are_reported_and_known_free_ones_listed():
    est = estimate(graph(res("aws:route53/zone:Zone", "zone"), res("aws:iam/role:Role", "role"),
                         res("aws:iam/role:Role", "role2")), PRICES, ASSUMPTIONS)
    assert est.unknown == {"aws:route53/zone:Zone": 1}
    assert est.not_priced == {"aws:iam/role:Role": 2, "pulumi:providers:aws": 1}
    text = render_estimate(est)
    assert "UNKNOWN types (no price rule and not on the free list: add one to tools/cost.py):\n" \
           "  aws:route53/zone:Zone × 1\n" in text
    assert "  aws:iam/role:Role × 2: free\n" in text


def test_a_size_without_a_price_is_named_and_left_out_of_the_total():
    est = estimate(graph(db(instanceClass="db.x9.huge"), res("aws:secretsmanager/secret:Secret", "s")),
                   PRICES, ASSUMPTIONS)
    assert est.missing == ("db (aws:rds/instance:Instance): no price for rds.instanceHour.db.x9.huge in us-east-1 "
                           "(tools/prices/us-east-1.json)",)
    assert est.total == 0.40


def test_a_service_whose_task_definition_is_not_in_the_graph_is_named():
    est = estimate(graph(service("web", 1, "gone")), PRICES, ASSUMPTIONS)
    assert est.missing == ("web (aws:ecs/service:Service): no task definition with family 'gone' in the graph",)


# ---------------------------------------------------------------------------------------------- assumptions


def test_assumption_defaults_match_the_settings_model():
    aliases = {f.alias for f in CostAssumptions.model_fields.values()}
    assert set(default_assumptions()) == aliases == set(ASSUMPTIONS)


def test_stack_settings_override_assumptions():
    raw = {**stack_settings("staging"), "cost": {"assumptions": {"natProcessedGb": 100, "albLcu": 0.5}}}
    overrides = parse_settings(raw, "test").cost.assumptions.overrides()
    assert overrides == {"natProcessedGb": 100.0, "albLcu": 0.5}
    merged = merged_assumptions(overrides, ASSUMPTIONS)
    # NAT: 32.85 + 100 GB × 0.045 = 37.35
    assert total(res("aws:ec2/natGateway:NatGateway", "nat"), assumptions=merged) == pytest.approx(37.35)
    assert merged["logsIngestedGb"] == ASSUMPTIONS["logsIngestedGb"]


def test_a_bad_assumption_key_is_refused_with_the_allowed_keys():
    raw = {**stack_settings("staging"), "cost": {"assumptions": {"natGb": 5}}}
    with pytest.raises(SettingsError) as error:
        parse_settings(raw, "nodeapi:settings (Pulumi.staging.yaml)")
    assert str(error.value) == (
        "Invalid settings in nodeapi:settings (Pulumi.staging.yaml):\n"
        "  cost.assumptions.natGb: unknown key (got 5); allowed keys here: albLcu, containerInsightsMetrics, "
        "ecrStorageGb, interfaceEndpointGb, logsIngestedGb, logsStoredGb, natProcessedGb, rdsBackupDailyChange, "
        "s3BackupGb, s3OtherGb, s3ReplicatedGb, scheduledTaskMinutes, wafRequestsMillions"
    )


def test_a_negative_assumption_is_refused():
    raw = {**stack_settings("staging"), "cost": {"assumptions": {"albLcu": -1}}}
    with pytest.raises(SettingsError, match=r"cost\.assumptions\.albLcu: got -1; input should be greater than or "
                                            r"equal to 0"):
        parse_settings(raw, "test")


def test_price_files_state_source_date_and_the_list_prices():
    for region, prices in PRICES.items():
        assert prices["region"] == region and "on-demand" in prices["date"] and prices["date"][:4] == "2026"
        assert all(url.startswith("https://aws.amazon.com/") for url in prices["source"])
        assert (prices["vpc"]["natGatewayHour"], prices["elb"]["albHour"], prices["elb"]["lcuHour"]) == (0.045, 0.0225, 0.008)
        assert prices["fargate"]["FARGATE"]["X86_64"] == {"vcpuHour": 0.04048, "gbHour": 0.004445}
        assert prices["rds"]["instanceHour"]["db.t4g.micro"] == 0.016 and prices["rds"]["gp3GbMonth"] == 0.115
        assert prices["elasticache"]["nodeHour"]["redis"]["cache.t4g.small"] == 0.032
    assert PRICES["us-east-1"].keys() == PRICES["us-west-2"].keys()


# ---------------------------------------------------------------------------------------------- rendering


def test_render_estimate_exact_table():
    est = Estimate("demo", "us-east-1", (
        Item("Networking", "NAT gateway nat", 730, "h", 0.045),
        Item("KMS", "customer-managed key k (us-east-1)", 1, "key", 1.0),
        Item("Networking", "NAT data processing [natProcessedGb]", 30, "GB", 0.045),
    ), {"aws:iam/role:Role": 1}, {}, (), {"natProcessedGb": 30.0}, ("2026-11-22: list on-demand",))
    assert render_estimate(est, {"natProcessedGb": "this stack"}) == """\
Monthly cost estimate for demo (us-east-1): USD, 730 h a month, list on-demand prices

item                                    quantity  unit price  monthly

Networking
  NAT gateway nat                          730 h      $0.045   $32.85
  NAT data processing [natProcessedGb]     30 GB      $0.045    $1.35
                                                    subtotal   $34.20

KMS
  customer-managed key k (us-east-1)       1 key       $1.00    $1.00
                                                    subtotal    $1.00

Total                                                          $35.20

Not priced (free, usage only or priced elsewhere): 1 resources
  aws:iam/role:Role × 1: free

Assumptions (tools/prices/assumptions.json; override per stack under cost.assumptions):
  natProcessedGb  30  (this stack)

Prices: 2026-11-22: list on-demand
"""


def _estimate_with_total(amount: float, unknown: dict | None = None) -> Estimate:
    return Estimate("prod", "us-east-1", (Item("KMS", "k", 1, "key", amount),), {}, unknown or {}, (), {}, ())


@pytest.mark.parametrize("before, after, line", [
    (100, 112.5, "Estimated monthly cost: $100.00 → $112.50 (+$12.50)"),
    (1234.5, 1000, "Estimated monthly cost: $1,234.50 → $1,000.00 (-$234.50)"),
    (50, 50, "Estimated monthly cost: $50.00 → $50.00 (±$0.00)"),
])
def test_cost_line(before, after, line):
    assert cost_line(_estimate_with_total(before), _estimate_with_total(after)) == line


def test_cost_line_names_types_left_out_of_the_estimate():
    after = _estimate_with_total(10, {"aws:route53/zone:Zone": 1})
    assert cost_line(_estimate_with_total(10), after) == (
        "Estimated monthly cost: $10.00 → $10.00 (±$0.00) — not in the estimate: `aws:route53/zone:Zone`")


def test_plan_diff_carries_the_cost_line_under_the_summary():
    base = graph(res("aws:ec2/natGateway:NatGateway", "nat-a"), stack="prod")
    head = graph(res("aws:ec2/natGateway:NatGateway", "nat-a"), res("aws:ec2/natGateway:NatGateway", "nat-b"),
                 stack="prod")
    line = cost_line(estimate(base, PRICES, ASSUMPTIONS), estimate(head, PRICES, ASSUMPTIONS))
    assert render_diff(base, head, cost=line) == """\
### Plan for `prod`

**1 to add** (2 unchanged)

Estimated monthly cost: $34.20 → $67.05 (+$32.85)


<details>
<summary><b>providers</b>: 1 to add</summary>

- **add** `nat-b` (`aws:ec2/natGateway:NatGateway`)

</details>
"""


# ---------------------------------------------------------------------------------------------- the real stacks
# Hand-checked at commit f916593 (service, WAF and observability tiers on main), prices of 2026-11-22, the default
# assumptions and staging's overrides (albLcu 0.2, natProcessedGb 10, wafRequestsMillions 0.5, logsIngestedGb 3,
# logsStoredGb 5, s3BackupGb 2). 730 h a month; daily jobs run 730/24 = 30.4167 times a month.
#
# service          staging                                               prod
# Networking       NAT 32.85 + EIP 3.65 + ALB IPv4 2 AZ 7.30             3 NAT 98.55 + 3 EIP 10.95 + ALB IPv4 3 AZ 10.95
#                  + 10 GB × 0.045 = 0.45                 = 44.25        + 30 GB × 0.045 = 1.35                 = 121.80
# Load balancing   16.425 + 0.2 LCU × 730 × 0.008 = 1.168 = 17.593       16.425 + 1 LCU × 730 × 0.008 = 5.84    = 22.265
# Fargate          web and worker on Spot, 0.25 vCPU/0.5 GB:             web 2 × 0.5 vCPU/1 GB: 29.5504 + 6.4897;
#                  2 × (2.21628 + 0.48673); dump 0.5/1 GB 7.6042 h:      worker 0.25/0.5 GB: 7.3876 + 1.62243;
#                  0.15391 + 0.03380; analytics 0.25/0.5 GB 7.6042 h:    dump 0.18771; analytics 0.09385
#                  0.07695 + 0.01690                      = 5.68758                                             = 45.33169
# RDS              t4g.micro 11.68 + 20 GB gp3 2.30 + backups            t4g.medium ×2 94.90 + 2 × 50 GB 11.50 + backups
#                  20 × 0.02 × 7 = 2.8 GB × 0.095 = 0.266 = 14.246       50 × 0.02 × 30 = 30 GB 2.85 + PI 0 + us-west-2
#                                                                        copy 80 GB 7.60 + 30.4167 GB × 0.02 0.60833
#                                                                                                               = 117.45833
# ElastiCache      valkey t4g.micro 730 × 0.0128          = 9.344        valkey t4g.small 2 × 730 × 0.0256      = 37.376
# WAF              5 + 4 rules + 0.5 M × 0.60             = 9.30         5 + 4 rules + 5 M × 0.60               = 12.00
# CloudWatch       Container Insights 25 × 0.30 7.50 + dashboard 3 +     7.50 + 3 + 70 alarm metrics 7.00 + logs 15 GB
#                  60 alarm metrics 6.00 + logs 3 GB 1.50 + 5 GB 0.15    7.50 + 30 GB 0.90
#                                                         = 18.15                                               = 25.90
#                  (alarm metrics, web public + worker: ALB 5xx 3 × 2, web response time 4 × 2 (p99 and sample count
#                  per target group), 5xx 4 × 2, 4xx 4 (warning only), unhealthy 2 × 2, 2 services × 3 ECS rows 8,
#                  RDS 4 × 2, cache rows × members; prod adds the replica member and replication lag)
# Secrets Manager  3 secrets + the RDS master secret      = 1.60         the same                               = 1.60
# KMS              2 keys (us-east-1, us-west-2)          = 2.00         the same                               = 2.00
# S3               backups 2 GB + access logs 2 GB        = 0.092        backups 20 GB 0.46 + replica IA 0.25 +
#                                                                        replication 0.40 + access logs 0.046   = 1.156
# AWS Backup       2 vaults × 20 × 1.14 GB × 0.095 4.332                 2 vaults × 50 × 1.6 GB × 0.095 15.20
#                  + copy 12.1667 GB × 0.02 0.24333       = 4.57533      + copy 30.4167 GB × 0.02 0.60833        = 15.80833
# ECR              2 GB × 0.10                            = 0.20         the same                               = 0.20
# Total                                                   = 127.03788                                           = 402.89535
REAL_STACKS = {
    "staging": (127.04, {"Networking": 44.25, "Load balancing": 17.593, "Compute (Fargate)": 5.68758,
                         "Database (RDS)": 14.246, "Cache (ElastiCache)": 9.344, "WAF": 9.30, "CloudWatch": 18.15,
                         "Secrets Manager": 1.60, "KMS": 2.00, "S3": 0.092, "AWS Backup": 4.57533, "ECR": 0.20}),
    "prod": (402.90, {"Networking": 121.80, "Load balancing": 22.265, "Compute (Fargate)": 45.33169,
                      "Database (RDS)": 117.45833, "Cache (ElastiCache)": 37.376, "WAF": 12.00, "CloudWatch": 25.90,
                      "Secrets Manager": 1.60, "KMS": 2.00, "S3": 1.156, "AWS Backup": 15.80833, "ECR": 0.20}),
}


@pytest.mark.parametrize("stack", REAL_STACKS)
def test_real_stack_totals_match_the_hand_computation(stack, request):
    from tools.preview import cost_overrides
    from tools.cost import estimate_graph

    est = estimate_graph(request.getfixturevalue(stack), cost_overrides(stack))
    expected_total, expected_services = REAL_STACKS[stack]
    assert (est.unknown, est.missing) == ({}, ())
    subtotals = {service: sum(i.monthly for i in items) for service, items in est.by_service().items()}
    assert subtotals == pytest.approx(expected_services, abs=0.0005)
    assert est.total == expected_total



def test_preview_cost_prints_the_estimate_with_the_stack_overrides(monkeypatch, capsys, staging):
    import tools.preview

    monkeypatch.setattr(tools.preview, "build_graph", lambda stack, **_: staging)
    assert tools.preview.main(["staging", "--cost"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Monthly cost estimate for staging (us-east-1): USD, 730 h a month, list on-demand prices\n")
    assert [line.split()[-1] for line in out.splitlines() if line.startswith("Total")] == ["$127.04"]
    assert "  albLcu                    0.2  (this stack)\n" in out and "  ecrStorageGb              2\n" in out


def test_preview_diff_has_the_cost_line(monkeypatch, capsys, tmp_path, prod):
    import tools.preview

    nat_c = ("aws:ec2/natGateway:NatGateway", "network-nat-c")
    base = {**prod, "resources": [r for r in prod["resources"] if (r["type"], r["name"]) != nat_c]}
    (tmp_path / "base.json").write_text(json.dumps(base))
    monkeypatch.setattr(tools.preview, "build_graph", lambda stack, **_: prod)
    assert tools.preview.main(["prod", "--diff", str(tmp_path / "base.json")]) == 0
    # one NAT gateway more: 730 h × $0.045
    assert "\nEstimated monthly cost: $370.05 → $402.90 (+$32.85)\n" in capsys.readouterr().out
