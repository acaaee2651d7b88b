"""Reads sentences of natural prose from apt's translated package descriptions.

Usage (as a module): descriptions.collect(LISTS_DIR, langs)

LISTS_DIR holds the *_i18n_Translation-xx files that `apt-get update` with
Acquire::Languages fetches (the recipe keeps them under work/i18n). Catalog
strings are short UI messages; these paragraphs are ordinary sentences written
by the Debian Description Translation Project, so they teach the model how
each language reads outside a user interface.
"""
import collections
import glob
import os
import re
import subprocess

import clean

_SENT = re.compile(r"(?<=[.!?。！？])\s+|(?<=[。！？])")
_BULLET = re.compile(r"^\s*[-*+o•]\s+")
_LOCALE = {"pt_BR": "pt", "zh_CN": "zh", "zh_TW": "zh"}


def _text(path):
    """The file's text; apt-helper undoes whichever compression apt chose."""
    if path.endswith((".lz4", ".gz", ".xz", ".bz2", ".zst")):
        out = subprocess.run(["/usr/lib/apt/apt-helper", "cat-file", path],
                             capture_output=True, check=True).stdout
    else:
        with open(path, "rb") as f:
            out = f.read()
    return out.decode("utf-8", "replace")


def paragraphs(text):
    """Yields (field_lang, [paragraph]) for every Description-xx field."""
    lang, paras, cur = None, [], []
    for line in text.splitlines() + [""]:
        if line.startswith(" ") and lang:
            body = line[1:]
            if body.strip() == ".":
                if cur:
                    paras.append(" ".join(cur))
                cur = []
            elif not body.startswith(" "):  # deeper indent: verbatim lists, code
                cur.append(_BULLET.sub("", body).strip())
            continue
        if lang:
            if cur:
                paras.append(" ".join(cur))
            yield lang, paras
        lang, paras, cur = None, [], []
        m = re.match(r"Description-([A-Za-z_]+):\s*(.*)", line)
        if m:
            lang = m.group(1)
            paras = [m.group(2)]


def sentences(para):
    """Splits a paragraph into sentences at ., !, ? and CJK full stops."""
    return [s.strip() for s in _SENT.split(para) if s.strip()]


def collect(lists_dir, langs, limit=20000):
    """Returns {lang: {key: sentence}} of usable description sentences.

    Stops reading a language at limit sentences: the big files (en, da, it)
    hold ten times what the dataset uses and cleaning them all takes minutes.
    """
    found = collections.defaultdict(dict)
    for path in sorted(glob.glob(os.path.join(lists_dir, "*_i18n_Translation-*"))):
        locale = path.rsplit("Translation-", 1)[1].split(".")[0].replace("%5f", "_")
        lang = _LOCALE.get(locale, locale)
        if lang not in langs:
            continue
        for _, paras in paragraphs(_text(path)):
            if len(found[lang]) >= limit:
                break
            for para in paras:
                for s in sentences(para):
                    s = clean.clean(s)
                    if clean.words(s) >= 2 and len(s) <= 300 and clean.script_ok(lang, s):
                        found[lang].setdefault(clean.key(s), s)
    return found
