"""Ensembles (the notes, section 3.3: bagging and model averaging)."""
from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from gnnlab.utils.validation import check_choice, fail


class Ensemble(nn.Module):
    r"""Combine the predictions of several trained classifiers.

    ``combine="mean"`` averages the members' class probabilities,
    :math:`\bar p(c \mid x) = \frac1M \sum_m \operatorname{softmax}(f_m(x))_c`; ``"vote"`` counts each member's
    predicted class, :math:`\frac1M \#\{m : \arg\max f_m(x) = c\}`, ties going to the class with the higher
    mean probability. Either way ``forward`` returns ``(N, classes)`` scores whose ``argmax`` is the
    ensemble's prediction. Errors of members that are not perfectly correlated partly cancel, so the
    ensemble is usually at least as good as its average member.

    Args:
        models: the trained members (each maps a batch to ``(N, classes)`` logits).
        combine: ``"mean"`` or ``"vote"``.

    Shapes:
        ``x: (N, *)`` → ``(N, classes)``.

    Example::

        >>> import torch
        >>> from gnnlab.regularize import Ensemble
        >>> _ = torch.manual_seed(0)
        >>> members = [torch.nn.Linear(4, 3) for _ in range(5)]
        >>> ensemble = Ensemble(members)
        >>> ensemble
        Ensemble(5 models, combine='mean')
        >>> x = torch.randn(10, 4)
        >>> probabilities = ensemble(x)
        >>> probabilities.shape
        torch.Size([10, 3])
        >>> torch.allclose(probabilities.sum(1), torch.ones(10))
        True
        >>> votes = Ensemble(members, combine="vote")(x)  # the share of the members voting for each class
        >>> votes.shape
        torch.Size([10, 3])
    """

    def __init__(self, models: Sequence[nn.Module], combine: str = "mean") -> None:
        """See :class:`Ensemble` for the arguments."""
        super().__init__()
        if len(models) == 0:
            fail("Ensemble", "'models' to hold at least one model", "an empty sequence")
        check_choice("Ensemble", "combine", combine, ("mean", "vote"))
        self.models = nn.ModuleList(models)
        self.combine = combine

    def forward(self, x: Tensor) -> Tensor:
        probabilities = torch.stack([torch.softmax(model(x), dim=-1) for model in self.models])
        mean = probabilities.mean(0)
        if self.combine == "mean":
            return mean
        votes = torch.nn.functional.one_hot(probabilities.argmax(-1), mean.size(-1)).to(mean.dtype).mean(0)
        return votes + 1e-6 * mean  # mean probability only breaks ties (it is < 1e-6 per vote step)

    def __repr__(self) -> str:
        return f"Ensemble({len(self.models)} models, combine={self.combine!r})"
