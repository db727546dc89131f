"""Check the engine's GPU path: N instances at once on the GPU equal each instance trained alone (dropout included),
the same seed gives the same numbers, and how far a GPU run is from a CPU run.

    python benchmarks/gpu_check.py --device cuda
"""
import argparse, tempfile, os
import torch
from overfit_nb.engine import train, train_alone


def main(device):
    g = torch.Generator().manual_seed(0)
    X, y = torch.rand(512, 1, 28, 28, generator=g), torch.randint(0, 10, (512,), generator=g)
    os.environ['OVERFIT_NB_TF32'] = '0'  # full float32 in the engine, as in the reference loop: an exact comparison
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
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
            gap = (dyn.probs('train').astype('float32') - cpu.probs('train').astype('float32'))
            print(f"{arch}: max |N-at-once - alone| on {device} = {worst:.2e}; GPU vs CPU probs max diff {abs(gap).max():.2e}")
            assert worst < 1e-4, worst
    print("GPU path OK")


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0]); ap.add_argument('--device', default='cuda')
    main(ap.parse_args().device)
