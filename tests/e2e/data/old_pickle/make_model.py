"""Make ``model.joblib``, the pickled model of tests/e2e/test_old_space_pickle.py.

Run it in a throwaway venv with the scikit-learn of gradio 4.44.1's time (gradio 4.44.1 was
uploaded 2024-10-01; scikit-learn 1.5.2 on 2024-09-11, 1.6.0 only on 2024-12-09)::

    python3.11 -m venv /tmp/skl152 && /tmp/skl152/bin/pip install scikit-learn==1.5.2
    /tmp/skl152/bin/python tests/e2e/data/old_pickle/make_model.py

It writes ``model.joblib`` and ``expected.json`` beside itself: the scikit-learn that pickled the
model and the classes that scikit-learn predicts for ``QUERIES`` (what the test asks the Space).
"""

from __future__ import annotations

import json
from pathlib import Path

import joblib
import numpy as np
import sklearn
from sklearn.ensemble import RandomForestClassifier

HERE = Path(__file__).resolve().parent
QUERIES = [[0.2, 0.1], [0.9, 0.8], [0.15, 0.85]]


def train() -> RandomForestClassifier:
    """Three classes on a tiny synthetic 2-D dataset: which corner-ish region a point lies in."""
    rng = np.random.default_rng(13)
    points = rng.random((120, 2))
    labels = np.where(points[:, 0] > 0.5, 2, np.where(points[:, 1] > 0.5, 1, 0))
    names = np.array(["setosa", "versicolor", "virginica"])[labels]
    return RandomForestClassifier(n_estimators=5, max_depth=4, random_state=0).fit(points, names)


def main() -> None:
    model = train()
    joblib.dump(model, HERE / "model.joblib", compress=3)
    expected = {
        "sklearn": sklearn.__version__,
        "queries": QUERIES,
        "predictions": [str(p) for p in model.predict(np.array(QUERIES))],
    }
    (HERE / "expected.json").write_text(json.dumps(expected, indent=2) + "\n")
    print(json.dumps(expected))


if __name__ == "__main__":
    main()
