import sys; from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parents[1]/"tools"))
from readme import ROOT, render_readme

def test_readme_is_generated_from_index():
    assert (ROOT/'README.md').read_text() == render_readme(), "README.md is out of step with nbs/index.ipynb: run `make readme`"

def test_readme_has_the_two_commands():
    text = render_readme()
    assert 'make demo' in text and 'make test' in text
