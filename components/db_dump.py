"""The scheduled logical backup: a Fargate task that runs pg_dump and uploads the file to S3."""

import json
from dataclasses import dataclass
from datetime import datetime

import pulumi
import pulumi_aws as aws

from settings.backups import postgres_image

from .iam import service_role
from .task_schedule import TaskSchedule, schedule_task

PREFIX = "pg_dump/"
TIMESTAMP_FORMAT = "%Y%m%dT%H%M%SZ"
VOLUME = "dump"
UPLOAD_DIR = "/dump"
POSTGRES_UID = "70:70"  # the `postgres` user of the alpine postgres image


def dump_object_key(db_name: str, when: datetime, prefix: str = PREFIX) -> str:
    """`pg_dump/<db>-<UTC timestamp>.dump`: sorts by time, one object per run."""
    return f"{prefix}{db_name}-{when.strftime(TIMESTAMP_FORMAT)}.dump"


def upload_script(dump_file: str) -> str:
    """Shell for the upload container; BUCKET, PREFIX, DB_NAME, KMS_KEY_ID come from its environment."""
    return (
        "set -eu; "
        f'key="${{PREFIX}}${{DB_NAME}}-$(date -u +{TIMESTAMP_FORMAT}).dump"; '
        f'test -s "{UPLOAD_DIR}/{dump_file}"; '
        f'aws s3 cp "{UPLOAD_DIR}/{dump_file}" "s3://${{BUCKET}}/${{key}}" '
        '--sse aws:kms --sse-kms-key-id "${KMS_KEY_ID}" --only-show-errors; '
        'echo "uploaded s3://${BUCKET}/${key}"'
    )


def container_definitions(
    *, dump_image: str, dump_command: list[str], dump_dir: str, dump_file: str, upload_image: str,
    db_host: str, db_port: int, db_name: str, db_user: str, password_value_from: str,
    bucket: str, kms_key_arn: str, log_group: str, region: str,
) -> list[dict]:
    """Two containers sharing one task volume: `dump` writes the file, `upload` copies it after dump succeeded."""

    def logs(stream: str) -> dict:
        return {"logDriver": "awslogs", "options": {"awslogs-group": log_group, "awslogs-region": region,
                                                    "awslogs-stream-prefix": stream}}

    return [
        {
            "name": "dump",
            "image": dump_image,
            "essential": False,
            "user": POSTGRES_UID,
            "readonlyRootFilesystem": True,
            "command": dump_command,
            "environment": [
                {"name": "PGHOST", "value": db_host},
                {"name": "PGPORT", "value": str(db_port)},
                {"name": "PGDATABASE", "value": db_name},
                {"name": "PGUSER", "value": db_user},
                {"name": "PGSSLMODE", "value": "require"},
            ],
            "secrets": [{"name": "PGPASSWORD", "valueFrom": password_value_from}],
            "mountPoints": [{"sourceVolume": VOLUME, "containerPath": dump_dir, "readOnly": False}],
            "logConfiguration": logs("dump"),
        },
        {
            "name": "upload",
            "image": upload_image,
            "essential": True,
            "user": POSTGRES_UID,
            "readonlyRootFilesystem": True,
            "dependsOn": [{"containerName": "dump", "condition": "SUCCESS"}],
            "entryPoint": ["sh", "-c"],
            "command": [upload_script(dump_file)],
            "environment": [
                {"name": "BUCKET", "value": bucket},
                {"name": "PREFIX", "value": PREFIX},
                {"name": "DB_NAME", "value": db_name},
                {"name": "KMS_KEY_ID", "value": kms_key_arn},
                {"name": "HOME", "value": UPLOAD_DIR},
                {"name": "AWS_REGION", "value": region},
            ],
            "mountPoints": [{"sourceVolume": VOLUME, "containerPath": UPLOAD_DIR, "readOnly": True}],
            "logConfiguration": logs("upload"),
        },
    ]


@dataclass(frozen=True, kw_only=True)
class DbDumpArgs:
    """The database to dump, the bucket to write to, where and when the task runs."""

    family: str
    schedule: str
    dump_image: str | None  # None: postgres:<major_version>-alpine (pg_dump must be at least the server's major)
    dump_command: list[str]
    dump_dir: str
    dump_file: str
    upload_image: str
    cpu: int
    memory: int
    log_retention_days: int
    db_host: pulumi.Input[str]
    db_port: int
    db_name: str
    db_user: str
    db_secret_arn: pulumi.Input[str]
    db_kms_key_arn: pulumi.Input[str]
    bucket_name: pulumi.Input[str]
    bucket_arn: pulumi.Input[str]
    bucket_kms_key_arn: pulumi.Input[str]
    cluster_arn: pulumi.Input[str]
    subnet_ids: list[pulumi.Input[str]]
    security_group_ids: list[pulumi.Input[str]]
    region: str
    account_id: str
    major_version: int = 16
    log_group_name: str | None = None  # default /nodeapi/<family>

    @property
    def image(self) -> str:
        """The dump container's image."""
        return self.dump_image or postgres_image(self.major_version)


class DbDump(pulumi.ComponentResource):
    """Task definition, least-privilege roles, log group and the EventBridge Scheduler schedule."""

    def __init__(self, name: str, args: DbDumpArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nodeapi:backups:DbDump", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs", name=args.log_group_name or f"/nodeapi/{args.family}",
            retention_in_days=args.log_retention_days,
            kms_key_id=args.db_kms_key_arn, opts=child,
        )
        self.execution_role, _ = service_role(
            f"{name}-execution", service="ecs-tasks.amazonaws.com", account_id=args.account_id, parent=self, statements=[
            {"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"], "Resource": [args.db_secret_arn]},
            {"Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": [args.db_kms_key_arn],
             "Condition": {"StringEquals": {"kms:ViaService": f"secretsmanager.{args.region}.amazonaws.com"}}},
            {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
             "Resource": [pulumi.Output.concat(self.log_group.arn, ":log-stream:*")]},
        ])
        self.task_role, _ = service_role(
            f"{name}-task", service="ecs-tasks.amazonaws.com", account_id=args.account_id, parent=self, statements=[
            {"Effect": "Allow", "Action": ["s3:PutObject"],
             "Resource": [pulumi.Output.concat(args.bucket_arn, "/", PREFIX, "*")]},
            {"Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": [args.bucket_kms_key_arn],
             "Condition": {"StringEquals": {"kms:ViaService": f"s3.{args.region}.amazonaws.com"}}},
        ])
        definitions = pulumi.Output.all(
            db_host=args.db_host, secret=args.db_secret_arn, bucket=args.bucket_name,
            kms=args.bucket_kms_key_arn, log_group=self.log_group.name,
        ).apply(lambda v: json.dumps(container_definitions(
            dump_image=args.image, dump_command=args.dump_command, dump_dir=args.dump_dir,
            dump_file=args.dump_file, upload_image=args.upload_image, db_host=v["db_host"], db_port=args.db_port,
            db_name=args.db_name, db_user=args.db_user, password_value_from=f"{v['secret']}:password::",
            bucket=v["bucket"], kms_key_arn=v["kms"], log_group=v["log_group"], region=args.region,
        )))
        self.task_definition = aws.ecs.TaskDefinition(
            f"{name}-task",
            family=args.family,
            cpu=str(args.cpu),
            memory=str(args.memory),
            network_mode="awsvpc",
            requires_compatibilities=["FARGATE"],
            runtime_platform={"operating_system_family": "LINUX", "cpu_architecture": "X86_64"},
            execution_role_arn=self.execution_role.arn,
            task_role_arn=self.task_role.arn,
            volumes=[{"name": VOLUME}],
            container_definitions=definitions,
            opts=child,
        )
        self.schedule = schedule_task(f"{name}-schedule", f"{name}-scheduler", TaskSchedule(
            schedule_name=args.family, expression=args.schedule, description="scheduled pg_dump to the backup bucket",
            cluster_arn=args.cluster_arn, family=args.family, task_definition_arn=self.task_definition.arn,
            execution_role_arn=self.execution_role.arn, task_role_arn=self.task_role.arn,
            subnet_ids=args.subnet_ids, security_group_ids=args.security_group_ids,
            region=args.region, account_id=args.account_id,
        ), parent=self)
        self.task_definition_arn = self.task_definition.arn
        self.register_outputs({"task_definition_arn": self.task_definition_arn, "schedule_name": self.schedule.name})
