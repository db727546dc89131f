"""The engine's step does the same operator calls for 1 or 100 instances, syncs with the host only at the epoch's end,
and gives every instance the same dropout masks whatever N (engine version 3's counter-based masks)."""
import pytest
import torch

from overfit_nb.engine import dropout_keys, dropout_masks, step_op_calls, train


@pytest.fixture(autouse=True)
def _out(tmp_path, monkeypatch):
    monkeypatch.setenv('OVERFIT_NB_OUT', str(tmp_path))
    torch.set_num_threads(1)


@pytest.mark.parametrize('arch, kw, optimizer', [('mlp', dict(widths=(32,)), 'sgd'), ('salman_mlp', {}, 'adam'),
                                                 ('salman_cnn', {}, 'sgd')])
def test_calls_per_step_do_not_grow_with_n(arch, kw, optimizer):
    "Operator calls of a training epoch are identical at N = 1, 10 and 100: no Python loop over instances in the step"
    calls = {n: step_op_calls(arch, kw, n, optimizer=optimizer, nested=True) for n in (1, 10, 100)}
    top = {n: c[0] for n, c in calls.items()}
    assert top[1] == top[10] == top[100], {k: (top[1][k], top[10][k], top[100][k]) for k in top[100] if top[1][k] != top[100][k]}
    assert sum(top[1].values()) > 10
    # inside the operators too, from 10 instances on (at N = 1 `max_pool2d`'s backward skips one zero-fill of its own)
    assert calls[10][1] == calls[100][1]


def test_one_host_sync_per_epoch():
    "`.item()` (a host synchronisation on a GPU) happens once per epoch, at its end, however many steps it has"
    two, four = step_op_calls('salman_cnn', {}, 3, n=8, batch=4), step_op_calls('salman_cnn', {}, 3, n=16, batch=4)
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
