#!/usr/bin/env python3
"""Real-world corpus check: runs `tahsil files inspect --json` on every file of a folder
that has a `NAME.facts.json` beside it, and compares the answer with the facts.

    python3 bank-formats/corpus/check.py [--tahsil PATH] [--markdown] FOLDER

The files are third parties' (never committed here); the facts are written by hand
by whoever gathers them. Facts keys (all optional except where said):

    "source":      {"repo": "owner/name", "path": "...", "commit": "40 hex"}  (for the table)
    "error":       inspect must refuse the file, its message containing this text
    "format":      e.g. "camt.053.001.02" ("pain.002" for a file without a namespace)
    "message_id":  GrpHdr/MsgId
    "status", "original_message_id": pain.002's group status and OrgnlMsgId
    "transactions": how many transactions inspect shows
    "sum":         the sum of the amounts shown (decimal string, compared as a number)
    "statuses":    {"BOOK": 3, ...}: how many transactions have each status
    "reversals":   how many transactions are marked as returns/reversals (camt)
    "some":        [{"end_to_end_id": ..., "amount": ..., "status": ..., "reason": ...}]:
                   each must match one transaction shown on every key given
    "note":        free text, shown in the table

Each file read is also given to `tahsil files validate`, which must name the same format.
Exit status 0 when every file reads as its facts say, 1 otherwise, 2 on bad usage.
Standard library only.
"""
import argparse
import json
import re
import subprocess
import sys
from collections import Counter
from decimal import Decimal, InvalidOperation
from pathlib import Path


def number(text):
    try:
        return Decimal(text)
    except (InvalidOperation, TypeError):
        return None


def same(key, want, got):
    if key == "amount" and want is not None and got is not None:
        return number(want) == number(got)
    return want == got


def compare(facts, code, out, err):
    """The differences between the facts and what inspect answered (empty when none)."""
    diffs = []
    if "error" in facts:
        if code == 0:
            return [f"read, but the facts expect a refusal containing {facts['error']!r}"]
        if facts["error"] not in err:
            return [f"refused with {err.strip()!r}, expected {facts['error']!r}"]
        return []
    if code != 0:
        return [f"refused: {err.strip()}"]
    got = json.loads(out)
    txs = got.get("transactions", [])
    for key in ("format", "message_id", "status", "original_message_id"):
        if key in facts and facts[key] != got.get(key):
            diffs.append(f"{key}: {got.get(key)!r}, expected {facts[key]!r}")
    if "transactions" in facts and facts["transactions"] != len(txs):
        diffs.append(f"{len(txs)} transactions, expected {facts['transactions']}")
    if "sum" in facts:
        total = sum((number(t["amount"]) for t in txs if t.get("amount") is not None), Decimal(0))
        if total != number(facts["sum"]):
            diffs.append(f"sum {total}, expected {facts['sum']}")
    if "statuses" in facts:
        counts = dict(Counter(t.get("status") for t in txs if t.get("status") is not None))
        if counts != facts["statuses"]:
            diffs.append(f"statuses {counts}, expected {facts['statuses']}")
    if "reversals" in facts:
        n = sum(1 for t in txs if t.get("reversal"))
        if n != facts["reversals"]:
            diffs.append(f"{n} reversals, expected {facts['reversals']}")
    for wanted in facts.get("some", []):
        if not any(all(same(k, v, t.get(k)) for k, v in wanted.items()) for t in txs):
            diffs.append(f"no transaction {json.dumps(wanted)}")
    return diffs


def validate_agrees(tahsil, file, format_read):
    """`files validate` must name the format `inspect` read (its problems are not judged here:
    third parties' test files need not be valid)."""
    run = subprocess.run(
        [tahsil, "files", "validate", str(file)], capture_output=True, text=True, check=False
    )
    first = run.stdout.splitlines()[0] if run.stdout else ""
    said = re.search(r": (?:valid|\d+ problem\(s\) in) (\S+)$", first)
    if said is None or said.group(1) != format_read:
        return [f"validate says {first!r}, inspect read {format_read}"]
    return []


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--tahsil", default="tahsil", help="the tahsil binary (default: on PATH)")
    parser.add_argument("--markdown", action="store_true", help="print the README table")
    args = parser.parse_args()
    facts_files = sorted(args.folder.glob("*.facts.json"))
    if not facts_files:
        print(f"{args.folder}: no *.facts.json files", file=sys.stderr)
        return 2
    failures = 0
    rows = []
    for facts_path in facts_files:
        name = facts_path.name[: -len(".facts.json")]
        file = facts_path.with_name(name)
        facts = json.loads(facts_path.read_text(encoding="utf-8"))
        if not file.exists():
            diffs = [f"{file} is missing"]
        else:
            run = subprocess.run(
                [args.tahsil, "files", "inspect", "--json", str(file)],
                capture_output=True, text=True, check=False,
            )
            diffs = compare(facts, run.returncode, run.stdout, run.stderr)
            if run.returncode == 0 and "error" not in facts:
                diffs += validate_agrees(args.tahsil, file, json.loads(run.stdout)["format"])
        failures += bool(diffs)
        result = "read right" if not diffs else "; ".join(diffs)
        if args.markdown:
            src = facts.get("source", {})
            fmt = facts.get("format", "refused" if "error" in facts else "")
            note = f" ({facts['note']})" if facts.get("note") else ""
            rows.append(
                f"| {src.get('repo', '?')} | `{src.get('path', name)}` | "
                f"`{src.get('commit', '?')}` | {fmt} | {result}{note} |"
            )
        else:
            print(f"{'OK  ' if not diffs else 'DIFF'} {name}" + ("" if not diffs else f": {result}"))
    if args.markdown:
        print("| repository | path | commit | format | result |")
        print("| --- | --- | --- | --- | --- |")
        print("\n".join(rows))
    print(f"{len(facts_files) - failures} of {len(facts_files)} read as their facts say",
          file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
