"""The docs site, checked without Quarto: nbdev processes every notebook, each rendered page has its title, its figures
as images and no error output, and the pages form a site a reader can move through: every page reachable from the
index by links, a sidebar on every page listing every page in `nbs/sidebar.yml`'s order with the page itself
highlighted, previous / next links in that order, and every link between pages (and its #anchor) landing."""
import json, re, sys, warnings
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit
import nbformat, pytest, yaml
sys.path.insert(0, str(Path(__file__).resolve().parents[1]/'tools'))
from docs import (ROOT, KNOWN_FAILURES, SIDEBAR_YML, render_html, sidebar_yml, sidebar_order, page_href, link_pages,
                  rewrite_hrefs, pandoc_ids, frame, drop_dead_fragments)

NBS = sorted(nb for nb in (ROOT/'nbs').glob('*.ipynb') if nb.stem not in KNOWN_FAILURES)

@pytest.fixture(scope='module')
def site(tmp_path_factory):
    "Render the whole site once (about a minute on 2 cores) for every test of this file"
    for k, why in KNOWN_FAILURES.items(): warnings.warn(f"docs: {k} left out of the rendered pages: {why}")
    out = tmp_path_factory.mktemp('site')
    return out, {p.stem: p.read_text() for p in render_html(out)}

class Page(HTMLParser):
    "The links of a page (with whether each sits in the sidebar or the previous/next bar) and its element ids"
    def __init__(self, text):
        super().__init__(); self.links, self.ids, self._in = [], set(), []
        self.feed(text)
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get('id'): self.ids.add(a['id'])
        if tag == 'nav': self._in.append(a.get('class', ''))
        if tag == 'a' and a.get('href') is not None:
            self.links.append(dict(href=a['href'], cls=a.get('class') or '', rel=a.get('rel') or '',
                                   current=a.get('aria-current'), where=self._in[-1] if self._in else ''))
    def handle_endtag(self, tag):
        if tag == 'nav' and self._in: self._in.pop()

def _local(href):
    "The (page file, fragment) a relative link points at, or None for external links and same-page anchors"
    u = urlsplit(href)
    if u.scheme or u.netloc or not u.path: return None
    return u.path, u.fragment

# ---- fast: the link rules on synthetic input -----------------------------------------------------------------------
STEMS = ['index', '00_core', '02_engine', '03_consensus', '05_extreme_overfitting']
DOC = 'https://overfit-nb.github.io/overfit_nb/'

@pytest.mark.parametrize('target,want', [
    ('03_consensus.ipynb', '03_consensus.html'), ('../nbs/03_consensus.ipynb#sec-v', '03_consensus.html#sec-v'),
    ('03_consensus.html', '03_consensus.html'), ('consensus.html#consensus_predict', '03_consensus.html#consensus_predict'),
    (DOC + 'extreme_overfitting.html#x', '05_extreme_overfitting.html#x'), (DOC + 'engine.html', '02_engine.html'),
    ('index.ipynb', 'index.html'), ('https://github.com/x/03_consensus.ipynb', None), ('#local', None),
    ('figures/fig4.png', None), ('99_unknown.ipynb', None), ('mailto:a@b.c', None)])
def test_page_href(target, want):
    assert page_href(target, STEMS, DOC) == want

def test_scorecard_and_map_links_become_page_links():
    "The index's notebook map (backticked names) and a scorecard (markdown or a DataFrame's HTML) link to pages"
    md_table = "| notebook | id | verdict |\n|---|---|---|\n| [03_consensus](03_consensus.ipynb) | 000.headline | partly |\n"
    html_table = '<table><tr><td>[05_extreme_overfitting](05_extreme_overfitting.ipynb)</td><td>001.x</td></tr></table>'
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("| notebook | module |\n|---|---|\n| `03_consensus` | `consensus` |\n"
                                      "See `02_engine.ipynb` and [`00_core`](00_core.ipynb); `consensus` alone is no page."),
        nbformat.v4.new_code_cell("scorecard()", outputs=[
            nbformat.v4.new_output('display_data', data={'text/markdown': md_table}),
            nbformat.v4.new_output('execute_result', data={'text/html': html_table, 'text/plain': 'df'}, execution_count=1)]),
        nbformat.v4.new_code_cell("show_doc(f)", outputs=[nbformat.v4.new_output('display_data', data={'text/markdown':
            "### f\n\n```python\ndef f(\n    m, # a [`mlp`](https://overfit-nb.github.io/overfit_nb/models.html#mlp)\n)\n```\n\nSee [`mlp`](x.html)"})])])
    link_pages(nb, STEMS)
    assert '[`03_consensus`](03_consensus.ipynb)' in nb.cells[0].source
    assert '[`02_engine.ipynb`](02_engine.ipynb)' in nb.cells[0].source
    assert nb.cells[0].source.count('00_core') == 2 and '[[' not in nb.cells[0].source  # an existing link is left alone
    assert '[`consensus`]' not in nb.cells[0].source
    assert nb.cells[2].outputs[0].data['text/markdown'].endswith("# a `mlp`\n)\n```\n\nSee [`mlp`](x.html)")  # no link in code
    from nbconvert import HTMLExporter
    body, _ = HTMLExporter().from_notebook_node(nb)
    body = rewrite_hrefs(body, STEMS, DOC)
    for page in ('03_consensus', '02_engine', '00_core', '05_extreme_overfitting'):
        assert f'href="{page}.html"' in body, page
    assert '.ipynb"' not in body and '[05_extreme_overfitting]' not in body

def test_frame_and_anchors():
    pages = [('index', 'overfit_nb'), ('00_core', 'core'), ('03_consensus', 'consensus')]
    body = '<html><head></head><body class="jp-Notebook"><main><h3 id="Dynamics.probs">Dynamics.probs</h3></main></body></html>'
    p = Page(frame(pandoc_ids(body), '00_core', pages))
    side = [l for l in p.links if 'ofnb-sidebar' in l['where'] and l['cls'] != 'ofnb-site-title']
    assert [l['href'] for l in side] == ['index.html', '00_core.html', '03_consensus.html']
    assert [l['href'] for l in side if l['current'] == 'page'] == ['00_core.html']
    assert {l['rel']: l['href'] for l in p.links if 'ofnb-pagenav' in l['where']} == {'prev': 'index.html', 'next': '03_consensus.html'}
    assert {'Dynamics.probs', 'dynamics.probs'} <= p.ids
    first = Page(frame(body, 'index', pages))
    assert [l['rel'] for l in first.links if 'ofnb-pagenav' in l['where']] == ['next']
    with pytest.raises(ValueError, match='03_consensus'): frame('<p>no page</p>', '03_consensus', pages)
    links = '<a href="00_core.html#seed_everything">a</a><a href="00_core.html#_private">b</a><a href="https://x.org/y.html#z">c</a>'
    assert drop_dead_fragments(links, {'00_core': {'seed_everything'}}) == \
        '<a href="00_core.html#seed_everything">a</a><a href="00_core.html">b</a><a href="https://x.org/y.html#z">c</a>'

def test_sidebar_yml_is_nbdevs_and_quarto_reads_it():
    "nbs/sidebar.yml is what nbdev_docs writes (so the Quarto site and the fallback have one order) and lists every page"
    assert SIDEBAR_YML.exists(), "run `python tools/docs.py sidebar` and commit nbs/sidebar.yml"
    assert SIDEBAR_YML.read_text() == sidebar_yml(), "nbs/sidebar.yml is stale: run `python tools/docs.py sidebar`"
    assert set(sidebar_order()) >= {nb.stem for nb in NBS} and sidebar_order()[0] == 'index'
    assert SIDEBAR_YML.resolve() == (ROOT/'sidebar.yml').resolve(), "nbs/sidebar.yml should link to the top-level sidebar.yml"
    quarto = yaml.safe_load((ROOT/'nbs'/'_quarto.yml').read_text())
    assert 'sidebar.yml' in quarto['metadata-files']

# ---- slow: the rendered site (one render for all) -----------------------------------------------------------------
def test_every_page_renders_with_title_figures_and_no_errors(site):
    _, pages = site
    assert set(pages) == {nb.stem for nb in NBS}
    for nb in NBS:
        cells = json.loads(nb.read_text())['cells']
        html = pages[nb.stem]
        title = next(''.join(c['source']) for c in cells if c['cell_type'] == 'markdown' and ''.join(c['source']).startswith('# '))
        title = title.splitlines()[0][2:].strip()
        assert re.search(r'<h1[^>]*>\s*' + re.escape(title), html), f"{nb.name}: title {title!r} missing from its page"
        n_figs = sum('image/png' in o.get('data', {}) for c in cells for o in c.get('outputs', []))
        assert html.count('<img') >= n_figs, f"{nb.name}: {n_figs} figures in the notebook, fewer images on the page"
        assert not any(o.get('output_type') == 'error' for c in cells for o in c.get('outputs', [])), f"{nb.name} has error outputs"
        assert 'Traceback (most recent call last)' not in html, f"{nb.name}: a traceback on its page"

def test_every_page_has_the_sidebar_and_prev_next(site):
    _, pages = site
    order = [s for s in sidebar_order() if s in pages]
    assert sorted(order) == sorted(pages), "a rendered page is missing from nbs/sidebar.yml"
    for i, stem in enumerate(order):
        p = Page(pages[stem])
        side = [l for l in p.links if 'ofnb-sidebar' in l['where'] and l['cls'] != 'ofnb-site-title']
        assert [l['href'] for l in side] == [f'{s}.html' for s in order], f"{stem}: sidebar is not every page in order"
        assert [l['href'] for l in side if l['current'] == 'page' and 'active' in l['cls']] == [f'{stem}.html'], stem
        nav = {l['rel']: l['href'] for l in p.links if 'ofnb-pagenav' in l['where']}
        want = {**({'prev': f'{order[i-1]}.html'} if i else {}), **({'next': f'{order[i+1]}.html'} if i + 1 < len(order) else {})}
        assert nav == want, f"{stem}: previous/next {nav} != {want}"

def test_every_page_reachable_from_index_and_every_link_lands(site):
    out, pages = site
    parsed = {s: Page(h) for s, h in pages.items()}
    seen, todo, broken = {'index'}, ['index'], []
    while todo:
        stem = todo.pop()
        for l in parsed[stem].links:
            loc = _local(l['href'])
            if loc is None: continue
            path, frag = loc
            target = Path(path).stem
            if not path.endswith('.html') or target not in parsed:
                broken.append(f"{stem}: {l['href']}"); continue
            if frag and frag not in parsed[target].ids: broken.append(f"{stem}: {l['href']} (no such anchor)")
            if target not in seen: seen.add(target); todo.append(target)
    assert not broken, f"links to nowhere: {broken}"
    assert seen == set(pages), f"not reachable from index.html: {set(pages) - seen}"

def test_index_links_every_notebook_it_names(site):
    "The index's notebook map (and its scorecard) link every notebook they name to its page; no .ipynb link is left"
    _, pages = site
    index_md = '\n'.join(''.join(c['source']) for c in json.loads((ROOT/'nbs'/'index.ipynb').read_text())['cells'])
    named = {s for s in pages if re.search(r'`' + re.escape(s) + r'`|\(' + re.escape(s) + r'\.ipynb', index_md)}
    assert len(named) >= 9, f"the index names only {sorted(named)}"
    body = Page(pages['index'])
    content = {l['href'] for l in body.links if not l['where']}
    assert {f'{s}.html' for s in named} <= content, f"named but not linked: {named - {h[:-5] for h in content}}"
    for stem, h in pages.items(): assert not re.search(r'href="[^"]*\.ipynb', h), f"{stem}: an .ipynb link left"
