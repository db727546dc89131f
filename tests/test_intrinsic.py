"""What the 09_intrinsic_dimension notebook cannot show: an interrupted sweep resumes from its finished runs, and every
projection trains on the engine with each instance's own θ₀ and P."""
import time
import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from overfit_nb import core, engine, intrinsic

@pytest.fixture(scope='module')
def digits():
    d = load_digits()
    X, y = torch.tensor(d.images[:, None] / 16, dtype=torch.float32), torch.tensor(d.target)
    return (X[:300], y[:300]), (X[1000:1100], y[1000:1100])

KW = dict(n_epochs=2, n_models=2, base_kwargs=dict(widths=(16,)), n_fine=1, lr=0.02, subspace_lr=0.1, batch_size=32,
          optimizer='adam', progress=False)

def test_sweep_resumes_from_finished_runs(tmp_path, digits):
    train, test = digits
    first = intrinsic.intrinsic_dimension('mlp', train, test, coarse=(8, 64), run_dir=tmp_path/'sweep', **KW)
    runs = sorted(p.name for p in (tmp_path/'sweep').iterdir())
    assert runs == ['d0000008', 'd0000064', 'full']
    mtimes = {p: p.stat().st_mtime for p in (tmp_path/'sweep').rglob('params.json')}
    again = intrinsic.intrinsic_dimension('mlp', train, test, coarse=(8, 64), run_dir=tmp_path/'sweep', **KW)
    assert {p: p.stat().st_mtime for p in (tmp_path/'sweep').rglob('params.json')} == mtimes   # nothing retrained
    np.testing.assert_array_equal(first['full'], again['full'])
    for d in first['acc']: np.testing.assert_array_equal(first['acc'][d], again['acc'][d])

@pytest.mark.parametrize('projection', ['gaussian', 'normalized', 'sparse'])
def test_each_instance_has_its_own_projection(tmp_path, digits, projection):
    train, test = digits
    dyn = engine.train(intrinsic.subspace_net, train, test, n_models=2, n_epochs=1, batch_size=32, lr=0.01, optimizer='adam',
                       arch_kwargs=dict(d=12, base='mlp', base_kwargs=dict(widths=(16,)), projection=projection),
                       record=('test',), progress=False, run_dir=tmp_path/'run')
    b = dyn.snapshot_buffers(0)
    key = 'vals' if projection == 'sparse' else 'P'
    assert sorted(b) == ['theta0'] and not torch.equal(b['theta0'][0], b['theta0'][1])   # the projection is rebuilt, not stored
    m0, m1 = dyn.model(0, 0), dyn.model(1, 0)
    assert not torch.equal(getattr(m0, key), getattr(m1, key))                            # each instance its own P (from its θ₀)
    assert torch.equal(getattr(dyn.model(0, 1), key), getattr(m0, key))                   # P is fixed during training
    for i in (0, 1):                                                                      # the rebuilt P is the one trained with
        torch.testing.assert_close(dyn.model(i, 1)(torch.as_tensor(test[0])).softmax(-1), torch.as_tensor(dyn.probs('test')[-1][i], dtype=torch.float32), atol=2e-3, rtol=0)
    assert torch.equal(dyn.snapshot(0)['theta_d'], torch.zeros(2, 12))  # θ_d starts at zero ...
    assert not torch.equal(dyn.snapshot(1)['theta_d'], dyn.snapshot(0)['theta_d'])  # ... and is what trains

def test_subspace_schedule_and_records_apply_to_subspace_runs_only(tmp_path, digits):
    train, test = digits
    r = intrinsic.intrinsic_dimension('mlp', train, test, coarse=(8,), run_dir=tmp_path/'sweep', lr_step=(50, 2),
                                      subspace_lr_step=(2, 2), sub_record_every=2, **{**KW, 'n_epochs': 4})
    full, sub = engine.Dynamics.load(tmp_path/'sweep'/'full'), engine.Dynamics.load(tmp_path/'sweep'/'d0000008')
    assert full.config['lr_step'] == [50, 2] and sub.config['lr_step'] == [2, 2]     # the full net keeps its own schedule
    assert sub.config['lr'] == 0.1 and full.config['lr'] == 0.02
    assert list(r['sub_curves'][8][0]) == [0, 2, 4]                                  # records every 2 epochs
    assert intrinsic.last_gain(r['sub_curves'][8], 2) == pytest.approx(np.mean(r['sub_curves'][8][1][2]) - np.mean(r['sub_curves'][8][1][1]))
    with pytest.raises(ValueError, match="sub_record_every must be"):
        intrinsic.intrinsic_dimension('mlp', train, test, coarse=(8,), run_dir=tmp_path/'bad', sub_record_every=0, **KW)
