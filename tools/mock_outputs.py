"""What AWS would return for a resource or an invoke, made up deterministically for mocks."""

import base64
import hashlib
from typing import Any, Callable

State = dict[str, Any]


def _digest(text: str, size: int = 8) -> str:
    """A short stable hex string, so mocked IDs are deterministic."""
    return hashlib.sha256(text.encode()).hexdigest()[:size]


def _service(type_token: str) -> str:
    """`aws:rds/instance:Instance` -> `rds`."""
    return type_token.split(":")[1].split("/")[0]


def _physical_name(type_token: str, name: str, inputs: State) -> str:
    """The explicit name input, else Pulumi's auto-name (logical name + 7 stable characters)."""
    for key in ("name", "bucket", "identifier", "replicationGroupId", "functionName", "family"):
        if isinstance(inputs.get(key), str):
            return inputs[key]
    prefix = inputs.get("namePrefix") or inputs.get("bucketPrefix")
    return f"{prefix or name + '-'}{_digest(type_token + name, 7)}"


def _rds_instance(name: str, inputs: State, region: str, account: str) -> State:
    identifier = inputs.get("identifier") or name
    host = f"{identifier}.c{_digest(identifier, 10)}.{region}.rds.amazonaws.com"
    port = int(inputs.get("port", 5432))
    secret = f"arn:aws:secretsmanager:{region}:{account}:secret:rds!db-{_digest(identifier, 8)}-AbCdEf"
    return {
        "identifier": identifier,
        "arn": f"arn:aws:rds:{region}:{account}:db:{identifier}",
        "address": host,
        "endpoint": f"{host}:{port}",
        "port": port,
        "resourceId": f"db-{_digest(identifier, 26).upper()}",
        "masterUserSecrets": [{"secretArn": secret, "secretStatus": "active", "kmsKeyId": inputs.get("masterUserSecretKmsKeyId", "")}],
    }


def _rds_proxy(name: str, inputs: State, region: str, account: str) -> State:
    proxy = inputs.get("name") or name
    return {"arn": f"arn:aws:rds:{region}:{account}:db-proxy:prx-{_digest(proxy, 17)}",
            "endpoint": f"{proxy}.proxy-c{_digest(proxy, 10)}.{region}.rds.amazonaws.com"}


def _replication_group(name: str, inputs: State, region: str, account: str) -> State:
    group = inputs.get("replicationGroupId") or name
    short = f"{region[:2]}{region.split('-')[1][0]}{region[-1]}"
    if inputs.get("clusterMode") == "enabled":  # clients find the shards through the configuration endpoint
        return {"configurationEndpointAddress": f"clustercfg.{group}.{_digest(group, 6)}.{short}.cache.amazonaws.com",
                "port": 6379}
    base = f"{group}.{_digest(group, 6)}.ng.0001.{short}.cache.amazonaws.com"
    return {"primaryEndpointAddress": f"master.{base}", "readerEndpointAddress": f"replica.{base}", "port": 6379}


def _load_balancer(name: str, inputs: State, region: str, account: str) -> State:
    lb = _physical_name("aws:lb", name, inputs)
    suffix = f"app/{lb}/{_digest(lb, 16)}"
    return {
        "arnSuffix": suffix,
        "dnsName": f"{lb}-{_digest(lb, 9)}.{region}.elb.amazonaws.com",
        "zoneId": "Z35SXDOTRQ7X7K",
        "arn": f"arn:aws:elasticloadbalancing:{region}:{account}:loadbalancer/{suffix}",
    }


def _target_group(name: str, inputs: State, region: str, account: str) -> State:
    tg = _physical_name("aws:lb/tg", name, inputs)[:32]
    suffix = f"targetgroup/{tg}/{_digest(tg, 16)}"
    return {"name": tg, "arnSuffix": suffix, "arn": f"arn:aws:elasticloadbalancing:{region}:{account}:{suffix}"}


def _listener(name: str, inputs: State, region: str, account: str) -> State:
    lb = str(inputs.get("loadBalancerArn", f"loadbalancer/app/{name}/0"))
    suffix = lb.split(":loadbalancer/")[-1]
    return {"arn": f"arn:aws:elasticloadbalancing:{region}:{account}:listener/{suffix}/{_digest(name, 16)}"}


def _listener_rule(name: str, inputs: State, region: str, account: str) -> State:
    listener = str(inputs.get("listenerArn", f"listener/app/{name}/0/0"))
    suffix = listener.split(":listener/")[-1]
    return {"arn": f"arn:aws:elasticloadbalancing:{region}:{account}:listener-rule/{suffix}/{_digest(name, 16)}"}


def _repository(name: str, inputs: State, region: str, account: str) -> State:
    repo = _physical_name("aws:ecr", name, inputs)
    return {"repositoryUrl": f"{account}.dkr.ecr.{region}.amazonaws.com/{repo}", "registryId": account}


def _docker_image(name: str, inputs: State, region: str, account: str) -> State:
    """A built and pushed image: `repoDigest` is `<repository>@sha256:<digest>`, unique per build."""
    image_name = str(inputs.get("imageName", name))
    repository = image_name.rsplit(":", 1)[0] if ":" in image_name.rsplit("/", 1)[-1] else image_name
    build = inputs.get("build") or {}
    return {
        "imageName": image_name,
        "baseImageName": image_name,
        "repoDigest": f"{repository}@sha256:{hashlib.sha256(image_name.encode()).hexdigest()}",
        # Recorded graphs hold the secret registry block as "[secret]": read it only when it is a mapping.
        "registryServer": registry.get("server", "") if isinstance(registry := inputs.get("registry"), dict) else "",
        "context": build.get("context", "."),
        "dockerfile": build.get("dockerfile", "Dockerfile"),
        "platform": build.get("platform", "linux/amd64"),
    }


def _bucket(name: str, inputs: State, region: str, account: str) -> State:
    bucket = _physical_name("aws:s3", name, inputs)
    return {
        "bucket": bucket,
        "arn": f"arn:aws:s3:::{bucket}",
        "bucketDomainName": f"{bucket}.s3.amazonaws.com",
        "bucketRegionalDomainName": f"{bucket}.s3.{region}.amazonaws.com",
        "region": region,
    }


def _kms_key(name: str, inputs: State, region: str, account: str) -> State:
    key_id = "-".join(_digest(name + part, size) for part, size in (("a", 8), ("b", 4), ("c", 4), ("d", 4), ("e", 12)))
    return {"keyId": key_id, "arn": f"arn:aws:kms:{region}:{account}:key/{key_id}"}


def _task_definition(name: str, inputs: State, region: str, account: str) -> State:
    family = inputs.get("family") or name
    return {"revision": 1, "arnWithoutRevision": f"arn:aws:ecs:{region}:{account}:task-definition/{family}",
            "arn": f"arn:aws:ecs:{region}:{account}:task-definition/{family}:1"}


def _random_password(name: str, inputs: State, region: str, account: str) -> State:
    return {"result": f"mock-{_digest(name, 24)}", "bcryptHash": "mock-hash"}


def _random_id(name: str, inputs: State, region: str, account: str) -> State:
    hex_ = _digest(name, 2 * int(inputs.get("byteLength", 8)))
    return {"hex": hex_, "dec": str(int(hex_, 16)), "b64Std": "mock", "b64Url": "mock"}


def _lambda_function(name: str, inputs: State, region: str, account: str) -> State:
    fn = _physical_name("aws:lambda", name, inputs)
    arn = f"arn:aws:lambda:{region}:{account}:function:{fn}"
    return {"arn": arn, "invokeArn": f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{arn}/invocations",
            "qualifiedArn": f"{arn}:$LATEST", "version": "$LATEST"}


def _efs_id(type_token: str, name: str) -> str:
    """`fs-…`, `fsap-…`, `fsmt-…`: the same id outputs_for gives the resource (see _ID_PREFIXES)."""
    return f"{_ID_PREFIXES[type_token]}-{_digest(type_token + name, 17)}"


def _efs_file_system(name: str, inputs: State, region: str, account: str) -> State:
    fs = _efs_id(EFS_FILE_SYSTEM, name)
    return {"arn": f"arn:aws:elasticfilesystem:{region}:{account}:file-system/{fs}", "ownerId": account,
            "dnsName": f"{fs}.efs.{region}.amazonaws.com", "name": (inputs.get("tags") or {}).get("Name", ""),
            "numberOfMountTargets": 0, "sizeInBytes": [{"value": 6144, "valueInIa": 0, "valueInStandard": 6144}]}


def _efs_access_point(name: str, inputs: State, region: str, account: str) -> State:
    fs = str(inputs.get("fileSystemId", "fs-0"))
    return {"arn": f"arn:aws:elasticfilesystem:{region}:{account}:access-point/{_efs_id(EFS_ACCESS_POINT, name)}",
            "fileSystemArn": f"arn:aws:elasticfilesystem:{region}:{account}:file-system/{fs}", "ownerId": account}


def _efs_mount_target(name: str, inputs: State, region: str, account: str) -> State:
    fs = str(inputs.get("fileSystemId", "fs-0"))
    return {"fileSystemArn": f"arn:aws:elasticfilesystem:{region}:{account}:file-system/{fs}", "ownerId": account,
            "dnsName": f"{fs}.efs.{region}.amazonaws.com", "networkInterfaceId": f"eni-{_digest(name, 17)}"}


EFS_FILE_SYSTEM = "aws:efs/fileSystem:FileSystem"
EFS_ACCESS_POINT = "aws:efs/accessPoint:AccessPoint"
EFS_MOUNT_TARGET = "aws:efs/mountTarget:MountTarget"


def _chat_configuration(kind: str, id_key: str | None) -> Callable[[str, State, str, str], State]:
    """A Chatbot configuration: a global ARN (no region). The provider's id is the ARN for Slack and the team id
    for Teams (`pulumi import` of either)."""

    def make(name: str, inputs: State, region: str, account: str) -> State:
        arn = f"arn:aws:chatbot::{account}:chat-configuration/{kind}/{inputs.get('configurationName') or name}"
        return {"chatConfigurationArn": arn, "arn": arn, "id": inputs.get(id_key) if id_key else arn}

    return make


def _cloudfront_id(type_token: str, name: str) -> str:
    """CloudFront IDs: 'E' and 13 upper-case letters and digits (e.g. E2QWRUHAPOMQZL)."""
    return "E" + hashlib.sha256((type_token + name).encode()).hexdigest()[:13].upper()


def _policy_id(type_token: str, name: str) -> str:
    """Cache and headers policy IDs are UUIDs."""
    h = hashlib.sha256((type_token + name).encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def _distribution(name: str, inputs: State, region: str, account: str) -> State:
    distribution_id = _cloudfront_id("distribution", name)
    return {
        "id": distribution_id,
        "arn": f"arn:aws:cloudfront::{account}:distribution/{distribution_id}",
        "domainName": f"d{_digest('domain' + name, 13)}.cloudfront.net",
        "hostedZoneId": "Z2FDTNDATAQYW2",  # every CloudFront distribution's alias target zone
        "status": "Deployed",
        "etag": f"E{_digest('etag' + name, 13).upper()}",
        "callerReference": f"terraform-{_digest('caller' + name, 20)}",
        "inProgressValidationBatches": 0,
    }


def _origin_access_control(name: str, inputs: State, region: str, account: str) -> State:
    oac_id = _cloudfront_id("origin-access-control", name)
    return {"id": oac_id, "arn": f"arn:aws:cloudfront::{account}:origin-access-control/{oac_id}",
            "etag": f"E{_digest('etag' + name, 13).upper()}"}


def _cloudfront_policy(kind: str) -> Callable[[str, State, str, str], State]:
    def make(name: str, inputs: State, region: str, account: str) -> State:
        policy_id = _policy_id(kind, name)
        return {"id": policy_id, "arn": f"arn:aws:cloudfront::{account}:{kind}/{policy_id}",
                "etag": f"E{_digest('etag' + name, 13).upper()}"}
    return make


def _bucket_object(name: str, inputs: State, region: str, account: str) -> State:
    """An uploaded object: its ID is its key; SSE-S3 ETags are the MD5 of a single-part upload."""
    bucket, key = inputs.get("bucket", name), inputs.get("key", name)
    return {"id": key, "arn": f"arn:aws:s3:::{bucket}/{key}", "etag": inputs.get("sourceHash", _digest(key, 32)),
            "versionId": _digest("version" + bucket + key, 32), "serverSideEncryption": "AES256",
            "storageClass": "STANDARD"}


def validation_record(domain_name: str, account: str) -> tuple[str, str]:
    """(name, value) of ACM's DNS validation CNAME for a domain name: the same for every certificate of that name in
    the account, in every region ("the CNAME validation token works for any AWS Region", ACM User Guide, DNS
    validation), which is why the program creates one record per host."""
    return (f"_{_digest('name' + account + domain_name, 32)}.{domain_name}.",
            f"_{_digest('value' + account + domain_name, 32)}.{_digest(domain_name, 10)}.acm-validations.aws.")


def _acm_certificate(name: str, inputs: State, region: str, account: str) -> State:
    """A requested public certificate, pending validation: one CNAME per name (domain name, then the SANs)."""
    h = _digest(f"certificate{region}{name}", 32)
    arn = f"arn:aws:acm:{region}:{account}:certificate/{h[:8]}-{h[8:12]}-4{h[13:16]}-8{h[17:20]}-{h[20:32]}"
    names = [inputs.get("domainName", name), *(inputs.get("subjectAlternativeNames") or [])]
    options = [{"domainName": n, "resourceRecordName": validation_record(n, account)[0], "resourceRecordType": "CNAME",
                "resourceRecordValue": validation_record(n, account)[1]} for n in dict.fromkeys(names)]
    return {"id": arn, "arn": arn, "status": "PENDING_VALIDATION", "type": "AMAZON_ISSUED",
            "keyAlgorithm": inputs.get("keyAlgorithm", "RSA_2048"), "domainValidationOptions": options,
            "subjectAlternativeNames": list(dict.fromkeys(names)), "validationEmails": [],
            "renewalEligibility": "INELIGIBLE", "pendingRenewal": False}


def _route53_record(name: str, inputs: State, region: str, account: str) -> State:
    """A record set: the provider's id is `<zone>_<name>_<type>`, its fqdn the name without the final dot."""
    record = str(inputs.get("name", name)).rstrip(".")
    return {"id": f"{inputs.get('zoneId', 'Z0')}_{record}_{inputs.get('type', 'A')}", "fqdn": record}


def hosted_zone_id(zone_name: str) -> str:
    """The id the mocked account's public hosted zone of that name has (Route 53 ids: 'Z' and 20 characters)."""
    return "Z" + hashlib.sha256(("zone" + zone_name).encode()).hexdigest()[:20].upper()


def _hosted_zone(args: State, account: str) -> State:
    """`route53.getZone` by name: the account's public zone of that name (the mock assumes it exists)."""
    zone = str(args.get("name") or "").rstrip(".").lower()
    if not zone or args.get("zoneId") or args.get("privateZone"):
        raise NotImplementedError("mock route53.getZone answers lookups of a public zone by name only")
    zone_id = hosted_zone_id(zone)
    servers = [f"ns-{int(_digest(zone + tld, 3), 16) % 2048}.awsdns-{int(_digest(tld + zone, 2), 16) % 64:02d}.{tld}"
               for tld in ("com", "net", "org", "co.uk")]
    return {"id": zone_id, "zoneId": zone_id, "name": zone, "arn": f"arn:aws:route53:::hostedzone/{zone_id}",
            "callerReference": f"{_digest('caller' + zone, 8)}-0000-4000-8000-{_digest(zone, 12)}", "comment": "",
            "nameServers": servers, "primaryNameServer": servers[0], "privateZone": False,
            "resourceRecordSetCount": 2, "tags": {}, "vpcId": "", "linkedServiceDescription": "",
            "linkedServicePrincipal": "", "enableAcceleratedRecovery": False}


def _eip(name: str, inputs: State, region: str, account: str) -> State:
    """An Elastic IP: its allocation id is its id; the address is from TEST-NET-3 (RFC 5737), never routable."""
    allocation = f"eipalloc-{_digest('aws:ec2/eip:Eip' + name, 17)}"
    return {"allocationId": allocation, "publicIp": f"203.0.113.{int(_digest(name, 2), 16) % 254 + 1}",
            "arn": f"arn:aws:ec2:{region}:{account}:elastic-ip/{allocation}"}


def _network_interface(name: str, inputs: State, region: str, account: str) -> State:
    eni = f"eni-{_digest('aws:ec2/networkInterface:NetworkInterface' + name, 17)}"
    return {"arn": f"arn:aws:ec2:{region}:{account}:network-interface/{eni}",
            "privateIp": f"10.255.0.{int(_digest(name, 2), 16) % 254 + 1}"}


def _launch_template(name: str, inputs: State, region: str, account: str) -> State:
    template = f"lt-{_digest('aws:ec2/launchTemplate:LaunchTemplate' + name, 17)}"
    return {"arn": f"arn:aws:ec2:{region}:{account}:launch-template/{template}", "latestVersion": 1,
            "defaultVersion": 1}


def _autoscaling_group(name: str, inputs: State, region: str, account: str) -> State:
    group = _physical_name("aws:autoscaling/group:Group", name, inputs)
    return {"name": group, "arn": f"arn:aws:autoscaling:{region}:{account}:autoScalingGroup:"
                                  f"{_digest(group, 8)}-0000-4000-8000-{_digest(group, 12)}:autoScalingGroupName/{group}"}


_SPECIFIC: dict[str, Callable[[str, State, str, str], State]] = {
    "aws:acm/certificate:Certificate": _acm_certificate,
    "aws:acm/certificateValidation:CertificateValidation": lambda name, inputs, region, account: {
        "id": "2026-01-01 00:00:00 +0000 UTC"},  # the provider's id is the certificate's issue time
    "aws:route53/record:Record": _route53_record,
    "aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration": _chat_configuration("slack-channel", None),
    "aws:chatbot/teamsChannelConfiguration:TeamsChannelConfiguration": _chat_configuration(
        "microsoft-teams-channel", "teamId"),
    "aws:ec2/eip:Eip": _eip,
    "aws:ec2/networkInterface:NetworkInterface": _network_interface,
    "aws:ec2/launchTemplate:LaunchTemplate": _launch_template,
    "aws:autoscaling/group:Group": _autoscaling_group,
    "aws:rds/instance:Instance": _rds_instance,
    "aws:rds/proxy:Proxy": _rds_proxy,
    "aws:elasticache/replicationGroup:ReplicationGroup": _replication_group,
    "aws:lb/loadBalancer:LoadBalancer": _load_balancer,
    "aws:lb/targetGroup:TargetGroup": _target_group,
    "aws:lb/listener:Listener": _listener,
    "aws:lb/listenerRule:ListenerRule": _listener_rule,
    "aws:ecr/repository:Repository": _repository,
    "docker:index/image:Image": _docker_image,
    "aws:s3/bucket:Bucket": _bucket,
    "aws:s3/bucketV2:BucketV2": _bucket,
    "aws:kms/key:Key": _kms_key,
    "aws:ecs/taskDefinition:TaskDefinition": _task_definition,
    "random:index/randomPassword:RandomPassword": _random_password,
    "random:index/randomId:RandomId": _random_id,
    "aws:lambda/function:Function": _lambda_function,
    EFS_FILE_SYSTEM: _efs_file_system,
    EFS_ACCESS_POINT: _efs_access_point,
    EFS_MOUNT_TARGET: _efs_mount_target,
    "aws:cloudfront/distribution:Distribution": _distribution,
    "aws:cloudfront/originAccessControl:OriginAccessControl": _origin_access_control,
    "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy": _cloudfront_policy("response-headers-policy"),
    "aws:cloudfront/cachePolicy:CachePolicy": _cloudfront_policy("cache-policy"),
    "aws:s3/bucketObjectv2:BucketObjectv2": _bucket_object,
}

# ARN resource-part formats for the services whose ARNs other resources reference.
_ARN_FORMATS = {
    "iam": "arn:aws:iam::{account}:{kind}/{name}",
    "logs": "arn:aws:logs:{region}:{account}:log-group:{name}",
    "secretsmanager": "arn:aws:secretsmanager:{region}:{account}:secret:{name}-AbCdEf",
    "sns": "arn:aws:sns:{region}:{account}:{name}",
    "sqs": "arn:aws:sqs:{region}:{account}:{name}",
    "s3": "arn:aws:s3:::{name}",
}


# Types whose ARN service differs from their Pulumi module.
_ARN_BY_TYPE = {
    "aws:cloudwatch/logGroup:LogGroup": "arn:aws:logs:{region}:{account}:log-group:{name}",
    "aws:cloudwatch/eventRule:EventRule": "arn:aws:events:{region}:{account}:rule/{name}",
    "aws:cloudwatch/metricAlarm:MetricAlarm": "arn:aws:cloudwatch:{region}:{account}:alarm:{name}",
    "aws:iam/instanceProfile:InstanceProfile": "arn:aws:iam::{account}:instance-profile/{name}",
    "aws:appautoscaling/scheduledAction:ScheduledAction":
        "arn:aws:autoscaling:{region}:{account}:scheduledAction:{name}",
}


def _generic_arn(type_token: str, name: str, region: str, account: str) -> str:
    if type_token in _ARN_BY_TYPE:
        return _ARN_BY_TYPE[type_token].format(region=region, account=account, name=name)
    service = _service(type_token)
    kind = type_token.split("/")[-1].split(":")[0]
    fmt = _ARN_FORMATS.get(service, "arn:aws:{service}:{region}:{account}:{kind}/{name}")
    return fmt.format(service=service, region=region, account=account, kind=kind, name=name)


# EC2 IDs look like AWS's, so previews read naturally.
_ID_PREFIXES = {
    "aws:ec2/securityGroup:SecurityGroup": "sg",
    "aws:ec2/subnet:Subnet": "subnet",
    "aws:ec2/vpc:Vpc": "vpc",
    "aws:ec2/routeTable:RouteTable": "rtb",
    "aws:ec2/eip:Eip": "eipalloc",
    "aws:ec2/networkInterface:NetworkInterface": "eni",
    "aws:ec2/launchTemplate:LaunchTemplate": "lt",
    "aws:ec2/internetGateway:InternetGateway": "igw",
    "aws:ec2/natGateway:NatGateway": "nat",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "vpce",
    "aws:ec2/flowLog:FlowLog": "fl",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "sgr",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "sgr",
    "aws:efs/fileSystem:FileSystem": "fs",
    "aws:efs/accessPoint:AccessPoint": "fsap",
    "aws:efs/mountTarget:MountTarget": "fsmt",
}
# Types whose id is the id of the resource they configure (AWS has no separate identifier for them).
_ID_FROM_INPUT = {
    "aws:efs/fileSystemPolicy:FileSystemPolicy": "fileSystemId",
    "aws:efs/backupPolicy:BackupPolicy": "fileSystemId",
}


def outputs_for(type_token: str, name: str, inputs: State, region: str, account: str) -> tuple[str, State]:
    """(id, state) for a new resource: its inputs plus what AWS computes."""
    physical = _physical_name(type_token, name, inputs)
    state: State = dict(inputs)
    state.setdefault("name", physical)
    state["arn"] = _generic_arn(type_token, physical, region, account)
    state.setdefault("tagsAll", inputs.get("tags", {}))
    maker = _SPECIFIC.get(type_token)
    specific = maker(name, inputs, region, account) if maker else {}
    state.update(specific)
    resource_id = specific.get("id") or state.get("identifier") or (physical if _service(type_token) in ("s3", "iam", "ecs", "autoscaling") else f"{_service(type_token)}-{_digest(type_token + name, 17)}")
    if type_token in _ID_PREFIXES:
        resource_id = f"{_ID_PREFIXES[type_token]}-{_digest(type_token + name, 17)}"
    if isinstance(inputs.get(_ID_FROM_INPUT.get(type_token, "")), str):
        resource_id = inputs[_ID_FROM_INPUT[type_token]]
    state["id"] = resource_id
    return resource_id, state


def invoke_result(token: str, args: State, region: str, account: str) -> State:
    """Answers for the data sources the program calls; an unknown one fails loudly."""
    answers: dict[str, Callable[[], State]] = {
        "aws:index/getAvailabilityZones:getAvailabilityZones": lambda: {
            "id": region, "names": [f"{region}{z}" for z in "abc"], "state": "available",
            "zoneIds": [f"{region[:3]}{region.split('-')[1][:1]}{region[-1]}-az{i}" for i in (1, 2, 3)],
            "groupNames": [region] * 3,
        },
        "aws:index/getCallerIdentity:getCallerIdentity": lambda: {
            "id": account, "accountId": account, "arn": f"arn:aws:iam::{account}:user/preview",
            "userId": "AIDAPREVIEW",
        },
        "aws:index/getRegion:getRegion": lambda: {
            "id": region, "name": region, "region": region, "endpoint": f"ec2.{region}.amazonaws.com",
            "description": region,
        },
        "aws:ecr/getAuthorizationToken:getAuthorizationToken": lambda: {
            "id": region, "region": region, "registryId": args.get("registryId") or account,
            "userName": "AWS", "password": "mock-ecr-password",
            "authorizationToken": base64.b64encode(b"AWS:mock-ecr-password").decode(),
            "proxyEndpoint": f"https://{args.get('registryId') or account}.dkr.ecr.{region}.amazonaws.com",
            "expiresAt": "2030-01-01T12:00:00Z",
        },
        "aws:route53/getZone:getZone": lambda: _hosted_zone(args, account),
        "aws:index/getPartition:getPartition": lambda: {
            "id": "aws", "partition": "aws", "dnsSuffix": "amazonaws.com", "reverseDnsPrefix": "com.amazonaws",
        },
    }
    if token not in answers:
        raise NotImplementedError(f"mock has no answer for invoke {token}; add one to tools/mock_outputs.py")
    return answers[token]()
