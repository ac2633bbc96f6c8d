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

/// Hits of each kind on one page of results.
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
    /// Masked (`AccountId::masked`).
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

/// How many of each kind a search found in all (its pages together).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SearchTotals {
    pub debits: i64,
    pub mandates: i64,
    pub employers: i64,
    pub users: i64,
}

impl SearchTotals {
    /// The pages a search has: enough for its most numerous kind (at least one).
    pub fn pages(&self) -> i64 {
        let most = self
            .debits
            .max(self.mandates)
            .max(self.employers)
            .max(self.users);
        ((most + SEARCH_HITS_MAX - 1) / SEARCH_HITS_MAX).max(1)
    }
}

/// What a search found, by kind: one page of each, and the totals.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SearchHits {
    pub debits: Vec<DebitHit>,
    pub mandates: Vec<MandateHit>,
    pub employers: Vec<Employer>,
    pub users: Vec<UserHit>,
    pub totals: SearchTotals,
}

impl SearchHits {
    pub fn is_empty(&self) -> bool {
        self.totals == SearchTotals::default()
    }
}

/// An argument of a search's statement.
enum Arg {
    Int(i64),
    Text(String),
}

const DEBIT_COLUMNS: &str =
    "c.id, c.employer_id, e.affiliation_number, c.collection_date, c.amount_centimes, c.status";
const MANDATE_COLUMNS: &str =
    "m.id, m.employer_id, e.affiliation_number, m.reference, m.status, a.masked AS account_masked";

const EMPLOYER_COLUMNS: &str =
    "id, affiliation_number, name, name_ar, email, language, period_kind, created_at";

impl Store {
    /// One kind's page of hits and how many there are in all: `SELECT {columns}
    /// {from_where} ORDER BY {order}` from `offset`, and its `COUNT(*)`, with the same
    /// arguments.
    async fn search_page<T>(
        &self,
        columns: &str,
        from_where: &str,
        order: &str,
        args: &[Arg],
        offset: i64,
    ) -> StoreResult<(Vec<T>, i64)>
    where
        T: for<'r> FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
    {
        let n = args.len();
        let mut rows = sqlx::query_as::<_, T>(sqlx::AssertSqlSafe(format!(
            "SELECT {columns} {from_where} ORDER BY {order} LIMIT ${} OFFSET ${}",
            n + 1,
            n + 2
        )));
        let mut count = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) {from_where}"
        )));
        for arg in args {
            (rows, count) = match arg {
                Arg::Int(value) => (rows.bind(*value), count.bind(*value)),
                Arg::Text(value) => (rows.bind(value.clone()), count.bind(value.clone())),
            };
        }
        let found = rows
            .bind(SEARCH_HITS_MAX)
            .bind(offset)
            .fetch_all(&self.pool)
            .await?;
        let total = count.fetch_one(&self.pool).await?;
        Ok((found, total))
    }

    /// Everything `query` names (see the module): page `page` (from 1) of each kind —
    /// [`SEARCH_HITS_MAX`] at most — and how many of each there are. An empty query finds
    /// nothing.
    pub async fn search_everything(&self, query: &str, page: i64) -> StoreResult<SearchHits> {
        let query = query.trim();
        let mut hits = SearchHits::default();
        if query.is_empty() {
            return Ok(hits);
        }
        let offset = (page.max(1) - 1).saturating_mul(SEARCH_HITS_MAX);
        let digits = query.bytes().all(|b| b.is_ascii_digit());
        let email = if query.contains('@') {
            query.to_lowercase()
        } else {
            String::new()
        };
        // Debits: by id, or by the end-to-end reference the bank files carry.
        let id: Option<i64> = query.parse().ok();
        (hits.debits, hits.totals.debits) = self
            .search_page(
                DEBIT_COLUMNS,
                "FROM collections c JOIN employers e ON e.id = c.employer_id \
                 WHERE c.id = $1 OR c.end_to_end_id = $2",
                "c.id",
                &[Arg::Int(id.unwrap_or(-1)), Arg::Text(query.to_owned())],
                offset,
            )
            .await?;
        // Mandates: by reference (its beginning, any case), or by the account — its last
        // digits against the masked form, the whole number by its blind index.
        let reference = format!("{}%", like_escaped(&query.to_uppercase()));
        let last_digits = if digits && (2..=4).contains(&query.len()) {
            format!("%{query}")
        } else {
            String::new()
        };
        // A postal account is masked as its CCP, of which it shows the last 2 digits.
        let ccp_digits = if digits && query.len() == 2 {
            format!("{}****{query} clé %", mandates::CCP_MASK_PREFIX)
        } else {
            String::new()
        };
        let index = if digits && query.len() >= 10 {
            self.cipher.blind_index(query)
        } else {
            String::new()
        };
        (hits.mandates, hits.totals.mandates) = self
            .search_page(
                MANDATE_COLUMNS,
                "FROM mandates m JOIN accounts a ON a.id = m.account_id \
                 JOIN employers e ON e.id = m.employer_id \
                 WHERE UPPER(m.reference) LIKE $1 ESCAPE '\\' OR ($2 <> '' AND a.masked LIKE $2) \
                 OR ($3 <> '' AND a.number_index = $3) OR ($4 <> '' AND a.masked LIKE $4)",
                "m.id DESC",
                &[
                    Arg::Text(reference),
                    Arg::Text(last_digits),
                    Arg::Text(index),
                    Arg::Text(ccp_digits),
                ],
                offset,
            )
            .await?;
        // Employers: affiliation number (its beginning) or name (the employers list's
        // search), or e-mail.
        (hits.employers, hits.totals.employers) = self
            .search_page(
                EMPLOYER_COLUMNS,
                "FROM employers WHERE affiliation_number LIKE $1 ESCAPE '\\' \
                 OR LOWER(name) LIKE $2 ESCAPE '\\' OR COALESCE(name_ar, '') LIKE $2 ESCAPE '\\' \
                 OR ($3 <> '' AND LOWER(email) = $3)",
                "id",
                &[
                    Arg::Text(format!("{}%", like_escaped(query))),
                    Arg::Text(format!("%{}%", like_escaped(&query.to_lowercase()))),
                    Arg::Text(email.clone()),
                ],
                offset,
            )
            .await?;
        // Users: by e-mail address.
        (hits.users, hits.totals.users) = self
            .search_page(
                "id, email, display_name, role",
                "FROM users WHERE $1 <> '' AND LOWER(email) = $1",
                "id",
                &[Arg::Text(email)],
                offset,
            )
            .await?;
        Ok(hits)
    }
}

#[cfg(test)]
mod tests {
    use super::{SEARCH_HITS_MAX, SearchTotals};

    #[test]
    fn a_search_has_the_pages_of_its_most_numerous_kind() {
        assert_eq!(SearchTotals::default().pages(), 1);
        let totals = SearchTotals {
            debits: 1,
            mandates: SEARCH_HITS_MAX + 1,
            employers: 3,
            users: 0,
        };
        assert_eq!(totals.pages(), 2);
        let exact = SearchTotals {
            employers: 2 * SEARCH_HITS_MAX,
            ..SearchTotals::default()
        };
        assert_eq!(exact.pages(), 2);
    }
}
