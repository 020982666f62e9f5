"""How often the macro an agent applied was among the top 3 suggestions, replayed over the
seed (issue #7, "suggestions that learn").

Seeds a case server database (``csm seed``'s generator, 2,000 cases by default), then walks
its recorded macro uses in time order: before each use, the suggester knows only the uses
before it; it ranks every shared macro for that case (queue, tags, subject words), and we
count a hit when the applied macro is in the top 3 (and top 1). Then the use is recorded.
Baselines in the same walk: "most used so far" (popularity, no case features) and the
macros in name order (what an agent sees without suggestions).

    make bench    (or: .venv/bin/python bench/macro_suggest.py [--cases 2000])
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlmodel import Session, select

from csm_tui.domain.macros import Suggester
from csm_tui.domain.models import MacroRow, MacroUse
from csm_tui.server.db import init_db, make_engine
from csm_tui.server.seed import seed_database


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=50, help="uses before counting")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'seed.sqlite3'}")
        init_db(engine)
        seed_database(engine, args.cases)
        with Session(engine) as session:
            macros = session.exec(select(MacroRow).where(MacroRow.scope == "shared")).all()
            uses = session.exec(select(MacroUse).order_by(MacroUse.created_at, MacroUse.id)).all()
            by_name = [m.id for m in sorted(macros, key=lambda m: m.name.casefold())]
            uses = [(u.macro_id, u.queue, list(u.tags), u.subject) for u in uses]
        engine.dispose()

    suggester = Suggester()
    popular: Counter[str] = Counter()
    hits = {"suggested": [0, 0], "most used so far": [0, 0], "name order": [0, 0]}
    counted = 0
    for n, (macro_id, queue, tags, subject) in enumerate(uses):
        if n >= args.warmup:
            counted += 1
            ranked = [
                s.macro_id for s in suggester.rank(by_name, queue=queue, tags=tags, subject=subject)
            ]
            by_use = sorted(by_name, key=lambda m: -popular[m])  # stable: name order on ties
            for label, order in (
                ("suggested", ranked),
                ("most used so far", by_use),
                ("name order", by_name),
            ):
                hits[label][0] += macro_id in order[:3]
                hits[label][1] += macro_id in order[:1]
        suggester.record(macro_id, queue=queue, tags=tags, subject=subject)
        popular[macro_id] += 1

    print(
        f"macro suggestions replayed over the seed: {args.cases:,} cases, {len(by_name)} shared "
        f"macros, {len(uses):,} recorded uses "
        f"({counted:,} counted after {args.warmup} to learn from)"
    )
    print(f"  {'ranking':<20} {'in top 3':>9} {'first':>7}")
    for label, (top3, top1) in hits.items():
        print(f"  {label:<20} {top3 / max(counted, 1):>8.1%} {top1 / max(counted, 1):>7.1%}")


if __name__ == "__main__":
    main()
