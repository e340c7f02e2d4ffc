"""The stack outputs contract (docs/outputs.md): what `pulumi stack output --json` gives ops and CI."""

import pulumi

from settings.model import StackSettings

from .app import App
from .edge import Edge


def service_outputs(settings: StackSettings, app: App, edge: Edge | None, subnet_ids: list,
                    app_group_id: pulumi.Input[str], group_ids: dict) -> dict:
    """`services.<name>`: everything an operator command needs to find, reach and deploy one service."""
    result = {}
    for name, service in sorted(app.services.items()):
        access = settings.services[name].access
        routes = [{
            "hosts": list(r.spec.hosts), "paths": list(r.spec.paths) or ["/*"],
            "productionListenerRuleArn": r.production_rule.arn, "blueTargetGroupArn": r.blue.arn,
            **({"testListenerRuleArn": r.test_rule.arn, "greenTargetGroupArn": r.green.arn} if r.green else {}),
        } for r in (edge.routes.get(name, []) if edge else [])]
        entry = {
            "serviceName": service.service_name, "access": access, "taskFamily": service.task.family,
            "containerName": name, "logGroupName": service.log_group_name, "subnetIds": subnet_ids,
            "securityGroupIds": [app_group_id, group_ids[name]], "execEnabled": settings.exec_enabled(name),
            "deployment": "blue-green" if routes and not settings.single_writer(name) else "rolling",
            "routes": routes,
        }
        if service.migration_hook is not None:
            entry["migrationLogGroupName"] = service.migration_hook.log_group.name
        result[name] = entry
    return result


def job_outputs(settings: StackSettings, app: App, subnet_ids: list, app_group_id, group_ids: dict) -> dict:
    """`jobs.<name>`: the task a schedule runs, for `ops logs` and `ops run`."""
    return {name: {
        "taskFamily": job.task.family, "containerName": f"job-{name}", "logGroupName": job.log_group_name,
        "scheduleName": job.schedule_name, "subnetIds": subnet_ids,
        "securityGroupIds": [app_group_id, group_ids[settings.jobs[name].service]],
    } for name, job in sorted(app.jobs.items())}


def export_all(values: dict) -> None:
    """`pulumi.export` each key, in order."""
    for key, value in values.items():
        pulumi.export(key, value)
