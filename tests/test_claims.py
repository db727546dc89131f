"""The scorecard read from the committed notebooks: every section notebook has a ledger whose claims are its
registry's, each with one of the four verdicts, and none `reproduced` without a number and a rule."""
import json, math, subprocess, sys
from pathlib import Path
from overfit_nb import claims

ROOT = Path(__file__).resolve().parents[1]

def test_every_section_notebook_has_a_complete_ledger():
    table = claims.scorecard(ROOT/'nbs')          # raises if a ledger lists other claims than its registry
    assert table.attrs['missing'] == [], f"section notebooks without a ledger: {table.attrs['missing']}"
    assert {nb.stem for nb in claims.section_notebooks(ROOT/'nbs')} == set(table.notebook)
    for nb in claims.section_notebooks(ROOT/'nbs'):
        ids = claims.registry_ids(nb)
        assert ids is not None, f"{nb.name} shows no registry"
        assert set(ids) == {r['id'] for r in claims.ledger_rows(nb)}, f"{nb.name}: registry and ledger differ"
    assert len(table) >= 50, f"only {len(table)} claims"
    assert table.id.is_unique
    assert set(table.verdict) <= set(claims.VERDICTS)
    rep = table[table.verdict == 'reproduced']
    assert rep.ours.map(lambda v: isinstance(v, (int, float)) and math.isfinite(v)).all()
    assert (rep.rule.str.len() > 1).all()

def test_scorecard_json_from_the_command_line():
    out = subprocess.run([str(Path(sys.executable).parent/'overfit-nb'), '--nbs', str(ROOT/'nbs'), 'scorecard', '--json'],
                         capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    assert len(rows) >= 50 and all(tuple(r) == claims.SCORECARD_KEYS for r in rows)
    assert all(r['verdict'] in claims.VERDICTS for r in rows)
