"""Check the engine's GPU path and measure its speed (run once on a machine with a GPU):

1. N instances at once on the GPU equal each instance trained alone (dropout included), the same seed gives the same
   numbers, and how far a GPU run is from a CPU run;
2. the dropout masks a GPU computes are bit for bit the CPU's (engine version 3's counter-based generator);
3. model-epochs per second of N = 100 MLPs 784-512-10 on 60,000 + 10,000 images (batch 128, SGD with momentum, both
   splits recorded every epoch), beside a roofline estimate from the GPU's measured bandwidth and matmul peak.

    python benchmarks/gpu_check.py --device cuda            # all three (a few minutes on an H100)
    python benchmarks/gpu_check.py --device cuda --skip-speed
"""
import argparse, json, os, tempfile, time
import torch
from overfit_nb.engine import dropout_keys, dropout_masks, train, train_alone


def equivalence(device):
    g = torch.Generator().manual_seed(0)
    X, y = torch.rand(512, 1, 28, 28, generator=g), torch.randint(0, 10, (512,), generator=g)
    os.environ['OVERFIT_NB_TF32'] = '0'  # full float32 in the engine, as in the reference loop: an exact comparison
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
    res = {}
    for arch in ('salman_mlp', 'salman_cnn'):
        with tempfile.TemporaryDirectory() as d:
            kw = dict(n_epochs=2, batch_size=64, optimizer='adam', lr=1e-3, seed=3)
            run = lambda dev, name: train(arch, (X, y), n_models=4, device=dev, run_dir=os.path.join(d, name), progress=False, record=('train',), **kw)
            dyn, again, cpu = run(device, 'a'), run(device, 'b'), run('cpu', 'c')
            assert (dyn.probs('train') == again.probs('train')).all(), "same seed twice differs on the GPU"
            worst = 0.0
            for i in range(4):
                for k, v in train_alone(arch, X, y, i, device=device, **kw).state_dict().items():
                    worst = max(worst, (dyn.snapshot(2)[k][i] - v.detach().cpu()).abs().max().item())
            gap = abs(dyn.probs('train').astype('float32') - cpu.probs('train').astype('float32')).max()
            wgap = max((dyn.snapshot(2)[k] - cpu.snapshot(2)[k]).abs().max().item() for k in dyn.snapshot(2))
            print(f"{arch} ({dyn.config['strategy']}): max |N-at-once - alone| on {device} = {worst:.2e}; GPU vs CPU run (same masks): "
                  f"probabilities max diff {gap:.2e}, weights max diff {wgap:.2e}")
            res[arch] = dict(strategy=dyn.config['strategy'], alone_gap=worst, cpu_gpu_probs_gap=float(gap), cpu_gpu_weights_gap=wgap)
            assert worst < 1e-4, worst
    return res


def masks_identical(device):
    "Every unit of every instance's masks, CPU and GPU, for seed 000's CNN shapes: bit for bit"
    shapes = [('3', 0.25, (32, 13, 13)), ('7', 0.5, (128,))]
    for seed, epoch, step in ((0, 1, 0), (7, 3, 41), (123, 100, 468)):
        cpu = dropout_masks(shapes, dropout_keys(seed, range(100), epoch, 2, 'cpu'), step, 128)
        gpu = dropout_masks(shapes, dropout_keys(seed, range(100), epoch, 2, device), step, 128)
        for k in cpu: assert torch.equal(cpu[k], gpu[k].cpu()), f"masks {k} differ between CPU and {device} (seed {seed}, epoch {epoch}, step {step})"
    print(f"dropout masks: CPU and {device} identical (100 instances x 3 steps x 2 layers)")
    return True


def _sync(): torch.cuda.synchronize()


def measured_bandwidth(device, n=2**28):
    a, b = torch.empty(n, device=device), torch.empty(n, device=device)
    b.copy_(a); _sync(); t = time.perf_counter()
    for _ in range(5): b.copy_(a)
    _sync(); return 5 * 2 * 4 * n / (time.perf_counter() - t)  # bytes/s (read + write)


def measured_peak(device, n=8192):
    a, b = torch.randn(n, n, device=device), torch.randn(n, n, device=device)
    a @ b; _sync(); t = time.perf_counter()
    for _ in range(5): a @ b
    _sync(); return 5 * 2 * n**3 / (time.perf_counter() - t)


def mlp_speed(device, n_models=100, epochs=2, n_train=60000, n_test=10000, batch=128):
    "Model-epochs per second of the full engine (recording both splits every epoch), and its roofline estimate"
    os.environ['OVERFIT_NB_TF32'] = '1'
    g = torch.Generator().manual_seed(0)
    tr = (torch.rand(n_train, 1, 28, 28, generator=g), torch.randint(0, 10, (n_train,), generator=g))
    te = (torch.rand(n_test, 1, 28, 28, generator=g), torch.randint(0, 10, (n_test,), generator=g))
    kw = dict(n_epochs=epochs, batch_size=batch, optimizer='sgd', lr=0.05, momentum=0.9, arch_kwargs=dict(widths=(512,)), device=device, progress=False)
    with tempfile.TemporaryDirectory() as d:
        train('mlp', (tr[0][:2000], tr[1][:2000]), (te[0][:500], te[1][:500]), n_models=n_models, run_dir=os.path.join(d, 'warm'), **{**kw, 'n_epochs': 1})
        _sync(); t = time.perf_counter()
        train('mlp', tr, te, n_models=n_models, run_dir=os.path.join(d, 'run'), **kw)
        _sync(); wall = time.perf_counter() - t
        t = time.perf_counter()
        train('mlp', tr, te, n_models=n_models, run_dir=os.path.join(d, 'bare'), record=(), **kw)
        _sync(); bare = time.perf_counter() - t
    P = 784 * 512 + 512 + 512 * 10 + 10
    steps = -(-n_train // batch)
    flops = n_models * (6 * P * n_train + 2 * P * (n_train + n_test))  # training (forward + both gradients) + one evaluation of both splits
    bytes_ = n_models * P * 4 * 6 * steps                             # per step: weights, gradients, momentum read and written
    bw, peak = measured_bandwidth(device), measured_peak(device)
    floor = max(flops / peak, bytes_ / bw)
    res = dict(model_epochs_per_s=n_models * epochs / wall, seconds_per_epoch=wall / epochs, seconds_per_epoch_no_recording=bare / epochs,
               roofline_seconds_per_epoch=floor, bandwidth_GBps=bw / 1e9, matmul_peak_TFLOPs=peak / 1e12, target_model_epochs_per_s=140)
    print(f"MLP 784-512-10, N={n_models}, {n_train} + {n_test} images, batch {batch}, recording both splits every epoch: "
          f"{res['model_epochs_per_s']:.0f} model-epochs/s ({wall / epochs:.2f} s per epoch of {n_models} models; "
          f"{bare / epochs:.2f} s without recording); roofline {floor:.3f} s per epoch ({bw / 1e9:.0f} GB/s, {peak / 1e12:.0f} TFLOP/s measured)")
    return res


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0]); ap.add_argument('--device', default='cuda')
    ap.add_argument('--skip-speed', action='store_true')
    a = ap.parse_args()
    out = dict(device=torch.cuda.get_device_name(), torch=torch.__version__, masks_identical=masks_identical(a.device), equivalence=equivalence(a.device))
    if not a.skip_speed: out['mlp_speed'] = mlp_speed(a.device)
    print(json.dumps(out, indent=1))
    print("GPU path OK")
