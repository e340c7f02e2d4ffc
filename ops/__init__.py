"""Day-2 operations for a stack: `python -m ops <command> --outputs FILE` (see docs/operations.md)."""
