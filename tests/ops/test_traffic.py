"""`status` and `rollback` of the default app against moto (ECS service-deployment APIs stubbed: moto lacks them)."""

import pytest
from botocore.stub import Stubber

from ops import listener as L
from ops.deployments import active
from tests.ops.world import REGION, SESSION, forward

PARTS = ("app",)
ACTIVE = ["PENDING", "IN_PROGRESS"]
DEPLOYMENT = f"arn:aws:ecs:{REGION}:123456789012:service-deployment/nodeapi/nodeapi-web/abc"


def register(world, color: str, *ips: str, service: str = "web", index: int = 0) -> None:
    """Register IP targets (moto reports registered targets as healthy)."""
    world.client("elbv2").register_targets(TargetGroupArn=world.route(service, index)[f"{color}TargetGroupArn"],
                                           Targets=[{"Id": ip, "Port": 3000} for ip in ips])


def register_stopped_instance(world, color: str) -> None:
    """Register an EC2 instance that is stopped (moto reports it `unused`, i.e. not healthy)."""
    ec2 = world.client("ec2")
    instance = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    world.client("elbv2").register_targets(TargetGroupArn=world.route("web")[f"{color}TargetGroupArn"],
                                           Targets=[{"Id": instance, "Port": 3000}])
    ec2.stop_instances(InstanceIds=[instance])


def set_weights(world, blue: int, green: int, service: str = "web", index: int = 0) -> None:
    """Put a route's production rule in a given state, as ECS would."""
    route = world.route(service, index)
    world.client("elbv2").modify_rule(RuleArn=route["productionListenerRuleArn"], Actions=[
        forward({route["blueTargetGroupArn"]: blue, route["greenTargetGroupArn"]: green})])


def weights(world, service: str = "web", index: int = 0) -> tuple[int, int]:
    """(blue, green) weights of a route's production rule, read back from moto."""
    route = world.route(service, index)
    rule = world.client("elbv2").describe_rules(RuleArns=[route["productionListenerRuleArn"]])["Rules"][0]
    found = L.weights_of(L.forward_action(rule))
    return found[route["blueTargetGroupArn"]], found[route["greenTargetGroupArn"]]


def ecs_deployments(stub, world, stage: str | None = None, service: str = "web"):
    """Stubbed ECS deployment APIs: no active deployment, or one in the given lifecycle stage."""
    ecs = stub("ecs", REGION, "deployments")
    listed = [{"serviceDeploymentArn": DEPLOYMENT, "status": "IN_PROGRESS"}] if stage else []
    ecs.add_response("list_service_deployments", {"serviceDeployments": listed},
                     {"cluster": world.stack, "service": world.service(service)["serviceName"], "status": ACTIVE})
    if stage:
        ecs.add_response("describe_service_deployments", {"serviceDeployments": [
            {"serviceDeploymentArn": DEPLOYMENT, "status": "IN_PROGRESS", "lifecycleStage": stage}]},
            {"serviceDeploymentArns": [DEPLOYMENT]})
    return ecs


def expect_stop(ecs) -> None:
    """The rollback must ask ECS to stop the deployment with ROLLBACK."""
    ecs.add_response("stop_service_deployment", {"serviceDeploymentArn": DEPLOYMENT},
                     {"serviceDeploymentArn": DEPLOYMENT, "stopType": "ROLLBACK"})


def test_status_reports_every_service_its_routes_and_maintenance(world, run):
    register(world, "blue", "10.0.0.10", "10.0.1.10")
    result = run("status")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0] == "service web (public): running 0 / desired 2 (pending 2)"
    assert lines[1].startswith("  deployment ecs-svc/") and lines[1].endswith(
        f": PRIMARY, rollout IN_PROGRESS, task definition {world.stack}-web:1, running 0 / desired 2")
    assert lines[2:6] == [
        "  route 1 (/*): rule 100: blue 100 / green 0 (live: blue)",
        "    target group blue: 2/2 healthy",
        "    target group green: 0/0 healthy",
        "service worker (none): running 0 / desired 2 (pending 2)",
    ]
    assert lines[6].endswith(f"task definition {world.stack}-worker:1, running 0 / desired 2")
    assert lines[7:] == ["maintenance: off"]


def test_status_of_one_service(world, run):
    result = run("status", "--service", "worker")
    assert (result.code, result.out.splitlines()[0], result.out.splitlines()[-1]) == (
        0, "service worker (none): running 0 / desired 2 (pending 2)", "maintenance: off")
    assert "web" not in result.out


def test_status_with_split_traffic(world, run):
    set_weights(world, 90, 10)
    assert run("status").out.splitlines()[2] == "  route 1 (/*): rule 100: blue 90 / green 10 (split)"


def test_status_of_a_service_ecs_does_not_know(world, run, tmp_path):
    import json

    outputs = json.loads(json.dumps(world.outputs))
    outputs["services"]["worker"]["serviceName"] = "gone"
    (tmp_path / "o.json").write_text(json.dumps(outputs))
    assert run("status", "--service", "worker", outputs=tmp_path / "o.json").out.splitlines()[0] == (
        f"service worker (none): ECS service gone not found in cluster {world.stack}")


def test_rollback_shifts_all_traffic_to_the_healthy_other_group(world, run, stub):
    register(world, "green", "10.0.0.20")
    ecs_deployments(stub, world)
    result = run("rollback")
    assert (result.code, result.out, result.err) == (0, "web route 1 (/*): blue 100 / green 0 -> blue 0 / green 100\n",
                                                     "")
    assert weights(world) == (0, 100)


def test_rollback_back_to_blue(world, run, stub):
    set_weights(world, 0, 100)
    register(world, "blue", "10.0.0.10")
    ecs_deployments(stub, world)
    assert run("rollback").out == "web route 1 (/*): blue 0 / green 100 -> blue 100 / green 0\n"
    assert weights(world) == (100, 0)


@pytest.mark.parametrize("unhealthy, counts", [(lambda world: None, "0/0"), (register_stopped_instance, "0/1")])
def test_rollback_refuses_without_healthy_targets(world, run, stub, unhealthy, counts):
    unhealthy(world, "green") if counts == "0/1" else None
    ecs_deployments(stub, world)
    result = run("rollback")
    assert (result.code, result.err) == (1, f"ops rollback: refused: web route 1 (/*): green has no healthy targets "
                                            f"({counts}); production traffic unchanged\n")
    assert weights(world) == (100, 0)


def test_rollback_refuses_split_traffic_without_to(world, run, stub):
    set_weights(world, 90, 10)
    register(world, "blue", "10.0.0.10")
    ecs_deployments(stub, world)
    result = run("rollback")
    assert (result.code, result.err) == (1, "ops rollback: refused: web route 1 (/*): production traffic is split "
                                            "(blue 90 / green 10); choose the target with --to blue|green; "
                                            "nothing changed\n")
    assert weights(world) == (90, 10)


def test_rollback_to_blue_from_split_traffic(world, run, stub):
    set_weights(world, 90, 10)
    register(world, "blue", "10.0.0.10")
    ecs_deployments(stub, world)
    assert run("rollback", "--to", "blue").out == "web route 1 (/*): blue 90 / green 10 -> blue 100 / green 0\n"
    assert weights(world) == (100, 0)


def test_rollback_to_the_live_group_changes_nothing(world, run, stub):
    register(world, "blue", "10.0.0.10")
    ecs_deployments(stub, world)
    result = run("rollback", "--to", "blue")
    assert (result.code, result.out) == (0, "web route 1 (/*): blue 100 / green 0, already all on blue; "
                                            "nothing changed\n")


def test_rollback_during_bake_time_stops_the_deployment_and_shifts(world, run, stub):
    set_weights(world, 0, 100)  # ECS has moved production traffic to the new revision (green)
    register(world, "blue", "10.0.0.10")
    expect_stop(ecs_deployments(stub, world, "BAKE_TIME"))
    result = run("rollback")
    assert (result.code, result.out) == (0, f"ECS deployment {DEPLOYMENT} (IN_PROGRESS, BAKE_TIME): "
                                            "stop with rollback requested\n"
                                            "web route 1 (/*): blue 0 / green 100 -> blue 100 / green 0\n")
    assert weights(world) == (100, 0)


def test_rollback_before_production_shift_only_stops_the_deployment(world, run, stub):
    register(world, "green", "10.0.0.20")  # the new revision, only on test traffic so far
    expect_stop(ecs_deployments(stub, world, "TEST_TRAFFIC_SHIFT"))
    result = run("rollback")
    assert (result.code, result.out) == (0, f"ECS deployment {DEPLOYMENT} (IN_PROGRESS, TEST_TRAFFIC_SHIFT): "
                                            "stop with rollback requested\n"
                                            "web route 1 (/*): blue 100 / green 0, unchanged: production traffic "
                                            "had not shifted to the new revision yet\n")
    assert weights(world) == (100, 0)


def test_rollback_refused_by_ecs_still_shifts_traffic_and_fails(world, run, stub):
    set_weights(world, 0, 100)
    register(world, "blue", "10.0.0.10")
    ecs = ecs_deployments(stub, world, "BAKE_TIME")
    ecs.add_client_error("stop_service_deployment", "InvalidParameterException", "cannot stop now")
    result = run("rollback")
    assert result.code == 3
    assert result.err == (f"ops rollback: traffic shifted, but ECS refused to stop deployment {DEPLOYMENT} "
                          "(InvalidParameterException: cannot stop now)\n")
    assert weights(world) == (100, 0)


def test_rollback_refuses_when_deployments_cannot_be_listed(world, run, stub):
    register(world, "green", "10.0.0.20")
    stub("ecs", REGION, "deployments").add_client_error(
        "list_service_deployments", "AccessDeniedException", "not allowed")
    result = run("rollback")
    assert (result.code, result.out, result.err) == (1, "", (
        f"ops rollback: refused: cannot list ECS service deployments of {world.stack}-web (AccessDeniedException: "
        "not allowed), so whether ECS is deploying web is unknown; shifting traffic now could send it to an "
        "untested revision; nothing changed (--force shifts anyway)\n"))
    assert weights(world) == (100, 0)


def test_rollback_force_shifts_when_deployments_cannot_be_listed(world, run, stub):
    register(world, "green", "10.0.0.20")
    stub("ecs", REGION, "deployments").add_client_error(
        "list_service_deployments", "AccessDeniedException", "not allowed")
    result = run("rollback", "--force")
    assert (result.code, result.err) == (0, f"warning: cannot list ECS service deployments of {world.stack}-web "
                                            "(AccessDeniedException: not allowed); --force: shifting traffic, "
                                            "no deployment stopped\n")
    assert weights(world) == (0, 100)


def test_rollback_to_the_live_group_during_bake_time_only_stops_the_deployment(world, run, stub):
    register(world, "blue", "10.0.0.10")
    expect_stop(ecs_deployments(stub, world, "BAKE_TIME"))
    result = run("rollback", "--to", "blue")
    assert (result.code, result.out.splitlines()[-1]) == (0, "web route 1 (/*): blue 100 / green 0, already all on "
                                                             "blue; weights unchanged")
    assert weights(world) == (100, 0)


@pytest.mark.parametrize("service, message", [
    ("worker", "service worker is not public (access none): it has no listener rules"),
    ("api", "no service 'api' in the outputs; services: web, worker"),
])
def test_rollback_of_a_service_without_routes_is_a_usage_error(world, run, service, message):
    result = run("rollback", "--service", service)
    assert (result.code, result.out, result.err) == (2, "", f"ops rollback: {message}\n")


def test_status_fails_in_one_line_when_the_production_rule_does_not_forward(world, run):
    rule = world.route("web")["productionListenerRuleArn"]
    world.client("elbv2").modify_rule(RuleArn=rule, Actions=[
        {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}])
    result = run("status")
    assert (result.code, result.err) == (3, f"ops status: production rule {rule} has no forward action\n")


def test_a_deployment_finished_between_list_and_describe_counts_as_none():
    ecs = SESSION.client("ecs", region_name=REGION)
    with Stubber(ecs) as stubber:
        stubber.add_response("list_service_deployments", {"serviceDeployments": [{"serviceDeploymentArn": DEPLOYMENT}]})
        stubber.add_response("describe_service_deployments", {"serviceDeployments": []})
        assert active(ecs, "c", "s") is None
