"""`rollback`: production traffic of one public service, on the production rule of each of its routes."""

import sys
from dataclasses import dataclass

from ops import deployments as D
from ops import listener as L
from ops import maintenance as M
from ops.deployments import Deployment
from ops.errors import Failed, Refused
from ops.interrupt import shielded
from ops.outputs import PublicRoute, pick_blue_green


def health(elb, tg_arn: str) -> tuple[int, int]:
    """(healthy, total) targets of a target group."""
    found = elb.describe_target_health(TargetGroupArn=tg_arn)["TargetHealthDescriptions"]
    return sum(d["TargetHealth"]["State"] == "healthy" for d in found), len(found)


def deployments_client(aws):
    """The ECS client for the service-deployment APIs (its own client: see Aws.client)."""
    return aws.client("ecs", purpose="deployments")


@dataclass(frozen=True)
class RollbackPlan:
    """What rollback will do on one route: shift all traffic to `target` (if set), stop `stop` (if set)."""

    target: str | None
    stop: Deployment | None


def other_target(weights: dict[str, int], labels: dict[str, str], where: str = "") -> str:
    """The target group not carrying production traffic; Refused when that is ambiguous."""
    live = L.live_target(weights)
    if live is None:
        raise Refused(f"refused: {where}production traffic is split ({L.fmt_weights(weights, labels)}); "
                      "choose the target with --to blue|green; nothing changed")
    others = [arn for arn in weights if arn != live]
    if len(others) != 1:
        raise Refused(f"refused: {where}the production rule forwards to {len(weights)} target group(s) "
                      f"({L.fmt_weights(weights, labels)}); expected blue and green; nothing changed")
    return others[0]


def plan_rollback(weights: dict[str, int], labels: dict[str, str], to: str | None,
                  deployment: Deployment | None, where: str = "") -> RollbackPlan:
    """Decide the rollback: before ECS moves production traffic, stopping the deployment is enough."""
    if to is None and deployment is not None and deployment.traffic_not_shifted:
        return RollbackPlan(None, deployment)
    target = to or other_target(weights, labels, where)
    if target not in weights:
        raise Refused(f"refused: {where}{L.tg_label(target, labels)} is not a target of the production rule "
                      f"({L.fmt_weights(weights, labels)}); nothing changed")
    if L.live_target(weights) == target:
        return RollbackPlan(None, deployment)
    return RollbackPlan(target, deployment)


@dataclass(frozen=True)
class RouteTraffic:
    """A route, its production rule and that rule's forward action, as read."""

    route: PublicRoute
    rule: dict
    forward: dict

    @property
    def weights(self) -> dict[str, int]:
        """Target group ARN -> weight."""
        return L.weights_of(self.forward)

    @property
    def where(self) -> str:
        """`web route 1 (/*): `."""
        return f"{self.route.service} {self.route.label}: "

    def fmt(self, weights: dict[str, int] | None = None) -> str:
        """`blue 100 / green 0`."""
        return L.fmt_weights(self.weights if weights is None else weights, self.route.labels)


def read_traffic(elb, routes: list[PublicRoute]) -> list[RouteTraffic]:
    """Each route's production rule forward action, read now."""
    return [RouteTraffic(route, *L.production_rule(elb, route.production_rule)) for route in routes]


def require_healthy(elb, traffic: RouteTraffic, target: str) -> None:
    """Refuse unless the target group has at least one healthy target."""
    healthy, total = health(elb, target)
    if healthy == 0:
        raise Refused(f"refused: {traffic.where}{L.tg_label(target, traffic.route.labels)} has no healthy targets "
                      f"({healthy}/{total}); production traffic unchanged")


def active_deployment(aws, outputs: dict, service: str, force: bool) -> Deployment | None:
    """The service's active deployment; Refused when that cannot be known, unless --force."""
    ecs_name = outputs["services"][service]["serviceName"]
    deployment, problem = D.find_active(deployments_client(aws), outputs["clusterName"], ecs_name)
    if problem and not force:
        raise Refused(f"refused: {problem}, so whether ECS is deploying {service} is unknown; shifting traffic "
                      "now could send it to an untested revision; nothing changed (--force shifts anyway)")
    if problem:
        print(f"warning: {problem}; --force: shifting traffic, no deployment stopped", file=sys.stderr)
    return deployment


def rollback(aws, outputs: dict, service_name: str | None, to_label: str | None, force: bool) -> None:
    """Shift all production traffic of a service's routes to the other target group, stopping an ECS
    deployment in flight. Every check passes before anything changes; once changing, it finishes."""
    service, routes = pick_blue_green(outputs, service_name)
    elb = aws.client("elbv2")
    traffic = read_traffic(elb, routes)
    deployment = active_deployment(aws, outputs, service, force)
    plans = []
    for route_traffic in traffic:
        labels = route_traffic.route.labels
        to = {label: arn for arn, label in labels.items()}[to_label] if to_label else None
        plans.append(plan_rollback(route_traffic.weights, labels, to, deployment, route_traffic.where))
    for route_traffic, plan in zip(traffic, plans):
        if plan.target:
            require_healthy(elb, route_traffic, plan.target)
    with shielded(f"the rollback of {service}"):
        stop_error = stop_deployment(aws, deployment)
        for route_traffic, plan in zip(traffic, plans):
            if plan.target:
                shift(elb, outputs, route_traffic, plan.target)
            else:
                print(route_traffic.where + unchanged(route_traffic, deployment))
    if stop_error:
        done = "traffic shifted" if any(p.target for p in plans) else "nothing changed"
        raise Failed(f"{done}, but ECS refused to stop deployment {deployment.arn} ({stop_error})")


def unchanged(traffic: RouteTraffic, stopped: Deployment | None) -> str:
    """Why a route's production weights stay as they are."""
    if stopped is not None and stopped.traffic_not_shifted:
        return f"{traffic.fmt()}, unchanged: production traffic had not shifted to the new revision yet"
    live = L.tg_label(L.live_target(traffic.weights), traffic.route.labels)
    return f"{traffic.fmt()}, already all on {live}; " + ("weights unchanged" if stopped else "nothing changed")


def stop_deployment(aws, deployment: Deployment | None) -> str | None:
    """Request stop-with-rollback of a deployment; the error text if ECS refused."""
    if deployment is None:
        return None
    error = D.stop_with_rollback(deployments_client(aws), deployment)
    stage = f", {deployment.stage}" if deployment.stage else ""
    outcome = f"ECS refused to stop it ({error})" if error else "stop with rollback requested"
    print(f"ECS deployment {deployment.arn} ({deployment.status}{stage}): {outcome}")
    return error


def shift(elb, outputs: dict, traffic: RouteTraffic, target: str) -> None:
    """Put all of a route's production weight on target; keep the ops maintenance bypass rules in step."""
    after = L.all_to(traffic.weights, target)
    new_forward = L.with_weights(traffic.forward, after)
    elb.modify_rule(RuleArn=traffic.route.production_rule, Actions=[new_forward])
    print(f"{traffic.where}{traffic.fmt()} -> {traffic.fmt(after)}")
    if synced := M.sync_bypass(elb, outputs["httpsListenerArn"], traffic.route.production_rule, new_forward):
        print(f"maintenance bypass rules {', '.join(map(str, synced))} now forward with the same weights")
