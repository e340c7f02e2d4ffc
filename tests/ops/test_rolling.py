"""A public service that deploys rolling (single-writer state: one target group per route, no test rule)."""

from ops import listener as L
from tests.ops.test_maintenance import rules, summary
from tests.ops.world import Service

PARTS = ("app",)
APP = {"files": Service("public", ((("files.example.com",), ("/*",)),), ("JWT_SECRET",), rolling=True),
       "web": Service("public", (((), ("/*",)),), ("JWT_SECRET",))}


def test_outputs_of_a_rolling_route_have_one_target_group(world):
    assert (world.service("files")["deployment"], sorted(world.route("files"))) == (
        "rolling", ["blueTargetGroupArn", "hosts", "paths", "productionListenerRuleArn"])


def test_status_names_the_rolling_service_and_its_one_target_group(world, run):
    lines = run("status", "--service", "files").out.splitlines()
    assert lines[0] == "service files (public, rolling): running 0 / desired 2 (pending 2)"
    assert lines[2:4] == ["  route 1 (files.example.com /*): rule 100: target 100 (live: target)",
                          "    target group: 0/0 healthy"]


def test_rollback_of_a_rolling_service_is_refused(world, run):
    result = run("rollback", "--service", "files")
    assert (result.code, result.err) == (2, "ops rollback: service files deploys rolling (it holds single-writer "
                                            "state): one target group, nothing to roll back to; deploy the previous "
                                            "image instead\n")


def test_maintenance_bypasses_a_rolling_route_like_any_other(world, run):
    assert run("maintenance", "on").code == 0
    found = rules(world)
    assert [(p, found[p]["Tags"].get("nodeapi:maintenance-route")) for p in ("51", "52")] == [
        ("51", world.route("files")["productionListenerRuleArn"]),
        ("52", world.route("web")["productionListenerRuleArn"])]
    assert L.weights_of(found["51"]["Actions"][0]) == {world.route("files")["blueTargetGroupArn"]: 100}
    assert summary(world)["53"] == ([("path-pattern", ["/*"])], "fixed-response", "ops")
