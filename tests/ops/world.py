"""A stack's AWS resources built in moto, and its outputs (keys as in docs/outputs.md)."""

from dataclasses import dataclass, field

import boto3

REGION = "eu-west-1"
BACKUP_REGION = "eu-central-1"
STACK = "nodeapi-prod"
ADMIN_PATHS = ["/admin/*", "/internal/health"]
ALLOWED_CIDRS = ["203.0.113.0/24", "198.51.100.7/32"]


@dataclass
class World:
    """Outputs of the fake stack and clients to inspect it."""

    outputs: dict = field(default_factory=dict)

    def client(self, service: str, region: str = REGION):
        """A plain client on the moto server."""
        return boto3.client(service, region_name=region)


def network(world: World) -> dict:
    """VPC, two isolated subnets, a DB security group."""
    ec2 = world.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{REGION}{az}")
               ["Subnet"]["SubnetId"] for i, az in enumerate("ab")]
    sg = ec2.create_security_group(GroupName="db", Description="db", VpcId=vpc)["GroupId"]
    return {"vpcId": vpc, "privateSubnetIds": subnets, "isolatedSubnetIds": subnets, "dbSecurityGroupIds": [sg]}


def load_balancer(world: World) -> dict:
    """ALB, HTTPS listener, blue/green target groups, production rule (blue 100 / green 0)."""
    elb, o = world.client("elbv2"), world.outputs
    cert = world.client("acm").request_certificate(DomainName="api.example.com")["CertificateArn"]
    alb = elb.create_load_balancer(Name=STACK, Subnets=o["privateSubnetIds"])["LoadBalancers"][0]["LoadBalancerArn"]
    tgs = {color: elb.create_target_group(Name=f"{STACK}-{color}", Protocol="HTTP", Port=3000, VpcId=o["vpcId"],
                                          TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
           for color in ("blue", "green")}
    not_found = [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}]
    https = elb.create_listener(LoadBalancerArn=alb, Protocol="HTTPS", Port=443, Certificates=[{"CertificateArn": cert}],
                                DefaultActions=not_found)["Listeners"][0]["ListenerArn"]
    rule = elb.create_rule(ListenerArn=https, Priority=100, Conditions=[path("/*")],
                           Actions=[forward({tgs["blue"]: 100, tgs["green"]: 0})])["Rules"][0]["RuleArn"]
    return {"albArn": alb, "httpsListenerArn": https, "productionListenerRuleArn": rule,
            "blueTargetGroupArn": tgs["blue"], "greenTargetGroupArn": tgs["green"],
            "maintenanceAdminPaths": ADMIN_PATHS, "maintenanceAllowedCidrs": ALLOWED_CIDRS,
            "url": "https://api.example.com"}


def path(*values: str) -> dict:
    """A path-pattern condition."""
    return {"Field": "path-pattern", "PathPatternConfig": {"Values": list(values)}}


def forward(weights: dict[str, int]) -> dict:
    """A weighted forward action."""
    return {"Type": "forward", "ForwardConfig": {
        "TargetGroups": [{"TargetGroupArn": arn, "Weight": w} for arn, w in weights.items()]}}


def web_service(world: World) -> dict:
    """ECS cluster and the web service (desired 2)."""
    ecs = world.client("ecs")
    ecs.create_cluster(clusterName=STACK)
    task = ecs.register_task_definition(family=f"{STACK}-web", containerDefinitions=[
        {"name": "web", "image": "web:1", "memory": 512}])["taskDefinition"]["taskDefinitionArn"]
    ecs.create_service(cluster=STACK, serviceName=f"{STACK}-web", taskDefinition=task, desiredCount=2)
    return {"clusterName": STACK, "webServiceName": f"{STACK}-web"}


def database(world: World) -> dict:
    """Subnet group and an encrypted PostgreSQL instance with automated backups."""
    rds, o = world.client("rds"), world.outputs
    rds.create_db_subnet_group(DBSubnetGroupName=f"{STACK}-db", DBSubnetGroupDescription="db",
                               SubnetIds=o["isolatedSubnetIds"])
    db = rds.create_db_instance(DBInstanceIdentifier=STACK, Engine="postgres", DBInstanceClass="db.t4g.micro",
                                AllocatedStorage=20, MasterUsername="app", MasterUserPassword="not-a-secret",
                                DBSubnetGroupName=f"{STACK}-db", VpcSecurityGroupIds=o["dbSecurityGroupIds"],
                                BackupRetentionPeriod=7, StorageEncrypted=True)["DBInstance"]
    return {"dbInstanceIdentifier": STACK, "dbSubnetGroupName": f"{STACK}-db",
            "dbEndpoint": f"{STACK}.example:5432", "dbKmsKeyArn": db.get("KmsKeyId", "")}


def backup_stores(world: World) -> dict:
    """Backup KMS key and vault in the backup region, dump bucket and vault in the primary region."""
    key = world.client("kms", BACKUP_REGION).create_key(Description="backups")["KeyMetadata"]["Arn"]
    world.client("backup").create_backup_vault(BackupVaultName=f"{STACK}-vault")
    world.client("backup", BACKUP_REGION).create_backup_vault(BackupVaultName=f"{STACK}-copy")
    bucket = f"{STACK}-backups"
    world.client("s3").create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    return {"backupKmsKeyArn": key, "backupVaultName": f"{STACK}-vault", "backupCopyVaultName": f"{STACK}-copy",
            "backupBucketName": bucket}


def build() -> World:
    """The whole fake stack."""
    world = World({"region": REGION, "backupRegion": BACKUP_REGION})
    for part in (network, load_balancer, web_service, database, backup_stores):
        world.outputs.update(part(world))
    return world
