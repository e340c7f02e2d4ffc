"""A single-writer service with an EFS volume, wired into a real stack (Hearthstone's SQLite files)."""

import functools

from tests.conftest import graph_with
from tests.helpers import mock_state, one, parsed, resources, settings_error, stack_settings

SERVICE = "aws:ecs/service:Service"
VOLUME = {"mounts": {"data": "/app/server/data"}, "singleWriter": True, "acceptSingleTaskInProduction": True}


@functools.lru_cache(maxsize=None)
def prod_single_writer() -> dict:
    raw = stack_settings("prod")
    web = {k: v for k, v in raw["services"]["web"].items() if k != "scaling"}
    web["public"] = {k: v for k, v in web["public"].items() if k != "migrations"}
    return graph_with("prod", services={**raw["services"], "web": {**web, "volume": VOLUME}})


def test_single_writer_runs_one_task_stopped_before_its_replacement_starts():
    graph = prod_single_writer()
    web = one(graph, SERVICE, "web")
    inputs = web["inputs"]
    assert (inputs["desiredCount"], inputs["deploymentMinimumHealthyPercent"], inputs["deploymentMaximumPercent"],
            inputs["deploymentConfiguration"], inputs["availabilityZoneRebalancing"]) == (
        1, 0, 100, {"strategy": "ROLLING"}, "DISABLED")
    blue = mock_state(graph, "aws:lb/targetGroup:TargetGroup", "load-balancer-web-blue")["arn"]
    assert inputs["loadBalancers"] == [{"targetGroupArn": blue, "containerName": "web", "containerPort": 3000}]
    assert inputs["alarms"]["rollback"] is True and len(inputs["alarms"]["alarmNames"]) == 3
    assert not [r for r in resources(graph, "aws:appautoscaling/target:Target") if r["name"] == "web-scaling"]
    assert not [r for r in resources(graph, "aws:lb/targetGroup:TargetGroup") if r["name"].endswith("web-green")]
    # the service waits for the mount targets and the file system policy
    depends = {urn.rsplit("::", 1)[1] for urn in web["options"]["dependsOn"]}
    assert {"volume-web-policy"} <= depends and any(d.startswith("volume-web-") and "mount" in d for d in depends)


def test_volume_is_mounted_encrypted_and_backed_up():
    graph = prod_single_writer()
    task = one(graph, "aws:ecs/taskDefinition:TaskDefinition", "web-task")["inputs"]
    fs = mock_state(graph, "aws:efs/fileSystem:FileSystem", "volume-web")
    efs_volumes = [v for v in task["volumes"] if "efsVolumeConfiguration" in v]
    assert len(efs_volumes) == 1
    assert efs_volumes[0]["efsVolumeConfiguration"]["transitEncryption"] == "ENABLED"
    container = parsed(task["containerDefinitions"])[0]
    assert {"sourceVolume": efs_volumes[0]["name"], "containerPath": "/app/server/data", "readOnly": False} in \
        container["mountPoints"]
    selection = one(graph, "aws:backup/selection:Selection")["inputs"]
    assert fs["arn"] in selection["resources"]
    assert one(graph, "aws:efs/fileSystem:FileSystem", "volume-web")["options"]["protect"] is True


def test_production_needs_the_acknowledgement():
    def change(raw):
        web = raw["services"]["web"]
        web.pop("scaling")
        web["public"].pop("migrations")
        web["volume"] = {"mounts": {"data": "/app/server/data"}, "singleWriter": True}
    lines = settings_error("prod", change).splitlines()[1:]
    assert len(lines) == 1 and lines[0].startswith(
        "  services.web.volume.acceptSingleTaskInProduction: got false; production runs a single-writer service "
        "only when you accept its trade-off")


def test_single_writer_refuses_migrations_and_more_tasks():
    def change(raw):
        raw["services"]["web"]["volume"] = VOLUME
    assert settings_error("prod", change).splitlines()[1:] == [
        "  services.web.scaling.desiredCount: got 2; must be 1: the service's volume is singleWriter (exactly one "
        "task writes its files; no autoscaling)",
        "  services.web.scaling.minCount: got 2; must be 1: the service's volume is singleWriter (exactly one task "
        "writes its files; no autoscaling)",
        "  services.web.scaling.maxCount: got 6; must be 1: the service's volume is singleWriter (exactly one task "
        "writes its files; no autoscaling)",
        "  services.web.public.migrations: got 'set'; a single-writer service cannot run a migration task beside "
        "its one writer (the hook would start a second copy); migrate in the start command",
    ]
