"""The migration hook component: Lambda, log group, least-privilege roles, and its contract with handler.py."""

import ast
import dataclasses
import json

import pulumi
import pytest

from components.migration_hook import HANDLER_FILE, BootstrapTask, MigrationHook, MigrationHookArgs
from lambdas.migration_hook import handler as hook
from tests.helpers import ROOT, assert_inputs, children, one, parsed
from tools.mock_outputs import outputs_for
from tools.preview import record

ACCOUNT = "123456789012"
REGION = "us-east-1"
FUNCTION = "nodeapi-prod-migrate"
CLUSTER_ARN = f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/nodeapi-prod"
TASK_ROLE = f"arn:aws:iam::{ACCOUNT}:role/web-task-role-1a2b3c4"
EXECUTION_ROLE = f"arn:aws:iam::{ACCOUNT}:role/web-task-execution-5d6e7f8"
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"
SUBNETS = ["subnet-0a1b2c3d4e5f60718", "subnet-0f1e2d3c4b5a69788"]
GROUPS = ["sg-0123456789abcdef0", "sg-0fedcba9876543210"]
COMMAND = ["npx", "prisma", "migrate", "deploy"]
COMPONENT = "nodeapi:service:MigrationHook"
FUNCTION_TYPE = "aws:lambda/function:Function"
ROLE = "aws:iam/role:Role"
POLICY = "aws:iam/rolePolicy:RolePolicy"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
LOG_GROUP_ARN = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/{FUNCTION}"


def hook_args(**changes) -> MigrationHookArgs:
    """Prod-like arguments; some IDs arrive as Outputs, as the network's do."""
    args = MigrationHookArgs(
        function_name=FUNCTION, cluster_arn=CLUSTER_ARN, cluster_name="nodeapi-prod", service_name="web",
        task_family="nodeapi-prod-web", task_role_arn=TASK_ROLE, execution_role_arn=EXECUTION_ROLE,
        subnet_ids=[SUBNETS[0], pulumi.Output.from_input(SUBNETS[1])],
        security_group_ids=[GROUPS[0], pulumi.Output.from_input(GROUPS[1])],
        migration_command=list(COMMAND), timeout_seconds=1800, log_retention_days=90, kms_key_arn=KEY_ARN,
        region=REGION, account_id=ACCOUNT,
    )
    return dataclasses.replace(args, **changes)


@pytest.fixture(scope="module")
def built():
    """The component alone under the recording mocks, and its resolved lifecycle_hook() entry."""
    found = {}

    def build():
        component = MigrationHook("migration-hook", hook_args())
        found["stages"] = component.lifecycle_stages
        pulumi.Output.from_input(component.lifecycle_hook()).apply(lambda value: found.update(resolved=value))

    graph = record(build, stack="prod")
    return graph, found


@pytest.fixture(scope="module")
def graph(built):
    return built[0]


def state(graph: dict, type_: str, name: str) -> dict:
    return outputs_for(type_, name, one(graph, type_, name)["inputs"], REGION, ACCOUNT)[1]


def statements(graph: dict, name: str) -> list[dict]:
    return parsed(one(graph, POLICY, name)["inputs"]["policy"])["Statement"]


def urn(graph: dict, type_: str, name: str) -> str:
    return one(graph, type_, name)["urn"]


def test_exactly_these_children(graph):
    component = one(graph, COMPONENT, "migration-hook")
    assert sorted((r["type"], r["name"]) for r in children(graph, component["urn"])) == [
        (LOG_GROUP, "migration-hook-logs"),
        (ROLE, "migration-hook-invoke"),
        (ROLE, "migration-hook-role"),
        (POLICY, "migration-hook-invoke"),
        (POLICY, "migration-hook-role"),
        (FUNCTION_TYPE, "migration-hook"),
    ]
    assert len(graph["resources"]) == 7


def test_log_group_is_the_functions_encrypted_and_expiring(graph):
    assert_inputs(one(graph, LOG_GROUP, "migration-hook-logs"), {
        "name": f"/aws/lambda/{FUNCTION}", "retentionInDays": 90, "kmsKeyId": KEY_ARN,
    })


def test_function(graph):
    function = one(graph, FUNCTION_TYPE, "migration-hook")
    assert_inputs(function, {
        "name": FUNCTION, "runtime": "python3.13", "handler": "handler.handler", "timeout": 30, "memorySize": 256,
        "architectures": ["arm64"], "role": state(graph, ROLE, "migration-hook-role")["arn"],
        "loggingConfig": {"logFormat": "Text", "logGroup": f"/aws/lambda/{FUNCTION}"},
        "code": {"assets": ["handler.py"]},
    })
    assert function["inputs"]["environment"]["variables"] == {
        "HOOK_STAGE": "PRE_SCALE_UP", "CONTAINER_NAME": "web", "MIGRATION_COMMAND": json.dumps(COMMAND),
        "SUBNET_IDS": ",".join(SUBNETS), "SECURITY_GROUP_IDS": ",".join(GROUPS), "CALLBACK_DELAY_SECONDS": "30",
        "MIGRATION_TIMEOUT_SECONDS": "1800", "BOOTSTRAP_TASK_DEFINITION": "", "BOOTSTRAP_CONTAINER_NAME": "",
        "BOOTSTRAP_SUBNET_IDS": "", "BOOTSTRAP_SECURITY_GROUP_IDS": "",
    }


def test_function_waits_for_its_log_group_and_permissions(graph):
    assert one(graph, FUNCTION_TYPE, "migration-hook")["options"]["dependsOn"] == sorted([
        urn(graph, LOG_GROUP, "migration-hook-logs"), urn(graph, POLICY, "migration-hook-role")])


def test_only_the_handler_ships():
    assert HANDLER_FILE == ROOT / "lambdas" / "migration_hook" / "handler.py"
    assert HANDLER_FILE.is_file()


def test_roles_trust_one_service_of_this_account(graph):
    trusted = {"migration-hook-role": "lambda.amazonaws.com", "migration-hook-invoke": "ecs.amazonaws.com"}
    for name, service in trusted.items():
        assert parsed(one(graph, ROLE, name)["inputs"]["assumeRolePolicy"]) == {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
        }]}
    for name in ("migration-hook-role", "migration-hook-invoke"):
        assert one(graph, POLICY, name)["inputs"]["role"] == state(graph, ROLE, name)["id"]


def test_function_policy_is_least_privilege(graph):
    ecs = f"arn:aws:ecs:{REGION}:{ACCOUNT}"
    on_cluster = {"ArnEquals": {"ecs:cluster": CLUSTER_ARN}}
    assert statements(graph, "migration-hook-role") == [
        {"Effect": "Allow", "Action": ["ecs:DescribeServiceRevisions"],
         "Resource": [f"{ecs}:service-revision/nodeapi-prod/web/*"]},
        {"Effect": "Allow", "Action": ["ecs:RunTask"], "Resource": [f"{ecs}:task-definition/nodeapi-prod-web:*"],
         "Condition": on_cluster},
        {"Effect": "Allow", "Action": ["ecs:ListTasks"], "Resource": ["*"], "Condition": on_cluster},
        {"Effect": "Allow", "Action": ["ecs:DescribeTasks", "ecs:StopTask"],
         "Resource": [f"{ecs}:task/nodeapi-prod/*"], "Condition": on_cluster},
        {"Effect": "Allow", "Action": ["iam:PassRole"], "Resource": [TASK_ROLE, EXECUTION_ROLE],
         "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}},
        {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": [f"{LOG_GROUP_ARN}:log-stream:*"]},
    ]


def test_invoke_role_may_invoke_only_this_function(graph):
    function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{FUNCTION}"
    assert state(graph, FUNCTION_TYPE, "migration-hook")["arn"] == function_arn
    assert statements(graph, "migration-hook-invoke") == [
        {"Effect": "Allow", "Action": ["lambda:InvokeFunction"], "Resource": [function_arn]}]


def test_lifecycle_hook_entry(built):
    graph, found = built
    assert found["stages"] == ["PRE_SCALE_UP"]
    assert found["resolved"] == {
        "hook_target_arn": state(graph, FUNCTION_TYPE, "migration-hook")["arn"],
        "role_arn": state(graph, ROLE, "migration-hook-invoke")["arn"],
        "lifecycle_stages": ["PRE_SCALE_UP"],
    }


def environment_names(source: str) -> set[str]:
    """Every variable handler.py reads: environ[...] / environ.get(...), or a literal passed along with environ."""
    def is_environ(node: ast.AST) -> bool:
        return (isinstance(node, ast.Name) and node.id == "environ") or (
            isinstance(node, ast.Attribute) and node.attr == "environ")

    def literals(nodes) -> set[str]:
        return {n.value for n in nodes if isinstance(n, ast.Constant) and isinstance(n.value, str)}

    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Subscript) and is_environ(node.value):
            names |= literals([node.slice])
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and is_environ(node.func.value):
            names |= literals(node.args[:1])
        elif isinstance(node, ast.Call) and any(is_environ(arg) for arg in node.args):
            names |= literals(node.args)
    return names


def test_environment_names_are_found_in_every_form_of_read():
    source = 'import os\nos.environ["A"]\nos.environ.get("B", "x")\ndef f(environ):\n    environ.get("C")\n' \
             '    environ["D"]\n    parse_seconds(environ, "E", 30)\n    other("F")\n'
    assert environment_names(source) == {"A", "B", "C", "D", "E"}


def test_environment_is_exactly_what_the_handler_reads(graph):
    variables = one(graph, FUNCTION_TYPE, "migration-hook")["inputs"]["environment"]["variables"]
    assert set(variables) == environment_names(HANDLER_FILE.read_text())


def test_handler_parses_the_environment_as_intended(graph):
    variables = one(graph, FUNCTION_TYPE, "migration-hook")["inputs"]["environment"]["variables"]
    assert hook.hook_stage(variables) == hook.DEFAULT_STAGE == "PRE_SCALE_UP"
    assert hook.parse_config(variables) == hook.Config(
        container_name="web", command=tuple(COMMAND), subnets=tuple(SUBNETS), security_groups=tuple(GROUPS),
        callback_delay=30, timeout=1800)


@pytest.mark.parametrize(("change", "message"), [
    ({"migration_command": []}, "migration_command must be a non-empty list of non-empty strings, got []"),
    ({"migration_command": ["npx", ""]},
     "migration_command must be a non-empty list of non-empty strings, got ['npx', '']"),
    ({"container_name": " "}, "container_name must not be empty"),
    ({"timeout_seconds": 0}, "timeout_seconds must be a positive number of seconds, got 0"),
    ({"callback_delay_seconds": -5}, "callback_delay_seconds must be a positive number of seconds, got -5"),
])
def test_bad_arguments_are_refused_before_any_resource(change, message):
    with pytest.raises(ValueError) as caught:
        record(lambda: MigrationHook("migration-hook", hook_args(**change)))
    assert str(caught.value) == message


BOOTSTRAP_ROLE = f"arn:aws:iam::{ACCOUNT}:role/data-app-user-execution-9a8b7c6"
TASKS_SG = "sg-0aaaabbbbccccdddd"


@pytest.fixture(scope="module")
def with_bootstrap():
    """The hook of a service whose data tier sets up the database users first."""
    bootstrap = BootstrapTask(task_family="nodeapi-prod-db-users", container_name="psql",
                              execution_role_arn=pulumi.Output.from_input(BOOTSTRAP_ROLE),
                              subnet_ids=[SUBNETS[0], pulumi.Output.from_input(SUBNETS[1])],
                              security_group_ids=[TASKS_SG])
    return record(lambda: MigrationHook("migration-hook", hook_args(bootstrap=bootstrap)), stack="prod")


def test_bootstrap_settings_reach_the_handler(with_bootstrap):
    variables = one(with_bootstrap, FUNCTION_TYPE, "migration-hook")["inputs"]["environment"]["variables"]
    assert {k: v for k, v in variables.items() if k.startswith("BOOTSTRAP_")} == {
        "BOOTSTRAP_TASK_DEFINITION": "nodeapi-prod-db-users", "BOOTSTRAP_CONTAINER_NAME": "psql",
        "BOOTSTRAP_SUBNET_IDS": ",".join(SUBNETS), "BOOTSTRAP_SECURITY_GROUP_IDS": TASKS_SG}
    assert hook.parse_config(variables).bootstrap == hook.Bootstrap(
        task_definition="nodeapi-prod-db-users", container_name="psql", subnets=tuple(SUBNETS),
        security_groups=(TASKS_SG,))


def test_bootstrap_adds_its_family_and_role_to_the_policy_and_nothing_else(with_bootstrap):
    ecs = f"arn:aws:ecs:{REGION}:{ACCOUNT}"
    found = statements(with_bootstrap, "migration-hook-role")
    assert found[1] == {"Effect": "Allow", "Action": ["ecs:RunTask"],
                        "Resource": [f"{ecs}:task-definition/nodeapi-prod-web:*",
                                     f"{ecs}:task-definition/nodeapi-prod-db-users:*"],
                        "Condition": {"ArnEquals": {"ecs:cluster": CLUSTER_ARN}}}
    assert found[4] == {"Effect": "Allow", "Action": ["iam:PassRole"],
                        "Resource": [TASK_ROLE, EXECUTION_ROLE, BOOTSTRAP_ROLE],
                        "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}}
    assert [s["Action"] for s in found] == [s["Action"] for s in statements(graph_without_bootstrap(), "migration-hook-role")]


def graph_without_bootstrap() -> dict:
    return record(lambda: MigrationHook("migration-hook", hook_args()), stack="prod")
