"""Time the engine at the paper's scale of seed 003 (the N = 100 showcase) on random data of the right shape, and
extrapolate to the paper's epochs: how long the `paper` profile's central runs take on the device at hand.

    python benchmarks/paper_scale.py --device cuda --epochs 3
"""
import argparse, json, tempfile, time, os
import torch
from overfit_nb.engine import train

CASES = [  # (name, arch, input shape, n_train, n_test, batch, optimizer, lr, paper epochs) from seed 003 Supp. A/B
    ('st-VGG, small mammals', 'st_vgg', (3, 32, 32), 2500, 500, 100, 'sgd', 0.05, 140),
    ('small st-VGG, small mammals', 'small_st_vgg', (3, 32, 32), 2500, 500, 100, 'sgd', 0.05, 140),
    ('MNIST net, MNIST', 'mnist_net', (1, 28, 28), 60000, 10000, 100, 'adadelta', 1.0, 12),
]

def main(device, epochs, n_models=100):
    res = {}
    for name, arch, shape, n_tr, n_te, bs, opt, lr, paper_epochs in CASES:
        g = torch.Generator().manual_seed(0)
        tr = (torch.rand(n_tr, *shape, generator=g), torch.randint(0, 10, (n_tr,), generator=g))
        te = (torch.rand(n_te, *shape, generator=g), torch.randint(0, 10, (n_te,), generator=g))
        with tempfile.TemporaryDirectory() as d:
            train(arch, tr, te, n_models=2, n_epochs=1, batch_size=bs, optimizer=opt, lr=lr, device=device, progress=False, run_dir=os.path.join(d, 'w'))
            t = time.perf_counter()
            train(arch, tr, te, n_models=n_models, n_epochs=epochs, batch_size=bs, optimizer=opt, lr=lr, device=device,
                  progress=False, run_dir=os.path.join(d, 'r'))
            s = (time.perf_counter() - t) / epochs
        res[name] = dict(n_models=n_models, seconds_per_epoch=s, paper_epochs=paper_epochs, paper_minutes=s * paper_epochs / 60)
        print(f"{name}: N={n_models}, {n_tr} train + {n_te} test recorded every epoch: {s:.2f} s/epoch -> "
              f"{s * paper_epochs / 60:.1f} min for the paper's {paper_epochs} epochs", flush=True)
    print(json.dumps(res, indent=1))

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--device', default='cuda'); ap.add_argument('--epochs', type=int, default=3)
    a = ap.parse_args(); main(a.device, a.epochs)
