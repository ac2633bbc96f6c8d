//! What every fund must have done, read back at the end of a run from the database, the
//! files in the outboxes and the mailbox: every declaration line paid or owed once; every
//! debit in one file, on a business day, announced in time for no more than announced;
//! one e-mail per notice event; each day summarised once, no job failed. And the end
//! state of a run, to compare runs (one instance or two).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Days, NaiveDate, Utc};
use mandates::Amount;

use super::{Email, Fund, count_by};
use crate::harness::fixtures::scalar;

/// What a run of the scenario ended with, to compare runs.
#[derive(Debug, PartialEq, Eq)]
pub struct EndState {
    /// (affiliation, date, status, amount, attempt), sorted.
    pub collections: Vec<(String, String, String, i64, i64)>,
    /// (institution, collection date, debits, control sum), sorted.
    pub files: Vec<(String, String, i64, i64)>,
    /// Notice events sent, by kind.
    pub notices: BTreeMap<String, i64>,
    /// Reports imported, exceptions raised, mandates suspended.
    pub reports: i64,
    pub exceptions: i64,
    pub suspended: i64,
}

/// Every declaration line is paid or owed, once: in at most one live collection; paid
/// exactly when that collection settled; and the money settled is the sum of the lines
/// paid (each collection's amount the sum of its live lines).
pub async fn check_lines(fund: &Fund) {
    let store = &fund.store;
    let states: Vec<(i64, String, i64)> = sqlx::query_as(
        "SELECT s.declaration_line_id, s.state, l.total_centimes FROM declaration_line_states s \
         JOIN declaration_lines l ON l.id = s.declaration_line_id",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    let lines: i64 = scalar(store, "SELECT COUNT(*) FROM declaration_lines").await;
    assert_eq!(
        i64::try_from(states.len()).unwrap(),
        lines,
        "one state per line (never in two live collections)"
    );
    let by_state = count_by(&states, |(_, state, _)| state.clone());
    for state in by_state.keys() {
        assert!(
            ["paid", "scheduled", "unpaid", "submitted"].contains(&state.as_str()),
            "{by_state:?}"
        );
    }
    assert!(
        by_state.get("paid").copied().unwrap_or(0) > 0,
        "{by_state:?}"
    );
    assert!(
        by_state.get("unpaid").copied().unwrap_or(0) > 0,
        "returns and suspensions leave lines owed: {by_state:?}"
    );
    let paid: i64 = states
        .iter()
        .filter(|(_, state, _)| state == "paid")
        .map(|(_, _, total)| total)
        .sum();
    let settled = scalar(
        store,
        "SELECT CAST(COALESCE(SUM(amount_centimes), 0) AS BIGINT) FROM collections WHERE status = 'settled'",
    )
    .await;
    assert_eq!(paid, settled, "the money settled is the lines paid");
    let unequal = scalar(
        store,
        "SELECT COUNT(*) FROM collections c WHERE c.status IN ('planned', 'submitted', 'settled') \
         AND c.amount_centimes <> (SELECT COALESCE(SUM(cl.amount_centimes), 0) FROM collection_lines cl \
         WHERE cl.collection_id = c.id AND cl.live = 1)",
    )
    .await;
    assert_eq!(unequal, 0, "each live collection is the sum of its lines");
}

/// Every debit in every file: on a business day of the calendar as it ends, once, for a
/// collection that went into that one file, announced by an e-mail sent at least the
/// notice period before, for no more than the last advance notice of it announced.
/// Returns how many debits the files hold.
pub async fn check_debits(fund: &Fund) -> usize {
    let store = &fund.store;
    let calendar = store.calendar().await.unwrap();
    let notice_days = u64::from(fund.settings.policy.notice_days);
    let debits = fund.debits();
    let ids = count_by(&debits, |debit| debit.end_to_end_id.clone());
    assert!(
        ids.values().all(|n| *n == 1),
        "a debit in two files: {ids:?}"
    );
    let files: BTreeSet<&str> = debits.iter().map(|debit| debit.file.as_str()).collect();
    assert_eq!(
        i64::try_from(files.len()).unwrap(),
        scalar(store, "SELECT COUNT(*) FROM bank_files").await,
        "the outboxes hold the recorded files, each once"
    );
    assert_eq!(
        i64::try_from(debits.len()).unwrap(),
        scalar(
            store,
            "SELECT COUNT(*) FROM collections WHERE status NOT IN ('planned', 'cancelled')"
        )
        .await,
        "every collection filed is in a file"
    );
    let emails = fund.emails();
    let announced = advance_notices(fund, &emails).await;
    for debit in &debits {
        assert!(
            calendar.is_business_day(debit.collection_date),
            "{debit:?} on a closed day"
        );
        let (collection, date, amount): (i64, String, i64) = sqlx::query_as(
            "SELECT id, collection_date, amount_centimes FROM collections WHERE end_to_end_id = $1",
        )
        .bind(&debit.end_to_end_id)
        .fetch_one(store.pool())
        .await
        .unwrap();
        assert_eq!(
            (date, amount),
            (debit.collection_date.to_string(), debit.amount.centimes())
        );
        let Some((sent_on, announced)) = announced.get(&collection) else {
            panic!("{debit:?}: no advance notice received");
        };
        assert!(
            *sent_on + Days::new(notice_days) <= debit.collection_date,
            "{debit:?}: noticed on {sent_on} only"
        );
        assert!(
            debit.amount <= *announced,
            "{debit:?}: {announced} announced"
        );
    }
    debits.len()
}

/// Per collection, the last advance notice e-mail received about it: the day it was sent
/// (Algiers) and the amount it announced ("La CACOBATPH prélèvera 31 746,00 DA le …").
pub async fn advance_notices(fund: &Fund, emails: &[Email]) -> BTreeMap<i64, (NaiveDate, Amount)> {
    let events: BTreeMap<i64, (String, i64)> =
        sqlx::query_as::<_, (i64, String, i64)>("SELECT id, kind, subject_id FROM notice_events")
            .fetch_all(fund.store.pool())
            .await
            .unwrap()
            .into_iter()
            .map(|(id, kind, subject)| (id, (kind, subject)))
            .collect();
    // When it was sent (the instant, then the event), the day, the amount.
    type Sent = (chrono::DateTime<chrono::Utc>, i64);
    let mut last: BTreeMap<i64, (Sent, NaiveDate, Amount)> = BTreeMap::new();
    for email in emails {
        let (kind, collection) = &events[&email.event_id];
        if kind != "advance_notice" {
            continue;
        }
        let amount = email
            .text
            .split_once("prélèvera ")
            .and_then(|(_, rest)| rest.split_once("DA"))
            .map(|(amount, _)| {
                amount
                    .chars()
                    .filter(char::is_ascii_digit)
                    .collect::<String>()
            })
            .and_then(|digits| digits.parse::<i64>().ok())
            .map(Amount::from_centimes)
            .unwrap_or_else(|| panic!("no amount in the advance notice: {}", email.text));
        let day = mandates::today_in_algiers(email.date);
        // The last sent, and of two sent at the same instant the later event.
        let at = (email.date, email.event_id);
        if last.get(collection).is_none_or(|(seen, _, _)| *seen <= at) {
            last.insert(*collection, (at, day, amount));
        }
    }
    last.into_iter()
        .map(|(collection, (_, day, amount))| (collection, (day, amount)))
        .collect()
}

/// The e-mails received are the notice events sent, one each, counted by kind, each to its
/// employer; none is waiting or failed. Returns the count by kind.
pub async fn check_emails(fund: &Fund) -> BTreeMap<String, i64> {
    let store = &fund.store;
    let events: Vec<(i64, String, String)> =
        sqlx::query_as("SELECT id, kind, status FROM notice_events")
            .fetch_all(store.pool())
            .await
            .unwrap();
    let statuses = count_by(&events, |(_, _, status)| status.clone());
    assert_eq!(
        statuses.keys().collect::<Vec<_>>(),
        ["sent"],
        "{statuses:?}"
    );
    let emails = fund.emails();
    let received = count_by(&emails, |email| email.event_id);
    let twice: Vec<i64> = received
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(id, _)| *id)
        .collect();
    if !twice.is_empty() {
        let ids = twice
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        let rows: Vec<(i64, String, String, Option<String>)> =
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT id, dedupe_key, created_at, sent_at FROM notice_events WHERE id IN ({ids})"
            )))
            .fetch_all(store.pool())
            .await
            .unwrap();
        let dates: Vec<(i64, DateTime<Utc>)> = emails
            .iter()
            .filter(|email| twice.contains(&email.event_id))
            .map(|email| (email.event_id, email.date))
            .collect();
        panic!("e-mails sent twice: {rows:?}, sent at {dates:?}");
    }
    let kinds: BTreeMap<i64, String> = events
        .iter()
        .map(|(id, kind, _)| (*id, kind.clone()))
        .collect();
    let by_kind = count_by(&emails, |email| kinds[&email.event_id].clone());
    assert_eq!(by_kind, count_by(&events, |(_, kind, _)| kind.clone()));
    // Each went to its employer.
    let addresses: BTreeMap<i64, String> = sqlx::query_as(
        "SELECT n.id, e.email FROM notice_events n JOIN employers e ON e.id = n.employer_id",
    )
    .fetch_all(store.pool())
    .await
    .unwrap()
    .into_iter()
    .collect();
    for email in &emails {
        assert_eq!(email.to, addresses[&email.event_id]);
    }
    by_kind
}

/// Every day was summarised once, no job failed, and nothing was quarantined.
pub async fn check_days(fund: &Fund, first: NaiveDate, last: NaiveDate) {
    let store = &fund.store;
    let days = (last - first).num_days();
    assert_eq!(
        scalar(
            store,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'scheduler.day'"
        )
        .await,
        days + 1,
        "each day from the eve of {first} to the eve of {last} summarised once"
    );
    assert_eq!(
        scalar(
            store,
            "SELECT COUNT(*) FROM jobs WHERE status = 'failed' OR last_error IS NOT NULL"
        )
        .await,
        0
    );
    assert_eq!(
        scalar(store, "SELECT COUNT(*) FROM quarantined_files").await,
        0
    );
}

pub async fn end_state(fund: &Fund) -> EndState {
    let pool = fund.store.pool();
    let collections = sqlx::query_as(
        "SELECT e.affiliation_number, c.collection_date, c.status, c.amount_centimes, c.attempt \
         FROM collections c JOIN employers e ON e.id = c.employer_id \
         ORDER BY e.affiliation_number, c.collection_date, c.attempt",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let files = sqlx::query_as(
        "SELECT institution, collection_date, transactions, control_sum_centimes FROM bank_files \
         ORDER BY institution, collection_date, control_sum_centimes",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let notices = sqlx::query_as::<_, (String, i64)>(
        "SELECT kind, COUNT(*) FROM notice_events WHERE status = 'sent' GROUP BY kind",
    )
    .fetch_all(pool)
    .await
    .unwrap()
    .into_iter()
    .collect();
    EndState {
        collections,
        files,
        notices,
        reports: scalar(&fund.store, "SELECT COUNT(*) FROM reports").await,
        exceptions: scalar(&fund.store, "SELECT COUNT(*) FROM exceptions").await,
        suspended: scalar(
            &fund.store,
            "SELECT COUNT(*) FROM mandates WHERE status = 'suspended'",
        )
        .await,
    }
}
