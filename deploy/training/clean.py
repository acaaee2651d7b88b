"""Turns catalog messages into plain text and decides which ones to keep.

Catalog strings carry tokens that say nothing about the language but a lot
about the catalog (printf placeholders, GTK/Qt accelerator markers, Pango
markup, URLs, paths, option names). Left in, they let a model learn the
catalog instead of the language, so they are removed before anything else.
"""
import html
import re
import unicodedata

# printf conversions, with positional args, flags, width, precision, length
# modifiers and the C99 <inttypes.h> macros msgfmt writes as %<PRId64>.
_PRINTF = re.compile(
    r"%(\d+\$)?[-+0#']*(\*|\d+)?(\.(\*|\d+))?"
    r"(<PRI\w+>|(hh|h|ll|l|L|q|j|z|t|I64|I32|I)?[diouxXeEfFgGaAcspnmS])"
)
_PY_NAMED = re.compile(r"%\([^)]*\)[-+ 0#]*\d*(\.\d+)?[A-Za-z]")
_STRFTIME = re.compile(r"%[-_0^#]?[A-Za-z]")
_QT_ARG = re.compile(r"%L?\d+")
_BRACES = re.compile(r"\{[^{}]*\}|\$\{[^}]*\}|\$[A-Z_][A-Z0-9_]*")
_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_ACCEL_PAREN = re.compile(r"\s*[(（]\s*[_&][^\s()（）]\s*[)）]")
_ACCEL = re.compile(r"[_&~](?=\w)")
_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://\S+|\bwww\.\S+", re.I)
_EMAIL = re.compile(r"\S+@\S+\.\S+")
_PATH = re.compile(r"(?<![\w/])~?(/[\w.+-]+)+/?")
_OPTION = re.compile(r"(?<![\w-])--?[A-Za-z][\w-]*(=\S*)?")
_IDENT = re.compile(r"\b\w+(\.\w+)+\b|\b[a-z]+[A-Z]\w*\b|\b[A-Z0-9]+_[A-Z0-9_]+\b")
_CAMEL = re.compile(r"\b[A-Z][a-z]+[A-Z][A-Za-z]*\b")  # product and class names: FileZilla, CamelHttpStream
_LEADER = re.compile(r"(\s?\.){3,}|…")  # dot leaders of help tables, ellipses
_BRACKET = re.compile(r"\[[^\]\s]{1,12}\]")  # [X], [on|off]: argument slots
_BACKSLASH = re.compile(r"\\[A-Za-z]")  # escapes left in the text: \g, \n
_QUOTES = str.maketrans({c: '"' for c in "“”„‟«»〝〞＂"} | {c: "'" for c in "‘’‚‛‹›`´"})
_EMPTY_PAIR = re.compile(r"""(["'])[\s.,:;]*\1|\(\s*\)|\[\s*\]""")
_SPACE = re.compile(r"\s+")


def clean(text):
    """Returns text without placeholders, accelerators, markup or catalog tokens."""
    s = text.replace("%%", "\x00")
    s = _PY_NAMED.sub(" ", s)
    s = _PRINTF.sub(" ", s)
    s = _STRFTIME.sub(" ", s)
    s = _QT_ARG.sub(" ", s)
    s = _BRACES.sub(" ", s)
    s = _TAG.sub(" ", s)
    s = html.unescape(s)
    s = _TAG.sub(" ", s)
    s = _URL.sub(" ", s)
    s = _EMAIL.sub(" ", s)
    s = _PATH.sub(" ", s)
    s = _OPTION.sub(" ", s)
    s = _IDENT.sub(" ", s)
    s = _CAMEL.sub(" ", s)
    s = _LEADER.sub(" ", s)
    s = _BRACKET.sub(" ", s)
    s = _BACKSLASH.sub(" ", s)
    s = _ACCEL_PAREN.sub("", s)
    s = _ACCEL.sub("", s)
    s = s.replace("_", " ").replace("\\n", " ").replace("\\t", " ")
    s = s.translate(_QUOTES).replace("\x00", "%")
    s = _SPACE.sub(" ", s)
    for _ in range(2):
        s = _EMPTY_PAIR.sub(" ", s)
        s = _SPACE.sub(" ", s)
    return s.strip(" \t:;,-|/\\*·•")


def key(text):
    """The deduplication key: case, punctuation and spacing ignored."""
    s = unicodedata.normalize("NFKC", text).casefold()
    return " ".join("".join(c if c.isalnum() else " " for c in s).split())


def _kind(c):
    o = ord(c)
    if 0x3040 <= o <= 0x30FF or 0x31F0 <= o <= 0x31FF or 0xFF66 <= o <= 0xFF9F:
        return "kana"
    if 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0xF900 <= o <= 0xFAFF:
        return "han"
    if 0xAC00 <= o <= 0xD7AF or 0x1100 <= o <= 0x11FF or 0x3130 <= o <= 0x318F:
        return "hangul"
    if 0x0400 <= o <= 0x052F:
        return "cyrillic"
    if 0x0370 <= o <= 0x03FF or 0x1F00 <= o <= 0x1FFF:
        return "greek"
    if c.isascii():
        return "ascii"
    if 0x00C0 <= o <= 0x024F or 0x1E00 <= o <= 0x1EFF:
        return "latin"
    return "other"


def script_ok(lang, text):
    """Says whether text is written the way lang is written.

    Catalogs leave many messages in English or in another script (product
    names, untranslated fragments); those are not examples of lang.
    """
    letters = [c for c in text if c.isalpha()]
    if len(letters) < 2:
        return False
    nonspace = sum(1 for c in text if not c.isspace())
    if len(letters) < 0.5 * nonspace:
        return False
    kinds = {}
    for c in letters:
        k = _kind(c)
        kinds[k] = kinds.get(k, 0) + 1
    n = len(letters)
    share = lambda *ks: sum(kinds.get(k, 0) for k in ks) / n
    if lang == "ja":
        return kinds.get("kana", 0) > 0 and share("kana", "han") >= 0.6
    if lang == "zh":
        return share("han") >= 0.6 and not kinds.get("kana") and not kinds.get("hangul")
    if lang == "ko":
        return share("hangul") >= 0.6
    if lang in ("ru", "uk"):
        return share("cyrillic") >= 0.8
    if lang == "el":
        return share("greek") >= 0.8
    if lang == "en":
        return share("ascii") >= 0.98
    return share("ascii", "latin") >= 0.98


def words(text):
    """Counts words; Han and kana runs count one word per two characters.

    Chinese and Japanese do not separate words by spaces, so a plain split
    would call every sentence one word.
    """
    n = 0
    for tok in text.split():
        cjk = sum(1 for c in tok if _kind(c) in ("han", "kana"))
        if cjk:
            n += (cjk + 1) // 2 + (1 if any(c.isalpha() and _kind(c) not in ("han", "kana") for c in tok) else 0)
        elif any(c.isalnum() for c in tok):
            n += 1
    return n
