"""Network settings: address space, availability zones, NAT strategy (gateways or instances), flow logs."""

import ipaddress
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from .base import Section, rule_error
from .checks import check_private_cidr

# CloudWatch Logs accepts only these retention values (PutRetentionPolicy).
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)


# Graviton burstable sizes a NAT instance may use, with their baseline network bandwidth in Gbit/s (they burst to
# 5 Gbit/s on network credits). The AMI is arm64, so only Graviton types boot it. Source: EC2 DescribeInstanceTypes
# NetworkInfo.NetworkCards[0].BaselineBandwidthInGbps, as tabulated in
# https://docs.aws.amazon.com/ec2/latest/instancetypes/gp.html#gp_network and fck-nat's "Choosing an instance size".
NAT_INSTANCE_BASELINE_GBPS = {
    "t4g.nano": 0.032, "t4g.micro": 0.064, "t4g.small": 0.128, "t4g.medium": 0.256,
    "t4g.large": 0.512, "t4g.xlarge": 1.024, "t4g.2xlarge": 2.048,
}
NatInstanceType = Literal["t4g.nano", "t4g.micro", "t4g.small", "t4g.medium", "t4g.large", "t4g.xlarge",
                          "t4g.2xlarge"]
# Auto Scaling's MaxInstanceLifetime: 0 (off) or 86,400 s (1 day) to 31,536,000 s (365 days).
# https://docs.aws.amazon.com/autoscaling/ec2/userguide/asg-max-instance-lifetime.html
MAX_LIFETIME_DAYS = (1, 365)


def check_log_retention(days: int) -> int:
    """Refuse a retention CloudWatch Logs would reject (0 would mean 'never expire')."""
    if days not in LOG_RETENTION_DAYS:
        allowed = ", ".join(str(d) for d in LOG_RETENTION_DAYS)
        raise ValueError(f"not a CloudWatch Logs retention; allowed: {allowed}")
    return days


LogRetentionDays = Annotated[int, AfterValidator(check_log_retention)]


class NatInstanceSettings(Section):
    """NAT instances (natStrategy: instance): an Auto Scaling group of one per NAT, Amazon Linux 2023 arm64."""

    per_az: bool = Field(default=False, description="one NAT instance per AZ (true) or one for the stack (false)")
    instance_type: NatInstanceType = Field(
        default="t4g.nano", description="Graviton burstable size; its baseline bandwidth caps sustained egress"
    )
    max_lifetime_days: int = Field(
        default=14, ge=MAX_LIFETIME_DAYS[0], le=MAX_LIFETIME_DAYS[1],
        description="replace each instance at least this often, from the latest AL2023 AMI (patching)",
    )
    elastic_ip: bool = Field(
        default=True,
        description="a fixed egress address (for allow-lists); false: the instance's own public address, which "
                    "changes with each replacement and is not billed while office hours keep the instance off",
    )


class NetworkSettings(Section):
    """The VPC: one public, one private (app) and one isolated (data) subnet per AZ."""

    cidr: str = Field(description="VPC IPv4 CIDR, /16 to /20; split into /20../24 subnets")
    az_count: int = Field(ge=2, le=3, description="availability zones to span (2 or 3)")
    nat_strategy: Literal["none", "single", "one-per-az", "instance"] = Field(
        description="egress for private subnets: none, one NAT gateway, one NAT gateway per AZ, or NAT instances"
    )
    nat_instance: NatInstanceSettings | None = Field(
        default=None, description="NAT instance options (natStrategy: instance); absent: the defaults"
    )
    interface_endpoints: bool = Field(
        default=False,
        description="ECR, CloudWatch Logs, Secrets Manager, KMS and STS interface endpoints",
    )
    flow_logs_retention_days: LogRetentionDays = Field(default=30, description="VPC flow log retention")
    flow_logs_class: Literal["STANDARD", "INFREQUENT_ACCESS"] = Field(
        default="STANDARD",
        description="log class of the flow log group: INFREQUENT_ACCESS halves ingestion (no metric filters, no "
                    "Live Tail); changing it replaces the log group and drops the flow logs kept so far",
    )

    @field_validator("cidr")
    @classmethod
    def _valid_cidr(cls, value: str) -> str:
        try:
            network = ipaddress.IPv4Network(value, strict=True)
        except ValueError as exc:
            raise ValueError(f"not a valid IPv4 CIDR ({exc}); expected e.g. '10.20.0.0/16'") from None
        if not 16 <= network.prefixlen <= 20:
            raise ValueError(f"prefix /{network.prefixlen} is not allowed; use /16 to /20")
        return check_private_cidr(value)

    @model_validator(mode="after")
    def _egress_exists(self) -> "NetworkSettings":
        if self.nat_strategy == "none" and not self.interface_endpoints:
            raise rule_error(
                "network.natStrategy",
                self.nat_strategy,
                "'none' leaves tasks unable to pull images: set network.interfaceEndpoints: true"
                " or use 'single', 'one-per-az' or 'instance'",
            )
        if self.nat_instance is not None and self.nat_strategy != "instance":
            raise rule_error(
                "network.natInstance",
                self.nat_instance.model_dump(by_alias=True, exclude_unset=True),
                f"only used with network.natStrategy: instance (natStrategy is {self.nat_strategy!r}); "
                "remove it or set natStrategy: instance",
            )
        return self

    def nat_instance_options(self) -> NatInstanceSettings | None:
        """The NAT instance options when the strategy is `instance` (the defaults when the section is absent)."""
        if self.nat_strategy != "instance":
            return None
        return self.nat_instance or NatInstanceSettings()

    def rules(self, stack: Any) -> list[tuple[str, Any, str]]:
        """Production keeps each AZ's egress independent: a NAT instance per AZ, never one for the stack."""
        options = self.nat_instance_options()
        if getattr(stack, "is_production", False) and options is not None and not options.per_az:
            return [("natInstance.perAz", False, "production needs one NAT instance per AZ (perAz: true), so an "
                                                 "instance or AZ failure cuts only its own AZ's egress; or use "
                                                 "natStrategy: one-per-az (NAT gateways)")]
        return []
