"""The variational graph auto-encoder (Kipf & Welling, "Variational Graph Auto-Encoders", 2016)."""
from __future__ import annotations

import torch
from torch import Tensor

from gnnlab.nn.models.gae import GAE
from gnnlab.utils.validation import fail

#: log-standard deviations are clamped here before exponentiating (as in PyG), so one bad step cannot overflow
MAX_LOGSTD = 10.0


class VGAE(GAE):
    r"""Variational graph auto-encoder: the encoder gives a Gaussian
    :math:`q(z_i \mid X, A) = \mathcal{N}(\mu_i, \operatorname{diag}\sigma_i^2)` per node (eq. 1), sampled by
    reparameterisation, :math:`z_i = \mu_i + \sigma_i \odot \epsilon`, :math:`\epsilon \sim \mathcal{N}(0, I)`,
    in training; in evaluation :math:`z_i = \mu_i` (as the paper's code scores ``z_mean``).

    The encoder returns either a tuple ``(mu, logstd)`` (PyG's convention) or one tensor of :math:`2d`
    columns, :math:`[\mu \,\|\, \log\sigma]`: a GCN whose last layer has :math:`2d` outputs is exactly the
    paper's two output GCNs sharing the first layer (:meth:`with_gcn`: 32 → 16 + 16).

    The objective is the reconstruction loss (see :class:`GAE`) plus the KL divergence from the prior
    :math:`\mathcal{N}(0, I)` scaled by :math:`1/N` as in the paper's code and PyG's example:

    .. math:: L = L_{\text{recon}} - \frac{1}{N} \cdot \frac{1}{2N} \sum_i \sum_k
              \big(1 + 2\log\sigma_{ik} - \mu_{ik}^2 - \sigma_{ik}^2\big).

    Args:
        encoder: the module computing :math:`(\mu, \log\sigma)`, as a tuple or one ``(N, 2d)`` tensor.
        decoder: default :class:`~gnnlab.nn.InnerProductDecoder`.
        recon: ``"adjacency"`` or ``"sampled"`` (see :class:`GAE`).

    Shapes:
        ``encode(x: (N, F), edge_index: (2, E))`` → ``(N, d)``; ``mu``, ``logstd``: ``(N, d)``.

    Example::

        >>> import torch
        >>> from gnnlab.data import karate_club
        >>> from gnnlab.nn import VGAE
        >>> data = karate_club()  # 34 nodes, 156 directed edges, 34 features
        >>> model = VGAE.with_gcn(34)  # the encoder's 32 outputs are [mu | logstd]
        >>> model
        VGAE(encoder=GCN(34, 32, hidden_channels=32, num_layers=2, dropout=0.0), recon='adjacency')
        >>> z = model.encode(data.x, data.edge_index)  # a sample in training
        >>> z.shape, model.mu.shape, model.logstd.shape
        (torch.Size([34, 16]), torch.Size([34, 16]), torch.Size([34, 16]))
        >>> model.loss(z, data.edge_index).backward()  # reconstruction + KL / N
        >>> _ = model.eval()
        >>> torch.equal(model.encode(data.x, data.edge_index), model.mu)  # the mean in evaluation
        True
    """

    @staticmethod
    def _encoder_width(out_channels: int) -> int:
        return 2 * out_channels

    def encode(self, *args, **kwargs) -> Tensor:
        """:math:`z` (a sample in training, :math:`\\mu` in evaluation); keeps ``mu`` and ``logstd``."""
        out = self.encoder(*args, **kwargs)
        if isinstance(out, tuple):
            mu, logstd = out
        else:
            if out.dim() != 2 or out.size(1) % 2:
                fail(type(self).__name__, "an encoder output of shape (N, 2d), [mu | logstd], or a tuple "
                     "(mu, logstd)", tuple(out.shape))
            mu, logstd = out.chunk(2, dim=1)
        self.mu, self.logstd = mu, logstd.clamp(max=MAX_LOGSTD)
        if self.training:
            return self.mu + torch.randn_like(self.mu) * torch.exp(self.logstd)
        return self.mu

    def kl_loss(self, mu: Tensor | None = None, logstd: Tensor | None = None) -> Tensor:
        r""":math:`-\frac{1}{2N}\sum_i\sum_k (1 + 2\log\sigma_{ik} - \mu_{ik}^2 - \sigma_{ik}^2)`, the mean over
        nodes of :math:`\mathrm{KL}(q(z_i) \,\|\, \mathcal{N}(0, I))`, of the last :meth:`encode` by default."""
        if mu is None or logstd is None:
            if getattr(self, "mu", None) is None:
                fail(f"{type(self).__name__}.kl_loss", "'mu' and 'logstd', or an encode() call before",
                     "neither")
            mu, logstd = self.mu, self.logstd
        logstd = logstd.clamp(max=MAX_LOGSTD)
        return -0.5 * torch.mean(torch.sum(1 + 2 * logstd - mu**2 - logstd.exp() ** 2, dim=1))

    def loss(self, z: Tensor, edge_index: Tensor, generator: torch.Generator | None = None) -> Tensor:
        """Reconstruction loss plus :math:`\\frac{1}{N}` times :meth:`kl_loss` of the last :meth:`encode`."""
        return self.recon_loss(z, edge_index, generator=generator) + self.kl_loss() / z.size(0)
