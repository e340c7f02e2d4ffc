"""`exec NAME [-- COMMAND]`: an interactive session in a running task through ECS Exec (`docker compose exec`).

ECS Exec opens the session (ExecuteCommand); the Session Manager plugin carries it, invoked the way the AWS
CLI's `aws ecs execute-command` invokes it. The service must have exec turned on in the stack settings
(`execEnabled` output); the cluster logs every session to the encrypted `execLogGroupName` log group.
"""

import json
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable

from ops.errors import ExitWith, Failed, Refused, UsageError
from ops.interrupt import ignored
from ops.outputs import pick_service

PLUGIN = "session-manager-plugin"
INSTALL_URL = ("https://docs.aws.amazon.com/systems-manager/latest/userguide/"
               "session-manager-working-with-install-plugin.html")
DEFAULT_COMMAND = "/bin/sh"  # Alpine and Debian Node.js images both have sh; bash is not always there


def exec_agent_running(task: dict, container: str) -> bool:
    """Whether the container's ExecuteCommandAgent is running (ECS Exec can open a session)."""
    for found in task.get("containers", []):
        if found.get("name") == container:
            return any(agent.get("name") == "ExecuteCommandAgent" and agent.get("lastStatus") == "RUNNING"
                       for agent in found.get("managedAgents", []))
    return False


def running_tasks(ecs, cluster: str, ecs_service: str) -> list[dict]:
    """The service's running tasks (its task group is `service:<name>`)."""
    arns = ecs.list_tasks(cluster=cluster, serviceName=ecs_service, desiredStatus="RUNNING").get("taskArns", [])
    if not arns:
        return []
    found = ecs.describe_tasks(cluster=cluster, tasks=arns[:100])["tasks"]
    return [t for t in found if t.get("lastStatus") == "RUNNING" and t.get("group") == f"service:{ecs_service}"]


def choose_task(tasks: list[dict], container: str, wanted: str | None, roll_hint: str) -> dict:
    """The task to open the session in: the one asked for, else the first that accepts ECS Exec."""
    if wanted:
        tasks = [t for t in tasks if t["taskArn"] == wanted or t["taskArn"].rsplit("/", 1)[-1] == wanted]
        if not tasks:
            raise UsageError(f"no running task {wanted} in the service")
    if not tasks:
        raise Failed("the service has no running task")
    ready = [t for t in tasks if t.get("enableExecuteCommand") and exec_agent_running(t, container)]
    if not ready:
        raise Refused(f"refused: no running task of the service accepts ECS Exec yet (tasks started before exec "
                      f"was turned on do not); start new ones with: {roll_hint}")
    return ready[0]


def runtime_id(task: dict, container: str) -> str:
    """The container's runtime id (part of the Session Manager target)."""
    return next(c["runtimeId"] for c in task["containers"] if c["name"] == container)


def plugin_args(plugin: str, session: dict, region: str, profile: str, target: str, endpoint: str) -> list[str]:
    """The Session Manager plugin's arguments, as `aws ecs execute-command` passes them."""
    return [plugin, json.dumps(session), region, "StartSession", profile, json.dumps({"Target": target}), endpoint]


def run_plugin(args: list[str]) -> int:
    """Run the plugin in the foreground: Ctrl-C belongs to the remote shell (the plugin forwards it); SIGTERM to
    this command ends the plugin too instead of orphaning it."""
    with ignored():
        plugin = subprocess.Popen(args)
        try:
            return plugin.wait()
        except BaseException:
            plugin.terminate()
            plugin.wait()
            raise


def exec_session(aws, outputs: dict, name: str | None, command: list[str], task_id: str | None,
                 which: Callable[[str], str | None] = shutil.which,
                 call: Callable[[list[str]], int] = run_plugin) -> None:
    """Open the session; the plugin's exit code becomes the command's."""
    service = pick_service(outputs, name, "NAME")
    entry, cluster = outputs["services"][service], outputs["clusterName"]
    if not entry["execEnabled"]:
        raise Refused(f"refused: ECS Exec is off for service {service} (execEnabled is false); turn it on for this "
                      "service in the stack settings and run pulumi up, then try again")
    plugin = which(PLUGIN)
    if plugin is None:
        raise UsageError(f"the Session Manager plugin ({PLUGIN}) is not installed or not on PATH; install it "
                         f"as described in {INSTALL_URL} (macOS: brew install --cask session-manager-plugin)")
    ecs, container = aws.client("ecs"), entry["containerName"]
    roll = f"aws ecs update-service --cluster {cluster} --service {entry['serviceName']} --force-new-deployment"
    task = choose_task(running_tasks(ecs, cluster, entry["serviceName"]), container, task_id, roll)
    line = shlex.join(command) if command else DEFAULT_COMMAND
    response = ecs.execute_command(cluster=cluster, task=task["taskArn"], container=container, interactive=True,
                                   command=line)
    task_id = task["taskArn"].rsplit("/", 1)[-1]
    target = f"ecs:{cluster}_{task_id}_{runtime_id(task, container)}"
    print(f"{service}: task {task_id}, container {container}: {line} (session logged to "
          f"{outputs['execLogGroupName']})", file=sys.stderr)
    args = plugin_args(plugin, response["session"], aws.region, aws.profile, target, ecs.meta.endpoint_url)
    code = call(args)
    if code:
        raise ExitWith(code)
