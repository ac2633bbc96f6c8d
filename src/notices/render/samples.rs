//! Sample facts of every notice kind, with fictitious data (an employer, its worksites, a
//! masked account): what [`super::render`] makes of each is what an employer would receive.
//! For previewing the notices and for the tests that read every kind — the unit tests
//! beside this module and the integration test that looks for internals in every notice
//! (`tests/it/web/readable.rs`). Must not know: the store's queries, the clock.

use mandates::{AccountKind, Amount, Channel, CollectionStatus, MandateStatus};

use super::RenderContext;
use crate::locale::NoticeLanguage;
use crate::store::{
    BreakdownLine, CollectionFacts, DisputeFacts, HandedOverDebit, MandateFacts, MandateRecord,
    NoticeFacts, NoticeKind, NoticeRecipient, NoticeSubject, PlanInstalment, PlanNoticeFacts,
    PlanStatus, ReplacedMandate, ShortfallFacts, SurchargeFacts, SurchargeKind,
    SurchargeNoticeFacts,
};

/// Every kind of notice, each about a sample subject that fits it, for `language`.
pub fn every_kind(language: NoticeLanguage) -> Vec<NoticeFacts> {
    NoticeKind::ALL
        .into_iter()
        .map(|kind| {
            let subject = match kind {
                NoticeKind::AdvanceNotice
                | NoticeKind::Receipt
                | NoticeKind::FailureNotice
                | NoticeKind::DebitCancelled => NoticeSubject::Collection(Box::new(collection())),
                NoticeKind::DisputeAcknowledged | NoticeKind::DisputeAnswered => {
                    NoticeSubject::Dispute(Box::new(dispute()))
                }
                NoticeKind::OverCeiling => NoticeSubject::Shortfall(Box::new(shortfall())),
                NoticeKind::SurchargeNotice | NoticeKind::ProvisionalAssessment => {
                    NoticeSubject::Surcharge(Box::new(surcharge()))
                }
                NoticeKind::PlanSet
                | NoticeKind::PlanRefused
                | NoticeKind::PlanBroken
                | NoticeKind::PlanCancelled
                | NoticeKind::PlanCompleted => {
                    NoticeSubject::Plan(Box::new(plan(PlanStatus::Active, None)))
                }
                _ => NoticeSubject::Mandate(Box::new(mandate())),
            };
            facts(kind, language, subject)
        })
        .collect()
}

/// A dispute opened on the day after a debit, not yet answered.
pub fn dispute() -> DisputeFacts {
    DisputeFacts {
        case_number: "RCL-2026-000017".to_owned(),
        collection_date: "2026-12-15".to_owned(),
        amount: a("13431.50"),
        opened_on: "2026-12-16".to_owned(),
        deadline: "2026-12-31".to_owned(),
        outcome: None,
        answer_fr: None,
        answer_ar: None,
    }
}

/// An amount from its decimal text (the samples' figures are valid).
pub(super) fn a(text: &str) -> Amount {
    Amount::parse(text).expect("a sample amount is written as valid decimal text")
}

/// A fictitious employer, reading `language`.
pub fn recipient(language: NoticeLanguage) -> NoticeRecipient {
    NoticeRecipient {
        employer_id: 7,
        affiliation_number: "16100001".to_owned(),
        name: "SARL Bâtiment <du Sud>".to_owned(),
        name_ar: Some("شركة البناء الجنوبية".to_owned()),
        email: "compta@example.dz".to_owned(),
        language,
    }
}

/// A planned debit of two worksites on a bank account (masked).
pub fn collection() -> CollectionFacts {
    let line = |code: &str, total: &str, pl: &str, bwe: &str, bww: &str| BreakdownLine {
        worksite_code: code.to_owned(),
        worksite_name: format!("Chantier {code}"),
        period: "2026-10".to_owned(),
        amount: a(total),
        paid_leave: a(pl),
        bad_weather_employer: a(bwe),
        bad_weather_employee: a(bww),
    };
    CollectionFacts {
        id: 3,
        employer_id: 7,
        collection_date: "2026-12-15".to_owned(),
        amount: a("13431.50"),
        attempt: 1,
        notice_version: 1,
        channel: Channel::Bank,
        status: CollectionStatus::Planned,
        reason_code: None,
        reason_category: None,
        settled_on: None,
        mandate_reference: "CACOBATPH-16100001-0001".to_owned(),
        bank_code: "004".to_owned(),
        bank_name: Some("CPA".to_owned()),
        account_masked: "****************0486".to_owned(),
        lines: vec![
            line("W1", "12210.00", "12210.00", "0.00", "0.00"),
            line("W2", "1221.50", "1000.00", "150.75", "70.75"),
        ],
        next_attempt: None,
        receipt_number: None,
    }
}

/// A notice of `kind` to [`recipient`] about `subject`.
pub fn facts(kind: NoticeKind, language: NoticeLanguage, subject: NoticeSubject) -> NoticeFacts {
    NoticeFacts {
        event_id: 11,
        kind,
        dedupe_key: format!("{}:3", kind.as_str()),
        recipient: recipient(language),
        subject,
    }
}

/// A deployment with a portal address and a reply-to address.
pub fn context() -> RenderContext {
    RenderContext {
        portal_url: Some("https://portail.example.dz".to_owned()),
        reply_to: Some("reclamations@example.dz".to_owned()),
        notice_days: 5,
    }
}

/// A postal mandate replacing a bank one, with a debit handed over and one not.
pub fn mandate() -> MandateFacts {
    MandateFacts {
        mandate: MandateRecord {
            id: 5,
            employer_id: 7,
            reference: "CACOBATPH-16100001-0002".to_owned(),
            status: MandateStatus::Active,
            status_reason: None,
            account_kind: AccountKind::Postal,
            bank_code: "007".to_owned(),
            bank_name: None,
            account_masked: "****************1244".to_owned(),
            ceiling: Some(a("500000.00")),
            signed_at: Some("2026-11-02T09:00:00Z".to_owned()),
            signed_by: Some("Gérant".to_owned()),
            signature_ip: None,
            signature_user_agent: None,
            consent_version: Some("2026-01".to_owned()),
            consent_text_sha256: None,
            consent_text: None,
            superseded_by: None,
            created_at: "2026-11-02T08:00:00Z".to_owned(),
            updated_at: "2026-11-02T09:00:00Z".to_owned(),
        },
        replaced: Some(ReplacedMandate {
            reference: "CACOBATPH-16100001-0001".to_owned(),
            account_masked: "****************0486".to_owned(),
            handed_over: vec![HandedOverDebit {
                collection_date: "2026-12-15".to_owned(),
                amount: a("13431.50"),
            }],
            not_handed_over: vec![HandedOverDebit {
                collection_date: "2026-12-03".to_owned(),
                amount: a("2500.00"),
            }],
        }),
        suspension_reason: None,
    }
}

/// A late-payment surcharge of the second month.
pub fn surcharge() -> SurchargeNoticeFacts {
    SurchargeNoticeFacts {
        amount: a("122.10"),
        accrued_on: "2027-02-01".to_owned(),
        facts: SurchargeFacts {
            kind: SurchargeKind::LatePayment,
            month: 2,
            base: a("12210.00"),
            rate_bp: 100,
            deadline: "2026-12-31".to_owned(),
            days_late: 32,
            period: "2026-10".to_owned(),
            rule_source: "loi 00-00 art. 0".to_owned(),
        },
    }
}

/// A plan of two instalments (the first paid), in `status`, ended for `reason`.
pub fn plan(status: PlanStatus, reason: Option<&str>) -> PlanNoticeFacts {
    let instalment = |number, due_on: &str, amount, paid| PlanInstalment {
        number,
        due_on: due_on.to_owned(),
        amount_centimes: amount,
        paid_centimes: paid,
        lines: 1,
    };
    PlanNoticeFacts {
        plan_id: 42,
        status,
        requested_on: "2026-12-01".to_owned(),
        started_on: Some("2026-12-10".to_owned()),
        ended_on: reason.map(|_| "2027-03-05".to_owned()),
        total: Some(a("18315.00")),
        end_reason: reason.map(str::to_owned),
        instalments: vec![
            instalment(1, "2027-01-20", 1_221_000, 1_221_000),
            instalment(2, "2027-02-17", 610_500, 0),
        ],
        grace_days: 15,
    }
}

/// A debit above the mandate's ceiling.
pub fn shortfall() -> ShortfallFacts {
    ShortfallFacts {
        collection_date: "2026-12-15".to_owned(),
        amount: a("150000.00"),
        ceiling: a("100000.00"),
        deadline: "2026-12-10".to_owned(),
        mandate_reference: "CACO-M-000042".to_owned(),
    }
}
