"""`exec`: ECS Exec through ExecuteCommand (stubbed: moto lacks it) and a stand-in Session Manager plugin."""

import json
import os
import stat

import pytest

from tests.ops.world import REGION

PARTS = ("app",)
TASK_ID = "0123456789abcdef0123456789abcdef"
SESSION = {"sessionId": "ecs-execute-command-1", "streamUrl": "wss://ssmmessages.eu-west-1.amazonaws.com/v1/x",
           "tokenValue": "token-abc"}


@pytest.fixture
def plugin(tmp_path, monkeypatch):
    """A `session-manager-plugin` on PATH that records its arguments and exits 0 (or $FAKE_PLUGIN_EXIT)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "session-manager-plugin"
    script.write_text('#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done > "$FAKE_PLUGIN_ARGS"\n'
                      'exit "${FAKE_PLUGIN_EXIT:-0}"\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_PLUGIN_ARGS", str(tmp_path / "args"))
    return tmp_path / "args"


def task(world, task_id: str, exec_ready: bool = True, group: str | None = None) -> dict:
    """A running task of the web service as DescribeTasks reports it."""
    agent = {"name": "ExecuteCommandAgent", "lastStatus": "RUNNING" if exec_ready else "PENDING"}
    return {"taskArn": f"arn:aws:ecs:{REGION}:123456789012:task/{world.stack}/{task_id}", "lastStatus": "RUNNING",
            "group": group or f"service:{world.stack}-web", "enableExecuteCommand": exec_ready,
            "containers": [{"name": "web", "runtimeId": f"{task_id}-1234", "managedAgents": [agent]}]}


def ecs_with(stub, world, tasks: list[dict], command: str | None = "/bin/sh"):
    """Stubbed ECS: the service's running tasks and, if a command is given, the ExecuteCommand session."""
    ecs = stub("ecs")
    arns = [t["taskArn"] for t in tasks]
    ecs.add_response("list_tasks", {"taskArns": arns},
                     {"cluster": world.stack, "serviceName": f"{world.stack}-web", "desiredStatus": "RUNNING"})
    if arns:
        ecs.add_response("describe_tasks", {"tasks": tasks}, {"cluster": world.stack, "tasks": arns})
    if command:
        ready = next(t for t in tasks if t["enableExecuteCommand"])
        ecs.add_response("execute_command", {"clusterArn": f"arn:aws:ecs:{REGION}:123456789012:cluster/{world.stack}",
                                             "taskArn": ready["taskArn"], "containerName": "web", "interactive": True,
                                             "session": SESSION},
                         {"cluster": world.stack, "task": ready["taskArn"], "container": "web", "interactive": True,
                          "command": command})
    return ecs


def test_exec_opens_a_shell_in_a_ready_task_through_the_plugin(world, run, stub, plugin):
    ecs_with(stub, world, [task(world, "a" * 32, exec_ready=False), task(world, TASK_ID)])
    result = run("exec", "web")
    assert (result.code, result.out) == (0, "")
    assert result.err == (f"web: task {TASK_ID}, container web: /bin/sh (session logged to /{world.stack}/exec)\n")
    args = plugin.read_text().splitlines()
    assert args == [json.dumps(SESSION), REGION, "StartSession", "",
                    json.dumps({"Target": f"ecs:{world.stack}_{TASK_ID}_{TASK_ID}-1234"}),
                    "https://ecs.eu-west-1.amazonaws.com"]  # the ECS endpoint the session was opened at


def test_exec_runs_a_command_and_exits_with_the_plugin_code(world, run, stub, plugin, monkeypatch):
    monkeypatch.setenv("FAKE_PLUGIN_EXIT", "5")
    ecs_with(stub, world, [task(world, TASK_ID)], command="node -e 'console.log(1)'")
    result = run("exec", "--", "node", "-e", "console.log(1)")  # the only public service by default
    assert (result.code, result.err.splitlines()[-1]) == (
        5, f"web: task {TASK_ID}, container web: node -e 'console.log(1)' (session logged to /{world.stack}/exec)")


def test_exec_picks_the_task_asked_for(world, run, stub, plugin):
    ecs = stub("ecs")
    tasks = [task(world, "a" * 32), task(world, TASK_ID)]
    ecs.add_response("list_tasks", {"taskArns": [t["taskArn"] for t in tasks]})
    ecs.add_response("describe_tasks", {"tasks": tasks})
    ecs.add_response("execute_command", {"session": SESSION}, {"cluster": world.stack, "task": tasks[1]["taskArn"],
                                                               "container": "web", "interactive": True,
                                                               "command": "/bin/sh"})
    assert run("exec", "web", "--task", TASK_ID).code == 0


def test_exec_refuses_when_it_is_off_for_the_service(world, run, stub, plugin):
    stub("ecs")  # no ECS call may happen
    result = run("exec", "worker")
    assert (result.code, result.err) == (1, "ops exec: refused: ECS Exec is off for service worker (execEnabled is "
                                            "false); turn it on for this service in the stack settings and run pulumi "
                                            "up, then try again\n")
    assert not plugin.exists()


def test_exec_without_the_plugin_says_how_to_install_it(world, run, stub, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    stub("ecs")
    result = run("exec", "web")
    assert (result.code, result.err) == (2, (
        "ops exec: the Session Manager plugin (session-manager-plugin) is not installed or not on PATH; install it "
        "as described in https://docs.aws.amazon.com/systems-manager/latest/userguide/"
        "session-manager-working-with-install-plugin.html (macOS: brew install --cask session-manager-plugin)\n"))


def test_exec_refuses_when_no_task_accepts_sessions_yet(world, run, stub, plugin):
    ecs_with(stub, world, [task(world, TASK_ID, exec_ready=False),
                           task(world, "b" * 32, group="family:other")], command=None)
    result = run("exec", "web")
    assert (result.code, result.err) == (1, (
        "ops exec: refused: no running task of the service accepts ECS Exec yet (tasks started before exec was "
        f"turned on do not); start new ones with: aws ecs update-service --cluster {world.stack} --service "
        f"{world.stack}-web --force-new-deployment\n"))


def test_exec_without_running_tasks(world, run, stub, plugin):
    ecs_with(stub, world, [], command=None)
    assert run("exec", "web").err == "ops exec: the service has no running task\n"


def test_the_session_token_is_never_printed(world, run, stub, plugin):
    ecs_with(stub, world, [task(world, TASK_ID)])
    result = run("exec", "web")
    assert SESSION["tokenValue"] not in result.out + result.err
