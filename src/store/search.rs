//! The console's one search box: whatever staff type — a debit's id or its end-to-end
//! reference, a mandate's reference, an e-mail address, an affiliation number or an
//! employer's name, the last digits of an account (or the whole number, found by its
//! blind index, never compared in clear) — and what it names, by kind. Accounts only
//! ever come back masked.
//!
//! Must not know: the page (`web::console::search`).

use mandates::{Amount, CollectionStatus, MandateStatus};
use sqlx::FromRow;

use super::{Employer, Role, Store, StoreResult, like_escaped};

/// Most hits of each kind.
pub const SEARCH_HITS_MAX: i64 = 25;

/// A debit found.
#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct DebitHit {
    pub id: i64,
    pub employer_id: i64,
    pub affiliation_number: String,
    pub collection_date: String,
    pub amount_centimes: i64,
    #[sqlx(try_from = "String")]
    pub status: CollectionStatus,
}

impl DebitHit {
    pub fn amount(&self) -> Amount {
        Amount::from_centimes(self.amount_centimes)
    }
}

/// A mandate found, its account masked.
#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct MandateHit {
    pub id: i64,
    pub employer_id: i64,
    pub affiliation_number: String,
    pub reference: String,
    #[sqlx(try_from = "String")]
    pub status: MandateStatus,
    /// All but the last 4 digits hidden.
    pub account_masked: String,
}

/// A user found by e-mail address.
#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct UserHit {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    #[sqlx(try_from = "String")]
    pub role: Role,
}

/// What a search found, by kind.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SearchHits {
    pub debits: Vec<DebitHit>,
    pub mandates: Vec<MandateHit>,
    pub employers: Vec<Employer>,
    pub users: Vec<UserHit>,
}

impl SearchHits {
    pub fn is_empty(&self) -> bool {
        self.debits.is_empty()
            && self.mandates.is_empty()
            && self.employers.is_empty()
            && self.users.is_empty()
    }
}

const DEBIT_COLUMNS: &str =
    "c.id, c.employer_id, e.affiliation_number, c.collection_date, c.amount_centimes, c.status";
const MANDATE_COLUMNS: &str =
    "m.id, m.employer_id, e.affiliation_number, m.reference, m.status, a.masked AS account_masked";

impl Store {
    /// Everything `query` names (see the module). An empty query finds nothing.
    pub async fn search_everything(&self, query: &str) -> StoreResult<SearchHits> {
        let query = query.trim();
        let mut hits = SearchHits::default();
        if query.is_empty() {
            return Ok(hits);
        }
        let digits = !query.is_empty() && query.bytes().all(|b| b.is_ascii_digit());
        // Debits: by id, or by the end-to-end reference the bank files carry.
        let id: Option<i64> = query.parse().ok();
        hits.debits = sqlx::query_as::<_, DebitHit>(sqlx::AssertSqlSafe(format!(
            "SELECT {DEBIT_COLUMNS} FROM collections c JOIN employers e ON e.id = c.employer_id \
             WHERE c.id = $1 OR c.end_to_end_id = $2 ORDER BY c.id LIMIT $3"
        )))
        .bind(id.unwrap_or(-1))
        .bind(query)
        .bind(SEARCH_HITS_MAX)
        .fetch_all(&self.pool)
        .await?;
        // Mandates: by reference (its beginning, any case), or by the account — its last
        // digits against the masked form, the whole number by its blind index.
        let reference = format!("{}%", like_escaped(&query.to_uppercase()));
        let last_digits = if digits && (2..=4).contains(&query.len()) {
            format!("%{query}")
        } else {
            String::new()
        };
        let index = if digits && query.len() >= 10 {
            self.cipher.blind_index(query)
        } else {
            String::new()
        };
        hits.mandates = sqlx::query_as::<_, MandateHit>(sqlx::AssertSqlSafe(format!(
            "SELECT {MANDATE_COLUMNS} FROM mandates m JOIN accounts a ON a.id = m.account_id \
             JOIN employers e ON e.id = m.employer_id \
             WHERE UPPER(m.reference) LIKE $1 ESCAPE '\\' OR ($2 <> '' AND a.masked LIKE $2) \
             OR ($3 <> '' AND a.number_index = $3) ORDER BY m.id DESC LIMIT $4"
        )))
        .bind(reference)
        .bind(last_digits)
        .bind(index)
        .bind(SEARCH_HITS_MAX)
        .fetch_all(&self.pool)
        .await?;
        // Employers: affiliation number or name (the employers list's search), or e-mail.
        let mut employers = self.search_employers(query, 0, SEARCH_HITS_MAX).await?;
        if query.contains('@') {
            let by_email = sqlx::query_as::<_, Employer>(
                "SELECT id, affiliation_number, name, name_ar, email, language, period_kind, created_at \
                 FROM employers WHERE LOWER(email) = $1 ORDER BY id LIMIT $2",
            )
            .bind(query.to_lowercase())
            .bind(SEARCH_HITS_MAX)
            .fetch_all(&self.pool)
            .await?;
            for employer in by_email {
                if !employers.iter().any(|e| e.id == employer.id) {
                    employers.push(employer);
                }
            }
            hits.users = sqlx::query_as::<_, UserHit>(
                "SELECT id, email, display_name, role FROM users WHERE LOWER(email) = $1 \
                 ORDER BY id LIMIT $2",
            )
            .bind(query.to_lowercase())
            .bind(SEARCH_HITS_MAX)
            .fetch_all(&self.pool)
            .await?;
        }
        hits.employers = employers;
        Ok(hits)
    }
}
