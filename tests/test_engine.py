"""What the 02_engine notebook cannot show: a real SIGKILL and resume, resume with Adam + BatchNorm state, determinism
across processes, the global RNG left alone, bad input at the door, and round trips through the run directory."""
import json, os, signal, subprocess, sys, textwrap
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from torch import nn

from overfit_nb import core
from overfit_nb.engine import Dynamics, evaluate, train
from overfit_nb.models import ARCHITECTURES


def digits(n=240, start=0):
    "sklearn's 8x8 digits as (X [n, 1, 8, 8] in [0, 1], y [n])"
    from sklearn.datasets import load_digits
    d = load_digits()
    X = torch.tensor(d.images[start:start + n, None] / 16, dtype=torch.float32)
    return X, torch.tensor(d.target[start:start + n])


TRAIN, TEST = digits(240), digits(100, start=1000)
MLP = dict(arch_kwargs=dict(widths=(32,)), n_models=3, batch_size=32, lr=0.1)


@pytest.fixture(autouse=True)
def _out(tmp_path, monkeypatch):
    monkeypatch.setenv('OVERFIT_NB_OUT', str(tmp_path))
    torch.set_num_threads(1)


def assert_same_run(a: Dynamics, b: Dynamics):
    "Every recorded array and every snapshot of `a` and `b` are bitwise equal"
    assert a.epochs == b.epochs and a.snapshot_epochs == b.snapshot_epochs and a.splits == b.splits
    for s in a.splits:
        np.testing.assert_array_equal(a.probs(s), b.probs(s))
        np.testing.assert_array_equal(a.loss(s), b.loss(s))
    for e in a.snapshot_epochs:
        for k, v in a.snapshot(e).items(): torch.testing.assert_close(v, b.snapshot(e)[k], rtol=0, atol=0)
        for k, v in a.snapshot_buffers(e).items(): torch.testing.assert_close(v, b.snapshot_buffers(e)[k], rtol=0, atol=0)


class Kill(Exception): pass


def kill_at(epoch):
    def cb(e, state):
        if e == epoch: raise Kill(f"killed at {e}")
    return cb


# ---------------------------------------------------------------- resume

SIGKILL_SCRIPT = textwrap.dedent("""
    import os, signal, sys, torch
    sys.path.insert(0, {tests!r})
    from test_engine import TRAIN, TEST
    from overfit_nb.engine import train
    torch.set_num_threads(1)
    def die(epoch, state):
        if epoch == 2: os.kill(os.getpid(), signal.SIGKILL)   # no exception, no cleanup: the process just ends
    train('salman_cnn', TRAIN, TEST, n_models=2, n_epochs=3, batch_size=48, optimizer='sgd', lr=0.05, momentum=0.9,
          seed=4, snapshot_epochs=(1,), callbacks=[die], run_dir={run!r}, progress=False, checkpoint_seconds=0)
""")


def test_resume_after_sigkill(tmp_path):
    "A process killed by SIGKILL mid-run leaves a partial folder; train() resumes it to the numbers of an unbroken run"
    run = tmp_path/'runs'/'killed'
    script = SIGKILL_SCRIPT.format(tests=str(Path(__file__).parent), run=str(run))
    p = subprocess.run([sys.executable, '-c', script], env={**os.environ, 'OMP_NUM_THREADS': '1'}, capture_output=True, text=True, timeout=300)
    assert p.returncode == -signal.SIGKILL, p.stderr[-2000:]
    assert not run.exists() and (core.partial_dir(run)/'checkpoint.pt').exists()
    assert torch.load(core.partial_dir(run)/'checkpoint.pt', weights_only=True)['epoch'] == 1
    kw = dict(n_models=2, n_epochs=3, batch_size=48, optimizer='sgd', lr=0.05, momentum=0.9, seed=4, snapshot_epochs=(1,))
    resumed = train('salman_cnn', TRAIN, TEST, run_dir=run, **kw)   # dropout on: the masks of epochs 2-3 must match too
    assert core.is_complete(run) and not (run/'checkpoint.pt').exists()
    assert_same_run(resumed, train('salman_cnn', TRAIN, TEST, **kw))


@pytest.mark.parametrize('kill', [0, 1, 3])
def test_resume_adam_batchnorm(tmp_path, kill):
    "Adam's moments, BatchNorm's running statistics and the lr schedule all survive a kill at any epoch"
    kw = dict(n_models=2, n_epochs=4, batch_size=60, optimizer='adam', lr=1e-3, weight_decay=1e-4, lr_step=(2, 3.0),
              seed=7, record_every=2, snapshot_epochs=(1, 3), arch_kwargs=dict(n_blocks=1, widths=(4, 8, 8), fc=8))
    run, tr, te = tmp_path/'runs'/f'kill{kill}', (TRAIN[0][:120], TRAIN[1][:120]), (TEST[0][:50], TEST[1][:50])
    with pytest.raises(Kill): train('resnet', tr, te, run_dir=run, callbacks=[kill_at(kill)], checkpoint_seconds=0, **kw)
    resumed = train('resnet', tr, te, run_dir=run, **kw)
    assert resumed.epochs == [0, 2, 4] and resumed.snapshot_epochs == [0, 1, 3, 4]
    assert_same_run(resumed, train('resnet', tr, te, **kw))


@pytest.mark.parametrize('kill', [1, 3])
def test_stop_rule_batchnorm_resume(tmp_path, kill):
    "stop_at_train_error with Adam and BatchNorm: a stopped instance's weights and running statistics stay put, the other trains as without the rule, a kill before or after the stop resumes to the same run"
    kw = dict(n_models=2, n_epochs=5, batch_size=60, optimizer='adam', lr=3e-3, seed=7, snapshot_epochs=range(6),
              arch_kwargs=dict(n_blocks=1, widths=(4, 8, 8), fc=8))
    tr, te = (TRAIN[0][:120], TRAIN[1][:120]), (TEST[0][:50], TEST[1][:50])
    ref = train('resnet', tr, te, **kw)
    err = (ref.predictions('train') != ref.labels('train')).mean(-1)
    i = int(np.argmin(err[2])); v = float(err[2, i])                  # the better instance's error after 2 epochs
    expect = [next((e for e in ref.epochs if err[e, j] <= v), None) for j in range(2)]
    run = tmp_path/'runs'/'stop'
    with pytest.raises(Kill): train('resnet', tr, te, run_dir=run, stop_at_train_error=v, callbacks=[kill_at(kill)], checkpoint_seconds=0, **kw)
    resumed = train('resnet', tr, te, run_dir=run, stop_at_train_error=v, **kw)
    unbroken = train('resnet', tr, te, stop_at_train_error=v, **kw)
    assert resumed.stopped_at == unbroken.stopped_at == expect and expect[i] is not None, (resumed.stopped_at, expect)
    assert_same_run(resumed, unbroken)
    for j, s in enumerate(expect):
        for e in ref.epochs:
            src, at = (ref, e) if s is None or e <= s else (unbroken, s)
            for get in ('snapshot', 'snapshot_buffers'):
                for k, w in getattr(unbroken, get)(e).items(): torch.testing.assert_close(w[j], getattr(src, get)(at)[k][j], rtol=0, atol=0)


def test_resume_without_checkpoint(tmp_path):
    "Killed before any checkpoint was due: the run starts again from scratch, with the same numbers"
    run, kw = tmp_path/'runs'/'late', dict(n_epochs=3, **MLP)
    with pytest.raises(Kill): train('mlp', TRAIN, TEST, run_dir=run, callbacks=[kill_at(2)], checkpoint_seconds=1e9, **kw)
    assert not (core.partial_dir(run)/'checkpoint.pt').exists() and (core.partial_dir(run)/'test'/'probs_e00002.npy').exists()
    assert_same_run(train('mlp', TRAIN, TEST, run_dir=run, **kw), train('mlp', TRAIN, TEST, **kw))


def test_resume_refuses_other_config(tmp_path):
    run = tmp_path/'runs'/'r'
    with pytest.raises(Kill): train('mlp', TRAIN, n_epochs=2, run_dir=run, callbacks=[kill_at(1)], **MLP)
    with pytest.raises(ValueError, match="unfinished run with other parameters"):
        train('mlp', TRAIN, n_epochs=2, run_dir=run, **{**MLP, 'lr': 0.2})
    with pytest.raises(ValueError, match="unfinished run with other parameters"):   # other data, same shapes
        train('mlp', (TRAIN[0].flip(0), TRAIN[1]), n_epochs=2, run_dir=run, **MLP)


# ---------------------------------------------------------------- determinism

def test_determinism_and_seeds():
    a, b = train('salman_cnn', TRAIN, TEST, n_epochs=2, **{**MLP, 'arch_kwargs': {}}), train('salman_cnn', TRAIN, TEST, n_epochs=2, **{**MLP, 'arch_kwargs': {}})
    assert_same_run(a, b)
    c = train('salman_cnn', TRAIN, TEST, n_epochs=2, seed=1, **{**MLP, 'arch_kwargs': {}})
    assert not np.array_equal(a.probs('test'), c.probs('test'))
    # instances differ from each other (own init, batches, dropout), and instance i does not depend on n_models
    assert not np.array_equal(a.probs_at('test', 2)[0], a.probs_at('test', 2)[1])
    init = a.snapshot(0)   # each instance its own initialisation, in every weight tensor (a shared init would pass the line above)
    shared = [k for k, v in init.items() if v.ndim > 1 and torch.equal(v[0], v[1])]
    assert not shared, f"instances 0 and 1 start from the same {shared}"
    assert not np.array_equal(a.probs_at('test', 0)[0], a.probs_at('test', 0)[1]), "instances 0 and 1 predict the same before training"
    one = train('mlp', TRAIN, n_epochs=2, **{**MLP, 'n_models': 1})
    three = train('mlp', TRAIN, n_epochs=2, **MLP)
    torch.testing.assert_close(one.snapshot(2)['1.weight'][0], three.snapshot(2)['1.weight'][0], atol=1e-5, rtol=1e-5)


def test_global_rng_untouched():
    torch.manual_seed(123); before = torch.random.get_rng_state()
    train('salman_cnn', TRAIN, TEST, n_epochs=1, **{**MLP, 'arch_kwargs': {}})
    assert torch.equal(torch.random.get_rng_state(), before)


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize('kwargs, exc, msg', [
    (dict(arch='vgg16'), ValueError, "arch must be one of ['lenet_like', 'mlp', 'mnist_net', 'noise_mlp', 'resnet', 'salman_cnn', 'salman_cnn_wide', 'salman_mlp', 'small_st_vgg', 'st_vgg'], got 'vgg16'"),
    (dict(n_models=0), ValueError, "n_models must be >= 1, got 0"),
    (dict(n_models=2.0), TypeError, "n_models must be an integer >= 1, got 2.0"),
    (dict(arch='st_vgg'), ValueError, "inputs of shape (1, 8, 8) do not fit architecture 'st_vgg'"),
    (dict(arch='salman_cnn', train=(TRAIN[0].flatten(1), TRAIN[1])), ValueError, "do not fit architecture 'salman_cnn'"),
    (dict(train=(TRAIN[0], TRAIN[1][:10])), ValueError, "train.y must have shape (240,) to match train.X, got (10,)"),
    (dict(train=(TRAIN[0], TRAIN[1]), n_classes=5), ValueError, "train.y must hold labels in [0, 5), got labels in [0, 9]"),
    (dict(test=(torch.zeros(3, 1, 7, 7), torch.zeros(3, dtype=torch.long))), ValueError, "test.X has examples of shape (1, 7, 7), train.X of shape (1, 8, 8)"),
    (dict(train=[1, 2, 3]), TypeError, "train must be a Dataset (with .X and .y) or an (X, y) pair, got list"),
    (dict(optimizer='lbfgs'), ValueError, "optimizer must be one of ['sgd', 'adam', 'adadelta'], got 'lbfgs'"),
    (dict(loss='hinge'), ValueError, "loss must be one of ['ce', 'mse'], got 'hinge'"),
    (dict(init='normal'), ValueError, "init must be one of [None, 'xavier_uniform', 'uniform'], got 'normal'"),
    (dict(lr=0), ValueError, "lr must be a number > 0, got 0"),
    (dict(lr_step=(0, 2)), ValueError, "lr_step must be (every_n_epochs >= 1, divide_by > 0), got (0, 2)"),
    (dict(record=('valid',)), ValueError, "record must be one of ['train', 'test'], got 'valid'"),
    (dict(snapshot_epochs=(9,)), ValueError, "snapshot_epochs must be epochs in [0, n_epochs=2], got [9]"),
    (dict(stop_at_train_error=2), ValueError, "stop_at_train_error must be None or a number in [0, 1], got 2"),
    (dict(stop_at_train_error=0.0, record=('test',), test=TEST), ValueError, "record must include 'train'"),
])
def test_bad_input(kwargs, exc, msg):
    args = {**dict(arch="mlp", train=TRAIN, test=None, n_epochs=2, batch_size=32, lr=0.1), **kwargs}
    with pytest.raises(exc) as e: train(args.pop('arch'), args.pop('train'), args.pop('test'), **args)
    assert msg in str(e.value), str(e.value)


def test_finished_run_dir_refused(tmp_path):
    run = tmp_path/'runs'/'done'
    train('mlp', TRAIN, n_epochs=1, run_dir=run, **MLP)
    with pytest.raises(FileExistsError, match=f"run_dir {str(run)!r} holds a finished run"): train('mlp', TRAIN, n_epochs=1, run_dir=run, **MLP)
    with pytest.raises(FileNotFoundError, match="no finished engine run in"): Dynamics.load(tmp_path/'runs'/'missing')


# ---------------------------------------------------------------- the run directory

def test_layout_dtypes_and_mmap(tmp_path):
    run = tmp_path/'runs'/'layout'
    dyn = train('mlp', TRAIN, TEST, n_epochs=5, record_every=2, run_dir=run, **MLP)
    assert dyn.epochs == [0, 2, 4, 5] and dyn.snapshot_epochs == [0, 5]
    assert sorted(p.name for p in (run/'test').iterdir())[:3] == ['labels.npy', 'loss_e00000.npy', 'loss_e00002.npy']
    assert not list(run.rglob('*.tmp')) and not (run/'checkpoint.pt').exists()
    p = dyn.probs_at('test', 4)
    assert isinstance(p, np.memmap) and p.dtype == np.float16 and p.shape == (3, 100, 10)
    assert dyn.loss('train').dtype == np.float32 and dyn.loss('train').shape == (4, 3, 240)
    assert dyn.predictions('test').shape == (4, 3, 100)
    np.testing.assert_allclose(dyn.accuracy('test'), (dyn.predictions('test') == dyn.labels('test')).mean(-1))
    again = Dynamics.load(run)
    assert again.config == dyn.config and again.config['train']['n'] == 240
    assert again.config['strategy'] == 'fused'


def builder(in_shape, n_classes, hidden=16):
    "A builder outside ARCHITECTURES (module level, so template.json can name it)"
    return nn.Sequential(nn.Flatten(), nn.Linear(int(np.prod(in_shape)), hidden), nn.Tanh(), nn.Linear(hidden, n_classes))


def test_custom_builder_and_model_roundtrip(tmp_path):
    run = tmp_path/'runs'/'custom'
    dyn = train(builder, TRAIN, TEST, n_epochs=2, run_dir=run, arch_kwargs=dict(hidden=12), n_models=2, batch_size=32, lr=0.1)
    assert dyn.config['arch'] == 'builder' and not (run/'template.pt').exists()
    assert json.loads((run/'template.json').read_text()) == dict(builder=f"{__name__}:builder")   # a name, not a pickle
    m = Dynamics.load(run).model(1)   # rebuilt from the imported builder of that name
    assert isinstance(m[2], nn.Tanh) and not m.training
    np.testing.assert_allclose(m(TEST[0]).softmax(-1).detach().numpy(), dyn.probs_at('test', 2)[1].astype(np.float32), atol=2e-3)


def test_dataset_like_objects():
    "A `data.Dataset` (anything with .X, .y and n_classes) works as well as a tuple"
    ds = SimpleNamespace(X=TRAIN[0], y=TRAIN[1] % 3, n_classes=4, name='digits', source='sklearn load_digits')
    dyn = train('mlp', ds, n_epochs=1, **MLP)
    assert dyn.config['n_classes'] == 4 and dyn.probs('train').shape[-1] == 4 and dyn.config['train']['source'] == 'sklearn load_digits'
    data = pytest.importorskip('overfit_nb.data')
    d = data.load('digits', 'train', n=100)
    assert train('mlp', d, n_epochs=1, **MLP).probs('train').shape == (2, 3, 100, d.n_classes)


def test_mse_and_inits():
    "Seed 004's setting: MSE against one-hot targets, a single bias, uniform init; probabilities are still softmaxes"
    dyn = train('noise_mlp', TRAIN, TEST, n_epochs=2, loss='mse', init='uniform', optimizer='adam', lr=1e-3, n_models=2,
                batch_size=32, arch_kwargs=dict(depth=3, width=20))
    snap = dyn.snapshot(2)
    assert [k for k in snap if k.endswith('bias')] == ['1.bias']
    r = evaluate('noise_mlp', snap, *TEST, loss='mse', arch_kwargs=dict(depth=3, width=20))
    np.testing.assert_allclose(dyn.loss_at('test', 2), r['loss'].numpy(), rtol=1e-5, atol=1e-6)
    out = torch.log(r['probs'])  # softmax of the outputs: undo it up to a constant, compare with the raw MSE
    assert torch.isfinite(out).all() and np.allclose(dyn.probs_at('test', 2).astype(np.float32).sum(-1), 1, atol=5e-3)


def test_every_architecture_trains_one_step():
    "Every registered architecture goes through one vectorized step on an input it fits"
    shapes = dict(st_vgg=(3, 16, 16), small_st_vgg=(3, 16, 16), resnet=(3, 16, 16), lenet_like=(1, 16, 16), mnist_net=(1, 12, 12))
    for name in ARCHITECTURES:
        shape = shapes.get(name, (1, 8, 8))
        X, y = torch.rand(20, *shape), torch.arange(20) % 10
        kw = dict(n_blocks=1) if name == 'resnet' else dict(depth=2, width=8) if name == 'noise_mlp' else {}
        dyn = train(name, (X, y), n_models=2, n_epochs=1, batch_size=10, lr=0.01, arch_kwargs=kw, record=('train',))
        assert np.isfinite(dyn.loss('train')).all(), name
