"""ECS service deployments (ECS-native blue/green): find the active one, stop it with rollback."""

from dataclasses import dataclass

from botocore.exceptions import ClientError

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


def error_text(error: ClientError) -> str:
    """`Code: message` of a ClientError."""
    info = error.response.get("Error", {})
    return f"{info.get('Code', 'Error')}: {info.get('Message', str(error))}"


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
    """The active deployment, or a warning when the API refuses (rollback then shifts traffic only)."""
    try:
        return active(ecs, cluster, service), None
    except ClientError as error:
        return None, f"warning: cannot list ECS service deployments ({error_text(error)}); none will be stopped"


def stop_with_rollback(ecs, deployment: Deployment) -> str | None:
    """Ask ECS to stop a deployment and roll back; an error text if ECS refuses."""
    try:
        ecs.stop_service_deployment(serviceDeploymentArn=deployment.arn, stopType="ROLLBACK")
    except ClientError as error:
        return error_text(error)
    return None
