"""The gated GNN on bAbI tasks 4, 15, 16 and 18 as Li et al. (ICLR 2016, Table 1) train it: the same as
``gnnlab babi`` (see ``--help``).

    python experiments/babi.py [--tasks 4 15 16 18] [--seeds 1] [--num-train 50] [--set babi15.lr=0.01]
                               [--out results/babi] [--quick] [--quiet]

Prints a Markdown table (each task's test accuracy beside the paper's) and writes it, with every run's figures in
``babi.json``, to ``--out``. The settings are the package's configs (``gnnlab/experiments/configs/babi/``).
"""
import sys

from gnnlab.cli import main

if __name__ == "__main__":
    sys.exit(main(["babi", *sys.argv[1:]]))
