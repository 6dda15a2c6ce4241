r"""A ``torch.nn.Linear`` that also takes sparse features and may infer its input width on the first call."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gnnlab.nn.functional.sparse import SparseMatrix, sparse_linear
from gnnlab.utils.validation import check_choice, check_positive_int, describe, is_integer


class Linear(nn.Module):
    r""":math:`y = x W^\top + b` for dense or sparse :math:`x`, with ``torch.nn.Linear``'s parameter names.

    Args:
        in_channels: input width; ``-1`` infers it from the first input (the weight is then created and
            initialised on that call, as PyG's lazy layers; a state_dict may be loaded before or after).
        out_channels: output width.
        bias: learn :math:`b`.
        weight_initializer: ``"kaiming_uniform"`` (``torch.nn.Linear``'s) or ``"glorot"``,
            :math:`U(-a, a)` with :math:`a = \sqrt{6 / (F_{in} + F_{out})}`.

    Shapes:
        ``x: (*, F_in)`` (or sparse ``(N, F_in)``) → ``(*, F_out)``.

    Example::

        >>> import torch
        >>> from gnnlab.nn import Linear
        >>> from gnnlab.nn.functional import SparseMatrix
        >>> lin = Linear(-1, 16)  # the input width is inferred on the first call
        >>> x = (torch.rand(5, 34) < 0.2).float()
        >>> lin(x).shape
        torch.Size([5, 16])
        >>> lin
        Linear(34, 16, bias=True)
        >>> torch.allclose(lin(SparseMatrix.from_dense(x)), lin(x), atol=1e-6)  # sparse features, same result
        True
    """

    def __init__(self, in_channels: int, out_channels: int, bias: bool = True,
                 weight_initializer: str = "kaiming_uniform") -> None:
        """See :class:`Linear` for the arguments."""
        super().__init__()
        who = "Linear"
        check_channels(who, "in_channels", in_channels)
        check_positive_int(who, "out_channels", out_channels)
        check_choice(who, "weight_initializer", weight_initializer, ("kaiming_uniform", "glorot"))
        self.in_channels, self.out_channels = in_channels, out_channels
        self.weight_initializer = weight_initializer
        if in_channels > 0:
            self.weight = nn.Parameter(torch.empty(out_channels, in_channels))
        else:
            self.weight = nn.UninitializedParameter()
            self._lazy_hook = self.register_forward_pre_hook(_materialize)
            self._register_load_state_dict_pre_hook(_materialize_from_state_dict, with_module=True)
        self.bias = nn.Parameter(torch.empty(out_channels)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if isinstance(self.weight, nn.UninitializedParameter):
            return  # initialised on the first call
        if self.weight_initializer == "glorot":
            glorot_(self.weight)
        else:
            nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.weight.size(1)) if self.weight.size(1) > 0 else 0
            nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, x: Tensor | SparseMatrix) -> Tensor:
        return linear(x, self.weight, self.bias)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.in_channels}, {self.out_channels}, bias={self.bias is not None})"


def _materialize(module: Linear, inputs: tuple) -> None:
    if isinstance(module.weight, nn.UninitializedParameter):
        x = inputs[0]
        width = x.shape[-1]
        module.weight.materialize((module.out_channels, width), device=x.device,
                                  dtype=x.dtype if isinstance(x, Tensor) and x.is_floating_point() else None)
        module.in_channels = width
        if module.bias is not None:  # created before the input's device and dtype were known
            module.bias.data = module.bias.data.to(module.weight.device, module.weight.dtype)
        module.reset_parameters()
    module._lazy_hook.remove()


def _materialize_from_state_dict(module: Linear, state_dict: dict, prefix: str, *args) -> None:
    weight = state_dict.get(prefix + "weight")
    if isinstance(module.weight, nn.UninitializedParameter) and isinstance(weight, Tensor) \
            and not isinstance(weight, nn.UninitializedParameter):
        with torch.no_grad():
            module.weight.materialize(weight.shape, device=weight.device, dtype=weight.dtype)
        module.in_channels = weight.size(1)
        module._lazy_hook.remove()


def linear(x: Tensor | SparseMatrix, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``x @ weight.T + bias`` for dense or sparse ``x``."""
    if isinstance(x, SparseMatrix):
        return sparse_linear(x, weight, bias)
    return F.linear(x, weight, bias)


def glorot_(weight: Tensor | None) -> Tensor | None:
    r"""Glorot (Xavier) uniform initialisation, :math:`U(-a, a)` with :math:`a = \sqrt{6 / (F_{in} + F_{out})}`,
    computed over the last two dimensions (as PyG's ``glorot``). Skips ``None`` and uninitialised (lazy)
    parameters."""
    if weight is None or isinstance(weight, nn.UninitializedParameter):
        return weight
    bound = math.sqrt(6.0 / (weight.size(-2) + weight.size(-1)))
    with torch.no_grad():
        return weight.uniform_(-bound, bound)


def check_channels(who: str, name: str, value: object) -> int:
    """A layer width: a positive int, or ``-1`` where the layer infers it from its first input."""
    if not is_integer(value) or (value < 1 and value != -1):
        raise ValueError(f"'{who}' expected '{name}' to be a positive int or -1 (inferred on the first call) "
                         f"(got {describe(value)})")
    return value
