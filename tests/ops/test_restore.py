"""`restore-drill` against moto: restore, time, delete; refusals; the live instance is never touched."""

from datetime import UTC, datetime

import pytest
from botocore.stub import Stubber

from ops import cli, restore
from ops.errors import Refused
from ops.restore import delete_drill, restore_args
from tests.ops.world import SESSION

PARTS = ("data",)
NOW = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)


@pytest.fixture
def frozen(monkeypatch):
    """Commands see NOW as the current time (names derive from it)."""
    monkeypatch.setattr(cli, "utc_now", lambda: NOW)


def instances(world) -> dict[str, dict]:
    """This stack's DB instances by identifier (the server holds other tests' too).

    LatestRestorableTime is left out: moto reports the current time on every call.
    """
    found = world.client("rds").describe_db_instances()["DBInstances"]
    return {i["DBInstanceIdentifier"]: {k: v for k, v in i.items() if k != "LatestRestorableTime"} for i in found
            if i["DBInstanceIdentifier"] == world.stack or i["DBInstanceIdentifier"].startswith(f"{world.stack}-")}


def test_drill_restores_reports_the_rto_and_deletes(world, run, frozen):
    live_before = instances(world)[world.stack]
    name = f"{world.stack}-drill-202603040506"
    result = run("restore-drill", "--poll-seconds", "0.01")
    assert (result.code, result.out, result.err) == (0, (
        f"restoring {world.stack} to its latest restorable time as {name}\n"
        "restore took 00:00 (RTO 4h00m): within RTO\n"
        f"deleting drill instance {name} (no final snapshot)\n"), f"[00:00] instance {name} available\n")
    after = instances(world)
    assert name not in after
    assert after[world.stack] == live_before


def test_drill_keep_leaves_a_private_instance_in_the_stack_subnets(world, run, frozen):
    name = f"{world.stack}-drill-202603040506"
    result = run("restore-drill", "--keep", "--restore-time", "2026-03-04T04:00:00")
    assert result.out.splitlines()[0] == f"restoring {world.stack} to 2026-03-04T04:00:00Z as {name}"
    assert result.out.splitlines()[-1] == f"kept drill instance {name} (--keep); delete it when done"
    drill = instances(world)[name]
    assert drill["DBSubnetGroup"]["DBSubnetGroupName"] == world.outputs["dbSubnetGroupName"]
    assert [g["VpcSecurityGroupId"] for g in drill["VpcSecurityGroups"]] == world.outputs["dbSecurityGroupIds"]
    assert drill["DBInstanceStatus"] == "available"
    assert {"Key": "nodeapi:drill", "Value": "true"} in drill["TagList"]


def test_drill_refuses_an_identifier_that_exists(world, run, frozen):
    run("restore-drill", "--keep")
    before = instances(world)
    result = run("restore-drill")
    assert (result.code, result.out, result.err) == (
        1, "", f"ops restore-drill: refused: DB instance {world.stack}-drill-202603040506 already exists; "
               "nothing changed\n")
    assert instances(world) == before


def test_drill_beyond_the_rto_fails_after_cleaning_up(world, run, frozen):
    result = run("restore-drill", "--rto-hours", "1e-9", "--timeout", "60")
    assert result.code == 1
    assert result.out.splitlines()[1:] == [
        "restore took 00:00 (RTO 0m): EXCEEDS RTO",
        f"deleting drill instance {world.stack}-drill-202603040506 (no final snapshot)"]
    assert result.err.splitlines()[-1] == "ops restore-drill: restore drill exceeded the RTO of 0m"
    assert set(instances(world)) == {world.stack}


def test_restore_parameters_make_a_private_throwaway_instance():
    outputs = {"dbInstanceIdentifier": "nodeapi-prod", "dbSubnetGroupName": "nodeapi-prod-db",
               "dbSecurityGroupIds": ["sg-1", "sg-2"]}
    assert restore_args(outputs, "nodeapi-prod-drill-202603040506", None) == {
        "SourceDBInstanceIdentifier": "nodeapi-prod", "TargetDBInstanceIdentifier": "nodeapi-prod-drill-202603040506",
        "DBSubnetGroupName": "nodeapi-prod-db", "VpcSecurityGroupIds": ["sg-1", "sg-2"],
        "PubliclyAccessible": False, "MultiAZ": False, "DeletionProtection": False,
        "Tags": [{"Key": "nodeapi:drill", "Value": "true"}, {"Key": "nodeapi:drill-source", "Value": "nodeapi-prod"}],
        "UseLatestRestorableTime": True}
    assert restore_args(outputs, "x", NOW)["RestoreTime"] == NOW
    assert "UseLatestRestorableTime" not in restore_args(outputs, "x", NOW)


@pytest.mark.parametrize("name", ["nodeapi-prod", "nodeapi-prod-copy", "nodeapi-prod-drill-2026"])
def test_delete_refuses_anything_but_a_drill_of_the_live_instance(name):
    rds = SESSION.client("rds", region_name="eu-west-1")
    with Stubber(rds) as stubber:  # no responses queued: any API call would fail the test
        with pytest.raises(Refused, match=f"refused: {name} is not a drill instance of nodeapi-prod; not deleting it"):
            delete_drill(rds, name, "nodeapi-prod")
        stubber.assert_no_pending_responses()


def test_delete_of_a_drill_skips_the_final_snapshot():
    rds = SESSION.client("rds", region_name="eu-west-1")
    with Stubber(rds) as stubber:
        stubber.add_response("delete_db_instance", {}, {"DBInstanceIdentifier": "nodeapi-prod-drill-202603040506",
                                                        "SkipFinalSnapshot": True, "DeleteAutomatedBackups": True})
        delete_drill(rds, "nodeapi-prod-drill-202603040506", "nodeapi-prod")
        stubber.assert_no_pending_responses()


def slow_restore(monkeypatch):
    """moto restores instantly; RDS takes a while: every poll after the existence check says `creating`."""
    real, calls = restore.instance_state, []

    def slow(rds, name):
        calls.append(name)
        return real(rds, name) if len(calls) == 1 else "creating"

    monkeypatch.setattr(restore, "instance_state", slow)


def test_drill_timeout_exits_4_and_deletes_the_instance(world, run, frozen, monkeypatch):
    slow_restore(monkeypatch)
    name = f"{world.stack}-drill-202603040506"
    result = run("restore-drill", "--timeout", "0.05", "--poll-seconds", "0.02")
    assert result.code == 4
    lines = result.err.splitlines()
    assert len(lines) >= 3 and set(lines[:-1]) == {f"[00:00] instance {name} creating"}  # polled until the deadline
    assert lines[-1] == (f"ops restore-drill: timed out after 00:00 waiting for instance {name} (state creating, "
                         "--timeout 0.05s)")
    assert result.out.splitlines()[-1] == f"deleting drill instance {name} (no final snapshot)"
    assert set(instances(world)) == {world.stack}


def test_a_drill_rds_will_not_delete_yet_gets_the_exact_command(world, run, frozen, monkeypatch, via_proxy):
    slow_restore(monkeypatch)
    via_proxy.add("DeleteDBInstance", do="error", code="InvalidDBInstanceState",
                  message="Instance is not in available state")
    name = f"{world.stack}-drill-202603040506"
    result = run("restore-drill", "--timeout", "0.03", "--poll-seconds", "0.02")
    assert result.code == 4
    assert result.err.splitlines()[-3:-1] == [
        f"RDS did not delete {name} now (InvalidDBInstanceState: Instance is not in available state)",
        f"drill instance {name} left in place; when it can be deleted run: aws rds delete-db-instance "
        f"--db-instance-identifier {name} --skip-final-snapshot --delete-automated-backups"]
    assert name in instances(world)


def test_a_drill_kept_on_request_is_left_with_the_command(world, run, frozen, monkeypatch):
    slow_restore(monkeypatch)
    name = f"{world.stack}-drill-202603040506"
    result = run("restore-drill", "--keep", "--timeout", "0.03", "--poll-seconds", "0.02")
    assert result.code == 4
    assert result.err.splitlines()[-2].startswith(f"drill instance {name} left in place; when it can be deleted run")
    assert name in instances(world)


def test_throttling_while_waiting_still_cleans_up(world, run, frozen, via_proxy):
    via_proxy.add("DescribeDBInstances", nth=2, do="error", code="Throttling", message="Rate exceeded")
    name = f"{world.stack}-drill-202603040506"
    result = run("restore-drill", "--poll-seconds", "0.01")
    assert (result.code, result.err.splitlines()[-1]) == (
        3, "ops restore-drill: AWS error in DescribeDBInstances: Throttling: Rate exceeded")
    assert result.out.splitlines()[-1] == f"deleting drill instance {name} (no final snapshot)"
    assert set(instances(world)) == {world.stack}
