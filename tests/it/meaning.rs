//! What a report's entries mean (issue 18, points 3–6 and 12), end to end on both
//! databases, on statements written for these tests (`tests/it/data/`): a DBIT booking of
//! our debit without reversal or return information is a return, never a settlement;
//! entries that are not collections are informational — kept, counted, never "unmatched"
//! exceptions — and the booked credits among them are kept for the ledger, once, with the
//! payer's data encrypted; a settlement is dated by its entry's booking date; 3-decimal
//! and non-DZD amounts do not refuse the statement, while a DZD amount of ours must be
//! exact to the centime; pending reversals are not applied.

use std::path::Path;

use chrono::NaiveDate;
use tahsil::cycle::CycleSettings;
use tahsil::cycle::import::{ImportOutcome, import_file};
use tahsil::cycle::run::run_date;
use tahsil::store::Store;

use crate::both_backends;
use crate::harness::fixtures::{PLANNED_DATE, actor, planned, scalar};
use crate::harness::{TestDb, settings};

fn collection_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(PLANNED_DATE.0, PLANNED_DATE.1, PLANNED_DATE.2).unwrap()
}

/// The day the statements are imported: after every date they carry.
fn import_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 20).unwrap()
}

fn data(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/it/data")
            .join(name),
    )
    .unwrap()
}

/// An incoming credit as kept: amount in centimes, as written, currency, booking day,
/// masked account.
type KeptCredit = (
    Option<i64>,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// Its personal fields: name, remittance and account encrypted, the account's index.
type Encrypted = (
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

fn decimal(centimes: i64) -> String {
    format!("{}.{:02}", centimes / 100, centimes % 100)
}

/// (id, EndToEndId, amount in centimes) of the submitted debits.
async fn submitted(store: &Store) -> Vec<(i64, String, i64)> {
    sqlx::query_as(
        "SELECT id, end_to_end_id, amount_centimes FROM collections WHERE status = 'submitted' ORDER BY id",
    )
    .fetch_all(store.pool())
    .await
    .unwrap()
}

/// `employers` employers' debits planned, then run into the banks' files: the debits
/// submitted (see [`submitted`]).
async fn submitted_after_run(
    store: &Store,
    settings: &CycleSettings,
    employers: u64,
) -> Vec<(i64, String, i64)> {
    planned(store, employers).await;
    run_date(store, settings, &actor(), collection_date(), "t")
        .await
        .unwrap();
    submitted(store).await
}

async fn text(store: &Store, sql: &str, id: i64) -> Option<String> {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .bind(id)
        .fetch_one(store.pool())
        .await
        .unwrap()
}

async fn import(store: &Store, settings: &CycleSettings, path: &Path) -> ImportOutcome {
    import_file(store, settings, &actor(), path, None, import_day())
        .await
        .unwrap()
}

both_backends!(
    a_full_statement_is_read_for_what_each_entry_means,
    |db: TestDb| async move {
        let store = db.store().await;
        let exchange = tempfile::tempdir().unwrap();
        let settings = settings(exchange.path(), 1000);
        let debits = submitted_after_run(&store, &settings, 6).await;
        let [a, b, c, d, ..] = &debits[..] else {
            panic!("four debits submitted: {debits:?}")
        };
        let statement = data("camt053_meaning.xml")
            .replace("{AMT_D_INEXACT}", &format!("{}5", decimal(d.2)))
            .replace("{AMT_A}", &decimal(a.2))
            .replace("{AMT_B}", &decimal(b.2))
            .replace("{AMT_C}", &decimal(c.2))
            .replace("{A}", &a.1)
            .replace("{B}", &b.1)
            .replace("{C}", &c.1)
            .replace("{D}", &d.1)
            .replace("{CREDITOR}", &settings.creditor.id);
        let path = exchange.path().join("statement.xml");
        std::fs::write(&path, &statement).unwrap();

        let outcome = import(&store, &settings, &path).await;
        let ImportOutcome::Applied { summary, .. } = &outcome else {
            panic!("{outcome:?}")
        };
        // Item by item (the file's comments say why): what it did and why.
        let expected: [(&str, &str, Option<&str>); 12] = [
            ("settle", "applied", None),
            ("return", "applied", Some("refund_claim")),
            ("settle", "applied", None),
            ("info", "info", Some("pending")),
            ("settle", "amount_mismatch", Some("inexact_amount")),
            ("info", "info", Some("other_transaction")),
            ("info", "info", Some("other_transaction")),
            ("info", "info", Some("foreign_currency")),
            ("info", "info", Some("other_creditor")),
            ("info", "info", Some("unlinked")),
            ("info", "info", Some("pending")),
            ("info", "conflict", Some("reversed_debit")),
        ];
        let items: Vec<(String, String, Option<String>)> = sqlx::query_as(
            "SELECT effect, outcome, meaning FROM report_items WHERE report_id = $1 ORDER BY item",
        )
        .bind(summary.report_id)
        .fetch_all(store.pool())
        .await
        .unwrap();
        let items: Vec<(&str, &str, Option<&str>)> = items
            .iter()
            .map(|(e, o, m)| (e.as_str(), o.as_str(), m.as_deref()))
            .collect();
        assert_eq!(items, expected);
        assert_eq!(
            (summary.settled, summary.returned, summary.informational),
            (2, 1, 7),
            "{summary:?}"
        );
        assert_eq!(summary.incoming_credits, 3, "{summary:?}");

        // 3. The DBIT of B is a return for staff; A and C settle.
        let status = |id: i64| {
            let store = &store;
            async move {
                text(store, "SELECT status FROM collections WHERE id = $1", id)
                    .await
                    .unwrap()
            }
        };
        assert_eq!(status(a.0).await, "settled");
        assert_eq!(status(b.0).await, "returned");
        // 12. C's pending reversal is not applied.
        assert_eq!(status(c.0).await, "settled");
        // 6. D's amount is not exact to the centime: untouched, for staff.
        assert_eq!(status(d.0).await, "submitted");
        // 4. Exceptions only for what staff must see: B's claim, D's amount, the reversal
        // credited on A (A stays settled); none of the seven entries that are not
        // collections.
        let exceptions: Vec<(String, Option<i64>)> =
            sqlx::query_as("SELECT kind, collection_id FROM exceptions ORDER BY item")
                .fetch_all(store.pool())
                .await
                .unwrap();
        assert_eq!(
            exceptions,
            [
                ("needs_staff".to_owned(), Some(b.0)),
                ("amount_mismatch".to_owned(), Some(d.0)),
                ("conflict".to_owned(), Some(a.0)),
            ]
        );
        assert_eq!(summary.exceptions, 3);

        // 5. Settled on the entry's booking date, not the value date or the import day; a
        // booking date-time is taken in Algiers.
        let settled_on = |id: i64| {
            text(
                &store,
                "SELECT settled_on FROM collections WHERE id = $1",
                id,
            )
        };
        assert_eq!(settled_on(a.0).await.as_deref(), Some("2026-12-16"));
        assert_eq!(settled_on(c.0).await.as_deref(), Some("2026-12-17"));

        // 4. The booked credits that are not ours are kept: the transfer, the KWD credit
        // (as written, no centimes), the cash deposit; the payer's data encrypted.
        let credits: Vec<KeptCredit> = sqlx::query_as(
            "SELECT amount_centimes, amount_text, currency, booked_on, debtor_account_masked \
                 FROM incoming_credits ORDER BY item",
        )
        .fetch_all(store.pool())
        .await
        .unwrap();
        assert_eq!(
            credits,
            [
                (
                    Some(2_500_000),
                    "25000.00".to_owned(),
                    Some("DZD".to_owned()),
                    Some("2026-12-16".to_owned()),
                    Some("****************6789".to_owned())
                ),
                (
                    None,
                    "12.345".to_owned(),
                    Some("KWD".to_owned()),
                    Some("2026-12-16".to_owned()),
                    None
                ),
                (
                    Some(420_050),
                    "4200.50".to_owned(),
                    Some("DZD".to_owned()),
                    Some("2026-12-16".to_owned()),
                    None
                ),
            ]
        );
        let stored: Vec<Encrypted> = sqlx::query_as(
            "SELECT debtor_name_encrypted, remittance_encrypted, debtor_account_encrypted, \
                 debtor_account_index FROM incoming_credits ORDER BY item",
        )
        .fetch_all(store.pool())
        .await
        .unwrap();
        let (name, remittance, account, index) = &stored[0];
        for clear in ["Sahel", "novembre", "16-000123", "00799999000123456789"] {
            for kept in [name, remittance, account, index] {
                let kept = kept.as_deref().unwrap();
                assert!(!kept.contains(clear), "{clear:?} is not kept in clear");
            }
        }
        assert_eq!(index.as_deref().map(str::len), Some(64), "a keyed index");
        assert!(
            stored[2].1.is_some(),
            "the cash deposit's entry information"
        );

        // The reports page counts them.
        let overview = store.report_overviews(0, 10).await.unwrap();
        assert_eq!(
            (
                overview[0].informational,
                overview[0].incoming_credits,
                overview[0].unmatched
            ),
            (7, 3, 0)
        );

        // The same statement again changes nothing.
        let again = import(&store, &settings, &path).await;
        assert!(
            matches!(again, ImportOutcome::AlreadyImported { .. }),
            "{again:?}"
        );
        // An intraday report of nothing but credits that are not collections is recorded,
        // not quarantined; the transfer it reports again is kept once.
        let intraday = exchange.path().join("intraday.xml");
        std::fs::write(&intraday, data("camt052_intraday_credits.xml")).unwrap();
        let outcome = import(&store, &settings, &intraday).await;
        let ImportOutcome::Applied { summary, .. } = &outcome else {
            panic!("{outcome:?}")
        };
        assert_eq!(
            (
                summary.informational,
                summary.incoming_credits,
                summary.exceptions
            ),
            (2, 1, 0),
            "{summary:?}"
        );
        assert_eq!(
            scalar(&store, "SELECT COUNT(*) FROM incoming_credits").await,
            4
        );
        // The payer's account is indexed as the accounts table keeps numbers (no spaces):
        // the same account written with spaces has the same index, so the ledger finds it.
        assert_eq!(
            scalar(
                &store,
                "SELECT COUNT(DISTINCT debtor_account_index) FROM incoming_credits \
                 WHERE debtor_account_index IS NOT NULL"
            )
            .await,
            1
        );
        assert_eq!(
            scalar(
                &store,
                "SELECT COUNT(*) FROM incoming_credits WHERE debtor_account_masked = '****************6789'"
            )
            .await,
            2
        );
        assert_eq!(
            scalar(&store, "SELECT COUNT(*) FROM exceptions").await,
            3,
            "no new exception"
        );
    }
);

// Streamed import (issue 19): a camt report is read as it streams by and its items go to
// the database `ITEM_CHUNK` at a time, in the report's one transaction.

/// A camt.053 crediting our debits `ours` around `transfers` transfers received (another
/// bank transaction family: informational, kept as incoming credits): the first of ours
/// first, the others after every transfer, so the report spans several chunks.
fn long_statement(ours: &[(i64, String, i64)], transfers: usize) -> String {
    let ours_entry = |(_, end_to_end_id, amount): &(i64, String, i64)| {
        format!(
            "<Ntry><Amt Ccy=\"DZD\">{}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>\
             <BookgDt><Dt>2026-12-16</Dt></BookgDt>\
             <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>IDDT</Cd><SubFmlyCd>ESDD</SubFmlyCd></Fmly></Domn></BkTxCd>\
             <NtryDtls><TxDtls><Refs><EndToEndId>{end_to_end_id}</EndToEndId></Refs></TxDtls></NtryDtls></Ntry>\n",
            decimal(*amount)
        )
    };
    let transfer = |n: usize| {
        format!(
            "<Ntry><Amt Ccy=\"DZD\">{}.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>\
             <BookgDt><Dt>2026-12-16</Dt></BookgDt><AcctSvcrRef>TRF-{n:06}</AcctSvcrRef>\
             <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>DMCT</SubFmlyCd></Fmly></Domn></BkTxCd></Ntry>\n",
            100 + n
        )
    };
    let mut text = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\"><BkToCstmrStmt>\n\
         <GrpHdr><MsgId>STMT-LONG-1</MsgId><CreDtTm>2026-12-17T06:00:00</CreDtTm></GrpHdr>\n\
         <Stmt><Id>STMT-LONG-1</Id><CreDtTm>2026-12-17T06:00:00</CreDtTm>\n",
    );
    text.push_str(&ours_entry(&ours[0]));
    (0..transfers).for_each(|n| text.push_str(&transfer(n)));
    ours[1..].iter().for_each(|o| text.push_str(&ours_entry(o)));
    text.push_str("</Stmt></BkToCstmrStmt></Document>\n");
    text
}

fn sha256_of(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

both_backends!(
    a_report_longer_than_a_chunk_is_applied_whole_and_once,
    |db: TestDb| async move {
        let store = db.store().await;
        let exchange = tempfile::tempdir().unwrap();
        let settings = settings(exchange.path(), 1000);
        let ours = submitted_after_run(&store, &settings, 3).await;
        assert!(ours.len() >= 2, "{ours:?}");
        let transfers = tahsil::store::ITEM_CHUNK + 10;
        let statement = long_statement(&ours, transfers);
        let path = exchange.path().join("long.xml");
        std::fs::write(&path, &statement).unwrap();
        let total = (transfers + ours.len()) as i64;

        let outcome = import(&store, &settings, &path).await;
        let ImportOutcome::Applied { summary, .. } = &outcome else {
            panic!("{outcome:?}")
        };
        assert_eq!(summary.items, total as u64);
        assert_eq!(summary.settled, ours.len() as u64, "{summary:?}");
        assert_eq!(
            (summary.informational, summary.incoming_credits),
            (transfers as u64, transfers as u64)
        );
        // Numbered 1..=total across the chunks, each once; ours where the file has them.
        let numbering: (i64, i64, i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), COUNT(DISTINCT item), MIN(item), MAX(item) FROM report_items WHERE report_id = $1",
        )
        .bind(summary.report_id)
        .fetch_one(store.pool())
        .await
        .unwrap();
        assert_eq!(numbering, (total, total, 1, total));
        let applied: Vec<i64> = sqlx::query_scalar(
            "SELECT item FROM report_items WHERE report_id = $1 AND outcome = 'applied' ORDER BY item",
        )
        .bind(summary.report_id)
        .fetch_all(store.pool())
        .await
        .unwrap();
        let expected: Vec<i64> = std::iter::once(1)
            .chain((transfers as i64 + 2)..=total)
            .collect();
        assert_eq!(applied, expected);
        // Each transfer kept under its own item: the last one, in the last chunk, too.
        let kept = scalar(
            &store,
            "SELECT COUNT(*) FROM incoming_credits c JOIN report_items i \
             ON i.report_id = c.report_id AND i.item = c.item WHERE i.outcome = 'info'",
        )
        .await;
        assert_eq!(kept, transfers as i64);
        let last: Option<String> =
            sqlx::query_scalar("SELECT entry_key FROM incoming_credits WHERE item = $1")
                .bind(transfers as i64 + 1)
                .fetch_one(store.pool())
                .await
                .unwrap();
        assert_eq!(last, Some(format!("TRF-{:06}", transfers - 1)));
        // The report's row: its count, its message, the hash of the file's bytes.
        let row: (i64, Option<String>, String) =
            sqlx::query_as("SELECT items, message_id, sha256 FROM reports WHERE id = $1")
                .bind(summary.report_id)
                .fetch_one(store.pool())
                .await
                .unwrap();
        assert_eq!(
            row,
            (
                total,
                Some("STMT-LONG-1".to_owned()),
                sha256_of(statement.as_bytes())
            )
        );
        assert_eq!(
            scalar(
                &store,
                "SELECT COUNT(*) FROM collections WHERE status = 'submitted'"
            )
            .await,
            0
        );

        // The same bytes again: recognised once read, nothing applied twice.
        let again = import(&store, &settings, &path).await;
        let ImportOutcome::AlreadyImported { report_id, .. } = again else {
            panic!("{again:?}")
        };
        assert_eq!(report_id, summary.report_id);
        assert_eq!(scalar(&store, "SELECT COUNT(*) FROM reports").await, 1);
        assert_eq!(
            scalar(&store, "SELECT COUNT(*) FROM report_items").await,
            total
        );
        assert_eq!(
            scalar(&store, "SELECT COUNT(*) FROM incoming_credits").await,
            transfers as i64
        );
    }
);

both_backends!(
    a_report_unreadable_after_its_first_chunks_leaves_nothing,
    |db: TestDb| async move {
        let store = db.store().await;
        let exchange = tempfile::tempdir().unwrap();
        let settings = settings(exchange.path(), 1000);
        let ours = submitted_after_run(&store, &settings, 3).await;
        let statement = long_statement(&ours, 2 * tahsil::store::ITEM_CHUNK + 10);
        // Cut off in its last entry: thousands of items were recorded before the walker
        // finds the document broken.
        let cut = &statement[..statement.len() - 60];
        let path = exchange.path().join("cut.xml");
        std::fs::write(&path, cut).unwrap();

        let outcome = import(&store, &settings, &path).await;
        let ImportOutcome::Quarantined { error, .. } = &outcome else {
            panic!("{outcome:?}")
        };
        assert!(error.starts_with("cannot read it:"), "{error}");
        for table in ["reports", "report_items", "incoming_credits", "exceptions"] {
            assert_eq!(
                scalar(&store, &format!("SELECT COUNT(*) FROM {table}")).await,
                0,
                "{table}"
            );
        }
        assert_eq!(
            scalar(
                &store,
                "SELECT COUNT(*) FROM collections WHERE status = 'submitted'"
            )
            .await,
            ours.len() as i64
        );
        let kept: String = sqlx::query_scalar("SELECT sha256 FROM quarantined_files")
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(kept, sha256_of(cut.as_bytes()));
    }
);
