"""One security group per service, holding only the paths into it: from the ALB (added by the load balancer) and
from the services that call it by name (Service Connect). Every task also joins the network's shared app group,
which carries egress and the data tier's access."""

from dataclasses import dataclass

import pulumi

from .security import allow_from, security_group


@dataclass(frozen=True, kw_only=True)
class ServiceGroupsArgs:
    """Services with their ports, and who calls whom."""

    vpc_id: pulumi.Input[str]
    ports: dict[str, int | None]  # service -> port it listens on (None: it listens on none)
    connects_to: dict[str, list[str]]  # caller -> services it calls


class ServiceGroups(pulumi.ComponentResource):
    """`groups[service]`: the service's own group; ingress rules for exactly the declared service-to-service paths."""

    def __init__(self, name: str, args: ServiceGroupsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nodeapi:network:ServiceGroups", name, None, opts)
        self.groups = {
            service: security_group(f"{name}-{service}", vpc_id=args.vpc_id, parent=self,
                                    description=f"ECS service {service}: only its declared inbound paths")
            for service in sorted(args.ports)
        }
        for caller, targets in sorted(args.connects_to.items()):
            for target in targets:
                allow_from(f"{name}-{target}-from-{caller}", group=self.groups[target], source=self.groups[caller],
                           port=args.ports[target], description=f"{caller} calls {target} (Service Connect)",
                           parent=self)
        self.group_ids = {service: group.id for service, group in self.groups.items()}
        self.register_outputs({"group_ids": self.group_ids})
