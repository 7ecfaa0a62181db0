"""features.py must return the rows in the order (index) it was given: a sorted table would put
every prediction on another id while the submission still matched the sample's ids."""

from __future__ import annotations

import pytest
from conftest import assert_clean_error

SORTS = {
    "a sorted copy": "    train = train.sort_values('age')\n",
    "an in-place sort of test": "    test.sort_values('age', inplace=True)\n",
}


@pytest.mark.parametrize("how", list(SORTS))
def test_reordered_rows_stop_the_run(ks, tmp_path, how):
    ks("init", "practice/heart-disease", cwd=tmp_path)
    project = tmp_path / "heart-disease"
    (project / "features.py").write_text(
        f"def make_features(train, test):\n{SORTS[how]}    return train, test\n"
    )
    proc = ks("train", cwd=project, check=False)
    assert_clean_error(proc, "features.py returned X_", "another order", "sort_index")
    assert not (project / "runs").exists() or not any((project / "runs").iterdir())


def test_a_sort_undone_and_a_merge_keep_the_order(ks, tmp_path):
    ks("init", "practice/heart-disease", cwd=tmp_path)
    project = tmp_path / "heart-disease"
    (project / "features.py").write_text(
        "import pandas as pd\n"
        "def make_features(train, test):\n"
        "    train = train.sort_values('age').sort_index()\n"
        "    ages = pd.DataFrame({'age': sorted(set(train['age']))})\n"
        "    ages['older'] = ages['age'] > 60\n"
        "    m = dict(on='age', how='left')\n"
        "    return train.merge(ages, **m), test.merge(ages, **m)\n"
    )
    ks("train", "-q", cwd=project)
