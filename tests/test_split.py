"""Guards of the dev/test split (evals/README.md): the test split stays unseen. Its questions are
in no test, no case is in both splits, and every kind is in both, in similar numbers."""

import re
from collections import Counter

from amzn_qa.config import PROJECT_ROOT
from amzn_qa.evaluation.harness import load_split


def _flat(text: str) -> str:
    return " ".join(re.sub(r"\\(.)", r"\1", text).lower().split())  # Python escapes (\") undone


def test_no_question_of_the_test_split_is_used_by_a_test():
    sources = {path.name: _flat(path.read_text(encoding="utf-8")) for path in (PROJECT_ROOT / "tests").glob("*.py")}
    used = [
        f"{case.id} in {name}" for case in load_split("test") for name, text in sources.items()
        if _flat(case.question) in text
    ]
    assert used == [], "tests must use dev questions only; tune on dev, report on test"


def test_no_case_is_in_both_splits():
    dev, test = load_split("dev"), load_split("test")
    assert not {c.id for c in dev} & {c.id for c in test}
    assert not {_flat(c.question) for c in dev if not c.history} & {_flat(c.question) for c in test if not c.history}


def test_every_kind_is_split_about_evenly():
    """Rounds 1 and 2 were split by a hash of the id; later rounds were written for dev only."""
    dev = Counter(c.kind for c in load_split("dev") if c.origin in ("round-1", "round-2"))
    test = Counter(c.kind for c in load_split("test"))
    assert set(dev) == set(test)
    for kind in dev:
        assert abs(dev[kind] - test[kind]) <= max(2, (dev[kind] + test[kind]) // 10), kind
