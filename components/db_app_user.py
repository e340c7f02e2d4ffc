"""The app's database users: a least-privilege owner role, two login users that rotation alternates between, the
secret ECS injects (DATABASE_URL...), the psql tasks that create and repair them, and the credentials Lambda.

See lambdas/db_credentials/handler.py for the rotation steps, and docs/data-tier.md for why (RDS rotates the
master secret every 7 days, ECS injects secrets only at task start).
"""

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from lambdas.db_credentials.handler import PASSWORD_LENGTH, secret_document

from .iam import service_role
from .migration_hook import BootstrapTask

ROOT = Path(__file__).resolve().parent.parent
HANDLER_FILE = ROOT / "lambdas" / "db_credentials" / "handler.py"
SQL_FILE = Path(__file__).resolve().parent / "sql" / "app_users.sql"
CONTAINER = "psql"
POSTGRES_UID = "70:70"  # the `postgres` user of the alpine postgres image
TASK_CPU, TASK_MEMORY = 256, 512
RUNTIME = "python3.13"
# Each step may wait for a Fargate task (start, image pull, psql): Lambda's maximum, the task's own limit below it.
FUNCTION_TIMEOUT_SECONDS = 900
TASK_TIMEOUT_SECONDS = 600
MEMORY_MB = 256
ECS_TASKS = "ecs-tasks.amazonaws.com"
CURRENT, PENDING = "AWSCURRENT", "AWSPENDING"


def users_script(sql: str) -> str:
    """Shell of the psql container: the SQL as the master user, then a login as the user it set up, which must
    land in the owner role (its `SET role`)."""
    return (
        "set -eu\n"
        'psql -X -q -v owner="$APP_OWNER" -v user_1="$APP_USER_1" -v user_2="$APP_USER_2" -v login="$LOGIN_USER" '
        '-v master="$PGUSER" -v dbname="$PGDATABASE" <<\'SQL\'\n'
        f"{sql.rstrip()}\n"
        "SQL\n"
        'role="$(PGUSER="$LOGIN_USER" PGPASSWORD="$LOGIN_PASSWORD" psql -X -A -t -c \'SELECT current_user\')"\n'
        'test "$role" = "$APP_OWNER"\n'
        'echo "$LOGIN_USER logs in and works as $role"\n'
    )


def users_container(
    *, image: str, sql: str, db_host: str, port: int, db_name: str, master_username: str, master_secret_arn: str,
    app_secret_arn: str, stage: str, owner: str, login_users: tuple[str, str], log_group: str, region: str,
    stream_prefix: str,
) -> dict:
    """The psql container: master password from the RDS-managed secret, the login user's from the app secret at
    `stage` (AWSCURRENT at deploy time, AWSPENDING during a rotation), through ECS `valueFrom`."""
    return {
        "name": CONTAINER,
        "image": image,
        "essential": True,
        "user": POSTGRES_UID,
        "readonlyRootFilesystem": True,
        "entryPoint": ["sh", "-c"],
        "command": [users_script(sql)],
        "environment": [
            {"name": "PGHOST", "value": db_host},
            {"name": "PGPORT", "value": str(port)},
            {"name": "PGDATABASE", "value": db_name},
            {"name": "PGUSER", "value": master_username},
            {"name": "PGSSLMODE", "value": "require"},
            {"name": "PGCONNECT_TIMEOUT", "value": "10"},
            {"name": "APP_OWNER", "value": owner},
            {"name": "APP_USER_1", "value": login_users[0]},
            {"name": "APP_USER_2", "value": login_users[1]},
        ],
        "secrets": [
            {"name": "PGPASSWORD", "valueFrom": f"{master_secret_arn}:password::"},
            {"name": "LOGIN_USER", "valueFrom": f"{app_secret_arn}:username:{stage}:"},
            {"name": "LOGIN_PASSWORD", "valueFrom": f"{app_secret_arn}:password:{stage}:"},
        ],
        "logConfiguration": {"logDriver": "awslogs", "options": {
            "awslogs-group": log_group, "awslogs-region": region, "awslogs-stream-prefix": stream_prefix}},
    }


def proxy_user_secret(name: str, *, prefix: str, user: str, kms_key_arn: pulumi.Input[str],
                      recovery_window_days: int, parent: pulumi.Resource) -> aws.secretsmanager.Secret:
    """RDS Proxy reads one secret per database user ({username, password}); the credentials Lambda keeps the
    password current. Created before the database (the proxy names it), so it is the caller's child."""
    placeholder = random.RandomPassword(name, length=PASSWORD_LENGTH, special=False,
                                        opts=pulumi.ResourceOptions(parent=parent))
    secret = aws.secretsmanager.Secret(
        name,
        name=f"{prefix}/db-proxy-{user.replace('_', '-')}",
        description=f"{prefix}: {user}'s password for RDS Proxy",
        kms_key_id=kms_key_arn,
        recovery_window_in_days=recovery_window_days,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    # A placeholder until the first sync writes the user's real password; the Lambda owns the value after.
    aws.secretsmanager.SecretVersion(
        name, secret_id=secret.id,
        secret_string=pulumi.Output.secret(placeholder.result.apply(
            lambda p: json.dumps({"username": user, "password": p}))),
        opts=pulumi.ResourceOptions(parent=parent, ignore_changes=["secretString"]),
    )
    return secret


@dataclass(frozen=True, kw_only=True)
class DbAppUserNames:
    """Physical names (contract.names): the two psql task families, the credentials function, the tasks' logs."""

    bootstrap_family: str
    rotate_family: str
    function: str
    log_group: str


@dataclass(frozen=True, kw_only=True)
class DbAppUserArgs:
    """Who the users are, where the database is, where the tasks run, how often the password rotates."""

    prefix: str  # secrets `<prefix>/db-app`
    names: DbAppUserNames
    owner: str
    login_users: tuple[str, str]
    master_username: str
    master_secret_arn: pulumi.Input[str]
    db_address: pulumi.Input[str]  # the instance: the psql tasks connect to it directly
    url_host: pulumi.Input[str]  # where DATABASE_URL points: the proxy, or the instance
    port: int
    db_name: str
    read_hosts: list[pulumi.Input[str]]
    image: str
    kms_key_arn: pulumi.Input[str]
    cluster_arn: pulumi.Input[str]
    subnet_ids: list[pulumi.Input[str]]
    security_group_ids: list[pulumi.Input[str]]
    rotation_days: int
    log_retention_days: int
    recovery_window_days: int
    region: str
    account_id: str
    ready: list[pulumi.Resource] = field(default_factory=list)  # what the first sync needs (network routes)
    # With RDS Proxy: login user -> its proxy secret (`proxy_user_secret`), kept current by the Lambda.
    proxy_secrets: dict[str, aws.secretsmanager.Secret] = field(default_factory=dict)


class DbAppUser(pulumi.ComponentResource):
    """App secret (+ proxy user secrets), psql task definitions, credentials Lambda, rotation, deploy-time sync."""

    def __init__(self, name: str, args: DbAppUserArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nodeapi:database:AppUser", name, None, opts)
        self.secret = self._app_secret(name, args)
        self.proxy_secrets = dict(args.proxy_secrets)
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs", name=args.names.log_group, retention_in_days=args.log_retention_days,
            kms_key_id=args.kms_key_arn, opts=pulumi.ResourceOptions(parent=self),
        )
        self.execution_role, _ = service_role(
            f"{name}-execution", service=ECS_TASKS, account_id=args.account_id, parent=self,
            statements=self._execution_statements(args))
        self.bootstrap = self._task(name, "bootstrap", args.names.bootstrap_family, CURRENT, args)
        self.rotate = self._task(name, "rotate", args.names.rotate_family, PENDING, args)
        self.function = self._function(name, args)
        self.sync = self._sync(name, args)
        self.rotation = self._rotation(name, args)

        self.secret_arn = self.secret.arn
        self.proxy_secret_arns = {user: secret.arn for user, secret in self.proxy_secrets.items()}
        self.bootstrap_task = BootstrapTask(
            task_family=args.names.bootstrap_family, container_name=CONTAINER,
            execution_role_arn=self.execution_role.arn, subnet_ids=list(args.subnet_ids),
            security_group_ids=list(args.security_group_ids),
        )
        self.function_name = self.function.name
        self.register_outputs({"secret_arn": self.secret_arn, "proxy_secret_arns": self.proxy_secret_arns,
                               "function_name": self.function_name})

    def _app_secret(self, name: str, args: DbAppUserArgs) -> aws.secretsmanager.Secret:
        """The secret ECS injects; Pulumi writes its first version only (rotation and sync own it after)."""
        password = random.RandomPassword(f"{name}-password", length=PASSWORD_LENGTH, special=False,
                                         opts=pulumi.ResourceOptions(parent=self))
        secret = aws.secretsmanager.Secret(
            f"{name}-secret",
            name=f"{args.prefix}/db-app",
            description=f"{args.prefix}: the app's database login ({' / '.join(args.login_users)}) and its URLs",
            kms_key_id=args.kms_key_arn,
            recovery_window_in_days=args.recovery_window_days,
            opts=pulumi.ResourceOptions(parent=self),
        )
        first = pulumi.Output.all(password.result, args.url_host, *args.read_hosts).apply(
            lambda v: json.dumps(secret_document(args.login_users[0], v[0], v[1], args.port, args.db_name, v[2:])))
        self.initial_value = pulumi.Output.secret(first)
        aws.secretsmanager.SecretVersion(
            f"{name}-secret", secret_id=secret.id, secret_string=pulumi.Output.secret(first),
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["secretString"]),
        )
        return secret

    def _execution_statements(self, args: DbAppUserArgs) -> list[dict]:
        """The ECS agent resolves the master and app secrets (any stage) and writes the log group."""
        return [
            {"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"],
             "Resource": [args.master_secret_arn, self.secret.arn]},
            {"Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": [args.kms_key_arn],
             "Condition": {"StringEquals": {"kms:ViaService": f"secretsmanager.{args.region}.amazonaws.com"}}},
            {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
             "Resource": [pulumi.Output.concat(self.log_group.arn, ":log-stream:*")]},
        ]

    def _task(self, name: str, role: str, family: str, stage: str, args: DbAppUserArgs) -> aws.ecs.TaskDefinition:
        """One psql task definition; `stage` picks which version of the app secret it sets up."""
        sql = SQL_FILE.read_text()
        definitions = pulumi.Output.all(
            host=args.db_address, master=args.master_secret_arn, app=self.secret.arn, log_group=self.log_group.name,
        ).apply(lambda v: json.dumps([users_container(
            image=args.image, sql=sql, db_host=v["host"], port=args.port, db_name=args.db_name,
            master_username=args.master_username, master_secret_arn=v["master"], app_secret_arn=v["app"],
            stage=stage, owner=args.owner, login_users=args.login_users, log_group=v["log_group"],
            region=args.region, stream_prefix=role,
        )]))
        return aws.ecs.TaskDefinition(
            f"{name}-{role}",
            family=family,
            cpu=str(TASK_CPU),
            memory=str(TASK_MEMORY),
            network_mode="awsvpc",
            requires_compatibilities=["FARGATE"],
            runtime_platform={"operating_system_family": "LINUX", "cpu_architecture": "X86_64"},
            execution_role_arn=self.execution_role.arn,
            container_definitions=definitions,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _function_statements(self, args: DbAppUserArgs, log_group_arn: pulumi.Input[str]) -> list[dict]:
        """Least privilege for the handler: this secret (and the proxy's), these two families, this cluster."""
        ecs = f"arn:aws:ecs:{args.region}:{args.account_id}"
        on_cluster = {"ArnEquals": {"ecs:cluster": args.cluster_arn}}
        # `arn:aws:ecs:<region>:<account>:cluster/<name>` -> the cluster's tasks and services.
        in_cluster = lambda kind: pulumi.Output.from_input(args.cluster_arn).apply(  # noqa: E731
            lambda arn: arn.replace(":cluster/", f":{kind}/", 1) + "/*")
        via_secrets = {"StringEquals": {"kms:ViaService": f"secretsmanager.{args.region}.amazonaws.com"}}
        statements = [
            {"Effect": "Allow", "Action": ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue",
                                           "secretsmanager:PutSecretValue", "secretsmanager:UpdateSecretVersionStage"],
             "Resource": [self.secret.arn]},
            # GetRandomPassword has no resource (Service Authorization Reference, AWS Secrets Manager).
            {"Effect": "Allow", "Action": ["secretsmanager:GetRandomPassword"], "Resource": ["*"]},
            {"Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": [args.kms_key_arn],
             "Condition": via_secrets},
            {"Effect": "Allow", "Action": ["ecs:RunTask"],
             "Resource": [f"{ecs}:task-definition/{args.names.bootstrap_family}:*",
                          f"{ecs}:task-definition/{args.names.rotate_family}:*"], "Condition": on_cluster},
            # ListTasks and ListServices have no resource of their own: `*`, narrowed to the cluster.
            {"Effect": "Allow", "Action": ["ecs:ListTasks", "ecs:ListServices"], "Resource": ["*"],
             "Condition": on_cluster},
            {"Effect": "Allow", "Action": ["ecs:DescribeTasks", "ecs:StopTask"],
             "Resource": [in_cluster("task")], "Condition": on_cluster},
            {"Effect": "Allow", "Action": ["ecs:UpdateService"], "Resource": [in_cluster("service")],
             "Condition": on_cluster},
            {"Effect": "Allow", "Action": ["iam:PassRole"], "Resource": [self.execution_role.arn],
             "Condition": {"StringEquals": {"iam:PassedToService": ECS_TASKS}}},
            {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
             "Resource": [pulumi.Output.concat(log_group_arn, ":log-stream:*")]},
        ]
        if self.proxy_secrets:
            statements.insert(1, {"Effect": "Allow",
                                  "Action": ["secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue"],
                                  "Resource": [secret.arn for secret in self.proxy_secrets.values()]})
        return statements

    def _environment(self, args: DbAppUserArgs) -> pulumi.Output[dict]:
        """The variables handler.py reads."""
        return pulumi.Output.all(
            secret=self.secret.arn, cluster=args.cluster_arn, host=args.url_host,
            subnets=pulumi.Output.all(*args.subnet_ids), groups=pulumi.Output.all(*args.security_group_ids),
            reads=pulumi.Output.all(*args.read_hosts),
            proxy=pulumi.Output.all(**{user: s.arn for user, s in self.proxy_secrets.items()})
            if self.proxy_secrets else pulumi.Output.from_input({}),
        ).apply(lambda v: {
            "SECRET_ARN": v["secret"],
            "CLUSTER_ARN": v["cluster"],
            "BOOTSTRAP_TASK_DEFINITION": args.names.bootstrap_family,
            "ROTATE_TASK_DEFINITION": args.names.rotate_family,
            "CONTAINER_NAME": CONTAINER,
            "SUBNET_IDS": ",".join(v["subnets"]),
            "SECURITY_GROUP_IDS": ",".join(v["groups"]),
            "LOGIN_USERS": ",".join(args.login_users),
            "DB_HOST": v["host"],
            "DB_PORT": str(args.port),
            "DB_NAME": args.db_name,
            "READ_HOSTS": ",".join(v["reads"]),
            "PROXY_USER_SECRETS": json.dumps(v["proxy"], sort_keys=True),
            "TASK_TIMEOUT_SECONDS": str(TASK_TIMEOUT_SECONDS),
        })

    def _function(self, name: str, args: DbAppUserArgs) -> aws.lambda_.Function:
        """The handler alone (boto3 comes with the runtime); no VPC: it only calls AWS APIs."""
        function_name = args.names.function
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-function-logs", name=f"/aws/lambda/{function_name}", retention_in_days=args.log_retention_days,
            kms_key_id=args.kms_key_arn, opts=pulumi.ResourceOptions(parent=self),
        )
        role, policy = service_role(f"{name}-function", service="lambda.amazonaws.com", account_id=args.account_id,
                                    statements=self._function_statements(args, log_group.arn), parent=self)
        return aws.lambda_.Function(
            f"{name}-function",
            name=function_name,
            description="app database users: Secrets Manager rotation (alternating users) and the deploy-time sync",
            runtime=RUNTIME,
            handler="handler.handler",
            code=pulumi.AssetArchive({"handler.py": pulumi.FileAsset(str(HANDLER_FILE))}),
            role=role.arn,
            timeout=FUNCTION_TIMEOUT_SECONDS,
            memory_size=MEMORY_MB,
            architectures=["arm64"],
            environment={"variables": self._environment(args)},
            logging_config={"log_format": "Text", "log_group": log_group.name},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[log_group, policy]),
        )

    def _rotation(self, name: str, args: DbAppUserArgs) -> aws.secretsmanager.SecretRotation:
        """Secrets Manager may invoke the function for this secret only; rotation every `rotation_days`."""
        permission = aws.lambda_.Permission(
            f"{name}-rotation",
            action="lambda:InvokeFunction",
            function=self.function.name,
            principal="secretsmanager.amazonaws.com",
            source_arn=self.secret.arn,
            source_account=args.account_id,
            opts=pulumi.ResourceOptions(parent=self),
        )
        return aws.secretsmanager.SecretRotation(
            f"{name}-rotation",
            secret_id=self.secret.id,
            rotation_lambda_arn=self.function.arn,
            rotation_rules={"automatically_after_days": args.rotation_days},
            # Not at creation: the first sync sets the first user up; rotation starts on the schedule.
            rotate_immediately=False,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[permission, self.sync]),
        )

    def _sync(self, name: str, args: DbAppUserArgs) -> aws.lambda_.Invocation:
        """Run the sync on the first deploy and whenever the tasks, the SQL or the endpoints change."""
        digest = lambda path: hashlib.sha256(path.read_bytes()).hexdigest()  # noqa: E731
        return aws.lambda_.Invocation(
            f"{name}-sync",
            function_name=self.function.name,
            input=json.dumps({"action": "sync"}),
            triggers={
                "sql": digest(SQL_FILE),
                "handler": digest(HANDLER_FILE),
                "bootstrap": self.bootstrap.arn,
                "rotate": self.rotate.arn,
                "urlHost": args.url_host,
                "readHosts": pulumi.Output.all(*args.read_hosts).apply(lambda hosts: ",".join(hosts)),
                "proxyUsers": ",".join(sorted(self.proxy_secrets)),
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.ready)),
        )
