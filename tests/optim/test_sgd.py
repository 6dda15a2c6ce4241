from __future__ import annotations

import itertools

import pytest
import torch

from gnnlab.optim import SGD, clip_grad_norm_, clip_grad_value_


def _run(optimizer_class, options, steps=50):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))
    data = torch.randn(32, 6, generator=torch.Generator().manual_seed(1))
    target = torch.randint(0, 3, (32,), generator=torch.Generator().manual_seed(2))
    optimizer = optimizer_class(model.parameters(), **options)
    for _ in range(steps):
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(data), target).backward()
        optimizer.step()
    return [p.detach().clone() for p in model.parameters()]


@pytest.mark.parametrize("momentum, nesterov, weight_decay", [
    (m, n, w) for m, n, w in itertools.product([0.0, 0.5, 0.9], [False, True], [0.0, 1e-2]) if not (n and m == 0)
])
def test_equals_torch_sgd_step_for_step(momentum, nesterov, weight_decay):
    options = dict(lr=0.1, momentum=momentum, nesterov=nesterov, weight_decay=weight_decay)
    for ours, theirs in zip(_run(SGD, options), _run(torch.optim.SGD, options)):
        torch.testing.assert_close(ours, theirs, atol=1e-6, rtol=0)


def test_l1_sets_small_weights_to_exactly_zero_and_shrinks_the_rest():
    weight = torch.nn.Parameter(torch.tensor([0.05, -0.05, 1.0, -2.0]))
    optimizer = SGD([weight], lr=0.1, l1=1.0)  # threshold lr * l1 = 0.1
    weight.grad = torch.zeros(4)
    optimizer.step()
    assert weight.tolist() == pytest.approx([0.0, 0.0, 0.9, -1.9])
    assert (weight[:2] == 0).all()


@pytest.mark.training
def test_l1_yields_sparse_solutions():
    generator = torch.Generator().manual_seed(3)
    x = torch.randn(200, 20, generator=generator)
    truth = torch.zeros(20)
    truth[:3] = torch.tensor([2.0, -1.0, 0.5])
    y = x @ truth
    weight = torch.nn.Parameter(torch.zeros(20))
    optimizer = SGD([weight], lr=0.05, l1=0.05)
    for _ in range(500):
        optimizer.zero_grad()
        ((x @ weight - y) ** 2).mean().backward()
        optimizer.step()
    assert (weight[3:] == 0).sum() >= 15 and (weight[:3] != 0).all()


@pytest.mark.parametrize("kwargs, name", [
    (dict(lr=-0.1), "'lr'"), (dict(lr=0.0), "'lr'"),
    (dict(lr=0.1, momentum=1.0), "'momentum'"), (dict(lr=0.1, momentum=-0.1), "'momentum'"),
    (dict(lr=0.1, nesterov=True), "'momentum' > 0 when nesterov=True"),
    (dict(lr=0.1, weight_decay=-1), "'weight_decay'"),
    (dict(lr=0.1, l1=-1), "'l1'"),
])
def test_bad_hyper_parameters(kwargs, name):
    with pytest.raises(ValueError, match=f"'SGD' expected {name}"):
        SGD([torch.nn.Parameter(torch.ones(1))], **kwargs)


def test_clipping_equals_torch():
    for norm_type in (2.0, 1.0, float("inf")):
        grads = [torch.randn(5, 3) * 10, torch.randn(4) * 10]
        ours = [torch.nn.Parameter(torch.zeros_like(g)) for g in grads]
        theirs = [torch.nn.Parameter(torch.zeros_like(g)) for g in grads]
        for p, q, g in zip(ours, theirs, grads):
            p.grad, q.grad = g.clone(), g.clone()
        total = clip_grad_norm_(ours, 1.5, norm_type)
        expected = torch.nn.utils.clip_grad_norm_(theirs, 1.5, norm_type)
        torch.testing.assert_close(total, expected)
        for p, q in zip(ours, theirs):
            torch.testing.assert_close(p.grad, q.grad)
    p, q = torch.nn.Parameter(torch.zeros(6)), torch.nn.Parameter(torch.zeros(6))
    p.grad = torch.linspace(-3, 3, 6)
    q.grad = p.grad.clone()
    clip_grad_value_([p], 1.0)
    torch.nn.utils.clip_grad_value_([q], 1.0)
    assert torch.equal(p.grad, q.grad)


def test_step_with_a_closure_returns_its_loss_like_torch():
    """``step(closure)`` re-evaluates the loss with gradients enabled (``step`` itself runs under no_grad) and
    returns it, as ``torch.optim.SGD`` does; without a closure it returns ``None``."""
    def run(optimizer_class):
        torch.manual_seed(0)
        model = torch.nn.Linear(4, 2)
        data = torch.randn(8, 4, generator=torch.Generator().manual_seed(1))
        optimizer = optimizer_class(model.parameters(), lr=0.1, momentum=0.9)

        def closure():
            optimizer.zero_grad()
            loss = model(data).pow(2).mean()
            loss.backward()
            return loss

        losses = [float(optimizer.step(closure).detach()) for _ in range(5)]
        return losses, [p.detach().clone() for p in model.parameters()], optimizer.step()

    ours, theirs = run(SGD), run(torch.optim.SGD)
    assert ours[0] == pytest.approx(theirs[0], abs=1e-6) and ours[0][0] > ours[0][-1]
    for p, q in zip(ours[1], theirs[1]):
        torch.testing.assert_close(p, q, atol=1e-6, rtol=0)
    assert ours[2] is None and theirs[2] is None


def test_parameters_without_a_gradient_are_left_alone():
    """A parameter whose ``grad`` is ``None`` (unused in the loss) is skipped, even with weight decay, momentum
    and L1 that would otherwise move it, as in ``torch.optim.SGD``."""
    used, unused = torch.nn.Parameter(torch.ones(3)), torch.nn.Parameter(torch.full((2,), 0.05))
    optimizer = SGD([used, unused], lr=0.1, momentum=0.9, weight_decay=0.1, l1=1.0)
    for _ in range(2):
        optimizer.zero_grad()
        used.sum().backward()
        optimizer.step()
    assert unused.grad is None and unused.tolist() == pytest.approx([0.05, 0.05])
    assert unused not in optimizer.state and used.abs().max() < 1


@pytest.mark.parametrize("nesterov", [False, True])
def test_weight_decay_of_one_equals_torch(nesterov):
    # a decay coefficient of exactly 1 is as valid as any other
    options = dict(lr=0.05, momentum=0.5, nesterov=nesterov, weight_decay=1.0)
    for ours, theirs in zip(_run(SGD, options, steps=20), _run(torch.optim.SGD, options, steps=20)):
        torch.testing.assert_close(ours, theirs, atol=1e-6, rtol=0)


def test_clipping_a_single_tensor_equals_torch():
    """Both clipping functions accept one tensor as well as an iterable of them, as torch's do."""
    gradient = torch.linspace(-4.0, 2.0, 7)
    ours, theirs = torch.nn.Parameter(torch.zeros(7)), torch.nn.Parameter(torch.zeros(7))
    ours.grad, theirs.grad = gradient.clone(), gradient.clone()
    torch.testing.assert_close(clip_grad_norm_(ours, 2.0), torch.nn.utils.clip_grad_norm_(theirs, 2.0))
    torch.testing.assert_close(ours.grad, theirs.grad)
    assert float(ours.grad.norm()) == pytest.approx(2.0, abs=1e-5)
    ours.grad, theirs.grad = gradient.clone(), gradient.clone()
    clip_grad_value_(ours, 1.5)
    torch.nn.utils.clip_grad_value_(theirs, 1.5)
    assert torch.equal(ours.grad, theirs.grad) and float(ours.grad.abs().max()) == 1.5


@pytest.mark.parametrize("max_norm, norm_type, size", [
    (0.5, 2.0, 1.0), (0.25, 1.0, 1.0), (0.1, float("inf"), 1.0),
    (1e-4, 2.0, 1e-3),  # a small norm, where torch's + 1e-6 in the denominator shows
    (100.0, 2.0, 1.0),  # within the bound: left unchanged
])
def test_clipping_equals_torch_below_one_and_for_small_or_unclipped_norms(max_norm, norm_type, size):
    gradient = torch.tensor([[3.0, -4.0], [1.0, 0.5]]) * size
    ours, theirs = torch.nn.Parameter(torch.zeros(2, 2)), torch.nn.Parameter(torch.zeros(2, 2))
    ours.grad, theirs.grad = gradient.clone(), gradient.clone()
    total = clip_grad_norm_([ours], max_norm, norm_type)
    torch.testing.assert_close(total, torch.nn.utils.clip_grad_norm_([theirs], max_norm, norm_type))
    torch.testing.assert_close(ours.grad, theirs.grad, rtol=1e-5, atol=0)  # relative: the gradients may be tiny


@pytest.mark.parametrize("call, name", [
    (lambda p: clip_grad_norm_(p, 0.0), "'clip_grad_norm_' expected 'max_norm'"),
    (lambda p: clip_grad_norm_(p, 1.0, 0.0), "'clip_grad_norm_' expected 'norm_type'"),
    (lambda p: clip_grad_norm_(p, 1.0, -2.0), "'clip_grad_norm_' expected 'norm_type'"),
    (lambda p: clip_grad_value_(p, 0.0), "'clip_grad_value_' expected 'clip_value'"),
])
def test_clipping_rejects_non_positive_bounds(call, name):
    parameter = torch.nn.Parameter(torch.zeros(3))
    parameter.grad = torch.ones(3)
    with pytest.raises(ValueError, match=name):
        call([parameter])
    assert torch.equal(parameter.grad, torch.ones(3))


def test_clipping_without_gradients_returns_a_zero_norm():
    parameters = [torch.nn.Parameter(torch.ones(2)), torch.nn.Parameter(torch.ones(3))]
    assert float(clip_grad_norm_(parameters, 1.0)) == float(torch.nn.utils.clip_grad_norm_(parameters, 1.0)) == 0.0
    clip_grad_value_(parameters, 1.0)
    assert all(p.grad is None for p in parameters)
