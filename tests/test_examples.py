"""The five product examples (examples/*.yaml): each parses, renders, and shows its playbook's requirements in
the graph (docs/products.md maps each requirement to these settings and resources)."""

import json
import re
from pathlib import Path

import pytest
import yaml

from components.app_task import health_check_command
from settings import parse_settings
from settings.loader import read_stack_file
from tests.helpers import ABSENT, assert_inputs, one, parsed, resources
from tools.mock_outputs import outputs_for
from tools.preview import ROOT, build_graph

EXAMPLES = ROOT / "examples"
PRODUCTS = {  # file stem -> app.name
    "hearthstone": "hearthstone",
    "telegram-poker": "telegram-poker",
    "v-edfinance": "v-edfinance",
    "equoria": "equoria",
    "fantasy-character-api": "fantasy-api",
}
ACCOUNT = "123456789012"
SERVICE = "aws:ecs/service:Service"
TASK = "aws:ecs/taskDefinition:TaskDefinition"
TG = "aws:lb/targetGroup:TargetGroup"
RULE = "aws:lb/listenerRule:ListenerRule"
LISTENER = "aws:lb/listener:Listener"
ALB = "aws:lb/loadBalancer:LoadBalancer"
REPO = "aws:ecr/repository:Repository"
BUILD = "docker:index/image:Image"
SCHEDULE = "aws:scheduler/schedule:Schedule"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SG = "aws:ec2/securityGroup:SecurityGroup"
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"

_GRAPHS: dict[str, dict] = {}


def path_of(product: str) -> Path:
    return EXAMPLES / f"{product}.yaml"


def settings_of(product: str) -> dict:
    return read_stack_file(path_of(product))["nodeapi:settings"]


def graph(product: str) -> dict:
    """The example rendered as the prod stack (`--config-file`), once per test session."""
    if product not in _GRAPHS:
        _GRAPHS[product] = build_graph("prod", config_file=path_of(product))
    return _GRAPHS[product]


def region_of(g: dict) -> str:
    return one(g, "pulumi:providers:aws", "aws")["inputs"]["region"]


def state(g: dict, type_: str, name: str) -> dict:
    """What the mocks answered for a resource (ids, ARNs), as the resources that reference it see it."""
    resource = one(g, type_, name)
    resource_id, values = outputs_for(type_, name, resource["inputs"], region_of(g), ACCOUNT)
    return {**values, "id": resource_id}


def arn(g: dict, type_: str, name: str) -> str:
    return state(g, type_, name)["arn"]


def container(g: dict, task: str) -> dict:
    definitions = parsed(one(g, TASK, task)["inputs"]["containerDefinitions"])
    assert len(definitions) == 1
    return definitions[0]


def env(g: dict, task: str) -> dict[str, str]:
    return {item["name"]: item["value"] for item in container(g, task)["environment"]}


def secret_names(g: dict, task: str) -> list[str]:
    return sorted(item["name"] for item in container(g, task)["secrets"])


def rules_on(g: dict, listener: str) -> dict[str, dict]:
    """Listener rules of one listener (load-balancer-https / load-balancer-test), by resource name."""
    listener_arn = arn(g, LISTENER, listener)
    return {r["name"]: r["inputs"] for r in resources(g, RULE) if r["inputs"]["listenerArn"] == listener_arn}


def ingress_paths(g: dict) -> set[tuple[str, str, int]]:
    """(target group, source group, port) of every service-to-service ingress rule."""
    names = {state(g, SG, r["name"])["id"]: r["name"].removeprefix("service-groups-")
             for r in resources(g, SG) if r["name"].startswith("service-groups-")}
    return {(names[r["inputs"]["securityGroupId"]], names[r["inputs"]["referencedSecurityGroupId"]],
             r["inputs"]["fromPort"]) for r in resources(g, INGRESS)
            if r["inputs"].get("securityGroupId") in names and r["inputs"].get("referencedSecurityGroupId") in names}


def stickiness(g: dict, target_group: str) -> dict:
    return one(g, TG, target_group)["inputs"]["stickiness"]


def image_builds(g: dict) -> dict[str, str]:
    """repository name -> build context."""
    return {state(g, REPO, r["name"].removesuffix("-build"))["name"]: r["inputs"]["build"]["context"]
            for r in resources(g, BUILD)}


def digest(g: dict, image: str) -> str:
    return state(g, BUILD, f"image-{image}-build")["repoDigest"]


# ---- every example ----


@pytest.mark.parametrize("product", sorted(PRODUCTS))
def test_example_is_a_production_stack_file_the_model_accepts(product):
    assert list(yaml.safe_load(path_of(product).read_text())) == ["config"]
    config = read_stack_file(path_of(product))
    assert sorted(config) == ["nodeapi:settings", "pulumi:disable-default-providers"]
    assert config["pulumi:disable-default-providers"] == ["aws"]
    settings = parse_settings(settings_of(product), f"examples/{product}.yaml")
    assert settings.is_production
    assert settings.app.name == PRODUCTS[product]
    region = settings.region
    assert settings.load_balancer.certificate_arn.startswith(f"arn:aws:acm:{region}:{ACCOUNT}:certificate/")
    assert settings.load_balancer.domain_name.endswith("example.com")


@pytest.mark.parametrize("product", sorted(PRODUCTS))
def test_example_renders_with_the_products_name_on_every_physical_name(product):
    g, prefix = graph(product), f"{PRODUCTS[product]}-prod"
    assert g["outputs"]["clusterName"] == prefix
    assert one(g, ALB)["inputs"]["name"] == prefix
    assert one(g, "aws:rds/instance:Instance", "database")["inputs"]["identifier"] == prefix
    families = [r["inputs"]["family"] for r in resources(g, TASK)]
    assert families and all(f.startswith(f"{prefix}-") for f in families)
    region = region_of(g)
    assert g["outputs"]["backupBucketName"] == f"{prefix}-backups-{ACCOUNT}-{region}"
    assert not {m for r in g["resources"] for m in re.findall(r"nodeapi-[a-z0-9-]+", json.dumps(r["inputs"]))}


@pytest.mark.parametrize("product", sorted(PRODUCTS))
def test_every_service_runs_with_the_container_health_check_its_settings_ask(product):
    g, services = graph(product), settings_of(product)["services"]
    assert sorted(r["inputs"]["name"] for r in resources(g, SERVICE)) == sorted(services)
    for name, service in services.items():
        check = service.get("healthCheck", {})
        command = check.get("command") or health_check_command(service["port"], check.get("path", "/health"))
        assert container(g, f"{name}-task")["healthCheck"]["command"] == command, name


# ---- Telegram poker mini-app (001) ----


def test_poker_routes_webhooks_to_the_bot_and_the_rest_to_the_backend():
    g = graph("telegram-poker")
    for listener, suffix in (("load-balancer-https", ""), ("load-balancer-test", "-test")):
        rules = rules_on(g, listener)
        assert sorted(rules) == [f"load-balancer-api{suffix}", f"load-balancer-bot{suffix}"]
        assert (rules[f"load-balancer-bot{suffix}"]["priority"], rules[f"load-balancer-bot{suffix}"]["conditions"]) == (
            100, [{"pathPattern": {"values": ["/telegram/*"]}}])
        assert (rules[f"load-balancer-api{suffix}"]["priority"], rules[f"load-balancer-api{suffix}"]["conditions"]) == (
            110, [{"pathPattern": {"values": ["/*"]}}])
    bot_rule = one(g, RULE, "load-balancer-bot")["inputs"]["actions"]
    assert bot_rule == [{"type": "forward", "forward": {"targetGroups": [
        {"arn": arn(g, TG, "load-balancer-bot-blue"), "weight": 100},
        {"arn": arn(g, TG, "load-balancer-bot-green"), "weight": 0}]}}]
    assert not [r for r in resources(g, TG) if "runtime" in r["name"]]


def test_poker_backend_is_sticky_with_a_long_idle_timeout_and_the_bot_is_not():
    g = graph("telegram-poker")
    for color in ("blue", "green"):
        assert stickiness(g, f"load-balancer-api-{color}") == {"enabled": True, "type": "lb_cookie",
                                                          "cookieDuration": 86400}
        assert stickiness(g, f"load-balancer-bot-{color}") == {"enabled": False, "type": "lb_cookie"}
    assert one(g, RULE, "load-balancer-api")["inputs"]["actions"][0]["forward"]["stickiness"] == {
        "enabled": True, "duration": 86400}
    assert one(g, ALB)["inputs"]["idleTimeout"] == 300


def test_poker_builds_three_images_and_each_service_runs_its_own():
    g = graph("telegram-poker")
    assert image_builds(g) == {"telegram-poker-prod-app": "app",
                               "telegram-poker-prod-bot": "examples/telegram-poker/bot",
                               "telegram-poker-prod-runtime": "examples/telegram-poker/runtime"}
    assert len(resources(g, REPO)) == 3
    assert container(g, "api-task")["image"] == digest(g, "app")
    assert container(g, "bot-task")["image"] == digest(g, "bot")
    assert container(g, "runtime-task")["image"] == digest(g, "runtime")
    assert container(g, "job-analytics-task")["image"] == digest(g, "app")


def test_poker_runtime_is_internal_reached_by_name_and_checked_with_python():
    g = graph("telegram-poker")
    prefix, region = "telegram-poker-prod", region_of(g)
    namespace = f"arn:aws:servicediscovery:{region}:{ACCOUNT}:httpNamespace/{prefix}"
    for name, port in (("api", 3000), ("bot", 3001), ("runtime", 8000)):
        assert one(g, SERVICE, f"{name}")["inputs"]["serviceConnectConfiguration"] == {
            "enabled": True, "namespace": namespace,
            "logConfiguration": {"logDriver": "awslogs", "options": {
                "awslogs-group": f"/ecs/{prefix}/{name}", "awslogs-region": region,
                "awslogs-stream-prefix": f"{name}-service-connect"}},
            "services": [{"portName": "http", "discoveryName": name,
                          "clientAlias": [{"port": port, "dnsName": name}]}]}
        assert container(g, f"{name}-task")["portMappings"] == [
            {"name": "http", "containerPort": port, "hostPort": port, "protocol": "tcp", "appProtocol": "http"}]
    assert_inputs(one(g, SERVICE, "runtime"), {"loadBalancers": ABSENT,
                                                   "deploymentConfiguration": {"strategy": "ROLLING"}})
    # Exactly the declared calls: the backend calls the runtime, the bot calls the backend.
    assert ingress_paths(g) == {("runtime", "api", 8000), ("api", "bot", 3000)}
    assert container(g, "runtime-task")["healthCheck"] == {
        "command": ["CMD", "python", "-c", "import urllib.request; "
                    "urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4)"],
        "interval": 10, "timeout": 5, "retries": 3, "startPeriod": 20}
    assert container(g, "bot-task")["healthCheck"]["command"] == health_check_command(3001, "/health")
    assert container(g, "api-task")["healthCheck"]["command"] == health_check_command(3000, "/health")


def test_poker_services_share_one_environment_and_get_only_their_own_secrets():
    g = graph("telegram-poker")
    shared = {"API_URL": "http://api:3000", "RUNTIME_URL": "http://runtime:8000",
              "MINI_APP_URL": "https://poker.example.com", "TELEGRAM_WEBHOOK_PATH": "/telegram/webhook",
              "FEATURE_TOURNAMENTS": "true"}
    app_wide = ["JWT_REFRESH_SECRET", "JWT_SECRET", "TELEGRAM_BOT_TOKEN"]
    platform = ["DATABASE_URL", "DB_PASSWORD", "DB_USER", "REDIS_AUTH_TOKEN", "REDIS_URL"]
    for task in ("api-task", "bot-task", "runtime-task", "job-analytics-task"):
        assert env(g, task).items() >= shared.items(), task
        expected = app_wide + platform + (["TELEGRAM_WEBHOOK_SECRET"] if task == "bot-task" else [])
        assert secret_names(g, task) == sorted(expected), task


def test_poker_migrates_before_the_backend_serves_and_runs_analytics_hourly():
    g = graph("telegram-poker")
    hooks = one(g, SERVICE, "api")["inputs"]["deploymentConfiguration"]["lifecycleHooks"]
    assert [h["hookTargetArn"] for h in hooks] == [
        f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:telegram-poker-prod-api-migrate"]
    # The bot has no migrations: its deployment hook only refuses rolled-back revisions and syncs bypass rules.
    bot_hooks = one(g, SERVICE, "bot")["inputs"]["deploymentConfiguration"]["lifecycleHooks"]
    assert [h["hookTargetArn"] for h in bot_hooks] == [
        f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:telegram-poker-prod-bot-deploy-hook"]
    assert one(g, "aws:lambda/function:Function", "bot-migrations")["inputs"]["environment"]["variables"][
        "MIGRATION_COMMAND"] == ""
    assert_inputs(one(g, SCHEDULE, "job-analytics"), {
        "name": "telegram-poker-prod-analytics", "scheduleExpression": "cron(15 * * * ? *)",
        "target": {"ecsParameters": {"taskDefinitionArn": arn(g, TASK, "job-analytics-task"),
                                     "taskCount": 1}}})
    assert container(g, "job-analytics-task")["command"] == ["node", "jobs/analytics.js"]


def test_poker_redis_keeps_snapshots_for_recovery():
    g = graph("telegram-poker")
    assert_inputs(one(g, "aws:elasticache/replicationGroup:ReplicationGroup"), {
        "snapshotRetentionLimit": 7, "automaticFailoverEnabled": True, "multiAzEnabled": True})


def test_poker_mini_app_is_published_privately_behind_cloudfront_and_framed_only_by_telegram():
    g = graph("telegram-poker")
    distribution = one(g, DISTRIBUTION, "site-miniapp")["inputs"]
    bucket = state(g, "aws:s3/bucket:Bucket", "site-miniapp")
    assert (distribution["aliases"], distribution["viewerCertificate"]["acmCertificateArn"]) == (
        ["poker.example.com"], f"arn:aws:acm:us-east-1:{ACCOUNT}:certificate/00000000-0000-4000-8000-000000000001")
    assert [o["domainName"] for o in distribution["origins"]] == [bucket["bucketRegionalDomainName"]]
    assert distribution["defaultCacheBehavior"]["viewerProtocolPolicy"] == "redirect-to-https"
    assert sorted((e["errorCode"], e["responseCode"], e["responsePagePath"])
                  for e in distribution["customErrorResponses"]) == [(403, 200, "/index.html"), (404, 200, "/index.html")]
    headers = one(g, "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy", "site-miniapp-headers")["inputs"]
    security = headers["securityHeadersConfig"]
    assert "frameOptions" not in security
    assert security["contentSecurityPolicy"]["contentSecurityPolicy"].endswith("frame-ancestors https://web.telegram.org")
    files = {r["inputs"]["key"]: r["inputs"]["cacheControl"] for r in resources(g, "aws:s3/bucketObjectv2:BucketObjectv2")}
    assert files == {"index.html": "no-cache", "assets/app.js": "public, max-age=31536000, immutable"}
    assert g["outputs"]["sites"]["miniapp"]["url"] == "https://poker.example.com"


# ---- Hearthstone (000) ----


def test_hearthstone_api_keeps_socket_io_sessions_on_one_task():
    g = graph("hearthstone")
    assert image_builds(g) == {"hearthstone-prod-app": "app"}
    assert [r["name"] for r in resources(g, TG)] == ["load-balancer-api-blue"]
    assert stickiness(g, "load-balancer-api-blue") == {"enabled": True, "type": "lb_cookie", "cookieDuration": 86400}
    assert one(g, ALB)["inputs"]["idleTimeout"] == 120
    assert rules_on(g, "load-balancer-https")["load-balancer-api"] == {
        "listenerArn": arn(g, LISTENER, "load-balancer-https"), "priority": 100, "tags": {"Name": "load-balancer-api"},
        "conditions": [{"pathPattern": {"values": ["/*"]}}],
        "actions": [{"type": "forward", "targetGroupArn": arn(g, TG, "load-balancer-api-blue")}]}
    assert rules_on(g, "load-balancer-test") == {}


def test_hearthstone_sqlite_files_and_exports_live_on_one_writers_encrypted_volume():
    g = graph("hearthstone")
    file_system = state(g, "aws:efs/fileSystem:FileSystem", "volume-api")
    assert_inputs(one(g, "aws:efs/fileSystem:FileSystem", "volume-api"), {
        "encrypted": True, "kmsKeyId": arn(g, "aws:kms/key:Key", "encryption"), "throughputMode": "elastic"})
    assert one(g, "aws:efs/fileSystem:FileSystem", "volume-api")["options"]["protect"] is True
    points = {}
    for mount, path in (("data", "/app/server/data"), ("exports", "/backups")):
        assert_inputs(one(g, "aws:efs/accessPoint:AccessPoint", f"volume-api-{mount}"), {
            "fileSystemId": file_system["id"], "posixUser": {"uid": 1001, "gid": 1001},
            "rootDirectory": {"path": f"/api-{mount}"}})
        points[mount] = state(g, "aws:efs/accessPoint:AccessPoint", f"volume-api-{mount}")["id"]
    assert one(g, TASK, "api-task")["inputs"]["volumes"] == [{"name": "tmp"}] + [
        {"name": f"volume-{mount}", "efsVolumeConfiguration": {
            "fileSystemId": file_system["id"], "transitEncryption": "ENABLED",
            "authorizationConfig": {"accessPointId": points[mount], "iam": "ENABLED"}}} for mount in ("data", "exports")]
    assert container(g, "api-task")["mountPoints"] == [
        {"sourceVolume": "tmp", "containerPath": "/tmp", "readOnly": False},
        {"sourceVolume": "volume-data", "containerPath": "/app/server/data", "readOnly": False},
        {"sourceVolume": "volume-exports", "containerPath": "/backups", "readOnly": False}]
    assert file_system["arn"] in one(g, "aws:backup/selection:Selection")["inputs"]["resources"]


def test_hearthstone_runs_one_task_stopped_before_the_next_and_migrates_in_its_start_command():
    g = graph("hearthstone")
    service = one(g, SERVICE, "api")
    assert_inputs(service, {
        "desiredCount": 1, "deploymentMinimumHealthyPercent": 0, "deploymentMaximumPercent": 100,
        "deploymentConfiguration": {"strategy": "ROLLING"}, "availabilityZoneRebalancing": "DISABLED",
        "deploymentCircuitBreaker": {"enable": True, "rollback": True},
        "loadBalancers": [{"targetGroupArn": arn(g, TG, "load-balancer-api-blue"), "containerName": "api",
                           "containerPort": 3000}]})
    assert service["inputs"]["alarms"]["alarmNames"] == [
        f"hearthstone-prod-api-{row}-critical" for row in ("response-time", "error-rate", "unhealthy-hosts")]
    assert not [r["name"] for r in resources(g, "aws:lambda/function:Function") if "migrat" in r["name"]]
    assert not resources(g, "aws:appautoscaling/target:Target")
    assert container(g, "api-task")["command"] == ["sh", "-c", "npx drizzle-kit migrate && exec node server/index.js"]
    assert env(g, "api-task").items() >= {"TENANT_DATA_DIR": "/app/server/data", "BACKUP_DIR": "/backups",
                                          "NPM_CONFIG_CACHE": "/tmp/.npm"}.items()
    assert g["outputs"]["maintenanceAdminPaths"] == ["/admin/*", "/api/admin/*"]


def test_hearthstone_cache_is_one_ephemeral_node():
    g = graph("hearthstone")
    assert_inputs(one(g, "aws:elasticache/replicationGroup:ReplicationGroup"), {
        "numCacheClusters": 1, "automaticFailoverEnabled": False, "multiAzEnabled": False,
        "snapshotRetentionLimit": 0, "finalSnapshotIdentifier": ABSENT})


def test_hearthstone_registry_is_dumped_nightly_and_kept_30_days():
    g = graph("hearthstone")
    assert one(g, SCHEDULE, "db-dump-schedule")["inputs"]["scheduleExpression"] == "cron(0 2 * * ? *)"
    assert one(g, "aws:rds/instance:Instance")["inputs"]["backupRetentionPeriod"] == 30


# ---- V-EdFinance (002) ----


def test_v_edfinance_runs_in_singapore_with_its_health_path_port_and_local_night_backups():
    g = graph("v-edfinance")
    assert region_of(g) == "ap-southeast-1"
    assert one(g, "pulumi:providers:aws", "aws")["inputs"]["region"] == "ap-southeast-1"
    for color in ("blue", "green"):
        assert_inputs(one(g, TG, f"load-balancer-api-{color}"), {"port": 3001, "healthCheck": {"path": "/api/health"}})
    assert container(g, "api-task")["healthCheck"]["command"] == health_check_command(3001, "/api/health")
    assert one(g, SCHEDULE, "db-dump-schedule")["inputs"]["scheduleExpression"] == "cron(0 19 * * ? *)"
    assert_inputs(one(g, "aws:rds/instance:Instance"), {"backupWindow": "20:00-21:00",
                                                        "maintenanceWindow": "sat:19:00-sat:20:00"})
    assert env(g, "api-task")["CORS_ORIGINS"] == "https://www.example.com"


# ---- Equoria (003) ----


def test_equoria_health_check_timing_idle_timeout_and_headers_follow_the_playbook():
    g = graph("equoria")
    assert container(g, "api-task")["healthCheck"] == {
        "command": health_check_command(3000, "/health"), "interval": 30, "timeout": 10, "retries": 3,
        "startPeriod": 30}
    assert one(g, ALB)["inputs"]["idleTimeout"] == 90
    assert one(g, LISTENER, "load-balancer-https")["inputs"]["routingHttpResponseContentSecurityPolicyHeaderValue"] == (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: https:")
    assert stickiness(g, "load-balancer-api-blue") == {"enabled": False, "type": "lb_cookie"}


def test_equoria_environment_and_generated_jwt_secrets():
    g = graph("equoria")
    assert env(g, "api-task").items() >= {
        "NODE_ENV": "production", "PORT": "3000", "ALLOWED_ORIGINS": "https://example.com,https://www.example.com",
        "LOG_LEVEL": "info", "RATE_LIMIT_WINDOW_MS": "900000", "RATE_LIMIT_MAX_REQUESTS": "100",
        "BCRYPT_SALT_ROUNDS": "12", "MONITORING_ENABLED": "true"}.items()
    assert {"JWT_SECRET", "JWT_REFRESH_SECRET"} <= set(secret_names(g, "api-task"))
    waf = one(g, "aws:wafv2/webAcl:WebAcl")["inputs"]["rules"]
    assert [r["name"] for r in waf][-2:] == ["rate-api", "rate-auth"]


# ---- Fantasy character API (004) ----


def test_fantasy_api_backs_up_every_six_hours_and_starts_its_built_server():
    g = graph("fantasy-character-api")
    assert one(g, SCHEDULE, "db-dump-schedule")["inputs"]["scheduleExpression"] == "cron(30 */6 * * ? *)"
    assert [r["schedule"] for r in one(g, "aws:backup/plan:Plan")["inputs"]["rules"]] == ["cron(0 */6 * * ? *)"]
    assert container(g, "api-task")["command"] == ["node", "dist/index.js"]
    assert_inputs(one(g, "aws:appautoscaling/target:Target", "api-scaling"), {
        "resourceId": "service/fantasy-api-prod/api", "minCapacity": 2, "maxCapacity": 8})
    assert_inputs(one(g, "aws:rds/instance:Instance", "database"), {
        "instanceClass": "db.t4g.medium", "multiAz": True, "backupRetentionPeriod": 30})


def test_fantasy_api_runs_postgres_15_with_its_parameters_and_a_read_replica():
    g = graph("fantasy-character-api")
    params = one(g, "aws:rds/parameterGroup:ParameterGroup")["inputs"]
    assert (params["family"], params["name"]) == ("postgres15", "fantasy-api-prod-pg15")
    assert {p["name"]: (p["value"], p["applyMethod"]) for p in params["parameters"]}.items() >= {
        "max_connections": ("200", "pending-reboot"), "shared_buffers": ("32768", "pending-reboot"),
        "work_mem": ("4096", "immediate")}.items()
    assert_inputs(one(g, "aws:rds/instance:Instance", "database"), {
        "engine": "postgres", "engineVersion": "15", "parameterGroupName": "fantasy-api-prod-pg15"})
    assert_inputs(one(g, "aws:rds/instance:Instance", "database-replica-1"), {
        "identifier": "fantasy-api-prod-replica-1", "parameterGroupName": "fantasy-api-prod-pg15"})
    assert g["outputs"]["dbReplicaIdentifiers"] == ["fantasy-api-prod-replica-1"]
    assert {"DATABASE_URL", "DATABASE_READ_URL"} <= set(secret_names(g, "api-task"))
    thresholds = {r["name"]: r["inputs"]["threshold"] for r in resources(g, "aws:cloudwatch/metricAlarm:MetricAlarm")
                  if "connections" in r["name"]}
    assert thresholds == {"alarms-db-connections-warning": 140, "alarms-db-connections-critical": 180,
                          "alarms-db-replica-connections-warning": 140, "alarms-db-replica-connections-critical": 180}


def test_fantasy_api_keeps_files_in_its_own_bucket_and_sessions_in_a_redis_cluster():
    g = graph("fantasy-character-api")
    bucket = "fantasy-api-prod-files-123456789012-us-east-1"
    assert g["outputs"]["storageBuckets"] == {"files": bucket}
    assert env(g, "api-task")["FILES_BUCKET"] == bucket
    assert_inputs(one(g, "aws:s3/bucketVersioning:BucketVersioning", "data-storage-files-versioning"), {
        "bucket": bucket, "versioningConfiguration": {"status": "Enabled"}})
    assert f"arn:aws:s3:::{bucket}" in one(g, "aws:backup/selection:Selection")["inputs"]["resources"]
    grants = parsed(one(g, "aws:iam/rolePolicy:RolePolicy", "api-task-role")["inputs"]["policy"])["Statement"]
    assert [g_["Resource"] for g_ in grants[:2]] == [[f"arn:aws:s3:::{bucket}"], [f"arn:aws:s3:::{bucket}/*"]]
    assert_inputs(one(g, "aws:elasticache/replicationGroup:ReplicationGroup"), {
        "clusterMode": "enabled", "numNodeGroups": 2, "replicasPerNodeGroup": 1, "automaticFailoverEnabled": True,
        "multiAzEnabled": True, "snapshotRetentionLimit": 7})
    assert env(g, "api-task")["REDIS_CLUSTER"] == "true"


def test_poker_runtime_service_inputs_are_pinned_whole():
    """An internal service: rolling, private, on-demand, Service Connect server, no load balancer or hooks."""
    g = graph("telegram-poker")
    prefix, region = "telegram-poker-prod", region_of(g)
    subnets = [state(g, "aws:ec2/subnet:Subnet", r["name"])["id"]
               for r in resources(g, "aws:ec2/subnet:Subnet") if "private" in r["name"]]
    assert len(subnets) == 2
    assert one(g, SERVICE, "runtime")["inputs"] == {
        "name": "runtime", "cluster": f"arn:aws:ecs:{region}:{ACCOUNT}:cluster/{prefix}",
        "taskDefinition": arn(g, TASK, "runtime-task"), "desiredCount": 2,
        "capacityProviderStrategies": [{"capacityProvider": "FARGATE", "weight": 1, "base": 0}],
        "platformVersion": "LATEST",
        "networkConfiguration": {"subnets": subnets, "assignPublicIp": False, "securityGroups": [
            state(g, SG, "network-app")["id"], state(g, SG, "service-groups-runtime")["id"]]},
        "deploymentController": {"type": "ECS"}, "deploymentConfiguration": {"strategy": "ROLLING"},
        "deploymentCircuitBreaker": {"enable": True, "rollback": True},
        "deploymentMinimumHealthyPercent": 100, "deploymentMaximumPercent": 200,
        "availabilityZoneRebalancing": "ENABLED", "enableEcsManagedTags": True, "propagateTags": "SERVICE",
        "enableExecuteCommand": False, "waitForSteadyState": False, "tags": {"Name": "runtime"},
        "serviceConnectConfiguration": {
            "enabled": True, "namespace": f"arn:aws:servicediscovery:{region}:{ACCOUNT}:httpNamespace/{prefix}",
            "logConfiguration": {"logDriver": "awslogs", "options": {
                "awslogs-group": f"/ecs/{prefix}/runtime", "awslogs-region": region,
                "awslogs-stream-prefix": "runtime-service-connect"}},
            "services": [{"portName": "http", "discoveryName": "runtime",
                          "clientAlias": [{"port": 8000, "dnsName": "runtime"}]}]},
    }
    assert one(g, SERVICE, "runtime")["options"]["ignoreChanges"] == ["desiredCount"]


def cdn_paths(g: dict) -> list[str]:
    distribution = one(g, DISTRIBUTION, "api-cdn")["inputs"]
    return [b["pathPattern"] for b in distribution["orderedCacheBehaviors"]]


def test_equoria_static_assets_come_from_cloudfront_with_the_apis_headers():
    g = graph("equoria")
    distribution = one(g, DISTRIBUTION, "api-cdn")["inputs"]
    assert distribution["aliases"] == ["api.example.com"]
    assert cdn_paths(g) == ["/static/*", "/assets/*"]
    assert all(b["compress"] for b in distribution["orderedCacheBehaviors"])
    assert distribution["origins"][0]["domainName"] == state(g, ALB, "load-balancer")["dnsName"]
    assert distribution["origins"][0]["customOriginConfig"]["originReadTimeout"] == 60
    headers = one(g, "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy", "api-cdn-headers")["inputs"]
    assert headers["securityHeadersConfig"]["contentSecurityPolicy"]["contentSecurityPolicy"] == (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: https:")


def test_fantasy_api_serves_static_files_through_cloudfront():
    g = graph("fantasy-character-api")
    assert cdn_paths(g) == ["/static/*", "/files/public/*"]
    assert g["outputs"]["cdn"]["domainName"].endswith(".cloudfront.net")


@pytest.mark.parametrize("product", ["hearthstone", "v-edfinance"])
def test_products_without_a_frontend_or_cdn_get_no_cloudfront(product):
    assert not [r["type"] for r in graph(product)["resources"] if r["type"].startswith("aws:cloudfront")]


@pytest.mark.parametrize("product, channel", [("v-edfinance", ("T0000000001", "C0000000001")),
                                              ("equoria", ("T0000000002", "C0000000002"))])
def test_both_alarm_levels_reach_the_products_slack_channel(product, channel):
    g, prefix = graph(product), f"{PRODUCTS[product]}-prod"
    region = region_of(g)
    configurations = resources(g, "aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration")
    assert [c["name"] for c in configurations] == [f"notifications-slack-{channel[0]}-{channel[1]}"]
    assert_inputs(configurations[0], {
        "slackTeamId": channel[0], "slackChannelId": channel[1], "loggingLevel": "ERROR",
        "snsTopicArns": [f"arn:aws:sns:{region}:{ACCOUNT}:{prefix}-warning",
                         f"arn:aws:sns:{region}:{ACCOUNT}:{prefix}-critical"]})


@pytest.mark.parametrize("product", ["hearthstone", "telegram-poker", "fantasy-character-api"])
def test_products_that_name_no_chat_channel_get_no_chatbot(product):
    assert not [r for r in graph(product)["resources"] if r["type"].startswith("aws:chatbot")]


@pytest.mark.parametrize("product", ["v-edfinance", "equoria"])
def test_products_without_redis_get_no_cache_and_no_redis_variables(product):
    g = graph(product)
    assert not [r["type"] for r in g["resources"] if r["type"].startswith("aws:elasticache")]
    assert not [k for k in list(env(g, "api-task")) + secret_names(g, "api-task") if k.startswith("REDIS")]
    assert "cacheEndpoint" not in g["outputs"]


def test_equoria_runs_postgres_15():
    g = graph("equoria")
    assert one(g, "aws:rds/parameterGroup:ParameterGroup")["inputs"]["family"] == "postgres15"
    assert one(g, "aws:rds/instance:Instance", "database")["inputs"]["engineVersion"] == "15"
    assert "DATABASE_URL" in secret_names(g, "api-task")
