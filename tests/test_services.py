"""The app's services (public web on ECS blue/green, the queue worker) and scheduled jobs: tasks, roles,
deployment safety, scaling, Service Connect."""

import pytest

from components.alarm_names import deployment_alarm_names
from components.app_task import health_check_command
from tests.data_helpers import app_sg_id, key_arn, state_of
from tests.helpers import assert_inputs, one, parsed, resources, stack_settings

SERVICE = "aws:ecs/service:Service"
TASK = "aws:ecs/taskDefinition:TaskDefinition"
ROLE = "aws:iam/role:Role"
POLICY = "aws:iam/rolePolicy:RolePolicy"
TG = "aws:lb/targetGroup:TargetGroup"
RULE = "aws:lb/listenerRule:ListenerRule"
SCALING_POLICY = "aws:appautoscaling/policy:Policy"
SCALING_TARGET = "aws:appautoscaling/target:Target"
APP_SECRETS = ["DATABASE_URL", "DB_PASSWORD", "DB_USER", "JWT_REFRESH_SECRET", "JWT_SECRET", "REDIS_AUTH_TOKEN",
               "REDIS_URL"]


def arn(graph: dict, type_: str, name: str) -> str:
    return state_of(graph, type_, name)["arn"]


def private_subnets(graph: dict) -> list[str]:
    return [state_of(graph, "aws:ec2/subnet:Subnet", r["name"])["id"]
            for r in resources(graph, "aws:ec2/subnet:Subnet") if "private" in r["name"]]


def container(graph: dict, task: str) -> dict:
    containers = parsed(one(graph, TASK, task)["inputs"]["containerDefinitions"])
    assert len(containers) == 1
    return containers[0]


def statements(graph: dict, name: str) -> list[dict]:
    return parsed(one(graph, POLICY, name)["inputs"]["policy"])["Statement"]


def service_groups(graph: dict, service: str) -> list[str]:
    """The shared app group, then the service's own."""
    return [app_sg_id(graph), state_of(graph, "aws:ec2/securityGroup:SecurityGroup", f"service-groups-{service}")["id"]]


def service_connect(stack: str, service: str, port: int | None) -> dict:
    config = {"enabled": True,
              "namespace": f"arn:aws:servicediscovery:us-east-1:123456789012:httpNamespace/nodeapi-{stack}",
              "logConfiguration": {"logDriver": "awslogs", "options": {
                  "awslogs-group": f"/ecs/nodeapi-{stack}/{service}", "awslogs-region": "us-east-1",
                  "awslogs-stream-prefix": f"{service}-service-connect"}}}
    if port:
        config["services"] = [{"portName": "http", "discoveryName": service,
                               "clientAlias": [{"port": port, "dnsName": service}]}]
    return config


def test_web_service_deploys_blue_green_with_every_safety_net(stack_graph):
    """The whole input set: a dropped input (a hook, a percentage, the alarms) fails here."""
    stack = stack_graph["stack"]
    service = one(stack_graph, SERVICE, "web")
    assert service["inputs"] == {
        "name": "web", "cluster": f"arn:aws:ecs:us-east-1:123456789012:cluster/nodeapi-{stack}",
        "taskDefinition": arn(stack_graph, TASK, "web-task"),
        "desiredCount": 2 if stack == "prod" else 1,
        "capacityProviderStrategies": [{"capacityProvider": "FARGATE" if stack == "prod" else "FARGATE_SPOT",
                                        "weight": 1, "base": 0}],
        "platformVersion": "LATEST",
        "networkConfiguration": {"subnets": private_subnets(stack_graph),
                                 "securityGroups": service_groups(stack_graph, "web"), "assignPublicIp": False},
        "deploymentController": {"type": "ECS"},
        "deploymentConfiguration": {
            "strategy": "BLUE_GREEN", "bakeTimeInMinutes": "15" if stack == "prod" else "5",
            "lifecycleHooks": [{"lifecycleStages": ["PRE_SCALE_UP", "PRODUCTION_TRAFFIC_SHIFT",
                                                    "POST_PRODUCTION_TRAFFIC_SHIFT"],
                                "hookTargetArn": arn(stack_graph, "aws:lambda/function:Function", "web-migrations"),
                                "roleArn": arn(stack_graph, ROLE, "web-migrations-invoke")}]},
        "deploymentCircuitBreaker": {"enable": True, "rollback": True},
        "deploymentMinimumHealthyPercent": 100,
        "deploymentMaximumPercent": 200,
        "alarms": {"alarmNames": deployment_alarm_names(f"nodeapi-{stack}", "web"), "enable": True, "rollback": True},
        "healthCheckGracePeriodSeconds": 30,
        "enableExecuteCommand": stack != "prod",
        "enableEcsManagedTags": True,
        "propagateTags": "SERVICE",
        "waitForSteadyState": False,
        "serviceConnectConfiguration": service_connect(stack, "web", 3000),
        "tags": {"Name": "web"},
        "loadBalancers": [{
            "targetGroupArn": arn(stack_graph, TG, "load-balancer-web-blue"), "containerName": "web",
            "containerPort": 3000,
            "advancedConfiguration": {
                "alternateTargetGroupArn": arn(stack_graph, TG, "load-balancer-web-green"),
                "productionListenerRule": arn(stack_graph, RULE, "load-balancer-web"),
                "testListenerRule": arn(stack_graph, RULE, "load-balancer-web-test"),
                "roleArn": arn(stack_graph, ROLE, "web-infrastructure"),
            },
        }],
    }
    assert len(private_subnets(stack_graph)) == 2


def test_ecs_owned_state_is_ignored(stack_graph):
    """After ECS shifts traffic, `pulumi up` must not send the creation-time target groups or count back."""
    assert one(stack_graph, SERVICE, "web")["options"]["ignoreChanges"] == ["desiredCount", "loadBalancers"]
    assert one(stack_graph, SERVICE, "queue")["options"]["ignoreChanges"] == ["desiredCount"]


def test_infrastructure_role_is_for_ecs_load_balancing_only(stack_graph):
    trust = parsed(one(stack_graph, ROLE, "web-infrastructure")["inputs"]["assumeRolePolicy"])
    assert trust["Statement"] == [{"Effect": "Allow", "Principal": {"Service": "ecs.amazonaws.com"},
                                   "Action": "sts:AssumeRole"}]
    assert_inputs(one(stack_graph, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "web-infrastructure"), {
        "policyArn": "arn:aws:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers"})


def test_web_container_is_hardened(stack_graph):
    web = container(stack_graph, "web-task")
    assert (web["name"], web["essential"], web["user"], web["readonlyRootFilesystem"]) == ("web", True, "1001:1001", True)
    assert "privileged" not in web
    assert web["linuxParameters"] == {"initProcessEnabled": True, "capabilities": {"drop": ["ALL"]}}
    assert web["mountPoints"] == [{"sourceVolume": "tmp", "containerPath": "/tmp", "readOnly": False}]
    assert web["portMappings"] == [{"name": "http", "containerPort": 3000, "hostPort": 3000, "protocol": "tcp",
                                    "appProtocol": "http"}]
    assert web["healthCheck"] == {"command": health_check_command(3000, "/health"), "interval": 10, "timeout": 5,
                                  "retries": 3, "startPeriod": 30}
    assert web["stopTimeout"] == 30
    assert_inputs(one(stack_graph, TASK, "web-task"), {
        "family": f"nodeapi-{stack_graph['stack']}-web", "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"], "volumes": [{"name": "tmp"}],
        "executionRoleArn": arn(stack_graph, ROLE, "web-task-execution"),
        "taskRoleArn": arn(stack_graph, ROLE, "web-task-role")})


def test_health_check_needs_only_node():
    assert health_check_command(3000, "/health") == [
        "CMD", "node", "-e",
        "fetch('http://127.0.0.1:3000/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]


def test_secrets_arrive_by_arn_and_never_in_the_environment(stack_graph):
    web = container(stack_graph, "web-task")
    secrets = {s["name"]: s["valueFrom"] for s in web["secrets"]}
    assert sorted(secrets) == APP_SECRETS
    master = state_of(stack_graph, "aws:rds/instance:Instance", "database")["masterUserSecrets"][0]["secretArn"]
    app_user = arn(stack_graph, "aws:secretsmanager/secret:Secret", "data-app-user-secret")
    assert (secrets["DATABASE_URL"], secrets["DB_USER"], secrets["DB_PASSWORD"]) == (
        f"{app_user}:url::", f"{app_user}:username::", f"{app_user}:password::")
    assert not [value for value in secrets.values() if value.startswith(master)]  # never the master user
    assert all(value.startswith("arn:aws:secretsmanager:us-east-1:123456789012:secret:") for value in secrets.values())
    environment = {e["name"]: e["value"] for e in web["environment"]}
    assert sorted(environment) == ["DB_HOST", "DB_IAM_AUTH", "DB_NAME", "DB_PORT", "DB_SSL", "LOG_LEVEL",
                                   "NODE_ENV", "PORT", "REDIS_CLUSTER", "REDIS_HOST", "REDIS_PORT", "REDIS_TLS"]
    assert (environment["NODE_ENV"], environment["PORT"], environment["DB_SSL"]) == ("production", "3000", "true")
    assert not set(environment) & set(secrets)


def test_execution_role_reads_only_this_stacks_secrets(stack_graph):
    found = statements(stack_graph, "web-task-execution")
    web = container(stack_graph, "web-task")
    secret_arns = sorted({":".join(s["valueFrom"].split(":")[:7]) for s in web["secrets"]})  # JSON keys dropped
    log_group = f"arn:aws:logs:us-east-1:123456789012:log-group:/ecs/nodeapi-{stack_graph['stack']}/web"
    assert found[0] == {"Effect": "Allow", "Action": ["ecr:GetAuthorizationToken"], "Resource": ["*"]}
    assert found[1]["Action"] == ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    assert found[2] == {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                        "Resource": [f"{log_group}:log-stream:*"]}
    assert found[3]["Action"] == ["secretsmanager:GetSecretValue"] and sorted(found[3]["Resource"]) == secret_arns
    assert found[4] == {"Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": [key_arn(stack_graph)],
                        "Condition": {"StringEquals": {"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}}}
    assert len(found) == 5


@pytest.mark.parametrize("task, days", [("web-task", {"prod": 90, "staging": 14}),
                                        ("queue-task", {"prod": 90, "staging": 14}),
                                        ("job-analytics-task", {"prod": 90, "staging": 14})])
def test_every_app_log_group_expires_and_is_encrypted(stack_graph, task, days):
    stack = stack_graph["stack"]
    role = task.removesuffix("-task")
    assert_inputs(one(stack_graph, "aws:cloudwatch/logGroup:LogGroup", f"{task}-logs"), {
        "name": f"/ecs/nodeapi-{stack}/{role}", "retentionInDays": days[stack], "kmsKeyId": key_arn(stack_graph)})
    logs = container(stack_graph, task)["logConfiguration"]
    assert logs == {"logDriver": "awslogs", "options": {
        "awslogs-group": f"/ecs/nodeapi-{stack}/{role}", "awslogs-region": "us-east-1",
        "awslogs-stream-prefix": container(stack_graph, task)["name"], "mode": "non-blocking",
        "max-buffer-size": "25m"}}


def test_web_scales_on_cpu_memory_and_requests_per_task(stack_graph):
    stack = stack_graph["stack"]
    assert_inputs(one(stack_graph, SCALING_TARGET, "web-scaling"), {
        "serviceNamespace": "ecs", "scalableDimension": "ecs:service:DesiredCount",
        "resourceId": f"service/nodeapi-{stack}/web", "minCapacity": 2 if stack == "prod" else 1,
        "maxCapacity": 6 if stack == "prod" else 2})
    for signal, metric, value in (("cpu", "ECSServiceAverageCPUUtilization", 60),
                                  ("memory", "ECSServiceAverageMemoryUtilization", 70)):
        assert_inputs(one(stack_graph, SCALING_POLICY, f"web-scale-{signal}"), {
            "name": f"web-{signal}", "policyType": "TargetTrackingScaling",
            "resourceId": f"service/nodeapi-{stack}/web",
            "targetTrackingScalingPolicyConfiguration": {
                "targetValue": value, "scaleInCooldown": 300, "scaleOutCooldown": 60,
                "predefinedMetricSpecification": {"predefinedMetricType": metric}}})
    requests = one(stack_graph, SCALING_POLICY, "web-scale-requests")["inputs"]
    config = requests["targetTrackingScalingPolicyConfiguration"]
    metrics = config["customizedMetricSpecification"]["metrics"]
    assert config["targetValue"] == 500
    assert [m["id"] for m in metrics] == ["r0", "r1", "tasks", "per_task"]
    suffixes = [state_of(stack_graph, TG, f"load-balancer-web-{c}")["arnSuffix"] for c in ("blue", "green")]
    assert [m["metricStat"]["metric"]["dimensions"][1]["value"] for m in metrics[:2]] == suffixes
    assert metrics[2]["metricStat"]["metric"] == {
        "namespace": "ECS/ContainerInsights", "metricName": "RunningTaskCount",
        "dimensions": [{"name": "ClusterName", "value": f"nodeapi-{stack}"}, {"name": "ServiceName", "value": "web"}]}
    assert metrics[3] == {"id": "per_task", "label": "requests per task", "returnData": True,
                          "expression": "(FILL(r0, 0) + FILL(r1, 0)) / tasks"}


def test_worker_runs_privately_rolling_without_load_balancer(stack_graph):
    """The whole input set of a worker: rolling, no load balancer, Service Connect client only."""
    stack = stack_graph["stack"]
    assert one(stack_graph, SERVICE, "queue")["inputs"] == {
        "name": "queue", "cluster": f"arn:aws:ecs:us-east-1:123456789012:cluster/nodeapi-{stack}",
        "taskDefinition": arn(stack_graph, TASK, "queue-task"), "desiredCount": 1,
        "capacityProviderStrategies": [{"capacityProvider": "FARGATE_SPOT" if stack == "staging" else "FARGATE",
                                        "weight": 1, "base": 0}],
        "platformVersion": "LATEST",
        "networkConfiguration": {"subnets": private_subnets(stack_graph),
                                 "securityGroups": service_groups(stack_graph, "queue"), "assignPublicIp": False},
        "deploymentController": {"type": "ECS"},
        "deploymentConfiguration": {"strategy": "ROLLING"},
        "deploymentCircuitBreaker": {"enable": True, "rollback": True},
        "deploymentMinimumHealthyPercent": 100,
        "deploymentMaximumPercent": 200,
        "availabilityZoneRebalancing": "ENABLED",
        "enableExecuteCommand": stack != "prod",
        "enableEcsManagedTags": True,
        "propagateTags": "SERVICE",
        "waitForSteadyState": False,
        "serviceConnectConfiguration": service_connect(stack, "queue", None),
        "tags": {"Name": "queue"},
    }
    worker = container(stack_graph, "queue-task")
    assert (worker["name"], worker["command"], worker["user"]) == ("queue", ["node", "worker.js"], "1001:1001")
    assert "portMappings" not in worker
    assert worker["healthCheck"] == {"command": ["CMD", "node", "worker-health.js"], "interval": 10, "timeout": 5,
                                     "retries": 3, "startPeriod": 30}
    assert [r["name"] for r in resources(stack_graph, SCALING_POLICY) if r["name"].startswith("queue")] == [
        "queue-scale-cpu"]
    assert_inputs(one(stack_graph, SCALING_TARGET, "queue-scaling"), {
        "resourceId": f"service/nodeapi-{stack}/queue", "minCapacity": 1,
        "maxCapacity": 4 if stack == "prod" else 1})


def test_scheduled_job_runs_one_private_task_on_its_cron(stack_graph):
    stack = stack_graph["stack"]
    # The whole input set: a dropped retry policy or platform version is a missed nightly run nobody sees.
    assert one(stack_graph, "aws:scheduler/schedule:Schedule", "job-analytics")["inputs"] == {
        "name": f"nodeapi-{stack}-analytics",
        "scheduleExpression": "cron(0 3 * * ? *)" if stack == "prod" else "cron(0 14 ? * MON-FRI *)",
        "scheduleExpressionTimezone": "UTC", "flexibleTimeWindow": {"mode": "OFF"},
        "target": {"arn": f"arn:aws:ecs:us-east-1:123456789012:cluster/nodeapi-{stack}",
                   "roleArn": arn(stack_graph, ROLE, "job-analytics-scheduler"),
                   "retryPolicy": {"maximumRetryAttempts": 2, "maximumEventAgeInSeconds": 3600},
                   "ecsParameters": {"taskDefinitionArn": arn(stack_graph, TASK, "job-analytics-task"),
                                     "launchType": "FARGATE", "platformVersion": "LATEST", "taskCount": 1,
                                     "networkConfiguration": {"subnets": private_subnets(stack_graph),
                                                              "securityGroups": service_groups(stack_graph, "web"),
                                                              "assignPublicIp": False}}}}
    assert statements(stack_graph, "job-analytics-scheduler") == [
        {"Effect": "Allow", "Action": ["ecs:RunTask"],
         "Resource": [f"arn:aws:ecs:us-east-1:123456789012:task-definition/nodeapi-{stack}-job-analytics:*"],
         "Condition": {"ArnEquals": {"ecs:cluster": f"arn:aws:ecs:us-east-1:123456789012:cluster/nodeapi-{stack}"}}},
        {"Effect": "Allow", "Action": ["iam:PassRole"],
         "Resource": [arn(stack_graph, ROLE, "job-analytics-task-execution"),
                      arn(stack_graph, ROLE, "job-analytics-task-role")],
         "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}}]
    job = container(stack_graph, "job-analytics-task")
    assert (job["name"], job["command"]) == ("job-analytics", ["node", "jobs/analytics.js"])


def test_service_outputs(stack_graph):
    stack, outputs = stack_graph["stack"], stack_graph["outputs"]
    assert outputs["clusterName"] == f"nodeapi-{stack}"
    web = outputs["services"]["web"]
    assert web == {
        "serviceName": "web", "access": "public", "deployment": "blue-green", "taskFamily": f"nodeapi-{stack}-web",
        "containerName": "web", "logGroupName": f"/ecs/nodeapi-{stack}/web", "subnetIds": private_subnets(stack_graph),
        "securityGroupIds": service_groups(stack_graph, "web"), "execEnabled": stack != "prod",
        "migrationLogGroupName": f"/aws/lambda/nodeapi-{stack}-web-migrate",
        "routes": [{"hosts": [], "paths": ["/*"],
                    "productionListenerRuleArn": arn(stack_graph, RULE, "load-balancer-web"),
                    "testListenerRuleArn": arn(stack_graph, RULE, "load-balancer-web-test"),
                    "blueTargetGroupArn": arn(stack_graph, TG, "load-balancer-web-blue"),
                    "greenTargetGroupArn": arn(stack_graph, TG, "load-balancer-web-green")}]}
    assert (outputs["services"]["queue"]["access"], outputs["services"]["queue"]["deployment"],
            outputs["services"]["queue"]["routes"]) == ("none", "rolling", [])
    assert outputs["jobs"] == {"analytics": {
        "taskFamily": f"nodeapi-{stack}-job-analytics", "containerName": "job-analytics",
        "logGroupName": f"/ecs/nodeapi-{stack}/job-analytics", "scheduleName": f"nodeapi-{stack}-analytics",
        "subnetIds": private_subnets(stack_graph), "securityGroupIds": service_groups(stack_graph, "web")}}


def test_every_app_task_runs_the_pushed_image_by_digest(stack_graph):
    digest = state_of(stack_graph, "docker:index/image:Image", "image-app-arm64-build")["repoDigest"]
    stack = stack_graph["stack"]
    assert digest.startswith(f"123456789012.dkr.ecr.us-east-1.amazonaws.com/nodeapi-{stack}-app-arm64@sha256:")
    for task in ("web-task", "queue-task", "job-analytics-task"):
        assert container(stack_graph, task)["image"] == digest
    assert stack_graph["outputs"]["repositoryUrls"] == {
        "app-arm64": f"123456789012.dkr.ecr.us-east-1.amazonaws.com/nodeapi-{stack}-app-arm64"}
    repository = arn(stack_graph, "aws:ecr/repository:Repository", "image-app-arm64")
    assert statements(stack_graph, "web-task-execution")[1]["Resource"] == [repository]


def test_waf_guards_the_stacks_load_balancer(stack_graph):
    acl = arn(stack_graph, "aws:wafv2/webAcl:WebAcl", "waf")
    assert_inputs(one(stack_graph, "aws:wafv2/webAclAssociation:WebAclAssociation", "waf-association"), {
        "resourceArn": arn(stack_graph, "aws:lb/loadBalancer:LoadBalancer", "load-balancer"), "webAclArn": acl})
    rules = one(stack_graph, "aws:wafv2/webAcl:WebAcl", "waf")["inputs"]["rules"]
    assert [r["name"] for r in rules] == ["AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet",
                                          "rate-api", "rate-auth"]


def test_app_tasks_may_connect_through_the_proxy_with_iam_only_when_it_requires_it(stack_graph):
    from tests.conftest import graph_with
    from tests.data_helpers import prod_variant

    if stack_graph["stack"] == "prod":  # no proxy, no exec: the task roles have no statement at all
        assert not [r for r in resources(stack_graph, POLICY) if r["name"].endswith("-task-role")]
    # The proxy takes the app users' passwords by default: no IAM needed.
    assert not [r for r in resources(prod_variant(), POLICY) if r["name"].endswith("-task-role")]
    settings = stack_settings("prod")
    variant = graph_with("prod", database={**settings["database"], "proxy": True, "proxyIamAuth": True})
    proxy = state_of(variant, "aws:rds/proxy:Proxy", "database-proxy")["arn"].split(":")[-1]
    connect = [f"arn:aws:rds-db:us-east-1:123456789012:dbuser:{proxy}/{user}" for user in ("app_1", "app_2")]
    for task in ("web-task", "queue-task", "job-analytics-task"):
        assert statements(variant, f"{task}-role") == [
            {"Effect": "Allow", "Action": ["rds-db:connect"], "Resource": connect}]


def test_operator_outputs_of_the_service_and_observability_tiers(stack_graph):
    stack, outputs = stack_graph["stack"], stack_graph["outputs"]
    assert outputs["albDnsName"] == state_of(stack_graph, "aws:lb/loadBalancer:LoadBalancer", "load-balancer")["dnsName"]
    assert outputs["warningTopicArn"] == f"arn:aws:sns:us-east-1:123456789012:nodeapi-{stack}-warning"
    assert outputs["criticalTopicArn"] == f"arn:aws:sns:us-east-1:123456789012:nodeapi-{stack}-critical"
    assert outputs["dashboardName"] == f"nodeapi-{stack}"


def test_web_service_waits_for_what_ecs_uses_on_its_first_deploy(stack_graph):
    """The hook's invoke-role policy and the infrastructure role's managed policy exist before the service: IAM
    is eventually consistent, and the first deployment calls the hook and shifts traffic right away."""
    depends = [urn.split("$")[-1] for urn in one(stack_graph, SERVICE, "web")["options"]["dependsOn"]]
    assert sorted(depends) == [
        "aws:iam/rolePolicy:RolePolicy::web-migrations-invoke",
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment::web-infrastructure",
        "aws:lambda/invocation:Invocation::data-app-user-sync",  # the app database users exist before any task
    ]
    queue = [urn.split("$")[-1] for urn in one(stack_graph, SERVICE, "queue")["options"]["dependsOn"]]
    assert queue == ["aws:lambda/invocation:Invocation::data-app-user-sync"]
