"""Bad input across the public API: each case raises ValueError, TypeError or FileNotFoundError with a message
naming the argument, never an IndexError or an error from inside torch."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.exceptions import NotFittedError
from torch_geometric.data import Data

import gnnlab.cli
from gnnlab.data import NeighborLoader, from_networkx, load_planetoid, random_split, synthetic_graph
from gnnlab.embedding import DeepWalk, Node2Vec, evaluate_embedding, random_walks, train_skipgram
from gnnlab.nn import GAT, GCN, GGNN, MLP, GATConv, GatedGraphConv, GCNConv, GraphSAGE, LeNet5, SAGEConv
from gnnlab.nn.functional import conv2d, gcn_norm, max_pool2d
from gnnlab.optim import SGD, clip_grad_norm_
from gnnlab.regularize import EarlyStopping, Ensemble
from gnnlab.train import Checkpoint, fit_classifier, fit_node_classifier

EDGES = torch.tensor([[0, 1, 1, 2, 2, 3], [1, 0, 2, 1, 3, 2]])
X = torch.randn(4, 3)


def _graph(**changes):
    data = Data(x=X.clone(), edge_index=EDGES.clone(), y=torch.tensor([0, 1, 0, 1]))
    data.train_mask = torch.tensor([True, True, False, False])
    data.val_mask = torch.tensor([False, False, True, False])
    data.test_mask = torch.tensor([False, False, False, True])
    for key, value in changes.items():
        data[key] = value
    return data


def _nan(x):
    x = x.clone()
    x[1, 2] = float("nan")
    return x


def _inf(x):
    x = x.clone()
    x[0, 0] = float("inf")
    return x


def _corrupt_planetoid(tmp_path):
    import shutil

    from gnnlab.data.planetoid import default_root

    target = tmp_path / "Cora" / "raw"
    shutil.copytree(default_root() / "Cora" / "raw", target)
    (target / "ind.cora.graph").write_bytes(b"not a pickle")
    return load_planetoid("cora", root=tmp_path)


def _bad_file(tmp_path, content: bytes):
    path = tmp_path / "bad.ckpt"
    path.write_bytes(content)
    return Checkpoint(path).load()


CASES = {
    # layers: shapes, dtypes, indices, features
    "conv_zero_channels": (lambda t: GCNConv(0, 2), "in_channels"),
    "edge_index_float": (lambda t: GCNConv(3, 2)(X, EDGES.float()), "edge_index"),
    "edge_index_three_rows": (lambda t: SAGEConv(3, 2)(X, torch.zeros(3, 4, dtype=torch.long)), "edge_index"),
    "edge_index_negative": (lambda t: GATConv(3, 2)(X, torch.tensor([[0, -1], [1, 2]])), "edge_index"),
    "edge_index_out_of_range": (lambda t: GCNConv(3, 2)(X, torch.tensor([[0, 9], [1, 2]])), "edge_index"),
    "edge_index_not_tensor": (lambda t: GCN(3, 2)(X, [[0, 1], [1, 0]]), "edge_index"),
    "x_wrong_width": (lambda t: GraphSAGE(5, 2)(X, EDGES), "'x'"),
    "x_nan": (lambda t: GCN(3, 2)(_nan(X), EDGES), "'x'"),
    "x_inf": (lambda t: GAT(3, 2)(_inf(X), EDGES), "'x'"),
    "x_one_dimensional": (lambda t: GCN(3, 2)(torch.randn(4), EDGES), "'x'"),
    "edge_weight_wrong_length": (lambda t: GCN(3, 2)(X, EDGES, torch.ones(5)), "edge_weight"),
    "gat_edge_weight": (lambda t: GAT(3, 2)(X, EDGES, torch.ones(6)), "edge_weight"),
    "unknown_aggregation": (lambda t: SAGEConv(3, 2, aggr="average"), "aggr"),
    "dropout_above_one": (lambda t: GCN(3, 2, dropout=1.5), "dropout"),
    "zero_hidden": (lambda t: GraphSAGE(3, 2, hidden_channels=0), "hidden_channels"),
    "ggnn_steps_zero": (lambda t: GGNN(3, 2, num_layers=0), "num_layers"),
    "gated_wider_input": (lambda t: GatedGraphConv(2, 2)(X, EDGES), "'x'"),
    "gcn_norm_small_num_nodes": (lambda t: gcn_norm(EDGES, num_nodes=2), "edge_index"),
    "layerwise_batch_zero": (lambda t: GCN(3, 2).inference(X, EDGES, batch_size=0), "batch_size"),
    "trim_counts_wrong": (lambda t: GraphSAGE(3, 2)(X, EDGES, num_sampled_nodes_per_hop=[1, 1],
                                                    num_sampled_edges_per_hop=[6]), "num_sampled_nodes_per_hop"),
    # training
    "mask_wrong_length": (lambda t: fit_node_classifier(GCN(3, 2), _graph(train_mask=torch.ones(3, dtype=torch.bool)),
                                                        verbose=False), "train_mask"),
    "mask_not_bool": (lambda t: fit_node_classifier(GCN(3, 2), _graph(val_mask=torch.ones(4)), verbose=False),
                      "val_mask"),
    "empty_train_mask": (lambda t: fit_node_classifier(GCN(3, 2), _graph(train_mask=torch.zeros(4, dtype=torch.bool)),
                                                       verbose=False), "train_mask"),
    "epochs_zero": (lambda t: fit_node_classifier(GCN(3, 2), _graph(), epochs=0, verbose=False), "epochs"),
    "negative_lr": (lambda t: fit_node_classifier(GCN(3, 2), _graph(), lr=-0.1, verbose=False), "lr"),
    "unknown_select": (lambda t: fit_node_classifier(GCN(3, 2), _graph(), select="best", verbose=False), "select"),
    "features_nan_in_training": (lambda t: fit_node_classifier(GCN(3, 2), _graph(x=_nan(X)), verbose=False),
                                 "'x'"),
    "unknown_device": (lambda t: fit_node_classifier(GCN(3, 2), _graph(), device="tpu", verbose=False), "device"),
    "checkpoint_every_zero": (lambda t: fit_node_classifier(GCN(3, 2), _graph(), checkpoint_every=0, verbose=False),
                              "checkpoint_every"),
    "dense_batch_size_zero": (lambda t: fit_classifier(MLP(3, [4], 2), X, torch.tensor([0, 1, 0, 1]), batch_size=0,
                                                       verbose=False), "batch_size"),
    "dense_labels_wrong_length": (lambda t: fit_classifier(MLP(3, [4], 2), X, torch.tensor([0, 1]), verbose=False),
                                  "'y'"),
    # data
    "unknown_dataset": (lambda t: load_planetoid("pubmedx"), "name"),
    "missing_dataset_files": (lambda t: load_planetoid("cora", root=t / "nowhere"), "ind.cora"),
    "corrupt_dataset_file": (lambda t: _corrupt_planetoid(t), "ind.cora.graph"),
    "split_fractions_over_one": (lambda t: random_split(10, train=0.8, val=0.3, test=0.2), "1"),
    "split_zero_fraction": (lambda t: random_split(10, train=0.0), "train"),
    "synthetic_empty_graph": (lambda t: synthetic_graph(0), "num_nodes"),
    "synthetic_negative_degree": (lambda t: synthetic_graph(10, avg_degree=-2), "avg_degree"),
    "loader_empty_fanout": (lambda t: NeighborLoader(_graph(), []), "num_neighbors"),
    "loader_batch_size_zero": (lambda t: NeighborLoader(_graph(), [2], batch_size=0), "batch_size"),
    "loader_input_out_of_range": (lambda t: NeighborLoader(_graph(), [2], input_nodes=torch.tensor([7])),
                                  "input_nodes"),
    "loader_mask_wrong_length": (lambda t: NeighborLoader(_graph(), [2], input_nodes=torch.ones(9, dtype=torch.bool)),
                                 "input_nodes"),
    "networkx_not_a_graph": (lambda t: from_networkx({"a": 1}), "graph"),
    # walks and embeddings
    "walk_length_one": (lambda t: random_walks(EDGES, walk_length=1), "walk_length"),
    "walk_p_zero": (lambda t: random_walks(EDGES, p=0.0), "'p'"),
    "walk_q_negative": (lambda t: random_walks(EDGES, q=-1.0), "'q'"),
    "walk_negative_weight": (lambda t: random_walks(EDGES, edge_weight=-torch.ones(6)), "edge_weight"),
    "walk_empty_graph": (lambda t: random_walks(torch.zeros(2, 0, dtype=torch.long), num_nodes=0), "num_nodes"),
    "walk_start_out_of_range": (lambda t: random_walks(EDGES, start_nodes=torch.tensor([8])), "start_nodes"),
    "skipgram_node_out_of_range": (lambda t: train_skipgram(torch.tensor([[0, 5]]), 3), "walks"),
    "skipgram_window_zero": (lambda t: train_skipgram(torch.tensor([[0, 1]]), 3, window_size=0), "window_size"),
    "skipgram_unknown_objective": (lambda t: train_skipgram(torch.tensor([[0, 1]]), 3, objective="hs"), "objective"),
    "deepwalk_zero_dimensions": (lambda t: DeepWalk(dimensions=0).fit(EDGES), "dimensions"),
    "node2vec_unknown_objective": (lambda t: Node2Vec(objective="softmax").fit(EDGES), "objective"),
    "node2vec_negative_p": (lambda t: Node2Vec(p=-1.0).fit(EDGES), "'p'"),
    "deepwalk_empty_graph": (lambda t: DeepWalk().fit(torch.zeros(2, 0, dtype=torch.long), num_nodes=3), "graph"),
    "deepwalk_wrong_graph_type": (lambda t: DeepWalk().fit("karate"), "graph"),
    "embedding_before_fit": (lambda t: DeepWalk().embedding_, "fit"),
    "evaluate_embedding_wrong_rows": (lambda t: evaluate_embedding(torch.randn(3, 2).numpy(), _graph()), "embedding"),
    # classic deep learning
    "conv2d_three_dims": (lambda t: conv2d(torch.randn(1, 5, 5), torch.randn(2, 1, 3, 3)), "input"),
    "conv2d_channel_mismatch": (lambda t: conv2d(torch.randn(1, 2, 5, 5), torch.randn(2, 1, 3, 3)), "weight"),
    "conv2d_stride_zero": (lambda t: conv2d(torch.randn(1, 1, 5, 5), torch.randn(2, 1, 3, 3), stride=0), "stride"),
    "pool_kernel_zero": (lambda t: max_pool2d(torch.randn(1, 1, 4, 4), 0), "kernel_size"),
    "lenet_wrong_image_size": (lambda t: LeNet5()(torch.randn(2, 1, 28, 28)), "'x'"),
    "sgd_negative_lr": (lambda t: SGD([torch.zeros(1, requires_grad=True)], lr=-1.0), "lr"),
    "sgd_nesterov_without_momentum": (lambda t: SGD([torch.zeros(1, requires_grad=True)], lr=0.1, nesterov=True),
                                      "nesterov"),
    "clip_negative_norm": (lambda t: clip_grad_norm_([torch.zeros(1, requires_grad=True)], -1.0), "max_norm"),
    "early_stopping_patience_zero": (lambda t: EarlyStopping(patience=0), "patience"),
    "ensemble_empty": (lambda t: Ensemble([]), "models"),
    # files
    "checkpoint_missing": (lambda t: Checkpoint(t / "none.ckpt").load(), "none.ckpt"),
    "checkpoint_garbage": (lambda t: _bad_file(t, b"\x00garbage"), "checkpoint"),
    "checkpoint_bad_path_type": (lambda t: Checkpoint(None), "path"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_is_named(name, tmp_path):
    call, word = CASES[name]
    with pytest.raises((ValueError, TypeError, FileNotFoundError)) as info:
        call(tmp_path)
    error = info.value
    assert not isinstance(error, (IndexError, KeyError)), repr(error)
    assert word in str(error), f"{name}: {error!r} does not mention {word!r}"
    # one of gnnlab's messages (who + what was expected), not an error from inside torch or numpy
    message = str(error)
    assert message.startswith("'") or "expected" in message or isinstance(error, NotFittedError), message


def test_there_are_at_least_thirty_cases():
    assert len(CASES) >= 30


def test_cli_reports_bad_arguments_in_one_line(capsys):
    assert gnnlab.cli.main(["train", "sage", "--batch-size", "8", "--num-neighbors", "0"]) == 2
    error = capsys.readouterr().err.strip()
    assert "num_neighbors" in error and len(error.splitlines()) == 1
    with pytest.raises(SystemExit) as info:
        gnnlab.cli.main(["train", "transformer"])
    assert info.value.code == 2


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan"), np.float64("nan"), np.inf])
def test_infinite_and_nan_numbers_are_refused_with_the_argument_named(value):
    with pytest.raises(ValueError, match="'Node2Vec' expected 'p' to be a finite number in \\(0.0, inf\\)"):
        Node2Vec(p=value, walk_length=5, walks_per_node=1, verbose=False).fit(_graph())
    with pytest.raises(ValueError, match="'random_walks' expected 'q' to be a finite number"):
        random_walks(EDGES, 4, walk_length=3, q=value)
    with pytest.raises(ValueError, match="'SGD' expected 'lr' to be a finite number"):
        SGD(torch.nn.Linear(2, 2).parameters(), lr=value)


def test_numpy_numbers_are_numbers():
    # a numpy scalar is what a grid search over np.linspace / np.arange hands over
    walks = random_walks(EDGES, 4, walk_length=np.int64(5), walks_per_node=np.int32(2), p=np.float32(0.5),
                         q=np.float64(2.0), seed=0)
    assert walks.shape == (8, 5)
    model = Node2Vec(dimensions=np.int64(4), walk_length=np.int64(5), walks_per_node=1, p=np.float32(0.5),
                     learning_rate=np.float32(0.05), pairs_per_node=20, seed=0, verbose=False).fit(_graph())
    assert model.embedding_.shape == (4, 4)
    assert GCNConv(np.int64(3), np.int64(2))(X, EDGES).shape == (4, 2)
    SGD(torch.nn.Linear(2, 2).parameters(), lr=np.float32(0.1), momentum=np.float64(0.9))
    train, val, test = random_split(_graph(), np.float64(0.5), np.float32(0.25), 0.25, seed=0)
    assert int(train.sum()) == 2
    # a norm's order may be infinite (the largest absolute gradient), unlike a learning rate
    layer = torch.nn.Linear(2, 2)
    layer(torch.ones(1, 2)).sum().backward()
    assert torch.isfinite(clip_grad_norm_(layer.parameters(), 1.0, norm_type=float("inf")))


@pytest.mark.parametrize("value", [True, np.bool_(True)])
def test_truth_values_are_not_counts(value):
    with pytest.raises(ValueError, match="'random_walks' expected 'walk_length' to be an integer"):
        random_walks(EDGES, 4, walk_length=value)


@pytest.mark.parametrize(("argv", "expected"), [
    (["embed", "deepwalk", "--p", "4", "--out", "x.npy"], "argument --p/--q: node2vec's"),
    (["train", "gcn", "--num-nodes", "1000"], "--num-nodes is the size of --dataset synthetic"),
    (["train", "gcn", "--nproc-per-node", "4"], "add --distributed"),
    (["compare", "--task", "link", "--no-tsne"], "argument --no-tsne: --task link draws no t-SNE plot"),
])
def test_cli_flags_that_would_not_act_are_refused(argv, expected, capsys):
    try:
        code = gnnlab.cli.main(argv)
    except SystemExit as stop:
        code = stop.code
    assert code == 2
    assert expected in capsys.readouterr().err


@pytest.mark.parametrize("make", [lambda: GCNConv(3, 2), lambda: SAGEConv(3, 2), lambda: GATConv(3, 2),
                                  lambda: GCN(3, 2), lambda: GraphSAGE(3, 2)])
def test_tensors_on_different_devices_get_gnnlabs_error(make):
    # a second device without a GPU: "meta" tensors have shapes and no data; the mix is what a user gets with
    # x moved to CUDA and edge_index left behind
    module = make()
    with pytest.raises(ValueError, match=r"expected its tensors on one device .*'edge_index' on cpu"):
        module(X.to("meta"), EDGES)


def test_a_cpu_scalar_goes_with_tensors_on_any_device():
    from gnnlab.nn.conv import MessagePassing

    class Scaled(MessagePassing):
        def forward(self, x, edge_index, scale):
            return self.propagate(edge_index, x=x, scale=scale)

        def message(self, x_j, scale):
            return x_j * scale

    out = Scaled()(X.to("meta"), EDGES.to("meta"), torch.tensor(2.0))
    assert out.device.type == "meta" and out.shape == (4, 3)


def test_numpy_counts_reach_what_they_feed_as_ints():
    from gnnlab.data import karate_club
    from gnnlab.utils import seed_everything

    seed_everything(np.int64(0))
    loader = NeighborLoader(karate_club(), [np.int64(3), 2], batch_size=np.int64(8), seed=np.int64(1))
    assert next(iter(loader)).batch_size == 8
    # an infinite max_norm measures the norm without clipping, as in torch
    weight = torch.zeros(2, requires_grad=True)
    weight.grad = torch.tensor([3.0, 4.0])
    assert float(clip_grad_norm_([weight], float("inf"))) == 5.0 and torch.equal(weight.grad, torch.tensor([3.0, 4.0]))
