"""`status`: where production traffic goes, target health, the web service, maintenance mode."""

from ops import listener as L
from ops import maintenance as M
from ops.traffic import health, labels_of


def rule_line(rule: dict, weights: dict[str, int], labels: dict[str, str]) -> str:
    """`production rule (priority 100): blue 100 / green 0 (live: blue)`."""
    live = L.live_target(weights)
    where = f"live: {L.tg_label(live, labels)}" if live else "split"
    return f"production rule (priority {rule['Priority']}): {L.fmt_weights(weights, labels)} ({where})"


def service_lines(ecs, cluster: str, service: str) -> list[str]:
    """Running/desired counts and the deployments of the web service."""
    found = ecs.describe_services(cluster=cluster, services=[service])["services"]
    if not found:
        return [f"web service {service}: not found in cluster {cluster}"]
    svc = found[0]
    lines = [f"web service {service}: running {svc['runningCount']} / desired {svc['desiredCount']} "
             f"(pending {svc.get('pendingCount', 0)})"]
    for dep in svc.get("deployments", []):
        task_def = dep.get("taskDefinition", "?").rsplit("/", 1)[-1]
        rollout = f", rollout {dep['rolloutState']}" if dep.get("rolloutState") else ""
        lines.append(f"deployment {dep['id']}: {dep['status']}{rollout}, task definition {task_def}, "
                     f"running {dep.get('runningCount', 0)} / desired {dep.get('desiredCount', 0)}")
    return lines


def drifted(found: dict[str, list[dict]], weights: dict[str, int]) -> list[int]:
    """Priorities of ops bypass rules whose weights differ from the production rule's."""
    return [L.priority_of(r) for r in found["ops"]
            if not M.is_503(r) and L.weights_of(L.forward_action(r)) != weights]


def maintenance_lines(elb, listener_arn: str, weights: dict[str, int], labels: dict[str, str]) -> list[str]:
    """The maintenance state, and a warning when bypass rules no longer match production weights."""
    found = M.current(elb, listener_arn)
    lines = [M.state_line(found)]
    if stale := drifted(found, weights):
        lines.append(f"warning: maintenance bypass rules {', '.join(map(str, stale))} do not forward with the "
                     f"production weights ({L.fmt_weights(weights, labels)}); run maintenance off, then on")
    return lines


def status(aws, outputs: dict) -> None:
    """Print the status report."""
    elb, labels = aws.client("elbv2"), labels_of(outputs)
    rule, forward = L.production_rule(elb, outputs["productionListenerRuleArn"])
    weights = L.weights_of(forward)
    print(rule_line(rule, weights, labels))
    for arn, label in labels.items():
        healthy, total = health(elb, arn)
        print(f"target group {label}: {healthy}/{total} healthy")
    for line in service_lines(aws.client("ecs"), outputs["clusterName"], outputs["webServiceName"]):
        print(line)
    for line in maintenance_lines(elb, outputs["httpsListenerArn"], weights, labels):
        print(line)
