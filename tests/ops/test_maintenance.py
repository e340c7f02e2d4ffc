"""`maintenance on|off` against moto: exact rules created and removed, coexistence with Pulumi's rules."""

import json

from ops.listener import weights_of
from tests.ops.test_traffic import ecs_deployments, register, set_weights
from tests.ops.world import ADMIN_PATHS, ALLOWED_CIDRS, forward, path

PARTS = ("traffic",)
OPS_TAG = [{"Key": "nodeapi:maintenance", "Value": "ops"}]
BODY = '{"error":"maintenance","message":"The service is down for maintenance. Please try again later."}'


def rules(world) -> dict[str, dict]:
    """The HTTPS listener's rules by priority, with their tags."""
    elb = world.client("elbv2")
    found = elb.describe_rules(ListenerArn=world.outputs["httpsListenerArn"])["Rules"]
    described = elb.describe_tags(ResourceArns=[r["RuleArn"] for r in found])["TagDescriptions"]
    tags = {d["ResourceArn"]: d["Tags"] for d in described}
    return {r["Priority"]: {**r, "Tags": tags[r["RuleArn"]]} for r in found}


def summary(world) -> dict[str, tuple]:
    """Priority -> (condition field, values, action type, tagged by ops)."""
    out = {}
    for priority, rule in rules(world).items():
        if rule["IsDefault"]:
            continue
        condition = rule["Conditions"][0]
        values = (condition.get("PathPatternConfig") or condition.get("SourceIpConfig"))["Values"]
        out[priority] = (condition["Field"], values, rule["Actions"][0]["Type"], rule["Tags"] == OPS_TAG)
    return out


def production_weights(world) -> dict:
    """The forward weights of the production rule, by target group ARN."""
    o = world.outputs
    return {o["blueTargetGroupArn"]: 100, o["greenTargetGroupArn"]: 0}


def test_on_creates_bypass_rules_then_the_503_rule(world, run):
    result = run("maintenance", "on")
    assert (result.code, result.err) == (0, "")
    assert result.out.splitlines() == [
        "created rule 10: forward path-pattern /admin/* /internal/health",
        "created rule 11: forward source-ip 203.0.113.0/24 198.51.100.7/32",
        "created rule 12: 503 path-pattern /*",
        "maintenance on (ops rules 10, 11, 12)",
    ]
    assert summary(world) == {
        "10": ("path-pattern", ADMIN_PATHS, "forward", True),
        "11": ("source-ip", ALLOWED_CIDRS, "forward", True),
        "12": ("path-pattern", ["/*"], "fixed-response", True),
        "100": ("path-pattern", ["/*"], "forward", False),
    }
    found = rules(world)
    assert weights_of(found["10"]["Actions"][0]) == weights_of(found["11"]["Actions"][0]) == production_weights(world)
    assert found["12"]["Actions"][0]["FixedResponseConfig"] == {
        "StatusCode": "503", "ContentType": "application/json", "MessageBody": BODY}
    json.loads(found["12"]["Actions"][0]["FixedResponseConfig"]["MessageBody"])


def test_bypass_rules_copy_the_current_weights(world, run):
    set_weights(world, 0, 100)
    run("maintenance", "on")
    o = world.outputs
    assert weights_of(rules(world)["10"]["Actions"][0]) == {o["blueTargetGroupArn"]: 0, o["greenTargetGroupArn"]: 100}


def test_on_twice_is_a_no_op(world, run):
    run("maintenance", "on")
    before = rules(world)
    result = run("maintenance", "on")
    assert (result.code, result.out) == (0, "maintenance already on (ops rules 10, 11, 12); nothing changed\n")
    assert rules(world) == before


def test_off_removes_only_the_ops_rules(world, run):
    pulumi_rule = world.client("elbv2").create_rule(
        ListenerArn=world.outputs["httpsListenerArn"], Priority=30, Conditions=[path("/other/*")],
        Actions=[forward(production_weights(world))])["Rules"][0]
    run("maintenance", "on")
    result = run("maintenance", "off")
    assert (result.code, result.out.splitlines()) == (0, [
        "deleted rule 12", "deleted rule 10", "deleted rule 11", "maintenance off (removed ops rules 10, 11, 12)"])
    assert set(summary(world)) == {"30", "100"}
    assert rules(world)["30"]["RuleArn"] == pulumi_rule["RuleArn"]


def test_off_when_already_off(world, run):
    assert run("maintenance", "off").out == "maintenance (ops) already off; nothing changed\n"


def test_pulumi_maintenance_rules_are_left_alone_and_reported(world, run):
    maintenance_503 = {"Type": "fixed-response", "FixedResponseConfig": {
        "StatusCode": "503", "ContentType": "application/json", "MessageBody": "{}"}}
    world.client("elbv2").create_rule(ListenerArn=world.outputs["httpsListenerArn"], Priority=1,
                                      Conditions=[path("/*")], Actions=[maintenance_503])
    assert run("status").out.splitlines()[-1] == "maintenance: on via pulumi (rules 1)"
    assert run("maintenance", "on").out.splitlines()[-1] == "note: Pulumi maintenance rules (1) are also on"
    assert run("status").out.splitlines()[-1] == "maintenance: on via pulumi (rules 1) and ops (rules 10, 11, 12)"
    off = run("maintenance", "off")
    assert off.out.splitlines()[-1] == ("note: maintenance is still on via Pulumi rules (1); set "
                                        "service.maintenance.enabled to false and run pulumi up to turn it off")
    assert set(summary(world)) == {"1", "100"}


def test_on_refuses_when_a_foreign_rule_holds_an_ops_priority(world, run):
    world.client("elbv2").create_rule(ListenerArn=world.outputs["httpsListenerArn"], Priority=12,
                                      Conditions=[path("/x")], Actions=[forward(production_weights(world))])
    result = run("maintenance", "on")
    assert (result.code, result.err) == (1, "ops maintenance: refused: priorities 12 on the HTTPS listener hold rules "
                                            "not tagged nodeapi:maintenance=ops; nothing changed\n")
    assert set(summary(world)) == {"12", "100"}


def test_options_override_the_outputs_and_chunk_by_five(world, run, tmp_path):
    cidrs = [f"192.0.2.{i}" for i in range(1, 8)]
    outputs = {k: v for k, v in world.outputs.items() if not k.startswith("maintenance")}
    (tmp_path / "slim.json").write_text(json.dumps(outputs))
    args = ["--admin-path", "/ops/*", *(a for c in cidrs for a in ("--allow-cidr", c)), "--message", "back soon"]
    result = run("maintenance", "on", *args, outputs=tmp_path / "slim.json")
    assert result.code == 0, result.err
    assert summary(world) == {
        "10": ("path-pattern", ["/ops/*"], "forward", True),
        "11": ("source-ip", [f"192.0.2.{i}/32" for i in range(1, 6)], "forward", True),
        "12": ("source-ip", ["192.0.2.6/32", "192.0.2.7/32"], "forward", True),
        "13": ("path-pattern", ["/*"], "fixed-response", True),
        "100": ("path-pattern", ["/*"], "forward", False),
    }
    assert rules(world)["13"]["Actions"][0]["FixedResponseConfig"]["MessageBody"] == \
        '{"error":"maintenance","message":"back soon"}'


def test_invalid_cidr_is_a_usage_error(world, run):
    result = run("maintenance", "on", "--allow-cidr", "10.0.0.1/8")
    assert (result.code, result.err) == (
        2, "ops maintenance: invalid allowed CIDR '10.0.0.1/8' (10.0.0.1/8 has host bits set)\n")
    assert set(summary(world)) == {"100"}


def test_on_after_an_interrupted_run_starts_clean(world, run):
    world.client("elbv2").create_rule(ListenerArn=world.outputs["httpsListenerArn"], Priority=10, Tags=OPS_TAG,
                                      Conditions=[path("/stale/*")], Actions=[forward(production_weights(world))])
    result = run("maintenance", "on")
    assert result.out.splitlines()[0] == "deleted rule 10"
    assert summary(world)["10"] == ("path-pattern", ADMIN_PATHS, "forward", True)
    assert set(summary(world)) == {"10", "11", "12", "100"}


def test_rollback_keeps_bypass_rules_in_step(world, run, stub):
    run("maintenance", "on")
    register(world, "green", "10.0.0.20")
    ecs_deployments(stub, world)
    result = run("rollback")
    assert result.out.splitlines()[-1] == "maintenance bypass rules 10, 11 now forward with the same weights"
    o = world.outputs
    found = rules(world)
    expected = {o["blueTargetGroupArn"]: 0, o["greenTargetGroupArn"]: 100}
    assert [weights_of(found[p]["Actions"][0]) for p in ("10", "11", "100")] == [expected] * 3
    assert found["12"]["Actions"][0]["Type"] == "fixed-response"


def test_status_warns_when_bypass_rules_lag_behind_production(world, run):
    run("maintenance", "on")
    set_weights(world, 0, 100)  # e.g. ECS finished a deployment during maintenance
    assert run("status").out.splitlines()[-2:] == [
        "maintenance: on via ops (rules 10, 11, 12)",
        "warning: maintenance bypass rules 10, 11 do not forward with the production weights "
        "(blue 0 / green 100); run maintenance off, then on",
    ]


def test_on_refuses_more_bypass_rules_than_ops_priorities(world, run):
    cidrs = [a for i in range(50) for a in ("--allow-cidr", f"10.0.{i}.0/24")]  # 10 rules, + admin paths + 503
    result = run("maintenance", "on", *cidrs)
    assert (result.code, result.out, result.err) == (2, "", "ops maintenance: 12 rules needed for these admin paths "
                                                            "and CIDRs, but ops owns only 10 priorities (10-19)\n")
    assert set(summary(world)) == {"100"}
