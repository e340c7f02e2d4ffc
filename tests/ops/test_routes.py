"""An app of several public services and routes (issue 12): status, rollback and maintenance per route."""

import pytest

from ops import listener as L
from tests.ops.test_maintenance import rules, summary
from tests.ops.test_traffic import ecs_deployments, register, set_weights, weights
from tests.ops.world import Service

PARTS = ("app",)
# As Pulumi prints the services map (keys sorted): bot first; its route's rule is the most specific.
APP = {"bot": Service("public", ((("bot.example.com",), ("/telegram/*",)),), ("JWT_SECRET",)),
       "web": Service("public", ((("api.example.com",), ("/v2/*",)), ((), ("/*",))), ("JWT_SECRET",), True),
       "worker": Service()}


def test_status_lists_each_route_of_each_public_service(world, run):
    lines = run("status").out.splitlines()
    routes = [line for line in lines if line.startswith("  route")]
    assert routes == ["  route 1 (bot.example.com /telegram/*): rule 100: blue 100 / green 0 (live: blue)",
                      "  route 1 (api.example.com /v2/*): rule 101: blue 100 / green 0 (live: blue)",
                      "  route 2 (/*): rule 102: blue 100 / green 0 (live: blue)"]
    assert [line for line in lines if line.startswith("service")] == [
        "service bot (public): running 0 / desired 2 (pending 2)",
        "service web (public): running 0 / desired 2 (pending 2)",
        "service worker (none): running 0 / desired 2 (pending 2)"]


@pytest.mark.parametrize("command", [("rollback",), ("logs",), ("exec",), ("secrets", "list")])
def test_commands_on_a_service_need_a_name_when_several_are_public(world, run, command):
    result = run(*command)
    how = "--service NAME" if command[0] in ("rollback", "secrets") else "NAME"
    assert (result.code, result.out, result.err) == (
        2, "", f"ops {command[0]}: 2 public services (bot, web); name one with {how} "
               "(services: bot, web, worker)\n")


def test_rollback_shifts_every_route_of_the_service_and_no_other(world, run, stub):
    register(world, "green", "10.0.0.20", index=0)
    register(world, "green", "10.0.0.20", index=1)
    ecs_deployments(stub, world)
    result = run("rollback", "--service", "web")
    assert (result.code, result.out.splitlines()) == (0, [
        "web route 1 (api.example.com /v2/*): blue 100 / green 0 -> blue 0 / green 100",
        "web route 2 (/*): blue 100 / green 0 -> blue 0 / green 100"])
    assert (weights(world, "web", 0), weights(world, "web", 1), weights(world, "bot")) == ((0, 100), (0, 100),
                                                                                            (100, 0))


def test_rollback_changes_nothing_if_any_route_is_refused(world, run, stub):
    register(world, "green", "10.0.0.20", index=0)  # route 2's green has no healthy target
    ecs_deployments(stub, world)
    result = run("rollback", "--service", "web")
    assert (result.code, result.err) == (1, "ops rollback: refused: web route 2 (/*): green has no healthy targets "
                                            "(0/0); production traffic unchanged\n")
    assert (weights(world, "web", 0), weights(world, "web", 1)) == ((100, 0), (100, 0))


def test_maintenance_bypasses_along_every_route_with_its_hosts_and_live_weights(world, run):
    set_weights(world, 0, 100, "web", 1)
    result = run("maintenance", "on")
    assert result.code == 0, result.err
    assert summary(world) == {
        "50": ([("host-header", ["api.example.com"]), ("path-pattern", ["/admin/*", "/internal/health"])],
               "forward", "ops"),
        "51": ([("host-header", ["bot.example.com"]), ("path-pattern", ["/telegram/*"]),
                ("source-ip", ["203.0.113.0/24", "198.51.100.7/32"])], "forward", "ops"),
        "52": ([("host-header", ["api.example.com"]), ("path-pattern", ["/v2/*"]),
                ("source-ip", ["203.0.113.0/24", "198.51.100.7/32"])], "forward", "ops"),
        "53": ([("path-pattern", ["/*"]), ("source-ip", ["203.0.113.0/24", "198.51.100.7/32"])], "forward", "ops"),
        "54": ([("path-pattern", ["/*"])], "fixed-response", "ops"),
        "100": ([("host-header", ["bot.example.com"]), ("path-pattern", ["/telegram/*"])], "forward", None),
        "101": ([("host-header", ["api.example.com"]), ("path-pattern", ["/v2/*"])], "forward", None),
        "102": ([("path-pattern", ["/*"])], "forward", None),
    }
    found = rules(world)
    for bypass, production in (("50", "101"), ("51", "100"), ("52", "101"), ("53", "102")):
        assert L.weights_of(found[bypass]["Actions"][0]) == L.weights_of(found[production]["Actions"][0]), bypass
        assert found[bypass]["Tags"]["nodeapi:maintenance-route"] == found[production]["RuleArn"]
    assert L.weights_of(found["53"]["Actions"][0])[world.route("web", 1)["greenTargetGroupArn"]] == 100


def test_rollback_moves_only_the_bypass_rules_of_the_shifted_routes(world, run, stub):
    run("maintenance", "on")
    register(world, "green", "10.0.0.20", index=0)
    register(world, "green", "10.0.0.20", index=1)
    ecs_deployments(stub, world)
    result = run("rollback", "--service", "web")
    assert result.out.splitlines() == [
        "web route 1 (api.example.com /v2/*): blue 100 / green 0 -> blue 0 / green 100",
        "maintenance bypass rules 50, 52 now forward with the same weights",
        "web route 2 (/*): blue 100 / green 0 -> blue 0 / green 100",
        "maintenance bypass rules 53 now forward with the same weights"]
    found = rules(world)
    for bypass, production in (("50", "101"), ("51", "100"), ("52", "101"), ("53", "102")):
        assert L.weights_of(found[bypass]["Actions"][0]) == L.weights_of(found[production]["Actions"][0]), bypass


def test_status_warns_about_each_bypass_rule_behind_its_route(world, run):
    run("maintenance", "on")
    set_weights(world, 0, 100, "bot")  # ECS finished a deployment of bot during maintenance
    assert run("status").out.splitlines()[-2:] == [
        "maintenance: on via ops (rules 50, 51, 52, 53, 54)",
        "warning: maintenance bypass rule 51 does not forward with its route's production weights "
        "(blue 0 / green 100); run maintenance off, then on"]


def test_the_admin_service_must_be_public(world, run, tmp_path):
    import json

    (tmp_path / "o.json").write_text(json.dumps({**world.outputs, "maintenanceAdminService": "worker"}))
    result = run("maintenance", "on", outputs=tmp_path / "o.json")
    assert (result.code, result.err) == (2, "ops maintenance: maintenanceAdminService 'worker' is not a public "
                                            "service with a route; admin paths need one to bypass to\n")
    assert set(summary(world)) == {"100", "101", "102"}
