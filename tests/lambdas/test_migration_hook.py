"""The migration lifecycle hook: its pure decisions, and its ECS calls through botocore's Stubber."""

import json
import re
from datetime import datetime, timedelta, timezone

import boto3
import pytest
from botocore.stub import Stubber

from lambdas.migration_hook import handler as hook

CLUSTER_ARN = "arn:aws:ecs:eu-west-1:123456789012:cluster/app-staging"
SERVICE_ARN = "arn:aws:ecs:eu-west-1:123456789012:service/app-staging/web"
REVISION_ARN = "arn:aws:ecs:eu-west-1:123456789012:service-revision/app-staging/web/4811529472346839101"
OLD_REVISION_ARN = "arn:aws:ecs:eu-west-1:123456789012:service-revision/app-staging/web/1207563480911203345"
DEPLOYMENT_ARN = "arn:aws:ecs:eu-west-1:123456789012:service-deployment/app-staging/web/Mx3TqQk8nP2rWzL5"
TASK_DEFINITION = "arn:aws:ecs:eu-west-1:123456789012:task-definition/app-staging-web:42"
TASK_ARN = "arn:aws:ecs:eu-west-1:123456789012:task/app-staging/0f3c9d2b7a6e4f1d8c5b3a2e1d0f9c8b"
EXECUTION_ID = "c8e5a0d2-6b1f-4a57-9d3e-2f7b1c4e8a90"
STARTED_BY = "migrate-18fa2a9993f67005873323b1ee30"  # "migrate-" + sha256(EXECUTION_ID)[:28]
SUBNETS = ["subnet-0a1b2c3d4e5f60718", "subnet-0f1e2d3c4b5a69788"]
GROUPS = ["sg-0123456789abcdef0"]
SETTINGS = ("HOOK_STAGE", "CONTAINER_NAME", "MIGRATION_COMMAND", "SUBNET_IDS", "SECURITY_GROUP_IDS",
            "CALLBACK_DELAY_SECONDS", "MIGRATION_TIMEOUT_SECONDS", "BOOTSTRAP_TASK_DEFINITION",
            "BOOTSTRAP_CONTAINER_NAME", "BOOTSTRAP_SUBNET_IDS", "BOOTSTRAP_SECURITY_GROUP_IDS")
OTHER_STAGES = [stage for stage in hook.STAGES if stage != "PRE_SCALE_UP"]


def hook_event(stage: str = "PRE_SCALE_UP") -> dict:
    """A lifecycle hook payload as ECS sends it."""
    return {
        "executionId": EXECUTION_ID,
        "lifecycleStage": stage,
        "resourceArn": DEPLOYMENT_ARN,
        "executionDetails": {
            "serviceArn": SERVICE_ARN,
            "targetServiceRevisionArn": REVISION_ARN,
            "testTrafficWeights": {},
            "productionTrafficWeights": {OLD_REVISION_ARN: 100},
        },
    }


def revision(network: bool = True) -> dict:
    """The target service revision, with or without its awsvpc configuration."""
    found = {"serviceRevisionArn": REVISION_ARN, "serviceArn": SERVICE_ARN, "clusterArn": CLUSTER_ARN,
             "taskDefinition": TASK_DEFINITION, "launchType": "FARGATE"}
    if network:
        found["networkConfiguration"] = {"awsvpcConfiguration": {
            "subnets": SUBNETS, "securityGroups": GROUPS, "assignPublicIp": "DISABLED"}}
    return found


def task(status: str, age: int = 60, exit_code: int | None = None, **extra) -> dict:
    """A DescribeTasks task of the migration, created `age` seconds ago."""
    container = {"name": "web", "lastStatus": status}
    if exit_code is not None:
        container["exitCode"] = exit_code
    return {"taskArn": TASK_ARN, "clusterArn": CLUSTER_ARN, "lastStatus": status, "startedBy": STARTED_BY,
            "createdAt": datetime.now(timezone.utc) - timedelta(seconds=age), "containers": [container], **extra}


def expected_run_task(subnets=SUBNETS, groups=GROUPS, container="web",
                      command=("npx", "prisma", "migrate", "deploy")) -> dict:
    """The exact RunTask parameters of the migration task."""
    return {
        "cluster": CLUSTER_ARN,
        "taskDefinition": TASK_DEFINITION,
        "launchType": "FARGATE",
        "count": 1,
        "startedBy": STARTED_BY,
        "clientToken": STARTED_BY,
        "networkConfiguration": {"awsvpcConfiguration": {
            "subnets": list(subnets), "securityGroups": list(groups), "assignPublicIp": "DISABLED"}},
        "overrides": {"containerOverrides": [{"name": container, "command": list(command)}]},
    }


@pytest.fixture
def env(monkeypatch):
    """A clean set of the hook's settings (defaults apply until a test sets one)."""
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.fixture
def ecs(env, monkeypatch):
    """A stubbed ECS client in the handler; every queued call must be made, and no other."""
    client = boto3.client("ecs", region_name="eu-west-1", aws_access_key_id="testing",
                          aws_secret_access_key="testing")
    monkeypatch.setattr(hook, "_ecs", client)
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def expect_revision(ecs, found: dict | None = None) -> None:
    """DescribeServiceRevisions of the target revision."""
    ecs.add_response("describe_service_revisions", {"serviceRevisions": [found or revision()], "failures": []},
                     {"serviceRevisionArns": [REVISION_ARN]})


def expect_lookup(ecs, running: list[str], stopped: list[str] | None = None) -> None:
    """ListTasks by startedBy: RUNNING first, then STOPPED when nothing runs."""
    ecs.add_response("list_tasks", {"taskArns": running},
                     {"cluster": CLUSTER_ARN, "startedBy": STARTED_BY, "desiredStatus": "RUNNING"})
    if stopped is not None:
        ecs.add_response("list_tasks", {"taskArns": stopped},
                         {"cluster": CLUSTER_ARN, "startedBy": STARTED_BY, "desiredStatus": "STOPPED"})


def expect_task(ecs, described: dict) -> None:
    """DescribeTasks of the migration task."""
    ecs.add_response("describe_tasks", {"tasks": [described], "failures": []},
                     {"cluster": CLUSTER_ARN, "tasks": [TASK_ARN]})


def log_lines(capsys) -> list[dict]:
    """The JSON log lines printed so far."""
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


# --- the handler against stubbed ECS -------------------------------------------------------------------


def test_first_invocation_starts_exactly_one_migration_task(ecs, capsys):
    expect_revision(ecs)
    expect_lookup(ecs, running=[], stopped=[])
    ecs.add_response("run_task", {"tasks": [{"taskArn": TASK_ARN, "lastStatus": "PROVISIONING"}], "failures": []},
                     expected_run_task())

    assert hook.handler(hook_event(), None) == {"hookStatus": "IN_PROGRESS", "callBackDelay": 30}
    [line] = log_lines(capsys)
    assert line["decision"] == "migration_started"
    assert (line["taskArn"], line["startedBy"], line["executionId"]) == (TASK_ARN, STARTED_BY, EXECUTION_ID)


def test_first_invocation_uses_the_settings(ecs, env):
    env.setenv("CONTAINER_NAME", "api")
    env.setenv("MIGRATION_COMMAND", '["node", "dist/migrate.js", "--to", "latest"]')
    env.setenv("CALLBACK_DELAY_SECONDS", "15")
    expect_revision(ecs)
    expect_lookup(ecs, running=[], stopped=[])
    ecs.add_response("run_task", {"tasks": [{"taskArn": TASK_ARN}], "failures": []},
                     expected_run_task(container="api", command=("node", "dist/migrate.js", "--to", "latest")))

    assert hook.handler(hook_event(), None) == {"hookStatus": "IN_PROGRESS", "callBackDelay": 15}


def test_network_falls_back_to_the_settings_when_the_revision_has_none(ecs, env):
    env.setenv("SUBNET_IDS", "subnet-0aaa1111bbbb22223, subnet-0ccc3333dddd44445")
    env.setenv("SECURITY_GROUP_IDS", "sg-0eee5555ffff66667")
    expect_revision(ecs, revision(network=False))
    expect_lookup(ecs, running=[], stopped=[])
    ecs.add_response("run_task", {"tasks": [{"taskArn": TASK_ARN}], "failures": []}, expected_run_task(
        subnets=["subnet-0aaa1111bbbb22223", "subnet-0ccc3333dddd44445"], groups=["sg-0eee5555ffff66667"]))

    assert hook.handler(hook_event(), None)["hookStatus"] == "IN_PROGRESS"


def test_no_subnets_anywhere_fails_without_running_a_task(ecs, capsys):
    expect_revision(ecs, revision(network=False))
    expect_lookup(ecs, running=[], stopped=[])

    assert hook.handler(hook_event(), None) == {"hookStatus": "FAILED"}
    [line] = log_lines(capsys)
    assert line["decision"] == "hook_failed" and "SUBNET_IDS" in line["reason"]


@pytest.mark.parametrize("status", ["PROVISIONING", "PENDING", "RUNNING"])
def test_reinvocation_while_the_task_runs_is_in_progress_and_starts_nothing(ecs, capsys, status):
    expect_revision(ecs)
    expect_lookup(ecs, running=[TASK_ARN])
    expect_task(ecs, task(status, age=120))

    assert hook.handler(hook_event(), None) == {"hookStatus": "IN_PROGRESS", "callBackDelay": 30}
    [line] = log_lines(capsys)
    assert (line["decision"], line["taskArn"], line["lastStatus"]) == ("migration_running", TASK_ARN, status)


def test_a_listed_task_not_yet_describable_is_requested_again_with_the_same_client_token(ecs):
    # ECS is eventually consistent; the same clientToken makes RunTask answer with the task it already started.
    expect_revision(ecs)
    expect_lookup(ecs, running=[TASK_ARN])
    ecs.add_response("describe_tasks", {"tasks": [], "failures": [{"arn": TASK_ARN, "reason": "MISSING"}]},
                     {"cluster": CLUSTER_ARN, "tasks": [TASK_ARN]})
    ecs.add_response("run_task", {"tasks": [{"taskArn": TASK_ARN}], "failures": []}, expected_run_task())

    assert hook.handler(hook_event(), None) == {"hookStatus": "IN_PROGRESS", "callBackDelay": 30}


def test_exit_code_zero_succeeds(ecs, capsys):
    expect_revision(ecs)
    expect_lookup(ecs, running=[], stopped=[TASK_ARN])
    expect_task(ecs, task("STOPPED", exit_code=0, stopCode="EssentialContainerExited",
                          stoppedReason="Essential container in task exited"))

    assert hook.handler(hook_event(), None) == {"hookStatus": "SUCCEEDED"}
    assert log_lines(capsys)[0]["decision"] == "migration_succeeded"


def test_exit_code_one_fails_and_says_why(ecs, capsys):
    expect_revision(ecs)
    expect_lookup(ecs, running=[], stopped=[TASK_ARN])
    expect_task(ecs, task("STOPPED", exit_code=1, stopCode="EssentialContainerExited",
                          stoppedReason="Essential container in task exited"))

    assert hook.handler(hook_event(), None) == {"hookStatus": "FAILED"}
    [line] = log_lines(capsys)
    assert line["decision"] == "migration_failed" and "exited with 1" in line["reason"]


def test_image_pull_failure_fails_with_the_stopped_reason(ecs, capsys):
    reason = "CannotPullContainerError: pull image manifest has been retried 5 time(s): not found"
    expect_revision(ecs)
    expect_lookup(ecs, running=[], stopped=[TASK_ARN])
    expect_task(ecs, task("STOPPED", stopCode="TaskFailedToStart", stoppedReason=reason))

    assert hook.handler(hook_event(), None) == {"hookStatus": "FAILED"}
    assert reason in log_lines(capsys)[0]["reason"]


def test_timeout_stops_the_task_and_fails(ecs, env, capsys):
    env.setenv("MIGRATION_TIMEOUT_SECONDS", "600")
    expect_revision(ecs)
    expect_lookup(ecs, running=[TASK_ARN])
    expect_task(ecs, task("RUNNING", age=601))
    ecs.add_response("stop_task", {"task": {"taskArn": TASK_ARN, "desiredStatus": "STOPPED"}},
                     {"cluster": CLUSTER_ARN, "task": TASK_ARN,
                      "reason": "Migration timed out after 600 s (deployment hook)"})

    assert hook.handler(hook_event(), None) == {"hookStatus": "FAILED"}
    assert log_lines(capsys)[0]["decision"] == "migration_timed_out"


def test_run_task_failures_fail(ecs, capsys):
    failure = {"arn": TASK_DEFINITION, "reason": "RESOURCE:ENI", "detail": "no ENI capacity in the subnets"}
    expect_revision(ecs)
    expect_lookup(ecs, running=[], stopped=[])
    ecs.add_response("run_task", {"tasks": [], "failures": [failure]}, expected_run_task())

    assert hook.handler(hook_event(), None) == {"hookStatus": "FAILED"}
    [line] = log_lines(capsys)
    assert (line["decision"], line["failures"]) == ("run_task_failed", [failure])


def test_run_task_client_error_fails(ecs, capsys):
    expect_revision(ecs)
    expect_lookup(ecs, running=[], stopped=[])
    ecs.add_client_error("run_task", "AccessDeniedException", "not authorized to perform: iam:PassRole",
                         expected_params=expected_run_task())

    assert hook.handler(hook_event(), None) == {"hookStatus": "FAILED"}
    [line] = log_lines(capsys)
    assert (line["decision"], line["operation"]) == ("aws_call_failed", "RunTask")
    assert "iam:PassRole" in line["reason"]


def test_unknown_revision_fails(ecs, capsys):
    ecs.add_response("describe_service_revisions",
                     {"serviceRevisions": [], "failures": [{"arn": REVISION_ARN, "reason": "MISSING"}]},
                     {"serviceRevisionArns": [REVISION_ARN]})

    assert hook.handler(hook_event(), None) == {"hookStatus": "FAILED"}
    assert "MISSING" in log_lines(capsys)[0]["reason"]


@pytest.mark.parametrize("stage", OTHER_STAGES)
def test_other_stages_succeed_without_aws_calls(ecs, capsys, stage):
    assert hook.handler(hook_event(stage), None) == {"hookStatus": "SUCCEEDED"}
    assert log_lines(capsys)[0]["decision"] == "stage_skipped"


def test_hook_stage_setting_moves_the_migration(ecs, env):
    env.setenv("HOOK_STAGE", "POST_SCALE_UP")
    assert hook.handler(hook_event("PRE_SCALE_UP"), None) == {"hookStatus": "SUCCEEDED"}
    expect_revision(ecs)
    expect_lookup(ecs, running=[TASK_ARN])
    expect_task(ecs, task("RUNNING"))

    assert hook.handler(hook_event("POST_SCALE_UP"), None)["hookStatus"] == "IN_PROGRESS"


@pytest.mark.parametrize("command", ['npx prisma migrate deploy', '[]', '"npx"', '["npx", 1]', ''])
def test_bad_migration_command_fails_without_aws_calls(ecs, env, capsys, command):
    env.setenv("MIGRATION_COMMAND", command)

    assert hook.handler(hook_event(), None) == {"hookStatus": "FAILED"}
    [line] = log_lines(capsys)
    assert line["decision"] == "hook_failed" and "MIGRATION_COMMAND" in line["reason"]


def test_bad_migration_command_does_not_block_other_stages(ecs, env):
    env.setenv("MIGRATION_COMMAND", "npx prisma migrate deploy")
    assert hook.handler(hook_event("PRODUCTION_TRAFFIC_SHIFT"), None) == {"hookStatus": "SUCCEEDED"}


def test_unknown_hook_stage_fails_loudly_rather_than_skipping(ecs, env, capsys):
    env.setenv("HOOK_STAGE", "PRE_SCALEUP")
    assert hook.handler(hook_event(), None) == {"hookStatus": "FAILED"}
    assert "HOOK_STAGE" in log_lines(capsys)[0]["reason"]


def test_payload_without_execution_details_fails(ecs, capsys):
    event = {"executionId": EXECUTION_ID, "lifecycleStage": "PRE_SCALE_UP", "resourceArn": DEPLOYMENT_ARN}
    assert hook.handler(event, None) == {"hookStatus": "FAILED"}
    assert "executionDetails.serviceArn" in log_lines(capsys)[0]["reason"]


# --- pure decisions ------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw, command", [
    (None, ("npx", "prisma", "migrate", "deploy")),
    ('["npx","prisma","migrate","deploy"]', ("npx", "prisma", "migrate", "deploy")),
    ('["./migrate.sh"]', ("./migrate.sh",)),
])
def test_parse_command(raw, command):
    assert hook.parse_command(raw) == command


@pytest.mark.parametrize("raw", ["", "npx prisma", "[]", "{}", '"npx"', "[null]", '["npx", ["a"]]', "[1, 2]"])
def test_parse_command_rejects(raw):
    with pytest.raises(hook.HookError, match="MIGRATION_COMMAND"):
        hook.parse_command(raw)


@pytest.mark.parametrize("raw, ids", [
    (None, ()), ("", ()), ("subnet-a", ("subnet-a",)), (" subnet-a , ,subnet-b,", ("subnet-a", "subnet-b")),
])
def test_parse_ids(raw, ids):
    assert hook.parse_ids(raw) == ids


@pytest.mark.parametrize("raw, seconds", [(None, 30), ("", 30), (" 45 ", 45), ("1", 1)])
def test_parse_seconds(raw, seconds):
    environ = {} if raw is None else {"CALLBACK_DELAY_SECONDS": raw}
    assert hook.parse_seconds(environ, "CALLBACK_DELAY_SECONDS", 30) == seconds


@pytest.mark.parametrize("raw", ["0", "-5", "thirty", "1.5"])
def test_parse_seconds_rejects(raw):
    with pytest.raises(hook.HookError, match="CALLBACK_DELAY_SECONDS"):
        hook.parse_seconds({"CALLBACK_DELAY_SECONDS": raw}, "CALLBACK_DELAY_SECONDS", 30)


def test_parse_config_defaults():
    assert hook.parse_config({}) == hook.Config(
        container_name="web", command=("npx", "prisma", "migrate", "deploy"), subnets=(), security_groups=(),
        callback_delay=30, timeout=1800)


@pytest.mark.parametrize("environ, stage", [({}, "PRE_SCALE_UP"), ({"HOOK_STAGE": "POST_SCALE_UP"}, "POST_SCALE_UP")])
def test_hook_stage(environ, stage):
    assert hook.hook_stage(environ) == stage


@pytest.mark.parametrize("execution_id", [
    EXECUTION_ID, "x", "a" * 500, "arn:aws:ecs:eu-west-1:123456789012:hook/ü+=,.@ spaces", "",
])
def test_started_by_fits_ecs_limits(execution_id):
    started_by = hook.started_by_for(execution_id)
    assert re.fullmatch(r"[A-Za-z0-9_/-]{1,36}", started_by)
    assert started_by == hook.started_by_for(execution_id)


def test_started_by_is_known_and_distinct_per_execution():
    assert hook.started_by_for(EXECUTION_ID) == STARTED_BY
    assert hook.started_by_for(EXECUTION_ID + "-2") != STARTED_BY


@pytest.mark.parametrize("found, service_arn, cluster", [
    ({"clusterArn": CLUSTER_ARN}, SERVICE_ARN, CLUSTER_ARN),
    ({}, SERVICE_ARN, "app-staging"),
])
def test_cluster_of(found, service_arn, cluster):
    assert hook.cluster_of(found, service_arn) == cluster


def test_cluster_of_an_old_style_service_arn_without_revision_cluster_fails():
    with pytest.raises(hook.HookError, match="no cluster"):
        hook.cluster_of({}, "arn:aws:ecs:eu-west-1:123456789012:service/web")


def test_network_prefers_the_revision_and_never_assigns_a_public_ip():
    config = hook.parse_config({"SUBNET_IDS": "subnet-env", "SECURITY_GROUP_IDS": "sg-env"})
    assert hook.network_configuration(revision(), config) == {"awsvpcConfiguration": {
        "subnets": SUBNETS, "securityGroups": GROUPS, "assignPublicIp": "DISABLED"}}


def test_network_requires_security_groups():
    config = hook.parse_config({"SUBNET_IDS": "subnet-env"})
    with pytest.raises(hook.HookError, match="SECURITY_GROUP_IDS"):
        hook.network_configuration(revision(network=False), config)


NOW = datetime(2025, 9, 1, 12, 0, tzinfo=timezone.utc)


def described(status: str, age: int = 60, exit_code: int | None = None, reason: str | None = None, **extra):
    """A task as DescribeTasks returns it, created `age` seconds before NOW."""
    container = {"name": "web"}
    if exit_code is not None:
        container["exitCode"] = exit_code
    if reason:
        container["reason"] = reason
    return {"lastStatus": status, "createdAt": NOW - timedelta(seconds=age), "containers": [container], **extra}


@pytest.mark.parametrize("found, verdict, reason", [
    (described("PROVISIONING", age=5), "RUNNING", "PROVISIONING for 5 s"),
    (described("PENDING", age=40), "RUNNING", "PENDING for 40 s"),
    (described("RUNNING", age=1799), "RUNNING", "RUNNING for 1799 s"),
    (described("RUNNING", age=1800), "TIMED_OUT", "still RUNNING 1800 s after creation"),
    (described("DEPROVISIONING", age=4000), "TIMED_OUT", "still DEPROVISIONING"),
    (described("STOPPED", age=4000, exit_code=0, stopCode="EssentialContainerExited"), "SUCCEEDED", "with 0"),
    (described("STOPPED", exit_code=0), "SUCCEEDED", "with 0"),
    (described("STOPPED", exit_code=1, stopCode="EssentialContainerExited"), "FAILED", "exited with 1"),
    (described("STOPPED", exit_code=137, reason="OutOfMemoryError: Container killed due to memory usage"),
     "FAILED", "OutOfMemoryError"),
    (described("STOPPED", stopCode="TaskFailedToStart", stoppedReason="ResourceInitializationError: secrets"),
     "FAILED", "no exit code): ResourceInitializationError"),
    (described("STOPPED", exit_code=0, stopCode="UserInitiated", stoppedReason="Task stopped by user"),
     "FAILED", "stopped (UserInitiated)"),
    ({"lastStatus": "STOPPED", "createdAt": NOW, "containers": [{"name": "sidecar", "exitCode": 0}]},
     "FAILED", "no container 'web'"),
])
def test_task_verdict(found, verdict, reason):
    got, why = hook.task_verdict(found, "web", NOW, 1800)
    assert got == verdict
    assert reason in why


# --- the database-users bootstrap before the migration --------------------------------------------------------

BOOTSTRAP_STARTED_BY = "bootstrap-18fa2a9993f67005873323b1ee"  # "bootstrap-" + sha256(EXECUTION_ID)[:26]
BOOTSTRAP_TASK_ARN = "arn:aws:ecs:eu-west-1:123456789012:task/app-staging/7b1d0c3e9f2a4b6c8d0e1f2a3b4c5d6e"
TASKS_SG = "sg-0aaaabbbbccccdddd"


@pytest.fixture
def bootstrapping(env):
    env.setenv("BOOTSTRAP_TASK_DEFINITION", "app-staging-db-users")
    env.setenv("BOOTSTRAP_CONTAINER_NAME", "psql")
    env.setenv("BOOTSTRAP_SUBNET_IDS", ",".join(SUBNETS))
    env.setenv("BOOTSTRAP_SECURITY_GROUP_IDS", TASKS_SG)
    return env


def expect_bootstrap_lookup(ecs, running: list[str], stopped: list[str] | None = None) -> None:
    ecs.add_response("list_tasks", {"taskArns": running},
                     {"cluster": CLUSTER_ARN, "startedBy": BOOTSTRAP_STARTED_BY, "desiredStatus": "RUNNING"})
    if stopped is not None:
        ecs.add_response("list_tasks", {"taskArns": stopped},
                         {"cluster": CLUSTER_ARN, "startedBy": BOOTSTRAP_STARTED_BY, "desiredStatus": "STOPPED"})


def bootstrap_task(status: str, exit_code: int | None = None, age: int = 30, **extra) -> dict:
    container = {"name": "psql", "lastStatus": status, **({"exitCode": exit_code} if exit_code is not None else {})}
    return {"taskArn": BOOTSTRAP_TASK_ARN, "clusterArn": CLUSTER_ARN, "lastStatus": status,
            "startedBy": BOOTSTRAP_STARTED_BY, "containers": [container],
            "createdAt": datetime.now(timezone.utc) - timedelta(seconds=age), **extra}


def test_bootstrap_started_by_is_derived_from_the_execution():
    assert hook.started_by_for(EXECUTION_ID, hook.BOOTSTRAP_PREFIX) == BOOTSTRAP_STARTED_BY
    assert len(BOOTSTRAP_STARTED_BY) == 36


def test_the_bootstrap_task_runs_first_in_its_own_network(ecs, bootstrapping, capsys):
    expect_revision(ecs)
    expect_bootstrap_lookup(ecs, running=[], stopped=[])
    ecs.add_response("run_task", {"tasks": [{"taskArn": BOOTSTRAP_TASK_ARN}], "failures": []}, {
        "cluster": CLUSTER_ARN, "taskDefinition": "app-staging-db-users", "launchType": "FARGATE", "count": 1,
        "startedBy": BOOTSTRAP_STARTED_BY, "clientToken": BOOTSTRAP_STARTED_BY,
        "networkConfiguration": {"awsvpcConfiguration": {"subnets": SUBNETS, "securityGroups": [TASKS_SG],
                                                         "assignPublicIp": "DISABLED"}}})

    assert hook.handler(hook_event(), None) == {"hookStatus": "IN_PROGRESS", "callBackDelay": 30}
    [line] = log_lines(capsys)
    assert (line["decision"], line["taskArn"]) == ("bootstrap_started", BOOTSTRAP_TASK_ARN)


def test_no_migration_while_the_bootstrap_runs(ecs, bootstrapping, capsys):
    expect_revision(ecs)
    expect_bootstrap_lookup(ecs, running=[BOOTSTRAP_TASK_ARN])
    ecs.add_response("describe_tasks", {"tasks": [bootstrap_task("RUNNING")], "failures": []},
                     {"cluster": CLUSTER_ARN, "tasks": [BOOTSTRAP_TASK_ARN]})

    assert hook.handler(hook_event(), None) == {"hookStatus": "IN_PROGRESS", "callBackDelay": 30}
    assert log_lines(capsys)[0]["decision"] == "bootstrap_running"


def test_a_failed_bootstrap_fails_the_deployment_without_migrating(ecs, bootstrapping, capsys):
    expect_revision(ecs)
    expect_bootstrap_lookup(ecs, running=[], stopped=[BOOTSTRAP_TASK_ARN])
    ecs.add_response("describe_tasks", {"tasks": [bootstrap_task("STOPPED", exit_code=3,
                                                                 stopCode="EssentialContainerExited")],
                                        "failures": []}, {"cluster": CLUSTER_ARN, "tasks": [BOOTSTRAP_TASK_ARN]})

    assert hook.handler(hook_event(), None) == {"hookStatus": "FAILED"}
    [line] = log_lines(capsys)
    assert line["decision"] == "bootstrap_failed" and "exited with 3" in line["reason"]


def test_after_a_successful_bootstrap_the_migration_starts(ecs, bootstrapping, capsys):
    expect_revision(ecs)
    expect_bootstrap_lookup(ecs, running=[], stopped=[BOOTSTRAP_TASK_ARN])
    ecs.add_response("describe_tasks", {"tasks": [bootstrap_task("STOPPED", exit_code=0,
                                                                 stopCode="EssentialContainerExited")],
                                        "failures": []}, {"cluster": CLUSTER_ARN, "tasks": [BOOTSTRAP_TASK_ARN]})
    expect_lookup(ecs, running=[], stopped=[])
    ecs.add_response("run_task", {"tasks": [{"taskArn": TASK_ARN}], "failures": []}, expected_run_task())

    assert hook.handler(hook_event(), None) == {"hookStatus": "IN_PROGRESS", "callBackDelay": 30}
    assert [line["decision"] for line in log_lines(capsys)] == ["bootstrap_succeeded", "migration_started"]


def test_a_bootstrap_past_the_timeout_is_stopped(ecs, bootstrapping, capsys):
    bootstrapping.setenv("MIGRATION_TIMEOUT_SECONDS", "300")
    expect_revision(ecs)
    expect_bootstrap_lookup(ecs, running=[BOOTSTRAP_TASK_ARN])
    ecs.add_response("describe_tasks", {"tasks": [bootstrap_task("RUNNING", age=301)], "failures": []},
                     {"cluster": CLUSTER_ARN, "tasks": [BOOTSTRAP_TASK_ARN]})
    ecs.add_response("stop_task", {"task": {"taskArn": BOOTSTRAP_TASK_ARN}}, {
        "cluster": CLUSTER_ARN, "task": BOOTSTRAP_TASK_ARN,
        "reason": "Database user bootstrap timed out after 300 s (deployment hook)"})

    assert hook.handler(hook_event(), None) == {"hookStatus": "FAILED"}
    assert log_lines(capsys)[0]["decision"] == "bootstrap_timed_out"


@pytest.mark.parametrize("missing", ["BOOTSTRAP_CONTAINER_NAME", "BOOTSTRAP_SUBNET_IDS",
                                     "BOOTSTRAP_SECURITY_GROUP_IDS"])
def test_a_half_configured_bootstrap_is_refused(bootstrapping, missing):
    bootstrapping.setenv(missing, "")
    with pytest.raises(hook.HookError) as caught:
        hook.parse_config(dict(__import__("os").environ))
    assert str(caught.value) == f"BOOTSTRAP_TASK_DEFINITION is set but {missing} is empty"
