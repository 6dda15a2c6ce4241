"""The CUDA tests are reported, never silently missing: without CUDA every one of them is SKIPPED with the
reason "CUDA not available" (this test is not marked ``cuda``, so it runs everywhere)."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import torch

FOLDER = Path(__file__).resolve().parent


def test_cuda_tests_are_skipped_with_their_reason_without_cuda():
    command = [sys.executable, "-m", "pytest", str(FOLDER), "-q", "-ra", "-m", "cuda", "-p", "no:cacheprovider"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=FOLDER.parents[1])
    summary = done.stdout.strip().splitlines()[-1]
    if torch.cuda.is_available():  # on a GPU machine they run: none may be skipped for want of CUDA
        assert "CUDA not available" not in done.stdout
        return
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    skipped = int(re.search(r"(\d+) skipped", summary).group(1))
    assert skipped >= 60, summary  # every parametrised CUDA test, collected and skipped
    assert re.search(r"\b1 deselected", summary), summary  # this test alone is not marked cuda
    assert not re.search(r"\d+ (passed|failed|errors?)\b", summary), summary
    reasons = [line for line in done.stdout.splitlines() if line.startswith("SKIPPED")]
    assert reasons and all(line.endswith("CUDA not available") for line in reasons), reasons
    assert sum(int(re.search(r"SKIPPED \[(\d+)\]", line).group(1)) for line in reasons) == skipped
