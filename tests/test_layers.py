"""What the 08_layer_robustness notebook cannot show: the module works outside the notebook, end to end on the engine,
and resetting layers to checkpoints stored on disk is exact."""
import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from overfit_nb import engine, layers

@pytest.fixture(scope='module')
def run(tmp_path_factory):
    d = load_digits()
    X, y = torch.tensor(d.images[:, None] / 16, dtype=torch.float32), torch.tensor(d.target)
    train, test = (X[:400], y[:400]), (X[1000:1200], y[1000:1200])
    res = layers.robustness_experiment('mlp', train, test, n_epochs=3, snapshot_epochs=(0, 1, 2, 5), n_models=2, seed=1,
                                       arch_kwargs=dict(widths=(32, 32)), init='xavier_uniform', batch_size=32,
                                       optimizer='adam', lr=0.01, progress=False, run_dir=tmp_path_factory.mktemp('l')/'run')
    return res, test

def test_table_shape_and_columns(run):
    res, _ = run
    assert res['layers'] == ['1', '3', '5'] and res['columns'] == ['rnd', 0, 1, 2]   # epoch 5 >= n_epochs is dropped
    assert res['accuracy'].shape == (3, 4, 2) and res['distance'].shape == (3, 2)
    np.testing.assert_allclose(res['base'].numpy(), res['learning_curve'][-1], atol=1e-6)
    assert res['base'].min() > 0.5

def test_resetting_to_stored_values_is_exact(run):
    res, (X, y) = run
    dyn = engine.Dynamics.load(res['run_dir'])
    final, init = dyn.snapshot(3), dyn.snapshot(0)
    for layer in res['layers']:
        edited = layers.reset_layer(final, init, layer)
        for k, v in edited.items():
            expected = init[k] if k.rpartition('.')[0] == layer else final[k]
            assert torch.equal(v, expected), (layer, k)
    same = layers.layer_robustness('mlp', final, {'final': final}, X, y, arch_kwargs=dict(widths=(32, 32)))
    assert torch.equal(same['accuracy'][:, 0], same['base'].expand(3, 2))   # resetting to the trained values changes nothing
    redo = layers.layer_robustness('mlp', final, {0: init}, X, y, arch_kwargs=dict(widths=(32, 32)))
    assert torch.equal(redo['accuracy'][:, 0], res['accuracy'][:, 1])      # the table is reproducible from the files

def test_unknown_layer_lists_the_layers(run):
    res, _ = run
    final = engine.Dynamics.load(res['run_dir']).snapshot(3)
    with pytest.raises(ValueError, match=r"layer must be one of \['1', '3', '5'\], got 'fc9'"):
        layers.reset_layer(final, final, 'fc9')
