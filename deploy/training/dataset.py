"""Builds the language-ID dataset from extracted gettext catalogs.

Usage: dataset.py ROOT OUTDIR [--per-lang N] [--seed S]

ROOT is a folder holding usr/share/locale/*/LC_MESSAGES/*.mo (the packages of
packages.txt, unpacked). English comes from the msgids, every other language
from the msgstrs of its catalogs. Texts are cleaned (clean.clean), filtered
(untranslated, wrong script, too short), deduplicated across all languages
(a text claimed by two languages is dropped), balanced to the same count per
language, and split 80/10/10 per language into train, validation and test.
Splits are disjoint by clean.key, so no string (up to case, spacing and
punctuation) is in two splits.
"""
import argparse
import collections
import glob
import json
import os
import random
import sys

import clean
import mo

LANGS = ["en", "de", "fr", "es", "it", "pt", "nl", "sv", "da", "fi", "pl", "cs",
         "hu", "ro", "tr", "ru", "uk", "el", "ja", "zh", "ko", "vi", "id"]


def catalogs(root):
    """Yields (lang, path) for every catalog of a language in LANGS."""
    for path in sorted(glob.glob(os.path.join(root, "usr/share/locale/*/LC_MESSAGES/*.mo"))):
        locale = path.split(os.sep)[-3]
        if "@" in locale:  # sr@latin, ca@valencia: script or dialect variants
            continue
        lang = locale.split("_")[0].split(".")[0]
        if lang in LANGS and lang != "en":
            yield lang, path


def collect(root):
    """Returns {lang: {key: text}} of every usable string, before balancing."""
    found = collections.defaultdict(dict)
    skipped = collections.Counter()
    for lang, path in catalogs(root):
        try:
            pairs = mo.read_pairs(path)
        except ValueError as e:
            print(f"dataset: skip {path}: {e}", file=sys.stderr)
            continue
        for msgid, msgstr in pairs:
            src = clean.clean(msgid)
            if clean.script_ok("en", src):
                found["en"].setdefault(clean.key(src), src)
            if not msgstr:
                skipped["empty"] += 1
                continue
            dst = clean.clean(msgstr)
            if clean.key(dst) == clean.key(src):
                skipped["untranslated"] += 1
                continue
            if not clean.script_ok(lang, dst):
                skipped["script"] += 1
                continue
            found[lang].setdefault(clean.key(dst), dst)
    owners = collections.defaultdict(set)
    for lang, texts in found.items():
        for k in texts:
            owners[k].add(lang)
    shared = {k for k, ls in owners.items() if len(ls) > 1}
    skipped["ambiguous"] = len(shared)
    for texts in found.values():
        for k in shared & texts.keys():
            del texts[k]
    print(f"dataset: skipped {dict(skipped)}", file=sys.stderr)
    return found


def split(found, per_lang, seed):
    """Returns {split: [(text, lang)]}, balanced and disjoint by key."""
    rng = random.Random(seed)
    n = min(per_lang, min(len(found[l]) for l in LANGS))
    out = {"train": [], "validation": [], "test": []}
    for lang in LANGS:
        keys = sorted(found[lang])
        rng.shuffle(keys)
        keys = keys[:n]
        a, b = int(n * 0.8), int(n * 0.9)
        for name, part in (("train", keys[:a]), ("validation", keys[a:b]), ("test", keys[b:])):
            out[name].extend((found[lang][k], lang) for k in part)
    for rows in out.values():
        rng.shuffle(rows)
    return out, n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("root")
    ap.add_argument("outdir")
    ap.add_argument("--per-lang", type=int, default=4000)
    ap.add_argument("--seed", type=int, default=13)
    args = ap.parse_args()
    found = collect(args.root)
    missing = [l for l in LANGS if len(found.get(l, ())) < 100]
    if missing:
        sys.exit(f"dataset: too few strings for {missing}: install more catalogs")
    for lang in LANGS:
        print(f"dataset: {lang} {len(found[lang])} strings", file=sys.stderr)
    parts, n = split(found, args.per_lang, args.seed)
    keys = {name: {clean.key(t) for t, _ in rows} for name, rows in parts.items()}
    assert not (keys["train"] & keys["test"] or keys["train"] & keys["validation"]
                or keys["validation"] & keys["test"]), "splits overlap"
    os.makedirs(args.outdir, exist_ok=True)
    for name, rows in parts.items():
        with open(os.path.join(args.outdir, name + ".jsonl"), "w", encoding="utf-8") as f:
            for text, lang in rows:
                f.write(json.dumps({"text": text, "label": lang}, ensure_ascii=False) + "\n")
    with open(os.path.join(args.outdir, "labels.txt"), "w") as f:
        f.write("\n".join(LANGS) + "\n")
    print(f"dataset: {n} per language; " + ", ".join(f"{k} {len(v)}" for k, v in parts.items()),
          file=sys.stderr)


if __name__ == "__main__":
    main()
