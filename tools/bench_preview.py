"""Measure the preview against importing the same pulumi_aws modules (median of N, interleaved).

    python -m tools.bench_preview [stack] [--runs 5]
"""

import argparse
import contextlib
import importlib.util
import io
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def loaded_provider_modules(stack: str) -> list[str]:
    """pulumi_aws modules the preview really executes (lazy stubs it never touched are left out)."""
    from tools.preview import main

    with contextlib.redirect_stdout(io.StringIO()):
        main([stack, "--json"])
    lazy = importlib.util._LazyModule
    return sorted(name for name, module in sys.modules.items()
                  if name.startswith(("pulumi_aws", "pulumi_docker", "pulumi_random")) and not isinstance(module, lazy))


def timed(command: list[str]) -> float:
    """Wall time of one command, in seconds."""
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tools.bench_preview")
    parser.add_argument("stack", nargs="?", default="prod")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    modules = loaded_provider_modules(args.stack)
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as baseline:
        baseline.write("import pulumi\n" + "".join(f"import {m}\n" for m in modules))
    preview_cmd = [sys.executable, "-m", "tools.preview", args.stack, "--json"]
    import_cmd = [sys.executable, baseline.name]
    previews, imports = [], []
    for _ in range(args.runs):
        previews.append(timed(preview_cmd))
        imports.append(timed(import_cmd))
    p, i = statistics.median(previews), statistics.median(imports)
    print(f"modules imported by both: {len(modules)}")
    print(f"preview {args.stack} --json: median {p:.3f}s  runs {' '.join(f'{t:.3f}' for t in previews)}")
    print(f"import same modules:   median {i:.3f}s  runs {' '.join(f'{t:.3f}' for t in imports)}")
    print(f"ratio: {p / i:.2f}")


if __name__ == "__main__":
    main()
