"""Tests of the recipe's data preparation and export check.

Run: cd deploy/training && /usr/bin/python3 -m unittest -v test_training
(the export tests need python3-torch and python3-onnx, which `make model`
installs).
"""
import os
import struct
import tempfile
import unittest

import clean
import dataset
import descriptions
import mo
import prose


def write_mo(path, entries, charset="UTF-8", order="<"):
    """Writes a .mo file with the given {msgid: msgstr} entries (test helper)."""
    entries = dict(entries)
    entries[""] = f"Content-Type: text/plain; charset={charset}\n"
    keys = sorted(entries)
    ids = [k.encode(charset) for k in keys]
    strs = [entries[k].encode(charset) for k in keys]
    n = len(keys)
    orig_off, trans_off = 28, 28 + 8 * n
    data_off = 28 + 16 * n
    table_o, table_t, blob = [], [], b""
    for group, table in ((ids, table_o), (strs, table_t)):
        for s in group:
            table.append((len(s), data_off + len(blob)))
            blob += s + b"\0"
    magic = 0x950412DE
    head = struct.pack(order + "7I", magic, 0, n, orig_off, trans_off, 0, 0)
    body = b"".join(struct.pack(order + "2I", *e) for e in table_o + table_t)
    with open(path, "wb") as f:
        f.write(head + body + blob)


class CleanTest(unittest.TestCase):
    def test_clean(self):
        tests = [
            ("_Open", "Open"),
            ("New _Folder", "New Folder"),
            ("開く(_O)", "開く"),
            ("&Save As", "Save As"),
            ("Unable to access “%s”", "Unable to access"),
            ("%1$s of %2$d files", "of files"),
            ("%<PRId64> bytes", "bytes"),
            ("%(name)s is {0}", "is"),
            ("%l:%M %p", ""),
            ("100%% done", "100% done"),
            ("<b>Hello</b> &amp; bye", "Hello & bye"),
            ("See http://example.org/x for /usr/share/doc and --help", "See for and"),
            ("GTK_DEBUG is set in org.gnome.Foo", "is set in"),
            ("atrack [X] . . . . . . set audio track", "atrack set audio track"),
            ("Fichier\u00a0: %s", "Fichier"),
            ("„Datei“ öffnen", '"Datei" öffnen'),
        ]
        for give, want in tests:
            self.assertEqual(clean.clean(give), want, f"clean({give!r})")

    def test_key(self):
        self.assertEqual(clean.key("Open  File!"), clean.key("open file"))
        self.assertNotEqual(clean.key("open file"), clean.key("open files"))

    def test_script_ok(self):
        tests = [
            ("ru", "Открыть файл", True),
            ("ru", "Open file", False),
            ("ja", "ファイルを開く", True),
            ("ja", "文件", False),  # no kana: not an example of Japanese
            ("zh", "打开文件", True),
            ("zh", "ファイル", False),
            ("ko", "파일 열기", True),
            ("el", "Άνοιγμα αρχείου", True),
            ("de", "Datei öffnen", True),
            ("de", "Открыть", False),
            ("vi", "Mở tập tin", True),
            ("en", "Open file", True),
            ("en", "Öffnen", False),
            ("fr", "42", False),
            ("fr", "a", False),
        ]
        for lang, text, want in tests:
            self.assertEqual(clean.script_ok(lang, text), want, f"script_ok({lang}, {text!r})")

    def test_words(self):
        tests = [("Open the file", 3), ("Open", 1), ("ファイルを開く", 4), ("打开", 1), ("", 0),
                 ("a - b", 2)]
        for text, want in tests:
            self.assertEqual(clean.words(text), want, f"words({text!r})")


class MoTest(unittest.TestCase):
    def test_read_pairs(self):
        entries = {"Open": "Öffnen", "ctx\x04Close": "Schließen",
                   "one file\x00%d files": "eine Datei\x00%d Dateien"}
        for charset, order in (("UTF-8", "<"), ("ISO-8859-1", ">")):
            with tempfile.TemporaryDirectory() as d:
                path = os.path.join(d, "x.mo")
                write_mo(path, entries, charset, order)
                got = sorted(mo.read_pairs(path))
            want = sorted([("Open", "Öffnen"), ("Close", "Schließen"),
                           ("one file", "eine Datei"), ("%d files", "%d Dateien")])
            self.assertEqual(got, want, charset)

    def test_not_mo(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "x.mo")
            with open(path, "wb") as f:
                f.write(b"this is no catalog at all")
            with self.assertRaises(ValueError):
                mo.read_pairs(path)


class DatasetTest(unittest.TestCase):
    def test_collect_and_split(self):
        with tempfile.TemporaryDirectory() as root:
            words = ["alpha", "beta", "gamma", "delta", "omega", "sigma", "kappa", "theta"]
            for lang in dataset.LANGS:
                if lang == "en":
                    continue
                d = os.path.join(root, "usr/share/locale", lang, "LC_MESSAGES")
                os.makedirs(d)
                entries = {}
                for i in range(40):
                    src = f"{words[i % 8]} {words[i // 8]} thing {i}"
                    if lang in ("ja", "zh", "ko", "ru", "uk", "el"):
                        dst = {"ja": "ファイル", "zh": "文件", "ko": "파일", "ru": "файл",
                               "uk": "файлі", "el": "αρχείο"}[lang] + f" {i}"
                    else:
                        dst = f"{lang}word{i} {lang}other"
                    entries[src] = dst
                entries["Untranslated message"] = "Untranslated message"
                entries["Shared"] = "Nautilus"  # claimed by every language: dropped
                write_mo(os.path.join(d, "app.mo"), entries)
            found = dataset.collect(root)
            self.assertNotIn(clean.key("Untranslated message"), found["de"])
            self.assertNotIn(clean.key("Nautilus"), found["de"])
            self.assertEqual(len(found["de"]), 40)
            parts, n = dataset.split(found, per_lang=30, seed=1)
            self.assertEqual(n, 30)
            keys = {name: {clean.key(t) for t, _ in rows} for name, rows in parts.items()}
            self.assertFalse(keys["train"] & keys["test"])
            self.assertFalse(keys["train"] & keys["validation"])
            self.assertFalse(keys["validation"] & keys["test"])
            per_lang = {}
            for t, lang in parts["train"]:
                per_lang[lang] = per_lang.get(lang, 0) + 1
            self.assertEqual(set(per_lang.values()), {24})


TRANSLATION = """Package: demo
Description-md5: 0123
Description-fr: outil de démonstration simple
 Ce paquet fournit un outil. Il est très utile pour les tests !
 .
  verbatim --option ligne de code
 .
 * premier point de la liste.

Package: other
Description-md5: 4567
Description-fr: autre paquet
"""


class DescriptionsTest(unittest.TestCase):
    def test_paragraphs(self):
        got = list(descriptions.paragraphs(TRANSLATION))
        self.assertEqual(got, [
            ("fr", ["outil de démonstration simple",
                    "Ce paquet fournit un outil. Il est très utile pour les tests !",
                    "premier point de la liste."]),
            ("fr", ["autre paquet"])])

    def test_sentences(self):
        self.assertEqual(descriptions.sentences("Un deux. Trois quatre ! Cinq"),
                         ["Un deux.", "Trois quatre !", "Cinq"])
        self.assertEqual(descriptions.sentences("这是一个。那是两个。"), ["这是一个。", "那是两个。"])

    def test_collect(self):
        with tempfile.TemporaryDirectory() as d:
            for name, text in (("x_i18n_Translation-fr", TRANSLATION),
                               ("x_i18n_Translation-pt%5fBR", TRANSLATION.replace("-fr:", "-pt_BR:"))):
                with open(os.path.join(d, name), "w", encoding="utf-8") as f:
                    f.write(text)
            found = descriptions.collect(d, {"fr", "pt"})
            self.assertIn(clean.key("Ce paquet fournit un outil."), found["fr"])
            self.assertIn(clean.key("Ce paquet fournit un outil."), found["pt"])  # pt_BR merges into pt
            self.assertIn(clean.key("autre paquet"), found["fr"])  # short descriptions count
            self.assertFalse(any("verbatim" in s for s in found["fr"].values()))


class AugmentTest(unittest.TestCase):
    def test_variants_come_from_the_text(self):
        import random
        rng = random.Random(1)
        text = "Impossible d'ouvrir le fichier demandé par l'utilisateur"
        words = set(clean.key(text).split())
        spans = 0
        for _ in range(200):
            v = prose.augment(text, rng)
            self.assertTrue(v)
            self.assertTrue(set(clean.key(v).split()) <= words, v)
            spans += len(v.split()) < len(text.split())
        self.assertGreater(spans, 50)
        self.assertLess(spans, 150)

    def test_cjk_span(self):
        import random
        rng = random.Random(2)
        text = "無法開啟檔案因為權限不足"
        for _ in range(50):
            v = prose.augment(text, rng)
            self.assertIn(v, text)
            self.assertGreaterEqual(len(v), 3)


class ExportTest(unittest.TestCase):
    def test_onnx_matches_torch(self):
        import numpy as np
        import onnx
        import torch

        import bert
        import export
        import onnxeval

        torch.manual_seed(1)
        cfg = bert.Config(vocab_size=200, hidden_size=32, num_hidden_layers=2,
                          num_attention_heads=2, intermediate_size=64, num_labels=5)
        model = bert.quantize_embeddings(bert.BertForSequenceClassification(cfg)).eval()
        with tempfile.TemporaryDirectory() as d:
            m = export.export(model, os.path.join(d, "m.onnx"))
            names = [i.name for i in m.graph.input], [o.name for o in m.graph.output]
            self.assertEqual(names, (export.INPUTS, export.OUTPUTS))
            encs = [([101, 5, 9, 17, 102], [0, 0, 0, 1, 1]), ([101, 102], [0, 0]), ([7], [0])]
            self.assertLess(export.agree(model, m, encs), 1e-5)
            # Batch invariance: a row's logits do not change with its batch's padding.
            ids, mask, types = export.pad(encs)
            wide = [np.pad(a, ((0, 0), (0, 7))) for a in (ids, mask, types)]
            a = onnxeval.run(m, dict(zip(export.INPUTS, (ids, mask, types))))["logits"]
            b = onnxeval.run(m, dict(zip(export.INPUTS, wide)))["logits"]
            self.assertLess(float(np.abs(a - b).max()), 1e-5)


if __name__ == "__main__":
    unittest.main()
