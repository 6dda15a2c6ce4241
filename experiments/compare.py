"""The Cora/CiteSeer comparison as a script: the same as ``gnnlab compare`` (see ``--help``).

    python experiments/compare.py [--datasets cora citeseer] [--methods ...] [--seeds 3] [--quick]
"""
import sys

from gnnlab.cli import main

if __name__ == "__main__":
    sys.exit(main(["compare", *sys.argv[1:]]))
