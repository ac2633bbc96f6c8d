#!/usr/bin/env python3
"""Writes the small files `tests/iso_reading.rs` reads: each shows one shape real banks send
(no namespace, a prefix on every element, another encoding, NOTPROVIDED ids, amounts in
several places, a Swiss namespace). Written by hand for tahsil; no third-party file is copied.
Run from this folder: python3 make.py (the files are committed; this keeps them reviewable)."""

ISO = "urn:iso:std:iso:20022:tech:xsd:"


def pain002(ns_attr, msg_id, original_name, ids=("E2E-1", "E2E-2"), p=""):
    """A pain.002.001.03 rejecting two debits (AC01, MD06) of one payment block."""
    def el(name):
        return p + name
    txs = ""
    for n, (e2e, reason) in enumerate(zip(ids, ("AC01", "MD06")), start=1):
        e2e_xml = f"<{el('OrgnlEndToEndId')}>{e2e}</{el('OrgnlEndToEndId')}>" if e2e != "<empty/>" \
            else f"<{el('OrgnlEndToEndId')}/>"
        txs += (
            f"<{el('TxInfAndSts')}><{el('StsId')}>S{n}</{el('StsId')}>{e2e_xml}"
            f"<{el('TxSts')}>RJCT</{el('TxSts')}><{el('StsRsnInf')}><{el('Rsn')}><{el('Cd')}>{reason}</{el('Cd')}></{el('Rsn')}></{el('StsRsnInf')}>"
            f"<{el('OrgnlTxRef')}><{el('Amt')}><{el('InstdAmt')} Ccy=\"DZD\">{n}500.00</{el('InstdAmt')}></{el('Amt')}>"
            f"<{el('MndtRltdInf')}><{el('MndtId')}>MD-{n}</{el('MndtId')}></{el('MndtRltdInf')}></{el('OrgnlTxRef')}></{el('TxInfAndSts')}>\n"
        )
    return (
        f"<{el('Document')}{ns_attr}>\n<{el('CstmrPmtStsRpt')}>\n"
        f"<{el('GrpHdr')}><{el('MsgId')}>{msg_id}</{el('MsgId')}><{el('CreDtTm')}>2026-12-01T10:00:00</{el('CreDtTm')}></{el('GrpHdr')}>\n"
        f"<{el('OrgnlGrpInfAndSts')}><{el('OrgnlMsgId')}>TAHSIL-20261201-1</{el('OrgnlMsgId')}><{el('OrgnlMsgNmId')}>{original_name}</{el('OrgnlMsgNmId')}><{el('GrpSts')}>PART</{el('GrpSts')}></{el('OrgnlGrpInfAndSts')}>\n"
        f"<{el('OrgnlPmtInfAndSts')}><{el('OrgnlPmtInfId')}>PMT-1</{el('OrgnlPmtInfId')}><{el('PmtInfSts')}>PART</{el('PmtInfSts')}>\n"
        f"{txs}</{el('OrgnlPmtInfAndSts')}>\n</{el('CstmrPmtStsRpt')}>\n</{el('Document')}>\n"
    )


def declared(encoding, body):
    return f'<?xml version="1.0" encoding="{encoding}"?>\n' + body


def write(name, data):
    with open(name, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode("utf-8"))


# 1. No namespace: identified by CstmrPmtStsRpt, never by OrgnlMsgNmId.
write("pain002-no-namespace-answering-pain008.xml",
      declared("UTF-8", pain002("", "NO-NS-1", "pain.008.001.02")))
write("pain002-no-namespace-answering-pain001.xml",
      declared("UTF-8", pain002("", "NO-NS-2", "pain.001.001.03")))

# 2. Encodings: the same report, its message id in the file's own characters.
def encoded(encoding, msg_id, codec, bom=b"", declare=True):
    text = pain002(f' xmlns="{ISO}pain.002.001.03"', msg_id, "pain.008.001.02")
    if declare:
        text = declared(encoding, text)
    return bom + text.encode(codec)

write("pain002-iso-8859-1.xml", encoded("ISO-8859-1", "RÉPONSE-Çà-1", "latin-1"))
write("pain002-iso-8859-15.xml", encoded("ISO-8859-15", "RÉPONSE-€-1", "iso8859_15"))
write("pain002-windows-1252.xml", encoded("windows-1252", "RÉPONSE-‘Œ’-1", "cp1252"))
write("pain002-windows-1256.xml", encoded("windows-1256", "رد-البنك-1", "cp1256"))
write("pain002-utf-16le-bom.xml", encoded("UTF-16", "RÉPONSE-رد-1", "utf-16-le", b"\xff\xfe"))
write("pain002-utf-16be-bom.xml", encoded("UTF-16", "RÉPONSE-رد-1", "utf-16-be", b"\xfe\xff"))
write("pain002-utf-16le-no-bom.xml", encoded("UTF-16", "RÉPONSE-رد-1", "utf-16-le"))
# Broken: an unpaired surrogate (D800) where the second transaction's id starts.
good = encoded("UTF-16", "RÉPONSE-رد-1", "utf-16-le", b"\xff\xfe")
at = good.index("E2E-2".encode("utf-16-le"))
write("broken-utf-16le-unpaired-surrogate.xml", good[:at] + b"\x00\xd8" + good[at + 2:])
write("broken-unknown-encoding.xml", declared("X-TAHSIL-UNKNOWN", pain002("", "X", "pain.008.001.02")))

# 7. Every element prefixed (Java tools), and a camt.053 the same way.
write("pain002-ns2-prefixed.xml",
      declared("UTF-8", pain002(f' xmlns:ns2="{ISO}pain.002.001.03"', "NS2-1", "pain.008.001.02", p="ns2:")))

CAMT_ENTRY = """<Ntry><NtryRef>N{n}</NtryRef><Amt Ccy="DZD">{entry}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
<BookgDt><Dt>2026-12-02</Dt></BookgDt><ValDt><Dt>2026-12-02</Dt></ValDt><BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>IDDT</Cd><SubFmlyCd>ESDD</SubFmlyCd></Fmly></Domn></BkTxCd>
<NtryDtls><TxDtls><Refs><EndToEndId>{e2e}</EndToEndId><MndtId>{mndt}</MndtId></Refs>{amounts}</TxDtls></NtryDtls></Ntry>
"""


def camt053(ns_attr, msg_id, entries, p=""):
    body = (
        f"<Document{ns_attr}>\n<BkToCstmrStmt>\n<GrpHdr><MsgId>{msg_id}</MsgId><CreDtTm>2026-12-02T18:00:00</CreDtTm></GrpHdr>\n"
        "<Stmt><Id>STMT-1</Id><CreDtTm>2026-12-02T18:00:00</CreDtTm><Acct><Id><Othr><Id>00799999000123456789</Id></Othr></Id></Acct>\n"
        '<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="DZD">0.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-12-02</Dt></Dt></Bal>\n'
        f"{entries}</Stmt>\n</BkToCstmrStmt>\n</Document>\n"
    )
    if p:
        import re
        body = re.sub(r"<(/?)([A-Za-z])", lambda m: f"<{m.group(1)}{p}{m.group(2)}", body)
    return declared("UTF-8", body)

plain_entry = CAMT_ENTRY.format(n=1, entry="1500.00", e2e="E2E-1", mndt="MD-1", amounts="")
write("camt053-ns2-prefixed.xml",
      camt053(f' xmlns:ns2="{ISO}camt.053.001.02"', "STMT-NS2-1", plain_entry, p="ns2:"))
write("camt054-no-namespace.xml",
      declared("UTF-8", camt053("", "NTFCN-NO-NS", plain_entry).split("\n", 1)[1]
               .replace("BkToCstmrStmt", "BkToCstmrDbtCdtNtfctn").replace("<Stmt>", "<Ntfctn>").replace("</Stmt>", "</Ntfctn>")))

# 8. NOTPROVIDED and empty ids are absent.
write("pain002-notprovided-and-empty-ids.xml",
      declared("UTF-8", pain002(f' xmlns="{ISO}pain.002.001.03"', "NP-1", "pain.008.001.02",
                                ids=("NOTPROVIDED", "<empty/>"))))

# 9. camt amounts: TxDtls/Amt before AmtDtls/TxAmt before InstdAmt before the entry's Amt,
# whatever their order in the file; each with its currency. (A reader fixture: camt.053.001.04
# wants an Amt in every TxDtls, and these leave it out on purpose.)
amount_entries = "".join([
    # TxDtls/Amt, then (after it, as the schema orders them) AmtDtls: TxDtls/Amt wins.
    CAMT_ENTRY.format(n=1, entry="100.00", e2e="E2E-1", mndt="MD-1", amounts=
        '<Amt Ccy="DZD">100.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><AmtDtls><InstdAmt><Amt Ccy="EUR">9.00</Amt></InstdAmt><TxAmt><Amt Ccy="USD">8.00</Amt></TxAmt></AmtDtls>'),
    # TxAmt and InstdAmt: TxAmt wins.
    CAMT_ENTRY.format(n=2, entry="200.00", e2e="E2E-2", mndt="MD-2", amounts=
        '<AmtDtls><InstdAmt><Amt Ccy="EUR">7.00</Amt></InstdAmt><TxAmt><Amt Ccy="DZD">200.00</Amt></TxAmt></AmtDtls>'),
    # InstdAmt alone.
    CAMT_ENTRY.format(n=3, entry="300.00", e2e="E2E-3", mndt="MD-3", amounts=
        '<AmtDtls><InstdAmt><Amt Ccy="EUR">3.00</Amt></InstdAmt></AmtDtls>'),
    # Nothing in the transaction: the entry's (it is alone in its entry).
    CAMT_ENTRY.format(n=4, entry="400.00", e2e="E2E-4", mndt="NOTPROVIDED", amounts=""),
])
write("camt053-amount-precedence.xml",
      camt053(f' xmlns="{ISO}camt.053.001.04"', "STMT-AMT-1", amount_entries))

# 10. A Swiss (SIX) namespace: its own schema, which is not the ISO one.
write("pain002-six-ch02.xml",
      declared("UTF-8", pain002(' xmlns="http://www.six-interbank-clearing.com/de/pain.002.001.03.ch.02.xsd"',
                                "SIX-1", "pain.008.001.02")))


# The facts each file must read as (`files inspect --json`), written from the files above,
# not from tahsil's output; `error` names what the refusal must say instead.
import json

# 11. The first versions named the message element with its version (camt.052.001.01's
# BkToCstmrAcctRptV01, seen in a parser's real test data): known by its name without it.
write("camt052-v01-message-element.xml",
      declared("UTF-8", camt053(f' xmlns="{ISO}camt.052.001.01"', "RPT-V01-1", plain_entry).split("\n", 1)[1]
               .replace("BkToCstmrStmt", "BkToCstmrAcctRptV01").replace("<Stmt>", "<Rpt>").replace("</Stmt>", "</Rpt>")))


def report(fmt, msg_id, e2e=("E2E-1", "E2E-2")):
    return {
        "format": fmt, "message_id": msg_id, "status": "PART", "reason": None,
        "original_message_id": "TAHSIL-20261201-1",
        "payments": [{"payment_id": "PMT-1", "status": "PART", "reason": None}],
        "transactions": [
            {"end_to_end_id": e2e[0], "amount": "1500.00", "status": "RJCT", "reason": "AC01", "mandate_id": "MD-1"},
            {"end_to_end_id": e2e[1], "amount": "2500.00", "status": "RJCT", "reason": "MD06", "mandate_id": "MD-2"},
        ],
    }


def entry(e2e, amount, currency, mandate):
    return {"end_to_end_id": e2e, "amount": amount, "status": "BOOK", "reason": None,
            "reversal": False, "mandate_id": mandate, "currency": currency}


FACTS = {
    "pain002-no-namespace-answering-pain008.xml": report("pain.002", "NO-NS-1"),
    "pain002-no-namespace-answering-pain001.xml": report("pain.002", "NO-NS-2"),
    "pain002-iso-8859-1.xml": report("pain.002.001.03", "RÉPONSE-Çà-1"),
    "pain002-iso-8859-15.xml": report("pain.002.001.03", "RÉPONSE-€-1"),
    "pain002-windows-1252.xml": report("pain.002.001.03", "RÉPONSE-‘Œ’-1"),
    "pain002-windows-1256.xml": report("pain.002.001.03", "رد-البنك-1"),
    "pain002-utf-16le-bom.xml": report("pain.002.001.03", "RÉPONSE-رد-1"),
    "pain002-utf-16be-bom.xml": report("pain.002.001.03", "RÉPONSE-رد-1"),
    "pain002-utf-16le-no-bom.xml": report("pain.002.001.03", "RÉPONSE-رد-1"),
    "pain002-ns2-prefixed.xml": report("pain.002.001.03", "NS2-1"),
    "pain002-notprovided-and-empty-ids.xml": report("pain.002.001.03", "NP-1", (None, None)),
    "pain002-six-ch02.xml": report("pain.002.001.03", "SIX-1"),
    "camt053-ns2-prefixed.xml": {"format": "camt.053.001.02", "message_id": "STMT-NS2-1",
                                 "transactions": [entry("E2E-1", "1500.00", "DZD", "MD-1")]},
    "camt054-no-namespace.xml": {"format": "camt.054", "message_id": "NTFCN-NO-NS",
                                 "transactions": [entry("E2E-1", "1500.00", "DZD", "MD-1")]},
    "camt053-amount-precedence.xml": {"format": "camt.053.001.04", "message_id": "STMT-AMT-1",
                                      "transactions": [
                                          entry("E2E-1", "100.00", "DZD", "MD-1"),
                                          entry("E2E-2", "200.00", "DZD", "MD-2"),
                                          entry("E2E-3", "3.00", "EUR", "MD-3"),
                                          entry("E2E-4", "400.00", "DZD", None),
                                      ]},
    "camt052-v01-message-element.xml": {"format": "camt.052.001.01", "message_id": "RPT-V01-1",
                                        "transactions": [entry("E2E-1", "1500.00", "DZD", "MD-1")]},
    # The unpaired surrogate's two bytes: 2 (mark) + 2 × the characters before them.
    "broken-utf-16le-unpaired-surrogate.xml": {"error": f"byte {at} starts 2 byte(s) that are not UTF-16LE"},
    "broken-unknown-encoding.xml": {"error": "names the encoding \"X-TAHSIL-UNKNOWN\", which tahsil does not know"},
}
for name, facts in FACTS.items():
    with open(name.removesuffix(".xml") + ".facts.json", "w", encoding="utf-8") as f:
        json.dump(facts, f, ensure_ascii=False, indent=1)
        f.write("\n")
