"""The alias of a child that was a top-level resource before it moved under a component (its URN is kept, so
`pulumi up` neither deletes nor re-creates it)."""

import pulumi

MOVED = pulumi.Alias(parent=pulumi.ROOT_STACK_RESOURCE)
