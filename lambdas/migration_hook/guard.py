"""No silent redeploy of a task definition revision that ECS rolled back.

After a rollback ECS runs the previous revision, while Pulumi's state still names the rolled-back task definition;
a `pulumi refresh` followed by `pulumi up` (or any UpdateService with that task definition) would deploy it again
without anyone deciding to. At PRE_SCALE_UP, before any migration or green task, the hook looks up this service's
deployments that ended in a rollback (ListServiceDeployments, their target revisions' task definitions) and
answers FAILED when the new revision's task definition is one of them, unless its revision number is listed in
ALLOW_ROLLED_BACK_REVISIONS (`services.<name>.public.allowRolledBackRevisions`). A FAILED hook at PRE_SCALE_UP rolls
back before any green task starts, so refusing costs nothing.
"""

ROLLED_BACK = ["ROLLBACK_REQUESTED", "ROLLBACK_IN_PROGRESS", "ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED"]
PAGE_SIZE = 20  # DescribeServiceRevisions takes at most 20 ARNs
MAX_PAGES = 5  # the 100 most recent rolled-back deployments are plenty


def revision_number(task_definition_arn: str) -> int | None:
    """`...:task-definition/<family>:<revision>` -> revision."""
    tail = task_definition_arn.rsplit(":", 1)[-1]
    return int(tail) if tail.isdigit() else None


def parse_allowed(raw: str | None) -> frozenset:
    """ALLOW_ROLLED_BACK_REVISIONS: comma-separated revision numbers."""
    values = [part.strip() for part in (raw or "").split(",") if part.strip()]
    bad = [value for value in values if not value.isdigit()]
    if bad:
        raise ValueError(f"ALLOW_ROLLED_BACK_REVISIONS must be comma-separated revision numbers, got {raw!r}")
    return frozenset(int(value) for value in values)


def rolled_back_deployments(ecs, cluster: str, service_arn: str) -> dict[str, str]:
    """Target revision ARN -> deployment ARN of this service's deployments that ended in a rollback."""
    found, token = {}, None
    for _ in range(MAX_PAGES):
        response = ecs.list_service_deployments(cluster=cluster, service=service_arn, status=ROLLED_BACK,
                                                maxResults=PAGE_SIZE, **({"nextToken": token} if token else {}))
        for brief in response.get("serviceDeployments") or []:
            if brief.get("targetServiceRevisionArn"):
                found[brief["targetServiceRevisionArn"]] = brief.get("serviceDeploymentArn", "")
        token = response.get("nextToken")
        if not token:
            break
    return found


def rolled_back_task_definitions(ecs, cluster: str, service_arn: str) -> dict[str, str]:
    """Task definition ARN -> the deployment ARN that rolled it back."""
    deployments = rolled_back_deployments(ecs, cluster, service_arn)
    arns = sorted(deployments)
    result = {}
    for start in range(0, len(arns), PAGE_SIZE):
        response = ecs.describe_service_revisions(serviceRevisionArns=arns[start:start + PAGE_SIZE])
        for revision in response.get("serviceRevisions") or []:
            result[revision["taskDefinition"]] = deployments.get(revision.get("serviceRevisionArn"), "")
    return result


def task_definitions_of(ecs, revision_arns: list[str]) -> set[str]:
    """The task definitions of service revisions."""
    found = set()
    for start in range(0, len(revision_arns), PAGE_SIZE):
        response = ecs.describe_service_revisions(serviceRevisionArns=revision_arns[start:start + PAGE_SIZE])
        found |= {revision["taskDefinition"] for revision in response.get("serviceRevisions") or []}
    return found


def refusal(ecs, cluster: str, service_arn: str, task_definition: str, allowed: frozenset,
            serving: list[str]) -> str | None:
    """Why this task definition must not be deployed again (None: it may). `serving`: the revisions that carry
    production traffic now; their task definition is running code, whatever a rollback of a service-only change
    (network, alarms) says."""
    if revision_number(task_definition) in allowed:
        return None
    rolled_back = rolled_back_task_definitions(ecs, cluster, service_arn)
    if task_definition not in rolled_back or task_definition in task_definitions_of(ecs, sorted(serving)):
        return None
    return (f"{task_definition} was rolled back by ECS ({rolled_back[task_definition]}); deploy a new revision, "
            f"or list {revision_number(task_definition)} in allowRolledBackRevisions to deploy it again on purpose")
