"""The ``gnnlab`` command: argument parsing only; the work is done by the library."""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from gnnlab.data import DATASETS


class _Parser(argparse.ArgumentParser):
    """argparse that reports bad arguments as one line and exit code 2, without a traceback."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message}\n")


def _datasets(args: argparse.Namespace) -> int:
    from gnnlab.data import load_planetoid

    print("| dataset | nodes | edges | features | classes | train/val/test |")
    print("|---|---|---|---|---|---|")
    for name in args.datasets:
        data = load_planetoid(name)
        split = "/".join(str(int(m.sum())) for m in (data.train_mask, data.val_mask, data.test_mask))
        print(f"| {data.name} | {data.num_nodes} | {data.num_edges} | {data.num_features} | "
              f"{int(data.y.max()) + 1} | {split} |")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="gnnlab", description="Graph neural networks and random-walk embeddings, compared.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    info = commands.add_parser("datasets", help="describe the bundled datasets",
                               description="Print the size and public split of the bundled datasets.")
    info.add_argument("--datasets", nargs="+", default=list(DATASETS), type=str.lower,
                      choices=list(DATASETS), metavar="NAME", help="cora and/or citeseer (default: both)")
    info.set_defaults(handler=_datasets)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except (ValueError, FileNotFoundError, TypeError) as error:
        print(f"gnnlab {args.command}: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
