"""`maintenance on|off` against moto: exact rules, the lock, undo on failure, coexistence with Pulumi's rules."""

import json

import pytest

from ops import listener as L
from tests.ops.test_traffic import ecs_deployments, register, set_weights
from tests.ops.world import ADMIN_PATHS, ALLOWED_CIDRS, condition, forward, path

PARTS = ("app",)
BODY = '{"error":"maintenance","message":"The service is down for maintenance. Please try again later."}'
OPS = {"nodeapi:maintenance": "ops"}


def rules(world) -> dict[str, dict]:
    """The HTTPS listener's rules by priority, with their tags as a dict."""
    elb = world.client("elbv2")
    found = elb.describe_rules(ListenerArn=world.outputs["httpsListenerArn"])["Rules"]
    described = elb.describe_tags(ResourceArns=[r["RuleArn"] for r in found])["TagDescriptions"]
    tags = {d["ResourceArn"]: {t["Key"]: t["Value"] for t in d["Tags"]} for d in described}
    return {r["Priority"]: {**r, "Tags": tags[r["RuleArn"]]} for r in found}


def summary(world) -> dict[str, tuple]:
    """Priority -> (conditions as (field, values), action type, value of the nodeapi:maintenance tag)."""
    return {priority: (L.condition_values(rule), rule["Actions"][0]["Type"], rule["Tags"].get("nodeapi:maintenance"))
            for priority, rule in rules(world).items() if not rule["IsDefault"]}


def production_weights(world) -> dict:
    """The forward weights of the web route's production rule, by target group ARN."""
    route = world.route("web")
    return {route["blueTargetGroupArn"]: 100, route["greenTargetGroupArn"]: 0}


ON = {
    "50": ([("path-pattern", ADMIN_PATHS)], "forward", "ops"),
    "51": ([("path-pattern", ["/*"]), ("source-ip", ALLOWED_CIDRS)], "forward", "ops"),
    "52": ([("path-pattern", ["/*"])], "fixed-response", "ops"),
    "100": ([("path-pattern", ["/*"])], "forward", None),
}


def test_on_creates_bypass_rules_then_the_503_rule(world, run):
    result = run("maintenance", "on")
    assert (result.code, result.err) == (0, "")
    assert result.out.splitlines() == [
        "created rule 50: bypass to web route 1 (/*) if path-pattern /admin/* /internal/health",
        "created rule 51: bypass to web route 1 (/*) if path-pattern /*; source-ip 203.0.113.0/24 198.51.100.7/32",
        "created rule 52: 503 if path-pattern /*",
        "maintenance on (ops rules 50, 51, 52)",
    ]
    assert summary(world) == ON
    found = rules(world)
    production = world.route("web")["productionListenerRuleArn"]
    assert L.weights_of(found["50"]["Actions"][0]) == L.weights_of(found["51"]["Actions"][0]) == \
        production_weights(world)
    assert found["50"]["Tags"] == found["51"]["Tags"] == {**OPS, "nodeapi:maintenance-route": production}
    assert found["52"]["Tags"] == OPS
    assert found["52"]["Actions"][0]["FixedResponseConfig"] == {
        "StatusCode": "503", "ContentType": "application/json", "MessageBody": BODY}


def test_bypass_rules_copy_the_live_weights(world, run):
    set_weights(world, 0, 100)
    run("maintenance", "on")
    route = world.route("web")
    assert L.weights_of(rules(world)["50"]["Actions"][0]) == {route["blueTargetGroupArn"]: 0,
                                                              route["greenTargetGroupArn"]: 100}


def test_the_lock_is_released_after_each_run(world, run):
    run("maintenance", "on")
    assert "99" not in rules(world)
    run("maintenance", "off")
    assert "99" not in rules(world)


def test_on_twice_is_a_no_op(world, run):
    run("maintenance", "on")
    before = rules(world)
    result = run("maintenance", "on")
    assert (result.code, result.out) == (0, "maintenance already on (ops rules 50, 51, 52); nothing changed\n")
    assert rules(world) == before


def test_off_removes_only_the_ops_rules(world, run):
    other = world.client("elbv2").create_rule(
        ListenerArn=world.outputs["httpsListenerArn"], Priority=30, Conditions=[path("/other/*")],
        Actions=[forward(production_weights(world))])["Rules"][0]
    run("maintenance", "on")
    result = run("maintenance", "off")
    assert (result.code, result.out.splitlines()) == (0, [
        "deleted rule 52", "deleted rule 50", "deleted rule 51", "maintenance off (removed ops rules 50, 51, 52)"])
    assert set(summary(world)) == {"30", "100"}
    assert rules(world)["30"]["RuleArn"] == other["RuleArn"]


def test_off_when_already_off(world, run):
    assert run("maintenance", "off").out == "maintenance (ops) already off; nothing changed\n"


def test_pulumi_maintenance_rules_are_left_alone_and_reported(world, run):
    maintenance_503 = {"Type": "fixed-response", "FixedResponseConfig": {
        "StatusCode": "503", "ContentType": "application/json", "MessageBody": "{}"}}
    world.client("elbv2").create_rule(ListenerArn=world.outputs["httpsListenerArn"], Priority=1,
                                      Conditions=[path("/*")], Actions=[maintenance_503])
    assert run("status").out.splitlines()[-1] == "maintenance: on via pulumi (rules 1)"
    assert run("maintenance", "on").out.splitlines()[-1] == "note: Pulumi maintenance rules (1) are also on"
    assert run("status").out.splitlines()[-1] == "maintenance: on via pulumi (rules 1) and ops (rules 50, 51, 52)"
    off = run("maintenance", "off")
    assert off.out.splitlines()[-1] == ("note: maintenance is still on via Pulumi rules (1); set "
                                        "maintenance.enabled to false and run pulumi up to turn it off")
    assert set(summary(world)) == {"1", "100"}


def test_on_refuses_when_a_foreign_rule_holds_an_ops_priority(world, run):
    world.client("elbv2").create_rule(ListenerArn=world.outputs["httpsListenerArn"], Priority=52,
                                      Conditions=[path("/x")], Actions=[forward(production_weights(world))])
    result = run("maintenance", "on")
    assert (result.code, result.err) == (1, "ops maintenance: refused: priorities 52 on the HTTPS listener hold rules "
                                            "not tagged nodeapi:maintenance=ops; nothing changed\n")
    assert set(summary(world)) == {"52", "100"}


def test_a_held_lock_refuses_a_second_run_and_names_the_holder(world, run):
    lock = world.client("elbv2").create_rule(
        ListenerArn=world.outputs["httpsListenerArn"], Priority=99, Conditions=[condition("host-header", "x.invalid")],
        Actions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}],
        Tags=[{"Key": "nodeapi:maintenance", "Value": "ops-lock"},
              {"Key": "nodeapi:maintenance-holder", "Value": "ana@laptop pid 7 since 2026-03-04T05:06:07Z"}],
    )["Rules"][0]["RuleArn"]
    for state in ("on", "off"):
        result = run("maintenance", state)
        assert (result.code, result.out, result.err) == (1, "", (
            "ops maintenance: refused: a maintenance run holds the lock (rule 99: ana@laptop pid 7 since "
            f"2026-03-04T05:06:07Z); if that run is gone, remove the lock with: aws elbv2 delete-rule --rule-arn "
            f"{lock}; nothing changed\n"))
    assert run("status").out.splitlines()[-2:] == [
        "maintenance: off",
        f"a maintenance run holds the lock (rule 99: ana@laptop pid 7 since 2026-03-04T05:06:07Z); if that run is "
        f"gone, remove the lock with: aws elbv2 delete-rule --rule-arn {lock}"]
    assert set(summary(world)) == {"99", "100"}


def test_the_lock_rule_matches_no_real_request_and_names_its_holder(world, run, monkeypatch):
    from ops import maintenance

    seen = {}
    real = maintenance.current

    def spy(elb, listener):  # look at the listener while the lock is held
        seen.setdefault("lock", rules(world).get("99"))
        return real(elb, listener)

    monkeypatch.setattr(maintenance, "current", spy)
    monkeypatch.setattr(maintenance.os, "getpid", lambda: 4242)
    run("maintenance", "on")
    lock = seen["lock"]
    assert (L.condition_values(lock), lock["Actions"][0]["FixedResponseConfig"]["StatusCode"]) == (
        [("host-header", ["maintenance-lock.invalid"])], "404")
    assert lock["Tags"]["nodeapi:maintenance"] == "ops-lock"
    assert " pid 4242 since " in lock["Tags"]["nodeapi:maintenance-holder"]


def test_a_foreign_rule_at_the_lock_priority_is_refused(world, run):
    world.client("elbv2").create_rule(ListenerArn=world.outputs["httpsListenerArn"], Priority=99,
                                      Conditions=[path("/x")], Actions=[forward(production_weights(world))])
    result = run("maintenance", "on")
    assert (result.code, result.err) == (1, "ops maintenance: refused: priority 99 on the HTTPS listener holds a rule "
                                            "not tagged nodeapi:maintenance=ops; nothing changed\n")


def test_options_override_the_outputs_and_chunk_by_five(world, run, tmp_path):
    cidrs = [f"192.0.2.{i}" for i in range(1, 8)]
    outputs = {k: v for k, v in world.outputs.items() if k not in ("maintenanceAdminPaths", "maintenanceAllowedCidrs")}
    (tmp_path / "slim.json").write_text(json.dumps(outputs))
    args = ["--admin-path", "/ops/*", *(a for c in cidrs for a in ("--allow-cidr", c)), "--message", "back soon"]
    result = run("maintenance", "on", *args, outputs=tmp_path / "slim.json")
    assert result.code == 0, result.err
    assert summary(world) == {
        "50": ([("path-pattern", ["/ops/*"])], "forward", "ops"),
        "51": ([("path-pattern", ["/*"]), ("source-ip", [f"192.0.2.{i}/32" for i in range(1, 5)])], "forward", "ops"),
        "52": ([("path-pattern", ["/*"]), ("source-ip", ["192.0.2.5/32", "192.0.2.6/32", "192.0.2.7/32"])],
               "forward", "ops"),
        "53": ([("path-pattern", ["/*"])], "fixed-response", "ops"),
        "100": ([("path-pattern", ["/*"])], "forward", None),
    }
    assert rules(world)["53"]["Actions"][0]["FixedResponseConfig"]["MessageBody"] == \
        '{"error":"maintenance","message":"back soon"}'


def test_invalid_cidr_is_a_usage_error(world, run):
    result = run("maintenance", "on", "--allow-cidr", "10.0.0.1/8")
    assert (result.code, result.err) == (
        2, "ops maintenance: invalid allowed CIDR '10.0.0.1/8' (10.0.0.1/8 has host bits set)\n")
    assert set(summary(world)) == {"100"}


def test_a_message_too_long_for_the_alb_is_a_usage_error_before_any_change(world, run):
    result = run("maintenance", "on", "--message", "x" * 1000)
    assert (result.code, result.err) == (2, "ops maintenance: maintenance message too long: the 503 JSON body would "
                                            "be 1036 bytes; the ALB allows at most 1024\n")
    assert set(summary(world)) == {"100"}


def test_on_after_a_killed_run_starts_clean_and_status_reported_it(world, run):
    world.client("elbv2").create_rule(ListenerArn=world.outputs["httpsListenerArn"], Priority=50,
                                      Tags=[{"Key": "nodeapi:maintenance", "Value": "ops"}],
                                      Conditions=[path("/stale/*")], Actions=[forward(production_weights(world))])
    assert run("status").out.splitlines()[-2:] == [
        "maintenance: off",
        "partial: ops bypass rules 50 exist without their 503 rule (a run was killed); run `maintenance off` to "
        "remove them or `maintenance on` to finish"]
    result = run("maintenance", "on")
    assert result.out.splitlines()[0] == "deleted rule 50"
    assert summary(world) == ON


def test_rules_of_an_older_ops_layout_are_still_turned_off(world, run):
    world.client("elbv2").create_rule(ListenerArn=world.outputs["httpsListenerArn"], Priority=12,
                                      Tags=[{"Key": "nodeapi:maintenance", "Value": "ops"}], Conditions=[path("/*")],
                                      Actions=[{"Type": "fixed-response",
                                                "FixedResponseConfig": {"StatusCode": "503"}}])
    assert run("status").out.splitlines()[-1] == "maintenance: on via ops (rules 12)"
    assert run("maintenance", "off").out.splitlines() == ["deleted rule 12", "maintenance off (removed ops rules 12)"]


def test_rollback_keeps_bypass_rules_in_step(world, run, stub):
    run("maintenance", "on")
    register(world, "green", "10.0.0.20")
    ecs_deployments(stub, world)
    result = run("rollback")
    assert result.out.splitlines()[-1] == "maintenance bypass rules 50, 51 now forward with the same weights"
    route = world.route("web")
    found = rules(world)
    expected = {route["blueTargetGroupArn"]: 0, route["greenTargetGroupArn"]: 100}
    assert [L.weights_of(found[p]["Actions"][0]) for p in ("50", "51", "100")] == [expected] * 3
    assert found["52"]["Actions"][0]["Type"] == "fixed-response"


def test_status_warns_when_bypass_rules_lag_behind_production(world, run):
    run("maintenance", "on")
    set_weights(world, 0, 100)  # e.g. ECS finished a deployment during maintenance
    lines = run("status").out.splitlines()
    assert lines[-3:] == [
        "maintenance: on via ops (rules 50, 51, 52)",
        "warning: maintenance bypass rule 50 does not forward with its route's production weights "
        "(blue 0 / green 100); run maintenance off, then on",
        "warning: maintenance bypass rule 51 does not forward with its route's production weights "
        "(blue 0 / green 100); run maintenance off, then on"]


def test_on_refuses_more_bypass_rules_than_ops_priorities(world, run):
    cidrs = [a for i in range(200) for a in ("--allow-cidr", f"10.0.{i}.0/24")]  # 50 rules + admin + 503
    result = run("maintenance", "on", *cidrs)
    assert (result.code, result.out, result.err) == (2, "", "ops maintenance: 52 rules needed for these routes, admin "
                                                            "paths and CIDRs, but ops owns only 49 priorities "
                                                            "(50-98)\n")
    assert set(summary(world)) == {"100"}


def test_a_failed_create_is_undone_and_leaves_maintenance_off(world, run, via_proxy):
    via_proxy.add("CreateRule", nth=4, do="error", code="TooManyRules", message="too many rules")  # lock, 50, 51, 52
    result = run("maintenance", "on")
    assert result.code == 3
    assert result.out.splitlines() == [
        "created rule 50: bypass to web route 1 (/*) if path-pattern /admin/* /internal/health",
        "created rule 51: bypass to web route 1 (/*) if path-pattern /*; source-ip 203.0.113.0/24 198.51.100.7/32"]
    assert result.err.splitlines() == [
        "maintenance on did not finish; undoing", "deleted rule 50", "deleted rule 51",
        "undone: maintenance (ops) is off", "ops maintenance: AWS error in CreateRule: TooManyRules: too many rules"]
    assert set(summary(world)) == {"100"}


def test_a_create_whose_answer_was_lost_is_undone_too(world, run, via_proxy):
    via_proxy.add("CreateRule", nth=4, do="forward-then-drop")  # the 503 rule exists; the command never hears so
    result = run("maintenance", "on")
    assert result.code == 3
    assert result.err.splitlines()[:5] == ["maintenance on did not finish; undoing", "deleted rule 52",
                                           "deleted rule 50", "deleted rule 51", "undone: maintenance (ops) is off"]
    assert result.err.splitlines()[-1].startswith("ops maintenance: Connection was closed before we received a "
                                                  "valid response from endpoint URL")
    assert set(summary(world)) == {"100"}


def test_a_failed_delete_puts_maintenance_back_on(world, run, via_proxy):
    run("maintenance", "on")
    before = summary(world)
    via_proxy.add("DeleteRule", nth=2, do="error", code="Throttling", message="Rate exceeded")  # 52 gone, then 50
    result = run("maintenance", "off")
    assert result.code == 3
    assert result.out.splitlines() == ["deleted rule 52"]
    assert result.err.splitlines() == [
        "maintenance off did not finish; putting the deleted rules back", "restored rule 52",
        "undone: maintenance (ops) is on as before",
        "ops maintenance: AWS error in DeleteRule: Throttling: Rate exceeded"]
    assert summary(world) == before
    restored = rules(world)["52"]
    assert restored["Actions"][0]["FixedResponseConfig"]["MessageBody"] == BODY


@pytest.mark.parametrize("state", ["on", "off"])
def test_the_lock_goes_even_when_the_run_fails(world, run, via_proxy, state):
    if state == "off":
        run("maintenance", "on")
    via_proxy.add("DescribeRules", nth=1, do="error", code="AccessDenied", message="no")
    assert run("maintenance", state).code == 3
    assert "99" not in rules(world)
