"""Make spacehost's small movie-review sentiment dataset (hub/datasets/spacehost/movie-reviews).

Synthetic and deterministic: short review sentences assembled from templates and a hand-written
vocabulary, each labelled negative (0) or positive (1) by the rule that built it. The templates
give the variety a bag of words does not see through at once: negation ("not bad", "far from
great"), intensifiers and hedges, two aspects pulling in opposite directions ("the acting was
superb, but the plot was a mess": the clause after "but" decides), verdicts that carry the
sentiment without an adjective ("I want my two hours back"), and the same words in both classes.

    python scripts/make_dataset.py            # writes the files (same bytes every run)
    python scripts/make_dataset.py --check    # exits 1 when the committed files differ
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import sys
from collections.abc import Callable
from pathlib import Path

SEED = 20240611
TRAIN_SIZE = 2400
TEST_SIZE = 600
OUT = Path(__file__).resolve().parents[1] / "hub" / "datasets" / "spacehost" / "movie-reviews"
NEG, POS = 0, 1

FILMS = ["film", "movie", "picture", "thriller", "comedy", "drama", "sequel", "remake",
         "documentary", "western", "romance", "horror film", "musical", "animated feature",
         "mystery", "war film", "biopic", "heist movie", "space opera", "courtroom drama"]
ASPECTS = ["acting", "plot", "script", "soundtrack", "score", "cinematography", "pacing",
           "ending", "dialogue", "direction", "editing", "cast", "story", "visual effects",
           "humour", "lead performance", "first act", "final twist", "set design", "camera work",
           "chemistry between the leads", "screenplay", "villain", "supporting cast"]
# plural aspects take "were"
PLURAL = {"visual effects", "cast", "supporting cast"}
POS_ADJ = ["good", "great", "wonderful", "superb", "charming", "gripping", "moving", "clever",
           "delightful", "beautiful", "stunning", "sharp", "funny", "engaging", "memorable",
           "brilliant", "solid", "heartfelt", "thrilling", "touching", "inventive", "excellent",
           "fresh", "witty", "powerful", "lovely", "assured", "absorbing", "elegant", "tender"]
NEG_ADJ = ["bad", "dull", "boring", "clumsy", "tedious", "weak", "predictable", "flat",
           "forgettable", "awful", "messy", "lifeless", "confusing", "painful", "bland",
           "shallow", "overlong", "terrible", "lazy", "cheap", "stiff", "muddled", "sloppy",
           "grating", "hollow", "clichéd", "sluggish", "pointless", "wooden", "dreary"]
INTENSIFIERS = ["very", "really", "incredibly", "truly", "remarkably", "utterly", "deeply",
                "genuinely", "thoroughly", "quite", "rather", "surprisingly", "so"]
HEDGES = ["mostly", "fairly", "somewhat", "a little", "largely", "pretty", "at times"]
NEGATIONS = ["not", "never", "hardly", "far from", "anything but", "by no means"]
POS_VERDICTS = ["I would happily watch it again.", "Highly recommended.", "A must-see.",
                "Worth every minute.", "I left the cinema smiling.", "Bring your friends.",
                "It stayed with me for days.", "Easily one of the best this year.",
                "I was hooked from start to finish.", "Go and see it.",
                "I cannot wait to watch it again.", "The audience applauded at the end."]
NEG_VERDICTS = ["I want my two hours back.", "Skip this one.", "Not worth the ticket.",
                "I nearly walked out.", "I checked my watch every ten minutes.",
                "Wait for it to be free, or don't.", "I fell asleep halfway through.",
                "A waste of a good cast.", "I regret buying the ticket.",
                "Nobody in the theater laughed.", "I would not recommend it to anyone.",
                "The audience was restless by the end."]
OPENERS = ["", "", "", "Honestly, ", "Overall, ", "To be fair, ", "In the end, ",
           "I have to say ", "Frankly, ", "All in all, "]


def _strength(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.35:
        return rng.choice(INTENSIFIERS) + " "
    if roll < 0.5:
        return rng.choice(HEDGES) + " "
    return ""


def _adj(rng: random.Random, label: int) -> str:
    return rng.choice(POS_ADJ if label == POS else NEG_ADJ)


def _be(aspect: str) -> str:
    return "were" if aspect in PLURAL else "was"


def _clause(rng: random.Random, label: int) -> str:
    """'the acting was superb' (label) — or a negated adjective of the other polarity."""
    aspect = rng.choice(ASPECTS)
    if rng.random() < 0.25:  # "the plot was not boring" is positive; "not great" negative
        neg = rng.choice(NEGATIONS)
        return f"the {aspect} {_be(aspect)} {neg} {_adj(rng, 1 - label)}"
    return f"the {aspect} {_be(aspect)} {_strength(rng)}{_adj(rng, label)}"


def _a(phrase: str) -> str:
    """'a great film', 'an awful film'."""
    return f"{'an' if phrase[:1].lower() in 'aeiou' else 'a'} {phrase}"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def simple(rng: random.Random, label: int) -> str:
    film = rng.choice(FILMS)
    forms = [
        lambda: f"This {film} is {_strength(rng)}{_adj(rng, label)}.",
        lambda: f"What {_a(_adj(rng, label))} {film}.",
        lambda: f"{_cap(_a(_strength(rng) + _adj(rng, label)))} {film}.",
        lambda: f"I found the {film} {_strength(rng)}{_adj(rng, label)}.",
        lambda: f"{_cap(_clause(rng, label))}.",
    ]
    return rng.choice(forms)()


def negated(rng: random.Random, label: int) -> str:
    """The adjective says the opposite of the label; the negation turns it."""
    film = rng.choice(FILMS)
    neg = rng.choice(NEGATIONS)
    other = _adj(rng, 1 - label)
    forms = [
        lambda: f"This {film} is {neg} {other}.",
        lambda: f"The {film} was {neg} {other}, to my surprise." if label == POS
        else f"Sadly, the {film} was {neg} {other}.",
        lambda: f"I would {'never' if label == POS else 'not'} call it {other}.",
        lambda: f"Nothing about this {film} felt {other}.",
    ]
    return rng.choice(forms)()


def mixed(rng: random.Random, label: int) -> str:
    """Two aspects pulling apart; the clause after 'but' / the main clause decides."""
    first, last = _clause(rng, 1 - label), _clause(rng, label)
    forms = [
        lambda: f"{_cap(first)}, but {last}.",
        lambda: f"Although {first}, {last}.",
        lambda: f"{_cap(first)}; still, {last}.",
        lambda: f"Even if {first}, {last}.",
        lambda: f"{_cap(first)}, yet {last}.",
    ]
    return rng.choice(forms)()


def agreeing(rng: random.Random, label: int) -> str:
    """Two aspects of the same polarity."""
    joiner = rng.choice([" and ", ", and ", " and even "])
    return f"{_cap(_clause(rng, label))}{joiner}{_clause(rng, label)}."


def verdict(rng: random.Random, label: int) -> str:
    """A verdict alone, or after a sentence of the same polarity."""
    said = rng.choice(POS_VERDICTS if label == POS else NEG_VERDICTS)
    if rng.random() < 0.5:
        return said
    return f"{simple(rng, label)} {said}"


FORMS: list[tuple[Callable[[random.Random, int], str], float]] = [
    (simple, 0.30), (negated, 0.15), (mixed, 0.25), (agreeing, 0.15), (verdict, 0.15)]


def sentence(rng: random.Random, label: int) -> str:
    form = rng.choices([f for f, _ in FORMS], weights=[w for _, w in FORMS])[0]
    text = form(rng, label)
    opener = rng.choice(OPENERS)
    if opener and not text.startswith(("Although", "Even if")):
        text = opener + text[:1].lower() + text[1:]
    return " ".join(text.split())


def make_rows(count: int, rng: random.Random, seen: set[str]) -> list[tuple[str, int]]:
    """*count* distinct rows, half of each label, in random order."""
    rows: list[tuple[str, int]] = []
    for i in range(count):
        label = i % 2
        while True:
            text = sentence(rng, label)
            if text not in seen:
                seen.add(text)
                rows.append((text, label))
                break
    rng.shuffle(rows)
    return rows


def to_csv(rows: list[tuple[str, int]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["text", "label"])
    writer.writerows(rows)
    return buf.getvalue()


CARD = """---
license: cc0-1.0
pretty_name: spacehost movie reviews (synthetic)
language:
- en
task_categories:
- text-classification
task_ids:
- sentiment-classification
size_categories:
- 1K<n<10K
tags:
- synthetic
- sentiment
configs:
- config_name: default
  data_files:
  - split: train
    path: data/train.csv
  - split: test
    path: data/test.csv
dataset_info:
  features:
  - name: text
    dtype: string
  - name: label
    dtype:
      class_label:
        names:
          '0': negative
          '1': positive
---

# spacehost movie reviews (synthetic)

{total} short, movie-review-style English sentences, each labelled **negative** (0) or
**positive** (1): {train} for training, {test} held out for testing, half of each label in both.
It ships with spacehost so that the example spaces (semantic search, a sentiment classifier, a
dataset viewer) have something real to work on without any download.

## Be aware: it is synthetic and small

No person wrote these reviews and no film is reviewed. `scripts/make_dataset.py` in the
spacehost repository builds every sentence from templates and a hand-written vocabulary
(30 positive and 30 negative adjectives, 24 aspects of a film, 20 kinds of film, intensifiers,
hedges, negations, verdicts), with a fixed random seed, so the files are the same on every run.
The label is the rule that built the sentence, so there is no label noise — and no sarcasm,
irony, slang, typos or the long, rambling reviews real people write. Use it to try things
out and to test pipelines, not to measure how well a model understands real reviews: a
classifier that does well here can still do badly on real text.

## What makes it less than trivial

- **Negation** turns an adjective around: "The plot was not boring" is positive, "far from
  great" negative.
- **Mixed aspects**: "The acting was superb, but the story was a mess" — the clause after
  *but* / *yet* / *still*, or the main clause after *although* / *even if*, decides.
- **Intensifiers and hedges** ("utterly", "somewhat", "a little") change strength, not label.
- **Verdicts without adjectives**: "I want my two hours back", "Bring your friends".
- The same aspects, films and openers appear in both classes; most sentiment words appear
  in both classes too (negated in one).

## Fields

| field | type | |
|---|---|---|
| `text` | string | one or two sentences |
| `label` | class label | 0 = negative, 1 = positive |

## Use

```python
from datasets import load_dataset

ds = load_dataset("spacehost/movie-reviews")
ds["train"][0]   # {{'text': '...', 'label': 1}}
```

Inside a space, list it under `datasets:` in the README front matter; spacehost mounts it and
`load_dataset` works offline.

## License

CC0 1.0: public domain. Made by the spacehost project.
"""


def build() -> dict[str, str]:
    """The dataset's files, path -> text."""
    rng = random.Random(SEED)
    seen: set[str] = set()
    train = make_rows(TRAIN_SIZE, rng, seen)
    test = make_rows(TEST_SIZE, rng, seen)
    card = CARD.replace("{train}", str(TRAIN_SIZE)).replace("{test}", str(TEST_SIZE))
    card = card.replace("{total}", f"{TRAIN_SIZE + TEST_SIZE:,}").replace("{{", "{")
    card = card.replace("}}", "}")
    return {"README.md": card, "data/train.csv": to_csv(train), "data/test.csv": to_csv(test)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the files on disk")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    files = build()
    if args.check:
        stale = [p for p, text in files.items()
                 if not (args.out / p).is_file() or (args.out / p).read_text() != text]
        for p in stale:
            print(f"{args.out / p} differs from what make_dataset.py makes", file=sys.stderr)
        return 1 if stale else 0
    for path, text in files.items():
        target = args.out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
