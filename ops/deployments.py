"""ECS service deployments (ECS-native blue/green): find the active one, stop it with rollback."""

from dataclasses import dataclass

from botocore.exceptions import ClientError

from ops.errors import error_text

ACTIVE_STATUSES = ["PENDING", "IN_PROGRESS"]
# Stages before production traffic moves: the production listener rule still points at the old revision.
BEFORE_PRODUCTION_SHIFT = frozenset({"RECONCILE_SERVICE", "PRE_SCALE_UP", "SCALE_UP", "POST_SCALE_UP",
                                     "TEST_TRAFFIC_SHIFT", "POST_TEST_TRAFFIC_SHIFT"})


@dataclass(frozen=True)
class Deployment:
    """An active ECS service deployment."""

    arn: str
    status: str
    stage: str | None

    @property
    def traffic_not_shifted(self) -> bool:
        """Whether production traffic has not moved to the new revision yet."""
        return self.stage is None or self.stage in BEFORE_PRODUCTION_SHIFT


def active(ecs, cluster: str, service: str) -> Deployment | None:
    """The service's pending or in-progress deployment, if any."""
    listed = ecs.list_service_deployments(cluster=cluster, service=service, status=ACTIVE_STATUSES)
    arns = [d["serviceDeploymentArn"] for d in listed.get("serviceDeployments", [])]
    if not arns:
        return None
    described = ecs.describe_service_deployments(serviceDeploymentArns=arns[:1]).get("serviceDeployments", [])
    if not described:  # finished between the two calls
        return None
    found = described[0]
    return Deployment(found["serviceDeploymentArn"], found.get("status", "?"), found.get("lifecycleStage"))


def find_active(ecs, cluster: str, service: str) -> tuple[Deployment | None, str | None]:
    """The active deployment, or why it cannot be known (the API refused)."""
    try:
        return active(ecs, cluster, service), None
    except ClientError as error:
        return None, f"cannot list ECS service deployments of {service} ({error_text(error)})"


def stop_with_rollback(ecs, deployment: Deployment) -> str | None:
    """Ask ECS to stop a deployment and roll back; an error text if ECS refuses."""
    try:
        ecs.stop_service_deployment(serviceDeploymentArn=deployment.arn, stopType="ROLLBACK")
    except ClientError as error:
        return error_text(error)
    return None
