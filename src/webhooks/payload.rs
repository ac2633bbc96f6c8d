//! The JSON body of a webhook, schema `tahsil.webhook.v1` (documented in the README,
//! "Webhooks"). Stable: fields are only ever added. The same for every attempt of a
//! delivery, so a receiver de-duplicates by `id` (the notice event).
//!
//! Amounts are given twice: a decimal string in dinars (`"1234.50"`, never a JSON number a
//! client could turn into a float) and an integer in centimes. Codes are the stable codes
//! of the API (`advance_notice`, `settled`, `insufficient_funds`…). No account number: its
//! masked form only; no person's name or e-mail address.

use mandates::Amount;
use serde_json::{Value, json};

use crate::store::{NoticeFacts, NoticeSubject};

/// The schema every body names in its `schema` field.
pub const SCHEMA_VERSION: &str = "tahsil.webhook.v1";

/// The body of the webhook for a notice: the event (its id, type and time), the
/// employer, and what the notice is about.
pub fn payload(facts: &NoticeFacts, created_at: &str) -> Value {
    json!({
        "schema": SCHEMA_VERSION,
        "id": facts.event_id,
        "type": facts.kind.as_str(),
        "created_at": created_at,
        "employer": {
            "id": facts.recipient.employer_id,
            "affiliation_number": facts.recipient.affiliation_number,
        },
        "data": data(&facts.subject),
    })
}

fn money(field: &str, amount: Amount, into: &mut serde_json::Map<String, Value>) {
    into.insert(field.to_owned(), Value::String(amount.to_string()));
    into.insert(format!("{field}_centimes"), Value::from(amount.centimes()));
}

fn object(value: Value) -> serde_json::Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => serde_json::Map::new(),
    }
}

fn data(subject: &NoticeSubject) -> Value {
    match subject {
        NoticeSubject::Collection(c) => {
            let mut out = object(json!({
                "object": "debit",
                "debit_id": c.id,
                "collection_date": c.collection_date,
                "attempt": c.attempt,
                "notice_version": c.notice_version,
                "channel": c.channel.as_str(),
                "status": c.status.as_str(),
                "reason_code": c.reason_code,
                "reason_category": c.reason_category.map(|r| r.as_str()),
                "settled_on": c.settled_on,
                "receipt_number": c.receipt_number,
                "mandate_reference": c.mandate_reference,
                "bank_code": c.bank_code,
                "account_masked": crate::locale::last4(&c.account_masked),
            }));
            money("amount", c.amount, &mut out);
            out.insert(
                "next_attempt".to_owned(),
                match &c.next_attempt {
                    Some(next) => {
                        let mut n = object(json!({
                            "debit_id": next.collection_id,
                            "collection_date": next.collection_date,
                        }));
                        money("amount", next.amount, &mut n);
                        Value::Object(n)
                    }
                    None => Value::Null,
                },
            );
            let lines: Vec<Value> = c
                .lines
                .iter()
                .map(|line| {
                    let mut l = object(json!({
                        "worksite_code": line.worksite_code,
                        "period": line.period,
                    }));
                    money("amount", line.amount, &mut l);
                    money("paid_leave", line.paid_leave, &mut l);
                    money("bad_weather_employer", line.bad_weather_employer, &mut l);
                    money("bad_weather_employee", line.bad_weather_employee, &mut l);
                    Value::Object(l)
                })
                .collect();
            out.insert("lines".to_owned(), Value::Array(lines));
            Value::Object(out)
        }
        NoticeSubject::Mandate(m) => {
            let mandate = &m.mandate;
            let mut out = object(json!({
                "object": "mandate",
                "mandate_id": mandate.id,
                "reference": mandate.reference,
                "status": mandate.status.as_str(),
                "account_kind": mandate.account_kind.as_str(),
                "bank_code": mandate.bank_code,
                "account_masked": crate::locale::last4(&mandate.account_masked),
                "signed_at": mandate.signed_at,
                "suspension_reason": m.suspension_reason.map(|r| r.as_str()),
                "replaced": m.replaced.as_ref().map(|r| json!({
                    "reference": r.reference,
                    "account_masked": crate::locale::last4(&r.account_masked),
                    "debits_handed_over": r.handed_over.iter().map(|d| {
                        let mut debit = object(json!({ "collection_date": d.collection_date }));
                        money("amount", d.amount, &mut debit);
                        Value::Object(debit)
                    }).collect::<Vec<_>>(),
                })),
            }));
            match mandate.ceiling {
                Some(ceiling) => money("ceiling", ceiling, &mut out),
                None => {
                    out.insert("ceiling".to_owned(), Value::Null);
                    out.insert("ceiling_centimes".to_owned(), Value::Null);
                }
            }
            Value::Object(out)
        }
        NoticeSubject::Dispute(d) => {
            let mut out = object(json!({
                "object": "dispute",
                "case_number": d.case_number,
                "collection_date": d.collection_date,
                "opened_on": d.opened_on,
                "deadline": d.deadline,
                "outcome": d.outcome.map(|o| o.as_str()),
            }));
            money("amount", d.amount, &mut out);
            Value::Object(out)
        }
        NoticeSubject::Shortfall(s) => {
            let mut out = object(json!({
                "object": "over_ceiling",
                "collection_date": s.collection_date,
                "deadline": s.deadline,
                "mandate_reference": s.mandate_reference,
            }));
            money("amount", s.amount, &mut out);
            money("ceiling", s.ceiling, &mut out);
            Value::Object(out)
        }
        NoticeSubject::Surcharge(s) => {
            let f = &s.facts;
            let mut out = object(json!({
                "object": "surcharge",
                "kind": f.kind.as_str(),
                "accrued_on": s.accrued_on,
                "period": f.period,
                "month_of_delay": f.month,
                "rate_basis_points": f.rate_bp,
                "deadline": f.deadline,
                "days_late": f.days_late,
                "rule_source": f.rule_source,
            }));
            money("amount", s.amount, &mut out);
            money("base", f.base, &mut out);
            Value::Object(out)
        }
        NoticeSubject::Plan(p) => {
            let mut out = object(json!({
                "object": "payment_plan",
                "plan_id": p.plan_id,
                "status": p.status.as_str(),
                "requested_on": p.requested_on,
                "started_on": p.started_on,
                "ended_on": p.ended_on,
                "end_reason": p.end_reason,
                "grace_days": p.grace_days,
            }));
            match p.total {
                Some(total) => money("total", total, &mut out),
                None => {
                    out.insert("total".to_owned(), Value::Null);
                    out.insert("total_centimes".to_owned(), Value::Null);
                }
            }
            let instalments: Vec<Value> = p
                .instalments
                .iter()
                .map(|i| {
                    let mut one = object(json!({ "number": i.number, "due_on": i.due_on }));
                    money("amount", Amount::from_centimes(i.amount_centimes), &mut one);
                    money("paid", Amount::from_centimes(i.paid_centimes), &mut one);
                    Value::Object(one)
                })
                .collect();
            out.insert("instalments".to_owned(), Value::Array(instalments));
            Value::Object(out)
        }
    }
}
