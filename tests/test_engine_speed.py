"""The engine's step does the same operator calls for 1 or 100 instances, syncs with the host only at the epoch's end,
and gives every instance the same dropout masks whatever N (engine version 3's counter-based masks)."""
import collections, copy

import pytest
import torch
from torch.profiler import ProfilerActivity, profile

from overfit_nb import core
from overfit_nb.engine import (_forward_fn, _grad_layout, _optimizer, _train_epoch, dropout_keys, dropout_masks,
                               dropout_shapes, init_model, stack_params, train, use_instance_dropout)


@pytest.fixture(autouse=True)
def _out(tmp_path, monkeypatch):
    monkeypatch.setenv('OVERFIT_NB_OUT', str(tmp_path))
    torch.set_num_threads(1)


def step_calls(arch, arch_kwargs, n_models, in_shape=(1, 8, 8), n=8, batch=4, optimizer='sgd', nested=False):
    "{operator: calls} (and, `nested`, with the calls operators make inside) of one epoch of `n / batch` training steps of `n_models` instances (fused strategy), from torch.profiler"
    ms = [use_instance_dropout(init_model(arch, in_shape, 10, 0, i, None, arch_kwargs)) for i in range(n_models)]
    tmpl = copy.deepcopy(ms[0]).to('meta').train()
    params = {k: _grad_layout(v).requires_grad_(True) for k, v in stack_params(ms).items()}
    opt = _optimizer(optimizer, params, 0.01, momentum=0.9 if optimizer == 'sgd' else 0.0)
    shapes = dropout_shapes(tmpl, in_shape)
    keys = dropout_keys(0, range(n_models), 1, len(shapes)) if shapes else None
    g = torch.Generator().manual_seed(0)
    X, y = torch.rand(n, *in_shape, generator=g), torch.randint(0, 10, (n,), generator=g)
    perm = torch.stack([torch.randperm(n, generator=g) for _ in range(n_models)])
    fwd = _forward_fn(tmpl, False, 'fused')
    _train_epoch(fwd, params, {}, opt, X, y, perm, batch, 'ce', True, shapes, keys)  # warm-up (optimizer state)
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        _train_epoch(fwd, params, {}, opt, X, y, perm, batch, 'ce', True, shapes, keys)
    alias = lambda name: 'aten::view' if name == 'aten::_reshape_alias' else name  # one aliasing op: `reshape` names it by the strides of a size-1 axis
    top, every = collections.Counter(), collections.Counter()
    for e in prof.events():
        if not e.name.startswith('aten::'): continue
        every[alias(e.name)] += 1
        if e.cpu_parent is None or not e.cpu_parent.name.startswith('aten::'): top[alias(e.name)] += 1  # called by Python or autograd
    return (top, every) if nested else top


@pytest.mark.parametrize('arch, kw, optimizer', [('mlp', dict(widths=(32,)), 'sgd'), ('salman_mlp', {}, 'adam'),
                                                 ('salman_cnn', {}, 'sgd')])
def test_calls_per_step_do_not_grow_with_n(arch, kw, optimizer):
    "Operator calls of a training epoch are identical at N = 1, 10 and 100: no Python loop over instances in the step"
    calls = {n: step_calls(arch, kw, n, optimizer=optimizer, nested=True) for n in (1, 10, 100)}
    top = {n: c[0] for n, c in calls.items()}
    assert top[1] == top[10] == top[100], {k: (top[1][k], top[10][k], top[100][k]) for k in top[100] if top[1][k] != top[100][k]}
    assert sum(top[1].values()) > 10
    # inside the operators too, from 10 instances on (at N = 1 `max_pool2d`'s backward skips one zero-fill of its own)
    assert calls[10][1] == calls[100][1]


def test_one_host_sync_per_epoch():
    "`.item()` (a host synchronisation on a GPU) happens once per epoch, at its end, however many steps it has"
    two, four = step_calls('salman_cnn', {}, 3, n=8, batch=4), step_calls('salman_cnn', {}, 3, n=16, batch=4)
    assert two['aten::item'] == four['aten::item'] == 1 and 'aten::_local_scalar_dense' not in four
    assert four['aten::bmm'] + four['aten::baddbmm'] == 2 * (two['aten::bmm'] + two['aten::baddbmm'])  # twice the steps


def test_masks_do_not_depend_on_n():
    "Instance i's masks among 1, 3 or 100 instances are identical, and so is a run's instance trained among 1, 3 or 100"
    shapes = [('a', 0.25, (32, 6, 6)), ('b', 0.5, (128,))]
    for step in (0, 7):
        ref = dropout_masks(shapes, dropout_keys(3, [2], 4, 2), step, 16)
        for n in (3, 100):
            m = dropout_masks(shapes, dropout_keys(3, range(n), 4, 2), step, 16)
            for k in ref: assert torch.equal(m[k][2], ref[k][0])
    from sklearn.datasets import load_digits
    d = load_digits()
    X, y = torch.tensor(d.images[:40, None] / 16, dtype=torch.float32), torch.tensor(d.target[:40])
    kw = dict(n_epochs=2, batch_size=16, lr=0.05, momentum=0.9, seed=11, record=(), progress=False)  # dropout 0.25 and 0.5
    w = {n: train('salman_cnn', (X, y), n_models=n, **kw).snapshot(2) for n in (1, 3, 100)}
    for k in w[1]:
        torch.testing.assert_close(w[3][k][0], w[1][k][0], atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(w[100][k][2], w[3][k][2], atol=1e-5, rtol=1e-5)
    assert not torch.equal(w[3]['5.weight'][0], w[3]['5.weight'][1])
