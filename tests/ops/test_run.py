"""`run`: one task from a service's (or job's) task definition, logs streamed, the container's exit code."""

import json
import time

import pytest

from ops import tasks
from ops.aws import Aws
from tests.ops.world import LOG_PREFIX, REGION

PARTS = ("app", "logs")


def started(world) -> list[dict]:
    """The tasks `run` started in this stack's cluster, described."""
    ecs = world.client("ecs")
    arns = ecs.list_tasks(cluster=world.stack, startedBy="ops-run")["taskArns"]
    return ecs.describe_tasks(cluster=world.stack, tasks=arns)["tasks"] if arns else []


def test_run_starts_one_private_fargate_task_with_the_command_and_exits_with_its_code(world, run):
    result = run("run", "web", "--poll-seconds", "0.01", "--", "node", "scripts/fix.js", "--dry-run")
    assert result.code == 0, result.err
    [task] = started(world)
    web = world.service("web")
    assert task["taskDefinitionArn"].endswith(f":task-definition/{world.stack}-web:1")
    assert (task["launchType"], task["startedBy"], task["overrides"]["containerOverrides"]) == (
        "FARGATE", "ops-run", [{"name": "web", "command": ["node", "scripts/fix.js", "--dry-run"]}])
    eni = {d["name"]: d["value"] for d in task["attachments"][0]["details"]}
    interface = world.client("ec2").describe_network_interfaces(
        NetworkInterfaceIds=[eni["networkInterfaceId"]])["NetworkInterfaces"][0]
    assert (interface["SubnetId"], [g["GroupId"] for g in interface["Groups"]]) == (
        web["subnetIds"][0], web["securityGroupIds"])
    assert "Association" not in interface  # no public IP
    task_id = task["taskArn"].rsplit("/", 1)[-1]
    lines = result.err.splitlines()
    assert lines[0] == f"started task {task['taskArn']} (service web, {world.stack}-web:1); Ctrl-C leaves it running"
    assert lines[-2].endswith(f"task {task_id} STOPPED") and lines[-1] == f"task {task_id} exited with code 0"
    assert result.out == ""


def test_the_task_log_lines_are_streamed(world, aws_env, capsys):
    now = int(time.time() * 1000)

    def sleep(_):  # while the task runs, it writes to its own stream; another task writes elsewhere
        [task] = started(world)
        stream = f"{LOG_PREFIX}/web/{task['taskArn'].rsplit('/', 1)[-1]}"
        logs = world.client("logs")
        if not logs.describe_log_streams(logGroupName=f"/{world.stack}/web")["logStreams"]:
            for name in (stream, f"{LOG_PREFIX}/web/other-task"):
                logs.create_log_stream(logGroupName=f"/{world.stack}/web", logStreamName=name)
            logs.put_log_events(logGroupName=f"/{world.stack}/web", logStreamName=f"{LOG_PREFIX}/web/other-task",
                                logEvents=[{"timestamp": now, "message": "not mine"}])
            logs.put_log_events(logGroupName=f"/{world.stack}/web", logStreamName=stream, logEvents=[
                {"timestamp": now, "message": '{"level":30,"msg":"fixed 3 rows"}'}])

    tasks.run(Aws(REGION), world.outputs, "web", ["node", "fix.js"], True, 0.01, sleep=sleep)
    assert [line.split(" ", 2)[2] for line in capsys.readouterr().out.splitlines()] == ["INFO fixed 3 rows"]


def test_no_wait_prints_the_task_arn(world, run):
    result = run("run", "web", "--no-wait", "--", "true")
    [task] = started(world)
    assert (result.code, result.out, result.err) == (0, f"{task['taskArn']}\n", "")


def test_a_job_runs_with_its_own_command_when_none_is_given(world, run):
    result = run("run", "analytics", "--poll-seconds", "0.01")
    [task] = started(world)
    assert (result.code, task["overrides"].get("containerOverrides", [])) == (0, [])
    assert task["taskDefinitionArn"].endswith(f":task-definition/{world.stack}-analytics:1")
    assert result.err.splitlines()[0].endswith(f"(job analytics, {world.stack}-analytics:1); Ctrl-C leaves it running")


def stopped_with(monkeypatch, **container):
    """moto always reports exit code 0: make the stopped task's container report something else."""
    real = tasks.describe_task

    def describe(ecs, cluster, arn):
        task = real(ecs, cluster, arn)
        if task["lastStatus"] == "STOPPED":
            task["containers"] = [{**task["containers"][0], **container}]
            task["stoppedReason"] = "Essential container in task exited"
        return task

    monkeypatch.setattr(tasks, "describe_task", describe)


def test_the_container_exit_code_is_the_command_exit_code(world, run, monkeypatch):
    stopped_with(monkeypatch, exitCode=3)
    result = run("run", "web", "--poll-seconds", "0.01", "--", "false")
    assert (result.code, result.err.splitlines()[-1]) == (3, f"task {started(world)[0]['taskArn'].rsplit('/', 1)[-1]} "
                                                             "exited with code 3")


def test_a_container_that_never_ran_fails_with_the_reason(world, run, monkeypatch):
    stopped_with(monkeypatch, exitCode=None, reason="CannotPullContainerError: pull access denied")
    result = run("run", "web", "--poll-seconds", "0.01", "--", "true")
    arn = started(world)[0]["taskArn"]
    assert (result.code, result.err.splitlines()[-1]) == (3, (
        f"ops run: task {arn} stopped without running its container web (Essential container in task exited; "
        "CannotPullContainerError: pull access denied)"))
    assert "keeps running" not in result.err


@pytest.mark.parametrize("args, message", [
    (("web",), "service web needs a command: python -m ops run NAME -- COMMAND... (a copy of the service's own "
               "command would just serve traffic nowhere)"),
    (("nope", "--", "true"), "no service or job named 'nope'; services: web, worker; jobs: analytics"),
])
def test_usage_errors(world, run, args, message):
    assert (run("run", *args).code, run("run", *args).err) == (2, f"ops run: {message}\n")
    assert started(world) == []


def test_ecs_refusing_to_place_the_task_is_one_line(world, run, stub):
    ecs = stub("ecs")
    ecs.add_response("describe_services", {"services": [{"serviceName": f"{world.stack}-web",
                                                         "taskDefinition": "arn:td/web:7", "status": "ACTIVE"}]})
    ecs.add_response("describe_task_definition", {"taskDefinition": {
        "taskDefinitionArn": "arn:td/web:7", "containerDefinitions": [{"name": "web", "logConfiguration": {
            "logDriver": "awslogs", "options": {"awslogs-group": "/app/web", "awslogs-stream-prefix": "ecs"}}}]}},
        {"taskDefinition": "arn:td/web:7"})
    ecs.add_response("run_task", {"tasks": [], "failures": [{"arn": "arn:td/web:7", "reason": "RESOURCE:ENI"}]})
    result = run("run", "web", "--", "true")
    assert (result.code, result.err) == (3, "ops run: ECS did not start the task (arn:td/web:7: RESOURCE:ENI)\n")


def test_run_parameters():
    outputs = {"clusterName": "c"}
    entry = {"subnetIds": ["s-1"], "securityGroupIds": ["sg-1"], "containerName": "web"}
    assert tasks.run_args(outputs, entry, "arn:td/web:7", ["rake", "db:seed"]) == {
        "cluster": "c", "taskDefinition": "arn:td/web:7", "count": 1, "launchType": "FARGATE", "startedBy": "ops-run",
        "propagateTags": "TASK_DEFINITION",
        "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["s-1"], "securityGroups": ["sg-1"],
                                                         "assignPublicIp": "DISABLED"}},
        "overrides": {"containerOverrides": [{"name": "web", "command": ["rake", "db:seed"]}]}}
    assert "overrides" not in tasks.run_args(outputs, entry, "f", [])
    json.dumps(tasks.run_args(outputs, entry, "f", []))
