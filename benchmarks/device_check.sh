#!/usr/bin/env bash
# The CUDA check, in one script of under 8 minutes: the CUDA tests, then the GPU benchmarks.
#
#     bash benchmarks/device_check.sh            # on a machine with a CUDA GPU
#     bash benchmarks/device_check.sh --cpu      # a dry run on the CPU, tiny sizes: every command starts and ends
#
# Steps, each under its own `timeout` (the limits add up to 460 s):
#   1. tests      pytest tests/cuda -m cuda (every conv and model vs the CPU, walks, skip-gram, pinned
#                 NeighborLoader, training, checkpoint CUDA -> CPU, gnnlab compare --device cuda, DDP over
#                 nccl, seed_everything(deterministic=True))                                     180 s
#   2. gnn        benchmarks/gnn.py on the GPU: train step of gnnlab vs PyG default and PyG tuned  80 s
#   3. walks      random walks on a random graph of 1M nodes / 10M edges on the GPU (p = q = 1, then
#                 p = 4, q = 0.25): time and peak GPU memory                                       50 s
#   4. skipgram   skip-gram throughput on the GPU (Cora walks, every window pair once)             40 s
#   5. minibatch  one mini-batch GraphSAGE epoch on a 1M-node synthetic graph with the GPU: batches
#                 sampled on the host (fit_node_classifier) and sampled on the GPU                110 s
#
# Self-contained on a bare machine: it uses $PYTHON (default: python3, which on the lent GPU machines holds
# PyTorch with CUDA, torch_geometric, scipy, scikit-learn, pytest and hypothesis) and imports gnnlab from this
# working tree through PYTHONPATH, installing nothing. Everything it prints also goes to $OUT (when set) or to
# results/device_check/: summary.md, one log per step, gnn.json and gpu.json. A failing or timed-out step is
# reported in the summary and the script goes on; the exit status is the number of failed steps.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

MODE=cuda
case "${1:-}" in
    --cpu|--dry-run) MODE=cpu ;;
    "") ;;
    *) echo "usage: bash benchmarks/device_check.sh [--cpu]" >&2; exit 2 ;;
esac

PYTHON=${PYTHON:-python3}
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONUNBUFFERED=1 MPLBACKEND=Agg
DEST=${OUT:-$ROOT/results/device_check}
mkdir -p "$DEST"
SUMMARY="$DEST/summary.md"
BENCH=$(mktemp -t gnnlab-device-bench.XXXXXX.py)
trap 'rm -f "$BENCH"' EXIT
FAILED=0

if [ "$MODE" = cuda ]; then
    DEVICE=cuda; NODES=1000000; EDGES=10000000; GNN_STEPS=30; SLACK=1
else  # tiny sizes, but a shared CPU is slow: three times the limits
    DEVICE=cpu; NODES=10000; EDGES=100000; GNN_STEPS=1; SLACK=3
fi

{
    echo "# gnnlab device check ($MODE mode), $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    echo '```'
    "$PYTHON" - <<'EOF' 2>&1
import platform, torch
print(f"python {platform.python_version()}, torch {torch.__version__}, CUDA available: {torch.cuda.is_available()}")
if torch.cuda.is_available():
    print(f"GPU: {torch.cuda.get_device_name(0)}, {torch.cuda.get_device_properties(0).total_memory / 2**30:.0f} GiB")
try:
    import torch_geometric
    print(f"torch_geometric {torch_geometric.__version__}")
except ImportError as error:
    print(f"torch_geometric missing: {error}")
EOF
    command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
    echo '```'
} | tee "$SUMMARY"

# run NAME SECONDS COMMAND...: the command under `timeout`, its output in $DEST/NAME.log, a line in the summary
run() {
    local name=$1 limit=$(($2 * SLACK))
    shift 2
    local start=$SECONDS
    echo
    echo "== $name (limit ${limit} s): $*"
    timeout --kill-after=10 "$limit" "$@" 2>&1 | tee "$DEST/$name.log"
    local status=${PIPESTATUS[0]}
    local took=$((SECONDS - start)) verdict=ok
    if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
        verdict="TIMED OUT"
    elif [ "$status" -ne 0 ]; then
        verdict="FAILED (exit $status)"
    fi
    [ "$verdict" = ok ] || FAILED=$((FAILED + 1))
    {
        echo
        echo "## $name: $verdict in ${took} s"
        echo
        echo '```'
        grep -E '^\| |passed|failed|skipped|^FAILED|^ERROR|Error|^[a-z_]+: ' "$DEST/$name.log" | grep -v '^E ' | tail -n 40
        echo '```'
    } >>"$SUMMARY"
}

# The GPU benchmarks of steps 3-5 (one script, one step per call), printing "key: value" lines and appending
# one JSON record per step to gpu.json.
cat >"$BENCH" <<'EOF'
import json, os, sys, time

import torch

step, device_name, num_nodes, num_edges, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
torch.set_num_threads(min(16, os.cpu_count() or 1))
device = torch.device(device_name)
cuda = device.type == "cuda"


def synchronise():
    if cuda:
        torch.cuda.synchronize(device)


def peak_mib():
    return torch.cuda.max_memory_allocated(device) / 2**20 if cuda else float("nan")


def report(record):
    record.update(step=step, device=torch.cuda.get_device_name(device) if cuda else "cpu")
    for key, value in record.items():
        print(f"{key}: {value:.4g}" if isinstance(value, float) else f"{key}: {value}")
    with open(out, "a") as handle:
        handle.write(json.dumps(record) + "\n")


if step == "walks":
    from gnnlab.embedding import random_walks

    generator = torch.Generator(device=device).manual_seed(0)
    half = torch.randint(0, num_nodes, (2, num_edges // 2), device=device, generator=generator)
    edge_index = torch.cat([half, half.flip(0)], dim=1)
    for p, q in ((1.0, 1.0), (4.0, 0.25)):
        random_walks(edge_index, num_nodes, walk_length=5, walks_per_node=1, p=p, q=q, seed=0)  # warm-up
        if cuda:
            torch.cuda.reset_peak_memory_stats(device)
        before = torch.cuda.memory_allocated(device) if cuda else 0
        synchronise()
        start = time.perf_counter()
        walks = random_walks(edge_index, num_nodes, walk_length=80, walks_per_node=1, p=p, q=q, seed=0)
        synchronise()
        seconds = time.perf_counter() - start
        report({"nodes": num_nodes, "edges": edge_index.size(1), "p": p, "q": q, "walk_length": 80,
                "seconds": seconds, "steps_per_s": walks.numel() / seconds, "peak_gpu_mib_above_graph":
                peak_mib() - before / 2**20})
        del walks
elif step == "skipgram":
    from gnnlab.data import load_planetoid
    from gnnlab.embedding import random_walks, train_skipgram

    data = load_planetoid("cora")
    walks = random_walks(data.edge_index.to(device), data.num_nodes, walk_length=80, walks_per_node=10, seed=0)
    small = walks[: max(1, walks.size(0) // 100)] if cuda else walks[:50]
    train_skipgram(small, data.num_nodes, dimensions=128, window_size=10, seed=0)  # warm-up
    walks = walks if cuda else walks[:100]
    per_node = 1000 if cuda else 20  # the CPU dry run only checks that the step runs
    for max_pairs in (None, per_node * data.num_nodes):  # every window pair once; then a sample per node
        synchronise()
        start = time.perf_counter()
        train_skipgram(walks, data.num_nodes, dimensions=128, window_size=10, max_pairs=max_pairs, seed=0)
        synchronise()
        seconds = time.perf_counter() - start
        record = {"walks": walks.size(0), "walk_length": walks.size(1), "pairs": "every window pair"
                  if max_pairs is None else max_pairs, "seconds": seconds}
        if max_pairs is not None:
            record["pairs_per_s"] = max_pairs / seconds
        report(record)
elif step == "minibatch":
    from gnnlab.data import NeighborLoader, synthetic_graph
    from gnnlab.nn import GraphSAGE
    from gnnlab.train import fit_node_classifier
    import torch.nn.functional as F

    start = time.perf_counter()
    data = synthetic_graph(num_nodes, num_classes=10, avg_degree=num_edges / num_nodes, num_features=64, seed=0)
    generate = time.perf_counter() - start
    num_seeds = int(data.train_mask.sum())
    torch.manual_seed(0)
    model = GraphSAGE(64, 10, hidden_channels=64)
    history = fit_node_classifier(model, data, epochs=1, batch_size=1024, num_neighbors=[25, 10], device=device,
                                  seed=0, verbose=False)
    report({"nodes": num_nodes, "edges": data.num_edges, "generate_s": generate, "where_sampled": "host",
            "train_epoch_s": history["seconds"][0], "seeds_per_s": num_seeds / history["seconds"][0],
            "epoch_with_layerwise_eval_s": history["train_time"], "val_acc": history["val_acc"][0],
            "peak_gpu_mib": peak_mib()})
    on_device = data.to(device)
    loader = NeighborLoader(on_device, [25, 10], batch_size=1024, shuffle=True, input_nodes=on_device.train_mask,
                            seed=0)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    synchronise()
    start = time.perf_counter()
    for batch in loader:
        optimizer.zero_grad(set_to_none=True)
        size = batch.batch_size
        logits = model(batch.x, batch.edge_index, num_sampled_nodes_per_hop=batch.num_sampled_nodes,
                       num_sampled_edges_per_hop=batch.num_sampled_edges)[:size]
        F.cross_entropy(logits, batch.y[:size]).backward()
        optimizer.step()
    synchronise()
    seconds = time.perf_counter() - start
    report({"nodes": num_nodes, "edges": data.num_edges, "where_sampled": str(device), "train_epoch_s": seconds,
            "seeds_per_s": num_seeds / seconds, "peak_gpu_mib": peak_mib()})
else:
    sys.exit(f"unknown step {step!r}")
EOF

rm -f "$DEST/gpu.json"
run tests 180 "$PYTHON" -m pytest -q -ra -m cuda -p no:cacheprovider --durations=8 tests/cuda
GNN_ARGS=(--device "$DEVICE" --steps "$GNN_STEPS" --threads 2 --json "$DEST/gnn.json")
[ "$MODE" = cpu ] && GNN_ARGS+=(--models gcn --datasets cora)
run gnn 80 "$PYTHON" benchmarks/gnn.py "${GNN_ARGS[@]}"
run walks 50 "$PYTHON" "$BENCH" walks "$DEVICE" "$NODES" "$EDGES" "$DEST/gpu.json"
run skipgram 40 "$PYTHON" "$BENCH" skipgram "$DEVICE" "$NODES" "$EDGES" "$DEST/gpu.json"
run minibatch 110 "$PYTHON" "$BENCH" minibatch "$DEVICE" "$NODES" "$EDGES" "$DEST/gpu.json"

{
    echo
    echo "$FAILED step(s) failed; total ${SECONDS} s. Logs and JSON in $DEST."
} | tee -a "$SUMMARY"
exit "$FAILED"
