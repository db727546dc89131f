"Seed 001 (`overfit_nb.extreme`) used from the installed package, outside its notebook (whose own imports hid a missing one)."
import numpy as np
from overfit_nb import data
from overfit_nb.extreme import steps_until


def test_steps_until_runs_from_the_package():
    tr, te = data.load('digits', 'train', n=50), data.load('digits', 'test', n=20)
    s, c = steps_until('mlp', tr, te, -1.0, n_models=2, max_steps=4, every=2, batch_size=16, arch_kwargs=dict(widths=(8,)))
    assert np.isnan(s).all()                                   # a level below 0 is never reached
    assert [list(h[:, 0]) for h in c.values()] == [[0, 2, 4]] * 2   # checked every 2 steps up to max_steps
