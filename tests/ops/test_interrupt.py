"""SIGINT and SIGTERM sent to real `python -m ops` processes, each caught mid-call by the fault proxy.

Every command either finishes the step in flight and undoes or reports what exists, or leaves nothing behind;
exit codes are 128 + the signal (130 SIGINT, 143 SIGTERM), `logs --follow` ends with 0.
"""

import json
import signal
import time

from ops.cli import main
from tests.ops.test_maintenance import ON, summary
from tests.ops.test_restore import instances
from tests.ops.test_secrets import deployment_ids, value
from tests.ops.test_traffic import register, weights
from tests.ops.world import BACKUP_REGION, LOG_PREFIX, REGION

PARTS = ("app", "secrets", "logs", "data")


def held(proxy, action: str, nth: int = 1):
    """Hold the nth call of action; the returned fault says when it arrived and releases it."""
    return proxy.add(action, nth=nth, do="hold")


def arrived(fault) -> None:
    assert fault.arrived.wait(15), f"{fault.action} never arrived"


def test_maintenance_on_holds_off_a_second_shell_then_undoes_everything_on_sigterm(world, proxy, spawn, outputs_file,
                                                                                  capsys):
    fault = held(proxy, "CreateRule", nth=4)  # the lock, 50, 51, then the 503 rule
    first = spawn("maintenance", "on")
    arrived(fault)
    assert main(["maintenance", "on", "--outputs", str(outputs_file)]) == 1  # a second shell meanwhile
    refused = capsys.readouterr().err
    assert refused.startswith("ops maintenance: refused: a maintenance run holds the lock (rule 99: ")
    assert f" pid {first.process.pid} since " in refused and refused.endswith("; nothing changed\n")
    first.signal(signal.SIGTERM)
    assert first.wait_for_err("SIGTERM received") == (
        "SIGTERM received: finishing creating rule 52 first (send it again to stop at once)\n")
    fault.release.set()
    result = first.result()
    assert result.code == 143
    assert result.out.splitlines()[-1] == "created rule 52: 503 if path-pattern /*"
    assert result.err.splitlines()[1:] == [
        "maintenance on did not finish; undoing", "deleted rule 52", "deleted rule 50", "deleted rule 51",
        "undone: maintenance (ops) is off", "ops maintenance: interrupted (SIGTERM)"]
    assert set(summary(world)) == {"100"}  # no rule, no lock
    assert main(["maintenance", "on", "--outputs", str(outputs_file)]) == 0  # the lock is free again
    assert summary(world) == ON


def test_restore_drill_interrupted_while_waiting_deletes_its_instance(world, proxy, spawn):
    fault = held(proxy, "DescribeDBInstances", nth=2)  # 1: does the drill exist? 2: the first wait poll
    process = spawn("restore-drill", "--poll-seconds", "0.01")
    arrived(fault)
    process.signal(signal.SIGINT)
    result = process.result()
    name = result.out.splitlines()[0].rsplit(" ", 1)[-1]
    assert (result.code, result.err.splitlines()[-1]) == (130, "ops restore-drill: interrupted (SIGINT)")
    assert result.out.splitlines()[-1] == f"deleting drill instance {name} (no final snapshot)"
    assert set(instances(world)) == {world.stack}


def test_backup_interrupted_while_copying_says_the_copy_started(world, proxy, spawn):
    fault = held(proxy, "CopyDBSnapshot")
    process = spawn("backup", "--poll-seconds", "0.01")
    arrived(fault)
    process.signal(signal.SIGTERM)
    process.wait_for_err("SIGTERM received")
    fault.release.set()
    result = process.result()
    name = result.out.splitlines()[0].rsplit(":", 1)[-1]
    assert result.code == 143
    assert result.err.splitlines()[-3:] == [
        f"snapshot {name} exists in {REGION} (status available)",
        f"the copy to {BACKUP_REGION} has started (status available)",
        "ops backup: interrupted (SIGTERM)"]


def test_rollback_finishes_once_it_has_started(world, proxy, spawn):
    register(world, "green", "10.0.0.20")
    proxy.add("ListServiceDeployments", nth=0, do="reply", body=json.dumps({"serviceDeployments": []}))
    fault = held(proxy, "ModifyRule")
    process = spawn("rollback")
    arrived(fault)
    process.signal(signal.SIGTERM)
    process.wait_for_err("SIGTERM received: finishing the rollback of web first")
    fault.release.set()
    result = process.result()
    assert (result.code, result.out) == (143, "web route 1 (/*): blue 100 / green 0 -> blue 0 / green 100\n")
    assert weights(world) == (0, 100)


def test_run_interrupted_leaves_the_task_running_and_says_how_to_stop_it(world, proxy, spawn):
    fault = held(proxy, "DescribeTasks")
    process = spawn("run", "web", "--poll-seconds", "0.01", "--", "node", "fix.js")
    arrived(fault)
    process.signal(signal.SIGINT)
    result = process.result()
    arn = result.err.splitlines()[0].split()[2]
    assert result.code == 130
    assert result.err.splitlines()[1:] == [
        f"task {arn} keeps running; stop it with: aws ecs stop-task --cluster {world.stack} --task {arn}",
        f"its log lines: log group /{world.stack}/web, stream {LOG_PREFIX}/web/{arn.rsplit('/', 1)[-1]}",
        "ops run: interrupted (SIGINT)"]


def test_logs_follow_ends_cleanly_on_ctrl_c(world, proxy, spawn):
    logs = world.client("logs")
    logs.create_log_stream(logGroupName=f"/{world.stack}/web", logStreamName=f"{LOG_PREFIX}/web/t1")
    logs.put_log_events(logGroupName=f"/{world.stack}/web", logStreamName=f"{LOG_PREFIX}/web/t1",
                        logEvents=[{"timestamp": int(time.time() * 1000), "message": "hello"}])
    fault = held(proxy, "FilterLogEvents", nth=2)
    process = spawn("logs", "web", "--follow", "--poll-seconds", "0.01")
    arrived(fault)
    process.signal(signal.SIGINT)
    result = process.result()
    assert (result.code, result.out.split(" ", 2)[2], result.err.splitlines()[-1]) == (
        0, "hello\n", f"service web: log group /{world.stack}/web (streams ecs/web/*), since 10m, following "
                      "(Ctrl-C stops)")


def test_secrets_set_interrupted_between_rolls_names_what_is_left(world, proxy, spawn):
    before = deployment_ids(world)
    fault = held(proxy, "UpdateService")  # web's roll; worker's would be next
    process = spawn("secrets", "set", "JWT_SECRET", stdin="new-value-from-stdin\n")
    arrived(fault)
    process.signal(signal.SIGTERM)
    process.wait_for_err("SIGTERM received: finishing rolling service web first")
    fault.release.set()
    result = process.result()
    assert result.code == 143
    assert result.out.splitlines()[1:] == ["service web: new deployment started; its new tasks read the new value"]
    assert result.err.splitlines()[1:] == [
        f"service worker not rolled yet; roll it with: aws ecs update-service --cluster {world.stack} --service "
        f"{world.stack}-worker --force-new-deployment", "ops secrets: interrupted (SIGTERM)"]
    assert value(world, "JWT_SECRET") == "new-value-from-stdin"
    assert (deployment_ids(world)["web"] != before["web"], deployment_ids(world)["worker"]) == (True, before["worker"])
    assert "new-value-from-stdin" not in result.out + result.err


def test_a_read_only_command_stops_at_once(world, proxy, spawn):
    fault = held(proxy, "DescribeServices")
    process = spawn("status")
    arrived(fault)
    process.signal(signal.SIGINT)
    assert (process.result().code, process.result().err) == (130, "ops status: interrupted (SIGINT)\n")
