"The overfit-nb command, run as a user would, on the fixture notebooks in tests/fixtures."
import json, os, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIX = ROOT/'tests'/'fixtures'
CLI = Path(sys.executable).parent/'overfit-nb'

def cli(*args, out):
    env = {k: v for k, v in os.environ.items() if k != 'IN_TEST'}
    env['OVERFIT_NB_OUT'] = str(out)
    return subprocess.run([str(CLI), '--nbs', str(FIX), *args], capture_output=True, text=True, env=env, timeout=600, cwd=ROOT)

def test_run_passes_the_parameter(tmp_path):
    r = cli('run', 'params_demo', '-p', 'pt', '0.33', '--run-dir', str(tmp_path/'run'), out=tmp_path)
    assert r.returncode == 0, r.stderr
    nb = json.loads((tmp_path/'run'/'01_params_demo.ipynb').read_text())
    text = ''.join(''.join(o.get('text', '')) for c in nb['cells'] for o in c.get('outputs', []))
    assert 'pt=0.33' in text
    assert json.loads((tmp_path/'run'/'results.json').read_text())['pt'] == 0.33

def test_failing_notebook_exits_nonzero_and_names_the_cell(tmp_path):
    r = cli('run', '02_fails', out=tmp_path)
    assert r.returncode == 1
    assert '02_fails failed in cell 2' in r.stderr and 'fails on purpose' in r.stderr

def test_unknown_notebook_and_parameter_list_the_known_ones(tmp_path):
    r = cli('run', 'nope', out=tmp_path)
    assert r.returncode == 1 and "unknown notebook 'nope'; known: ['01_params_demo', '02_fails']" in r.stderr
    r = cli('run', 'params_demo', '-p', 'ptt', '1', out=tmp_path)
    assert r.returncode == 1 and "unknown parameter 'ptt' for 01_params_demo; known: ['profile', 'pt', 'n_epochs']" in r.stderr

def test_list_shows_parameters(tmp_path):
    r = cli('list', out=tmp_path)
    assert r.returncode == 0 and '-p pt 0.9  # a threshold, as in seed 000' in r.stdout

def test_sweep_on_a_local_cluster_gives_one_row_per_combination(tmp_path):
    r = cli('sweep', 'params_demo', '-p', 'pt', '0.1,0.2', '-p', 'n_epochs', '1,2', '--workers', '2', '--out', str(tmp_path/'sw'), out=tmp_path)
    assert r.returncode == 0, r.stderr
    import pandas as pd
    table = pd.read_csv(tmp_path/'sw'/'sweep.csv')
    assert len(table) == 4
    assert sorted(zip(table.pt, table.n_epochs)) == [(0.1, 1), (0.1, 2), (0.2, 1), (0.2, 2)]
    assert (table.status == 'ok').all() and (tmp_path/'sw'/'sweep.png').stat().st_size > 1000
    # each row holds its own run's result: the share of 1,000 uniform scores above pt is about 1 - pt
    assert ((table.coverage - (1 - table.pt)).abs() < 0.05).all(), table[['pt', 'n_epochs', 'coverage']]
    assert table.run_dir.nunique() == 4


def test_papermill_sees_every_parameter():
    "Every name assigned in a notebook's parameters cell is a parameter papermill can set (a '=' in a comment hides it)"
    import ast, json
    from overfit_nb.cli import experiment_notebooks, notebook_parameters
    for nb in experiment_notebooks():
        cells = [c for c in json.load(open(nb))['cells'] if 'parameters' in c.get('metadata', {}).get('tags', [])]
        assert len(cells) == 1, f"{nb.name} has {len(cells)} parameters cells, expected 1"
        names = [t.id for n in ast.parse(''.join(cells[0]['source'])).body if isinstance(n, ast.Assign) for t in n.targets]
        hidden = [n for n in names if n not in notebook_parameters(nb)]
        assert not hidden, f"{nb.name}: papermill cannot see parameters {hidden} (no '=' in their comments)"
        assert 'profile' in names, f"{nb.name} has no 'profile' parameter"

def test_no_committed_notebook_carries_injected_parameters():
    "A notebook executed with `papermill -p` and copied back keeps papermill's injected cell: it would override the defaults"
    import json
    for nb in sorted((ROOT/'nbs').glob('*.ipynb')):
        tagged = [c.get('id') for c in json.load(open(nb))['cells'] if 'injected-parameters' in c.get('metadata', {}).get('tags', [])]
        assert not tagged, f"{nb.name} carries papermill's injected-parameters cell(s) {tagged}: delete them"
