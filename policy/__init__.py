"""The CrossGuard policy pack of this project (`pulumi preview --policy-pack policy`); rules live in rules.py."""
