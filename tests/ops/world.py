"""A stack's AWS resources built in moto, and its outputs (keys as in docs/outputs.md).

The read-only base (VPC, subnets, certificate, backup KMS key, vaults) is built once per session; each test
gets its own uniquely named load balancer, services, database and bucket, so tests never see each other's
state and the server needs no reset (after a reset, re-initialising moto's backends and rebuilding the base
cost ~0.3 s a test).
"""

import functools
import itertools
import json
from dataclasses import dataclass, field

import boto3
import botocore.loaders
import botocore.session

REGION = "eu-west-1"
BACKUP_REGION = "eu-central-1"
ACCOUNT = "123456789012"
ADMIN_PATHS = ["/admin/*", "/internal/health"]
ALLOWED_CIDRS = ["203.0.113.0/24", "198.51.100.7/32"]
LOG_PREFIX = "ecs"  # awslogs-stream-prefix of every container
# Secret values: tests assert none of them ever appears in any output.
JWT_VALUE = "jwt-original-value-0123456789abcdefghijklmnopqrstuvwxyz"
STRIPE_VALUE = "sk_live_stripe-original-value-42"
DB_PASSWORD = "db-password-never-shown-7"
_numbers = itertools.count(1)
LOADER = botocore.loaders.create_loader()  # shared by every client of the tests: models are parsed once


@dataclass(frozen=True)
class Service:
    """A service of the fake app: access, routes (hosts, paths), secrets it receives, migrations, exec, and
    whether it deploys rolling (single-writer state: one target group per route, no test rule)."""

    access: str = "none"
    routes: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = ()
    secrets: tuple[str, ...] = ("JWT_SECRET", "DATABASE_PASSWORD")
    migrations: bool = False
    exec_enabled: bool = False
    rolling: bool = False

    @property
    def deployment(self) -> str:
        """As components/stack_outputs.py says it: blue-green for public services without single-writer state."""
        return "blue-green" if self.routes and not self.rolling else "rolling"


# The default app: one public web service with one route, a queue worker, an analytics job.
APP = {"web": Service("public", (((), ("/*",)),), ("JWT_SECRET", "STRIPE_KEY", "DATABASE_PASSWORD"), True, True),
       "worker": Service()}
JOBS = {"analytics": ("JWT_SECRET", "DATABASE_PASSWORD")}


def _fake_session() -> boto3.Session:
    """A session with fake credentials and the shared loader, independent of the environment."""
    core = botocore.session.Session()
    core.register_component("data_loader", LOADER)
    return boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", botocore_session=core)


SESSION = _fake_session()


@dataclass
class World:
    """Outputs of one fake stack, and clients to inspect it."""

    endpoint: str
    stack: str
    outputs: dict = field(default_factory=dict)
    certificate: str = ""
    secret_arns: dict[str, str] = field(default_factory=dict)

    def client(self, service: str, region: str = REGION):
        """A client of moto (its in-process mock: the state is the server's too)."""
        return client(service, region)

    def service(self, name: str) -> dict:
        """The outputs entry of a service."""
        return self.outputs["services"][name]

    def route(self, name: str, index: int = 0) -> dict:
        """The outputs entry of a service's route."""
        return self.service(name)["routes"][index]


@functools.cache
def client(service: str, region: str):
    """One client per service and region for the whole session."""
    return SESSION.client(service, region_name=region)


def base(endpoint: str) -> dict:
    """Shared, never modified by the commands: network, certificate, backup key and vaults."""
    world = World(endpoint, "base")
    ec2 = world.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})  # as ECS wants (and moto's RunTask)
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{REGION}{az}")
               ["Subnet"]["SubnetId"] for i, az in enumerate("ab")]
    sg = ec2.create_security_group(GroupName="db", Description="db", VpcId=vpc)["GroupId"]
    app_sg = ec2.create_security_group(GroupName="app", Description="app", VpcId=vpc)["GroupId"]
    key = world.client("kms", BACKUP_REGION).create_key(Description="backups")["KeyMetadata"]["Arn"]
    world.client("backup").create_backup_vault(BackupVaultName="nodeapi-vault")
    world.client("backup", BACKUP_REGION).create_backup_vault(BackupVaultName="nodeapi-copy")
    return {"region": REGION, "backupRegion": BACKUP_REGION, "vpcId": vpc, "privateSubnetIds": subnets,
            "isolatedSubnetIds": subnets, "dbSecurityGroupIds": [sg], "backupKmsKeyArn": key,
            "backupVaultName": "nodeapi-vault", "backupCopyVaultName": "nodeapi-copy", "_appSecurityGroup": app_sg,
            "_certificateArn": world.client("acm").request_certificate(DomainName="api.example.com")["CertificateArn"]}


def condition(field_name: str, *values: str) -> dict:
    """A rule condition (host-header, path-pattern or source-ip)."""
    config = {"host-header": "HostHeaderConfig", "path-pattern": "PathPatternConfig",
              "source-ip": "SourceIpConfig"}[field_name]
    return {"Field": field_name, config: {"Values": list(values)}}


def path(*values: str) -> dict:
    """A path-pattern condition."""
    return condition("path-pattern", *values)


def forward(weights: dict[str, int]) -> dict:
    """A weighted forward action."""
    return {"Type": "forward", "ForwardConfig": {
        "TargetGroups": [{"TargetGroupArn": arn, "Weight": w} for arn, w in weights.items()]}}


def route_conditions(hosts: tuple[str, ...], paths: tuple[str, ...]) -> list[dict]:
    """The conditions of a route's rules."""
    return ([condition("host-header", *hosts)] if hosts else []) + ([path(*paths)] if paths else [])


def load_balancer(world: World, app: dict[str, Service]) -> dict:
    """ALB, HTTPS and test listeners; per public route a blue/green pair and its production and test rules."""
    elb, o, name = world.client("elbv2"), world.outputs, world.stack
    alb = elb.create_load_balancer(Name=name, Subnets=o["privateSubnetIds"])["LoadBalancers"][0]["LoadBalancerArn"]
    not_found = [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}]
    https, test = (elb.create_listener(LoadBalancerArn=alb, Protocol="HTTPS", Port=port, DefaultActions=not_found,
                                       Certificates=[{"CertificateArn": world.certificate}])["Listeners"][0][
        "ListenerArn"] for port in (443, 8443))
    priorities = itertools.count(100)
    routes = {}
    for service, spec in app.items():
        routes[service] = []
        colors = ("blue",) if spec.rolling else ("blue", "green")
        for index, (hosts, paths) in enumerate(spec.routes):
            tgs = [elb.create_target_group(Name=f"{name}-{service[:6]}{index}-{color[0]}", Protocol="HTTP", Port=3000,
                                           VpcId=o["vpcId"], TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
                   for color in colors]
            priority = next(priorities)
            weights = dict(zip(tgs, (100, 0)))
            rules = [elb.create_rule(ListenerArn=listener, Priority=priority, Conditions=route_conditions(hosts, paths),
                                     Actions=[forward(weights)])["Rules"][0]["RuleArn"]
                     for listener in ((https,) if spec.rolling else (https, test))]
            route = {"hosts": list(hosts), "paths": list(paths), "productionListenerRuleArn": rules[0],
                     "blueTargetGroupArn": tgs[0]}
            if not spec.rolling:
                route.update(testListenerRuleArn=rules[1], greenTargetGroupArn=tgs[1])
            routes[service].append(route)
    return {"albArn": alb, "albDnsName": f"{name}.elb.example", "httpsListenerArn": https, "testListenerArn": test,
            "maintenanceAdminPaths": ADMIN_PATHS, "maintenanceAllowedCidrs": ALLOWED_CIDRS,
            "maintenanceAdminService": "web" if "web" in routes and routes["web"] else next(
                (s for s, found in routes.items() if found), ""),
            "url": "https://api.example.com"}, routes


def secret_arn(world: World, secret_name: str) -> str:
    """A Secrets Manager ARN as AWS forms it (name plus a 6-character suffix)."""
    return f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{secret_name}-AbCdEf"


def app_secrets(world: World, create: bool) -> dict[str, str]:
    """The app's secrets (as the program tags them) and an RDS-managed one, created in moto or (create False:
    tests that never read them) only named; env var name -> valueFrom."""
    name = world.stack
    if not create:
        world.secret_arns = {"JWT_SECRET": secret_arn(world, f"{name}/jwt-secret"),
                             "STRIPE_KEY": secret_arn(world, f"{name}/stripe-key"),
                             "DATABASE_PASSWORD": secret_arn(world, f"rds!{name}")}
        return {**world.secret_arns, "DATABASE_PASSWORD": f"{world.secret_arns['DATABASE_PASSWORD']}:password::"}
    sm = world.client("secretsmanager")
    jwt = sm.create_secret(Name=f"{name}/jwt-secret", SecretString=JWT_VALUE, Tags=[
        {"Key": "nodeapi:env-name", "Value": "JWT_SECRET"}, {"Key": "nodeapi:generated", "Value": "true"},
        {"Key": "nodeapi:length", "Value": "48"}])["ARN"]
    stripe = sm.create_secret(Name=f"{name}/stripe-key", SecretString=STRIPE_VALUE, Tags=[
        {"Key": "nodeapi:env-name", "Value": "STRIPE_KEY"}, {"Key": "nodeapi:generated", "Value": "false"}])["ARN"]
    db = sm.create_secret(Name=f"rds!{name}", SecretString=json.dumps({"username": "app", "password": DB_PASSWORD}),
                          Tags=[{"Key": "aws:rds:primaryDBInstanceArn", "Value": f"arn:aws:rds:{REGION}:db:{name}"}])
    world.secret_arns = {"JWT_SECRET": jwt, "STRIPE_KEY": stripe, "DATABASE_PASSWORD": db["ARN"]}
    return {"JWT_SECRET": jwt, "STRIPE_KEY": stripe, "DATABASE_PASSWORD": f"{db['ARN']}:password::"}


def task_definition(world: World, family: str, container: str, group: str, secrets: tuple[str, ...],
                    value_from: dict[str, str]) -> str:
    """A Fargate task definition whose container logs to `group` (awslogs) and receives `secrets`."""
    return world.client("ecs").register_task_definition(
        family=family, networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
        containerDefinitions=[{
            "name": container, "image": f"{family}:1", "essential": True, "memory": 512,
            "secrets": [{"name": s, "valueFrom": value_from[s]} for s in secrets],
            "logConfiguration": {"logDriver": "awslogs", "options": {
                "awslogs-group": group, "awslogs-region": REGION, "awslogs-stream-prefix": LOG_PREFIX}}}],
    )["taskDefinition"]["taskDefinitionArn"]


def services(world: World, app: dict[str, Service], jobs: dict[str, tuple[str, ...]], parts: tuple[str, ...]) -> dict:
    """ECS cluster, one service per app entry (desired 2), the jobs' task definitions; with the parts `secrets`
    and `logs`, the secrets and log groups they use."""
    lb, routes = load_balancer(world, app)
    ecs, name, o = world.client("ecs"), world.stack, world.outputs
    ecs.create_cluster(clusterName=name)
    value_from = app_secrets(world, "secrets" in parts)
    network = {"subnetIds": o["privateSubnetIds"], "securityGroupIds": [o["_appSecurityGroup"]]}
    entries = {}
    for service, spec in app.items():
        family = f"{name}-{service}"
        task = task_definition(world, family, service, f"/{name}/{service}", spec.secrets, value_from)
        awsvpc = {"subnets": network["subnetIds"], "securityGroups": network["securityGroupIds"]}
        ecs.create_service(cluster=name, serviceName=family, taskDefinition=task, desiredCount=2, launchType="FARGATE",
                           networkConfiguration={"awsvpcConfiguration": awsvpc})
        entries[service] = {"serviceName": family, "access": spec.access, "deployment": spec.deployment,
                            "taskFamily": family,
                            "containerName": service, "logGroupName": f"/{name}/{service}", **network,
                            "execEnabled": spec.exec_enabled, "routes": routes[service]}
        if spec.migrations:
            entries[service]["migrationLogGroupName"] = f"/{name}/{service}-migrations"
    job_entries = {}
    for job, secrets in jobs.items():
        task_definition(world, f"{name}-{job}", job, f"/{name}/{job}", secrets, value_from)
        job_entries[job] = {"taskFamily": f"{name}-{job}", "containerName": job, "logGroupName": f"/{name}/{job}",
                            "scheduleName": f"{name}-{job}", **network}
    if "logs" in parts:
        groups = [e.get(k) for e in (*entries.values(), *job_entries.values())
                  for k in ("logGroupName", "migrationLogGroupName")]
        for group in filter(None, groups):
            world.client("logs").create_log_group(logGroupName=group)
    return {**lb, "clusterName": name, "execLogGroupName": f"/{name}/exec", "services": entries, "jobs": job_entries}


def database(world: World) -> dict:
    """Subnet group and an encrypted PostgreSQL instance with automated backups."""
    rds, o, name = world.client("rds"), world.outputs, world.stack
    rds.create_db_subnet_group(DBSubnetGroupName=f"{name}-db", DBSubnetGroupDescription="db",
                               SubnetIds=o["isolatedSubnetIds"])
    rds.create_db_instance(DBInstanceIdentifier=name, Engine="postgres", DBInstanceClass="db.t4g.micro",
                           AllocatedStorage=20, MasterUsername="app", MasterUserPassword="not-a-secret",
                           DBSubnetGroupName=f"{name}-db", VpcSecurityGroupIds=o["dbSecurityGroupIds"],
                           BackupRetentionPeriod=7, StorageEncrypted=True)
    return {"dbInstanceIdentifier": name, "dbSubnetGroupName": f"{name}-db", "dbEndpoint": f"{name}.example:5432"}


def dump_bucket(world: World) -> dict:
    """The (empty) bucket of logical dumps."""
    bucket = f"{world.stack}-backups"
    world.client("s3").create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    return {"backupBucketName": bucket}


PARTS = ("app", "secrets", "logs", "data")  # secrets and logs only with app


def build(endpoint: str, shared: dict, parts: tuple[str, ...] = PARTS, app: dict[str, Service] | None = None,
          jobs: dict[str, tuple[str, ...]] | None = None) -> World:
    """A new fake stack on top of the shared base, with only the parts a test needs (each moto call costs)."""
    outputs = dict(shared)
    world = World(endpoint, f"nodeapi-t{next(_numbers)}", outputs, shared["_certificateArn"])
    if "app" in parts:
        world.outputs.update(services(world, APP if app is None else app, JOBS if jobs is None else jobs, parts))
    if "data" in parts:
        world.outputs.update(database(world))
        world.outputs.update(dump_bucket(world))
    world.outputs = {k: v for k, v in world.outputs.items() if not k.startswith("_")}
    return world
