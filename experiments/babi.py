"""The gated GNN on bAbI tasks 4, 15, 16 and 18 as Li et al. (ICLR 2016, Table 1) train it: 50 training stories,
one model per question type, test accuracy on the 1,000 test stories (``gnnlab.experiments.babi.run_babi``).

    python experiments/babi.py [--tasks 4 15 16 18] [--seeds 1] [--num-train 50] [--set babi15.lr=0.01]
                               [--out results/babi] [--quick] [--quiet]

Prints a Markdown table (each task's test accuracy beside the paper's) and writes it, with every run's figures in
``babi.json``, to ``--out``. The settings are the package's configs (``gnnlab/experiments/configs/babi/``).
"""
from __future__ import annotations

import argparse
from pathlib import Path

from gnnlab.experiments import parse_overrides
from gnnlab.experiments.babi import TRAINABLE_TASKS, format_babi, run_babi
from gnnlab.utils.io import atomic_write


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, nargs="+", default=list(TRAINABLE_TASKS), choices=TRAINABLE_TASKS)
    parser.add_argument("--seeds", type=int, default=1, help="runs per task and question type (seeds 0, 1, ...)")
    parser.add_argument("--num-train", type=int, default=50, help="training stories (the first ones of the file)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="CONFIG.KEY=VALUE",
                        help="change a setting, e.g. babi15.lr=0.01 (repeatable)")
    parser.add_argument("--out", default="results/babi")
    parser.add_argument("--quick", action="store_true", help="5 updates per model: a smoke test, not a measurement")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args()
    overrides = parse_overrides(args.overrides, task="babi")
    results = run_babi(tasks=args.tasks, num_train=args.num_train, seeds=range(args.seeds), overrides=overrides,
                       quick=args.quick, out=args.out, verbose=not args.quiet)
    table = format_babi(results)
    print(table)
    with atomic_write(Path(args.out) / "table.md") as handle:
        handle.write(table + "\n")
    print(f"\nresults: {Path(args.out) / 'babi.json'}")


if __name__ == "__main__":
    main()
