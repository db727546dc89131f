"""README.md is nbs/index.ipynb's markdown cells (Quarto, which nbdev_readme needs, cannot be installed here).
`python tools/readme.py --write` regenerates it; tests/test_readme.py checks the two are in step."""
import json, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

def render_readme() -> str:
    "The README text: the markdown cells of nbs/index.ipynb, the title's subtitle as a quote"
    nb = json.loads((ROOT/'nbs'/'index.ipynb').read_text())
    cells = [''.join(c['source']).strip() for c in nb['cells'] if c['cell_type'] == 'markdown']
    note = '<!-- generated from nbs/index.ipynb by `make readme`; edit the notebook, not this file -->'
    return note + '\n\n' + '\n\n'.join(cells) + '\n'

if __name__ == '__main__':
    if '--write' in sys.argv: (ROOT/'README.md').write_text(render_readme())
    else: print(render_readme())
