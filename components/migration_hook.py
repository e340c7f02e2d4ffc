"""A blue/green service's lifecycle hook: the Lambda of lambdas/migration_hook and the roles around it.

At PRE_SCALE_UP it refuses a task definition ECS rolled back before, then runs the database users task and the
migrations (when the service has them); at PRODUCTION_TRAFFIC_SHIFT and POST_PRODUCTION_TRAFFIC_SHIFT it moves the
maintenance bypass rules onto the production rules' new weights. See lambdas/migration_hook/README.md."""

import importlib.metadata
import functools
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import pulumi
import pulumi_aws as aws

from .iam import service_role

HANDLER_DIR = Path(__file__).resolve().parent.parent / "lambdas" / "migration_hook"
HANDLER_FILE = HANDLER_DIR / "handler.py"
MODULES = ("handler.py", "bypass.py", "guard.py")  # the package root of the function
# The handler's own default and the only stage it migrates at (see lambdas/migration_hook/README.md).
HOOK_STAGE = "PRE_SCALE_UP"
# Maintenance bypass rules follow the production rules here; PRODUCTION_TRAFFIC_SHIFT also runs on rollback
# (ECS Developer Guide, "Lifecycle hooks for Amazon ECS service deployments").
SYNC_STAGES = ("PRODUCTION_TRAFFIC_SHIFT", "POST_PRODUCTION_TRAFFIC_SHIFT")
# The Lambda runtime's boto3 is whatever AWS installed in it, which differs by runtime version and region (Lambda
# Developer Guide, "Runtime-included SDK versions"). The handler calls DescribeServiceRevisions and
# ListServiceDeployments (botocore 1.35.52, Nov 2024) and RunTask's clientToken (1.31.85), so the package ships the
# botocore pinned in requirements.txt, copied from the installed one (no download at `pulumi up`), with only the
# service models it calls. The runtime still provides botocore's own dependencies (urllib3, jmespath, dateutil).
BOTOCORE_VERSION = "1.44.8"
BOTOCORE_SERVICES = ("ecs", "elbv2")
RUNTIME = "python3.13"
# Each call makes a few ECS calls and returns; the migration itself is bounded by MIGRATION_TIMEOUT_SECONDS.
FUNCTION_TIMEOUT_SECONDS = 30
MEMORY_MB = 256
ECS_TASKS = "ecs-tasks.amazonaws.com"


@dataclass(frozen=True, kw_only=True)
class BootstrapTask:
    """The data tier's database-users task the hook runs before every migration, and where it runs."""

    task_family: str
    container_name: str
    execution_role_arn: pulumi.Input[str]
    subnet_ids: list[pulumi.Input[str]]
    security_group_ids: list[pulumi.Input[str]]
    task_role_arn: pulumi.Input[str] | None = None


@dataclass(frozen=True, kw_only=True)
class MigrationHookArgs:
    """The function, the web service whose new revision it migrates, and where the migration task runs."""

    function_name: str
    cluster_arn: pulumi.Input[str]
    cluster_name: str
    service_name: str
    task_family: str
    task_role_arn: pulumi.Input[str]
    execution_role_arn: pulumi.Input[str]
    subnet_ids: list[pulumi.Input[str]]
    security_group_ids: list[pulumi.Input[str]]
    migration_command: list[str] | None  # None: the service has no migrations (the hook guards and syncs only)
    timeout_seconds: int
    log_retention_days: int
    kms_key_arn: pulumi.Input[str]
    region: str
    account_id: str
    container_name: str = "web"
    callback_delay_seconds: int = 30
    bootstrap: BootstrapTask | None = None  # DataTier.bootstrap_task: app database users before migrations
    # The HTTPS listener and this service's production rules: bypass rules follow them (none: no sync stages).
    listener_arn: pulumi.Input[str] | None = None
    production_rule_arns: list[pulumi.Input[str]] = field(default_factory=list)
    allowed_revisions: list[int] = field(default_factory=list)  # rolled-back revisions that may be deployed again


def log_group_name(function_name: str) -> str:
    """The group Lambda writes a function's logs to by default."""
    return f"/aws/lambda/{function_name}"


def validate(args: MigrationHookArgs) -> None:
    """Refuse settings the handler would answer FAILED to on every deployment."""
    command = args.migration_command
    if command is not None and (not command or not all(isinstance(part, str) and part for part in command)):
        raise ValueError(f"migration_command must be a non-empty list of non-empty strings, got {command!r}")
    if not args.container_name.strip():
        raise ValueError("container_name must not be empty")
    for field_name in ("timeout_seconds", "callback_delay_seconds"):
        value = getattr(args, field_name)
        if value <= 0:
            raise ValueError(f"{field_name} must be a positive number of seconds, got {value}")


def hook_environment(args: MigrationHookArgs) -> pulumi.Output[dict[str, str]]:
    """The variables handler.py reads, in the formats it parses (JSON list, comma-separated IDs); the BOOTSTRAP_*
    ones are empty without a bootstrap task."""
    bootstrap = args.bootstrap
    return pulumi.Output.all(
        subnets=pulumi.Output.all(*args.subnet_ids), groups=pulumi.Output.all(*args.security_group_ids),
        bootstrap_subnets=pulumi.Output.all(*(bootstrap.subnet_ids if bootstrap else [])),
        bootstrap_groups=pulumi.Output.all(*(bootstrap.security_group_ids if bootstrap else [])),
        listener=args.listener_arn or "", rules=pulumi.Output.all(*args.production_rule_arns),
    ).apply(lambda v: {
        "HOOK_STAGE": HOOK_STAGE,
        "CONTAINER_NAME": args.container_name,
        "MIGRATION_COMMAND": json.dumps(args.migration_command) if args.migration_command else "",
        "SUBNET_IDS": ",".join(v["subnets"]),
        "SECURITY_GROUP_IDS": ",".join(v["groups"]),
        "CALLBACK_DELAY_SECONDS": str(args.callback_delay_seconds),
        "MIGRATION_TIMEOUT_SECONDS": str(args.timeout_seconds),
        "BOOTSTRAP_TASK_DEFINITION": bootstrap.task_family if bootstrap else "",
        "BOOTSTRAP_CONTAINER_NAME": bootstrap.container_name if bootstrap else "",
        "BOOTSTRAP_SUBNET_IDS": ",".join(v["bootstrap_subnets"]),
        "BOOTSTRAP_SECURITY_GROUP_IDS": ",".join(v["bootstrap_groups"]),
        "LISTENER_ARN": v["listener"],
        "PRODUCTION_RULE_ARNS": ",".join(v["rules"]),
        "ALLOW_ROLLED_BACK_REVISIONS": ",".join(str(r) for r in sorted(args.allowed_revisions)),
    })


def function_statements(args: MigrationHookArgs, log_group_arn: pulumi.Input[str]) -> list[dict]:
    """Least privilege for the handler's calls: this service's revisions, this family's tasks, this cluster."""
    ecs = f"arn:aws:ecs:{args.region}:{args.account_id}"
    bootstrap = args.bootstrap
    families = [args.task_family] + ([bootstrap.task_family] if bootstrap else [])
    bootstrap_roles = [bootstrap.task_role_arn, bootstrap.execution_role_arn] if bootstrap else []
    passed = [args.task_role_arn, args.execution_role_arn] + [arn for arn in bootstrap_roles if arn is not None]
    statements = [
        {"Effect": "Allow", "Action": ["ecs:DescribeServiceRevisions"],
         "Resource": [f"{ecs}:service-revision/{args.cluster_name}/{args.service_name}/*"]},
        # guard.py: this service's deployments that ended in a rollback.
        {"Effect": "Allow", "Action": ["ecs:ListServiceDeployments"],
         "Resource": [f"{ecs}:service/{args.cluster_name}/{args.service_name}"]},
        {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": [pulumi.Output.concat(log_group_arn, ":log-stream:*")]},
    ]
    if args.migration_command or bootstrap:
        statements += task_statements(args, ecs, families, passed)
    if args.listener_arn is not None:
        statements += [
            # DescribeRules has no resource-level permissions (Service Authorization Reference, ELB v2).
            {"Effect": "Allow", "Action": ["elasticloadbalancing:DescribeRules"], "Resource": ["*"]},
            {"Effect": "Allow", "Action": ["elasticloadbalancing:ModifyRule"],
             "Resource": [pulumi.Output.from_input(args.listener_arn).apply(listener_rules_arn)]},
        ]
    return statements


def listener_rules_arn(listener_arn: str) -> str:
    """The ARN pattern of a listener's rules (`listener/app/<lb>/<id>/<listener>` -> `listener-rule/.../*`)."""
    return listener_arn.replace(":listener/", ":listener-rule/", 1) + "/*"


def task_statements(args: MigrationHookArgs, ecs: str, families: list[str], passed: list) -> list[dict]:
    """Running, following and stopping the migration and bootstrap tasks in this cluster."""
    on_cluster = {"ArnEquals": {"ecs:cluster": args.cluster_arn}}
    return [
        {"Effect": "Allow", "Action": ["ecs:RunTask"],
         "Resource": [f"{ecs}:task-definition/{family}:*" for family in families], "Condition": on_cluster},
        # ListTasks has no task resource (its resource type is the container instance): `*`, narrowed to the cluster.
        {"Effect": "Allow", "Action": ["ecs:ListTasks"], "Resource": ["*"], "Condition": on_cluster},
        {"Effect": "Allow", "Action": ["ecs:DescribeTasks", "ecs:StopTask"],
         "Resource": [f"{ecs}:task/{args.cluster_name}/*"], "Condition": on_cluster},
        {"Effect": "Allow", "Action": ["iam:PassRole"], "Resource": passed,
         "Condition": {"StringEquals": {"iam:PassedToService": ECS_TASKS}}},
    ]


def botocore_files() -> dict[str, str]:
    """Path in the package -> installed file, of the pinned botocore: its code, its top-level data and the models
    of BOTOCORE_SERVICES. RuntimeError naming the versions when the installed botocore is not the pinned one."""
    installed = importlib.metadata.version("botocore")
    if installed != BOTOCORE_VERSION:
        raise RuntimeError(f"the migration hook bundles botocore {BOTOCORE_VERSION} (requirements.txt), but "
                           f"{installed} is installed: run `pip install -r requirements.txt`")
    return dict(_botocore_tree())


@functools.lru_cache(maxsize=1)
def _botocore_tree() -> tuple[tuple[str, str], ...]:
    """The installed botocore's files the package carries, sorted; walked once per process (the data folder holds
    hundreds of service models: only BOTOCORE_SERVICES' are entered)."""
    import botocore

    root = Path(botocore.__file__).resolve().parent
    files = []
    for folder, subfolders, names in os.walk(root):
        relative_folder = Path(folder).relative_to(root)
        parts = relative_folder.parts
        if parts == ("data",):
            subfolders[:] = [d for d in subfolders if d in BOTOCORE_SERVICES]
        subfolders[:] = [d for d in subfolders if d != "__pycache__"]
        for file in names:
            if not file.endswith(".pyc"):
                files.append((f"botocore/{(relative_folder / file).as_posix()}", str(Path(folder) / file)))
    return tuple(sorted(files))


def lambda_code() -> pulumi.AssetArchive:
    """The handler's modules at the package root, and the pinned botocore beside them."""
    botocore = {path.removeprefix("botocore/"): pulumi.FileAsset(file) for path, file in botocore_files().items()}
    return pulumi.AssetArchive({**{module: pulumi.FileAsset(str(HANDLER_DIR / module)) for module in MODULES},
                                "botocore": pulumi.AssetArchive(botocore)})


class MigrationHook(pulumi.ComponentResource):
    """Log group, function role, the hook Lambda and the role ECS assumes to invoke it."""

    def __init__(self, name: str, args: MigrationHookArgs, opts: pulumi.ResourceOptions | None = None):
        validate(args)
        super().__init__("nodeapi:service:MigrationHook", name, None, opts)
        # Declared before the function, so Lambda never creates its own never-expiring, unencrypted group.
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs", name=log_group_name(args.function_name), retention_in_days=args.log_retention_days,
            kms_key_id=args.kms_key_arn, tags={"Name": args.function_name}, opts=pulumi.ResourceOptions(parent=self),
        )
        self.role, role_policy = service_role(
            f"{name}-role", service="lambda.amazonaws.com", account_id=args.account_id, parent=self,
            statements=function_statements(args, self.log_group.arn), tags={"Name": f"{name}-role"})
        self.function = self._function(name, args, [self.log_group, role_policy])
        self.invoke_role, invoke_policy = service_role(
            f"{name}-invoke", service="ecs.amazonaws.com", account_id=args.account_id, parent=self,
            trust="ecs-lifecycle-hook",
            statements=[{"Effect": "Allow", "Action": ["lambda:InvokeFunction"], "Resource": [self.function.arn]}],
            tags={"Name": f"{name}-invoke"})
        self.function_arn = self.function.arn
        self.function_name = self.function.name
        self.invoke_role_arn = self.invoke_role.arn
        # The service names the invoke role: it must also wait for the role's policy, or ECS may call the hook
        # before the role may invoke the function (IAM is eventually consistent; the first deploy fails).
        self.ready: list[pulumi.Resource] = [invoke_policy, self.function]
        self.lifecycle_stages = [HOOK_STAGE, *(SYNC_STAGES if args.listener_arn is not None else ())]
        self.register_outputs({"function_arn": self.function_arn, "function_name": self.function_name,
                               "invoke_role_arn": self.invoke_role_arn, "lifecycle_stages": self.lifecycle_stages})

    def lifecycle_hook(self) -> dict:
        """The entry for the service's `deployment_configuration.lifecycle_hooks`."""
        return {"hook_target_arn": self.function_arn, "role_arn": self.invoke_role_arn,
                "lifecycle_stages": list(self.lifecycle_stages)}

    def _function(self, name: str, args: MigrationHookArgs, depends_on: list[pulumi.Resource]) -> aws.lambda_.Function:
        """The handler's modules and the pinned botocore, arm64, logging to the declared group."""
        try:
            code = lambda_code()
        except RuntimeError as error:
            raise pulumi.RunError(str(error)) from None
        doing = f"runs {args.task_family} migrations at {HOOK_STAGE}" if args.migration_command \
            else f"guards {args.task_family} deployments"
        return aws.lambda_.Function(
            name,
            name=args.function_name,
            description=f"ECS lifecycle hook: {doing}",
            runtime=RUNTIME,
            handler="handler.handler",
            code=code,
            role=self.role.arn,
            timeout=FUNCTION_TIMEOUT_SECONDS,
            memory_size=MEMORY_MB,
            architectures=["arm64"],
            environment={"variables": hook_environment(args)},
            logging_config={"log_format": "Text", "log_group": log_group_name(args.function_name)},
            tags={"Name": args.function_name},
            # Neither the group nor the policy is referenced by an input: without these, the function could be
            # created (and log) before its group exists, or run before its permissions do.
            opts=pulumi.ResourceOptions(parent=self, depends_on=depends_on),
        )
