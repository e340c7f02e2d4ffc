"""A stack's AWS resources built in moto, and its outputs (keys as in docs/outputs.md).

The read-only base (VPC, subnets, certificate, backup KMS key, vaults) is built once per session; each test
gets its own uniquely named load balancer, service, database and bucket, so tests never see each other's
state and the server needs no reset (after a reset, re-initialising moto's backends and rebuilding the base
cost ~0.3 s a test).
"""

import functools
import itertools
from dataclasses import dataclass, field

import boto3
import botocore.loaders
import botocore.session

REGION = "eu-west-1"
BACKUP_REGION = "eu-central-1"
ADMIN_PATHS = ["/admin/*", "/internal/health"]
ALLOWED_CIDRS = ["203.0.113.0/24", "198.51.100.7/32"]
_numbers = itertools.count(1)
LOADER = botocore.loaders.create_loader()  # shared by every client of the tests: models are parsed once


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

    def client(self, service: str, region: str = REGION):
        """A client of the moto server (tests pass the endpoint explicitly; ops relies on AWS_ENDPOINT_URL)."""
        return client(service, region, self.endpoint)


@functools.cache
def client(service: str, region: str, endpoint: str):
    """One client per service, region and endpoint for the whole session."""
    return SESSION.client(service, region_name=region, endpoint_url=endpoint)


def base(endpoint: str) -> dict:
    """Shared, never modified by the commands: network, certificate, backup key and vaults."""
    world = World(endpoint, "base")
    ec2 = world.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{REGION}{az}")
               ["Subnet"]["SubnetId"] for i, az in enumerate("ab")]
    sg = ec2.create_security_group(GroupName="db", Description="db", VpcId=vpc)["GroupId"]
    key = world.client("kms", BACKUP_REGION).create_key(Description="backups")["KeyMetadata"]["Arn"]
    world.client("backup").create_backup_vault(BackupVaultName="nodeapi-vault")
    world.client("backup", BACKUP_REGION).create_backup_vault(BackupVaultName="nodeapi-copy")
    return {"region": REGION, "backupRegion": BACKUP_REGION, "vpcId": vpc, "privateSubnetIds": subnets,
            "isolatedSubnetIds": subnets, "dbSecurityGroupIds": [sg], "backupKmsKeyArn": key,
            "backupVaultName": "nodeapi-vault", "backupCopyVaultName": "nodeapi-copy",
            "certificateArn": world.client("acm").request_certificate(DomainName="api.example.com")["CertificateArn"]}


def path(*values: str) -> dict:
    """A path-pattern condition."""
    return {"Field": "path-pattern", "PathPatternConfig": {"Values": list(values)}}


def forward(weights: dict[str, int]) -> dict:
    """A weighted forward action."""
    return {"Type": "forward", "ForwardConfig": {
        "TargetGroups": [{"TargetGroupArn": arn, "Weight": w} for arn, w in weights.items()]}}


def load_balancer(world: World) -> dict:
    """ALB, HTTPS listener, blue/green target groups, production rule (blue 100 / green 0)."""
    elb, o, name = world.client("elbv2"), world.outputs, world.stack
    alb = elb.create_load_balancer(Name=name, Subnets=o["privateSubnetIds"])["LoadBalancers"][0]["LoadBalancerArn"]
    tgs = {color: elb.create_target_group(Name=f"{name}-{color}", Protocol="HTTP", Port=3000, VpcId=o["vpcId"],
                                          TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
           for color in ("blue", "green")}
    not_found = [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}]
    https = elb.create_listener(LoadBalancerArn=alb, Protocol="HTTPS", Port=443, DefaultActions=not_found,
                                Certificates=[{"CertificateArn": world.certificate}])["Listeners"][0]["ListenerArn"]
    rule = elb.create_rule(ListenerArn=https, Priority=100, Conditions=[path("/*")],
                           Actions=[forward({tgs["blue"]: 100, tgs["green"]: 0})])["Rules"][0]["RuleArn"]
    return {"albArn": alb, "httpsListenerArn": https, "productionListenerRuleArn": rule,
            "blueTargetGroupArn": tgs["blue"], "greenTargetGroupArn": tgs["green"],
            "maintenanceAdminPaths": ADMIN_PATHS, "maintenanceAllowedCidrs": ALLOWED_CIDRS,
            "url": "https://api.example.com"}


def web_service(world: World) -> dict:
    """ECS cluster and the web service (desired 2)."""
    ecs, name = world.client("ecs"), world.stack
    ecs.create_cluster(clusterName=name)
    task = ecs.register_task_definition(family=f"{name}-web", containerDefinitions=[
        {"name": "web", "image": "web:1", "memory": 512}])["taskDefinition"]["taskDefinitionArn"]
    ecs.create_service(cluster=name, serviceName=f"{name}-web", taskDefinition=task, desiredCount=2)
    return {"clusterName": name, "webServiceName": f"{name}-web"}


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


PARTS = {"traffic": (load_balancer, web_service), "data": (database, dump_bucket)}


def build(endpoint: str, shared: dict, parts: tuple[str, ...] = tuple(PARTS)) -> World:
    """A new fake stack on top of the shared base, with only the parts a test needs."""
    outputs = {k: v for k, v in shared.items() if k != "certificateArn"}
    world = World(endpoint, f"nodeapi-t{next(_numbers)}", outputs, shared["certificateArn"])
    for part in parts:
        for build_part in PARTS[part]:
            world.outputs.update(build_part(world))
    return world
