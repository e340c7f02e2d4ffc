"""The data tier as the playbooks ask for it: each one's data settings render, with the features it needs."""

import json

from tests.data_tier_graph import with_changes
from tests.helpers import one, resources, stack_settings

PROD = stack_settings("prod")


def test_003_equoria_postgres_15_a_database_url_a_minimal_user_and_no_redis():
    graph = with_changes("prod", database={**PROD["database"], "engineVersion": "15", "dbName": "equoria"},
                         cache=None)
    wiring = graph["outputs"]["wiring:all"]
    assert wiring["secrets"]["DATABASE_URL"].endswith("/db-app-AbCdEf:url::")
    assert not [name for name in {**wiring["environment"], **wiring["secrets"]} if name.startswith("REDIS")]
    assert one(graph, "aws:rds/parameterGroup:ParameterGroup")["inputs"]["family"] == "postgres15"
    assert json.loads(graph["outputs"]["appSecretFirstValue"])["url"].startswith("postgresql://app_1:")
    assert not resources(graph, "aws:elasticache/replicationGroup:ReplicationGroup")


def test_004_fantasy_api_tuning_replicas_file_storage_and_six_hourly_backups():
    graph = with_changes(
        "prod",
        database={**PROD["database"], "engineVersion": "15", "readReplicas": {"count": 1},
                  "parameters": {"max_connections": 200, "shared_buffers": "32768", "work_mem": "4MB"}},
        backups={**PROD["backups"], "planSchedule": "cron(0 */6 * * ? *)",
                 "dump": {"schedule": "cron(30 */6 * * ? *)"}},
        storage={"buckets": {"files": {"services": ["web"], "versioned": True, "backup": True}}})
    parameters = {p["name"]: (p["value"], p["applyMethod"])
                  for p in one(graph, "aws:rds/parameterGroup:ParameterGroup")["inputs"]["parameters"]}
    assert parameters["max_connections"] == ("200", "pending-reboot")
    assert parameters["work_mem"] == ("4MB", "immediate")
    assert graph["outputs"]["dbReplicaIdentifiers"] == ["nodeapi-prod-replica-1"]
    assert "DATABASE_READ_URL" in graph["outputs"]["wiring:all"]["secrets"]
    assert graph["outputs"]["wiring:web"]["environment"]["FILES_BUCKET"] == "nodeapi-prod-files-123456789012-us-east-1"
    assert one(graph, "aws:backup/plan:Plan")["inputs"]["rules"][0]["schedule"] == "cron(0 */6 * * ? *)"
    assert "arn:aws:s3:::nodeapi-prod-files-123456789012-us-east-1" in one(
        graph, "aws:backup/selection:Selection", "backup-plan-selection")["inputs"]["resources"]


def test_000_hearthstone_an_ephemeral_redis_in_production():
    graph = with_changes("prod", cache={"nodeType": "cache.t4g.micro", "ephemeral": True})
    group = one(graph, "aws:elasticache/replicationGroup:ReplicationGroup")["inputs"]
    assert (group["numCacheClusters"], group["snapshotRetentionLimit"], "finalSnapshotIdentifier" in group) == (
        1, 0, False)
    assert graph["outputs"]["wiring:all"]["secrets"]["REDIS_URL"].endswith("/cache-url-AbCdEf")


def test_002_no_redis():
    graph = with_changes("staging", cache={"enabled": False})
    assert not [r for r in graph["resources"] if r["type"].startswith("aws:elasticache/")]
