"""Faults a hostile or unlucky user causes, each one real: two writers of one run directory, a finished run asked for
under other parameters, a SIGKILLed `overfit-nb run`, damaged recorded arrays, files crafted to run code, and bad
input that must fail before any data load, kernel or cluster. Tiny data (sklearn digits), one thread."""
import json, os, pickle, signal, subprocess, sys, time
from pathlib import Path
import nbformat
import numpy as np
import pytest
import torch
from torch import nn
from overfit_nb import core, engine
from overfit_nb.engine import Dynamics, train

ROOT = Path(__file__).resolve().parents[1]
CLI = Path(sys.executable).parent/'overfit-nb'

def _digits():
    from sklearn.datasets import load_digits
    d = load_digits()
    X, y = torch.tensor(d.images[:, None] / 16, dtype=torch.float32), torch.tensor(d.target)
    return (X[:200], y[:200]), (X[1000:1100], y[1000:1100])

TRAIN, TEST = _digits()
KW = dict(n_models=2, n_epochs=2, batch_size=50, lr=0.1, arch_kwargs=dict(widths=(16,)), progress=False)

def env(**extra):
    e = {k: v for k, v in os.environ.items() if k not in ('IN_TEST', 'OVERFIT_NB_DEVICE')}
    e.update(PYTHONPATH=str(ROOT), OMP_NUM_THREADS='1', **extra)
    return e

def cli(*args, out, nbs=None, **extra):
    "Run `overfit-nb` as a user would; returns (completed process, seconds)"
    t0 = time.monotonic()
    r = subprocess.run([str(CLI), *(['--nbs', str(nbs)] if nbs else []), *args], capture_output=True, text=True,
                       env=env(OVERFIT_NB_OUT=str(out), **extra), timeout=300, cwd=ROOT)
    return r, time.monotonic() - t0

@pytest.fixture
def main_(monkeypatch, capsys):
    "`overfit-nb ARGS` in this process (no interpreter start-up, so timings are the command's own); returns (exit code, stderr, seconds)"
    from overfit_nb.cli import main
    def run(*args, out, **extra):
        monkeypatch.delenv('IN_TEST', raising=False); monkeypatch.delenv('OVERFIT_NB_DEVICE', raising=False)
        monkeypatch.setenv('OVERFIT_NB_OUT', str(out))
        for k, v in extra.items(): monkeypatch.setenv(k, v)
        t0 = time.monotonic(); rc = main([str(a) for a in args]); secs = time.monotonic() - t0
        return rc, capsys.readouterr().err, secs
    return run

def sleepy_notebooks(folder:Path)->Path:
    "A folder with `01_sleepy.ipynb`: it writes `attempt-<tag>.txt` into its output folder, then sleeps `sleep` seconds"
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("profile = 'quick'  # workload\nsleep = 0.0       # seconds to sleep\ntag = 'a'         # the attempt's name",
                                          metadata=dict(tags=['parameters'])),
                nbformat.v4.new_code_cell("import time\nfrom overfit_nb import core\n(core.output_root()/f'attempt-{tag}.txt').write_text(tag)\n"
                                          "time.sleep(sleep)\ncore.save_results(dict(tag=tag))")]
    nb.metadata['kernelspec'] = dict(name='python3', display_name='Python 3', language='python')
    folder.mkdir(parents=True, exist_ok=True); nbformat.write(nb, folder/'01_sleepy.ipynb')
    return folder

def wait_for(cond, timeout=60.0):
    t0 = time.monotonic()
    while not cond():
        if time.monotonic() - t0 > timeout: raise TimeoutError("condition not reached")
        time.sleep(0.1)

def hidden(folder:Path)->list: return sorted(p.name for p in Path(folder).iterdir() if p.name.startswith('.'))


# ---------------------------------------------------------------- two writers, one run directory

def test_two_cli_writers_one_run_dir(tmp_path, monkeypatch, capsys):
    nbs, run = sleepy_notebooks(tmp_path/'nbs'), tmp_path/'runs'/'X'
    first = subprocess.Popen([str(CLI), '--nbs', str(nbs), 'run', 'sleepy', '-p', 'sleep', '8', '-p', 'tag', 'first', '--run-dir', str(run)],
                             env=env(OVERFIT_NB_OUT=str(tmp_path)), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for(lambda: (core.partial_dir(run)/'attempt-first.txt').exists())
    from overfit_nb.cli import main   # the second `overfit-nb run`, in this process (a new one could start too late on a busy machine)
    monkeypatch.setenv('OVERFIT_NB_OUT', str(tmp_path)); monkeypatch.delenv('IN_TEST', raising=False)
    assert main(['--nbs', str(nbs), 'run', 'sleepy', '-p', 'tag', 'second', '--run-dir', str(run)]) == 1
    err = capsys.readouterr().err
    assert f"run directory {str(run)!r} is being written by another process (pid {first.pid}," in err, err
    assert first.poll() is None, "the first writer had finished: no concurrency was tested"
    assert first.wait(120) == 0, first.stderr.read()
    assert json.loads((run/'params.json').read_text())['parameters']['tag'] == 'first'      # the finished run is the first one's, intact
    assert json.loads((run/'results.json').read_text()) == dict(tag='first') and not (run/'attempt-second.txt').exists()
    again, _ = cli('run', 'sleepy', '--run-dir', str(run), out=tmp_path, nbs=nbs)            # and a later writer does not replace it
    assert again.returncode == 1 and 'already exists and is complete' in again.stderr
    assert hidden(run.parent) == [] and (run/'01_sleepy.ipynb').exists()


def test_two_engine_writers_one_run_dir(tmp_path):
    run, seen = tmp_path/'X', {}
    def second_writer(epoch, state):   # while the first train() is writing X, a second one asks for X
        if epoch == 1:
            with pytest.raises(core.RunDirBusy) as e: train('mlp', TRAIN, TEST, run_dir=run, **KW)
            seen['msg'] = str(e.value)
    first = train('mlp', TRAIN, TEST, run_dir=run, callbacks=[second_writer], **KW)
    assert f"run directory {str(run)!r} is being written by another process (pid {os.getpid()}" in seen['msg']
    back = Dynamics.load(run).check()                      # the first run is complete and every file matches its checksum
    assert back.epochs == [0, 1, 2] and np.array_equal(back.accuracy('test'), first.accuracy('test'))
    assert hidden(tmp_path) == []


# ---------------------------------------------------------------- a finished run is reused only under its own config

def test_reuse_with_other_params_refused(tmp_path):
    run = tmp_path/'X'
    a = train('mlp', TRAIN, TEST, run_dir=run, **KW)
    with pytest.raises(FileExistsError, match="holds a finished run"): train('mlp', TRAIN, TEST, run_dir=run, **KW)
    assert train('mlp', TRAIN, TEST, run_dir=run, reuse=True, **KW).run_dir == a.run_dir        # the same config: read back
    with pytest.raises(ValueError, match=r"another config \(stored, asked\): \{'lr': \(0.1, 0.5\), 'n_epochs': \(2, 8\), 'snapshot_epochs': \(\[0, 2\], \[0, 8\]\)\}"):
        train('mlp', TRAIN, TEST, run_dir=run, reuse=True, **{**KW, 'n_epochs': 8, 'lr': 0.5})
    with pytest.raises(ValueError, match="another config"):                                  # other data, same shapes
        train('mlp', (TRAIN[0].flip(0), TRAIN[1]), TEST, run_dir=run, reuse=True, **KW)
    from overfit_nb import intrinsic                                                         # the callers use the same rule
    sweep = dict(coarse=(4,), n_models=1, lr=0.1, batch_size=50, base_kwargs=dict(widths=(16,)), progress=False, run_dir=tmp_path/'sweep')
    intrinsic.intrinsic_dimension('mlp', TRAIN, TEST, n_epochs=2, **sweep)
    with pytest.raises(ValueError, match=r"'n_epochs': \(2, 6\)"):
        intrinsic.intrinsic_dimension('mlp', TRAIN, TEST, n_epochs=6, **sweep)


# ---------------------------------------------------------------- a killed `overfit-nb run`

def test_killed_cli_run_is_rerun_with_nothing_left_over(tmp_path):
    nbs, run = sleepy_notebooks(tmp_path/'nbs'), tmp_path/'runs'/'X'
    p = subprocess.Popen([str(CLI), '--nbs', str(nbs), 'run', 'sleepy', '-p', 'sleep', '60', '-p', 'tag', 'killed', '--run-dir', str(run)],
                         env=env(OVERFIT_NB_OUT=str(tmp_path)), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(lambda: (core.partial_dir(run)/'attempt-killed.txt').exists())
    import psutil   # the command and its kernel (jupyter starts kernels in their own session), as a kill of the whole tree would
    for q in [psutil.Process(p.pid), *psutil.Process(p.pid).children(recursive=True)]: q.send_signal(signal.SIGKILL)
    p.wait()
    assert not run.exists() and core.partial_dir(run).exists()
    r, _ = cli('run', 'sleepy', '-p', 'tag', 'final', '--run-dir', str(run), out=tmp_path, nbs=nbs)
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in run.iterdir()) == ['01_sleepy.ipynb', 'attempt-final.txt', 'params.json', 'results.json']
    assert hidden(run.parent) == []                                                # no partial folder, no lock file


def test_failed_cli_run_is_visible_not_hidden(tmp_path, main_):
    rc, err, _ = main_('--nbs', ROOT/'tests'/'fixtures', 'run', '02_fails', '--run-dir', tmp_path/'runs'/'F', out=tmp_path)
    assert rc == 1 and f"the executed notebook is in {str(tmp_path/'runs'/'F.failed')!r}" in err, err
    assert sorted(os.listdir(tmp_path/'runs')) == ['F.failed']


# ---------------------------------------------------------------- damaged recorded arrays

@pytest.mark.parametrize('damage', ['zeroed', 'truncated', 'deleted'])
def test_damaged_array_refused_naming_the_file(tmp_path, damage):
    run = tmp_path/'X'
    train('mlp', TRAIN, TEST, run_dir=run, **KW)
    f = run/'test'/'pred_e00002.npy'; raw = f.read_bytes()
    if damage == 'zeroed': f.write_bytes(raw[:len(raw) // 2] + bytes(64) + raw[len(raw) // 2 + 64:])
    if damage == 'truncated': f.write_bytes(raw[:len(raw) - 40])
    if damage == 'deleted': f.unlink()
    with pytest.raises((ValueError, FileNotFoundError)) as e: Dynamics.load(run).accuracy('test')
    assert repr(str(f)) in str(e.value), str(e.value)
    assert {'zeroed': 'does not match its recorded SHA-256', 'truncated': 'the file is truncated or damaged',
            'deleted': 'recorded in the run\'s summary but missing'}[damage] in str(e.value)


def test_summary_is_required(tmp_path):
    "A folder with params.json but no summary.json (what a racing writer used to publish) is no finished run"
    run = tmp_path/'X'
    train('mlp', TRAIN, TEST, run_dir=run, **KW)
    (run/'summary.json').unlink()
    with pytest.raises(FileNotFoundError, match=f"no finished engine run in {str(run)!r}"): Dynamics.load(run)


# ---------------------------------------------------------------- files crafted to run code

class Payload:
    "Unpickling this creates the file `path` (a stand-in for any code an attacker would run)"
    def __init__(self, path): self.path = str(path)
    def __reduce__(self): return (open, (self.path, 'w'))


def builder(in_shape, n_classes, hidden=8):
    "A builder outside ARCHITECTURES"
    return nn.Sequential(nn.Flatten(), nn.Linear(int(np.prod(in_shape)), hidden), nn.ReLU(), nn.Linear(hidden, n_classes))


def test_crafted_checkpoint_runs_nothing(tmp_path):
    run, marker = tmp_path/'X', tmp_path/'PWNED'
    def die(epoch, state):
        if epoch == 1: raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt): train('mlp', TRAIN, TEST, run_dir=run, callbacks=[die], checkpoint_seconds=0, **KW)
    ck = core.partial_dir(run)/'checkpoint.pt'
    assert ck.exists()
    torch.save(dict(epoch=1, params={}, buffers={}, optimizer=Payload(marker)), ck)    # someone else's "checkpoint"
    with pytest.raises(RuntimeError, match=f"{str(ck)!r} is not a file this engine wrote"): train('mlp', TRAIN, TEST, run_dir=run, **KW)
    assert not marker.exists()


def test_crafted_template_runs_nothing(tmp_path):
    run, marker = tmp_path/'X', tmp_path/'PWNED'
    train(builder, TRAIN, TEST, run_dir=run, **{**KW, 'arch_kwargs': dict(hidden=8)})
    assert json.loads((run/'template.json').read_text()) == dict(builder=f"{__name__}:builder")
    (run/'template.pt').write_bytes(pickle.dumps(Payload(marker)))          # a pickled "template" is never read
    assert isinstance(Dynamics.load(run).model(0)[1], nn.Linear) and not marker.exists()
    for spec in ('builtins:exec', 'os:system', 'subprocess:run', 'overfit_nb.core:subprocess.run'):
        (run/'template.json').write_text(json.dumps(dict(builder=spec)))    # a run folder from someone else, checksums redone
        s = json.loads((run/'summary.json').read_text()); s['files'] = core.file_records(run); core.save_json(run/'summary.json', s)
        with pytest.raises(RuntimeError, match=f"its builder {spec!r}.*pass template= to Dynamics.load"): Dynamics.load(run).model(0)
    assert not marker.exists()


def test_list_with_an_escape_in_the_profile_table_runs_nothing(tmp_path, main_, capsys):
    nbs, marker = sleepy_notebooks(tmp_path/'nbs'), tmp_path/'PWNED'
    escape = (f"[c for c in ().__class__.__base__.__subclasses__() if c.__name__ == 'catch_warnings'][0]()"
              f"._module.__builtins__['open']({str(marker)!r}, 'w')")
    nb = nbformat.read(nbs/'01_sleepy.ipynb', as_version=4)
    nb.cells.insert(1, nbformat.v4.new_code_cell(f"from overfit_nb import core\nP = core.resolve_profile(profile, dict(test=dict(n=1), quick=dict(n={escape}), paper=dict(n=3)))"))
    nbformat.write(nb, nbs/'01_sleepy.ipynb')
    from overfit_nb.cli import main
    assert main(['--nbs', str(nbs), 'list']) == 0 and '01_sleepy' in capsys.readouterr().out
    assert not marker.exists()


# ---------------------------------------------------------------- bad input fails before data, kernel or cluster

NB03 = ['run', '03', '-p', 'profile', 'test']

@pytest.mark.parametrize('args, extra, msg', [
    (NB03 + ['-p', 'n_models', '0'], {}, "n_models must be >= 1, got 0"),
    (NB03 + ['-p', 'pt', '1.5'], {}, "pt must be in [0, 1], got 1.5"),
    (NB03 + ['-p', 'n_epochs', "'5'"], {}, "n_epochs must be an integer >= 1, got '5'"),
    (NB03, dict(OVERFIT_NB_DEVICE='tpu'), "device must be one of ['auto', 'cpu', 'cuda', 'mps'], got 'tpu'"),
    (NB03, dict(OVERFIT_NB_DEVICE='cpu:9'), "device 'cpu:9' does not exist"),
    (NB03, dict(OVERFIT_NB_DEVICE='cuda:99'), "'cuda:99' was asked for"),
    (['sweep', '03', '-p', 'pt', ''], {}, "parameter 'pt' of 03_consensus got an empty value ''"),
    (['sweep', '03', '-p', 'pt', ','], {}, "parameter 'pt' of 03_consensus got an empty value ''"),
    (['sweep', '03', '-p', 'pt', '0.5,2'], {}, "pt must be in [0, 1], got 2"),
    (['sweep', '03', '-p', 'pt', '0.5', '--scheduler', 'tcp://127.0.0.1:1'], {}, "cannot reach the Dask scheduler at 'tcp://127.0.0.1:1'"),
    (['sweep', '03', '-p', 'pt', '0.5', '--scheduler', 'tls://no-such-host.invalid:8786'], {}, "cannot reach the Dask scheduler at 'tls://no-such-host.invalid:8786'"),
], ids=['n_models=0', 'pt=1.5', 'n_epochs=str', 'device=tpu', 'device=cpu:9', 'device=cuda:99', 'sweep pt empty', 'sweep pt comma',
        'sweep pt=2', 'scheduler closed port', 'scheduler unknown host'])
def test_bad_input_fails_fast_naming_the_value(tmp_path, main_, args, extra, msg):
    if extra.get('OVERFIT_NB_DEVICE') == 'cuda:99' and not torch.cuda.is_available(): msg = "CUDA is not available"
    out = tmp_path/'out'
    rc, err, secs = main_(*args, '--out' if args[0] == 'sweep' else '--run-dir', out/'target', out=out, **extra)
    assert rc == 1 and msg in err, err
    assert not (out/'target').exists() and not (out/'runs').exists()    # no run folder: no kernel, no data load, no cluster
    assert secs < 20, f"took {secs:.1f} s: it should fail before any kernel or cluster starts"   # loose: the folder check above is the exact one


def test_bad_input_from_the_shell(tmp_path):
    "The installed command itself: exit code 1, one line naming the value, no traceback"
    r, secs = cli(*NB03, '-p', 'n_models', '0', out=tmp_path)
    assert r.returncode == 1 and r.stderr.strip() == "overfit-nb run: n_models must be >= 1, got 0", r.stderr
    (tmp_path/'file').write_text('')
    r, secs = cli(*NB03, out=tmp_path/'file'/'out')
    assert r.returncode == 1 and f"cannot write to the output folder {str(tmp_path/'file'/'out')!r}" in r.stderr, r.stderr
    assert 'Traceback' not in r.stderr


def test_sweep_is_resumable_and_lists_failures(tmp_path, main_):
    nbs, out = sleepy_notebooks(tmp_path/'nbs'), tmp_path/'sw'
    nb = nbformat.read(nbs/'01_sleepy.ipynb', as_version=4)                   # combination 'c' fails
    nb.cells.append(nbformat.v4.new_code_cell("if tag == 'c': raise RuntimeError('c fails on purpose')")); nbformat.write(nb, nbs/'01_sleepy.ipynb')
    from overfit_nb.cli import run_notebook
    run_notebook(nbs/'01_sleepy.ipynb', dict(tag='a'), out/'run000', progress=False)   # a sweep that finished 'a' before it was stopped
    first = (out/'run000'/'params.json').stat().st_mtime_ns
    rc, err, _ = main_('--nbs', nbs, 'sweep', 'sleepy', '-p', 'tag', 'a,b,c', '--workers', '1', '--out', out, out=tmp_path)
    assert rc == 1, err
    import pandas as pd
    t = pd.read_csv(out/'sweep.csv')
    assert list(t.tag) == ['a', 'b', 'c'] and list(t.status) == ['ok', 'ok', 'failed'] and 'c fails on purpose' in t.error[2]
    assert (out/'run000'/'params.json').stat().st_mtime_ns == first          # the finished combination was kept, not rerun
    rc, err, _ = main_('--nbs', nbs, 'sweep', 'sleepy', '-p', 'tag', 'x,b', '--workers', '1', '--out', out, out=tmp_path)
    assert rc == 1 and 'holds a finished run of another combination' in err
