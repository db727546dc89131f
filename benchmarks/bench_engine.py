"""Speed of `overfit_nb.engine.train` against the naive way, as ratios measured in one run.

The naive way is what a researcher writes: one model at a time, a `DataLoader` over a `TensorDataset`, and a
per-epoch evaluation loop that keeps every example's softmax probabilities and loss for both splits (the same work
the engine's recorder does, minus the disk). Both sides use the same architectures (`overfit_nb.models`), the same
optimizer (SGD, lr 0.05, momentum 0.9), batch 128, and random inputs of MNIST's shape (speed does not depend on the
pixel values).

    python benchmarks/bench_engine.py --quick          # a few minutes on 2 CPU cores
    python benchmarks/bench_engine.py                  # more epochs
    python benchmarks/bench_engine.py --device cuda    # N=100 on a GPU vs. the naive loop on the CPU and on the GPU
"""
import argparse, json, os, tempfile, time

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

from overfit_nb import core
from overfit_nb.engine import train
from overfit_nb.models import build_model


def fake_mnist(n, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, 1, 28, 28, generator=g), torch.randint(0, 10, (n,), generator=g)


def naive(arch, arch_kwargs, tr, te, n_models, n_epochs, batch_size=128, device='cpu'):
    "One model at a time, DataLoader batches, a per-epoch evaluation loop keeping probabilities and losses"
    kept = []
    for i in range(n_models):
        torch.manual_seed(i)
        model = build_model(arch, tuple(tr[0].shape[1:]), 10, **arch_kwargs).to(device)
        opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        loader = DataLoader(TensorDataset(*tr), batch_size=batch_size, shuffle=True)
        for epoch in range(n_epochs + 1):   # epoch 0: evaluate the initialisation, as the engine records it
            model.train()
            for xb, yb in (loader if epoch else []):
                xb, yb = xb.to(device), yb.to(device)
                opt.zero_grad(); F.cross_entropy(model(xb), yb).backward(); opt.step()
            model.eval()
            with torch.no_grad():
                for split in (tr, te):
                    probs, losses = [], []
                    for xb, yb in DataLoader(TensorDataset(*split), batch_size=1000):
                        out = model(xb.to(device))
                        probs.append(out.softmax(-1).half().cpu()); losses.append(F.cross_entropy(out, yb.to(device), reduction='none').cpu())
                    kept.append((torch.cat(probs).numpy(), torch.cat(losses).numpy()))
    return kept


def engine(arch, arch_kwargs, tr, te, n_models, n_epochs, device='cpu', **kw):
    with tempfile.TemporaryDirectory() as d:
        return train(arch, tr, te, n_models=n_models, n_epochs=n_epochs, batch_size=128, optimizer='sgd', lr=0.05,
                     momentum=0.9, arch_kwargs=arch_kwargs, run_dir=os.path.join(d, 'run'), device=device, progress=False, **kw)


def timed(f, *a, **kw):
    t = time.perf_counter(); f(*a, **kw); return time.perf_counter() - t


def matmul_peak(device='cpu', n=2048, reps=5):
    "Measured float32 GFLOP/s of a large square matmul with the current thread setting"
    a, b = torch.randn(n, n, device=device), torch.randn(n, n, device=device)
    a @ b
    if device != 'cpu': torch.cuda.synchronize()
    best = min(timed(lambda: (a @ b, torch.cuda.synchronize() if device != 'cpu' else None)) for _ in range(reps))
    return 2 * n**3 / best / 1e9


def mlp_train_flops(n_examples, n_models, n_epochs, d=784, h=512, c=10):
    "FLOPs of training (forward, weight gradients, and the input gradient of the second layer only)"
    per_example = 2 * d * h * 2 + 2 * h * c * 3
    return per_example * n_examples * n_models * n_epochs


def main(quick=False, threads=2, device='cpu'):
    core.set_threads(threads)
    N, res = 20, {}
    print(f"torch {torch.__version__}, {threads} thread(s), device {device}, N={N}, {'quick' if quick else 'full'} settings")
    te = fake_mnist(1000, seed=1)
    mlp = ('mlp', dict(widths=(512,)))
    for n_train, epochs in ((1000, 3 if quick else 10), (10000, 1 if quick else 3)):
        tr = fake_mnist(n_train)
        engine(*mlp, tr, te, 2, 1, device=device)  # warm-up: imports, allocator
        t_naive = timed(naive, *mlp, tr, te, N, epochs, device=device)
        t_eng = timed(engine, *mlp, tr, te, N, epochs, device=device)
        t_train = timed(engine, *mlp, tr, te, N, epochs, device=device, record=())
        t_eval = timed(engine, *mlp, tr, te, N, epochs, device=device, record=(),
                       callbacks=[lambda e, s: [s.forward(x) for x in (tr[0], te[0])]])
        res[f'mlp_{n_train}'] = dict(naive_s=t_naive, engine_s=t_eng, ratio=t_naive / t_eng, engine_train_only_s=t_train,
                                     engine_eval_no_store_s=t_eval, epochs=epochs)
        print(f"MLP 784-512-10, N={N}, {n_train} train + 1000 test, {epochs} epoch(s): naive {t_naive:.1f} s, "
              f"engine {t_eng:.1f} s -> {t_naive / t_eng:.1f}x")
        if n_train == 10000:
            peak, gf = matmul_peak(device), mlp_train_flops(n_train, N, epochs) / t_train / 1e9
            res['mlp_gflops'] = dict(achieved=gf, matmul_peak=peak, fraction=gf / peak)
            res['recording'] = dict(vs_no_eval=t_eng / t_train - 1, vs_eval_without_storing=t_eng / t_eval - 1)
            print(f"  recording every epoch's probabilities (train + test): +{100 * (t_eng / t_train - 1):.0f}% over training "
                  f"without any evaluation; +{100 * (t_eng / t_eval - 1):.0f}% over the same per-epoch evaluation kept in memory")
            print(f"  MLP training throughput: {gf:.1f} GFLOP/s = {100 * gf / peak:.0f}% of a measured {peak:.1f} GFLOP/s matmul peak")
    cnn_epochs = 1 if quick else 3
    tr = fake_mnist(1000)
    cnn = ('salman_cnn', {})
    t_naive = timed(naive, *cnn, tr, te, N, cnn_epochs, device=device)
    t = {st: timed(engine, *cnn, tr, te, N, cnn_epochs, device=device, strategy=st) for st in ('loop', 'vmap')}
    res['cnn'] = dict(naive_s=t_naive, engine_loop_s=t['loop'], engine_vmap_s=t['vmap'], ratio=t_naive / min(t.values()), epochs=cnn_epochs)
    print(f"seed-000 CNN, N={N}, 1000 train + 1000 test, {cnn_epochs} epoch(s): naive {t_naive:.1f} s, engine "
          f"(loop) {t['loop']:.1f} s -> {t_naive / t['loop']:.1f}x, engine (vmap) {t['vmap']:.1f} s -> {t_naive / t['vmap']:.1f}x")
    tr = fake_mnist(1000)
    t_mv = timed(engine, *mlp, tr, te, N, 2, device=device, strategy='vmap')
    t_ml = timed(engine, *mlp, tr, te, N, 2, device=device, strategy='loop')
    res['mlp_strategy'] = dict(vmap_s=t_mv, loop_s=t_ml)
    print(f"MLP strategies, N={N}, 1000 train, 2 epochs: vmap {t_mv:.1f} s, loop {t_ml:.1f} s")
    small = ('mlp', dict(widths=(64,)))
    g = torch.Generator().manual_seed(2)
    tr8, te8 = (torch.rand(1000, 1, 8, 8, generator=g), torch.randint(0, 10, (1000,), generator=g)), (torch.rand(500, 1, 8, 8, generator=g), torch.randint(0, 10, (500,), generator=g))
    t_naive = timed(naive, *small, tr8, te8, N, 3, device=device)
    t_eng = timed(engine, *small, tr8, te8, N, 3, device=device)
    res['small_mlp'] = dict(naive_s=t_naive, engine_s=t_eng, ratio=t_naive / t_eng)
    print(f"small MLP 64-64-10 (8x8 inputs, seed 002-sized), N={N}, 1000 train + 500 test, 3 epochs: naive {t_naive:.1f} s, "
          f"engine {t_eng:.1f} s -> {t_naive / t_eng:.1f}x")
    print(json.dumps(res, indent=1))
    return res


def gpu_main(device='cuda', threads=2, quick=False):
    "N=100 on the GPU against the CPU naive loop (same run, same machine, `threads` CPU threads), and the GPU naive loop"
    core.set_threads(threads)
    res, te = {}, fake_mnist(1000, seed=1)
    epochs, n_naive = (1, 4) if quick else (3, 5)
    print(f"torch {torch.__version__}, {torch.cuda.get_device_name()}, CPU naive on {threads} thread(s), {epochs} epoch(s)")
    for name, arch, n_train in (('mlp', ('mlp', dict(widths=(512,))), 10000), ('cnn', ('salman_cnn', {}), 10000)):
        tr = fake_mnist(n_train)
        engine(*arch, tr, te, 2, 1, device=device)  # warm-up: CUDA context, cuDNN autotuning
        t_cpu = timed(naive, *arch, tr, te, n_naive, epochs, device='cpu') / n_naive * 100
        t_gpu_naive = timed(naive, *arch, tr, te, n_naive, epochs, device=device) / n_naive * 100
        torch.cuda.synchronize(); t_eng = timed(engine, *arch, tr, te, 100, epochs, device=device); torch.cuda.synchronize()
        res[name] = dict(n_train=n_train, epochs=epochs, cpu_naive_s=t_cpu, gpu_naive_s=t_gpu_naive, engine_s=t_eng,
                         ratio_vs_cpu_naive=t_cpu / t_eng, ratio_vs_gpu_naive=t_gpu_naive / t_eng)
        print(f"{arch[0]} N=100, {n_train} train + 1000 test, {epochs} epoch(s), recording every epoch: engine on {device} "
              f"{t_eng:.1f} s; naive on CPU {t_cpu:.0f} s (from {n_naive} instances) -> {t_cpu / t_eng:.0f}x; "
              f"naive on {device} {t_gpu_naive:.0f} s -> {t_gpu_naive / t_eng:.1f}x")
    res['matmul_peak_gflops'] = matmul_peak(device, 8192)
    print(json.dumps(res, indent=1))
    return res


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--quick', action='store_true', help='fewer epochs (a few minutes on 2 CPU cores)')
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--device', default='cpu')
    a = ap.parse_args()
    gpu_main(a.device, a.threads, a.quick) if a.device != 'cpu' else main(a.quick, a.threads, a.device)
