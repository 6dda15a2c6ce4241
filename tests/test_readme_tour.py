"""The README's quick start runs as written, and seeded as it is, gives the same accuracy in two fresh processes."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def _tour() -> str:
    section = README.read_text(encoding="utf-8").split("## Quick start", 1)[1].split("\n#", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    assert len(blocks) == 1, "the quick start is one complete example"
    return blocks[0]


def _run(code: str) -> list[str]:
    env = dict(os.environ, OMP_NUM_THREADS="2")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=600,
                            cwd=README.parent)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.split("\n")


@pytest.mark.training
def test_the_tour_runs_and_its_seeded_accuracy_repeats_in_a_fresh_process():
    tour = _tour()
    first = tour.index('print(history["best_test_acc"])')
    up_to_gcn = tour[: tour.index("\n", first) + 1]
    whole, again = _run(tour), _run(up_to_gcn)
    accuracy = float(whole[0])
    assert accuracy == float(again[0])  # the same weights, dropout and result in another process
    assert accuracy >= 0.79  # ~0.82 (Kipf & Welling 81.5): seeds 0-7 gave 0.813-0.829, 0-3 alike under default
    assert float(whole[1]) >= 0.65  # node2vec + logistic regression: 0.732 (seed 0); DeepWalk's paper: 67.2
