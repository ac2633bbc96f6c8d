//! The documents without a database: a receipt's PDF is whole, reproducible, paged, and its
//! lines are ordered and shaped as Arabic and French readers expect.

use mandates::{AccountKind, Amount, CollectionStatus, NoticeLanguage, PeriodKind};

use super::text::{
    Direction, Line, Style, Weight, isolate_ltr, line_shared, runs_both_ways, shaped, wrap,
    wrap_shared,
};
use super::{ReceiptFacts, receipt_pdf};
use crate::store::{CollectionDetail, CollectionWorksite, Employer, Receipt};

const BODY: Style = Style {
    weight: Weight::Regular,
    size: 1000,
};

fn receipt(worksites: usize) -> (Receipt, Employer) {
    let worksites: Vec<CollectionWorksite> = (1..=worksites)
        .map(|i| CollectionWorksite {
            worksite_code: format!("W{i}"),
            worksite_name: if i % 2 == 0 {
                format!("ورشة {i} للأشغال")
            } else {
                format!("Chantier {i}")
            },
            period: "2026-10".to_owned(),
            amount: Amount::from_centimes(1_000_000 + i64::try_from(i).unwrap()),
        })
        .collect();
    let total = worksites.iter().map(|w| w.amount.centimes()).sum();
    let collection = CollectionDetail {
        id: 7,
        employer_id: 3,
        collection_date: "2026-12-15".to_owned(),
        channel: AccountKind::Bank,
        amount: Amount::from_centimes(total),
        status: CollectionStatus::Settled,
        attempt: 1,
        retry_of: None,
        noticed_on: "2026-12-01".to_owned(),
        settled_on: Some("2026-12-16".to_owned()),
        reason_code: None,
        reason_category: None,
        next_attempt: None,
        receipt_number: Some("RC-2026-00000007".to_owned()),
        mandate_reference: "TAHSIL-16000001-0001".to_owned(),
        account_kind: AccountKind::Bank,
        bank_code: "004".to_owned(),
        account_masked: "****************0486".to_owned(),
        worksites,
    };
    let employer = Employer {
        id: 3,
        affiliation_number: "16000001".to_owned(),
        name: "SARL Bâtiment du Sud".to_owned(),
        name_ar: Some("شركة البناء الجنوبية".to_owned()),
        email: "a@a.dz".to_owned(),
        language: NoticeLanguage::Both,
        period_kind: PeriodKind::Monthly,
        created_at: "2026-11-01T08:00:00Z".to_owned(),
    };
    let receipt = Receipt {
        number: "RC-2026-00000007".to_owned(),
        issued_at: "2026-12-16T09:00:00Z".to_owned(),
        collection,
    };
    (receipt, employer)
}

fn pdf(worksites: usize) -> Vec<u8> {
    let (receipt, employer) = receipt(worksites);
    receipt_pdf(&ReceiptFacts {
        fund: "CACOBATPH",
        receipt: &receipt,
        employer: &employer,
        bank_name: Some("CPA"),
    })
    .unwrap()
}

fn pages(pdf: &[u8]) -> usize {
    let text = String::from_utf8_lossy(pdf);
    text.matches("/Type/Page").count() - text.matches("/Type/Pages").count()
}

#[test]
fn the_same_receipt_gives_the_same_bytes() {
    let first = pdf(3);
    assert!(
        first.starts_with(b"%PDF-") && first.len() > 5_000,
        "{}",
        first.len()
    );
    assert_eq!(first, pdf(3), "no clock, no randomness in a document");
}

#[test]
fn a_long_breakdown_continues_on_further_pages() {
    assert_eq!(pages(&pdf(3)), 1);
    let long = pdf(150);
    assert!(pages(&long) >= 3, "{} pages", pages(&long));
}

#[test]
fn a_date_after_arabic_words_keeps_its_order_when_isolated() {
    // Without the isolate, the bidi algorithm reads 2026-11 after Arabic letters as Arabic
    // numbers around a separator and shows 11-2026 (as a browser would without <bdi>).
    let bare = Line::new("الفترة 2026-11", BODY, Direction::Rtl).unwrap();
    assert_eq!(bare.visual_texts(), ["11", "-", "2026", "الفترة "]);
    let isolated = Line::new(
        &format!("الفترة {}", isolate_ltr("2026-11")),
        BODY,
        Direction::Rtl,
    )
    .unwrap();
    assert_eq!(isolated.visual_texts(), ["2026-11", "الفترة "]);
}

#[test]
fn latin_and_numbers_inside_arabic_read_left_to_right_in_their_place() {
    let line = Line::new(
        "المستخدم: شركة SARL البناء، المبلغ 1\u{a0}234,56 د.ج",
        BODY,
        Direction::Rtl,
    )
    .unwrap();
    // Visual order, left to right: the end of the sentence first.
    assert_eq!(
        line.visual_texts(),
        [
            " د.ج",
            "1\u{a0}234,56",
            " البناء، المبلغ ",
            "SARL",
            "المستخدم: شركة "
        ]
    );
}

#[test]
fn arabic_letters_are_joined_not_drawn_in_isolated_forms() {
    // "شركة" as four isolated letters would be four glyphs of their isolated forms; shaped,
    // the font's initial, medial and final forms are used instead.
    let joined = Line::new("شركة", BODY, Direction::Rtl).unwrap();
    let isolated: Vec<u32> = "شركة"
        .chars()
        .map(|c| {
            Line::new(&c.to_string(), BODY, Direction::Rtl)
                .unwrap()
                .glyph_ids()[0]
        })
        .collect();
    let mut shaped = joined.glyph_ids();
    shaped.reverse(); // visual order → logical order
    assert_eq!(shaped.len(), 4);
    assert_ne!(shaped, isolated, "the letters must take their joined forms");
    assert!(
        shaped.iter().all(|&g| g != 0),
        "every letter has a glyph in the font"
    );
    // The lam-alef ligature: two letters, one glyph.
    assert_eq!(
        Line::new("لا", BODY, Direction::Rtl)
            .unwrap()
            .glyph_ids()
            .len(),
        1
    );
}

#[test]
fn long_text_wraps_within_its_width() {
    let text = "يشهد هذا الوصل بتسديد الاشتراكات المفصلة أعلاه، المقتطعة بموجب ترخيص الاقتطاع الخاص بكم. احتفظوا به.";
    let lines = wrap(text, BODY, Direction::Rtl, 20_000).unwrap();
    assert!(lines.len() >= 2, "{}", lines.len());
    assert!(lines.iter().all(|l| l.width() <= 20_000));
    let rejoined: Vec<String> = lines.iter().map(Line::logical_text).collect();
    assert_eq!(rejoined.join(" "), text);
}

#[test]
fn the_kept_shape_plans_shape_as_a_fresh_plan_does() {
    let texts = [
        "شركة البناء الجنوبية 1234",
        "لا إله — (أ) [ب]",
        "SARL Bâtiment du Sud — fiĺ ffi",
        "2026-12-15 12 345,67 DA",
        "RC-2026-00000007",
        "",
    ];
    // Twice: the second pass shapes with the plans the first pass kept.
    for _ in 0..2 {
        for text in texts {
            for weight in [Weight::Regular, Weight::Bold] {
                for rtl in [false, true] {
                    assert_eq!(
                        shaped(text, weight, rtl, false).unwrap(),
                        shaped(text, weight, rtl, true).unwrap(),
                        "{text:?} {weight:?} rtl {rtl}"
                    );
                }
            }
        }
    }
}

#[test]
fn text_with_nothing_right_to_left_is_one_run_as_the_bidi_algorithm_says() {
    let texts = [
        "",
        "2026-10",
        "16/12/2026",
        "12 345,67 DA",
        "RC-2026-00000007 · 1",
        "SARL Bâtiment du Sud (Blida) [n° 3], «ça» — ok",
        "1.5 + 2,5 = 4 % $ #7 ; / \\ 'x'",
        "Reçu n° RC-2026-00000007",
        "TSL-16000001-000001",
    ];
    for text in texts {
        for direction in [Direction::Ltr, Direction::Auto] {
            let (short_cut, algorithm) = runs_both_ways(text, direction);
            assert_eq!(short_cut, algorithm, "{text:?} {direction:?}");
        }
    }
    // Not taken for a right-to-left paragraph, nor for Arabic letters or digits: there the
    // algorithm decides.
    let (short_cut, algorithm) = runs_both_ways("2026-10", Direction::Rtl);
    assert_eq!(short_cut, algorithm);
    let (short_cut, _) = runs_both_ways("المبلغ 12", Direction::Auto);
    assert!(
        short_cut.1,
        "an Arabic first letter makes the paragraph right to left"
    );
    assert_eq!(short_cut.0.len(), 2, "{:?}", short_cut.0);
}

#[test]
fn a_shared_line_is_the_line_laid_out_afresh() {
    let bold = Style {
        weight: Weight::Bold,
        size: 1000,
    };
    for (text, style, direction) in [
        ("16 décembre 2026", BODY, Direction::Auto),
        ("2026-10", BODY, Direction::Ltr),
        ("Total — المجموع", bold, Direction::Ltr),
        ("CACOBATPH", bold, Direction::Auto),
    ] {
        let fresh = Line::new(text, style, direction).unwrap();
        // The first call lays it out and keeps it, the second copies what was kept.
        for _ in 0..2 {
            let shared = line_shared(text, style, direction).unwrap();
            assert_eq!(shared.glyph_ids(), fresh.glyph_ids(), "{text:?}");
            assert_eq!(shared.visual_texts(), fresh.visual_texts(), "{text:?}");
            assert_eq!(shared.width(), fresh.width(), "{text:?}");
        }
    }
    let text =
        "يشهد هذا الوصل بتسديد الاشتراكات المفصلة أعلاه، المقتطعة بموجب ترخيص الاقتطاع الخاص بكم.";
    let fresh = wrap(text, BODY, Direction::Rtl, 20_000).unwrap();
    for _ in 0..2 {
        let shared = wrap_shared(text, BODY, Direction::Rtl, 20_000).unwrap();
        assert_eq!(shared.len(), fresh.len());
        for (a, b) in shared.iter().zip(&fresh) {
            assert_eq!(a.glyph_ids(), b.glyph_ids());
            assert_eq!(a.width(), b.width());
        }
    }
}
