//! The notices as their readers get them: subjects, both languages, breakdowns, masked
//! accounts, each kind.

use mandates::CollectionStatus;

use super::samples::{
    a, collection, context, every_kind, facts, mandate, plan, shortfall, surcharge,
};
use super::*;
use crate::store::{NextAttempt, NoticeSubject};

/// [`super::render`], the Arabic text's isolates (U+2066 … U+2069) taken out so that the
/// tests below read the words; [`arabic_text_isolates_its_latin_and_digit_runs`] checks
/// that they are there.
fn render(facts: &NoticeFacts, context: &RenderContext) -> anyhow::Result<RenderedNotice> {
    let mut notice = super::render(facts, context)?;
    notice.text = notice.text.replace([locale::LRI, locale::PDI], "");
    Ok(notice)
}

#[test]
fn arabic_text_isolates_its_latin_and_digit_runs() {
    let notice = super::render(
        &facts(
            NoticeKind::AdvanceNotice,
            NoticeLanguage::Both,
            NoticeSubject::Collection(Box::new(collection())),
        ),
        &context(),
    )
    .unwrap();
    let (l, p) = (locale::LRI, locale::PDI);
    let (ar, fr) = notice.text.split_once("----------").unwrap();
    assert!(!fr.contains(l), "the French text needs none: {fr}");
    assert!(
        ar.contains(&format!("{l}13\u{a0}431,50{p}\u{a0}د.ج"))
            && ar.contains(&format!("{l}15/12/2026{p}"))
            && ar.contains(&format!("{l}****0486{p}")),
        "{ar}"
    );
    assert_eq!(ar.matches(l).count(), ar.matches(p).count());
}

#[test]
fn an_advance_notice_in_both_languages_has_the_breakdown_and_a_masked_account() {
    let notice = render(
        &facts(
            NoticeKind::AdvanceNotice,
            NoticeLanguage::Both,
            NoticeSubject::Collection(Box::new(collection())),
        ),
        &context(),
    )
    .unwrap();
    assert_eq!(notice.language, NoticeLanguage::Both);
    assert!(
        notice.subject.contains("Avis de prélèvement") && notice.subject.contains("إشعار مسبق"),
        "{}",
        notice.subject
    );
    for body in [&notice.text, &notice.html] {
        assert!(body.contains("13\u{a0}431,50\u{a0}DA"), "{body}");
        assert!(body.contains("13\u{a0}431,50\u{a0}د.ج"), "{body}");
        assert!(body.contains("15/12/2026"));
        assert!(body.contains("14/12/2026"), "contest before the day before");
        assert!(body.contains("****0486"));
        assert!(body.contains("W1") && body.contains("Chantier W2"));
        assert!(body.contains("12\u{a0}210,00\u{a0}DA"));
        assert!(body.contains("1\u{a0}221,50\u{a0}DA"));
        // Per scheme: paid leave 13,210.00; bad weather 150.75 + 70.75.
        assert!(body.contains("Congés payés") && body.contains("13\u{a0}210,00"));
        assert!(body.contains("150,75") && body.contains("70,75"));
        assert!(body.contains("العطل المدفوعة الأجر"));
    }
    assert!(notice.html.contains(r#"<div dir="rtl" lang="ar""#));
    assert!(notice.html.contains(r#"<div dir="ltr" lang="fr""#));
    // Names are escaped in HTML, not in text.
    assert!(
        notice.html.contains("SARL Bâtiment &#60;du Sud&#62;")
            || notice.html.contains("SARL Bâtiment &lt;du Sud&gt;"),
        "{}",
        notice.html
    );
    assert!(notice.text.contains("SARL Bâtiment <du Sud>"));
    assert!(notice.text.contains("https://portail.example.dz"));
}

#[test]
fn one_language_only_when_the_employer_chose_one() {
    let fr = render(
        &facts(
            NoticeKind::AdvanceNotice,
            NoticeLanguage::Fr,
            NoticeSubject::Collection(Box::new(collection())),
        ),
        &context(),
    )
    .unwrap();
    assert!(fr.text.contains("DA") && !fr.text.contains("د.ج"));
    assert!(!fr.html.contains(r#"lang="ar""#));
    let ar = render(
        &facts(
            NoticeKind::AdvanceNotice,
            NoticeLanguage::Ar,
            NoticeSubject::Collection(Box::new(collection())),
        ),
        &context(),
    )
    .unwrap();
    assert!(ar.text.contains("د.ج") && !ar.text.contains("Avis"));
    assert!(
        ar.html.contains(r#"<html lang="ar" dir="rtl">"#),
        "{}",
        ar.html
    );
    assert!(ar.text.contains("شركة البناء الجنوبية"));
}

#[test]
fn a_failure_notice_gives_the_reason_the_next_attempt_and_the_consequence() {
    let mut c = collection();
    c.status = CollectionStatus::RetryPlanned;
    c.reason_code = Some("AM04".to_owned());
    c.reason_category = Some(ReasonCategory::InsufficientFunds);
    c.next_attempt = Some(NextAttempt {
        collection_id: 4,
        collection_date: "2026-12-22".to_owned(),
        amount: a("13431.50"),
    });
    let notice = render(
        &facts(
            NoticeKind::FailureNotice,
            NoticeLanguage::Both,
            NoticeSubject::Collection(Box::new(c.clone())),
        ),
        &context(),
    )
    .unwrap();
    assert!(
        notice
            .text
            .contains(ReasonCategory::InsufficientFunds.text_fr())
    );
    assert!(
        notice
            .text
            .contains(ReasonCategory::InsufficientFunds.text_ar())
    );
    assert!(notice.text.contains("22/12/2026"));
    assert!(notice.text.contains("majorations de retard"));
    assert!(notice.text.contains("زيادات التأخير"));
    // Without a retry: no date, another way to pay.
    c.next_attempt = None;
    c.reason_category = Some(ReasonCategory::AccountClosed);
    let notice = render(
        &facts(
            NoticeKind::FailureNotice,
            NoticeLanguage::Fr,
            NoticeSubject::Collection(Box::new(c)),
        ),
        &context(),
    )
    .unwrap();
    assert!(
        notice
            .text
            .contains(ReasonCategory::AccountClosed.text_fr())
    );
    assert!(notice.text.contains("Aucune nouvelle présentation"));
}

#[test]
fn a_receipt_carries_its_number() {
    let mut c = collection();
    c.status = CollectionStatus::Settled;
    c.settled_on = Some("2026-12-15".to_owned());
    c.receipt_number = Some("RC-2026-00000042".to_owned());
    let notice = render(
        &facts(
            NoticeKind::Receipt,
            NoticeLanguage::Both,
            NoticeSubject::Collection(Box::new(c)),
        ),
        &context(),
    )
    .unwrap();
    assert!(notice.subject.contains("RC-2026-00000042"));
    assert!(notice.text.matches("RC-2026-00000042").count() >= 2);
}

#[test]
fn every_mandate_notice_renders_in_both_languages() {
    for kind in [
        NoticeKind::MandateSigned,
        NoticeKind::MandateReplaced,
        NoticeKind::MandateRevoked,
        NoticeKind::MandateSuspended,
    ] {
        let notice = render(
            &facts(
                kind,
                NoticeLanguage::Both,
                NoticeSubject::Mandate(Box::new(mandate())),
            ),
            &context(),
        )
        .unwrap();
        assert!(
            notice.subject.contains("CACOBATPH-16100001-0002"),
            "{kind:?}"
        );
        assert!(
            notice.text.contains("****1244"),
            "{kind:?}: {}",
            notice.text
        );
        assert!(notice.html.contains(r#"lang="ar""#) && notice.html.contains(r#"lang="fr""#));
        if kind == NoticeKind::MandateReplaced {
            assert!(notice.text.contains("****0486") && notice.text.contains("0001"));
            // A debit too close to its date for a new notice is cancelled, and says so.
            assert!(
                notice.text.contains(
                    "Le prélèvement du 03/12/2026 (2\u{a0}500,00\u{a0}DA), annoncé sur l'ancien compte, est annulé"
                ) && notice.text.contains("أُلغي اقتطاع 03/12/2026 (2\u{a0}500,00\u{a0}د.ج)"),
                "{}",
                notice.text
            );
            // The debit announced on the old account follows the new one, and says so.
            assert!(
                notice.text.contains(
                    "Le prélèvement du 15/12/2026 (13\u{a0}431,50\u{a0}DA), déjà annoncé, sera présenté sur ce nouveau compte"
                ),
                "{}",
                notice.text
            );
            assert!(
                notice
                    .text
                    .contains("اقتطاع 15/12/2026 (13\u{a0}431,50\u{a0}د.ج)"),
                "{}",
                notice.text
            );
            assert!(notice.html.contains(
                "<span dir=\"ltr\">15/12/2026</span> (<span dir=\"ltr\">13\u{a0}431,50\u{a0}د.ج</span>)"
            ));
        } else {
            assert!(!notice.text.contains("15/12/2026"), "{kind:?}");
        }
        if kind == NoticeKind::MandateSigned {
            assert!(notice.text.contains("500\u{a0}000,00"));
        }
    }
}

#[test]
fn dispute_notices_carry_the_case_number_deadline_and_answer() {
    let dispute = DisputeFacts {
        case_number: "RCL-2026-000017".to_owned(),
        collection_date: "2026-12-15".to_owned(),
        amount: a("13431.50"),
        opened_on: "2026-12-16".to_owned(),
        deadline: "2026-12-31".to_owned(),
        outcome: Some(DisputeOutcome::Upheld),
        answer_fr: Some("Le chantier W2 était fermé en octobre.".to_owned()),
        answer_ar: Some("الورشة W2 كانت مغلقة في أكتوبر.".to_owned()),
    };
    for kind in [NoticeKind::DisputeAcknowledged, NoticeKind::DisputeAnswered] {
        let notice = render(
            &facts(
                kind,
                NoticeLanguage::Both,
                NoticeSubject::Dispute(Box::new(dispute.clone())),
            ),
            &context(),
        )
        .unwrap();
        assert!(notice.subject.contains("RCL-2026-000017"), "{kind:?}");
        if kind == NoticeKind::DisputeAcknowledged {
            assert!(notice.text.contains("31/12/2026"), "{}", notice.text);
        } else {
            assert!(
                notice
                    .text
                    .contains("Le chantier W2 était fermé en octobre.")
            );
            assert!(notice.text.contains("الورشة W2 كانت مغلقة في أكتوبر."));
        }
    }
}

#[test]
fn every_kind_has_a_subject_in_both_languages() {
    for facts in every_kind(NoticeLanguage::Both) {
        let kind = facts.kind;
        let notice = render(&facts, &context()).unwrap();
        let (ar, fr) = notice.subject.split_once(" / ").unwrap();
        assert!(
            ar.chars().any(|c| ('\u{600}'..='\u{6ff}').contains(&c)),
            "{kind:?}"
        );
        assert!(
            fr.is_ascii() || fr.chars().any(|c| c.is_alphabetic()),
            "{kind:?}"
        );
        assert!(!notice.text.contains("00400174401001050486"));
    }
}

#[test]
fn a_surcharge_notice_says_what_it_is_for_and_how_it_is_computed() {
    for (language, lang, words) in [
        (NoticeLanguage::Fr, Lang::Fr, "Retard de paiement, mois 2"),
        (NoticeLanguage::Ar, Lang::Ar, "تأخر في الدفع، الشهر 2"),
    ] {
        let subject = NoticeSubject::Surcharge(Box::new(surcharge()));
        let notice = render(
            &facts(NoticeKind::SurchargeNotice, language, subject),
            &context(),
        )
        .unwrap();
        let amount = money(a("122.10"), lang);
        let base = money(a("12210.00"), lang);
        for text in [&notice.text, &notice.html] {
            assert!(text.contains(&amount), "{lang:?}: {text}");
            assert!(text.contains(&base), "{lang:?}: {text}");
            assert!(text.contains(words), "{lang:?}: {text}");
            assert!(text.contains("1,00"), "{lang:?}: {text}");
            assert!(text.contains("32"), "{lang:?}: {text}");
            assert!(text.contains("loi 00-00 art. 0"), "{lang:?}: {text}");
            assert!(text.contains(&written_day_of("2026-12-31")), "{text}");
        }
        assert!(notice.subject.contains(&amount), "{}", notice.subject);
    }
}

#[test]
fn plan_notices_give_the_instalments_or_the_reason_in_both_languages() {
    use crate::store::PlanStatus;
    for (language, lang) in [
        (NoticeLanguage::Fr, Lang::Fr),
        (NoticeLanguage::Ar, Lang::Ar),
    ] {
        let first = money(a("12210.00"), lang);
        let second = money(a("6105.00"), lang);
        let render_kind = |kind, status, reason| {
            let subject = NoticeSubject::Plan(Box::new(plan(status, reason)));
            render(&facts(kind, language, subject), &context()).unwrap()
        };
        // Set: every instalment, its day and amount, and the total.
        let set = render_kind(NoticeKind::PlanSet, PlanStatus::Active, None);
        for text in [&set.text, &set.html] {
            for expected in [
                first.clone(),
                second.clone(),
                money(a("18315.00"), lang),
                written_day_of("2027-01-20"),
                written_day_of("2027-02-17"),
                "15".to_owned(),
            ] {
                assert!(text.contains(&expected), "{lang:?} {expected}: {text}");
            }
        }
        assert!(set.subject.contains("42"), "{}", set.subject);
        // Broken: the instalment unpaid, not the one paid.
        let broken = render_kind(
            NoticeKind::PlanBroken,
            PlanStatus::Broken,
            Some("instalment_missed"),
        );
        for text in [&broken.text, &broken.html] {
            assert!(text.contains(&second), "{lang:?}: {text}");
            assert!(text.contains(&written_day_of("2027-02-17")), "{text}");
            assert!(!text.contains(&written_day_of("2027-01-20")), "{text}");
            assert!(text.contains(&written_day_of("2027-03-05")), "{text}");
            assert!(!text.contains("instalment_missed"), "{text}");
        }
        // Refused and cancelled: the staff's reason, as written (escaped in HTML).
        for kind in [NoticeKind::PlanRefused, NoticeKind::PlanCancelled] {
            let ended = render_kind(kind, PlanStatus::Refused, Some("dossier <incomplet>"));
            assert!(ended.text.contains("dossier <incomplet>"), "{}", ended.text);
            assert!(
                ended.html.contains("dossier &#60;incomplet&#62;")
                    || ended.html.contains("dossier &lt;incomplet&gt;"),
                "{}",
                ended.html
            );
        }
        let completed = render_kind(NoticeKind::PlanCompleted, PlanStatus::Completed, Some(""));
        assert!(completed.text.contains(&first) && completed.text.contains(&second));
    }
}

#[test]
fn an_employer_over_its_ceiling_is_told_what_it_owes_the_ceiling_and_what_to_do_by_when() {
    for (language, lang, raise, other_way) in [
        (
            NoticeLanguage::Fr,
            Lang::Fr,
            "relevez ou supprimez le plafond dans votre espace employeur",
            "réglez le montant par un autre moyen",
        ),
        (
            NoticeLanguage::Ar,
            Lang::Ar,
            "ارفعوا السقف أو ألغوه",
            "سدّدوا المبلغ بوسيلة أخرى",
        ),
    ] {
        let subject = NoticeSubject::Shortfall(Box::new(shortfall()));
        let notice = render(
            &facts(NoticeKind::OverCeiling, language, subject),
            &context(),
        )
        .unwrap();
        let owed = money(a("150000.00"), lang);
        let ceiling = money(a("100000.00"), lang);
        for text in [&notice.text, &notice.html] {
            assert!(text.contains(&owed), "{lang:?}: {text}");
            assert!(text.contains(&ceiling), "{lang:?}: {text}");
            assert!(text.contains(raise), "{lang:?}: {text}");
            assert!(text.contains(other_way), "{lang:?}: {text}");
            assert!(text.contains("CACO-M-000042"), "{lang:?}: {text}");
            assert!(
                text.contains(&written_day_of("2026-12-10")),
                "the deadline: {text}"
            );
        }
        assert!(notice.subject.contains(&owed), "{}", notice.subject);
    }
}

#[test]
fn an_advance_notice_announced_again_says_it_replaces_the_previous_one() {
    let mut amended = collection();
    amended.notice_version = 2;
    let first = render(
        &facts(
            NoticeKind::AdvanceNotice,
            NoticeLanguage::Both,
            NoticeSubject::Collection(Box::new(collection())),
        ),
        &context(),
    )
    .unwrap();
    let again = render(
        &facts(
            NoticeKind::AdvanceNotice,
            NoticeLanguage::Both,
            NoticeSubject::Collection(Box::new(amended)),
        ),
        &context(),
    )
    .unwrap();
    for phrase in [
        "Cet avis remplace le précédent",
        "يحلّ هذا الإشعار محلّ الإشعار السابق",
    ] {
        assert!(!first.text.contains(phrase) && !first.html.contains(phrase));
        assert!(again.text.contains(phrase), "{}", again.text);
        assert!(again.html.contains(phrase), "{}", again.html);
    }
}

#[test]
fn a_cancellation_says_why_and_whether_the_contributions_are_still_owed() {
    let cancelled = |code: &str| {
        let mut c = collection();
        c.status = CollectionStatus::Cancelled;
        c.reason_code = Some(code.to_owned());
        render(
            &facts(
                NoticeKind::DebitCancelled,
                NoticeLanguage::Both,
                NoticeSubject::Collection(Box::new(c)),
            ),
            &context(),
        )
        .unwrap()
    };
    let still_owed = ["restent dues", "تبقى الاشتراكات أدناه مستحقة"];
    let paid = [
        "payés par un autre moyen",
        "sont réglées",
        "دُفعت بوسيلة أخرى",
    ];
    let written_off = [
        "renoncé à recouvrer",
        "ne vous réclame plus",
        "تخلّى الصندوق عن تحصيل",
        "لم يعد الصندوق يطالبكم",
    ];
    // Written off: the fund gave up those contributions; never "paid", never "still owed".
    let notice = cancelled("written_off");
    for phrase in written_off {
        assert!(notice.text.contains(phrase), "{phrase}: {}", notice.text);
        assert!(notice.html.contains(phrase), "{phrase}: {}", notice.html);
    }
    for phrase in paid.iter().chain(&still_owed) {
        assert!(!notice.text.contains(phrase), "{phrase}: {}", notice.text);
    }
    // Paid by another means: paid, not still owed.
    let notice = cancelled("paid_otherwise");
    for phrase in paid {
        assert!(notice.text.contains(phrase), "{phrase}: {}", notice.text);
    }
    for phrase in written_off.iter().chain(&still_owed) {
        assert!(!notice.text.contains(phrase), "{phrase}: {}", notice.text);
    }
    // Cancelled by staff: still owed.
    let notice = cancelled("staff_cancelled");
    for phrase in still_owed {
        assert!(notice.text.contains(phrase), "{phrase}: {}", notice.text);
        assert!(notice.html.contains(phrase), "{phrase}: {}", notice.html);
    }
}
