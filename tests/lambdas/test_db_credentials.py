"""The app database credentials Lambda: every rotation step and the sync, against stubbed Secrets Manager and ECS."""

import json

import boto3
import pytest
from botocore.stub import Stubber

from lambdas.db_credentials import handler as creds

REGION = "us-east-1"
SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:shop-prod/db-app-AbCdEf"
PROXY_1 = "arn:aws:secretsmanager:us-east-1:123456789012:secret:shop-prod/db-proxy-app-1-AbCdEf"
PROXY_2 = "arn:aws:secretsmanager:us-east-1:123456789012:secret:shop-prod/db-proxy-app-2-AbCdEf"
CLUSTER = "arn:aws:ecs:us-east-1:123456789012:cluster/shop-prod"
TOKEN = "5c2a1b0e-7d3f-4e6a-9b8c-0d1e2f3a4b5c"
PREVIOUS = "0f9e8d7c-6b5a-4c3d-2e1f-0a9b8c7d6e5f"
TASK = "arn:aws:ecs:us-east-1:123456789012:task/shop-prod/1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d"
HOST = "shop-prod.proxy-c0123456789.us-east-1.rds.amazonaws.com"
READ_HOSTS = ("shop-prod-replica-1.c0123456789.us-east-1.rds.amazonaws.com",
              "shop-prod-replica-2.c0123456789.us-east-1.rds.amazonaws.com")
SUBNETS = ["subnet-0a1b2c3d4e5f60718", "subnet-0f1e2d3c4b5a69788"]
TASKS_SG = "sg-0aaaabbbbccccdddd"
SERVICES = ["arn:aws:ecs:us-east-1:123456789012:service/shop-prod/web",
            "arn:aws:ecs:us-east-1:123456789012:service/shop-prod/worker-queue"]
ENVIRONMENT = {
    "SECRET_ARN": SECRET, "CLUSTER_ARN": CLUSTER, "BOOTSTRAP_TASK_DEFINITION": "shop-prod-db-users",
    "ROTATE_TASK_DEFINITION": "shop-prod-db-users-rotate", "CONTAINER_NAME": "psql", "SUBNET_IDS": ",".join(SUBNETS),
    "SECURITY_GROUP_IDS": TASKS_SG, "LOGIN_USERS": "app_1,app_2", "DB_HOST": HOST, "DB_PORT": "5432",
    "DB_NAME": "shop", "READ_HOSTS": ",".join(READ_HOSTS),
    "PROXY_USER_SECRETS": json.dumps({"app_1": PROXY_1, "app_2": PROXY_2}), "TASK_TIMEOUT_SECONDS": "60",
}
TLS = "sslmode=require&sslaccept=accept_invalid_certs&uselibpqcompat=true"


def url(user: str, password: str, host: str = HOST) -> str:
    return f"postgresql://{user}:{password}@{host}:5432/shop?{TLS}"


def value(user: str, password: str, host: str = HOST, reads=READ_HOSTS) -> dict:
    found = {"engine": "postgres", "host": host, "port": 5432, "dbname": "shop", "username": user,
             "password": password, "url": url(user, password, host)}
    if reads:
        found["readUrl"] = url(user, password, reads[0])
        found["readUrls"] = ",".join(url(user, password, h) for h in reads)
    return found


@pytest.fixture
def env(monkeypatch):
    for name, setting in ENVIRONMENT.items():
        monkeypatch.setenv(name, setting)
    monkeypatch.setattr(creds, "sleep", lambda seconds: None)
    return monkeypatch


@pytest.fixture
def aws(env, monkeypatch):
    """Stubbed Secrets Manager and ECS clients in the handler; every queued call must be made, and no other."""
    keys = {"region_name": REGION, "aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    sm, ecs = boto3.client("secretsmanager", **keys), boto3.client("ecs", **keys)
    monkeypatch.setattr(creds, "_clients", {"secretsmanager": sm, "ecs": ecs})
    with Stubber(sm) as sm_stub, Stubber(ecs) as ecs_stub:
        yield sm_stub, ecs_stub
        sm_stub.assert_no_pending_responses()
        ecs_stub.assert_no_pending_responses()


def rotation(step: str) -> dict:
    return {"SecretId": SECRET, "ClientRequestToken": TOKEN, "Step": step}


def expect_describe(sm, stages: dict | None = None, enabled: bool = True) -> None:
    sm.add_response("describe_secret", {"ARN": SECRET, "RotationEnabled": enabled, "VersionIdsToStages": stages or {
        PREVIOUS: ["AWSCURRENT"], TOKEN: ["AWSPENDING"]}}, {"SecretId": SECRET})


def expect_value(sm, arn: str, found: dict, stage: str = "AWSCURRENT", version: str | None = None) -> None:
    params = {"SecretId": arn, "VersionStage": stage, **({"VersionId": version} if version else {})}
    sm.add_response("get_secret_value", {"ARN": arn, "SecretString": json.dumps(found)}, params)


def expect_missing(sm, arn: str, stage: str, version: str | None = None) -> None:
    params = {"SecretId": arn, "VersionStage": stage, **({"VersionId": version} if version else {})}
    sm.add_client_error("get_secret_value", "ResourceNotFoundException", "no such version", expected_params=params)


def expect_task_run(ecs, family: str, started_by: str, exit_code: int = 0, polls: int = 1) -> None:
    """No task yet for this startedBy, RunTask, then DescribeTasks until it stopped with `exit_code`."""
    for desired in ("RUNNING", "STOPPED"):
        ecs.add_response("list_tasks", {"taskArns": []},
                         {"cluster": CLUSTER, "startedBy": started_by, "desiredStatus": desired})
    ecs.add_response("run_task", {"tasks": [{"taskArn": TASK, "lastStatus": "PROVISIONING"}], "failures": []}, {
        "cluster": CLUSTER, "taskDefinition": family, "launchType": "FARGATE", "count": 1, "startedBy": started_by,
        "clientToken": started_by, "networkConfiguration": {"awsvpcConfiguration": {
            "subnets": SUBNETS, "securityGroups": [TASKS_SG], "assignPublicIp": "DISABLED"}}})
    for _ in range(polls - 1):
        ecs.add_response("describe_tasks", {"tasks": [{"taskArn": TASK, "lastStatus": "RUNNING"}]},
                         {"cluster": CLUSTER, "tasks": [TASK]})
    ecs.add_response("describe_tasks", {"tasks": [stopped(exit_code)]}, {"cluster": CLUSTER, "tasks": [TASK]})


def stopped(exit_code: int) -> dict:
    return {"taskArn": TASK, "lastStatus": "STOPPED", "stopCode": "EssentialContainerExited",
            "stoppedReason": "Essential container in task exited",
            "containers": [{"name": "psql", "lastStatus": "STOPPED", "exitCode": exit_code}]}


def expect_redeploy(ecs) -> None:
    ecs.add_response("list_services", {"serviceArns": SERVICES}, {"cluster": CLUSTER})
    for service in SERVICES:
        ecs.add_response("update_service", {"service": {"serviceArn": service}},
                         {"cluster": CLUSTER, "service": service, "forceNewDeployment": True})


def log_lines(capsys) -> list[dict]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


# --- pure parts ---------------------------------------------------------------------------------------------


def test_the_url_form_prisma_and_node_postgres_both_read():
    assert creds.database_url("app_1", "s3cr3t", HOST, 5432, "shop") == url("app_1", "s3cr3t")
    assert creds.database_url("app_1", "p@ss/word", "h", 5433, "my db") == (
        f"postgresql://app_1:p%40ss%2Fword@h:5433/my%20db?{TLS}")


def test_secret_document_with_and_without_replicas():
    assert creds.secret_document("app_2", "pw", HOST, 5432, "shop", READ_HOSTS) == value("app_2", "pw")
    assert creds.secret_document("app_2", "pw", HOST, 5432, "shop") == value("app_2", "pw", reads=())


def test_config_from_the_environment(env):
    config = creds.parse_config(ENVIRONMENT)
    assert (config.login_users, config.read_hosts, config.proxy_secrets, config.port, config.task_timeout) == (
        ("app_1", "app_2"), READ_HOSTS, {"app_1": PROXY_1, "app_2": PROXY_2}, 5432, 60)


@pytest.mark.parametrize("change, message", [
    ({"LOGIN_USERS": "app_1"}, "LOGIN_USERS must name two different users, got 'app_1'"),
    ({"LOGIN_USERS": "app_1,app_1"}, "LOGIN_USERS must name two different users, got 'app_1,app_1'"),
    ({"DB_PORT": "postgres"}, "bad setting: invalid literal for int() with base 10: 'postgres'"),
    ({"SECRET_ARN": None}, "the environment lacks SECRET_ARN"),
])
def test_bad_settings_are_named(change, message):
    environ = {k: v for k, v in {**ENVIRONMENT, **change}.items() if v is not None}
    with pytest.raises(creds.CredentialsError) as caught:
        creds.parse_config(environ)
    assert str(caught.value) == message


def test_the_users_alternate():
    config = creds.parse_config(ENVIRONMENT)
    assert (creds.other_user("app_1", config), creds.other_user("app_2", config)) == ("app_2", "app_1")
    with pytest.raises(creds.CredentialsError) as caught:
        creds.other_user("nodeapi", config)
    assert str(caught.value) == "the current user 'nodeapi' is not one of app_1, app_2"


# --- rotation -----------------------------------------------------------------------------------------------


def test_create_secret_makes_the_other_user_pending(aws, capsys):
    sm, _ = aws
    expect_describe(sm)
    expect_value(sm, SECRET, value("app_1", "old"))
    expect_missing(sm, SECRET, "AWSPENDING", TOKEN)
    sm.add_response("get_random_password", {"RandomPassword": "N3wPassw0rd"},
                    {"PasswordLength": 40, "ExcludePunctuation": True})
    sm.add_response("put_secret_value", {"ARN": SECRET, "VersionId": TOKEN}, {
        "SecretId": SECRET, "ClientRequestToken": TOKEN, "VersionStages": ["AWSPENDING"],
        "SecretString": json.dumps(value("app_2", "N3wPassw0rd"))})

    assert creds.handler(rotation("createSecret"), None) == {"step": "createSecret"}
    assert log_lines(capsys) == [{"decision": "pending_created", "token": TOKEN, "username": "app_2"}]


def test_create_secret_keeps_a_pending_version_it_already_made(aws):
    sm, _ = aws
    expect_describe(sm)
    expect_value(sm, SECRET, value("app_2", "current"))
    expect_value(sm, SECRET, value("app_1", "pending"), "AWSPENDING", TOKEN)

    creds.handler(rotation("createSecret"), None)


def test_a_current_user_that_is_no_login_user_stops_the_rotation(aws):
    sm, _ = aws
    expect_describe(sm)
    expect_value(sm, SECRET, value("nodeapi", "master?"))
    expect_missing(sm, SECRET, "AWSPENDING", TOKEN)
    with pytest.raises(creds.CredentialsError, match="the current user 'nodeapi' is not one of app_1, app_2"):
        creds.handler(rotation("createSecret"), None)


def test_set_secret_runs_the_rotate_task_then_tells_the_proxy(aws, capsys):
    sm, ecs = aws
    pending = value("app_2", "N3wPassw0rd")
    expect_describe(sm)
    expect_value(sm, SECRET, pending, "AWSPENDING", TOKEN)
    expect_task_run(ecs, "shop-prod-db-users-rotate", creds.started_by("rotate", TOKEN), polls=3)
    expect_value(sm, PROXY_2, {"username": "app_2", "password": "placeholder"})
    sm.add_response("put_secret_value", {"ARN": PROXY_2}, {
        "SecretId": PROXY_2, "ClientRequestToken": TOKEN,
        "SecretString": json.dumps({"username": "app_2", "password": "N3wPassw0rd"})})

    creds.handler(rotation("setSecret"), None)
    assert [line["decision"] for line in log_lines(capsys)] == ["task_started", "task_succeeded",
                                                                "proxy_secret_updated"]


def test_set_secret_fails_when_the_task_fails_and_the_proxy_keeps_its_password(aws):
    sm, ecs = aws
    expect_describe(sm)
    expect_value(sm, SECRET, value("app_2", "N3wPassw0rd"), "AWSPENDING", TOKEN)
    expect_task_run(ecs, "shop-prod-db-users-rotate", creds.started_by("rotate", TOKEN), exit_code=3)

    with pytest.raises(creds.CredentialsError) as caught:
        creds.handler(rotation("setSecret"), None)
    assert str(caught.value) == ("shop-prod-db-users-rotate: container 'psql' exited with 3: "
                                 "Essential container in task exited")


def test_set_secret_stops_a_task_that_outlives_its_timeout(aws, env):
    env.setenv("TASK_TIMEOUT_SECONDS", "10")
    env.setenv("POLL_SECONDS", "5")
    sm, ecs = aws
    tag = creds.started_by("rotate", TOKEN)
    expect_describe(sm)
    expect_value(sm, SECRET, value("app_2", "pw"), "AWSPENDING", TOKEN)
    ecs.add_response("list_tasks", {"taskArns": [TASK]}, {"cluster": CLUSTER, "startedBy": tag,
                                                          "desiredStatus": "RUNNING"})
    running = {"tasks": [{"taskArn": TASK, "lastStatus": "RUNNING"}]}
    for _ in range(3):
        ecs.add_response("describe_tasks", running, {"cluster": CLUSTER, "tasks": [TASK]})
    ecs.add_response("stop_task", {"task": {"taskArn": TASK}}, {"cluster": CLUSTER, "task": TASK,
                                                                "reason": "database user task timed out"})
    with pytest.raises(creds.CredentialsError, match=r"shop-prod-db-users-rotate still RUNNING after 10 s"):
        creds.handler(rotation("setSecret"), None)


def test_test_secret_requires_the_rotate_tasks_login_to_have_worked(aws):
    sm, ecs = aws
    tag = creds.started_by("rotate", TOKEN)
    expect_describe(sm)
    expect_value(sm, SECRET, value("app_2", "pw"), "AWSPENDING", TOKEN)
    ecs.add_response("list_tasks", {"taskArns": [TASK]}, {"cluster": CLUSTER, "startedBy": tag,
                                                          "desiredStatus": "RUNNING"})
    ecs.add_response("describe_tasks", {"tasks": [stopped(1)]}, {"cluster": CLUSTER, "tasks": [TASK]})
    with pytest.raises(creds.CredentialsError) as caught:
        creds.handler(rotation("testSecret"), None)
    assert str(caught.value) == ("the login test of app_2 failed: container 'psql' exited with 1: "
                                 "Essential container in task exited")


def test_test_secret_after_a_successful_task(aws, capsys):
    sm, ecs = aws
    tag = creds.started_by("rotate", TOKEN)
    expect_describe(sm)
    expect_value(sm, SECRET, value("app_2", "pw"), "AWSPENDING", TOKEN)
    ecs.add_response("list_tasks", {"taskArns": []}, {"cluster": CLUSTER, "startedBy": tag, "desiredStatus": "RUNNING"})
    ecs.add_response("list_tasks", {"taskArns": [TASK]}, {"cluster": CLUSTER, "startedBy": tag,
                                                          "desiredStatus": "STOPPED"})
    ecs.add_response("describe_tasks", {"tasks": [stopped(0)]}, {"cluster": CLUSTER, "tasks": [TASK]})

    creds.handler(rotation("testSecret"), None)
    assert log_lines(capsys)[-1] == {"decision": "login_tested", "token": TOKEN, "username": "app_2"}


def test_test_secret_as_a_configuration_test_checks_the_pending_version_only(aws, capsys):
    """Turning rotation on (rotate_immediately false) runs testSecret alone: no task ran for its token."""
    sm, ecs = aws
    tag = creds.started_by("rotate", TOKEN)
    expect_describe(sm)
    expect_value(sm, SECRET, value("app_2", "pw"), "AWSPENDING", TOKEN)
    for desired in ("RUNNING", "STOPPED"):
        ecs.add_response("list_tasks", {"taskArns": []}, {"cluster": CLUSTER, "startedBy": tag,
                                                          "desiredStatus": desired})

    creds.handler(rotation("testSecret"), None)
    assert log_lines(capsys) == [{"decision": "configuration_test", "token": TOKEN, "username": "app_2"}]


def test_finish_secret_moves_current_then_redeploys_every_service(aws, capsys):
    sm, ecs = aws
    expect_describe(sm)
    sm.add_response("update_secret_version_stage", {"ARN": SECRET}, {
        "SecretId": SECRET, "VersionStage": "AWSCURRENT", "MoveToVersionId": TOKEN, "RemoveFromVersionId": PREVIOUS})
    expect_redeploy(ecs)

    creds.handler(rotation("finishSecret"), None)
    assert [line["decision"] for line in log_lines(capsys)] == ["current_moved", "services_redeployed"]


def test_finish_secret_again_only_redeploys(aws):
    sm, ecs = aws
    expect_describe(sm, {TOKEN: ["AWSCURRENT", "AWSPENDING"], PREVIOUS: ["AWSPREVIOUS"]})
    expect_redeploy(ecs)

    creds.handler(rotation("finishSecret"), None)


@pytest.mark.parametrize("stages, enabled, message", [
    ({PREVIOUS: ["AWSCURRENT"], TOKEN: ["AWSPENDING"]}, False, f"rotation is not enabled on {SECRET}"),
    ({PREVIOUS: ["AWSCURRENT"]}, True, f"version {TOKEN} of {SECRET} has no stage"),
    ({PREVIOUS: ["AWSCURRENT"], TOKEN: ["AWSPREVIOUS"]}, True, f"version {TOKEN} of {SECRET} is not AWSPENDING"),
])
def test_secrets_managers_preconditions(aws, stages, enabled, message):
    sm, _ = aws
    expect_describe(sm, stages, enabled)
    with pytest.raises(creds.CredentialsError) as caught:
        creds.handler(rotation("setSecret"), None)
    assert str(caught.value) == message


def test_a_step_for_an_already_current_version_does_nothing(aws, capsys):
    sm, _ = aws
    expect_describe(sm, {TOKEN: ["AWSCURRENT"]})
    creds.handler(rotation("setSecret"), None)
    assert log_lines(capsys) == [{"decision": "already_current", "token": TOKEN}]


def test_another_secret_is_refused(aws):
    with pytest.raises(creds.CredentialsError, match=f"this function rotates {SECRET}, not arn:other"):
        creds.handler({**rotation("createSecret"), "SecretId": "arn:other"}, None)


# --- sync ---------------------------------------------------------------------------------------------------


class Context:
    aws_request_id = "7f3e2d1c-0b9a-8f7e-6d5c-4b3a2f1e0d9c"


def test_sync_on_the_first_deploy_sets_the_users_up_and_tells_the_proxy(aws):
    sm, ecs = aws
    expect_task_run(ecs, "shop-prod-db-users", creds.started_by("sync", Context.aws_request_id), polls=2)
    expect_value(sm, SECRET, value("app_1", "first"))
    expect_value(sm, PROXY_1, {"username": "app_1", "password": "placeholder"})
    sm.add_response("put_secret_value", {"ARN": PROXY_1}, {
        "SecretId": PROXY_1, "SecretString": json.dumps({"username": "app_1", "password": "first"})})
    expect_redeploy(ecs)

    assert creds.handler({"action": "sync"}, Context()) == {
        "username": "app_1", "rewritten": False, "proxyUpdated": True, "redeployed": 2}


def test_sync_rewrites_the_urls_when_the_endpoints_moved_and_redeploys(aws, capsys):
    sm, ecs = aws
    old = value("app_2", "pw", host="shop-prod.c0123456789.us-east-1.rds.amazonaws.com", reads=())
    expect_task_run(ecs, "shop-prod-db-users", creds.started_by("sync", Context.aws_request_id))
    expect_value(sm, SECRET, old)
    sm.add_response("put_secret_value", {"ARN": SECRET}, {"SecretId": SECRET,
                                                          "SecretString": json.dumps(value("app_2", "pw"))})
    expect_value(sm, PROXY_2, {"username": "app_2", "password": "pw"})
    expect_redeploy(ecs)

    assert creds.handler({"action": "sync"}, Context())["rewritten"] is True
    assert "urls_rewritten" in [line["decision"] for line in log_lines(capsys)]


def test_sync_with_nothing_to_change_redeploys_nothing(aws):
    sm, ecs = aws
    expect_task_run(ecs, "shop-prod-db-users", creds.started_by("sync", Context.aws_request_id))
    expect_value(sm, SECRET, value("app_2", "pw"))
    expect_value(sm, PROXY_2, {"username": "app_2", "password": "pw"})

    assert creds.handler({"action": "sync"}, Context()) == {
        "username": "app_2", "rewritten": False, "proxyUpdated": False, "redeployed": 0}


def test_sync_fails_loudly_when_the_users_task_fails(aws):
    _, ecs = aws
    expect_task_run(ecs, "shop-prod-db-users", creds.started_by("sync", Context.aws_request_id), exit_code=2)
    with pytest.raises(creds.CredentialsError, match="shop-prod-db-users: container 'psql' exited with 2"):
        creds.handler({"action": "sync"}, Context())


def test_unknown_events_are_refused(env):
    with pytest.raises(creds.CredentialsError) as caught:
        creds.handler({"hello": 1}, None)
    assert str(caught.value) == "unknown event: neither a rotation step nor a sync (['hello'])"


def test_started_by_fits_ecs():
    tag = creds.started_by("rotate", TOKEN)
    assert len(tag) == 36 and tag.startswith("rotate-") and tag == creds.started_by("rotate", TOKEN)


@pytest.mark.parametrize("task, failure", [
    (stopped(0), None),
    ({**stopped(0), "stopCode": "UserInitiated", "stoppedReason": "Task stopped by user"},
     "container 'psql' exited with 0 but the task was stopped (UserInitiated): Task stopped by user"),
    ({**stopped(0), "containers": [{"name": "psql"}], "stopCode": "TaskFailedToStart",
      "stoppedReason": "ResourceInitializationError: unable to pull secrets"},
     "container 'psql' exited with None: ResourceInitializationError: unable to pull secrets"),
    ({**stopped(0), "containers": []}, "the task has no container 'psql' (Essential container in task exited)"),
])
def test_task_failure(task, failure):
    assert creds.task_failure(task, "psql") == failure


def test_the_program_can_import_the_handler_without_boto3():
    """The Pulumi program imports `secret_document` from here; boto3 belongs to the Lambda runtime only."""
    import subprocess
    import sys

    code = ("import sys; sys.modules['boto3'] = None; sys.modules['botocore'] = None; "
            "from lambdas.db_credentials.handler import secret_document; "
            "print(secret_document('u', 'p', 'h', 1, 'd')['url'])")
    root = creds.__file__.rsplit("/lambdas/", 1)[0]
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "postgresql://u:p@h:1/d?" + TLS


def test_other_errors_are_not_taken_for_a_missing_version(aws):
    sm, _ = aws
    expect_describe(sm)
    expect_value(sm, SECRET, value("app_1", "old"))
    sm.add_client_error("get_secret_value", "AccessDeniedException", "no", expected_params={
        "SecretId": SECRET, "VersionStage": "AWSPENDING", "VersionId": TOKEN})
    with pytest.raises(Exception) as caught:
        creds.handler(rotation("createSecret"), None)
    assert "AccessDeniedException" in str(caught.value)
