"""Exports the trained model to ONNX and writes the Triton model folder.

Usage: export.py RUN MODEL_DIR --tokenize CMD [--golden-from TEST_JSONL]
       export.py --random-base OUT.onnx

RUN is train.py's output folder. Writes MODEL_DIR/1/model.onnx (opset 14,
dynamic batch and sequence axes), MODEL_DIR/config.pbtxt, labels.txt and
golden.json (torch's logits and hidden states for a few dozen texts, for
checking runtimes). The export is checked by onnx.checker and, since Debian
ships no onnxruntime for Python, by running the graph with onnxeval against
torch on a padded batch. --random-base instead writes a BERT-base-shaped model
(12 layers, hidden 768) with random weights, for benchmarks.
"""
import argparse
import json
import os
import random
import sys

import numpy as np
import onnx
import torch

import bert
import clean
import onnxeval
from train import tokenize

OPSET = 14
INPUTS = ["input_ids", "attention_mask", "token_type_ids"]
OUTPUTS = ["logits", "last_hidden_state"]
MAX_BATCH = 64
TOLERANCE = 1e-4


def export(model, path):
    """Writes model as ONNX with dynamic batch and sequence axes; checks it."""
    model.eval()
    ids = torch.tensor([[101, 7, 42, 102], [101, 7, 102, 0]], dtype=torch.int64)
    mask = (ids != 0).to(torch.int64)
    types = torch.zeros_like(ids)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    seq = {0: "batch", 1: "sequence"}
    torch.onnx.export(
        model, (ids, mask, types), path, opset_version=OPSET, input_names=INPUTS,
        output_names=OUTPUTS, do_constant_folding=True,
        dynamic_axes={"input_ids": seq, "attention_mask": seq, "token_type_ids": seq,
                      "logits": {0: "batch"}, "last_hidden_state": seq})
    m = onnx.load(path)
    onnx.checker.check_model(m, full_check=True)
    return m


def pad(encs):
    n = max(len(e[0]) for e in encs)
    ids = np.zeros((len(encs), n), np.int64)
    mask = np.zeros((len(encs), n), np.int64)
    types = np.zeros((len(encs), n), np.int64)
    for r, (a, t) in enumerate(encs):
        ids[r, :len(a)], mask[r, :len(a)], types[r, :len(t)] = a, 1, t
    return ids, mask, types


def agree(model, onnx_model, encs):
    """Runs the ONNX graph on a padded batch; returns its max difference to torch per row."""
    ids, mask, types = pad(encs)
    got = onnxeval.run(onnx_model, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})
    worst = 0.0
    with torch.no_grad():
        for r, (a, t) in enumerate(encs):
            x = torch.tensor([a]), torch.ones(1, len(a), dtype=torch.int64), torch.tensor([t])
            logits, hidden = model(*x)
            worst = max(worst, float(np.abs(got["logits"][r] - logits[0].numpy()).max()),
                        float(np.abs(got["last_hidden_state"][r, :len(a)] - hidden[0].numpy()).max()))
    return worst


def config_pbtxt(name, labels, hidden):
    ins = "\n".join(f'  {{ name: "{n}" data_type: TYPE_INT64 dims: [ -1 ] }}{"," if i < 2 else ""}'
                    for i, n in enumerate(INPUTS))
    return f"""# Triton model configuration (written by deploy/training/export.py).
# max_batch_size > 0: dims below leave out the batch dimension; -1 = dynamic.
name: "{name}"
platform: "onnxruntime_onnx"
max_batch_size: {MAX_BATCH}
input [
{ins}
]
output [
  {{ name: "logits" data_type: TYPE_FP32 dims: [ {len(labels)} ] label_filename: "labels.txt" }},
  {{ name: "last_hidden_state" data_type: TYPE_FP32 dims: [ -1, {hidden} ] }}
]
dynamic_batching {{
  preferred_batch_size: [ 8, 16, 32 ]
  max_queue_delay_microseconds: 2000
}}
"""


# Texts beyond the test split: edge cases a runtime must get right.
EXTRA = ["", "a", "OK", "Hello, world!", "C'est la vie.", "ß", "日本語", "😀 🎉",
         "Ünïcödé wörds with àccents everywhere",
         "The quick brown fox jumps over the lazy dog. " * 12]


def golden_texts(test_path, labels):
    """Per language, one test string of three words or more and one shorter
    (at most 60 characters, drawn with a fixed seed), then EXTRA."""
    rng = random.Random(13)
    rows = [json.loads(l) for l in open(test_path, encoding="utf-8")]
    out = []
    for lang in labels:
        mine = sorted(r["text"] for r in rows if r["label"] == lang and len(r["text"]) <= 60)
        long = [t for t in mine if clean.words(t) >= 3]
        short = [t for t in mine if clean.words(t) < 3]
        out.extend(rng.choice(group) for group in (long, short) if group)
    return out + EXTRA


def golden(model, texts, encs):
    cases = []
    with torch.no_grad():
        for text, (a, t) in zip(texts, encs):
            x = torch.tensor([a]), torch.ones(1, len(a), dtype=torch.int64), torch.tensor([t])
            logits, hidden = model(*x)
            f = lambda v: float("%.9g" % v)
            cases.append({"text": text, "input_ids": a, "attention_mask": [1] * len(a),
                          "token_type_ids": t, "logits": [f(v) for v in logits[0].tolist()],
                          "last_hidden_state": [[f(v) for v in row] for row in hidden[0].tolist()]})
    return {"cases": cases}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("run", nargs="?")
    ap.add_argument("model_dir", nargs="?")
    ap.add_argument("--tokenize", help="command: JSON lines {text} in, {ids,type_ids} out")
    ap.add_argument("--golden-from", help="test.jsonl to draw golden texts from")
    ap.add_argument("--max-len", type=int, default=128, help="golden texts are truncated to this")
    ap.add_argument("--random-base", metavar="OUT", help="write a random BERT-base-shaped model instead")
    args = ap.parse_args()
    torch.manual_seed(13)
    torch.set_num_threads(1)

    if args.random_base:
        cfg = bert.Config(hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
                          intermediate_size=3072, num_labels=23)
        export(bert.BertForSequenceClassification(cfg), args.random_base)
        print(f"export: wrote {args.random_base} ({os.path.getsize(args.random_base) >> 20} MiB)")
        return
    if not (args.run and args.model_dir and args.tokenize and args.golden_from):
        ap.error("RUN, MODEL_DIR, --tokenize and --golden-from are required")

    ck = torch.load(os.path.join(args.run, "model.pt"))
    cfg, labels = bert.Config(**ck["config"]), ck["labels"]
    model = bert.BertForSequenceClassification(cfg)
    if ck.get("quantized"):
        bert.quantize_embeddings(model)
    model.load_state_dict(ck["state_dict"])
    model.eval()
    path = os.path.join(args.model_dir, "1", "model.onnx")
    m = export(model, path)
    texts = golden_texts(args.golden_from, labels)
    cmd = args.tokenize if "--max-len" in args.tokenize else f"{args.tokenize} --max-len {args.max_len}"
    encs = tokenize(cmd, texts)
    diff = agree(model, m, encs)
    print(f"export: {path} ({os.path.getsize(path) >> 10} KiB), onnx vs torch max |diff| {diff:.2e}")
    if diff > TOLERANCE:
        sys.exit(f"export: ONNX disagrees with torch by {diff} > {TOLERANCE}")
    with open(os.path.join(args.model_dir, "golden.json"), "w", encoding="utf-8") as f:
        json.dump(golden(model, texts, encs), f, ensure_ascii=False, separators=(",", ":"))
    with open(os.path.join(args.model_dir, "labels.txt"), "w") as f:
        f.write("\n".join(labels) + "\n")
    name = os.path.basename(os.path.normpath(args.model_dir))
    with open(os.path.join(args.model_dir, "config.pbtxt"), "w") as f:
        f.write(config_pbtxt(name, labels, cfg.hidden_size))


if __name__ == "__main__":
    main()
