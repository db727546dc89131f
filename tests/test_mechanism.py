"Seed 000 Fig. 1 (`overfit_nb.mechanism.interpolation_curve`): the conv-linearity path against plain modules with the mixed weights."
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from overfit_nb import models
from overfit_nb.mechanism import interpolation_curve


def _mixed_module(arch, shape, n_classes, w1, w2, a, **kw):
    "A fresh module of `arch` holding `a*w1 + (1-a)*w2`, in evaluation mode"
    m = models.build_model(arch, shape, n_classes, **kw).eval()
    m.load_state_dict({k: a * w1[k] + (1 - a) * w2[k] for k in w1})
    return m


@pytest.mark.parametrize('shape', [(1, 12, 12), (1, 13, 13), (2, 10, 10)])
def test_conv_path_matches_modules(shape):
    torch.manual_seed(0)
    nets = [models.build_model('salman_cnn', shape, 5) for _ in range(2)]
    w1, w2 = ({k: v.detach() for k, v in n.state_dict().items()} for n in nets)
    X, y = torch.randn(23, *shape), torch.randint(0, 5, (23,))
    alphas = [-1.0, 0.0, 0.25, 1.0, 1.5]
    c = interpolation_curve('salman_cnn', w1, w2, alphas, X, y, chunk=6)
    for k, a in enumerate(alphas):
        with torch.no_grad(): z = _mixed_module('salman_cnn', shape, 5, w1, w2, a)(X)
        assert c['loss'][k] == pytest.approx(F.cross_entropy(z, y).item(), rel=1e-5, abs=1e-6)
        assert c['accuracy'][k] == pytest.approx((z.argmax(1) == y).double().mean().item(), abs=1e-12)


def test_bad_input_fails_fast():
    nets = [models.build_model('salman_cnn', (1, 12, 12), 3) for _ in range(2)]
    w1, w2 = (dict(n.named_parameters()) for n in nets)
    X, y = torch.randn(4, 1, 12, 12), torch.randint(0, 3, (4,))
    with pytest.raises(ValueError, match="chunk must be >= 1, got 0"): interpolation_curve('salman_cnn', w1, w2, [0.], X, y, chunk=0)
    with pytest.raises(ValueError, match="X and y must have the same length, got 4 and 3"): interpolation_curve('salman_cnn', w1, w2, [0.], X, y[:3])
