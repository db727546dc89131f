"The papermill path: a parameter passed with -p reaches the notebook, and IN_TEST forces the test profile."
import json, os, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
PAPERMILL = Path(sys.executable).parent/'papermill'

def run_papermill(nb, out, *params, env=None):
    args = [str(PAPERMILL), str(nb), str(out), '-k', 'python3', '--cwd', str(ROOT/'nbs')]
    for k, v in params: args += ['-p', k, str(v)]
    e = {k: v for k, v in os.environ.items() if k != 'IN_TEST'}
    e['OVERFIT_NB_OUT'] = str(Path(out).parent)
    e.update(env or {})
    subprocess.run(args, check=True, env=e, capture_output=True, text=True, timeout=600)
    nb = json.loads(Path(out).read_text())
    return ''.join(''.join(o.get('text', '')) for c in nb['cells'] for o in c.get('outputs', []))

def test_parameter_reaches_the_notebook(tmp_path):
    text = run_papermill(ROOT/'tests'/'fixtures'/'01_params_demo.ipynb', tmp_path/'out.ipynb', ('pt', 0.77), ('n_epochs', 3))
    assert 'profile=quick pt=0.77 n_epochs=3' in text

def test_in_test_forces_the_test_profile(tmp_path):
    text = run_papermill(ROOT/'tests'/'fixtures'/'01_params_demo.ipynb', tmp_path/'out.ipynb', ('profile', 'paper'), env={'IN_TEST': '1'})
    assert 'profile=test pt=0.9 n_epochs=1' in text
