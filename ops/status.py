"""`status`: each service's tasks and deployments; per public route, where production traffic goes and target
health; maintenance mode, including partial states a killed run can leave."""

from ops import listener as L
from ops import maintenance as M
from ops.outputs import pick_service, routes_of
from ops.traffic import RouteTraffic, health, read_traffic

DESCRIBE_SERVICES_MAX = 10  # DescribeServices takes at most 10 services per call


def describe_services(ecs, cluster: str, names: list[str]) -> dict[str, dict]:
    """ECS service name -> description (services ECS does not know are left out)."""
    found = {}
    for start in range(0, len(names), DESCRIBE_SERVICES_MAX):
        for svc in ecs.describe_services(cluster=cluster, services=names[start:start + DESCRIBE_SERVICES_MAX])[
                "services"]:
            found[svc["serviceName"]] = svc
    return found


def service_lines(name: str, entry: dict, svc: dict | None, cluster: str) -> list[str]:
    """Running/desired counts and the deployments of one service."""
    rolling = ", rolling" if entry["access"] == "public" and entry["deployment"] == "rolling" else ""
    head = f"service {name} ({entry['access']}{rolling})"
    if svc is None:
        return [f"{head}: ECS service {entry['serviceName']} not found in cluster {cluster}"]
    lines = [f"{head}: running {svc['runningCount']} / desired {svc['desiredCount']} "
             f"(pending {svc.get('pendingCount', 0)})"]
    for dep in svc.get("deployments", []):
        task_def = dep.get("taskDefinition", "?").rsplit("/", 1)[-1]
        rollout = f", rollout {dep['rolloutState']}" if dep.get("rolloutState") else ""
        lines.append(f"  deployment {dep['id']}: {dep['status']}{rollout}, task definition {task_def}, "
                     f"running {dep.get('runningCount', 0)} / desired {dep.get('desiredCount', 0)}")
    return lines


def route_lines(elb, traffic: RouteTraffic) -> list[str]:
    """`route 1 (/*): rule 100: blue 100 / green 0 (live: blue)` and the health of both target groups."""
    live = L.live_target(traffic.weights)
    where = f"live: {L.tg_label(live, traffic.route.labels)}" if live else "split"
    lines = [f"  {traffic.route.label}: rule {traffic.rule['Priority']}: {traffic.fmt()} ({where})"]
    labels = traffic.route.labels
    for arn, label in labels.items():
        healthy, total = health(elb, arn)
        lines.append(f"    target group{f' {label}' if len(labels) > 1 else ''}: {healthy}/{total} healthy")
    return lines


def maintenance_lines(found: M.Found, production: dict[str, dict[str, int]],
                      labels: dict[str, dict[str, str]]) -> list[str]:
    """The maintenance state, and a warning per bypass rule that lags behind its route's production weights."""
    lines = M.state_lines(found)
    for rule in M.stale_bypass(found, production):
        arn = found.route_of(rule)
        lines.append(f"warning: maintenance bypass rule {L.priority_of(rule)} does not forward with its route's "
                     f"production weights ({L.fmt_weights(production[arn], labels[arn])}); run maintenance off, "
                     "then on")
    return lines


def status(aws, outputs: dict, only: str | None) -> None:
    """Print the status report (every service, or only one)."""
    services = outputs["services"]
    chosen = [pick_service(outputs, only)] if only else list(services)
    elb, ecs, cluster = aws.client("elbv2"), aws.client("ecs"), outputs["clusterName"]
    described = describe_services(ecs, cluster, [services[name]["serviceName"] for name in chosen])
    production, labels = {}, {}
    for name in chosen:
        entry = services[name]
        for line in service_lines(name, entry, described.get(entry["serviceName"]), cluster):
            print(line)
        for traffic in read_traffic(elb, routes_of(outputs, name)):
            production[traffic.route.production_rule] = traffic.weights
            labels[traffic.route.production_rule] = traffic.route.labels
            for line in route_lines(elb, traffic):
                print(line)
    for line in maintenance_lines(M.current(elb, outputs["httpsListenerArn"]), production, labels):
        print(line)

