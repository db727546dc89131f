"""The docs site, checked without Quarto: nbdev processes every notebook, and each rendered page has its title,
its figures as images, and no error output."""
import json, re, sys
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parents[1]/'tools'))
from docs import ROOT, KNOWN_FAILURES, render_html

def test_every_page_renders_with_title_figures_and_no_errors(tmp_path):
    pages = {p.stem: p.read_text() for p in render_html(tmp_path)}
    nbs = [nb for nb in sorted((ROOT/'nbs').glob('*.ipynb')) if nb.stem not in KNOWN_FAILURES]
    assert set(pages) == {nb.stem for nb in nbs}
    for nb in nbs:
        cells = json.loads(nb.read_text())['cells']
        html = pages[nb.stem]
        title = next(''.join(c['source']) for c in cells if c['cell_type'] == 'markdown' and ''.join(c['source']).startswith('# '))
        title = title.splitlines()[0][2:].strip()
        assert re.search(r'<h1[^>]*>\s*' + re.escape(title), html), f"{nb.name}: title {title!r} missing from its page"
        n_figs = sum('image/png' in o.get('data', {}) for c in cells for o in c.get('outputs', []))
        assert html.count('<img') >= n_figs, f"{nb.name}: {n_figs} figures in the notebook, fewer images on the page"
        assert not any(o.get('output_type') == 'error' for c in cells for o in c.get('outputs', [])), f"{nb.name} has error outputs"
        assert 'Traceback (most recent call last)' not in html, f"{nb.name}: a traceback on its page"
