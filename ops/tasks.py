"""`run NAME -- COMMAND...`: one task from a service's current task definition (or a job's), command overridden.

The task runs in the service's private subnets and security groups without a public IP, on Fargate (not Spot:
a data fix should not be reclaimed half-way). The command waits, streams the task's log lines, and exits with
the container's exit code, like `docker compose run`.
"""

import sys
import time
from collections.abc import Callable

from ops.errors import ExitWith, Failed, UsageError
from ops.interrupt import shielded
from ops.logs import LogSource, Tail, awslogs_source, running_task_definition, task_definition
from ops.outputs import pick_service
from ops.progress import fmt_elapsed

STARTED_BY = "ops-run"  # RunTask startedBy: find these tasks with `aws ecs list-tasks --started-by ops-run`
DRAIN_POLLS = 2  # log reads after the task stopped: CloudWatch Logs shows the last lines a moment later


def target(aws, outputs: dict, name: str | None) -> tuple[str, dict, str]:
    """(label, outputs entry, task definition ARN or family) of a service or a job."""
    services, jobs = outputs["services"], outputs["jobs"]
    if name in jobs and name not in services:
        return f"job {name}", jobs[name], jobs[name]["taskFamily"]
    if name is not None and name not in services:
        raise UsageError(f"no service or job named {name!r}; services: {', '.join(services)}; "
                         f"jobs: {', '.join(jobs) or 'none'}")
    service = pick_service(outputs, name, "NAME")
    entry = outputs["services"][service]
    arn = running_task_definition(aws.client("ecs"), outputs["clusterName"], entry["serviceName"])
    return f"service {service}", entry, arn


def run_args(outputs: dict, entry: dict, task_def: str, command: list[str]) -> dict:
    """RunTask parameters: one Fargate task, private networking, the command on the entry's container."""
    args = {"cluster": outputs["clusterName"], "taskDefinition": task_def, "count": 1, "launchType": "FARGATE",
            # Propagated tags need ecs:TagResource too (ECS developer guide, "Grant permission to tag resources on
            # creation").
            "startedBy": STARTED_BY, "propagateTags": "TASK_DEFINITION",
            "networkConfiguration": {"awsvpcConfiguration": {
                "subnets": entry["subnetIds"], "securityGroups": entry["securityGroupIds"],
                "assignPublicIp": "DISABLED"}}}
    if command:
        args["overrides"] = {"containerOverrides": [{"name": entry["containerName"], "command": command}]}
    return args


def start(ecs, args: dict, started: list[dict]) -> dict:
    """RunTask; Failed with ECS's reason when it places no task. The task is appended to `started` as soon as it
    exists (an interruption during the call is raised after that)."""
    with shielded("starting the task"):
        response = ecs.run_task(**args)
        started += response.get("tasks", [])[:1]
    if response.get("failures") or not response.get("tasks"):
        reasons = "; ".join(f"{f.get('arn', '?')}: {f.get('reason', '?')}" for f in response.get("failures", []))
        raise Failed(f"ECS did not start the task ({reasons or 'no task returned'})")
    return response["tasks"][0]


def describe_task(ecs, cluster: str, arn: str) -> dict:
    """The task's description now."""
    found = ecs.describe_tasks(cluster=cluster, tasks=[arn])["tasks"]
    if not found:
        raise Failed(f"task {arn} not found in cluster {cluster}")
    return found[0]


def exit_code(task: dict, container: str) -> int:
    """The container's exit code; Failed when it never ran (image pull, secrets, capacity...)."""
    found = [c for c in task.get("containers", []) if c.get("name") == container]
    code = found[0].get("exitCode") if found else None
    if code is None:
        reason = found[0].get("reason") if found else None
        why = "; ".join(filter(None, [task.get("stoppedReason"), reason])) or "no reason given"
        raise Failed(f"task {task['taskArn']} stopped without running its container {container} ({why})")
    return int(code)


def leave_running(outputs: dict, arn: str, source: LogSource) -> None:
    """Interrupted: the task keeps running; say how to stop it and where its lines go."""
    print(f"task {arn} keeps running; stop it with: aws ecs stop-task --cluster {outputs['clusterName']} "
          f"--task {arn}", file=sys.stderr)
    print(f"its log lines: log group {source.group}, stream {source.stream_prefix}{arn.rsplit('/', 1)[-1]}",
          file=sys.stderr)


def run(aws, outputs: dict, name: str | None, command: list[str], wait: bool, poll: float,
        clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] | None = None) -> None:
    """Start the task; with wait, follow it to the end and exit with its container's exit code."""
    label, entry, task_def = target(aws, outputs, name)
    if not command and label.startswith("service"):
        raise UsageError(f"{label} needs a command: python -m ops run NAME -- COMMAND... (a copy of the "
                         "service's own command would just serve traffic nowhere)")
    ecs = aws.client("ecs")
    definition = task_definition(ecs, task_def)  # a family means its latest revision: pin the one described
    source = awslogs_source(label, definition, entry["containerName"])
    started: list[dict] = []
    try:
        task = start(ecs, run_args(outputs, entry, definition["taskDefinitionArn"], command), started)
        arn = task["taskArn"]
        if not wait:
            print(arn)
            return
        print(f"started task {arn} ({label}, {definition['taskDefinitionArn'].rsplit('/', 1)[-1]}); Ctrl-C leaves "
              "it running", file=sys.stderr)
        stream = LogSource(label, source.group, f"{source.stream_prefix}{arn.rsplit('/', 1)[-1]}")
        task = follow(ecs, outputs["clusterName"], arn, Tail(aws.client("logs"), stream, 0), poll, clock,
                      sleep or time.sleep)
    except BaseException:
        if started:
            leave_running(outputs, started[0]["taskArn"], source)
        raise
    code = exit_code(task, entry["containerName"])
    print(f"task {arn.rsplit('/', 1)[-1]} exited with code {code}", file=sys.stderr)
    if code:
        raise ExitWith(code)


def follow(ecs, cluster: str, arn: str, tail: Tail, poll: float, clock, sleep) -> dict:
    """Print state changes and log lines until the task stops; its final description."""
    started, last = clock(), None
    while True:
        task = describe_task(ecs, cluster, arn)
        if task.get("lastStatus") != last:
            last = task.get("lastStatus")
            print(f"[{fmt_elapsed(clock() - started)}] task {arn.rsplit('/', 1)[-1]} {last}", file=sys.stderr,
                  flush=True)
        tail.poll()
        if last == "STOPPED":
            for _ in range(DRAIN_POLLS):
                sleep(poll)
                tail.poll()
            return task
        sleep(poll)
