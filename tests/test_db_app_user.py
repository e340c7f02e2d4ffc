"""The app's database users: the secret ECS injects, the psql tasks, the credentials Lambda, rotation and sync."""

import json

import pytest

from components.db_app_user import HANDLER_FILE, SQL_FILE, users_container, users_script
from lambdas.db_credentials import handler as creds
from tests.data_helpers import key_arn, state_of, tasks_sg_id
from tests.data_tier_graph import use_data_tier_graphs, with_changes
from tests.helpers import ROOT, one, parsed, resources, stack_settings
from tests.test_migration_hook_component import environment_names

use_data_tier_graphs(globals())  # prod, staging, stack_graph: the DataTier of each real stack

ACCOUNT, REGION = "123456789012", "us-east-1"
TASK = "aws:ecs/taskDefinition:TaskDefinition"
SECRET = "aws:secretsmanager/secret:Secret"
VERSION = "aws:secretsmanager/secretVersion:SecretVersion"
FUNCTION = "aws:lambda/function:Function"
COMPONENT = "nodeapi:database:AppUser"


def arn(graph: dict, type_: str, name: str) -> str:
    return state_of(graph, type_, name)["arn"]


def master_secret(graph: dict) -> str:
    return state_of(graph, "aws:rds/instance:Instance", "database")["masterUserSecrets"][0]["secretArn"]


def app_secret(graph: dict) -> str:
    return arn(graph, SECRET, "data-app-user-secret")


def private_subnet_ids(graph: dict) -> list[str]:
    return [state_of(graph, "aws:ec2/subnet:Subnet", r["name"])["id"]
            for r in resources(graph, "aws:ec2/subnet:Subnet") if "-private-" in r["name"]]


def statements(graph: dict, name: str) -> list[dict]:
    return parsed(one(graph, "aws:iam/rolePolicy:RolePolicy", name)["inputs"]["policy"])["Statement"]


def test_the_app_secret_is_pulumis_only_at_creation(stack_graph):
    stack = stack_graph["stack"]
    assert one(stack_graph, SECRET, "data-app-user-secret")["inputs"] == {
        "name": f"nodeapi-{stack}/db-app", "kmsKeyId": key_arn(stack_graph), "recoveryWindowInDays": 30,
        "description": f"nodeapi-{stack}: the app's database login (app_1 / app_2) and its URLs"}
    version = one(stack_graph, VERSION, "data-app-user-secret")
    assert version["inputs"] == {"secretId": state_of(stack_graph, SECRET, "data-app-user-secret")["id"],
                                 "secretString": "[secret]"}
    assert version["options"]["ignoreChanges"] == ["secretString"]


def test_the_first_value_is_app_1_with_a_generated_password_and_the_urls(prod):
    first = json.loads(prod["outputs"]["appSecretFirstValue"])
    password = state_of(prod, "random:index/randomPassword:RandomPassword", "data-app-user-password")["result"]
    host = state_of(prod, "aws:rds/instance:Instance", "database")["address"]
    assert first == creds.secret_document("app_1", password, host, 5432, "app")
    assert first["url"] == (f"postgresql://app_1:{password}@{host}:5432/app?"
                            "sslmode=require&sslaccept=accept_invalid_certs&uselibpqcompat=true")
    assert one(prod, "random:index/randomPassword:RandomPassword", "data-app-user-password")["inputs"] == {
        "length": 40, "special": False}


def test_with_replicas_and_the_proxy_the_urls_point_at_the_proxy_and_each_replica():
    database = {**stack_settings("prod")["database"], "proxy": True, "readReplicas": {"count": 2}}
    graph = with_changes("prod", database=database)
    first = json.loads(graph["outputs"]["appSecretFirstValue"])
    proxy = state_of(graph, "aws:rds/proxy:Proxy", "database-proxy")["endpoint"]
    replicas = [state_of(graph, "aws:rds/instance:Instance", f"database-replica-{i}")["address"] for i in (1, 2)]
    assert (first["host"], first["url"].split("@")[1].split(":")[0]) == (proxy, proxy)
    assert first["readUrl"].split("@")[1].split(":")[0] == replicas[0]
    assert [u.split("@")[1].split(":")[0] for u in first["readUrls"].split(",")] == replicas
    variables = one(graph, FUNCTION, "data-app-user-function")["inputs"]["environment"]["variables"]
    assert (variables["DB_HOST"], variables["READ_HOSTS"]) == (proxy, ",".join(replicas))
    assert json.loads(variables["PROXY_USER_SECRETS"]) == {
        user: arn(graph, SECRET, f"data-proxy-{user}") for user in ("app_1", "app_2")}
    for user in ("app_1", "app_2"):
        assert one(graph, SECRET, f"data-proxy-{user}")["inputs"] == {
            "name": f"nodeapi-prod/db-proxy-{user.replace('_', '-')}", "kmsKeyId": key_arn(graph),
            "recoveryWindowInDays": 30, "description": f"nodeapi-prod: {user}'s password for RDS Proxy"}
        assert one(graph, VERSION, f"data-proxy-{user}")["options"]["ignoreChanges"] == ["secretString"]
    assert statements(graph, "data-app-user-function")[1] == {
        "Effect": "Allow", "Action": ["secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue"],
        "Resource": [arn(graph, SECRET, f"data-proxy-{user}") for user in ("app_1", "app_2")]}


def test_with_iam_proxy_auth_database_url_goes_to_the_instance():
    database = {**stack_settings("prod")["database"], "proxy": True, "proxyIamAuth": True}
    graph = with_changes("prod", database=database)
    host = state_of(graph, "aws:rds/instance:Instance", "database")["address"]
    assert json.loads(graph["outputs"]["appSecretFirstValue"])["host"] == host
    assert graph["outputs"]["wiring:all"]["environment"]["DB_HOST"] == state_of(
        graph, "aws:rds/proxy:Proxy", "database-proxy")["endpoint"]


@pytest.mark.parametrize("role, family, stage", [
    ("bootstrap", "nodeapi-prod-db-users", "AWSCURRENT"), ("rotate", "nodeapi-prod-db-users-rotate", "AWSPENDING")])
def test_psql_task_definitions(prod, role, family, stage):
    task = one(prod, TASK, f"data-app-user-{role}")
    log_group = "/ecs/nodeapi-prod/db-users"
    assert {k: v for k, v in task["inputs"].items() if k != "containerDefinitions"} == {
        "family": family, "cpu": "256", "memory": "512", "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"],
        "runtimePlatform": {"operatingSystemFamily": "LINUX", "cpuArchitecture": "X86_64"},
        "executionRoleArn": arn(prod, "aws:iam/role:Role", "data-app-user-execution")}
    assert parsed(task["inputs"]["containerDefinitions"]) == [users_container(
        image="public.ecr.aws/docker/library/postgres:16-alpine", sql=SQL_FILE.read_text(),
        db_host=state_of(prod, "aws:rds/instance:Instance", "database")["address"], port=5432, db_name="app",
        master_username="nodeapi", master_secret_arn=master_secret(prod), app_secret_arn=app_secret(prod),
        stage=stage, owner="app", login_users=("app_1", "app_2"), log_group=log_group, region=REGION,
        stream_prefix=role)]


def test_the_psql_container(prod):
    container = users_container(
        image="img", sql="SELECT 1;", db_host="db.host", port=5432, db_name="shop", master_username="nodeapi",
        master_secret_arn="arn:master", app_secret_arn="arn:app", stage="AWSPENDING", owner="shop",
        login_users=("shop_1", "shop_2"), log_group="/g", region=REGION, stream_prefix="rotate")
    assert container == {
        "name": "psql", "image": "img", "essential": True, "user": "70:70", "readonlyRootFilesystem": True,
        "entryPoint": ["sh", "-c"], "command": [users_script("SELECT 1;")],
        "environment": [{"name": "PGHOST", "value": "db.host"}, {"name": "PGPORT", "value": "5432"},
                        {"name": "PGDATABASE", "value": "shop"}, {"name": "PGUSER", "value": "nodeapi"},
                        {"name": "PGSSLMODE", "value": "require"}, {"name": "PGCONNECT_TIMEOUT", "value": "10"},
                        {"name": "APP_OWNER", "value": "shop"}, {"name": "APP_USER_1", "value": "shop_1"},
                        {"name": "APP_USER_2", "value": "shop_2"}],
        "secrets": [{"name": "PGPASSWORD", "valueFrom": "arn:master:password::"},
                    {"name": "LOGIN_USER", "valueFrom": "arn:app:username:AWSPENDING:"},
                    {"name": "LOGIN_PASSWORD", "valueFrom": "arn:app:password:AWSPENDING:"}],
        "logConfiguration": {"logDriver": "awslogs", "options": {
            "awslogs-group": "/g", "awslogs-region": REGION, "awslogs-stream-prefix": "rotate"}}}


def test_the_psql_tasks_resolve_the_master_and_app_secrets_only(prod):
    log_group = arn(prod, "aws:cloudwatch/logGroup:LogGroup", "data-app-user-logs")
    assert statements(prod, "data-app-user-execution") == [
        {"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"],
         "Resource": [master_secret(prod), app_secret(prod)]},
        {"Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": [key_arn(prod)],
         "Condition": {"StringEquals": {"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}}},
        {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": [f"{log_group}:log-stream:*"]},
    ]


def test_the_credentials_function(prod):
    function = one(prod, FUNCTION, "data-app-user-function")
    assert {k: v for k, v in function["inputs"].items() if k != "environment"} == {
        "name": "nodeapi-prod-db-credentials", "runtime": "python3.13", "handler": "handler.handler",
        "code": {"assets": ["handler.py"]}, "role": arn(prod, "aws:iam/role:Role", "data-app-user-function"),
        "timeout": 900, "memorySize": 256, "architectures": ["arm64"],
        "description": "app database users: Secrets Manager rotation (alternating users) and the deploy-time sync",
        "loggingConfig": {"logFormat": "Text", "logGroup": "/aws/lambda/nodeapi-prod-db-credentials"}}
    assert function["inputs"]["environment"]["variables"] == {
        "SECRET_ARN": app_secret(prod), "CLUSTER_ARN": arn(prod, "aws:ecs/cluster:Cluster", "cluster"),
        "BOOTSTRAP_TASK_DEFINITION": "nodeapi-prod-db-users", "ROTATE_TASK_DEFINITION": "nodeapi-prod-db-users-rotate",
        "CONTAINER_NAME": "psql", "SUBNET_IDS": ",".join(private_subnet_ids(prod)),
        "SECURITY_GROUP_IDS": tasks_sg_id(prod), "LOGIN_USERS": "app_1,app_2",
        "DB_HOST": state_of(prod, "aws:rds/instance:Instance", "database")["address"], "DB_PORT": "5432",
        "DB_NAME": "app", "READ_HOSTS": "", "PROXY_USER_SECRETS": "{}", "TASK_TIMEOUT_SECONDS": "600"}
    assert function["options"]["dependsOn"] == [
        one(prod, "aws:iam/rolePolicy:RolePolicy", "data-app-user-function")["urn"]]
    assert HANDLER_FILE == ROOT / "lambdas" / "db_credentials" / "handler.py"


def test_the_function_environment_is_exactly_what_the_handler_reads(prod):
    variables = one(prod, FUNCTION, "data-app-user-function")["inputs"]["environment"]["variables"]
    read = environment_names(HANDLER_FILE.read_text())
    assert set(variables) == read - {"POLL_SECONDS"}  # the poll interval keeps its default in AWS
    assert creds.parse_config(variables).login_users == ("app_1", "app_2")


def test_the_function_policy_is_least_privilege(prod):
    ecs = f"arn:aws:ecs:{REGION}:{ACCOUNT}"
    on_cluster = {"ArnEquals": {"ecs:cluster": arn(prod, "aws:ecs/cluster:Cluster", "cluster")}}
    log_group = arn(prod, "aws:cloudwatch/logGroup:LogGroup", "data-app-user-function-logs")
    assert statements(prod, "data-app-user-function") == [
        {"Effect": "Allow", "Action": ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue",
                                       "secretsmanager:PutSecretValue", "secretsmanager:UpdateSecretVersionStage"],
         "Resource": [app_secret(prod)]},
        {"Effect": "Allow", "Action": ["secretsmanager:GetRandomPassword"], "Resource": ["*"]},
        {"Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": [key_arn(prod)],
         "Condition": {"StringEquals": {"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}}},
        {"Effect": "Allow", "Action": ["ecs:RunTask"],
         "Resource": [f"{ecs}:task-definition/nodeapi-prod-db-users:*",
                      f"{ecs}:task-definition/nodeapi-prod-db-users-rotate:*"], "Condition": on_cluster},
        {"Effect": "Allow", "Action": ["ecs:ListTasks", "ecs:ListServices"], "Resource": ["*"],
         "Condition": on_cluster},
        {"Effect": "Allow", "Action": ["ecs:DescribeTasks", "ecs:StopTask"],
         "Resource": [f"{ecs}:task/nodeapi-prod/*"], "Condition": on_cluster},
        {"Effect": "Allow", "Action": ["ecs:UpdateService"], "Resource": [f"{ecs}:service/nodeapi-prod/*"],
         "Condition": on_cluster},
        {"Effect": "Allow", "Action": ["iam:PassRole"],
         "Resource": [arn(prod, "aws:iam/role:Role", "data-app-user-execution")],
         "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}},
        {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": [f"{log_group}:log-stream:*"]},
    ]
    master = master_secret(prod)
    assert master not in json.dumps(statements(prod, "data-app-user-function"))


def test_rotation_schedule_and_who_may_invoke(prod):
    function_arn = arn(prod, FUNCTION, "data-app-user-function")
    assert one(prod, "aws:lambda/permission:Permission", "data-app-user-rotation")["inputs"] == {
        "action": "lambda:InvokeFunction", "function": "nodeapi-prod-db-credentials",
        "principal": "secretsmanager.amazonaws.com", "sourceArn": app_secret(prod), "sourceAccount": ACCOUNT}
    rotation = one(prod, "aws:secretsmanager/secretRotation:SecretRotation", "data-app-user-rotation")
    assert rotation["inputs"] == {
        "secretId": state_of(prod, SECRET, "data-app-user-secret")["id"], "rotationLambdaArn": function_arn,
        "rotationRules": {"automaticallyAfterDays": 30}, "rotateImmediately": False}
    assert sorted(u.rsplit("::", 1)[1] for u in rotation["options"]["dependsOn"]) == [
        "data-app-user-rotation", "data-app-user-sync"]


def test_the_rotation_interval_comes_from_the_settings():
    graph = with_changes("staging", database={**stack_settings("staging")["database"], "credentialRotationDays": 7})
    assert one(graph, "aws:secretsmanager/secretRotation:SecretRotation")["inputs"]["rotationRules"] == {
        "automaticallyAfterDays": 7}


def test_the_sync_runs_on_the_first_deploy_and_when_tasks_sql_or_endpoints_change(prod):
    import hashlib

    sync = one(prod, "aws:lambda/invocation:Invocation", "data-app-user-sync")
    assert sync["inputs"] == {
        "functionName": "nodeapi-prod-db-credentials", "input": json.dumps({"action": "sync"}),
        "triggers": {
            "sql": hashlib.sha256(SQL_FILE.read_bytes()).hexdigest(),
            "handler": hashlib.sha256(HANDLER_FILE.read_bytes()).hexdigest(),
            "bootstrap": arn(prod, TASK, "data-app-user-bootstrap"), "rotate": arn(prod, TASK, "data-app-user-rotate"),
            "urlHost": state_of(prod, "aws:rds/instance:Instance", "database")["address"], "readHosts": "",
            "proxyUsers": ""}}
    depends = sync["options"]["dependsOn"]
    assert [u for u in depends if u.endswith("::network-private-a-egress")], "waits for the NAT routes"
    assert prod["component"].ready is prod["component"].app_user.sync


def test_children(prod):
    component = one(prod, COMPONENT, "data-app-user")
    kinds = sorted((r["type"], r["name"]) for r in prod["resources"] if r["parent"] == component["urn"])
    assert kinds == sorted([
        ("aws:cloudwatch/logGroup:LogGroup", "data-app-user-function-logs"),
        ("aws:cloudwatch/logGroup:LogGroup", "data-app-user-logs"),
        (TASK, "data-app-user-bootstrap"), (TASK, "data-app-user-rotate"),
        ("aws:iam/role:Role", "data-app-user-execution"), ("aws:iam/role:Role", "data-app-user-function"),
        ("aws:iam/rolePolicy:RolePolicy", "data-app-user-execution"),
        ("aws:iam/rolePolicy:RolePolicy", "data-app-user-function"),
        (FUNCTION, "data-app-user-function"), ("aws:lambda/invocation:Invocation", "data-app-user-sync"),
        ("aws:lambda/permission:Permission", "data-app-user-rotation"),
        (SECRET, "data-app-user-secret"), (VERSION, "data-app-user-secret"),
        ("aws:secretsmanager/secretRotation:SecretRotation", "data-app-user-rotation"),
        ("random:index/randomPassword:RandomPassword", "data-app-user-password"),
    ])
