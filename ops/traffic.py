"""`status` and `rollback`: production traffic on the HTTPS listener's production rule."""

import sys
from dataclasses import dataclass

from ops import deployments as D
from ops import listener as L
from ops import maintenance as M
from ops.deployments import Deployment
from ops.errors import Failed, Refused


def labels_of(outputs: dict) -> dict[str, str]:
    """Target group ARN -> `blue` / `green`."""
    return {outputs["blueTargetGroupArn"]: "blue", outputs["greenTargetGroupArn"]: "green"}


def health(elb, tg_arn: str) -> tuple[int, int]:
    """(healthy, total) targets of a target group."""
    found = elb.describe_target_health(TargetGroupArn=tg_arn)["TargetHealthDescriptions"]
    return sum(d["TargetHealth"]["State"] == "healthy" for d in found), len(found)


def deployments_client(aws):
    """The ECS client for the service-deployment APIs (its own client: see Aws.client)."""
    return aws.client("ecs", purpose="deployments")


@dataclass(frozen=True)
class RollbackPlan:
    """What rollback will do: shift all traffic to `target` (if set), stop `stop` (if set)."""

    target: str | None
    stop: Deployment | None


def other_target(weights: dict[str, int], labels: dict[str, str]) -> str:
    """The target group not carrying production traffic; Refused when that is ambiguous."""
    live = L.live_target(weights)
    if live is None:
        raise Refused(f"refused: production traffic is split ({L.fmt_weights(weights, labels)}); "
                      "choose the target with --to blue|green; nothing changed")
    others = [arn for arn in weights if arn != live]
    if len(others) != 1:
        raise Refused(f"refused: the production rule forwards to {len(weights)} target group(s) "
                      f"({L.fmt_weights(weights, labels)}); expected blue and green; nothing changed")
    return others[0]


def plan_rollback(weights: dict[str, int], labels: dict[str, str], to: str | None,
                  deployment: Deployment | None) -> RollbackPlan:
    """Decide the rollback: before ECS moves production traffic, stopping the deployment is enough."""
    if to is None and deployment is not None and deployment.traffic_not_shifted:
        return RollbackPlan(None, deployment)
    target = to or other_target(weights, labels)
    if target not in weights:
        raise Refused(f"refused: {L.tg_label(target, labels)} is not a target of the production rule "
                      f"({L.fmt_weights(weights, labels)}); nothing changed")
    if L.live_target(weights) == target:
        return RollbackPlan(None, deployment)
    return RollbackPlan(target, deployment)


def require_healthy(elb, target: str, labels: dict[str, str]) -> None:
    """Refuse unless the target group has at least one healthy target."""
    healthy, total = health(elb, target)
    if healthy == 0:
        raise Refused(f"refused: {L.tg_label(target, labels)} has no healthy targets ({healthy}/{total}); "
                      "production traffic unchanged")


def rollback(aws, outputs: dict, to_label: str | None) -> None:
    """Shift all production traffic to the other target group, stopping an ECS deployment in flight."""
    elb, labels = aws.client("elbv2"), labels_of(outputs)
    _, forward = L.production_rule(elb, outputs["productionListenerRuleArn"])
    before = L.weights_of(forward)
    to = {label: arn for arn, label in labels.items()}[to_label] if to_label else None
    deployment, warning = D.find_active(deployments_client(aws), outputs["clusterName"], outputs["webServiceName"])
    if warning:
        print(warning, file=sys.stderr)
    plan = plan_rollback(before, labels, to, deployment)
    print(f"before: {L.fmt_weights(before, labels)}")
    if plan.target:
        require_healthy(elb, plan.target, labels)
    stop_error = stop_deployment(aws, plan.stop)
    if plan.target:
        shift(elb, outputs, forward, plan.target, labels)
    else:
        print(unchanged(before, labels, plan.stop))
    if stop_error:
        done = "traffic shifted" if plan.target else "nothing changed"
        raise Failed(f"{done}, but ECS refused to stop deployment {plan.stop.arn} ({stop_error})")


def unchanged(weights: dict[str, int], labels: dict[str, str], stopped: Deployment | None) -> str:
    """Why the production weights stay as they are."""
    if stopped is not None and stopped.traffic_not_shifted:
        return "production traffic had not shifted to the new revision yet; weights unchanged"
    live = L.tg_label(L.live_target(weights), labels)
    return f"production traffic is already all on {live}; " + ("weights unchanged" if stopped else "nothing changed")


def stop_deployment(aws, deployment: Deployment | None) -> str | None:
    """Request stop-with-rollback of a deployment; the error text if ECS refused."""
    if deployment is None:
        return None
    error = D.stop_with_rollback(deployments_client(aws), deployment)
    stage = f", {deployment.stage}" if deployment.stage else ""
    outcome = f"ECS refused to stop it ({error})" if error else "stop with rollback requested"
    print(f"ECS deployment {deployment.arn} ({deployment.status}{stage}): {outcome}")
    return error


def shift(elb, outputs: dict, forward: dict, target: str, labels: dict[str, str]) -> None:
    """Put all production weight on target; keep the ops maintenance bypass rules in step."""
    after = L.all_to(L.weights_of(forward), target)
    new_forward = L.with_weights(forward, after)
    elb.modify_rule(RuleArn=outputs["productionListenerRuleArn"], Actions=[new_forward])
    print(f"after: {L.fmt_weights(after, labels)}")
    if synced := M.sync_bypass(elb, outputs["httpsListenerArn"], new_forward):
        print(f"maintenance bypass rules {', '.join(map(str, synced))} now forward with the same weights")

