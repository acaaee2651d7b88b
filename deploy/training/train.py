"""Trains the language-ID BERT on the dataset that dataset.py wrote.

Usage: train.py DATA OUT --tokenize CMD [--epochs N] [--threads T] [--seed S]

Texts are tokenized by CMD (the project's `infergate tokenize`, JSON lines in
and out), so training sees exactly the ids the gateway will send. Writes
OUT/model.pt (weights with int8 word embeddings, config, labels) and OUT/metrics.json (held-out test
accuracy per language, for strings of three words or more and shorter ones).
"""
import argparse
import collections
import json
import os
import random
import shlex
import subprocess
import sys
import time

import torch

import bert
import clean


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def tokenize(cmd, texts):
    """Returns the ids of each text, as `cmd` (JSON lines in and out) gives them."""
    payload = "".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in texts)
    res = subprocess.run(shlex.split(cmd), input=payload.encode("utf-8"), capture_output=True)
    if res.returncode != 0:
        sys.exit(f"train: tokenizer failed ({res.returncode}): {res.stderr.decode()[-2000:]}")
    lines = res.stdout.decode("utf-8").splitlines()
    if len(lines) != len(texts):
        sys.exit(f"train: tokenizer gave {len(lines)} lines for {len(texts)} texts")
    out = []
    for line in lines:
        enc = json.loads(line)
        out.append((enc["ids"], enc["type_ids"]))
    return out


def batches(rows, size, rng, shuffle=True):
    """Yields lists of row indices of similar length, to waste little padding."""
    idx = list(range(len(rows)))
    if shuffle:
        rng.shuffle(idx)
    chunk = size * 50
    out = []
    for i in range(0, len(idx), chunk):
        part = sorted(idx[i:i + chunk], key=lambda j: len(rows[j][0]))
        out.extend(part[k:k + size] for k in range(0, len(part), size))
    if shuffle:
        rng.shuffle(out)
    return out


def tensors(rows, sel):
    """Pads rows[sel] into int64 input_ids, attention_mask, token_type_ids."""
    n = max(len(rows[j][0]) for j in sel)
    ids = torch.zeros(len(sel), n, dtype=torch.int64)
    mask = torch.zeros(len(sel), n, dtype=torch.int64)
    types = torch.zeros(len(sel), n, dtype=torch.int64)
    for r, j in enumerate(sel):
        a, t = rows[j]
        ids[r, :len(a)] = torch.tensor(a)
        mask[r, :len(a)] = 1
        types[r, :len(t)] = torch.tensor(t)
    return ids, mask, types


@torch.no_grad()
def predict(model, rows, size=256):
    model.eval()
    pred = [0] * len(rows)
    for sel in batches(rows, size, None, shuffle=False):
        logits, _ = model(*tensors(rows, sel))
        for j, p in zip(sel, logits.argmax(-1).tolist()):
            pred[j] = p
    return pred


def report(texts, gold, pred, labels):
    """Accuracy per language, overall and split by length (3+ words or fewer)."""
    acc = collections.defaultdict(lambda: [0, 0])
    for t, g, p in zip(texts, gold, pred):
        bucket = "long" if clean.words(t) >= 3 else "short"
        for k in ((labels[g], "all"), (labels[g], bucket), ("*", "all"), ("*", bucket)):
            acc[k][0] += g == p
            acc[k][1] += 1
    out = {}
    for lang in labels + ["*"]:
        out[lang] = {b: {"correct": acc[(lang, b)][0], "total": acc[(lang, b)][1],
                         "accuracy": acc[(lang, b)][0] / max(1, acc[(lang, b)][1])}
                     for b in ("all", "long", "short")}
    return out


def print_report(name, rep):
    print(f"{name}: lang  all     3+words  (n)     <3words  (n)")
    for lang, r in rep.items():
        print(f"{name}: {lang:4s}  {r['all']['accuracy']:.4f}  {r['long']['accuracy']:.4f}  "
              f"({r['long']['total']:4d})  {r['short']['accuracy']:.4f}  ({r['short']['total']:4d})")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("out")
    ap.add_argument("--tokenize", required=True, help="command: JSON lines {text} in, {ids,type_ids} out")
    ap.add_argument("--epochs", type=float, default=4)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--dropout", type=float, default=0.0,
                    help="hidden and attention dropout (the small model underfits: 0 trains best)")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--check", help="JSON lines {text, label} of everyday sentences, reported one by one")
    args = ap.parse_args()

    random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    with open(os.path.join(args.data, "labels.txt")) as f:
        labels = f.read().split()
    index = {l: i for i, l in enumerate(labels)}
    splits = {}
    for name in ("train", "validation", "test"):
        rows = read_jsonl(os.path.join(args.data, name + ".jsonl"))
        t0 = time.time()
        enc = tokenize(args.tokenize, [r["text"] for r in rows])
        print(f"train: tokenized {name}: {len(rows)} texts in {time.time() - t0:.1f}s", flush=True)
        splits[name] = ([r["text"] for r in rows], enc, [index[r["label"]] for r in rows])

    cfg = bert.Config(num_labels=len(labels), hidden_dropout_prob=args.dropout,
                      attention_probs_dropout_prob=args.dropout)
    model = bert.BertForSequenceClassification(cfg)
    _, train_rows, train_gold = splits["train"]
    gold = torch.tensor(train_gold)
    rng = random.Random(args.seed)
    steps_per_epoch = (len(train_rows) + args.batch - 1) // args.batch
    total = int(steps_per_epoch * args.epochs)
    warmup = max(1, total // 20)
    # The word embeddings are 90% of the weights but a batch touches few rows:
    # sparse gradients and SparseAdam update only those, several times faster.
    emb = model.bert.embeddings.word_embeddings
    emb.sparse = True
    dense = [p for p in model.parameters() if p is not emb.weight]
    lr_at = lambda s: min((s + 1) / warmup, max(0.0, (total - s) / (total - warmup)))
    opts = [torch.optim.SparseAdam([emb.weight], lr=args.lr),
            torch.optim.AdamW(dense, lr=args.lr, weight_decay=0.01)]
    scheds = [torch.optim.lr_scheduler.LambdaLR(o, lr_at) for o in opts]
    step, t0 = 0, time.time()
    while step < total:
        model.train()
        for sel in batches(train_rows, args.batch, rng):
            if step >= total:
                break
            logits, _ = model(*tensors(train_rows, sel))
            loss = torch.nn.functional.cross_entropy(logits, gold[sel])
            for o in opts:
                o.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(dense, 1.0)
            for o, s in zip(opts, scheds):
                o.step()
                s.step()
            step += 1
            if step % 200 == 0 or step == total:
                print(f"train: step {step}/{total} loss {loss.item():.4f} {time.time() - t0:.0f}s", flush=True)
            if step % steps_per_epoch == 0 or step == total:
                texts, rows, g = splits["validation"]
                p = predict(model, rows)
                print(f"train: validation accuracy {sum(a == b for a, b in zip(g, p)) / len(g):.4f}", flush=True)
                model.train()

    # The shipped model has int8 word embeddings: measure that one.
    bert.quantize_embeddings(model)
    texts, rows, g = splits["test"]
    rep = report(texts, g, predict(model, rows), labels)
    print_report("test", rep)
    extra = {}
    prose_path = os.path.join(args.data, "test-prose.jsonl")
    if os.path.exists(prose_path):
        prose = read_jsonl(prose_path)
        p = predict(model, tokenize(args.tokenize, [r["text"] for r in prose]))
        extra["test_prose"] = report([r["text"] for r in prose], [index[r["label"]] for r in prose],
                                     p, labels)
        print_report("test-prose", extra["test_prose"])
    if args.check:
        check = read_jsonl(args.check)
        p = predict(model, tokenize(args.tokenize, [r["text"] for r in check]))
        rows = [{"text": r["text"], "label": r["label"], "predicted": labels[q]} for r, q in zip(check, p)]
        ok = sum(r["label"] == r["predicted"] for r in rows)
        for r in rows:
            print(f"check: {'ok  ' if r['label'] == r['predicted'] else 'MISS'} {r['label']} -> "
                  f"{r['predicted']}  {r['text']}")
        print(f"check: {ok}/{len(rows)} correct")
        extra["check"] = {"correct": ok, "total": len(rows), "rows": rows}
    os.makedirs(args.out, exist_ok=True)
    torch.save({"config": cfg.__dict__, "labels": labels, "quantized": True,
                "state_dict": model.state_dict()}, os.path.join(args.out, "model.pt"))
    counts = {name: len(s[0]) for name, s in splits.items()}
    with open(os.path.join(args.out, "metrics.json"), "w") as f:
        json.dump({"test": rep, "examples": counts, "epochs": args.epochs, "steps": total,
                   "batch": args.batch, "lr": args.lr, "dropout": args.dropout, "threads": args.threads,
                   "seconds": round(time.time() - t0), **extra}, f, indent=1)


if __name__ == "__main__":
    main()
