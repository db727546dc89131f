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


def load():
    "The 1-minute load average (the machine may be shared: read every timing with it)"
    return round(os.getloadavg()[0], 2)


def interleaved(cases, repeats):
    "{name: [seconds...]}: every case run `repeats` times, the cases alternating, so that a load change hits all alike"
    out = {k: [] for k in cases}
    for _ in range(repeats):
        for k, f in cases.items(): out[k].append(timed(f))
    return out


def ratio(t, a, b):
    "median of a / median of b"
    return float(np.median(t[a]) / np.median(t[b]))


def step_report(name, sp, flops, n_models, peak):
    "Print and return one `step_speed` result: per-instance ms, GFLOP/s beside the matmul `peak`, the ratios (wall, the issue's; CPU time); with `mlp_floor`'s cases, the step beside its floor"
    (nw, nc), (ew, ec), (kw_, kc) = sp['naive'], sp['engine'], sp['naive_kept']
    r = dict(naive_ms=1e3 * nw, engine_ms_per_instance=1e3 * ew, naive_cpu_ms=1e3 * nc, engine_cpu_ms_per_instance=1e3 * ec,
             naive_kept_ms=1e3 * kw_, naive_gflops=flops / nw / 1e9, engine_gflops=flops / ew / 1e9, matmul_peak_gflops=peak,
             engine_fraction_of_peak=flops / ew / 1e9 / peak, ratio=nw / ew, ratio_cpu=nc / ec, ratio_vs_naive_kept=kw_ / ew, load=load())
    print(f"{name} training step, batch 128, per instance: naive {r['naive_ms']:.1f} ms ({r['naive_gflops']:.0f} GFLOP/s), engine N={n_models} "
          f"{r['engine_ms_per_instance']:.1f} ms ({r['engine_gflops']:.0f} GFLOP/s = {100 * r['engine_fraction_of_peak']:.0f}% of a {peak:.0f} GFLOP/s "
          f"matmul peak measured in this run) -> {r['ratio']:.2f}x wall, {r['ratio_cpu']:.2f}x CPU time; {r['ratio_vs_naive_kept']:.2f}x over "
          f"the naive step under the engine's memory setting ({r['naive_kept_ms']:.1f} ms); load {r['load']}", flush=True)
    if 'gemms' in sp:
        (gw, _), (uw, _) = sp['gemms'], sp['update']
        r.update(gemms_ms=1e3 * gw, update_ms=1e3 * uw, floor_ms=1e3 * (gw + uw), gemms_fraction_of_peak=flops / gw / 1e9 / peak,
                 floor_fraction_of_peak=flops / (gw + uw) / 1e9 / peak, engine_fraction_of_floor=(gw + uw) / ew, update_gbs=sp['update_bytes'] / uw / 1e9)
        print(f"  its floor, per instance: the step's GEMMs alone {r['gemms_ms']:.1f} ms ({100 * r['gemms_fraction_of_peak']:.0f}% of the peak) + the "
              f"weight update alone {r['update_ms']:.1f} ms (memory bound: {r['update_gbs']:.1f} GB/s) = {r['floor_ms']:.1f} ms, "
              f"{100 * r['floor_fraction_of_peak']:.0f}% of the peak; the engine's step takes {100 * r['engine_fraction_of_floor']:.0f}% of its speed", flush=True)
    return r


def mlp_floor(n_models, batch=128, d=784, h=512, c=10):
    """The two parts of an MLP d-h-c training step that no implementation can skip, with the library's own kernels on the
    step's shapes, as `step_speed` cases: its GEMMs (both layers' forward and weight gradients added into momentum
    buffers, the second layer's input gradient) and its weight update (read weight and buffer, write weight), which is
    memory bound. A step cannot be faster than the two together on this machine without faster kernels"""
    M, t = n_models, torch.rand
    x, w1, b1, a, w2, b2, g2, g1 = t(M, batch, d), t(M, h, d), t(M, h), t(M, batch, h), t(M, c, h), t(M, c), t(M, batch, c), t(M, batch, h)
    m1, m2 = torch.zeros_like(w1), torch.zeros_like(w2)
    def gemms(k):
        for _ in range(k):
            torch.baddbmm(b1.unsqueeze(1), x, w1.transpose(1, 2)); torch.baddbmm(b2.unsqueeze(1), a, w2.transpose(1, 2)); torch.bmm(g2, w2)
            torch.baddbmm(m2, g2.transpose(1, 2), a, beta=0.9, out=m2); torch.baddbmm(m1, g1.transpose(1, 2), x, beta=0.9, out=m1)
    def update(k):
        for _ in range(k): w1.add_(m1, alpha=-1e-9); w2.add_(m2, alpha=-1e-9); b1.add_(b1, alpha=-1e-9); b2.add_(b2, alpha=-1e-9)
    return dict(gemms=gemms, update=update), 3 * 4 * (h * d + h + c * h + c)  # bytes the update moves per instance


def cnn_step_flops(batch=128):
    "FLOPs of one training step of seed 000's CNN on 28x28 inputs: conv forward + weight gradient, fc1 forward + both gradients, fc2 likewise"
    conv, fc1, fc2 = 2 * 26 * 26 * 32 * 9, 2 * 5408 * 128, 2 * 128 * 10
    return batch * (2 * conv + 3 * fc1 + 3 * fc2)


def step_speed(arch, arch_kwargs, n_models, steps=4, repeats=3, batch=128, floor=None):
    """Seconds per instance of a training step, naive (one instance: `nn.Module`, SGD, `nn.Dropout`) and engine (N instances,
    fused, under `train`'s memory setting), as medians of `repeats` interleaved measurements, each after a warm-up step:
    {case: (wall, process CPU time)}; 'naive_kept' is the naive step under the engine's memory setting (what it would gain);
    `floor`: `mlp_floor`'s cases, timed among them (per instance, under the engine's memory setting)"""
    import contextlib, copy
    from overfit_nb.engine import (_fast_math, _forward_fn, _grad_layout, _optimizer, _train_epoch, dropout_keys,
                                   dropout_shapes, init_model, stack_params, use_instance_dropout)
    shape = (1, 28, 28)
    X, y = fake_mnist(1000)
    ms = [use_instance_dropout(init_model(arch, shape, 10, 0, i, None, arch_kwargs)) for i in range(n_models)]
    tmpl = copy.deepcopy(ms[0]).to('meta').train()
    params = {k: _grad_layout(v, 'fused').requires_grad_(True) for k, v in stack_params(ms).items()}
    opt, fwd = _optimizer('sgd', params, 0.05, momentum=0.9, in_gemm=True), _forward_fn(tmpl, False, 'fused')  # as `train` builds them
    shapes = dropout_shapes(tmpl, shape); keys = dropout_keys(0, range(n_models), 1, len(shapes)) if shapes else None
    g = torch.Generator().manual_seed(0)
    def engine_steps(k):  # k of the engine's own training steps, on random rows
        _train_epoch(fwd, params, {}, opt, X, y, torch.randint(0, len(X), (n_models, k * batch), generator=g), batch, 'ce', False, shapes, keys)
    m = build_model(arch, shape, 10, **arch_kwargs).train(); o = torch.optim.SGD(m.parameters(), lr=0.05, momentum=0.9)
    def naive_steps(k):
        for s in range(k):
            idx = torch.randint(0, len(X), (batch,), generator=g)
            o.zero_grad(); F.cross_entropy(m(X[idx]), y[idx]).backward(); o.step()
    kept = lambda: _fast_math(torch.device('cpu'))
    cases = dict(naive=(naive_steps, contextlib.nullcontext, 1), engine=(engine_steps, kept, n_models), naive_kept=(naive_steps, kept, 1))
    if floor: cases.update({k: (f, kept, n_models) for k, f in floor[0].items()})
    def run(f, ctx, per):
        with ctx():
            f(1)
            w, c = time.perf_counter(), time.process_time(); f(steps)
            return (time.perf_counter() - w) / steps / per, (time.process_time() - c) / steps / per
    t = {k: [] for k in cases}
    for _ in range(repeats):
        for k, case in cases.items(): t[k].append(run(*case))
    out = {k: (float(np.median([x[0] for x in v])), float(np.median([x[1] for x in v]))) for k, v in t.items()}
    return {**out, 'update_bytes': floor[1]} if floor else out


def op_calls(arch, arch_kwargs, n_models, in_shape=(1, 28, 28), batch=16):
    "Operator calls (top level: from Python and autograd) of one training step of `n_models` instances (`engine.step_op_calls`)"
    from overfit_nb.engine import step_op_calls
    return sum(step_op_calls(arch, arch_kwargs, n_models, in_shape=in_shape, n=batch, batch=batch).values())


def strategy_check(repeats=2, n_train=400, n_test=200, epochs=1):
    """`choose_strategy`'s pick against 'loop' for the conv nets outside seed 000: seed 003's MNIST net (N=6, the setting of
    `10_consistency`'s quick profile: batch 50, AdaDelta lr 1.0, Xavier init, both splits recorded) and seed 002's LeNet-5
    (N=20, SGD): whole runs, interleaved, process CPU seconds"""
    from overfit_nb.engine import choose_strategy
    from overfit_nb.intrinsic import lenet5
    tr, te = fake_mnist(n_train), fake_mnist(n_test, seed=1)
    out = {}
    for name, arch, n, opt in (('mnist_net', 'mnist_net', 6, dict(optimizer='adadelta', lr=1.0)), ('lenet5', lenet5, 20, dict(optimizer='sgd', lr=0.05, momentum=0.9))):
        pick = choose_strategy(build_model(arch, (1, 28, 28), 10), 'cpu')
        def run(st):
            with tempfile.TemporaryDirectory() as d:
                c = time.process_time()
                train(arch, tr, te, n_models=n, n_epochs=epochs, batch_size=50, init='xavier_uniform', run_dir=os.path.join(d, 'r'), progress=False, strategy=st, **opt)
                return time.process_time() - c
        t = {st: [] for st in ('fused', 'loop')}
        for _ in range(repeats):
            for st in t: t[st].append(run(st))
        med = {st: float(np.median(v)) for st, v in t.items()}
        out[name] = dict(pick=pick, cpu_s=med, loop_over_fused=med['loop'] / med['fused'], load=load())
        print(f"{name}, N={n}, {n_train} train + {n_test} test, {epochs} epoch(s), batch 50, recording: fused {med['fused']:.1f} CPU-s, loop "
              f"{med['loop']:.1f} CPU-s -> loop / fused {med['loop'] / med['fused']:.2f}; choose_strategy picks {pick!r} "
              f"({'within 5% of the other' if abs(med['loop'] / med['fused'] - 1) < 0.05 else 'the faster' if (pick == 'fused') == (med['fused'] <= med['loop']) else 'NOT the faster'}); load {load()}", flush=True)
    return out


def main(quick=False, threads=2, device='cpu', repeats=2):
    core.set_threads(threads)
    N, res = 20, dict(load_start=load())
    print(f"torch {torch.__version__}, {threads} thread(s), device {device}, N={N}, {'quick' if quick else 'full'} settings, "
          f"load {res['load_start']}")
    # operator calls per step (the count must not grow with N)
    res['op_calls_per_step'] = {a: {n: op_calls(a, kw, n) for n in (1, 10, 100)} for a, kw in (('mlp', dict(widths=(512,))), ('salman_cnn', {}))}
    print(f"operator calls per training step (top level, batch 16): {res['op_calls_per_step']}")
    peak = matmul_peak(device)
    res['matmul_peak_gflops'] = peak
    # the CNN step: GFLOP/s of one naive step and of the engine's step (per instance) beside the matmul peak
    sp = step_speed('salman_cnn', {}, N, repeats=repeats + 1)
    res['cnn_step'] = step_report('cnn', sp, cnn_step_flops(), N, peak)
    pk = [matmul_peak(device)]; sp = step_speed('mlp', dict(widths=(512,)), N, repeats=repeats + 1, floor=mlp_floor(N)); pk.append(matmul_peak(device))
    res['mlp_step'] = step_report('mlp', sp, mlp_train_flops(128, 1, 1), N, float(np.mean(pk)))  # the peak sampled just before and after
    te = fake_mnist(1000, seed=1)
    mlp = ('mlp', dict(widths=(512,)))
    for n_train, epochs in ((1000, 3 if quick else 10), (10000, 1 if quick else 3)):
        tr = fake_mnist(n_train)
        engine(*mlp, tr, te, 2, 1, device=device)  # warm-up: imports, allocator
        peaks = []  # the matmul peak sampled between the cases, so that the fraction compares like moments (the shared machine's peak drifts by 1.5x within minutes)
        cases = dict(naive=lambda: naive(*mlp, tr, te, N, epochs, device=device),
                     matmul_peak=lambda: peaks.append(matmul_peak(device)),
                     engine=lambda: engine(*mlp, tr, te, N, epochs, device=device),
                     train_only=lambda: engine(*mlp, tr, te, N, epochs, device=device, record=()),
                     eval_no_store=lambda: engine(*mlp, tr, te, N, epochs, device=device, record=(),
                                                  callbacks=[lambda e, s: [s.forward(x) for x in (tr[0], te[0])]]))
        t = interleaved(cases, repeats)
        med = {k: float(np.median(v)) for k, v in t.items()}
        res[f'mlp_{n_train}'] = dict(times=t, ratio=ratio(t, 'naive', 'engine'), epochs=epochs, load=load())
        print(f"MLP 784-512-10, N={N}, {n_train} train + 1000 test, {epochs} epoch(s): naive {med['naive']:.1f} s, "
              f"engine {med['engine']:.1f} s -> {ratio(t, 'naive', 'engine'):.1f}x (medians of {repeats}, load {load()})")
        if n_train == 10000:
            gf, pk = mlp_train_flops(n_train, N, epochs) / med['train_only'] / 1e9, float(np.median(peaks))
            res['mlp_gflops'] = dict(achieved=gf, matmul_peak=pk, matmul_peak_samples=peaks, fraction=gf / pk)
            res['recording'] = dict(vs_no_eval=med['engine'] / med['train_only'] - 1, vs_eval_without_storing=med['engine'] / med['eval_no_store'] - 1)
            print(f"  recording every epoch's probabilities (train + test): {100 * (med['engine'] / med['train_only'] - 1):+.0f}% over training "
                  f"without any evaluation; {100 * (med['engine'] / med['eval_no_store'] - 1):+.0f}% over the same per-epoch evaluation kept in memory")
            print(f"  MLP training throughput: {gf:.1f} GFLOP/s = {100 * gf / pk:.0f}% of a measured {pk:.1f} GFLOP/s matmul peak (median of "
                  f"{len(peaks)} samples taken between the cases: {', '.join(f'{p:.0f}' for p in peaks)}; whole run without recording: setup, "
                  f"training, snapshots)")
    cnn_epochs = 1 if quick else 3
    tr = fake_mnist(1000)
    cnn = ('salman_cnn', {})
    t = interleaved(dict(naive=lambda: naive(*cnn, tr, te, N, cnn_epochs, device=device),
                         fused=lambda: engine(*cnn, tr, te, N, cnn_epochs, device=device, strategy='fused'),
                         loop=lambda: engine(*cnn, tr, te, N, cnn_epochs, device=device, strategy='loop')), repeats)
    res['cnn'] = dict(times=t, ratio_fused=ratio(t, 'naive', 'fused'), ratio_loop=ratio(t, 'naive', 'loop'), epochs=cnn_epochs, load=load())
    print(f"seed-000 CNN, N={N}, 1000 train + 1000 test, {cnn_epochs} epoch(s): naive {np.median(t['naive']):.1f} s, engine "
          f"(fused) {np.median(t['fused']):.1f} s -> {res['cnn']['ratio_fused']:.1f}x, engine (loop) {np.median(t['loop']):.1f} s -> "
          f"{res['cnn']['ratio_loop']:.1f}x (medians of {repeats}, load {load()})")
    small = ('mlp', dict(widths=(64,)))
    g = torch.Generator().manual_seed(2)
    tr8, te8 = (torch.rand(1000, 1, 8, 8, generator=g), torch.randint(0, 10, (1000,), generator=g)), (torch.rand(500, 1, 8, 8, generator=g), torch.randint(0, 10, (500,), generator=g))
    t = interleaved(dict(naive=lambda: naive(*small, tr8, te8, N, 3, device=device), engine=lambda: engine(*small, tr8, te8, N, 3, device=device)), repeats + 1)
    res['small_mlp'] = dict(times=t, ratio=ratio(t, 'naive', 'engine'), load=load())
    print(f"small MLP 64-64-10 (8x8 inputs, seed 002-sized), N={N}, 1000 train + 500 test, 3 epochs: naive {np.median(t['naive']):.1f} s, "
          f"engine {np.median(t['engine']):.2f} s -> {res['small_mlp']['ratio']:.1f}x (load {load()})")
    res['strategies'] = strategy_check(repeats)
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


def steps(repeats=3, calls_only=False):
    "Operator calls per step; the CNN's and the MLP's training step, naive vs engine (N=20), as GFLOP/s beside the matmul peak; small MLPs' whole runs"
    res = dict(torch=torch.__version__, threads=torch.get_num_threads(), load_start=load())
    res['op_calls_per_step'] = {x: {n: op_calls(x, kw, n) for n in (1, 10, 100)} for x, kw in (('mlp', dict(widths=(512,))), ('salman_cnn', {}))}
    print(f"operator calls per training step (top level, batch 16): {res['op_calls_per_step']} (load {load()})", flush=True)
    if calls_only: return res
    res['matmul_peak_gflops'] = [matmul_peak()]
    for name, arch, kw, fl in (('cnn', 'salman_cnn', {}, cnn_step_flops()), ('mlp', 'mlp', dict(widths=(512,)), mlp_train_flops(128, 1, 1))):
        sp = step_speed(arch, kw, 20, repeats=repeats, floor=mlp_floor(20) if name == 'mlp' else None)
        res['matmul_peak_gflops'].append(matmul_peak())
        res[f'{name}_step'] = step_report(name, sp, fl, 20, res['matmul_peak_gflops'][-1])
    small = ('mlp', dict(widths=(64,)))
    g = torch.Generator().manual_seed(2)
    tr8, te8 = (torch.rand(1000, 1, 8, 8, generator=g), torch.randint(0, 10, (1000,), generator=g)), (torch.rand(500, 1, 8, 8, generator=g), torch.randint(0, 10, (500,), generator=g))
    engine(*small, tr8, te8, 2, 1)
    t = interleaved(dict(naive=lambda: naive(*small, tr8, te8, 20, 3), engine=lambda: engine(*small, tr8, te8, 20, 3)), repeats)
    res['small_mlp'] = dict(times=t, ratio=ratio(t, 'naive', 'engine'), load=load())
    print(f"small MLP 64-64-10 (8x8 inputs), N=20, 1000 train + 500 test, 3 epochs, recording: naive {np.median(t['naive']):.2f} s, "
          f"engine {np.median(t['engine']):.2f} s -> {res['small_mlp']['ratio']:.1f}x; load {load()}", flush=True)
    print(json.dumps(res, indent=1))
    return res


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--quick', action='store_true', help='fewer epochs (a few minutes on 2 CPU cores)')
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--device', default='cpu')
    ap.add_argument('--repeats', type=int, default=2, help='interleaved repeats of every whole-run case (medians reported)')
    ap.add_argument('--only', choices=['calls', 'steps', 'strategies'], help='only the operator counts, or those and the step-level measurements (minutes), or the conv nets\' strategy check')
    a = ap.parse_args()
    if a.only == 'strategies':
        core.set_threads(a.threads); strategy_check(a.repeats)
    elif a.only:
        core.set_threads(a.threads)
        steps(a.repeats + 1, calls_only=a.only == 'calls')
    else:
        gpu_main(a.device, a.threads, a.quick) if a.device != 'cpu' else main(a.quick, a.threads, a.device, a.repeats)
