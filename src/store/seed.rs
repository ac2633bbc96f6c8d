//! Bulk generation of employers for demos and benchmarks (`tahsil seed`, `tahsil demo`):
//! multi-row inserts, one transaction per batch. Generated records are not audited one by
//! one; each batch leaves one audit entry saying what it created.

use mandates::{AccountId, Amount, LineBases, NoticeLanguage, Period, Scheme, compute_line};
use serde_json::json;

use super::{Actor, Bind, Store, StoreError, StoreResult, audit::Audit};

/// One generated employer with everything it needs to be collected.
#[derive(Clone, Debug)]
pub struct SeedEmployer {
    pub affiliation_number: String,
    pub name: String,
    pub name_ar: String,
    pub email: String,
    pub language: NoticeLanguage,
    pub account: AccountId,
    pub worksites: Vec<SeedWorksite>,
}

#[derive(Clone, Debug)]
pub struct SeedWorksite {
    pub code: String,
    pub name: String,
    pub wilaya: String,
    pub headcount: i64,
    pub wage_bill: Amount,
    pub bad_weather_base: Amount,
}

/// What a batch created.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SeedCounts {
    pub employers: u64,
    pub worksites: u64,
    pub declared: Amount,
}

/// A value to bind in a generated multi-row insert.
enum Value {
    Int(i64),
    Text(String),
    OptText(Option<String>),
}

/// Parameters per statement. Far below the engines' limits on purpose: sqlx's SQLite driver
/// resolves each `$N` by name, which costs quadratic time in the number of parameters
/// (measured: 29 % of a 2,500-employer seed went to `sqlite3_bind_parameter_name` at 12,000
/// parameters per statement).
const PARAMETERS_PER_STATEMENT: usize = 400;

/// `INSERT INTO table (cols) VALUES ($1, …), (…) RETURNING returning` for `rows` rows,
/// run in chunks; returns the RETURNING rows of every chunk.
async fn insert_rows<T>(
    conn: &mut sqlx::AnyConnection,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Value>>,
    returning: &str,
) -> StoreResult<Vec<T>>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
{
    let mut out = Vec::with_capacity(rows.len());
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let per_statement = (PARAMETERS_PER_STATEMENT / columns.len()).max(1);
        let chunk: Vec<Vec<Value>> = rows.by_ref().take(per_statement).collect();
        let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
        let mut n = 0;
        for (i, _) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            for c in 0..columns.len() {
                if c > 0 {
                    sql.push_str(", ");
                }
                n += 1;
                sql.push_str(&format!("${n}"));
            }
            sql.push(')');
        }
        sql.push_str(" RETURNING ");
        sql.push_str(returning);
        // Only table and column names from this module and numbered placeholders: no input.
        let mut query = sqlx::query_as::<_, T>(sqlx::AssertSqlSafe(sql));
        for value in chunk.into_iter().flatten() {
            query = match value {
                Value::Int(v) => query.bind(v),
                Value::Text(v) => query.bind(v),
                Value::OptText(v) => query.bind(v),
            };
        }
        out.extend(query.fetch_all(&mut *conn).await?);
    }
    Ok(out)
}

impl Store {
    /// Inserts a batch of generated employers — worksites, an active mandate on their
    /// account, and a submitted declaration for `period` — in one transaction.
    pub async fn seed_batch(
        &self,
        actor: &Actor,
        period: Period,
        batch: &[SeedEmployer],
    ) -> StoreResult<SeedCounts> {
        // The same checks as one employer created by the API: the address and the names
        // go into e-mail headers.
        for employer in batch {
            ::mandates::parse_email(&employer.email).map_err(|e| {
                StoreError::Invalid(format!(
                    "employer {}: email: {e}",
                    employer.affiliation_number
                ))
            })?;
            super::employers::header_text("name", &employer.name)?;
            super::employers::header_text("name_ar", &employer.name_ar)?;
        }
        let rates = self.rate_table().await?;
        let now = self.now_text();
        let mut tx = self.begin_write().await?;

        let employers: Vec<(i64, String)> = insert_rows(
            &mut tx,
            "employers",
            &[
                "affiliation_number",
                "name",
                "name_ar",
                "email",
                "language",
                "period_kind",
                "created_at",
            ],
            batch
                .iter()
                .map(|e| {
                    vec![
                        Value::Text(e.affiliation_number.clone()),
                        Value::Text(e.name.clone()),
                        Value::OptText(Some(e.name_ar.clone())),
                        Value::Text(e.email.clone()),
                        Value::Text(e.language.as_str().to_owned()),
                        Value::Text(period.kind().as_str().to_owned()),
                        Value::Text(now.clone()),
                    ]
                })
                .collect(),
            "id, affiliation_number",
        )
        .await
        .map_err(|e| match e {
            StoreError::Database(db)
                if db
                    .as_database_error()
                    .is_some_and(|d| d.is_unique_violation()) =>
            {
                StoreError::Conflict(
                    "some of these affiliation numbers already exist: seed a fresh database"
                        .to_owned(),
                )
            }
            other => other,
        })?;
        let employer_id: std::collections::HashMap<&str, i64> =
            employers.iter().map(|(id, a)| (a.as_str(), *id)).collect();
        let id_of = |e: &SeedEmployer| -> StoreResult<i64> {
            employer_id
                .get(e.affiliation_number.as_str())
                .copied()
                .ok_or_else(|| {
                    StoreError::Invalid(format!(
                        "employer {} was not created",
                        e.affiliation_number
                    ))
                })
        };

        let mut worksite_rows = Vec::new();
        let mut account_rows = Vec::new();
        for e in batch {
            let id = id_of(e)?;
            for w in &e.worksites {
                worksite_rows.push(vec![
                    Value::Int(id),
                    Value::Text(w.code.clone()),
                    Value::Text(w.name.clone()),
                    Value::OptText(Some(w.wilaya.clone())),
                    Value::Text(now.clone()),
                ]);
            }
            let digits = e.account.digits();
            account_rows.push(vec![
                Value::Int(id),
                Value::Text(e.account.kind().as_str().to_owned()),
                Value::Text(e.account.bank_code().to_owned()),
                Value::Text(self.cipher.encrypt(digits)),
                Value::Text(self.cipher.blind_index(digits)),
                Value::Text(e.account.masked()),
                Value::Text(now.clone()),
            ]);
        }
        let worksites: Vec<(i64, i64, String)> = insert_rows(
            &mut tx,
            "worksites",
            &["employer_id", "code", "name", "wilaya", "created_at"],
            worksite_rows,
            "id, employer_id, code",
        )
        .await?;
        let worksite_id: std::collections::HashMap<(i64, &str), i64> = worksites
            .iter()
            .map(|(id, e, c)| ((*e, c.as_str()), *id))
            .collect();
        let accounts: Vec<(i64, i64)> = insert_rows(
            &mut tx,
            "accounts",
            &[
                "employer_id",
                "kind",
                "bank_code",
                "number_encrypted",
                "number_index",
                "masked",
                "created_at",
            ],
            account_rows,
            "id, employer_id",
        )
        .await?;

        let affiliation_of: std::collections::HashMap<i64, &str> =
            employers.iter().map(|(id, a)| (*id, a.as_str())).collect();
        let mandate_rows = accounts
            .iter()
            .map(|(account, employer)| {
                let affiliation = affiliation_of.get(employer).copied().unwrap_or("0");
                vec![
                    Value::Int(*employer),
                    Value::Int(*account),
                    Value::Text(
                        mandates::MandateReference::generate(affiliation, 1)
                            .as_str()
                            .to_owned(),
                    ),
                    Value::Text("active".to_owned()),
                    Value::Text(now.clone()),
                    Value::Text("seed".to_owned()),
                    Value::Text("127.0.0.1".to_owned()),
                    Value::Text("tahsil seed".to_owned()),
                    Value::Text("seed".to_owned()),
                    Value::Text("0".repeat(64)),
                    Value::Text(now.clone()),
                    Value::Text(now.clone()),
                ]
            })
            .collect();
        let _mandates: Vec<(i64,)> = insert_rows(
            &mut tx,
            "mandates",
            &[
                "employer_id",
                "account_id",
                "reference",
                "status",
                "signed_at",
                "signed_by",
                "signature_ip",
                "signature_user_agent",
                "consent_version",
                "consent_text_sha256",
                "created_at",
                "updated_at",
            ],
            mandate_rows,
            "id",
        )
        .await?;

        let declarations: Vec<(i64, i64)> = insert_rows(
            &mut tx,
            "declarations",
            &[
                "employer_id",
                "period",
                "due_from",
                "status",
                "submitted_at",
                "created_at",
            ],
            employers
                .iter()
                .map(|(id, _)| {
                    vec![
                        Value::Int(*id),
                        Value::Text(period.to_string()),
                        Value::Text(period.next_start().to_string()),
                        Value::Text("submitted".to_owned()),
                        Value::Text(now.clone()),
                        Value::Text(now.clone()),
                    ]
                })
                .collect(),
            "id, employer_id",
        )
        .await?;
        let declaration_of: std::collections::HashMap<i64, i64> =
            declarations.iter().map(|(d, e)| (*e, *d)).collect();

        let mut line_rows = Vec::new();
        let mut declared = Amount::ZERO;
        for e in batch {
            let employer = id_of(e)?;
            let declaration = declaration_of[&employer];
            for w in &e.worksites {
                let amounts = compute_line(
                    &LineBases {
                        wage_bill: w.wage_bill,
                        bad_weather_base: w.bad_weather_base,
                    },
                    period.start(),
                    &rates,
                )
                .map_err(|err| StoreError::Invalid(err.to_string()))?;
                let part = |scheme| amounts.part(scheme).centimes();
                declared = declared
                    .checked_add(amounts.total)
                    .ok_or_else(|| StoreError::Invalid("declared total overflowed".to_owned()))?;
                line_rows.push(vec![
                    Value::Int(declaration),
                    Value::Int(worksite_id[&(employer, w.code.as_str())]),
                    Value::Int(w.headcount),
                    Value::Int(w.wage_bill.centimes()),
                    Value::Int(w.bad_weather_base.centimes()),
                    Value::Int(part(Scheme::PaidLeave)),
                    Value::Int(part(Scheme::BadWeatherEmployer)),
                    Value::Int(part(Scheme::BadWeatherEmployee)),
                    Value::Int(amounts.total.centimes()),
                    Value::Text("submitted".to_owned()),
                ]);
            }
        }
        let lines: Vec<(i64,)> = insert_rows(
            &mut tx,
            "declaration_lines",
            &[
                "declaration_id",
                "worksite_id",
                "headcount",
                "wage_bill_centimes",
                "bad_weather_base_centimes",
                "paid_leave_centimes",
                "bad_weather_employer_centimes",
                "bad_weather_employee_centimes",
                "total_centimes",
                "status",
            ],
            line_rows,
            "id",
        )
        .await?;

        // Their dues in the ledger, as a declaration submitted through the portal writes them.
        let first_declaration = declarations.iter().map(|(d, _)| *d).min().unwrap_or(0);
        let last_declaration = declarations.iter().map(|(d, _)| *d).max().unwrap_or(0);
        super::ledger::record_dues(
            &mut tx,
            "d.id >= $1 AND d.id <= $2",
            &[Bind::Int(first_declaration), Bind::Int(last_declaration)],
            &now,
        )
        .await?;
        let counts = SeedCounts {
            employers: employers.len() as u64,
            worksites: lines.len() as u64,
            declared,
        };
        let first = employers.iter().map(|(id, _)| *id).min().unwrap_or(0);
        Audit::new(actor, "seed.batch")
            .on("employer", first)
            .detail(json!({
                "employers": counts.employers,
                "worksites": counts.worksites,
                "period": period.to_string(),
                "declared": declared.to_string(),
            }))
            .record(&mut tx, &now)
            .await?;
        tx.commit().await?;
        Ok(counts)
    }
}
