"""Names of the alarms the web service's deployments watch: fixed strings, so the service can name them
before the alarms component (which needs the service's target groups) declares them."""

DEPLOYMENT_ALARM_KEYS = ("response-time", "error-rate", "unhealthy-hosts")


def alarm_name(prefix: str, key: str, level: str) -> str:
    """`<prefix>-<key>-<level>`, e.g. `nodeapi-prod-error-rate-critical`."""
    return f"{prefix}-{key}-{level}"


def deployment_alarm_names(prefix: str, service: str) -> list[str]:
    """A public service's critical response-time, error-rate and unhealthy-host alarms: a bad deploy of that
    service trips one and ECS rolls back that service only."""
    return [alarm_name(f"{prefix}-{service}", key, "critical") for key in DEPLOYMENT_ALARM_KEYS]
