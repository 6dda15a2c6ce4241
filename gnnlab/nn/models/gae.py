"""Graph auto-encoders (Kipf & Welling, "Variational Graph Auto-Encoders", NIPS Bayesian Deep Learning
workshop 2016)."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gnnlab.nn.models.inner_product_decoder import InnerProductDecoder
from gnnlab.utils.negative_sampling import negative_sampling
from gnnlab.utils.validation import check_choice, check_edge_index, check_positive_int, describe, fail

#: reconstruction losses: the paper's weighted BCE over the whole adjacency, PyG's BCE on sampled pairs
RECON_LOSSES = ("adjacency", "sampled")
#: the dense loss scores at most this many pairs at once (row blocks, recomputed in the backward pass), so
#: its memory stays O(block x N) instead of O(N^2)
MAX_DENSE_ENTRIES = 1 << 24


class GAE(nn.Module):
    r"""Graph auto-encoder: an encoder :math:`Z = f(X, A)` and the decoder :math:`\hat{A} = \sigma(ZZ^\top)`.

    The paper's model is a two-layer GCN, :math:`Z = \tilde{A}\,\operatorname{ReLU}(\tilde{A} X W_0) W_1` with
    32 and 16 units (:meth:`with_gcn`), but any ``gnnlab`` model called as ``encoder(x, edge_index)``
    (``GCN``, ``GraphSAGE``, ``GAT``) can be the encoder.

    Reconstruction losses (``recon``):

    - ``"adjacency"`` (the paper's code, the default: it reaches the paper's figures): weighted binary
      cross-entropy over all :math:`N^2` entries of the training adjacency with self-loops,
      :math:`A' = A + I`,

      .. math:: L = \frac{\eta}{N^2} \sum_{i,j} \Big[ w\,A'_{ij}\,\mathrm{softplus}(-s_{ij})
                + (1 - A'_{ij})\,\mathrm{softplus}(s_{ij}) \Big], \quad s = ZZ^\top,\;
                w = \frac{N^2 - |A|}{|A|},\; \eta = \frac{N^2}{2 (N^2 - |A|)},

      with :math:`|A|` the number of (directed) training edges and :math:`\eta, w` as in the paper's code.
      Only the upper triangle of :math:`ZZ^\top` is scored, in row blocks recomputed in the backward pass,
      so no :math:`N \times N` matrix is stored (``MAX_DENSE_ENTRIES`` scores at a time).
    - ``"sampled"`` (PyG's ``GAE.recon_loss``): binary cross-entropy on the training edges (once per
      undirected edge) and as many non-edges drawn uniformly each call
      (:func:`~gnnlab.utils.negative_sampling`), each averaged on its own and summed.

    Args:
        encoder: the module computing :math:`Z`.
        decoder: default :class:`InnerProductDecoder`.
        recon: ``"adjacency"`` or ``"sampled"``.

    Shapes:
        ``encode(x: (N, F), edge_index: (2, E))`` → ``(N, d)``.

    Example::

        >>> import torch
        >>> from gnnlab.data import karate_club
        >>> from gnnlab.nn import GAE
        >>> data = karate_club()  # 34 nodes, 156 directed edges, 34 features
        >>> model = GAE.with_gcn(34)
        >>> model
        GAE(encoder=GCN(34, 16, hidden_channels=32, num_layers=2, dropout=0.0), recon='adjacency')
        >>> optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
        >>> for epoch in range(3):
        ...     optimizer.zero_grad()
        ...     z = model.encode(data.x, data.edge_index)
        ...     loss = model.loss(z, data.edge_index)
        ...     loss.backward()
        ...     optimizer.step()
        >>> z.shape
        torch.Size([34, 16])
        >>> model.decode(z, data.edge_index[:, :5]).shape  # edge probabilities of five pairs
        torch.Size([5])
        >>> GAE.with_gcn(34, recon="sampled").recon
        'sampled'
    """

    def __init__(self, encoder: nn.Module, decoder: nn.Module | None = None, recon: str = "adjacency") -> None:
        """See :class:`GAE` for the arguments."""
        super().__init__()
        who = type(self).__name__
        if not isinstance(encoder, nn.Module):
            fail(who, "'encoder' to be a torch.nn.Module", type(encoder).__name__, TypeError)
        if decoder is not None and not isinstance(decoder, nn.Module):
            fail(who, "'decoder' to be None or a torch.nn.Module", type(decoder).__name__, TypeError)
        check_choice(who, "recon", recon, RECON_LOSSES)
        self.encoder = encoder
        self.decoder = InnerProductDecoder() if decoder is None else decoder
        self.recon = recon
        self.reset_parameters()

    @property
    def supports_sparse_features(self) -> bool:
        """Whether the encoder takes sparse features (the trainers then pass them)."""
        return getattr(self.encoder, "supports_sparse_features", False) is True

    @classmethod
    def with_gcn(cls, in_channels: int, hidden_channels: int = 32, out_channels: int = 16,
                 recon: str = "adjacency", dropout: float = 0.0) -> GAE:
        """The paper's model: a two-layer :class:`~gnnlab.nn.models.GCN` encoder (32 → 16, no dropout)."""
        from gnnlab.nn.models.gcn import GCN

        width = cls._encoder_width(out_channels)
        return cls(GCN(in_channels, width, hidden_channels=hidden_channels, dropout=dropout), recon=recon)

    @staticmethod
    def _encoder_width(out_channels: int) -> int:
        return out_channels

    def reset_parameters(self) -> None:
        for part in (self.encoder, self.decoder):
            if hasattr(part, "reset_parameters"):
                part.reset_parameters()

    def forward(self, *args, **kwargs) -> Tensor:
        return self.encode(*args, **kwargs)

    def encode(self, *args, **kwargs) -> Tensor:
        """:math:`Z`, the encoder's output."""
        return self.encoder(*args, **kwargs)

    def decode(self, z: Tensor, edge_index: Tensor, sigmoid: bool = True) -> Tensor:
        """Edge probabilities (``sigmoid=False``: logits) of the pairs ``edge_index``."""
        return self.decoder(z, edge_index, sigmoid=sigmoid)

    def recon_loss(self, z: Tensor, edge_index: Tensor, neg_edge_index: Tensor | None = None,
                   generator: torch.Generator | None = None) -> Tensor:
        """The reconstruction loss (``self.recon``) of the training graph ``edge_index``.

        For ``"sampled"``, ``neg_edge_index`` gives the negatives (default: drawn with ``generator``); the
        ``"adjacency"`` loss scores every pair and takes none.
        """
        who = f"{type(self).__name__}.recon_loss"
        num_nodes = _check_z(who, z)
        check_edge_index(who, edge_index, num_nodes)
        if self.recon == "adjacency":
            if neg_edge_index is not None:
                fail(who, "no 'neg_edge_index' with recon='adjacency' (every non-edge is scored)",
                     describe(neg_edge_index))
            if not isinstance(self.decoder, InnerProductDecoder):
                fail(who, "the InnerProductDecoder for recon='adjacency'", type(self.decoder).__name__)
            return adjacency_loss(z, edge_index)
        positives = _unique_pairs(edge_index, num_nodes)
        if neg_edge_index is None:
            neg_edge_index = negative_sampling(positives, num_nodes, positives.size(1),
                                               seed=generator if generator is not None else _global_seed())
        check_edge_index(who, neg_edge_index, num_nodes, name="neg_edge_index")
        pos = self.decode(z, positives, sigmoid=False)
        neg = self.decode(z, neg_edge_index, sigmoid=False)
        return (F.binary_cross_entropy_with_logits(pos, torch.ones_like(pos))
                + F.binary_cross_entropy_with_logits(neg, torch.zeros_like(neg)))

    def loss(self, z: Tensor, edge_index: Tensor, generator: torch.Generator | None = None) -> Tensor:
        """The training objective: the reconstruction loss (VGAE adds its KL term)."""
        return self.recon_loss(z, edge_index, generator=generator)

    @torch.no_grad()
    def test(self, z: Tensor, edge_label_index: Tensor, edge_label: Tensor) -> tuple[float, float]:
        """``(ROC-AUC, average precision)`` of the decoder's scores of ``edge_label_index`` against
        ``edge_label`` (scikit-learn's ``roc_auc_score`` and ``average_precision_score``)."""
        from sklearn.metrics import average_precision_score, roc_auc_score

        scores = self.decode(z, edge_label_index).cpu().numpy()
        labels = edge_label.cpu().numpy()
        return float(roc_auc_score(labels, scores)), float(average_precision_score(labels, scores))

    def __repr__(self) -> str:
        decoder = "" if isinstance(self.decoder, InnerProductDecoder) else f", decoder={self.decoder!r}"
        return f"{type(self).__name__}(encoder={self.encoder!r}{decoder}, recon={self.recon!r})"


def adjacency_loss(z: Tensor, edge_index: Tensor) -> Tensor:
    r"""The paper's loss (see :class:`GAE`), computed without an :math:`N \times N` target: the sum over all
    pairs of :math:`\mathrm{softplus}(s_{ij})` plus, over the positives :math:`A + I`, the correction
    :math:`w\,\mathrm{softplus}(-s_{ij}) - \mathrm{softplus}(s_{ij})`."""
    num_nodes = z.size(0)
    positives = _unique_pairs(edge_index, num_nodes, undirected=False)
    num_edges = positives.size(1)
    if num_edges == 0:
        fail("GAE.recon_loss", "'edge_index' with at least one edge (the loss weighs edges against non-edges)",
             "no edges")
    total = float(num_nodes) ** 2
    pos_weight = (total - num_edges) / num_edges
    norm = total / (2.0 * (total - num_edges))
    loops = torch.arange(num_nodes, device=z.device)
    positives = torch.cat([positives, torch.stack([loops, loops])], dim=1)
    s = (z.index_select(0, positives[0]) * z.index_select(0, positives[1])).sum(dim=-1)
    correction = (pos_weight * F.softplus(-s) - F.softplus(s)).sum()
    return norm * (_all_pairs_softplus(z) + correction) / total


def _all_pairs_softplus(z: Tensor) -> Tensor:
    r""":math:`\sum_{i,j} \mathrm{softplus}(z_i^\top z_j)` (differentiable in ``z``)."""
    return _AllPairsSoftplus.apply(z)


class _AllPairsSoftplus(torch.autograd.Function):
    r""":math:`f(Z) = \sum_{i,j} \mathrm{softplus}(z_i^\top z_j)`, :math:`\nabla_Z f = 2\,\sigma(ZZ^\top) Z`.

    :math:`ZZ^\top` is symmetric, so only the blocks on and above the diagonal are computed (row blocks
    against the columns from the block's first row on): about half the work of the full matrix. No
    :math:`N \times N` matrix is kept between the passes; the backward pass recomputes each block, so memory
    stays at one block of at most ``MAX_DENSE_ENTRIES`` scores.
    """

    @staticmethod
    def forward(ctx, z: Tensor) -> Tensor:
        ctx.save_for_backward(z)
        total = z.new_zeros((), dtype=torch.float64)
        for start, stop in _row_blocks(z.size(0)):
            scores = _softplus_(z[start:stop] @ z[start:].t())
            total += 2 * scores.sum(dtype=torch.float64) - scores[:, :stop - start].sum(dtype=torch.float64)
        return total.to(z.dtype)

    @staticmethod
    def backward(ctx, grad_output: Tensor) -> Tensor:
        (z,) = ctx.saved_tensors
        grad = torch.zeros_like(z)
        for start, stop in _row_blocks(z.size(0)):
            weights = torch.sigmoid(z[start:stop] @ z[start:].t())
            grad[start:stop] += weights @ z[start:]
            grad[stop:] += weights[:, stop - start:].t() @ z[start:stop]
        return grad.mul_(2 * grad_output)


def _softplus_(scores: Tensor) -> Tensor:
    r""":math:`\log(1 + e^s)` in place: three in-place passes, about twice as fast as ``F.softplus`` on CPU.
    Exact to float32 rounding: below :math:`s \approx -17` it gives 0 instead of :math:`e^s < 10^{-7}`, and above
    ``_EXP_SAFE`` (where :math:`e^s` would overflow) it adds :math:`s - 80` back."""
    if scores.is_cuda:
        return F.softplus(scores)  # one fused kernel, and no host sync per block for the test below
    excess = None
    if float(scores.max()) > _EXP_SAFE:
        excess = (scores - _EXP_SAFE).clamp_(min=0)
        scores.clamp_(max=_EXP_SAFE)
    scores = scores.exp_().add_(1).log_()
    return scores if excess is None else scores.add_(excess)


_EXP_SAFE = 80.0


def _row_blocks(num_nodes: int) -> list[tuple[int, int]]:
    """Row blocks for :class:`_AllPairsSoftplus`: about eight (the upper triangle's saving grows with their
    number, the per-block overhead too), each of at most ``MAX_DENSE_ENTRIES`` scores."""
    rows = max(min(-(-num_nodes // 8), MAX_DENSE_ENTRIES // max(num_nodes, 1)), 1)
    return [(start, min(start + rows, num_nodes)) for start in range(0, num_nodes, rows)]


def _unique_pairs(edge_index: Tensor, num_nodes: int, undirected: bool = True) -> Tensor:
    """The distinct pairs of ``edge_index`` without self-loops (``row < col`` when ``undirected``)."""
    row, col = edge_index[0].long(), edge_index[1].long()
    if undirected:
        row, col = torch.minimum(row, col), torch.maximum(row, col)
    keys = torch.unique((row * num_nodes + col)[row != col])
    return torch.stack([keys // num_nodes, keys % num_nodes])


def _global_seed() -> int:
    """A seed drawn from PyTorch's global generator, so that a seeded training run repeats."""
    return int(torch.randint(2**62, (1,)))


def _check_z(who: str, z: Tensor) -> int:
    if not isinstance(z, Tensor) or z.dim() != 2 or not z.is_floating_point():
        fail(who, "'z' to be a floating tensor of shape (N, d)", describe(z) if isinstance(z, Tensor)
             else type(z).__name__, TypeError)
    check_positive_int(who, "z.size(0) (number of nodes)", z.size(0))
    return z.size(0)
