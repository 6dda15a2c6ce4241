from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch_geometric.nn import GAE as PyGGAE
from torch_geometric.nn import VGAE as PyGVGAE
from torch_geometric.nn import GCNConv as PyGGCNConv
from torch_geometric.nn.models.autoencoder import InnerProductDecoder as PyGDecoder

import gnnlab.nn.models.gae as gae_module
from gnnlab.nn import GAE, GCN, VGAE, GraphSAGE, InnerProductDecoder
from gnnlab.nn.models.gae import adjacency_loss
from gnnlab.utils import negative_sampling


def _graph(num_nodes: int = 30, num_edges: int = 60, seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    edge_index = torch.randint(num_nodes, (2, num_edges), generator=generator)
    edge_index = edge_index[:, edge_index[0] != edge_index[1]]
    return torch.unique(torch.cat([edge_index, edge_index.flip(0)], dim=1), dim=1)


class PyGEncoder(torch.nn.Module):
    def __init__(self, in_channels: int, variational: bool) -> None:
        super().__init__()
        self.conv1, self.conv2 = PyGGCNConv(in_channels, 8), PyGGCNConv(8, 4)
        self.conv3 = PyGGCNConv(8, 4) if variational else None

    def forward(self, x, edge_index):
        hidden = self.conv1(x, edge_index).relu()
        if self.conv3 is None:
            return self.conv2(hidden, edge_index)
        return self.conv2(hidden, edge_index), self.conv3(hidden, edge_index)


def _copy_gcn(ours: GCN, theirs: PyGEncoder) -> None:
    """Copy PyG's encoder into gnnlab's GCN; a VGAE's two output convs become one of twice the width."""
    with torch.no_grad():
        ours.convs[0].lin.weight.copy_(theirs.conv1.lin.weight)
        ours.convs[0].bias.copy_(theirs.conv1.bias)
        outputs = [theirs.conv2] + ([theirs.conv3] if theirs.conv3 is not None else [])
        ours.convs[1].lin.weight.copy_(torch.cat([c.lin.weight for c in outputs]))
        ours.convs[1].bias.copy_(torch.cat([c.bias for c in outputs]))


def test_decoder_equals_pyg():
    z = torch.randn(12, 5)
    edge_index = _graph(12, 20)
    ours, theirs = InnerProductDecoder(), PyGDecoder()
    assert torch.allclose(ours(z, edge_index), theirs(z, edge_index))
    assert torch.allclose(ours(z, edge_index, sigmoid=False), theirs(z, edge_index, sigmoid=False))
    assert torch.allclose(ours.forward_all(z), theirs.forward_all(z))
    assert repr(ours) == "InnerProductDecoder()"


def test_gae_equals_pyg_with_copied_weights():
    torch.manual_seed(0)
    x, edge_index = torch.randn(30, 6), _graph()
    theirs = PyGGAE(PyGEncoder(6, variational=False))
    ours = GAE(GCN(6, 4, hidden_channels=8, dropout=0.0), recon="sampled")
    _copy_gcn(ours.encoder, theirs.encoder)
    z = ours.encode(x, edge_index)
    assert torch.allclose(z, theirs.encode(x, edge_index), atol=1e-6)
    positives = edge_index[:, edge_index[0] < edge_index[1]]
    negatives = negative_sampling(edge_index, 30, positives.size(1), seed=0)
    # PyG's loss is -log(sigmoid + 1e-15): the same up to that epsilon
    assert torch.allclose(ours.recon_loss(z, edge_index, negatives), theirs.recon_loss(z, positives, negatives),
                          atol=1e-5)
    labels = torch.cat([torch.ones(positives.size(1)), torch.zeros(negatives.size(1))])
    auc, ap = ours.test(z.detach(), torch.cat([positives, negatives], 1), labels)
    assert (auc, ap) == pytest.approx(theirs.test(z.detach(), positives, negatives))


def test_vgae_equals_pyg_with_copied_weights():
    torch.manual_seed(0)
    x, edge_index = torch.randn(30, 6), _graph()
    theirs = PyGVGAE(PyGEncoder(6, variational=True))
    ours = VGAE(GCN(6, 8, hidden_channels=8, dropout=0.0))  # [mu | logstd] from one 8-wide output layer
    _copy_gcn(ours.encoder, theirs.encoder)
    ours.eval(), theirs.eval()
    assert torch.allclose(ours.encode(x, edge_index), theirs.encode(x, edge_index), atol=1e-6)  # mu
    assert torch.allclose(ours.kl_loss(), theirs.kl_loss(), atol=1e-6)
    ours.train(), theirs.train()
    torch.manual_seed(1)
    sample = ours.encode(x, edge_index)
    torch.manual_seed(1)
    assert torch.allclose(sample, theirs.encode(x, edge_index), atol=1e-6)  # the same reparameterisation
    # a PyG-style encoder returning (mu, logstd) works as it is
    tuple_model = VGAE(theirs.encoder).eval()
    assert torch.allclose(tuple_model.encode(x, edge_index), ours.eval().encode(x, edge_index), atol=1e-6)


def _reference_adjacency_loss(z: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
    """The paper's code in float64: labels A + I, pos_weight and norm from the training adjacency."""
    num_nodes = z.size(0)
    adjacency = torch.zeros(num_nodes, num_nodes, dtype=torch.float64)
    adjacency[edge_index[0], edge_index[1]] = 1.0
    edges = adjacency.sum()
    pos_weight = (num_nodes * num_nodes - edges) / edges
    norm = num_nodes * num_nodes / ((num_nodes * num_nodes - edges) * 2)
    labels = adjacency + torch.eye(num_nodes, dtype=torch.float64)
    return norm * F.binary_cross_entropy_with_logits(z @ z.t(), labels, pos_weight=pos_weight)


@pytest.mark.parametrize("max_entries", [1 << 24, 100, 1])  # one block, several, one row per block
def test_adjacency_loss_and_gradient_equal_float64_reference(monkeypatch, max_entries):
    monkeypatch.setattr(gae_module, "MAX_DENSE_ENTRIES", max_entries)
    edge_index = _graph(25, 50, seed=3)
    z = (torch.randn(25, 4, dtype=torch.float64) * 3).requires_grad_()  # some scores beyond the exp-safe range
    with torch.no_grad():
        z[0] *= 10
    ours = adjacency_loss(z, edge_index)
    (grad_ours,) = torch.autograd.grad(ours, z)
    reference = _reference_adjacency_loss(z, edge_index)
    (grad_reference,) = torch.autograd.grad(reference, z)
    assert torch.allclose(ours, reference, rtol=1e-10)
    assert torch.allclose(grad_ours, grad_reference, rtol=1e-8, atol=1e-10)


def test_adjacency_loss_in_float32_is_close_to_float64():
    edge_index = _graph(200, 600, seed=1)
    z = torch.randn(200, 16, dtype=torch.float64) * 0.5
    reference = _reference_adjacency_loss(z, edge_index)
    assert float(adjacency_loss(z.float(), edge_index)) == pytest.approx(float(reference), rel=1e-5)


def test_adjacency_loss_is_the_default_and_vgae_adds_the_scaled_kl():
    torch.manual_seed(0)
    x, edge_index = torch.randn(30, 6), _graph()
    model = VGAE.with_gcn(6, 8, 4)
    assert model.recon == "adjacency" and model.encoder.convs[1].out_channels == 8
    z = model.encode(x, edge_index)
    expected = adjacency_loss(z, edge_index) + model.kl_loss() / 30
    assert torch.allclose(model.loss(z, edge_index), expected)


@pytest.mark.parametrize("encoder", [GCN(6, 4, hidden_channels=8, dropout=0.0),
                                     GraphSAGE(6, 4, hidden_channels=8, dropout=0.0)])
@pytest.mark.training
def test_any_gnnlab_encoder_trains(encoder):
    torch.manual_seed(0)
    x, edge_index = torch.randn(30, 6), _graph()
    model = GAE(encoder)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    losses = []
    for _ in range(30):
        optimizer.zero_grad()
        loss = model.loss(model.encode(x, edge_index), edge_index)
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
    assert losses[-1] < 0.9 * losses[0]


class _RecordingDecoder(InnerProductDecoder):
    """The inner-product decoder, keeping every edge_index it scores (the positives, then the negatives)."""

    def __init__(self) -> None:
        super().__init__()
        self.scored: list[torch.Tensor] = []

    def forward(self, z, edge_index, sigmoid=True):
        self.scored.append(edge_index.clone())
        return super().forward(z, edge_index, sigmoid=sigmoid)


@pytest.mark.parametrize("model_cls", [GAE, VGAE])
@pytest.mark.parametrize("num_nodes, num_edges", [(12, 40), (40, 120)])  # dense (listed), sparse (rejection)
def test_sampled_loss_never_draws_a_training_edge_or_a_self_loop(model_cls, num_nodes, num_edges):
    # the sampled loss's negatives are non-edges of the training graph (in either direction), never
    # self-loops, distinct, and one per undirected training edge, on every call (PyG's negative_sampling
    # promises the first two); the training graph holds a self-loop and a duplicate edge
    edge_index = _graph(num_nodes, num_edges, seed=5)
    edge_index = torch.cat([edge_index, torch.tensor([[0, 1], [0, 2]]), edge_index[:, :1]], dim=1)
    edges = {(min(a, b), max(a, b)) for a, b in edge_index.t().tolist()}
    undirected = {pair for pair in edges if pair[0] != pair[1]}  # 30 of 66 pairs (dense), 106 of 780
    width = 8 if model_cls is VGAE else 4
    decoder = _RecordingDecoder()
    model = model_cls(GCN(3, width, hidden_channels=8, dropout=0.0), decoder=decoder, recon="sampled")
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        z = model.encode(torch.randn(num_nodes, 3), edge_index)
        drawn = set()
        for _ in range(40):
            decoder.scored.clear()
            model.loss(z, edge_index, generator=generator)
            positives, negatives = decoder.scored
            assert {(min(a, b), max(a, b)) for a, b in positives.t().tolist()} == undirected
            pairs = [(min(a, b), max(a, b)) for a, b in negatives.t().tolist()]
            assert len(pairs) == len(undirected) == positives.size(1) and len(set(pairs)) == len(pairs)
            assert all(a != b for a, b in pairs)
            assert not set(pairs) & edges
            drawn.update(pairs)
    # and the negatives are fresh each call, not one fixed set: 40 calls reach nearly every non-edge (each
    # is missed by all of them with probability 6e-32 in the dense graph, 0.001 in the sparse one)
    assert len(drawn) >= 0.95 * (num_nodes * (num_nodes - 1) // 2 - len(undirected))


def test_reset_parameters_reinitialises_the_encoder():
    model = GAE.with_gcn(6, 8, 4)
    before = model.encoder.convs[0].lin.weight.clone()
    model.reset_parameters()
    assert not torch.equal(before, model.encoder.convs[0].lin.weight)


def test_repr():
    assert repr(GAE.with_gcn(1433)) == "GAE(encoder=GCN(1433, 16, hidden_channels=32, num_layers=2, dropout=0.0), " \
                                      "recon='adjacency')"
    assert repr(VGAE.with_gcn(1433, recon="sampled")).startswith("VGAE(encoder=GCN(1433, 32, hidden_channels=32")


def test_bad_input():
    with pytest.raises(ValueError, match=r"'recon' to be one of \['adjacency', 'sampled'\]"):
        GAE.with_gcn(6, recon="dense")
    with pytest.raises(TypeError, match="'encoder' to be a torch.nn.Module"):
        GAE("gcn")
    model = GAE.with_gcn(6, 8, 4)
    z, edge_index = torch.randn(30, 4), _graph()
    with pytest.raises(ValueError, match="no 'neg_edge_index' with recon='adjacency'"):
        model.recon_loss(z, edge_index, edge_index)
    with pytest.raises(ValueError, match="indices below num_nodes=10"):
        model.recon_loss(z[:10], edge_index)
    with pytest.raises(ValueError, match="an encoder output of shape"):
        VGAE(GCN(6, 5, dropout=0.0)).encode(torch.randn(30, 6), edge_index)
    with pytest.raises(ValueError, match="at least one edge"):
        model.recon_loss(z, torch.zeros(2, 0, dtype=torch.long))
