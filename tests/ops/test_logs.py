"""`logs`: found through the running task definition, filtered, JSON shown readably, followed until interrupted."""

import json
import signal
import time
from datetime import timedelta

import pytest

from ops import logs as ops_logs
from ops.aws import Aws
from ops.interrupt import Interrupted
from tests.ops.world import LOG_PREFIX, REGION

PARTS = ("app", "logs")
TASK = "0123456789abcdef0123456789abcdef"


def put(world, group: str, stream: str, *messages: str, at_ms: int | None = None) -> None:
    """Write log events (one millisecond apart) to a stream, creating it."""
    logs = world.client("logs")
    try:
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
    except logs.exceptions.ResourceAlreadyExistsException:
        pass
    start = at_ms if at_ms is not None else int(time.time() * 1000) - 60_000
    logs.put_log_events(logGroupName=group, logStreamName=stream,
                        logEvents=[{"timestamp": start + i, "message": m} for i, m in enumerate(messages)])


def when(ms: int) -> str:
    """The rendered timestamp of an event."""
    from datetime import UTC, datetime

    moment = datetime.fromtimestamp(ms / 1000, UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"


def test_service_lines_come_from_the_container_stream_of_its_task_definition(world, run):
    group = f"/{world.stack}/web"
    now = int(time.time() * 1000)
    put(world, group, f"{LOG_PREFIX}/web/{TASK}", '{"level":30,"time":1,"pid":7,"hostname":"ip-10-0-0-1",'
        '"msg":"listening","port":3000}', "plain text line", at_ms=now - 60_000)
    put(world, group, f"{LOG_PREFIX}/otel-collector/{TASK}", "sidecar noise", at_ms=now - 60_000)
    put(world, group, f"{LOG_PREFIX}/web/old", "too old", at_ms=now - 20 * 60_000)
    result = run("logs", "web")
    assert (result.code, result.err) == (0, f"service web: log group {group} (streams ecs/web/*), since 10m\n")
    assert result.out.splitlines() == [f"{when(now - 60_000)} 01234567 INFO listening port=3000",
                                       f"{when(now - 59_999)} 01234567 plain text line"]


def test_the_only_public_service_is_the_default_and_since_reaches_back(world, run):
    group = f"/{world.stack}/web"
    now = int(time.time() * 1000)
    put(world, group, f"{LOG_PREFIX}/web/{TASK}", "an hour ago", at_ms=now - 3_600_000)
    result = run("logs", "--since", "1h30m")
    assert result.out.splitlines() == [f"{when(now - 3_600_000)} 01234567 an hour ago"]
    assert result.err == f"service web: log group {group} (streams ecs/web/*), since 1h30m\n"


def test_filter_pattern_is_passed_to_cloudwatch(world, run):
    put(world, f"/{world.stack}/web", f"{LOG_PREFIX}/web/{TASK}", "GET /health 200", "ERROR db timeout")
    assert [line.split(" ", 2)[2] for line in run("logs", "web", "--filter", "ERROR").out.splitlines()] == [
        "ERROR db timeout"]


def test_job_and_migration_logs(world, run):
    put(world, f"/{world.stack}/analytics", f"{LOG_PREFIX}/analytics/{TASK}", "rows: 42")
    put(world, f"/{world.stack}/web-migrations", "hook/abc", "migrated 3")
    job = run("logs", "analytics")
    assert (job.out.split(" ", 2)[2], job.err) == (
        "rows: 42\n", f"job analytics: log group /{world.stack}/analytics (streams ecs/analytics/*), since 10m\n")
    migrations = run("logs", "web-migrations")
    assert (migrations.out.split(" ", 2)[1:], migrations.err) == (
        ["abc", "migrated 3\n"], f"migrations of web: log group /{world.stack}/web-migrations, since 10m\n")


def test_the_task_definition_wins_over_the_outputs(world, run, tmp_path):
    outputs = json.loads(json.dumps(world.outputs))
    outputs["services"]["web"]["logGroupName"] = "/somewhere/else"
    (tmp_path / "o.json").write_text(json.dumps(outputs))
    assert run("logs", "web", outputs=tmp_path / "o.json").err.startswith(f"service web: log group /{world.stack}/web ")


@pytest.mark.parametrize("args, message", [
    (("nope",), "no service, job or migration log named 'nope'; services: web, worker; jobs: analytics; "
                "migrations: web-migrations"),
    (("web", "--since", "soon"), None),
])
def test_bad_names_and_durations(world, run, args, message):
    result = run("logs", *args)
    assert result.code == 2
    if message:
        assert result.err == f"ops logs: {message}\n"
    else:
        assert "argument --since: not a duration like 15m, 2h, 1d or 1h30m: soon" in result.err


def test_a_container_that_does_not_log_to_cloudwatch_is_reported(world, run):
    ecs = world.client("ecs")
    task = ecs.register_task_definition(family=f"{world.stack}-web", networkMode="awsvpc", containerDefinitions=[
        {"name": "web", "image": "x", "memory": 512, "logConfiguration": {"logDriver": "awsfirelens"}}])
    ecs.update_service(cluster=world.stack, service=f"{world.stack}-web",
                       taskDefinition=task["taskDefinition"]["taskDefinitionArn"])
    assert run("logs", "web").err == ("ops logs: container web of service web logs with awsfirelens, not awslogs; "
                                      "ops logs reads CloudWatch Logs only\n")


def test_follow_prints_each_new_line_once_until_interrupted(world, aws_env, capsys):
    group, stream = f"/{world.stack}/web", f"{LOG_PREFIX}/web/{TASK}"
    T0 = int(time.time() * 1000) - 30_000  # noqa: N806 (CloudWatch refuses events older than 14 days)
    put(world, group, stream, "first", at_ms=T0)
    sleeps = []

    def sleep(seconds):  # between reads: a line arrives, then the operator presses Ctrl-C
        sleeps.append(seconds)
        if len(sleeps) == 1:
            put(world, group, stream, "second", at_ms=T0 + 5)
        elif len(sleeps) == 3:
            raise Interrupted(signal.SIGINT)

    ops_logs.logs(Aws(REGION), world.outputs, "web", timedelta(minutes=1), True, None, 0.5,
                  clock=lambda: T0 / 1000 + 1, sleep=sleep)
    assert capsys.readouterr().out.splitlines() == [f"{when(T0)} 01234567 first", f"{when(T0 + 5)} 01234567 second"]
    assert sleeps == [0.5, 0.5, 0.5]


@pytest.mark.parametrize("message, shown", [
    ('{"level":50,"msg":"boom","err":{"type":"Error","message":"boom","stack":"Error: boom\\n    at f (a.js:1)"}}',
     "ERROR boom\n    Error: boom\n        at f (a.js:1)"),
    ('{"level":"warn","message":"slow query","ms":812,"sql":"select 1"}', 'WARN slow query ms=812 sql="select 1"'),
    ('{"severity":"info","msg":"ok","user":{"id":42}}', 'INFO ok user={"id":42}'),
    ('{"level":35,"msg":"custom level"}', "35 custom level"),
    ("[1, 2]", "[1, 2]"),
    ("{not json", "{not json"),
    ("GET /health 200\n", "GET /health 200"),
])
def test_readable(message, shown):
    assert ops_logs.readable(message) == shown


@pytest.mark.parametrize("text, delta", [("15m", timedelta(minutes=15)), ("2h", timedelta(hours=2)),
                                         ("1d", timedelta(days=1)), ("1h30m", timedelta(hours=1, minutes=30)),
                                         ("90s", timedelta(seconds=90))])
def test_duration(text, delta):
    assert ops_logs.duration(text) == delta


@pytest.mark.parametrize("text", ["", "15", "m", "1.5h", "0m", "15 m", "-1h"])
def test_duration_rejects(text):
    import argparse

    with pytest.raises(argparse.ArgumentTypeError):
        ops_logs.duration(text)
