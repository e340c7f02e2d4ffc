"""The nightly pg_dump task: containers, least-privilege roles, schedule, object key format."""

import subprocess
from datetime import datetime, timezone

import pytest

from components.db_dump import TIMESTAMP_FORMAT, dump_object_key, upload_script
from tests.data_helpers import key_arn, state_of, tasks_sg_id
from tests.data_tier_graph import use_data_tier_graphs
from tests.helpers import assert_inputs, children, one, parsed, resources

use_data_tier_graphs(globals())  # prod, staging, stack_graph: the DataTier of each real stack


TASK = "aws:ecs/taskDefinition:TaskDefinition"


def containers(graph: dict) -> dict[str, dict]:
    return {c["name"]: c for c in parsed(one(graph, TASK, "db-dump-task")["inputs"]["containerDefinitions"])}


def policy(graph: dict, name: str) -> list[dict]:
    return parsed(one(graph, "aws:iam/rolePolicy:RolePolicy", name)["inputs"]["policy"])["Statement"]


def db_secret(graph: dict) -> str:
    return state_of(graph, "aws:rds/instance:Instance", "database")["masterUserSecrets"][0]["secretArn"]


def test_task_definition(stack_graph):
    stack = stack_graph["stack"]
    assert_inputs(one(stack_graph, TASK, "db-dump-task"), {
        "family": f"nodeapi-{stack}-db-dump", "cpu": "512", "memory": "1024", "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"], "volumes": [{"name": "dump"}],
        "executionRoleArn": state_of(stack_graph, "aws:iam/role:Role", "db-dump-execution")["arn"],
        "taskRoleArn": state_of(stack_graph, "aws:iam/role:Role", "db-dump-task")["arn"],
    })


def test_dump_container(stack_graph):
    dump = containers(stack_graph)["dump"]
    address = state_of(stack_graph, "aws:rds/instance:Instance", "database")["address"]
    assert dump["image"] == "public.ecr.aws/docker/library/postgres:16-alpine"
    assert dump["command"] == ["pg_dump", "--format=custom", "--compress=6", "--no-owner", "--no-privileges",
                               "--file=/var/lib/postgresql/data/db.dump"]
    assert (dump["essential"], dump["user"], dump["readonlyRootFilesystem"]) == (False, "70:70", True)
    assert dump["environment"] == [
        {"name": "PGHOST", "value": address}, {"name": "PGPORT", "value": "5432"},
        {"name": "PGDATABASE", "value": "app"}, {"name": "PGUSER", "value": "nodeapi"},
        {"name": "PGSSLMODE", "value": "require"}]
    assert dump["secrets"] == [{"name": "PGPASSWORD", "valueFrom": f"{db_secret(stack_graph)}:password::"}]
    assert dump["mountPoints"] == [{"sourceVolume": "dump", "containerPath": "/var/lib/postgresql/data",
                                    "readOnly": False}]
    assert dump["logConfiguration"]["options"]["awslogs-group"] == f"/nodeapi/nodeapi-{stack_graph['stack']}-db-dump"


def test_upload_container_runs_after_a_successful_dump(stack_graph):
    upload = containers(stack_graph)["upload"]
    stack = stack_graph["stack"]
    assert upload["image"] == "public.ecr.aws/aws-cli/aws-cli:2"
    assert upload["dependsOn"] == [{"containerName": "dump", "condition": "SUCCESS"}]
    assert (upload["essential"], upload["user"], upload["readonlyRootFilesystem"]) == (True, "70:70", True)
    assert upload["entryPoint"] == ["sh", "-c"] and upload["command"] == [upload_script("db.dump")]
    assert {e["name"]: e["value"] for e in upload["environment"]} == {
        "BUCKET": f"nodeapi-{stack}-backups-123456789012-us-east-1", "PREFIX": "pg_dump/", "DB_NAME": "app",
        "KMS_KEY_ID": key_arn(stack_graph), "HOME": "/dump", "AWS_REGION": "us-east-1"}
    assert upload["mountPoints"] == [{"sourceVolume": "dump", "containerPath": "/dump", "readOnly": True}]
    assert "secrets" not in upload


def test_upload_script_writes_a_timestamped_sse_kms_object(tmp_path):
    (tmp_path / "db.dump").write_bytes(b"PGDMP")
    fake_aws = tmp_path / "aws"
    fake_aws.write_text('#!/bin/sh\necho "$@" > "$CALLS"\n')
    fake_aws.chmod(0o755)
    script = upload_script("db.dump").replace("/dump/", f"{tmp_path}/")
    env = {"PATH": f"{tmp_path}:/usr/bin:/bin", "CALLS": str(tmp_path / "calls"), "BUCKET": "b", "PREFIX": "pg_dump/",
           "DB_NAME": "app", "KMS_KEY_ID": "arn:key"}
    out = subprocess.run(["sh", "-c", script], env=env, capture_output=True, text=True, check=True).stdout
    args = (tmp_path / "calls").read_text().split()
    assert args[:3] == ["s3", "cp", f"{tmp_path}/db.dump"]
    key = args[3].removeprefix("s3://b/")
    assert key.startswith("pg_dump/app-") and key.endswith(".dump")
    datetime.strptime(key.removeprefix("pg_dump/app-").removesuffix(".dump"), TIMESTAMP_FORMAT)
    assert args[4:] == ["--sse", "aws:kms", "--sse-kms-key-id", "arn:key", "--only-show-errors"]
    assert out.strip() == f"uploaded s3://b/{key}"


def test_upload_script_fails_without_a_dump(tmp_path):
    script = upload_script("db.dump").replace("/dump/", f"{tmp_path}/")
    env = {"PATH": "/usr/bin:/bin", "BUCKET": "b", "PREFIX": "p/", "DB_NAME": "app", "KMS_KEY_ID": "k"}
    assert subprocess.run(["sh", "-c", script], env=env, capture_output=True).returncode != 0


@pytest.mark.parametrize(
    "db, when, key",
    [
        ("app", datetime(2026, 11, 22, 2, 0, 5, tzinfo=timezone.utc), "pg_dump/app-20261122T020005Z.dump"),
        ("orders", datetime(2027, 1, 2, 23, 59, 59, tzinfo=timezone.utc), "pg_dump/orders-20270102T235959Z.dump"),
    ],
)
def test_dump_object_key(db, when, key):
    assert dump_object_key(db, when) == key


def test_execution_role_reads_only_the_database_secret(stack_graph):
    log_group = state_of(stack_graph, "aws:cloudwatch/logGroup:LogGroup", "db-dump-logs")["arn"]
    assert policy(stack_graph, "db-dump-execution") == [
        {"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"], "Resource": [db_secret(stack_graph)]},
        {"Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": [key_arn(stack_graph)],
         "Condition": {"StringEquals": {"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}}},
        {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": [f"{log_group}:log-stream:*"]},
    ]


def test_task_role_may_only_put_dumps_under_the_prefix(stack_graph):
    bucket = f"arn:aws:s3:::nodeapi-{stack_graph['stack']}-backups-123456789012-us-east-1"
    assert policy(stack_graph, "db-dump-task") == [
        {"Effect": "Allow", "Action": ["s3:PutObject"], "Resource": [f"{bucket}/pg_dump/*"]},
        {"Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": [key_arn(stack_graph)],
         "Condition": {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}},
    ]


def test_scheduler_role_runs_only_this_task_and_passes_only_its_roles(stack_graph):
    stack = stack_graph["stack"]
    cluster = state_of(stack_graph, "aws:ecs/cluster:Cluster", "cluster")["arn"]
    roles = [state_of(stack_graph, "aws:iam/role:Role", f"db-dump-{r}")["arn"] for r in ("execution", "task")]
    assert policy(stack_graph, "db-dump-scheduler") == [
        {"Effect": "Allow", "Action": ["ecs:RunTask"],
         "Resource": [f"arn:aws:ecs:us-east-1:123456789012:task-definition/nodeapi-{stack}-db-dump:*"],
         "Condition": {"ArnEquals": {"ecs:cluster": cluster}}},
        {"Effect": "Allow", "Action": ["iam:PassRole"], "Resource": roles,
         "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}},
    ]
    trust = parsed(one(stack_graph, "aws:iam/role:Role", "db-dump-scheduler")["inputs"]["assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"] == {"Service": "scheduler.amazonaws.com"}


def test_schedule_runs_the_task_privately_every_night(stack_graph):
    stack = stack_graph["stack"]
    private = [state_of(stack_graph, "aws:ec2/subnet:Subnet", r["name"])["id"]
               for r in resources(stack_graph, "aws:ec2/subnet:Subnet") if "-private-" in r["name"]]
    assert_inputs(one(stack_graph, "aws:scheduler/schedule:Schedule", "db-dump-schedule"), {
        # staging dumps inside its office hours (schedule.officeHours: the database is stopped at night)
        "scheduleExpression": "cron(0 2 * * ? *)" if stack == "prod" else "cron(0 13 ? * MON-FRI *)",
        "scheduleExpressionTimezone": "UTC",
        "flexibleTimeWindow": {"mode": "OFF"},
        "target": {
            "arn": state_of(stack_graph, "aws:ecs/cluster:Cluster", "cluster")["arn"],
            "roleArn": state_of(stack_graph, "aws:iam/role:Role", "db-dump-scheduler")["arn"],
            "ecsParameters": {
                "taskDefinitionArn": state_of(stack_graph, TASK, "db-dump-task")["arn"],
                "launchType": "FARGATE",
                "networkConfiguration": {"subnets": private, "securityGroups": [tasks_sg_id(stack_graph)],
                                         "assignPublicIp": False},
            },
        },
    })


def test_log_group_and_children(stack_graph):
    assert_inputs(one(stack_graph, "aws:cloudwatch/logGroup:LogGroup", "db-dump-logs"),
                  {"retentionInDays": 30, "kmsKeyId": key_arn(stack_graph)})
    component = one(stack_graph, "nodeapi:backups:DbDump", "db-dump")
    assert len(children(stack_graph, component["urn"])) == 9
