"""The CPU and memory pairs Fargate accepts for a task (Linux), as plain data and one check."""

# cpu units -> (lowest MiB, highest MiB, step MiB), from the ECS task-definition parameter reference.
FARGATE_MEMORY = {
    256: (512, 2048, None),  # 512, 1024 or 2048 only
    512: (1024, 4096, 1024),
    1024: (2048, 8192, 1024),
    2048: (4096, 16384, 1024),
    4096: (8192, 30720, 1024),
    8192: (16384, 61440, 4096),
    16384: (32768, 122880, 8192),
}
_SMALLEST = (512, 1024, 2048)


def allowed_memory(cpu: int) -> list[int]:
    """Every memory size (MiB) Fargate accepts with this many CPU units."""
    if cpu not in FARGATE_MEMORY:
        return []
    low, high, step = FARGATE_MEMORY[cpu]
    return list(_SMALLEST) if step is None else list(range(low, high + 1, step))


def fargate_problem(cpu: int, memory: int) -> tuple[str, int, str] | None:
    """(key, value, what is allowed) when Fargate would refuse this size, else None."""
    if cpu not in FARGATE_MEMORY:
        return "cpu", cpu, "Fargate allows cpu " + ", ".join(str(c) for c in FARGATE_MEMORY)
    if memory in allowed_memory(cpu):
        return None
    low, high, step = FARGATE_MEMORY[cpu]
    if step is None:
        return "memory", memory, f"with cpu {cpu}, Fargate allows memory 512, 1024 or 2048 (MiB)"
    return "memory", memory, f"with cpu {cpu}, Fargate allows memory {low} to {high} MiB in steps of {step}"
