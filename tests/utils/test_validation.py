"""The feature check's finiteness test (one reduction) against torch.isfinite."""
from __future__ import annotations

import pytest
import torch

from gnnlab.utils.validation import check_features


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.bfloat16])
@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
def test_features_with_a_nan_or_an_infinity_anywhere_are_refused(dtype, bad):
    for row, col in ((0, 0), (17, 3), (39, 4)):
        x = torch.randn(40, 5).to(dtype)
        x[row, col] = bad
        with pytest.raises(ValueError, match="'Model' expected 'x' to hold finite values"):
            check_features("Model", x)
        with pytest.raises(ValueError, match="finite values"):
            check_features("Model", x.to_sparse())


def test_finite_features_pass_extremes_and_empty_ones_included():
    big = torch.finfo(torch.float32).max
    for x in (torch.randn(40, 5), torch.tensor([[big, -big]]), torch.empty(0, 5), torch.zeros(3, 2).to_sparse()):
        assert check_features("Model", x) is x
