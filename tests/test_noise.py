"Seed 004 measures (`overfit_nb.noise`) against a brute-force computation that holds every activation at once."
import math
import pytest
import torch
from torch import nn
from overfit_nb import models, noise


def _brute_force(model, X, y, mask, C):
    "Eqs. 3-6 straight from the definitions, all activations of all layers in memory"
    a, lins, out = X.flatten(1), [m for m in model if isinstance(m, nn.Linear)][:-1], []
    for lin in lins:
        W, b = lin.weight.detach().double(), lin.bias
        pre = a.double() @ W.T + (b.detach().double() if b is not None else 0)
        wt = torch.cat([W, b.detach().double()[:, None]], 1) if b is not None else W
        at = torch.cat([a.double(), torch.ones(len(a), 1, dtype=torch.float64)], 1) if b is not None else a.double()
        act = pre > 0
        cos = pre / (at.norm(dim=1)[:, None] * wt.norm(dim=1))
        alive = act.any(0)
        mu_cos = torch.stack([cos[act[:, i], i].mean() for i in range(pre.shape[1]) if alive[i]]).mean()
        pols = []
        for c in range(C):
            for i in range(pre.shape[1]):
                s = act[:, i] & (y == c)
                if s.any(): pols.append(2 * abs((s & mask).sum().item() / s.sum().item() - 0.5))
        out.append((act, mu_cos.item(), sum(pols) / len(pols)))
        a = torch.relu(pre).float()
    return out


@pytest.mark.parametrize('depth,width,seed', [(3, 40, 0), (5, 16, 1)])
def test_matches_brute_force(depth, width, seed):
    torch.manual_seed(seed)
    model = models.noise_mlp((1, 6, 6), 4, depth=depth, width=width).eval()   # a bias at the first layer only
    X, y = torch.randn(333, 1, 6, 6), torch.randint(0, 4, (333,))
    mask = torch.rand(333) < 0.4
    ref = _brute_force(model, X, y, mask, 4)
    st = noise.node_statistics(model, X, y, mask, 4, batch_size=50)            # batches that do not divide 333
    mc, mp = noise.mean_cosine(st), noise.mean_polarization(st)
    for l, (act, mu_cos, mu_pol) in enumerate(ref):
        assert torch.equal(noise.sample_sets(model, X, l, batch_size=64), act)
        assert torch.equal(st[l]['n_active'], act.sum(0))
        assert math.isclose(mc[l].item(), mu_cos, rel_tol=1e-5)
        assert math.isclose(mp[l].item(), mu_pol, rel_tol=1e-9)


def test_bad_input_names_the_value():
    model = models.noise_mlp((1, 4, 4), 3, depth=2, width=8)
    X, y = torch.rand(10, 1, 4, 4), torch.randint(0, 3, (10,))
    with pytest.raises(ValueError, match=r"mask must have one entry per sample \(10\), got length 9"):
        noise.node_statistics(model, X, y, torch.zeros(9, dtype=torch.bool))
    with pytest.raises(ValueError, match=r"is followed by Identity\(\), not nn.ReLU"):
        noise.relu_layers(models.mlp((1, 4, 4), 3, widths=(8,), linear=True))
    with pytest.raises(ValueError, match=r"p must be in \[0, 1\], got 2"):
        noise.noise_experiment(None, None, 'label', 2)


def test_chance_polarization_is_the_average_over_random_corruptions():
    "The hypergeometric chance level equals Eq. 6 averaged over corruption masks shuffled within each class"
    torch.manual_seed(3)
    model = models.noise_mlp((1, 4, 4), 3, depth=2, width=30).eval()
    X, y = torch.randn(120, 1, 4, 4), torch.arange(120) % 3
    mask = torch.rand(120) < 0.3
    st = noise.node_statistics(model, X, y, mask, 3)
    chance = noise.chance_polarization(st)
    g, R = torch.Generator().manual_seed(0), 4000
    masks = torch.stack([mask.clone() for _ in range(R)])
    for c in range(3):                                        # shuffle which samples of class c are corrupted
        idx = (y == c).nonzero().flatten()
        perm = torch.argsort(torch.rand(R, len(idx), generator=g), 1)
        masks[:, idx] = mask[idx][perm]
    Y = torch.nn.functional.one_hot(y, 3).double()
    for l in range(2):
        act = noise.sample_sets(model, X, l).double()
        n_act = (Y.T @ act)                                   # [C, K], the same for every mask
        n_cor = torch.einsum('rnc,nk->rck', Y[None] * masks[..., None].double(), act)
        pol = torch.where(n_act > 0, 2 * (n_cor / n_act.clamp_min(1) - 0.5).abs(), float('nan'))
        mc = pol.flatten(1).nanmean(1)
        assert abs(mc.mean().item() - chance[l].item()) < 4 * mc.std().item() / R ** 0.5 + 1e-9
