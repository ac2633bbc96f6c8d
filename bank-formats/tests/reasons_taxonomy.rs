//! Every reason code we know maps to an internal reason; unknown codes survive verbatim.
#![allow(clippy::unwrap_used)]

use bank_formats::layout::shipped;
use bank_formats::reasons::*;

/// Every code in `shared/iso20022/README.md` §5, written out by hand.
const BRIEF_CODES: &[&str] = &[
    "AC01", "AC04", "AC06", "AC13", "AG01", "AG02", "AM04", "AM05", "BE05", "FF01", "MD01", "MD02",
    "MD06", "MD07", "MS02", "MS03", "RC01", "RR01", "RR02", "RR03", "RR04", "SL01", "CNOR", "DNOR",
    "DUPL", "FOCR", "CUST", "FRAD", "TECH", "AM10", "DU01", "NARR",
];

#[test]
fn every_iso_code_of_the_brief_maps_to_a_known_reason() {
    for code in BRIEF_CODES {
        let reason = classify_iso(code);
        assert!(reason.recognised, "{code} is not in the mapping");
        assert_eq!(reason.source, ReasonSource::Iso);
        assert_eq!(reason.code, *code);
        // NARR ("see narrative") is the one code whose meaning is only in free text.
        if *code != "NARR" {
            assert_ne!(
                reason.category,
                ReasonCategory::Other,
                "{code} maps to Other"
            );
        }
    }
}

#[test]
fn the_brief_codes_land_in_the_expected_categories_and_retry_classes() {
    use ReasonCategory::*;
    use RetryClass::*;
    let expected = [
        ("AM04", InsufficientFunds, RetryLater),
        ("AC04", AccountClosed, Never),
        ("AC01", AccountClosed, Never),
        ("AC06", AccountBlocked, Never),
        ("MD01", NoOrInvalidMandate, Never),
        ("MS02", DebtorRefused, Never),
        ("MS03", DebtorRefused, RetryLater),
        ("MD06", DebtorRefused, Never),
        ("SL01", AmountOrLimit, NeedsStaff),
        ("AM05", Duplicate, NeedsStaff),
        ("DU01", Duplicate, NeedsStaff),
        ("FF01", TechnicalOrFormat, NeedsStaff),
        ("AM10", TechnicalOrFormat, NeedsStaff),
        ("RR04", Regulatory, NeedsStaff),
        ("NARR", Other, NeedsStaff),
    ];
    for (code, category, retry) in expected {
        let reason = classify_iso(code);
        assert_eq!(
            (reason.category, reason.retry_class),
            (category, retry),
            "{code}"
        );
    }
}

#[test]
fn iso_lookup_ignores_case_and_spaces_but_keeps_the_code_verbatim() {
    let reason = classify_iso(" am04 ");
    assert_eq!(reason.category, ReasonCategory::InsufficientFunds);
    assert_eq!(reason.code, " am04 ");
}

#[test]
fn every_return_code_of_every_shipped_layout_maps() {
    let mut checked = 0;
    for layout in shipped().iter().filter(|l| !l.return_codes().is_empty()) {
        for def in layout.return_codes() {
            let reason = classify_layout(layout.name(), &def.code);
            assert!(reason.recognised, "{} {}", layout.name(), def.code);
            assert_eq!(
                reason.source,
                ReasonSource::Layout(layout.name().to_owned())
            );
            assert_eq!(reason.category, def.category);
            checked += 1;
        }
    }
    assert!(checked >= 30, "only {checked} layout codes");
    // Spot checks, by hand.
    assert_eq!(
        classify_layout("postal-ccp-return", "01").category,
        ReasonCategory::InsufficientFunds
    );
    assert_eq!(
        classify_layout("postal-ccp-return", "06").category,
        ReasonCategory::NoOrInvalidMandate
    );
    assert_eq!(
        classify_layout("interbank-return", "R02").category,
        ReasonCategory::AccountClosed
    );
    assert_eq!(
        classify_layout("interbank-return", "R18").retry_class,
        RetryClass::RetryLater
    );
    assert_eq!(
        classify_layout("interbank-return", "R99").category,
        ReasonCategory::Other
    );
    // Only the explicit "other" codes map to Other.
    for layout in shipped() {
        for def in layout.return_codes() {
            if def.category == ReasonCategory::Other {
                assert!(def.code.ends_with("99"), "{} {}", layout.name(), def.code);
            }
        }
    }
}

#[test]
fn unknown_codes_are_kept_verbatim_as_other_needing_staff() {
    for reason in [
        classify_iso("ZZ42"),
        classify_iso("  weird code\u{00e9} "),
        classify_layout("postal-ccp-return", "77"),
        classify_layout("interbank-return", "R01 extra"),
        classify_layout("no-such-layout", "R01"),
        classify(&ReasonSource::Layout("my-bank".into()), "X9"),
    ] {
        assert!(!reason.recognised, "{reason:?}");
        assert_eq!(reason.category, ReasonCategory::Other);
        assert_eq!(reason.retry_class, RetryClass::NeedsStaff);
    }
    assert_eq!(
        classify_iso("  weird code\u{00e9} ").code,
        "  weird code\u{00e9} "
    );
    assert_eq!(
        classify_layout("no-such-layout", "R01").source,
        ReasonSource::Layout("no-such-layout".into())
    );
}

#[test]
fn every_category_has_a_stable_code_and_texts_in_arabic_and_french() {
    let mut codes = std::collections::BTreeSet::new();
    for category in ReasonCategory::ALL {
        assert!(
            codes.insert(category.as_str()),
            "duplicate code {}",
            category.as_str()
        );
        assert_eq!(ReasonCategory::parse(category.as_str()), Ok(category));
        let fr = category.text_fr();
        let ar = category.text_ar();
        assert!(fr.len() > 60, "{category}: French text too short");
        assert!(
            ar.chars()
                .filter(|c| ('\u{0600}'..='\u{06FF}').contains(c))
                .count()
                > 30,
            "{category}: Arabic text"
        );
        assert!(
            !fr.contains("  ") && !ar.contains("  "),
            "{category}: stray spaces"
        );
    }
    assert!(
        ReasonCategory::InsufficientFunds
            .text_fr()
            .starts_with("Provision insuffisante")
    );
    assert!(
        ReasonCategory::InsufficientFunds
            .text_ar()
            .starts_with("رصيد الحساب غير كاف")
    );
    for retry in RetryClass::ALL {
        assert_eq!(RetryClass::parse(retry.as_str()), Ok(retry));
    }
    assert_eq!(
        ReasonCategory::ALL.map(ReasonCategory::as_str),
        [
            "insufficient_funds",
            "account_closed",
            "account_blocked",
            "no_or_invalid_mandate",
            "debtor_refused",
            "amount_or_limit",
            "duplicate",
            "technical_or_format",
            "regulatory",
            "other",
        ]
    );
}

#[test]
fn every_mapped_iso_code_has_a_meaning_for_staff() {
    for code in iso_codes() {
        assert!(iso_meaning(code).is_some_and(|m| !m.is_empty()), "{code}");
        assert_eq!(code.len(), 4, "{code}");
    }
    assert!(iso_codes().count() >= 60);
}
