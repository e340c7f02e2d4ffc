"""The migration hook component: Lambda, log group, least-privilege roles, and its contract with handler.py."""

import ast
import dataclasses
import json

import pulumi
import pytest

from components.migration_hook import (BOTOCORE_VERSION, HANDLER_FILE, MODULES, BootstrapTask, MigrationHook,
                                      MigrationHookArgs, botocore_files)
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
        "code": {"assets": ["botocore", "bypass.py", "guard.py", "handler.py"]},
    })
    assert function["inputs"]["environment"]["variables"] == {
        "HOOK_STAGE": "PRE_SCALE_UP", "CONTAINER_NAME": "web", "MIGRATION_COMMAND": json.dumps(COMMAND),
        "SUBNET_IDS": ",".join(SUBNETS), "SECURITY_GROUP_IDS": ",".join(GROUPS), "CALLBACK_DELAY_SECONDS": "30",
        "MIGRATION_TIMEOUT_SECONDS": "1800", "BOOTSTRAP_TASK_DEFINITION": "", "BOOTSTRAP_CONTAINER_NAME": "",
        "BOOTSTRAP_SUBNET_IDS": "", "BOOTSTRAP_SECURITY_GROUP_IDS": "", "LISTENER_ARN": "",
        "PRODUCTION_RULE_ARNS": "", "ALLOW_ROLLED_BACK_REVISIONS": "",
    }


def test_function_waits_for_its_log_group_and_permissions(graph):
    assert one(graph, FUNCTION_TYPE, "migration-hook")["options"]["dependsOn"] == sorted([
        urn(graph, LOG_GROUP, "migration-hook-logs"), urn(graph, POLICY, "migration-hook-role")])


def test_the_package_is_the_handlers_modules_and_the_pinned_botocore():
    assert HANDLER_FILE == ROOT / "lambdas" / "migration_hook" / "handler.py"
    assert sorted(p.name for p in HANDLER_FILE.parent.glob("*.py")) == sorted(MODULES)
    files = botocore_files()
    assert "botocore/__init__.py" in files and "botocore/cacert.pem" in files
    models = {"/".join(path.split("/")[2:4]) for path in files if path.startswith("botocore/data/") and
              path.count("/") > 2}
    assert models == {"ecs/2014-11-13", "elbv2/2015-12-01"}
    assert {path for path in files if path.count("/") == 2 and path.startswith("botocore/data/")} == {
        "botocore/data/_retry.json", "botocore/data/endpoints.json", "botocore/data/partitions.json",
        "botocore/data/sdk-default-configuration.json"}
    assert not [path for path in files if "__pycache__" in path or path.endswith(".pyc")]


def test_requirements_pin_the_bundled_botocore():
    pins = [line for line in (ROOT / "requirements.txt").read_text().splitlines() if line.startswith("botocore")]
    assert pins == [f"botocore=={BOTOCORE_VERSION}"]


def test_another_installed_botocore_is_one_message(monkeypatch):
    import importlib.metadata

    monkeypatch.setattr(importlib.metadata, "version", lambda name: "1.34.0")
    with pytest.raises(pulumi.RunError) as caught:
        record(lambda: MigrationHook("migration-hook", hook_args()))
    assert str(caught.value) == (f"the migration hook bundles botocore {BOTOCORE_VERSION} (requirements.txt), but "
                                 "1.34.0 is installed: run `pip install -r requirements.txt`")


def test_the_bundle_runs_without_any_other_botocore(tmp_path):
    """Laid out as Lambda unpacks it, the package imports its own botocore (not the runtime's), whose clients have
    the calls the handler makes; models it does not ship are not there."""
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    for path, source in botocore_files().items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, tmp_path / path)
    for module in MODULES:
        shutil.copyfile(HANDLER_FILE.parent / module, tmp_path / module)
    # The runtime's side: botocore's dependencies, and an old botocore the package must shadow.
    import jmespath

    site = Path(jmespath.__file__).parent.parent
    runtime = tmp_path.parent / f"{tmp_path.name}-runtime"
    runtime.mkdir()
    for name in ("jmespath", "dateutil", "urllib3", "six.py"):
        (runtime / name).symlink_to(site / name)
    (runtime / "botocore").mkdir()
    (runtime / "botocore" / "__init__.py").write_text("raise ImportError('the runtime botocore was imported')\n")
    script = (
        "import sys; sys.path[:0] = [sys.argv[1], sys.argv[2]]\n"
        "import handler, botocore, botocore.session\n"
        "from botocore.exceptions import UnknownServiceError\n"
        "assert botocore.__file__.startswith(sys.argv[1]), botocore.__file__\n"
        "session = botocore.session.get_session()\n"
        "ecs = session.create_client('ecs', region_name='eu-west-1', aws_access_key_id='x', aws_secret_access_key='y')\n"
        "elbv2 = session.create_client('elbv2', region_name='eu-west-1', aws_access_key_id='x', "
        "aws_secret_access_key='y')\n"
        "assert all(hasattr(ecs, m) for m in ('describe_service_revisions', 'list_service_deployments', 'run_task'))\n"
        "assert hasattr(elbv2, 'modify_rule') and hasattr(elbv2, 'describe_rules')\n"
        "assert 'clientToken' in ecs.meta.service_model.operation_model('RunTask').input_shape.members\n"
        "try:\n    session.create_client('s3', region_name='eu-west-1')\nexcept UnknownServiceError:\n"
        "    print('only ecs and elbv2')\n"
        "print(botocore.__version__)\n")
    result = subprocess.run([sys.executable, "-S", "-c", script, str(tmp_path), str(runtime)], capture_output=True,
                            text=True,
                            env={"PYTHONPATH": str(tmp_path.parent / "no-such-dir"), "PATH": "/usr/bin",
                                 **{k: v for k, v in __import__("os").environ.items() if k == "HOME"}})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["only", "ecs", "and", "elbv2", BOTOCORE_VERSION]


def test_roles_trust_one_service(graph):
    """Neither Lambda nor ECS (invoking a hook) documents sending aws:SourceAccount: no condition (components/iam.py)."""
    trusted = {"migration-hook-role": "lambda.amazonaws.com", "migration-hook-invoke": "ecs.amazonaws.com"}
    for name, service in trusted.items():
        assert parsed(one(graph, ROLE, name)["inputs"]["assumeRolePolicy"]) == {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole",
        }]}
    for name in ("migration-hook-role", "migration-hook-invoke"):
        assert one(graph, POLICY, name)["inputs"]["role"] == state(graph, ROLE, name)["id"]


def test_function_policy_is_least_privilege(graph):
    ecs = f"arn:aws:ecs:{REGION}:{ACCOUNT}"
    on_cluster = {"ArnEquals": {"ecs:cluster": CLUSTER_ARN}}
    assert statements(graph, "migration-hook-role") == [
        {"Effect": "Allow", "Action": ["ecs:DescribeServiceRevisions"],
         "Resource": [f"{ecs}:service-revision/nodeapi-prod/web/*"]},
        {"Effect": "Allow", "Action": ["ecs:ListServiceDeployments"], "Resource": [f"{ecs}:service/nodeapi-prod/web"]},
        {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": [f"{LOG_GROUP_ARN}:log-stream:*"]},
        {"Effect": "Allow", "Action": ["ecs:RunTask"], "Resource": [f"{ecs}:task-definition/nodeapi-prod-web:*"],
         "Condition": on_cluster},
        {"Effect": "Allow", "Action": ["ecs:ListTasks"], "Resource": ["*"], "Condition": on_cluster},
        {"Effect": "Allow", "Action": ["ecs:DescribeTasks", "ecs:StopTask"],
         "Resource": [f"{ecs}:task/nodeapi-prod/*"], "Condition": on_cluster},
        {"Effect": "Allow", "Action": ["iam:PassRole"], "Resource": [TASK_ROLE, EXECUTION_ROLE],
         "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}},
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
    assert found[3] == {"Effect": "Allow", "Action": ["ecs:RunTask"],
                        "Resource": [f"{ecs}:task-definition/nodeapi-prod-web:*",
                                     f"{ecs}:task-definition/nodeapi-prod-db-users:*"],
                        "Condition": {"ArnEquals": {"ecs:cluster": CLUSTER_ARN}}}
    assert found[6] == {"Effect": "Allow", "Action": ["iam:PassRole"],
                        "Resource": [TASK_ROLE, EXECUTION_ROLE, BOOTSTRAP_ROLE],
                        "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}}
    assert [s["Action"] for s in found] == [s["Action"] for s in statements(graph_without_bootstrap(), "migration-hook-role")]


def graph_without_bootstrap() -> dict:
    return record(lambda: MigrationHook("migration-hook", hook_args()), stack="prod")



LISTENER = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:listener/app/nodeapi-prod/50dc6c495c0c9188/f2f7dc8efc522ab2"
RULES = [LISTENER.replace(":listener/", ":listener-rule/") + "/" + suffix for suffix in ("9a1b2c3d", "8e7f6a5b")]


@pytest.fixture(scope="module")
def guarding_only():
    """The hook of a public service without migrations, behind the HTTPS listener, two routes."""
    found = {}

    def build():
        component = MigrationHook("migration-hook", hook_args(
            migration_command=None, listener_arn=pulumi.Output.from_input(LISTENER),
            production_rule_arns=[RULES[0], pulumi.Output.from_input(RULES[1])], allowed_revisions=[42, 7]))
        found["stages"] = component.lifecycle_stages
    return record(build, stack="prod"), found


def test_without_migrations_the_hook_guards_and_follows_the_production_rules(guarding_only):
    graph, found = guarding_only
    assert found["stages"] == ["PRE_SCALE_UP", "PRODUCTION_TRAFFIC_SHIFT", "POST_PRODUCTION_TRAFFIC_SHIFT"]
    function = one(graph, FUNCTION_TYPE, "migration-hook")["inputs"]
    assert function["description"] == "ECS lifecycle hook: guards nodeapi-prod-web deployments"
    variables = function["environment"]["variables"]
    assert {k: variables[k] for k in ("MIGRATION_COMMAND", "LISTENER_ARN", "PRODUCTION_RULE_ARNS",
                                      "ALLOW_ROLLED_BACK_REVISIONS")} == {
        "MIGRATION_COMMAND": "", "LISTENER_ARN": LISTENER, "PRODUCTION_RULE_ARNS": ",".join(RULES),
        "ALLOW_ROLLED_BACK_REVISIONS": "7,42"}
    config = hook.parse_config(variables)
    assert (config.command, config.allowed_revisions) == ((), frozenset({7, 42}))


def test_without_migrations_the_hook_may_not_run_tasks(guarding_only):
    graph, _ = guarding_only
    ecs = f"arn:aws:ecs:{REGION}:{ACCOUNT}"
    assert statements(graph, "migration-hook-role") == [
        {"Effect": "Allow", "Action": ["ecs:DescribeServiceRevisions"],
         "Resource": [f"{ecs}:service-revision/nodeapi-prod/web/*"]},
        {"Effect": "Allow", "Action": ["ecs:ListServiceDeployments"], "Resource": [f"{ecs}:service/nodeapi-prod/web"]},
        {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": [f"{LOG_GROUP_ARN}:log-stream:*"]},
        {"Effect": "Allow", "Action": ["elasticloadbalancing:DescribeRules"], "Resource": ["*"]},
        {"Effect": "Allow", "Action": ["elasticloadbalancing:ModifyRule"],
         "Resource": [LISTENER.replace(":listener/", ":listener-rule/") + "/*"]},
    ]
