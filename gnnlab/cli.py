"""The ``gnnlab`` command: argument parsing only; the work is done by the library."""
from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence

# plain data: building the parser imports neither PyTorch nor the library (gnnlab --help stays fast)
from gnnlab._catalog import BABI_TRAINABLE_TASKS, DATASETS, GNN_MODELS, TASKS

#: ``gnnlab train --dataset synthetic``'s default size
SYNTHETIC_NODES = 100_000


class _Parser(argparse.ArgumentParser):
    """argparse that reports bad arguments as one line and exit code 2, without a traceback."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message}\n")


#: the files column of ``gnnlab datasets`` for a PubMed ``ind.pubmed.allx`` that is not the release, and the note
#: under the tables
_ALLX_NOTES = {
    "rebuilt": ("found (rebuilt allx)", "is gnnlab's faithful rebuild of the released file (values within 5e-7 of "
                "the released ones; datasets/PubMed/PROVENANCE.md); load_planetoid reads the released file too"),
    "unknown": ("found (allx: not the release)", "is neither the Planetoid release nor gnnlab's rebuild of it (its "
                "sha256 matches neither)"),
}


def _datasets(args: argparse.Namespace) -> int:
    from gnnlab._catalog import (
        DATASET_SIZES,
        TU_DATASETS,
        TU_PARTS,
        TU_SIZES,
        default_root,
        raw_file_names,
        rebuilt_allx,
    )

    root = default_root()
    missing, notes = [], []
    planetoid = [name for name in args.datasets if name in DATASETS]
    if planetoid:
        print("| dataset | nodes | edges | features | classes | train/val/test | files |")
        print("|---|---|---|---|---|---|---|")
    for name in planetoid:
        size, folder = DATASET_SIZES[name], root / DATASETS[name] / "raw"
        absent = [file for file in raw_file_names(name) if not (folder / file).is_file()]
        missing += [f"{len(absent)} of the 8 Planetoid files in {folder}"] if absent else []
        allx = None if absent else rebuilt_allx(name, folder)
        notes += [f"{folder / f'ind.{name}.allx'} {_ALLX_NOTES[allx][1]}"] if allx else []
        files = f"missing {len(absent)}" if absent else _ALLX_NOTES[allx][0] if allx else "found"
        print(f"| {DATASETS[name]} | {size['nodes']} | {size['edges']} | {size['features']} | {size['classes']} | "
              f"{'/'.join(map(str, size['split']))} | {files} |")
    tu = [name for name in args.datasets if name in TU_DATASETS]
    if tu:
        print("\n| dataset | graphs | nodes | edges | features | classes | files |" if planetoid else
              "| dataset | graphs | nodes | edges | features | classes | files |")
        print("|---|---|---|---|---|---|---|")
    for name in tu:
        size, canonical = TU_SIZES[name], TU_DATASETS[name]
        folder = root / "TU" / canonical / "raw"
        absent = [part for part in TU_PARTS if not (folder / f"{canonical}_{part}.txt").is_file()]
        missing += [f"{len(absent)} of the TU files {canonical}_{{{','.join(TU_PARTS)}}}.txt in {folder}"] \
            if absent else []
        print(f"| {canonical} | {size['graphs']} | {size['nodes']} | {size['edges']} | {size['features'] or 'degree'} "
              f"| {size['classes']} | {'missing ' + str(len(absent)) if absent else 'found'} |")
    for note in notes:
        print(f"\n{note}")
    print(f"\nfiles: {root} (gnnlab.data.load_planetoid(name) and load_tu(name) read them, TU sets under TU/; "
          "$GNNLAB_DATA or root= for another copy)")
    if missing:
        print(f"gnnlab datasets: error: missing {'; '.join(missing)}: copy the raw files there from gnnlab's "
              "datasets/ folder, or unset $GNNLAB_DATA to use the bundled ones", file=sys.stderr)
        return 1
    return 0


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1 (got {text})")
    return value


def _check_flags(args: argparse.Namespace) -> None:
    """Refuse a flag that would not act on this run (rather than ignore it)."""
    if args.dataset == "synthetic" and args.split not in (None, "random"):
        raise ValueError(f"--split {args.split} does not apply to --dataset synthetic: a synthetic graph comes with "
                         "its own stratified 60/20/20 random split (leave --split out, or give --split random)")
    if args.dataset != "synthetic" and args.num_nodes is not None:
        raise ValueError(f"--num-nodes is the size of --dataset synthetic; {args.dataset} has its own")
    if not args.distributed and args.nproc_per_node is not None:
        raise ValueError("--nproc-per-node is the number of processes of --distributed training; add --distributed")


def _train_data(args: argparse.Namespace) -> tuple:
    """The graph ``gnnlab train`` trains on, and a description of its split."""
    from gnnlab.data import load_planetoid, synthetic_graph

    if args.dataset != "synthetic":
        split = args.split or "public"
        return load_planetoid(args.dataset, split=split, seed=args.seed), f"{split} split"
    num_nodes = args.num_nodes or SYNTHETIC_NODES
    data = synthetic_graph(num_nodes, seed=args.seed)
    data.name = f"synthetic-{num_nodes}"
    return data, "random 60/20/20 split"


def _train_config(args: argparse.Namespace) -> dict:
    """The model's config (``configs/node/<model>.toml``) with ``--set`` and ``--epochs`` applied."""
    from gnnlab.experiments.config import for_dataset, load_config, parse_overrides

    overrides = parse_overrides(args.set, methods=[args.model], default_method=args.model)
    config = for_dataset(load_config(args.model, overrides=overrides), args.dataset)
    if args.epochs is not None:
        config["train"]["epochs"] = args.epochs
    return config


def _launch_torchrun(arguments: Sequence[str], nproc_per_node: int) -> int:
    """Start ``nproc_per_node`` processes on this machine through ``torchrun --standalone``, each running
    ``python -m gnnlab <arguments>`` (``train ... --distributed``); return the launcher's exit code."""
    from torch.distributed.run import main as torchrun

    try:
        torchrun(["--standalone", "--nproc-per-node", str(nproc_per_node), "-m", "gnnlab", *arguments])
    except Exception as error:  # torchrun raises ChildFailedError with the failing rank's traceback
        print(error, file=sys.stderr)
        return 1
    return 0


def _train(args: argparse.Namespace) -> int:
    if args.batch_size is None and (args.num_neighbors is not None or args.distributed or args.num_workers):
        args.parser.error("--num-neighbors, --num-workers and --distributed need --batch-size")
    _check_flags(args)
    import json

    from gnnlab.experiments.methods import train_gnn
    from gnnlab.train import distributed as parallel
    from gnnlab.utils.io import atomic_write

    mini_batch = {} if args.batch_size is None else {
        "batch_size": args.batch_size, "num_neighbors": args.num_neighbors, "num_workers": args.num_workers}
    config = _train_config(args)
    device = args.device
    if args.distributed:
        if not parallel.launched_by_torchrun():
            return _launch_torchrun(args.argv[args.argv.index("train"):], args.nproc_per_node or 2)
        device = parallel.init_distributed()
    try:
        data, split = _train_data(args)
        model, history = train_gnn(args.model, data, config, seed=args.seed, device=device, verbose=not args.quiet,
                                   distributed=args.distributed, checkpoint=args.checkpoint, **mini_batch)
        world_size = parallel.dist.get_world_size() if args.distributed else 1
        main_process = parallel.is_main_process()
    finally:
        if args.distributed and parallel.dist.is_initialized():
            parallel.dist.destroy_process_group()
    if not main_process:
        return 0
    mode = "full batch" if not mini_batch else (
        f"mini-batches of {args.batch_size}" + (f" on {world_size} ranks" if args.distributed else ""))
    print(f"{model}\n{data.name} ({split}), seed {args.seed}, {mode}, {history['epochs_run']} epochs in "
          f"{history['train_time']:.1f} s on {history['device']}: test accuracy {history['best_test_acc']:.3f} "
          f"at the epoch of best validation accuracy ({history['best_epoch']}), "
          f"{history['final_test_acc']:.3f} at the last")
    if args.out is not None:
        with atomic_write(args.out) as handle:
            json.dump({"model": repr(model), "dataset": data.name, "seed": args.seed, **mini_batch,
                       "world_size": world_size, "config": config, "history": history}, handle, indent=1)
        print(f"history written to {args.out}")
    return 0


def _embed(args: argparse.Namespace) -> int:
    if args.method == "deepwalk" and (args.p is not None or args.q is not None):
        args.parser.error("argument --p/--q: node2vec's return and in-out parameters; DeepWalk's walks are uniform "
                          "(use 'gnnlab embed node2vec --p ... --q ...', whose p = q = 1 is DeepWalk's walk)")
    import numpy as np

    from gnnlab.data import load_planetoid
    from gnnlab.embedding import DeepWalk, Node2Vec, evaluate_embedding
    from gnnlab.utils.io import atomic_write

    data = load_planetoid(args.dataset)
    options = dict(dimensions=args.dimensions, seed=args.seed, device=args.device, verbose=not args.quiet)
    walk = {key: value for key, value in (("p", args.p), ("q", args.q)) if value is not None}
    model = DeepWalk(**options) if args.method == "deepwalk" else Node2Vec(**walk, **options)
    model.fit(data)
    with atomic_write(args.out, "wb") as handle:
        np.save(handle, model.embedding_)
    print(f"{model}: {model.embedding_.shape} embedding of {data.name} written to {args.out}; logistic regression "
          f"on the public split: test accuracy {evaluate_embedding(model, data):.3f}")
    return 0


def _compare(args: argparse.Namespace) -> int:
    # the names, against the catalog: a typo is refused at once, before PyTorch is imported (the library checks
    # them again for its own callers)
    task = TASKS[args.task]
    for option, names, valid in (("--methods", args.methods, task.methods), ("--datasets", args.datasets,
                                                                              task.datasets)):
        for name in names or ():
            if name not in valid:
                args.parser.error(f"argument {option}: invalid choice: {name!r} (choose from "
                                  f"{', '.join(valid)} for --task {args.task})")
    if args.split is not None and args.split not in task.splits:
        args.parser.error(f"argument --split: invalid choice: {args.split!r} (choose from {', '.join(task.splits)})")
    if args.no_tsne and "tsne" not in task.plots:
        args.parser.error(f"argument --no-tsne: --task {args.task} draws no t-SNE plot ({', '.join(task.plots)})")

    from gnnlab.experiments import compare, parse_overrides

    overrides = parse_overrides(args.set, args.task, methods=args.methods)
    result = compare(args.methods, args.datasets, split=args.split, seeds=args.seeds, device=args.device,
                     run_name=args.run_name, out_dir=args.out_dir, quick=args.quick, verbose=not args.quiet,
                     tsne=not args.no_tsne, task=args.task, overrides=overrides)
    print(result["table"])
    written = [result[key].name for key in result if key.endswith("_plot")]
    print(f"results in {result['folder']}: {', '.join(['summary.md', 'runs.csv', 'runs.json', *written])}"
          + (" (each plot also as .pdf and .svg)" if written else ""))
    return 0


def _babi(args: argparse.Namespace) -> int:
    from pathlib import Path

    from gnnlab.experiments import parse_overrides
    from gnnlab.experiments.babi import format_babi, run_babi
    from gnnlab.utils.io import atomic_write

    overrides = parse_overrides(args.set, task="babi")
    results = run_babi(tasks=args.tasks, num_train=args.num_train, seeds=range(args.seeds), overrides=overrides,
                       quick=args.quick, out=args.out, verbose=not args.quiet)
    table = format_babi(results)
    print(table)
    with atomic_write(Path(args.out) / "table.md") as handle:
        handle.write(table + "\n")
    print(f"results in {args.out}: table.md, babi.json")
    return 0


def _add_datasets_command(commands) -> None:

    from gnnlab._catalog import TU_DATASETS

    info = commands.add_parser("datasets", help="describe the bundled datasets",
                               description="Print the size (and public split) of the bundled datasets and whether "
                                           "their files are found.")
    names = [*DATASETS, *TU_DATASETS]
    info.add_argument("--datasets", nargs="+", default=names, type=str.lower, choices=names, metavar="NAME",
                      help=f"any of {', '.join(names)} (default: all)")
    info.set_defaults(handler=_datasets)


_SET_HELP = ("override a config value, typed like the TOML's own (repeatable): --set gcn.hidden_channels=64 "
             "--set gat.dropout=0.5")


def _add_compare_command(commands) -> None:
    def listing(field: str) -> str:
        return "; ".join(f"{name}: {', '.join(getattr(task, field))}" for name, task in TASKS.items())

    defaults = "; ".join(f"{name}: {' '.join(task.default_datasets or task.datasets)}" for name, task in TASKS.items())

    compare = commands.add_parser(
        "compare", help="compare embedding baselines and GNNs over seeds (the main job)",
        description="Run methods x datasets x seeds, resume an interrupted run of the same name, and write a "
                    "Markdown table (ours beside published figures), runs.csv/json and plots. The "
                    "hyper-parameters are the TOML files in gnnlab/experiments/configs/<task>/.")
    compare.add_argument("--task", default="node", choices=list(TASKS),
                         help="what to predict: " + "; ".join(f"{name}: {task.description}"
                                                             for name, task in TASKS.items()) + " (default: node)")
    compare.add_argument("--datasets", nargs="+", default=None, type=str.lower, metavar="NAME",
                         help=f"datasets of the task (default: {defaults}; choose from {listing('datasets')})")
    compare.add_argument("--methods", nargs="+", default=None, type=str.lower, metavar="METHOD",
                         help=f"methods of the task (default: all; {listing('methods')})")
    compare.add_argument("--split", default=None,
                         help=f"a split of the task (default: its first; {listing('splits')}); node: 'public' is "
                              "Planetoid's, 'random' a stratified 60/20/20 split per seed")
    compare.add_argument("--seeds", type=_positive, default=None,
                         help="seeds per cell (default: 3; --task graph: its 10 outer folds, each a seed; at most "
                              "3 with --quick)")
    compare.add_argument("--set", action="append", default=[], metavar="METHOD.KEY=VALUE", help=_SET_HELP)
    compare.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N (default: auto)")
    compare.add_argument("--run-name", default=None,
                         help="results go to OUT_DIR/RUN_NAME; reuse to resume (default: the task's name, with "
                              "-quick for --quick: results/node, results/node-quick, results/link)")
    compare.add_argument("--out-dir", default="results", help="parent folder of the results (default: results)")
    compare.add_argument("--quick", action="store_true", help="tiny epochs and walks: a smoke test, not a result")
    compare.add_argument("--no-tsne", action="store_true", help="skip the t-SNE plot")
    compare.add_argument("--quiet", action="store_true", help="no progress bar")
    compare.set_defaults(handler=_compare, parser=compare)


def _add_train_command(commands) -> None:

    train = commands.add_parser("train", help="train one GNN on one dataset",
                                description="Train a GNN with its paper's hyper-parameters (the TOML files in "
                                            "gnnlab/experiments/configs/node/) and report test accuracy.")
    train.add_argument("model", choices=list(GNN_MODELS), help="the model")
    train.add_argument("--dataset", default="cora", type=str.lower, choices=[*DATASETS, "synthetic"],
                       help="a bundled dataset, or 'synthetic' (gnnlab.data.synthetic_graph, 60/20/20 split)")
    train.add_argument("--num-nodes", type=_positive, default=None,
                       help=f"size of --dataset synthetic (default: {SYNTHETIC_NODES:,})")
    train.add_argument("--split", default=None, choices=["public", "full", "random"],
                       help="split of a bundled dataset (default: public); a synthetic graph has its own")
    train.add_argument("--epochs", type=_positive, default=None, help="override the paper's number of epochs")
    train.add_argument("--set", action="append", default=[], metavar="[MODEL.]KEY=VALUE", help=_SET_HELP)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N (default: auto)")
    train.add_argument("--batch-size", type=_positive, default=None,
                       help="train in mini-batches of this many seed nodes with sampled neighbourhoods")
    train.add_argument("--num-neighbors", type=int, nargs="+", default=None, metavar="K",
                       help="fanout per hop for mini-batches, -1 for all (default: 25 10)")
    train.add_argument("--num-workers", type=int, default=0, help="sampling worker processes (default: 0)")
    train.add_argument("--distributed", action="store_true",
                       help="data-parallel training with torch.distributed (gloo on CPU, nccl on CUDA); launches "
                            "torchrun unless already under it")
    train.add_argument("--nproc-per-node", type=_positive, default=None,
                       help="processes for --distributed (default 2)")
    train.add_argument("--out", default=None, help="write the history as JSON here (rank 0, atomically)")
    train.add_argument("--checkpoint", default=None, metavar="FILE",
                       help="save a checkpoint every epoch (rank 0, atomically) and resume from FILE if it exists")
    train.add_argument("--quiet", action="store_true", help="no progress bar")
    train.set_defaults(handler=_train, parser=train)


def _add_embed_command(commands) -> None:

    embed = commands.add_parser("embed", help="learn DeepWalk or node2vec embeddings and save them",
                                description="Fit DeepWalk or node2vec on a dataset and save the (N, d) array.")
    embed.add_argument("method", choices=["deepwalk", "node2vec"])
    embed.add_argument("--dataset", default="cora", type=str.lower, choices=list(DATASETS))
    embed.add_argument("--out", required=True, help="output .npy file")
    embed.add_argument("--dimensions", type=_positive, default=128)
    embed.add_argument("--p", type=float, default=None, help="node2vec's return parameter (default 1; node2vec only)")
    embed.add_argument("--q", type=float, default=None, help="node2vec's in-out parameter (default 1; node2vec only)")
    embed.add_argument("--seed", type=int, default=0)
    embed.add_argument("--device", default="auto")
    embed.add_argument("--quiet", action="store_true")
    embed.set_defaults(handler=_embed, parser=embed)


def _add_babi_command(commands) -> None:
    babi = commands.add_parser(
        "babi", help="the gated GNN on bAbI tasks 4, 15, 16 and 18 (Li et al. 2016)",
        description="Train the gated GNN on bAbI tasks as Li et al. (ICLR 2016, Table 1): the authors' 50 training "
                    "stories, one model per question type, test accuracy on the 1,000 test stories beside the "
                    "paper's. Writes table.md and babi.json (every run's figures) to --out. The settings are the "
                    "TOML files in gnnlab/experiments/configs/babi/.")
    babi.add_argument("--tasks", type=int, nargs="+", default=list(BABI_TRAINABLE_TASKS), choices=BABI_TRAINABLE_TASKS,
                      metavar="TASK", help=f"any of {', '.join(map(str, BABI_TRAINABLE_TASKS))} (default: all)")
    babi.add_argument("--seeds", type=_positive, default=1,
                      help="runs per task and question type, seeds 0, 1, ... (default: 1)")
    babi.add_argument("--num-train", type=_positive, default=50,
                      help="training stories, the first of the authors' random order (default: 50, the paper's)")
    babi.add_argument("--set", action="append", default=[], metavar="CONFIG.KEY=VALUE",
                      help="override a config value, typed like the TOML's own (repeatable): --set babi15.lr=0.01")
    babi.add_argument("--out", default="results/babi", help="folder of the results (default: results/babi)")
    babi.add_argument("--quick", action="store_true", help="5 updates per model: a smoke test, not a result")
    babi.add_argument("--quiet", action="store_true", help="no progress bar")
    babi.set_defaults(handler=_babi, parser=babi)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="gnnlab", description="Graph neural networks and random-walk embeddings, compared.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    _add_datasets_command(commands)
    _add_compare_command(commands)
    _add_train_command(commands)
    _add_embed_command(commands)
    _add_babi_command(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    args.argv = argv
    try:
        return args.handler(args)
    except (ValueError, FileNotFoundError, TypeError) as error:
        # a refused input is one line and exit 2; a TypeError that is not one of gnnlab's input checks
        # ("'<who>' expected ...") is a bug, and keeps its traceback
        if isinstance(error, TypeError) and not re.match(r"'[^']+' expected ", str(error)):
            raise
        print(f"gnnlab {args.command}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"gnnlab {args.command}: interrupted; finished cells are saved, run the same command to resume",
              file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
