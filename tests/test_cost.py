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
    "rdsBackupDailyChange": 0.02, "logsIngestedGb": 10, "logsStoredGb": 20, "flowLogsGb": 4,
    "containerInsightsMetrics": 25, "containerInsightsTaskMetrics": 10, "interfaceEndpointGb": 10, "s3BackupGb": 20,
    "s3OtherGb": 2, "s3AppGb": 10, "s3ReplicatedGb": 20, "ecrStorageGb": 2, "efsStorageGb": 5, "cloudfrontGb": 50,
    "cloudfrontRequestsMillions": 5, "lambdaRequestsMillions": 0.1, "lambdaGbSeconds": 10000,
}
# Office hours as components/office_hours.py declares them for the defaults (Mon-Fri; services 08:00-19:00 = 55 h,
# database and NAT 07:40-19:10 = 57.5 h of the week's 168).
SERVICES_ON, BACKING_ON = 55 / 168, 57.5 / 168
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


def service(resource_name: str, count: int, family: str, **inputs) -> dict:
    arn = f"arn:aws:ecs:us-east-1:123456789012:task-definition/{family}:1"
    return res("aws:ecs/service:Service", resource_name, {"desiredCount": count, "taskDefinition": arn,
                                                 "cluster": "arn:aws:ecs:us-east-1:123456789012:cluster/c", **inputs})


def spot(weight_on_demand: int = 0, base_on_demand: int = 0) -> list[dict]:
    strategies = [{"capacityProvider": "FARGATE_SPOT", "weight": 1, "base": 0}]
    if weight_on_demand or base_on_demand:
        strategies.insert(0, {"capacityProvider": "FARGATE", "weight": weight_on_demand, "base": base_on_demand})
    return strategies


def db(name: str = "db", **inputs) -> dict:
    values = {"identifier": f"nodeapi-{name}", "instanceClass": "db.t4g.micro", "allocatedStorage": 20,
              "storageType": "gp3", "backupRetentionPeriod": 0, **inputs}
    return res("aws:rds/instance:Instance", name, {k: v for k, v in values.items() if v is not None})


def alarm(name: str, **inputs) -> dict:
    return res("aws:cloudwatch/metricAlarm:MetricAlarm", name, inputs)


def metric(period: float = 60) -> dict:
    return {"metric": {"metricName": "M", "namespace": "N", "period": period, "stat": "Sum"}}


def plan(rules: list[dict]) -> dict:
    return res("aws:backup/plan:Plan", "plan", {"rules": rules})


def nat_group(public: bool = True, component: str = "nodeapi:network:NatInstance") -> list[dict]:
    """A NAT instance: its group of one and the launch template beside it."""
    interfaces = [{"deviceIndex": 0, "associatePublicIpAddress": public}]
    return [res("aws:autoscaling/group:Group", "nat", {"desiredCapacity": 1}, component),
            res("aws:ec2/launchTemplate:LaunchTemplate", "nat-template", {
                "instanceType": "t4g.nano", "networkInterfaces": interfaces,
                "blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"volumeSize": 8, "volumeType": "gp3"}}]},
                component)]


def office_hours_of(service_name: str = "", db_identifier: str = "", group: str = "") -> list[dict]:
    """The scheduled actions and schedules components/office_hours.py declares for the default hours."""
    from settings.schedule import OfficeHoursSettings

    crons, found = OfficeHoursSettings().crons(), []
    if service_name:
        for moment, cron, high in (("stop", crons.services_stop, 0), ("start", crons.services_start, 2)):
            found.append(res("aws:appautoscaling/scheduledAction:ScheduledAction", f"{service_name}-{moment}", {
                "resourceId": f"service/c/{service_name}", "schedule": cron,
                "scalableTargetAction": {"minCapacity": high, "maxCapacity": high}}))
    if db_identifier:
        for moment, cron in (("stop", crons.backing_stop), ("start", crons.backing_start)):
            found.append(res("aws:scheduler/schedule:Schedule", f"db-{moment}", {"scheduleExpression": cron, "target": {
                "arn": f"arn:aws:scheduler:::aws-sdk:rds:{moment}DBInstance",
                "input": json.dumps({"DbInstanceIdentifier": db_identifier})}}))
    if group:
        for moment, recurrence, size in (("stop", crons.backing_stop_unix, 0), ("start", crons.backing_start_unix, 1)):
            found.append(res("aws:autoscaling/schedule:Schedule", f"nat-{moment}", {
                "autoscalingGroupName": f"{group}-1234567", "recurrence": recurrence, "desiredCapacity": size}))
    return found


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
    # --- NAT instances, EC2
    # t4g.nano 730 × 0.0042 = 3.066; 8 GB gp3 × 0.08 = 0.64; its launch address 730 × 0.005 = 3.65
    "nat instance (its own address)": (nat_group(), 7.356),
    # the same with an Elastic IP beside the group: the EIP's 3.65 instead of the launch address
    "nat instance with an elastic ip": ([*nat_group(), res("aws:ec2/eip:Eip", "nat-eip", {},
                                                           "nodeapi:network:NatInstance")], 7.356),
    # t4g.micro 730 × 0.0084 = 6.132; 10 GB gp3 × 0.08 = 0.80
    "ec2 instance": ([res("aws:ec2/instance:Instance", "bastion", {
        "instanceType": "t4g.micro", "rootBlockDevice": {"volumeSize": 10, "volumeType": "gp3"}})], 6.932),
    # --- flow logs: vended logs 4 GB [flowLogsGb]; the log group brings the stack's logs 10 × 0.50 + 20 × 0.03 = 5.60
    "flow logs, standard class": ([res("aws:ec2/flowLog:FlowLog", "fl", component="nodeapi:network:Network"),
                                   res("aws:cloudwatch/logGroup:LogGroup", "fl-logs", component="nodeapi:network:Network")],
                                  4 * 0.50 + 5.60),
    "flow logs, infrequent access": ([res("aws:ec2/flowLog:FlowLog", "fl", component="nodeapi:network:Network"),
                                      res("aws:cloudwatch/logGroup:LogGroup", "fl-logs",
                                          {"logGroupClass": "INFREQUENT_ACCESS"}, "nodeapi:network:Network")],
                                     4 * 0.25 + 5.60),
    "flow logs to s3": ([res("aws:ec2/flowLog:FlowLog", "fl", {"logDestinationType": "s3"})], 4 * 0.25),
    # --- EFS: 5 GB [efsStorageGb] × 0.30; automatic backups one copy 5 × 0.05
    "efs with automatic backups": ([res("aws:efs/fileSystem:FileSystem", "files"),
                                    res("aws:efs/backupPolicy:BackupPolicy", "files-backup",
                                        {"backupPolicy": {"status": "ENABLED"}}),
                                    res("aws:efs/accessPoint:AccessPoint", "files-ap"),
                                    res("aws:efs/mountTarget:MountTarget", "files-a")], 1.50 + 0.25),
    # in an AWS Backup vault for 35 days: 5 × (1 + 0.02 × 35) = 8.5 GB × 0.05 = 0.425; the file system 1.50
    "efs in an aws backup vault": ([
        res("aws:efs/fileSystem:FileSystem", "files"),
        res("aws:backup/selection:Selection", "sel", {
            "resources": ["arn:aws:elasticfilesystem:us-east-1:1:file-system/fs-0123"]}),
        plan([{"targetVaultName": "main", "lifecycle": {"deleteAfter": 35}}]),
        res("aws:backup/vault:Vault", "main", {"name": "main"})], 1.925),
    # --- CloudFront: 50 GB and 5 M requests are inside the always-free 1,024 GB and 10 M
    "cloudfront within the free tier": ([res("aws:cloudfront/distribution:Distribution", "cdn"),
                                         res("aws:cloudfront/originAccessControl:OriginAccessControl", "oac")], 0.0),
    # --- Route 53: hosted zone 0.50; an AWS endpoint's basic check 0.50; a non-AWS endpoint 0.75 + 3 optional
    # features (HTTPS, string matching, 10-second interval) × 2.00; a private DNS namespace is a hosted zone
    "route 53 zone and health checks": ([
        res("aws:route53/zone:Zone", "zone"), res("aws:route53/record:Record", "api"),
        res("aws:route53/healthCheck:HealthCheck", "alb", {"type": "HTTP", "fqdn": "x.us-east-1.elb.amazonaws.com"}),
        res("aws:route53/healthCheck:HealthCheck", "api", {"type": "HTTPS_STR_MATCH", "fqdn": "api.example.com",
                                                          "requestInterval": 10})],
        0.50 + 0.50 + 0.75 + 3 * 2.00),
    "service discovery namespaces": ([res("aws:servicediscovery/privateDnsNamespace:PrivateDnsNamespace", "dns"),
                                      res("aws:servicediscovery/httpNamespace:HttpNamespace", "http")], 0.50),
    # --- Lambda: 0.1 M requests and 10,000 GB-s are inside the always-free 1 M and 400,000 GB-s
    "lambda within the free tier": ([res("aws:lambda/function:Function", "hook")], 0.0),
    # --- RDS read replica: its own instance hours, and its source's 20 GB of gp3 (11.68 + 2.30) beside the source's
    "rds read replica": ([db(), db("replica", replicateSourceDb="nodeapi-db", allocatedStorage=None)],
                         2 * (11.68 + 2.30)),
    # --- ElastiCache cluster mode: 2 shards × (1 primary + 1 replica) = 4 nodes × 730 × 0.0256 (Valkey small)
    "valkey cluster mode": ([res("aws:elasticache/replicationGroup:ReplicationGroup", "cache", {
        "engine": "valkey", "nodeType": "cache.t4g.small", "numNodeGroups": 2, "replicasPerNodeGroup": 1})], 74.752),
    # --- S3 app bucket: 10 GB [s3AppGb] × 0.023
    "app bucket": ([res("aws:s3/bucket:Bucket", "uploads", {"bucket": "u"}, "nodeapi:storage:AppBucket")], 0.23),
    # --- an ALB without public IPv4 (dualstack-without-public-ipv4): 16.425 + 5.84, no address charge
    "alb without public ipv4": ([res("aws:lb/loadBalancer:LoadBalancer", "alb", {
        "subnets": ["a", "b"], "ipAddressType": "dualstack-without-public-ipv4"})], 22.265),
    # --- free: Service Connect's namespace (above), ACM validation, AWS Chatbot, Scheduler groups
    "free kinds": ([res("aws:acm/certificateValidation:CertificateValidation", "v"),
                    res("aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration", "slack"),
                    res("aws:chatbot/teamsChannelConfiguration:TeamsChannelConfiguration", "teams"),
                    res("aws:scheduler/scheduleGroup:ScheduleGroup", "g")], 0.0),
    # --- office hours: 2 × 0.5 vCPU/1 GB on demand (36.0401 a month) for 55 of 168 hours
    "service in office hours": ([task("web", "512", "1024"), service("web", 2, "web", name="web"),
                                 *office_hours_of(service_name="web")], 36.0401 * SERVICES_ON),
    # db.t4g.micro 11.68 for 57.5 of 168 hours; its 20 GB gp3 (2.30) all month
    "database in office hours": ([db(), *office_hours_of(db_identifier="nodeapi-db")], 11.68 * BACKING_ON + 2.30),
    # the NAT instance, its disk and its launch address (7.356) for 57.5 of 168 hours
    "nat instance in office hours": ([*nat_group(), *office_hours_of(group="nat")], 7.356 * BACKING_ON),
    # --- Container Insights enhanced: 25 metrics + 2 running tasks × 10 [containerInsightsTaskMetrics], × 0.30;
    # the two tasks 36.0401
    "container insights enhanced": ([res("aws:ecs/cluster:Cluster", "cluster", {"name": "c", "settings": [
        {"name": "containerInsights", "value": "enhanced"}]}), task("web", "512", "1024"), service("web", 2, "web")],
        (25 + 2 * 10) * 0.30 + 36.0401),
    # ... metrics are published only while tasks run: office hours shorten both
    "container insights in office hours": ([res("aws:ecs/cluster:Cluster", "cluster", {"name": "c", "settings": [
        {"name": "containerInsights", "value": "enhanced"}]}), task("web", "512", "1024"),
        service("web", 2, "web", name="web"), *office_hours_of(service_name="web")],
        ((25 + 2 * 10) * 0.30 + 36.0401) * SERVICES_ON),
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
    est = estimate(graph(res("aws:dynamodb/table:Table", "table"), res("aws:iam/role:Role", "role"),
                         res("aws:iam/role:Role", "role2")), PRICES, ASSUMPTIONS)
    assert est.unknown == {"aws:dynamodb/table:Table": 1}
    assert est.not_priced == {"aws:iam/role:Role": 2, "pulumi:providers:aws": 1}
    text = render_estimate(est)
    assert "UNKNOWN types (no price rule and not on the free list: add one to tools/cost.py):\n" \
           "  aws:dynamodb/table:Table × 1\n" in text
    assert "  aws:iam/role:Role × 2: free\n" in text


def test_a_size_without_a_price_is_named_and_left_out_of_the_total():
    est = estimate(graph(db(instanceClass="db.x9.huge"), res("aws:secretsmanager/secret:Secret", "s")),
                   PRICES, ASSUMPTIONS)
    assert est.missing == ("db (aws:rds/instance:Instance): no price for rds.instanceHour.db.x9.huge in us-east-1 "
                           "(tools/prices/us-east-1.json)",)
    assert est.total == 0.40


def test_usage_beyond_the_permanent_free_tiers():
    heavy = {**ASSUMPTIONS, "cloudfrontGb": 1124, "cloudfrontRequestsMillions": 12, "lambdaRequestsMillions": 3,
             "lambdaGbSeconds": 500_000}
    est = estimate(graph(res("aws:cloudfront/distribution:Distribution", "cdn"),
                         res("aws:lambda/function:Function", "hook")), PRICES, heavy)
    assert [(i.name, i.quantity, i.unit_price) for i in est.items] == [
        ("data out [cloudfrontGb] beyond the 1,024 GB free", 100, 0.085),
        ("HTTPS requests [cloudfrontRequestsMillions] beyond the 10 M requests free", 2, 1.0),
        ("requests [lambdaRequestsMillions] beyond the 1 M requests free", 2, 0.2),
        ("compute [lambdaGbSeconds] beyond the 400,000 GB-s free", 100_000, 0.0000166667)]
    # 100 × 0.085 = 8.50; 2 × 1.00; 2 × 0.20 = 0.40; 100,000 × 0.0000166667 = 1.66667
    assert est.total == round(8.50 + 2.00 + 0.40 + 1.66667, 2)


def test_a_nat_instance_pays_for_one_address():
    own = [i.name for i in estimate(graph(*nat_group()), PRICES, ASSUMPTIONS).items]
    assert own == ["instances of nat: 1 × t4g.nano", "instances of nat: gp3 root volume",
                   "public IPv4 of the instances of nat"]
    with_eip = estimate(graph(*nat_group(), res("aws:ec2/eip:Eip", "nat-eip", {}, "nodeapi:network:NatInstance")),
                        PRICES, ASSUMPTIONS)
    assert [i.name for i in with_eip.items] == own[:2] + ["public IPv4 nat-eip (Elastic IP)"]
    assert estimate(graph(*nat_group(public=False)), PRICES, ASSUMPTIONS).total == round(3.066 + 0.64, 2)


def test_a_group_without_its_launch_template_is_named():
    est = estimate(graph(nat_group()[0]), PRICES, ASSUMPTIONS)
    assert est.missing == ("nat (aws:autoscaling/group:Group): cannot tell the launch template of nat (0 beside it)",)


def test_office_hours_label_and_an_expression_it_cannot_read():
    items = estimate(graph(db(), *office_hours_of(db_identifier="nodeapi-db")), PRICES, ASSUMPTIONS).items
    assert items[0].name == "db.t4g.micro db (office hours: 34.2% of the month)"
    monthly = res("aws:scheduler/schedule:Schedule", "odd", {"scheduleExpression": "cron(0 7 1 * ? *)", "target": {
        "arn": "arn:aws:scheduler:::aws-sdk:rds:startDBInstance", "input": '{"DbInstanceIdentifier": "nodeapi-db"}'}})
    est = estimate(graph(db(), monthly), PRICES, ASSUMPTIONS)
    assert est.missing == ("db (aws:rds/instance:Instance): cannot price the office hours of nodeapi-db: not a daily "
                           "or weekly cron expression: 'cron(0 7 1 * ? *)'",)


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
        "  cost.assumptions.natGb: unknown key (got 5); allowed keys here: albLcu, cloudfrontGb, "
        "cloudfrontRequestsMillions, containerInsightsMetrics, containerInsightsTaskMetrics, ecrStorageGb, "
        "efsStorageGb, flowLogsGb, interfaceEndpointGb, lambdaGbSeconds, lambdaRequestsMillions, logsIngestedGb, "
        "logsStoredGb, natProcessedGb, rdsBackupDailyChange, s3AppGb, s3BackupGb, s3OtherGb, s3ReplicatedGb, "
        "scheduledTaskMinutes, wafRequestsMillions"
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


def _three_az_graph() -> dict:
    """Prod's networking shape in small: three NAT gateways with their EIPs, an ALB in three AZs, one app service."""
    nats = [res(kind, f"nat-{az}") for az in "abc" for kind in ("aws:ec2/natGateway:NatGateway", "aws:ec2/eip:Eip")]
    app = res("aws:ecs/taskDefinition:TaskDefinition", "web-task", {
        "family": "web", "cpu": "512", "memory": "1024", "runtimePlatform": {"cpuArchitecture": "X86_64"}},
        "nodeapi:service:AppTask")
    return graph(*nats, res("aws:lb/loadBalancer:LoadBalancer", "alb", {"subnets": ["a", "b", "c"]}), app,
                 service("web", 2, "web"), stack="prod")


def test_levers_are_priced_by_the_same_rules_and_sorted():
    from tools.cost_levers import levers

    found = levers(_three_az_graph(), PRICES, ASSUMPTIONS, count=10)
    assert [(lever.setting, lever.saving) for lever in found] == [
        # 3 gateways 98.55 + their data 1.35, against 3 × (t4g.nano 3.066 + 8 GB gp3 0.64) + 3 × 4 alarm metrics 1.20
        ("network.natStrategy: instance", 87.58),
        # the third gateway 32.85, its address 3.65, the ALB's third address 3.65
        ("network.azCount: 2", 40.15),
        # 2 × 0.5 vCPU × 730 × (0.04048 - 0.03238) = 5.913; 2 × 1 GB × 730 × (0.004445 - 0.00356) = 1.2921
        ("image.build.platform: linux/arm64", 7.21),
    ]  # no Spot, no office hours: production; no Container Insights, no flow logs in this graph


def test_levers_of_a_non_production_stack_include_spot_and_office_hours():
    from tools.cost_levers import levers

    staging_like = {**_three_az_graph(), "stack": "staging"}
    settings = [lever.setting for lever in levers(staging_like, PRICES, ASSUMPTIONS, count=10)]
    assert settings == ["network.natStrategy: instance", "network.azCount: 2", "services.<name>.spot: true",
                        "schedule.officeHours", "image.build.platform: linux/arm64"]


def test_summary_lines_of_the_estimate():
    from tools.cost_levers import Lever

    est = Estimate("demo", "us-east-1", (Item("Networking", "NAT gateway nat", 730, "h", 0.045),
                                         Item("KMS", "key", 1, "key", 1.0)), {}, {}, (), {}, (),
                   levers=(Lever("network.azCount: 2", "two AZs", 40.15),), notes=("A note.",))
    text = render_estimate(est)
    assert "\nWhat drives it: Networking $32.85 (97%), KMS $1.00 (3%)\n" \
           "Biggest levers (setting: what it changes, saving a month):\n" \
           "  network.azCount: 2: two AZs: -$40.15\n" \
           "A note.\n\n" in text


def test_when_an_interface_endpoint_pays_for_itself():
    from tools.cost_levers import endpoint_note

    with_gateways = graph(res("aws:ec2/natGateway:NatGateway", "nat"))
    # 730 h × $0.01 = $7.30 per AZ a month, against $0.045 - $0.01 = $0.035 saved per GB: 208.57 GB
    assert endpoint_note(with_gateways, PRICES, "us-east-1") == (
        "Interface endpoints: each costs $7.30 a month per AZ; instead of NAT gateways ($0.045/GB against $0.01/GB) "
        "it pays for itself above 209 GB a month per AZ through that one service.")
    assert endpoint_note(graph(*nat_group()), PRICES, "us-east-1").startswith(
        "Interface endpoints: through NAT instances there is no per-GB processing to save")
    assert endpoint_note(graph(), PRICES, "us-east-1") is None


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
# Hand-checked at the merge of issues 12, 13 and 16 (prices of 2026-11-30, the default assumptions and staging's
# overrides: albLcu 0.2, natProcessedGb 10, wafRequestsMillions 0.5, logsIngestedGb 2, logsStoredGb 5, flowLogsGb 1,
# s3BackupGb 2). 730 h a month.
# TO RE-CHECK AFTER A CHANGE: each line names what it counts; when the graph changes (services, alarms, log groups,
# secrets, buckets), recount that line from `python -m tools.preview <stack> --cost`, which prints the same
# quantities, and update the line and its subtotal.
#
# Staging runs office hours Mon-Fri (schedule.officeHours): services 08:00-19:00, 55 of 168 h = 0.327381 of the
# month; the database and the NAT instance 07:40-19:10, 57.5 h = 0.342262. Its tasks are Graviton (arm64).
# Networking   NAT instance (t4g.nano 730 × 0.0042 = 3.066 + 8 GB gp3 0.64 + its launch address 3.65) × 0.342262
#              = 2.51768 + ALB IPv4 2 AZ 7.30                                                            = 9.81768
# LB           16.425 + 0.2 LCU × 730 × 0.008 = 1.168                                                     = 17.593
# Fargate      web, queue: Spot arm64 0.25 vCPU/0.5 GB × 238.988 h: (0.25 × 0.009714 + 0.5 × 0.001068)
#              × 238.988 = 0.70800 each; weekday jobs 5 × 30.4167 / 7 = 21.7262 runs × 0.25 h = 5.43155 h:
#              analytics arm64 (0.25 × 0.03238 + 0.5 × 0.00356) × 5.43155 = 0.05364, dump x86
#              (0.5 × 0.04048 + 1 × 0.004445) × 5.43155 = 0.13408                                         = 1.60372
# RDS          t4g.micro 11.68 × 0.342262 = 3.99762 + 20 GB gp3 2.30 + backups 20 × 0.02 × 7 = 2.8 GB × 0.095
#              0.266                                                                                      = 6.56362
# ElastiCache  valkey t4g.micro 730 × 0.0128                                                              = 9.344
# WAF          5 + 4 rules + 0.5 M × 0.60                                                                 = 9.30
# CloudWatch   Container Insights 7.50 × 0.327381 = 2.45536 + dashboard 3 + 64 alarm metrics 6.40 (the pack
#              60 + the NAT instance's 4) + logs 2 GB 1.00 + 5 GB-month 0.15 + IA flow logs 1 GB 0.25     = 13.25536
# Secrets      6 × 0.40: JWT_SECRET, JWT_REFRESH_SECRET, cache auth token, REDIS_URL, the app user's
#              secret (DATABASE_URL), the RDS-managed master secret                                      = 2.40
# KMS          2 keys (us-east-1, us-west-2)                                                              = 2.00
# S3           backups 2 GB + access logs 2 GB × 0.023                                                    = 0.092
# AWS Backup   1 vault × 20 GB × 1.14 × 0.095 (backups.crossRegion false: nothing copied)                = 2.166
# ECR          2 GB × 0.10                                                                                = 0.20
# Lambda       within the free tier                                                                       = 0
# Total                                                                                                   = 74.33538
#
# Prod: two AZs, Graviton tasks, around the clock.
# Networking   2 NAT gateways 65.70 + 2 EIP 7.30 + ALB IPv4 2 AZ 7.30 + 30 GB × 0.045 1.35               = 81.65
# LB           16.425 + 1 LCU × 730 × 0.008 = 5.84                                                        = 22.265
# Fargate      web 2 × 0.5 vCPU/1 GB arm64 on demand: 730 vCPU-h × 0.03238 = 23.6374 + 1460 GB-h × 0.00356
#              = 5.1976; queue 0.25/0.5 GB arm64: 5.90935 + 1.2994; dump x86 30.4167 × 0.25 h × (0.5 ×
#              0.04048 + 0.004445) = 0.18771; analytics arm64 7.60417 h × (0.25 × 0.03238 + 0.5 × 0.00356)
#              = 0.07509                                                                                  = 36.30655
# RDS          t4g.medium ×2 94.90 + 2 × 50 GB 11.50 + backups 50 × 0.02 × 30 = 30 GB 2.85 + us-west-2 copy
#              80 GB 7.60 + 30.4167 GB × 0.02 0.60833                                                     = 117.45833
# ElastiCache  valkey t4g.small 2 × 730 × 0.0256                                                          = 37.376
# WAF          5 + 4 rules + 5 M × 0.60                                                                   = 12.00
# CloudWatch   enhanced Container Insights 7.50 + 3 tasks × 10 × 0.30 9.00 + dashboard 3 + 70 alarm metrics
#              7.00 + logs 10 GB 5.00 + 30 GB-month 0.90 + flow logs 5 GB 2.50                             = 34.90
# Secrets      the same six                                                                               = 2.40
# KMS          the same two                                                                               = 2.00
# S3           backups 20 GB 0.46 + replica IA 0.25 + replication 0.40 + access logs 0.046                = 1.156
# AWS Backup   2 vaults × 50 GB × 1.6 × 0.095 15.20 + copy 30.4167 GB × 0.02 0.60833                     = 15.80833
# ECR          2 GB × 0.10                                                                                = 0.20
# Lambda       within the free tier                                                                       = 0
# Total                                                                                                   = 363.52021
REAL_STACKS = {
    "staging": (74.34, {"Networking": 9.81768, "Load balancing": 17.593, "Compute (Fargate)": 1.60372,
                        "Database (RDS)": 6.56362, "Cache (ElastiCache)": 9.344, "WAF": 9.30, "CloudWatch": 13.25536,
                        "Secrets Manager": 2.40, "KMS": 2.00, "S3": 0.092, "AWS Backup": 2.166, "ECR": 0.20,
                        "Lambda": 0.0}),
    "prod": (363.52, {"Networking": 81.65, "Load balancing": 22.265, "Compute (Fargate)": 36.30655,
                      "Database (RDS)": 117.45833, "Cache (ElastiCache)": 37.376, "WAF": 12.00, "CloudWatch": 34.90,
                      "Secrets Manager": 2.40, "KMS": 2.00, "S3": 1.156, "AWS Backup": 15.80833, "ECR": 0.20,
                      "Lambda": 0.0}),
}
GOALS = {"staging": 75, "prod": 375}  # issue 16: staging under $75 with prod's shape, prod (HA) under $375


def _subtotals(est: Estimate) -> dict[str, float]:
    return {service: sum(i.monthly for i in items) for service, items in est.by_service().items()}


@pytest.mark.parametrize("stack", REAL_STACKS)
def test_real_stack_totals_match_the_hand_computation_and_the_goals(stack, request):
    from tools.preview import cost_overrides
    from tools.cost import estimate_graph

    est = estimate_graph(request.getfixturevalue(stack), cost_overrides(stack))
    expected_total, expected_services = REAL_STACKS[stack]
    assert (est.unknown, est.missing) == ({}, ())
    assert _subtotals(est) == pytest.approx(expected_services, abs=0.0005)
    assert est.total == expected_total
    assert est.total < GOALS[stack]


def test_preview_cost_prints_the_estimate_with_the_stack_overrides(monkeypatch, capsys, staging):
    import tools.preview

    monkeypatch.setattr(tools.preview, "build_graph", lambda stack, root=None, settings=None, config_file=None: staging)
    assert tools.preview.main(["staging", "--cost"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Monthly cost estimate for staging (us-east-1): USD, 730 h a month, list on-demand prices\n")
    assert [line.split()[-1] for line in out.splitlines() if line.startswith("Total")] == ["$74.34"]
    assert "  albLcu                        0.2  (this stack)\n" in out and "  ecrStorageGb                  2\n" in out
    assert ("\nWhat drives it: Load balancing $17.59 (24%), CloudWatch $13.26 (18%), Networking $9.82 (13%)\n"
            "Biggest levers: none; every setting --cost knows how to price is already at its cheaper value (what is "
            "left changes the stack's shape: docs/cost.md)\n") in out


def test_preview_diff_has_the_cost_line(monkeypatch, capsys, tmp_path, prod):
    import tools.preview

    nat_c = ("aws:ec2/natGateway:NatGateway", "network-nat-b")
    base = {**prod, "resources": [r for r in prod["resources"] if (r["type"], r["name"]) != nat_c]}
    (tmp_path / "base.json").write_text(json.dumps(base))
    monkeypatch.setattr(tools.preview, "build_graph", lambda stack, root=None, settings=None, config_file=None: prod)
    assert tools.preview.main(["prod", "--diff", str(tmp_path / "base.json")]) == 0
    # one NAT gateway more: 730 h × $0.045
    assert "\nEstimated monthly cost: $330.67 → $363.52 (+$32.85)\n" in capsys.readouterr().out
