"""Adds description prose and augmented variants to dataset.py's splits.

Usage: prose.py DATA LISTS_DIR OUT [--per-lang N] [--augment F] [--seed S]

DATA is dataset.py's output (catalog strings). LISTS_DIR holds apt's
translated package descriptions (descriptions.py). Writes OUT with:
  train/validation.jsonl  the catalog rows plus up to N description sentences
                          per language (80/10/10 like the catalogs; languages
                          with few translated descriptions get fewer), and a
                          fraction F of the catalog training rows replaced by
                          an augmented variant: lowercased, punctuation
                          stripped, or a 2-6 word span of the string, so short
                          and informal inputs look like something seen before;
  test.jsonl              the catalog test split, unchanged;
  test-prose.jsonl        the description test split, reported on its own;
  labels.txt              unchanged.
No key (clean.key) is in two splits: description sentences already among the
catalog strings or claimed by two languages are dropped, and an augmented
variant whose key is a validation or test key is left out.
"""
import argparse
import collections
import json
import os
import random
import shutil
import sys

import clean
import descriptions


def read(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def write(path, rows):
    with open(path, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def _cjk(text):
    return sum(1 for c in text if clean._kind(c) in ("han", "kana", "hangul")) > len(text) / 3


def augment(text, rng):
    """Returns a variant of text: a word span, lowercased, or unpunctuated."""
    s = text
    if rng.random() < 0.5:
        if _cjk(s) and " " not in s.strip():
            if len(s) > 6:
                n = rng.randint(3, min(12, len(s)))
                i = rng.randint(0, len(s) - n)
                s = s[i:i + n]
        else:
            w = s.split()
            if len(w) > 3:
                n = rng.randint(2, min(6, len(w) - 1))
                i = rng.randint(0, len(w) - n)
                s = " ".join(w[i:i + n])
    r = rng.random()
    if r < 0.4:
        s = s.lower()
    elif r < 0.6:
        s = s[:1].upper() + s[1:]
    if rng.random() < 0.4:
        s = "".join(c for c in s if c.isalnum() or c.isspace() or c in "'-")
        s = " ".join(s.split())
    return s


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("lists")
    ap.add_argument("out")
    ap.add_argument("--per-lang", type=int, default=1500)
    ap.add_argument("--augment", type=float, default=0.3)
    ap.add_argument("--seed", type=int, default=13)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    with open(os.path.join(args.data, "labels.txt")) as f:
        langs = f.read().split()
    parts = {n: read(os.path.join(args.data, n + ".jsonl")) for n in ("train", "validation", "test")}
    catalog = set()
    for rows in parts.values():
        catalog.update(clean.key(r["text"]) for r in rows)

    found = descriptions.collect(args.lists, set(langs))
    owners = collections.Counter(k for texts in found.values() for k in texts)
    prose = {"train": [], "validation": [], "test": []}
    for lang in langs:
        keys = sorted(k for k in found.get(lang, {}) if owners[k] == 1 and k not in catalog)
        rng.shuffle(keys)
        keys = keys[:args.per_lang]
        a, b = int(len(keys) * 0.8), int(len(keys) * 0.9)
        for name, part in (("train", keys[:a]), ("validation", keys[a:b]), ("test", keys[b:])):
            prose[name].extend({"text": found[lang][k], "label": lang} for k in part)
        print(f"prose: {lang} {len(keys)} description sentences", file=sys.stderr)

    held = {clean.key(r["text"]) for n in ("validation", "test") for r in parts[n] + prose[n]}
    train, n_aug = [], 0
    for r in parts["train"]:
        if rng.random() < args.augment:
            v = augment(r["text"], rng)
            k = clean.key(v)
            if k and k not in held and clean.script_ok(r["label"], v):
                r = {"text": v, "label": r["label"]}
                n_aug += 1
        train.append(r)
    train += prose["train"]
    rng.shuffle(train)
    val = parts["validation"] + prose["validation"]
    rng.shuffle(val)
    os.makedirs(args.out, exist_ok=True)
    write(os.path.join(args.out, "train.jsonl"), train)
    write(os.path.join(args.out, "validation.jsonl"), val)
    write(os.path.join(args.out, "test.jsonl"), parts["test"])
    write(os.path.join(args.out, "test-prose.jsonl"), prose["test"])
    shutil.copy(os.path.join(args.data, "labels.txt"), os.path.join(args.out, "labels.txt"))
    print(f"prose: train {len(train)} ({n_aug} augmented, {len(prose['train'])} prose), "
          f"validation {len(val)}, test {len(parts['test'])}, test-prose {len(prose['test'])}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
