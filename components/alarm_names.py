"""Names of the alarms, and the ones a public service's deployments watch: fixed strings derived from the prefix
and the service name, so a service names its deployment alarms before the alarms component declares them."""

# PutMetricAlarm AlarmName: 1-255 characters (CloudWatch API reference, PutMetricAlarm).
ALARM_NAME_MAX = 255
DEPLOYMENT_ALARM_KEYS = ("response-time", "error-rate", "unhealthy-hosts")


def alarm_name(prefix: str, key: str, level: str) -> str:
    """`<prefix>-<key>-<level>`, e.g. `nodeapi-prod-web-error-rate-critical`; refused past CloudWatch's limit."""
    name = f"{prefix}-{key}-{level}"
    if len(name) > ALARM_NAME_MAX:
        raise ValueError(f"alarm name {name!r} is {len(name)} characters; CloudWatch allows {ALARM_NAME_MAX}: "
                         "shorten the app name or the service name")
    return name


def deployment_alarm_names(prefix: str, service: str) -> list[str]:
    """A public service's critical response-time, 5xx error-rate and unhealthy-host alarms: one in ALARM during
    that service's deployment (or its bake time) makes ECS roll back that service, and only that one."""
    return [alarm_name(prefix, f"{service}-{key}", "critical") for key in DEPLOYMENT_ALARM_KEYS]
