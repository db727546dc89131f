"The model notebook through papermill: `-p pt 0.77` reaches the printed operating point and every saved figure."
import json
from pathlib import Path
from test_papermill import ROOT, run_papermill

def test_pt_reaches_the_operating_point_and_the_figures(tmp_path):
    out = tmp_path/'out.ipynb'
    text = run_papermill(ROOT/'nbs'/'03_consensus.ipynb', out, ('pt', 0.77),
                         env={'IN_TEST': '1', 'OVERFIT_NB_OUT': str(tmp_path/'results'), 'OMP_NUM_THREADS': '1'})
    assert 'operating point: pt = 0.77\n' in text
    assert 'profile=test ' in text                                  # IN_TEST forced the small workload
    assert 'operating point pt = 0.77: coverage' in text            # the result line is computed at 0.77 ...
    assert 'operating point: pt = 0.9\n' not in text                # ... not at the default
    nb = json.loads(out.read_text())
    assert not [o for c in nb['cells'] for o in c.get('outputs', []) if o.get('output_type') == 'error']
    figs = sorted((tmp_path/'results'/'figures').glob('*.json'))
    assert {f.stem for f in figs} >= {'fig4_sample_dynamics', 'fig5_loss_densities', 'fig6_ccs_accuracy',
                                      'fig7_models_vs_combined', 'fig8_dropout', 'risk_coverage_consensus_vs_baselines'}
    for f in figs: assert json.loads(f.read_text())['params']['pt'] == 0.77, f.name
