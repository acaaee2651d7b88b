"""Writes the accuracy table of train.py's metrics.json into the model card.

Usage: card.py METRICS README

Replaces what stands between the README's accuracy markers, so the numbers in
the card are always the ones the last recipe run measured.
"""
import json
import sys

BEGIN, END = "<!-- accuracy:begin -->", "<!-- accuracy:end -->"


def table(m):
    rows = ["| language | all | 3+ words | (n) | 1-2 words | (n) |",
            "|---|---:|---:|---:|---:|---:|"]
    for lang, r in m["test"].items():
        name = "**all**" if lang == "*" else lang
        rows.append(f"| {name} | {r['all']['accuracy']:.1%} | {r['long']['accuracy']:.1%} | "
                    f"{r['long']['total']} | {r['short']['accuracy']:.1%} | {r['short']['total']} |")
    ex = m["examples"]
    rows.append("")
    rows.append(f"Held-out test split: {ex['test']} strings (train {ex['train']}, validation "
                f"{ex['validation']}); {m['epochs']} epochs, {m['steps']} steps of batch "
                f"{m.get('batch', 64)} at learning rate {m.get('lr', 1e-3):g}, dropout "
                f"{m.get('dropout', 0.1):g}, {m['seconds']} s of "
                f"training on {m.get('threads', 1)} CPU thread(s) of a shared machine.")
    if "test_prose" in m:
        rows += ["", "Held-out description sentences (prose, not catalog strings; Romanian, Greek,",
                 "Indonesian, Turkish and Vietnamese have few translated descriptions, so few rows):", "",
                 "| language | all | 3+ words | (n) |", "|---|---:|---:|---:|"]
        for lang, r in m["test_prose"].items():
            name = "**all**" if lang == "*" else lang
            rows.append(f"| {name} | {r['all']['accuracy']:.1%} | {r['long']['accuracy']:.1%} | "
                        f"{r['long']['total']} |")
    if "check" in m:
        ck = m["check"]
        rows += ["", f"Everyday-sentence check set (`deploy/training/checkset.jsonl`, written before "
                 f"training): {ck['correct']}/{ck['total']} correct."]
        misses = [r for r in ck["rows"] if r["label"] != r["predicted"]]
        if misses:
            rows.append("Misses: " + "; ".join(f"\"{r['text']}\" ({r['label']}, read as {r['predicted']})"
                                               for r in misses) + ".")
    return "\n".join(rows)


def main():
    metrics, readme = sys.argv[1], sys.argv[2]
    with open(metrics) as f:
        m = json.load(f)
    with open(readme, encoding="utf-8") as f:
        text = f.read()
    if BEGIN not in text or END not in text:
        sys.exit(f"card: {readme} has no {BEGIN} ... {END} markers")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    with open(readme, "w", encoding="utf-8") as f:
        f.write(head + BEGIN + "\n" + table(m) + "\n" + END + tail)


if __name__ == "__main__":
    main()
