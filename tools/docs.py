"""The docs site without Quarto: nbdev's own processing of every notebook (`nbdev.serve.proc_nbs`, which Quarto
would then render), rendered to HTML pages with nbconvert and joined into a site a reader can move through: a
sidebar on every page listing every page in the order of `nbs/sidebar.yml` (the order Quarto's sidebar uses), the
current page highlighted, previous / next links at the foot of each page, and links between notebooks that work
(`.ipynb` links, nbdev's links to the published pages, and the index's notebook map rows).

    python tools/docs.py html [OUT]         # process + render every notebook to OUT (default _docs_html/)
    python tools/docs.py screenshots [OUT]  # the same, then one PNG per page with headless Chromium
    python tools/docs.py sidebar            # only (re)write nbs/sidebar.yml, as `nbdev_docs` does
"""
import html as _html, io, json, re, shutil, subprocess, sys
from contextlib import redirect_stdout
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NBS = ROOT/'nbs'
# Where nbdev_docs writes the sidebar and where nbs/_quarto.yml's `metadata-files` finds it: a link to the top-level
# sidebar.yml, as nbs/_quarto.yml is a link to the top-level _quarto.yml
SIDEBAR_YML = NBS/'sidebar.yml'

# Pages nbdev's processor cannot build yet, each with the reason; the docs test warns about every one (never silent).
KNOWN_FAILURES = {}  # notebook stem -> why its page is left out (warned at every run); none at present

def sidebar_yml() -> str:
    "The `sidebar.yml` that nbdev's own `nbdev_sidebar` writes for `nbs/` (every notebook, index first, then by name)"
    import os
    from nbdev.quarto import nbdev_sidebar
    buf, cwd = io.StringIO(), os.getcwd(); os.chdir(ROOT)
    try:
        with redirect_stdout(buf): nbdev_sidebar.__wrapped__(path=str(NBS), printit=True, force=True)
    finally: os.chdir(cwd)
    return buf.getvalue().rstrip('\n') + '\n'

def write_sidebar() -> Path:
    "Write `nbs/sidebar.yml` as `nbdev_docs` does when settings.ini has `custom_sidebar = False`"
    from nbdev.config import get_config
    import os
    cwd = os.getcwd(); os.chdir(ROOT)
    try: custom = get_config().custom_sidebar
    finally: os.chdir(cwd)
    if not custom:
        text = sidebar_yml()
        if not SIDEBAR_YML.exists() or SIDEBAR_YML.read_text() != text: SIDEBAR_YML.write_text(text)
    return SIDEBAR_YML

def sidebar_order(path: Path = SIDEBAR_YML) -> list[str]:
    "Notebook stems in the order `sidebar.yml` lists them (sections flattened in place)"
    import yaml
    def flat(items):
        for it in items:
            if isinstance(it, str): yield it
            elif isinstance(it, dict):
                if 'href' in it: yield it['href']
                yield from flat(it.get('contents', []))
    contents = (yaml.safe_load(path.read_text()) or {}).get('website', {}).get('sidebar', {}).get('contents', [])
    return [Path(f).stem for f in flat(contents) if str(f).endswith(('.ipynb', '.qmd', '.md'))]

def process() -> Path:
    "Run nbdev's notebook processing (what `nbdev_docs` feeds Quarto) into `_proc/` and return that folder"
    import os, warnings
    from nbdev.serve import proc_nbs
    for k, why in KNOWN_FAILURES.items(): warnings.warn(f"docs: {k} left out of the rendered pages: {why}")
    cwd = os.getcwd(); os.chdir(ROOT)
    skip = '^([_.]' + ''.join(f'|{k}' for k in KNOWN_FAILURES) + ')'
    try: return Path(proc_nbs(force=True, skip_file_re=skip))
    finally: os.chdir(cwd)

def _frontmatter(node) -> dict:
    "The YAML front matter nbdev's processor put in the first (raw) cell, or {}"
    import yaml
    cell = node.cells[0] if node.cells else None
    if cell is None or cell.cell_type != 'raw' or not cell.source.startswith('---'): return {}
    return yaml.safe_load(cell.source.strip().strip('-')) or {}

def _frontmatter_to_title(node):
    "Show the page's title and description as Quarto would: an H1 and a lead paragraph in place of the YAML"
    import nbformat
    fm = _frontmatter(node)
    if not fm: return
    text = f"# {fm.get('title', '')}" + (f"\n\n> {fm['description']}" if fm.get('description') else '')
    node.cells[0] = nbformat.v4.new_markdown_cell(text)

def _as_quarto_would(node):
    """Apply what Quarto does with nbdev's cell directives: `#| echo: false` hides the input, directive lines are not
    shown, and Pandoc link attributes (`{target=...}`) in show_doc's markdown are dropped"""
    attrs = re.compile(r'\{target="_blank"[^}]*\}')
    for c in node.cells:
        if c.cell_type != 'code': continue
        lines = c.source.splitlines()
        directives = [l.strip() for l in lines if l.lstrip().startswith('#|')]
        c.source = '\n'.join(l for l in lines if not l.lstrip().startswith('#|')).strip('\n')
        if any(d.replace(' ', '') == '#|echo:false' for d in directives) or not c.source:
            c.metadata.setdefault('tags', []).append('remove_input')
        for o in c.get('outputs', []):
            md = o.get('data', {}).get('text/markdown')
            if md: o['data']['text/markdown'] = attrs.sub('', md if isinstance(md, str) else ''.join(md))

# ---- links between pages -------------------------------------------------------------------------------------------
def _quarto_name(stem: str) -> str:
    "The file name Quarto gives a notebook's page (nbdev's `output-file`: the number prefix dropped), without .html"
    from nbdev.doclinks import _nbpath2html
    return _nbpath2html(Path(stem + '.ipynb')).stem

def _doc_url() -> str:
    "Where nbdev's links to the published pages point (doc_host + doc_baseurl of settings.ini), with a trailing /"
    import configparser
    cp = configparser.ConfigParser(); cp.read(ROOT/'settings.ini')
    d = cp['DEFAULT']
    return (d.get('doc_host', '') + d.get('doc_baseurl', '')).rstrip('/') + '/'

def page_href(target: str, stems: list[str], doc_url: str = '') -> str | None:
    """The local page a link means, as `<stem>.html[#anchor]`, or None when it is not a link to one of our pages.
    Understood: `03_consensus.ipynb`, `../nbs/03_consensus.ipynb#x`, `03_consensus.html`, Quarto's `consensus.html`
    and nbdev's published-page links `<doc_host><doc_baseurl>/consensus.html#x`."""
    t = _html.unescape(target)
    if doc_url and t.startswith(doc_url): t = t[len(doc_url):]
    elif re.match(r'^[a-z][a-z0-9+.-]*:', t) or t.startswith(('#', '/')): return None
    path, _, frag = t.partition('#')
    m = re.fullmatch(r'(?:[^?]*/)?([^/?]+)\.(ipynb|html)', path)
    if not m: return None
    name = m.group(1)
    by_quarto = {_quarto_name(s): s for s in stems}
    stem = name if name in stems else by_quarto.get(name.lower())
    if stem is None: return None
    return f"{stem}.html" + (f"#{frag}" if frag else '')

def _link_page_names(md: str, stems: list[str]) -> str:
    "Markdown: a page's name in backticks (`` `03_consensus` ``, the index's notebook map) becomes a link to its page"
    names = '|'.join(re.escape(s) for s in sorted(stems, key=len, reverse=True))
    return re.sub(r'(?<![\[\w`])`(' + names + r')(?:\.ipynb)?`(?![\]\w`])', lambda m: f"[{m.group(0)}]({m.group(1)}.ipynb)", md)

def _md_links_in_html(h: str) -> str:
    "HTML output (a DataFrame): markdown links `[text](target)` left as text in table cells become <a> links"
    return re.sub(r'\[([^\[\]<>\n]+)\]\(([^()\s"<>]+)\)', lambda m: f'<a href="{m.group(2)}">{m.group(1)}</a>', h)

def _unlink_in_code(md: str) -> str:
    """nbdev's processor puts links inside show_doc's fenced signature (`[`mlp`](...)` in a parameter's comment), where
    no renderer makes them links: show the name as the docment wrote it"""
    fence = lambda m: re.sub(r'\[(`[^`\n]+`)\]\([^()\s]+\)', r'\1', m.group(0))
    return re.sub(r'```.*?```', fence, md, flags=re.S)

def link_pages(node, stems: list[str]):
    "Make the notebook's mentions of other pages links (markdown cells, markdown and HTML outputs); in place"
    for c in node.cells:
        if c.cell_type == 'markdown': c.source = _link_page_names(c.source, stems)
        for o in c.get('outputs', []):
            d = o.get('data', {})
            for k, f in (('text/markdown', lambda s: _unlink_in_code(_link_page_names(s, stems))), ('text/html', _md_links_in_html)):
                if k in d: d[k] = f(d[k] if isinstance(d[k], str) else ''.join(d[k]))

def rewrite_hrefs(h: str, stems: list[str], doc_url: str) -> str:
    "Every `href` that means one of our pages points at its rendered `.html` here"
    def sub(m):
        new = page_href(m.group(2), stems, doc_url)
        return m.group(0) if new is None else f'{m.group(1)}"{_html.escape(new)}"'
    return re.sub(r'(\bhref=)"([^"]*)"', sub, h)

def pandoc_ids(h: str) -> str:
    """Give every heading the lower-case id Pandoc (so Quarto, so nbdev's links `page.html#dynamics.probs`) gives it,
    beside nbconvert's own id that keeps the case (`#Dynamics.probs`)"""
    ids = set(re.findall(r'\bid="([^"]*)"', h))
    def sub(m):
        low = m.group(2).lower()
        if low == m.group(2) or low in ids: return m.group(0)
        ids.add(low)
        return f'<span id="{low}"></span>{m.group(1)}'
    return re.sub(r'(<h[1-6][^>]*\bid="([^"]*)"[^>]*>)', sub, h)

def drop_dead_fragments(h: str, ids: dict[str, set[str]]) -> str:
    """A link to `page.html#x` where that page has no element `x` (nbdev links private helpers, which get no doc
    heading) goes to the page itself rather than to nowhere"""
    def sub(m):
        stem, frag = m.group(2), m.group(3)
        return m.group(0) if stem not in ids or frag in ids[stem] else f'{m.group(1)}"{stem}.html"'
    return re.sub(r'(\bhref=)"([^"/:#]+)\.html#([^"]*)"', sub, h)

# ---- the site's frame: sidebar, previous / next ----------------------------------------------------------------------
SITE_CSS = """
<style id="ofnb-site">
:root { --ofnb-side: 250px; }
.ofnb-sidebar { position: fixed; top: 0; left: 0; bottom: 0; width: var(--ofnb-side); box-sizing: border-box;
  overflow-y: auto; padding: 1rem 0.75rem; background: #f6f7f9; border-right: 1px solid #dde1e6;
  font: 14px/1.35 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; z-index: 10; }
.ofnb-sidebar .ofnb-site-title { display: block; font-weight: 700; font-size: 1.1rem; color: #1f2328;
  text-decoration: none; margin: 0 0.5rem 0.75rem; }
.ofnb-sidebar ol { list-style: none; margin: 0; padding: 0; }
.ofnb-sidebar li a { display: block; padding: 0.3rem 0.5rem; border-radius: 4px; color: #2a4d7a; text-decoration: none; }
.ofnb-sidebar li a:hover { background: #e8ecf1; }
.ofnb-sidebar li a.active { background: #2a6fdb; color: #fff; font-weight: 600; }
body.jp-Notebook { margin: 0; padding: 0 0 0 var(--ofnb-side); overflow-x: hidden; }
body.jp-Notebook > main { max-width: 1100px; margin: 0 auto; padding: 1rem 1.5rem 2rem; box-sizing: border-box; }
.jp-RenderedImage img, .jp-RenderedMarkdown img { max-width: 100%; height: auto; }
.jp-RenderedHTMLCommon { overflow-x: auto; }
.jp-RenderedHTMLCommon table { font-size: 13px; }
.jp-RenderedHTMLCommon a, .jp-RenderedHTMLCommon a code { color: #1a5fb4; }
.jp-RenderedHTMLCommon a code { text-decoration: none; background: #eef3fb; }
.jp-Cell, .jp-Cell-inputWrapper, .jp-Cell-outputWrapper, .jp-InputArea, .jp-InputArea-editor, .jp-OutputArea,
.jp-OutputArea-child, .jp-OutputArea-output { min-width: 0; max-width: 100%; box-sizing: border-box; }
.jp-InputArea-editor, .jp-OutputArea-output { overflow-x: auto; }
.jp-RenderedMarkdown pre { background: #f6f8fa; padding: 0.6rem 0.8rem; border-radius: 4px; overflow-x: auto; }
.ofnb-pagenav { display: flex; justify-content: space-between; gap: 1rem; margin: 2.5rem 2rem 1rem 0.6rem;
  padding-top: 1rem; border-top: 1px solid #dde1e6; font: 15px system-ui, sans-serif; }
.ofnb-pagenav a { display: block; max-width: 48%; padding: 0.6rem 0.9rem; border: 1px solid #dde1e6;
  border-radius: 6px; color: #2a4d7a; text-decoration: none; }
.ofnb-pagenav a:hover { background: #f0f3f7; }
.ofnb-pagenav .ofnb-next { margin-left: auto; text-align: right; }
.ofnb-pagenav small { display: block; color: #6a737d; }
@media (max-width: 800px) {
  .ofnb-sidebar { position: static; width: auto; border-right: none; border-bottom: 1px solid #dde1e6; }
  body.jp-Notebook { padding-left: 0; }
}
</style>
"""

def frame(body: str, stem: str, pages: list[tuple[str, str]]) -> str:
    "Put the sidebar (every page, `stem` highlighted) and previous / next links around an nbconvert page"
    esc = _html.escape
    items = ''.join(f'<li><a href="{s}.html"' + (' class="active" aria-current="page"' if s == stem else '')
                    + f'>{esc(t)}</a></li>' for s, t in pages)
    site_title = dict(pages).get('index', 'Home')
    side = (f'<nav class="ofnb-sidebar" aria-label="Pages"><a class="ofnb-site-title" href="index.html">{esc(site_title)}</a>'
            f'<ol>{items}</ol></nav>\n')
    i = [s for s, _ in pages].index(stem)
    prev = (f'<a class="ofnb-prev" rel="prev" href="{pages[i-1][0]}.html"><small>&larr; Previous</small>{esc(pages[i-1][1])}</a>'
            if i > 0 else '')
    nxt = (f'<a class="ofnb-next" rel="next" href="{pages[i+1][0]}.html"><small>Next &rarr;</small>{esc(pages[i+1][1])}</a>'
           if i + 1 < len(pages) else '')
    foot = f'<nav class="ofnb-pagenav" aria-label="Previous and next page">{prev}{nxt}</nav>\n'
    if '</head>' not in body or not re.search(r'<body[^>]*>', body) or '</main>' not in body:
        raise ValueError(f"{stem}: nbconvert's page has no <head>/<body>/<main> to frame")
    body = body.replace('</head>', SITE_CSS + '</head>', 1)
    body = re.sub(r'(<body[^>]*>)', lambda m: m.group(1) + '\n' + side, body, count=1)
    k = body.rindex('</main>')
    return body[:k] + foot + body[k:]

def render_html(out: Path) -> list[Path]:
    "Render every processed notebook to `out/<stem>.html`, framed as a site in `nbs/sidebar.yml`'s order; return the pages"
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor
    import nbformat
    write_sidebar()
    proc = process()
    out.mkdir(parents=True, exist_ok=True)
    nodes = {}
    for nb in proc.glob('*.ipynb'):
        d = json.loads(nb.read_text())
        for c in d['cells']: c.pop('has_sd', None)  # nbdev's marker for show_doc cells, not part of the format
        nodes[nb.stem] = nbformat.reads(json.dumps(d), as_version=4)
    order = [s for s in sidebar_order() if s in nodes]
    order += sorted(set(nodes) - set(order))  # a page sidebar.yml does not list still gets rendered (the test fails on it)
    pages = [(s, str(_frontmatter(nodes[s]).get('title') or s)) for s in order]
    doc_url = _doc_url()
    exporter = HTMLExporter(exclude_input_prompt=True, exclude_output_prompt=True)  # Quarto shows no In [ ]: prompts
    exporter.register_preprocessor(TagRemovePreprocessor(remove_input_tags={'remove_input'}), enabled=True)
    bodies = {}
    for stem, _ in pages:
        node = nodes[stem]
        _frontmatter_to_title(node); _as_quarto_would(node); link_pages(node, order)
        body, _ = exporter.from_notebook_node(node)
        bodies[stem] = pandoc_ids(rewrite_hrefs(body, order, doc_url))
    ids = {stem: set(re.findall(r'\bid="([^"]*)"', b)) for stem, b in bodies.items()}
    written = []
    for stem, _ in pages:
        page = out/f"{stem}.html"
        page.write_text(frame(drop_dead_fragments(bodies[stem], ids), stem, pages)); written.append(page)
    return written

def screenshots(pages: list[Path], out: Path, width: int = 1280, height: int = 4000) -> list[Path]:
    "A headless-Chromium PNG of every page (`width` x `height` px from the top) into `out`"
    chromium = shutil.which('chromium') or shutil.which('chromium-browser') or shutil.which('google-chrome')
    if chromium is None: raise RuntimeError("no Chromium found: install it (Debian: apt-get install chromium) to take screenshots")
    from concurrent.futures import ThreadPoolExecutor
    import tempfile
    def shoot(page):  # Chromium mostly waits (for the CDN scripts nbconvert's pages name), so a few run at once
        shot = out/f"{page.stem}.png"
        with tempfile.TemporaryDirectory() as profile:  # each its own profile, so no instance hands off to another
            subprocess.run([chromium, f'--user-data-dir={profile}', '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
                            '--disable-component-update', '--no-first-run', '--hide-scrollbars', f'--window-size={width},{height}',
                            f'--screenshot={shot}', page.resolve().as_uri()], check=True, capture_output=True, timeout=120)
        return shot
    with ThreadPoolExecutor(4) as ex: shots = list(ex.map(shoot, pages))
    return shots

if __name__ == '__main__':
    cmd = sys.argv[1] if len(sys.argv) > 1 else 'html'
    if cmd not in ('html', 'screenshots', 'sidebar'): sys.exit(f"unknown command {cmd!r}: use html, screenshots or sidebar")
    if cmd == 'sidebar': print(f"wrote {write_sidebar()}"); sys.exit(0)
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else ROOT/'_docs_html'
    pages = render_html(out)
    print(f"rendered {len(pages)} pages into {out} (HTML fallback: Quarto is not installed here); start at {out/'index.html'}")
    if cmd == 'screenshots':
        for s in screenshots(pages, out): print(f"screenshot: {s}")
