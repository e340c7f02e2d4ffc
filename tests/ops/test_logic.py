"""Pure logic of the ops commands: weights, rule planning, checks, naming, waiting."""

from datetime import UTC, datetime, timedelta

import pytest

from contract.maintenance import chunk
from ops import listener as L
from ops import maintenance as M
from ops.backups import Check, fmt_age, fresh_check, rpo_check
from ops.deployments import Deployment
from ops.errors import Failed, Refused, TimedOut, UsageError
from ops.progress import Waiter, fmt_elapsed
from ops.restore import drill_identifier, is_drill_identifier, rto_verdict
from ops.traffic import RollbackPlan, plan_rollback

BLUE, GREEN = "arn:tg/blue", "arn:tg/green"
LABELS = {BLUE: "blue", GREEN: "green"}
NOW = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)


def fwd(weights: dict[str, int], **extra) -> dict:
    return {"Type": "forward", "ForwardConfig": {
        "TargetGroups": [{"TargetGroupArn": a, "Weight": w} for a, w in weights.items()], **extra}}


@pytest.mark.parametrize("action, expected", [
    (fwd({BLUE: 100, GREEN: 0}), {BLUE: 100, GREEN: 0}),
    (fwd({BLUE: 90, GREEN: 10}), {BLUE: 90, GREEN: 10}),
    ({"Type": "forward", "TargetGroupArn": GREEN}, {GREEN: 1}),
])
def test_weights_of(action, expected):
    assert L.weights_of(action) == expected


@pytest.mark.parametrize("weights, live", [
    ({BLUE: 100, GREEN: 0}, BLUE), ({BLUE: 0, GREEN: 7}, GREEN),
    ({BLUE: 90, GREEN: 10}, None), ({BLUE: 0, GREEN: 0}, None),
])
def test_live_target(weights, live):
    assert L.live_target(weights) == live


def test_with_weights_keeps_stickiness_and_drops_the_single_target_shortcut():
    original = {**fwd({BLUE: 100, GREEN: 0}, TargetGroupStickinessConfig={"Enabled": True, "DurationSeconds": 60}),
                "TargetGroupArn": BLUE, "Order": 2}
    assert L.with_weights(original, L.all_to(L.weights_of(original), GREEN)) == {
        **fwd({BLUE: 0, GREEN: 100}, TargetGroupStickinessConfig={"Enabled": True, "DurationSeconds": 60}), "Order": 2}


def test_fmt_weights_lists_blue_then_green_then_others():
    assert L.fmt_weights({"arn:x:targetgroup/other/1": 5, GREEN: 0, BLUE: 95}, LABELS) == "blue 95 / green 0 / other 5"


@pytest.mark.parametrize("values, expected", [
    ([], []),
    (["/a"], [["/a"]]),
    ([f"/p{i}" for i in range(7)], [[f"/p{i}" for i in range(5)], ["/p5", "/p6"]]),
    (["/a/*/*/*", "/b/*/*", "/c"], [["/a/*/*/*", "/b/*/*", "/c"]]),  # exactly 5 wildcards fit
    (["/a/*/*/*", "/b/*/*/*", "/c"], [["/a/*/*/*"], ["/b/*/*/*", "/c"]]),  # 6 would not
])
def test_chunk_respects_values_and_wildcards(values, expected):
    assert chunk(values) == expected


def test_chunk_refuses_a_pattern_with_too_many_wildcards():
    with pytest.raises(ValueError, match=r"path pattern /\*/\*/\*/\*/\*/\* has more than 5 wildcards"):
        chunk(["/*/*/*/*/*/*"])


@pytest.mark.parametrize("given, expected", [
    (["10.0.0.0/8", "192.0.2.1", "2001:db8::/32", "10.0.0.0/8"], ["10.0.0.0/8", "192.0.2.1/32", "2001:db8::/32"]),
])
def test_normalize_cidrs(given, expected):
    assert M.normalize_cidrs(given) == expected


@pytest.mark.parametrize("bad", ["10.0.0.1/8", "not-an-ip", "300.1.1.1/32"])
def test_normalize_cidrs_rejects(bad):
    with pytest.raises(UsageError, match=f"invalid allowed CIDR '{bad}'"):
        M.normalize_cidrs([bad])


def route_entry(hosts: list[str], paths: list[str], n: int) -> dict:
    return {"productionListenerRuleArn": f"arn:rule/{n}", "testListenerRuleArn": f"arn:test/{n}",
            "blueTargetGroupArn": f"arn:tg/b{n}", "greenTargetGroupArn": f"arn:tg/g{n}", "hosts": hosts, "paths": paths}


def app_outputs(admin: str = "web") -> dict:
    service = {"access": "public", "deployment": "blue-green", "serviceName": "s", "taskFamily": "f",
               "containerName": "c", "logGroupName": "g",
               "subnetIds": [], "securityGroupIds": [], "execEnabled": False}
    return {"maintenanceAdminService": admin, "services": {
        "bot": {**service, "routes": [route_entry(["bot.example.com"], ["/tg/*"], 1)]},
        "web": {**service, "routes": [route_entry(["api.example.com"], ["/v2/*"], 2), route_entry([], ["/*"], 3)]},
        "worker": {**service, "access": "none", "routes": []}}}


def test_planned_rules_follow_every_public_route_in_output_order():
    planned = M.planned_rules(app_outputs(), ["/admin/*"], ["10.0.0.0/8"])
    assert [(p.conditions, r.production_rule if r else None) for p, r in planned] == [
        ({"host-header": ["api.example.com"], "path-pattern": ["/admin/*"]}, "arn:rule/2"),
        ({"host-header": ["bot.example.com"], "path-pattern": ["/tg/*"], "source-ip": ["10.0.0.0/8"]}, "arn:rule/1"),
        ({"host-header": ["api.example.com"], "path-pattern": ["/v2/*"], "source-ip": ["10.0.0.0/8"]}, "arn:rule/2"),
        ({"path-pattern": ["/*"], "source-ip": ["10.0.0.0/8"]}, "arn:rule/3"),
        ({"path-pattern": ["/*"]}, None)]


def test_planned_rules_without_admin_paths_or_cidrs_is_the_503_alone():
    assert [(p.conditions, r) for p, r in M.planned_rules(app_outputs("worker"), [], [])] == [
        ({"path-pattern": ["/*"]}, None)]


def test_planned_rules_refuse_a_route_without_room_for_the_cidrs():
    outputs = app_outputs()
    outputs["services"]["bot"]["routes"][0]["hosts"] = ["a", "b", "c", "d"]
    with pytest.raises(UsageError, match="the route of service 'bot' uses all 5 condition values of a rule"):
        M.planned_rules(outputs, [], ["10.0.0.0/8"])


def test_planned_rules_refuse_more_rules_than_ops_priorities():
    # 200 CIDRs: 67 + 67 rules along the two 2-value routes, 50 along /*, the admin rule, the 503
    with pytest.raises(UsageError, match=r"186 rules needed .* only 49 priorities \(50-98\)"):
        M.planned_rules(app_outputs(), ["/admin/*"], [f"10.{i // 256}.{i % 256}.0/24" for i in range(4 * 50)])


def dep(stage: str | None) -> Deployment:
    return Deployment("arn:deployment/1", "IN_PROGRESS", stage)


@pytest.mark.parametrize("weights, to, deployment, expected", [
    ({BLUE: 100, GREEN: 0}, None, None, RollbackPlan(GREEN, None)),
    ({BLUE: 0, GREEN: 100}, None, None, RollbackPlan(BLUE, None)),
    ({BLUE: 100, GREEN: 0}, BLUE, None, RollbackPlan(None, None)),
    ({BLUE: 90, GREEN: 10}, BLUE, None, RollbackPlan(BLUE, None)),
    ({BLUE: 100, GREEN: 0}, None, dep("TEST_TRAFFIC_SHIFT"), RollbackPlan(None, dep("TEST_TRAFFIC_SHIFT"))),
    ({BLUE: 100, GREEN: 0}, None, dep(None), RollbackPlan(None, dep(None))),
    ({BLUE: 0, GREEN: 100}, None, dep("BAKE_TIME"), RollbackPlan(BLUE, dep("BAKE_TIME"))),
    ({BLUE: 100, GREEN: 0}, GREEN, dep("SCALE_UP"), RollbackPlan(GREEN, dep("SCALE_UP"))),
])
def test_plan_rollback(weights, to, deployment, expected):
    assert plan_rollback(weights, LABELS, to, deployment) == expected


@pytest.mark.parametrize("weights, to, message", [
    ({BLUE: 90, GREEN: 10}, None, "refused: production traffic is split (blue 90 / green 10); "
                                  "choose the target with --to blue|green; nothing changed"),
    ({BLUE: 100}, None, "refused: the production rule forwards to 1 target group(s) (blue 100); "
                        "expected blue and green; nothing changed"),
    ({BLUE: 100}, GREEN, "refused: green is not a target of the production rule (blue 100); nothing changed"),
])
def test_plan_rollback_refusals(weights, to, message):
    with pytest.raises(Refused) as refused:
        plan_rollback(weights, LABELS, to, dep("PRODUCTION_TRAFFIC_SHIFT"))
    assert str(refused.value) == message


@pytest.mark.parametrize("latest, ok, detail", [
    (NOW - timedelta(minutes=5), True, "latest restorable time 2026-03-04T05:01:07Z, 5m ago (RPO 1h00m)"),
    (NOW - timedelta(minutes=61), False, "latest restorable time 2026-03-04T04:05:07Z, 1h01m ago (RPO 1h00m)"),
    (None, False, "no latest restorable time (automated backups disabled?)"),
])
def test_rpo_check(latest, ok, detail):
    assert rpo_check(latest, NOW, timedelta(hours=1)) == Check("point-in-time recovery", ok, detail)


@pytest.mark.parametrize("age, ok", [(timedelta(hours=23, minutes=59), True), (timedelta(hours=24, minutes=1), False)])
def test_fresh_check(age, ok):
    check = fresh_check("dump", (NOW - age, "s3://b/k"), "no dump", NOW, timedelta(hours=24))
    assert (check.ok, check.line()) == (ok, f"{'PASS' if ok else 'FAIL'} dump: s3://b/k at "
                                            f"{(NOW - age):%Y-%m-%dT%H:%M:%SZ}, {fmt_age(age)} ago (max 1d00h)")


def test_fresh_check_without_any_backup():
    assert fresh_check("dump", None, "no dump in bucket b", NOW, timedelta(hours=24)).line() == \
        "FAIL dump: no dump in bucket b"


@pytest.mark.parametrize("delta, text", [
    (timedelta(seconds=-30), "0m"), (timedelta(minutes=59), "59m"), (timedelta(hours=3, minutes=5), "3h05m"),
    (timedelta(days=2, hours=4, minutes=9), "2d04h"),
])
def test_fmt_age(delta, text):
    assert fmt_age(delta) == text


@pytest.mark.parametrize("seconds, text", [(0, "00:00"), (12.9, "00:12"), (3599, "59:59"), (3723, "1:02:03")])
def test_fmt_elapsed(seconds, text):
    assert fmt_elapsed(seconds) == text


def test_drill_identifier():
    assert drill_identifier("nodeapi-prod", NOW) == "nodeapi-prod-drill-202603040506"


def test_drill_identifier_too_long():
    with pytest.raises(UsageError, match="longer than 63 characters"):
        drill_identifier("x" * 45, NOW)


@pytest.mark.parametrize("name, ok", [
    ("nodeapi-prod-drill-202603040506", True),
    ("nodeapi-prod", False),
    ("nodeapi-prod-drill-2026", False),
    ("nodeapi-prod-drill-202603040506-x", False),
    ("other-drill-202603040506", False),
])
def test_is_drill_identifier(name, ok):
    assert is_drill_identifier(name, "nodeapi-prod") is ok


@pytest.mark.parametrize("elapsed, verdict", [
    (600, (True, "restore took 10:00 (RTO 4h00m): within RTO")),
    (4 * 3600 + 1, (False, "restore took 4:00:01 (RTO 4h00m): EXCEEDS RTO")),
])
def test_rto_verdict(elapsed, verdict):
    assert rto_verdict(elapsed, timedelta(hours=4)) == verdict


class FakeClock:
    """A clock that moves only when slept on."""

    def __init__(self):
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def waiter(clock: FakeClock, timeout: float, lines: list[str]) -> Waiter:
    class Stream:
        def write(self, text):
            lines.extend(t for t in text.splitlines() if t)

        def flush(self):
            pass
    return Waiter(timeout=timeout, poll=10, clock=clock, sleep=clock.sleep, stream=Stream())


def test_waiter_prints_progress_until_done():
    clock, lines = FakeClock(), []
    states = iter(["creating", "creating", "available"])
    assert waiter(clock, 100, lines).wait("snapshot s1", lambda: next(states), {"available"}) == 20
    assert lines == ["[00:00] snapshot s1 creating", "[00:10] snapshot s1 creating", "[00:20] snapshot s1 available"]


def test_waiter_times_out():
    clock, lines = FakeClock(), []
    with pytest.raises(TimedOut) as timed_out:
        waiter(clock, 25, lines).wait("snapshot s1", lambda: "creating", {"available"})
    assert str(timed_out.value) == "timed out after 00:25 waiting for snapshot s1 (state creating, --timeout 25s)"
    assert clock.sleeps == [10, 10, 5]
    assert lines[-1] == "[00:25] snapshot s1 creating"


def test_waiter_stops_on_a_failed_state():
    clock, lines = FakeClock(), []
    states = iter(["creating", "failed"])
    with pytest.raises(Failed, match="snapshot s1 is failed after 00:10"):
        waiter(clock, 100, lines).wait("snapshot s1", lambda: next(states), {"available"}, {"failed"})
