//! Writing a notice: facts from the store → subject, plain text and HTML, in Arabic
//! (right to left), French, or both, per the employer's preference. Templates are compiled
//! into the binary (askama, `templates/notices/`). Pure: no IO, no clock.
//!
//! Nothing here prints an account number in clear: only the stored masked form ever reaches
//! a template, shortened to its last 4 digits. Links carry no token and no id.

use askama::Template;
use bank_formats::reasons::ReasonCategory;
use mandates::Amount;

use crate::store::{
    BreakdownLine, CollectionFacts, DisputeFacts, MandateFacts, NoticeFacts, NoticeKind,
    NoticeSubject,
};

/// A notice ready to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenderedNotice {
    pub subject: String,
    pub text: String,
    pub html: String,
    /// `ar`, `fr` or `both`: what the notice was written in.
    pub language: String,
}

/// What the text needs beyond the facts: fixed per deployment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RenderContext {
    /// The employer portal, shown as is (no token, no id in it).
    pub portal_url: Option<String>,
    /// Where replies go, shown as the address to contest by email.
    pub reply_to: Option<String>,
    /// Advance notice, in calendar days.
    pub notice_days: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Lang {
    Ar,
    Fr,
}

impl Lang {
    fn code(self) -> &'static str {
        match self {
            Lang::Ar => "ar",
            Lang::Fr => "fr",
        }
    }
    fn dir(self) -> &'static str {
        match self {
            Lang::Ar => "rtl",
            Lang::Fr => "ltr",
        }
    }
    fn currency(self) -> &'static str {
        match self {
            Lang::Ar => "دج",
            Lang::Fr => "DZD",
        }
    }
}

/// The languages of a preference, Arabic first when both.
fn languages(preference: &str) -> (&'static str, Vec<Lang>) {
    match preference {
        "ar" => ("ar", vec![Lang::Ar]),
        "fr" => ("fr", vec![Lang::Fr]),
        _ => ("both", vec![Lang::Ar, Lang::Fr]),
    }
}

/// Writes a notice from its facts.
pub fn render(facts: &NoticeFacts, context: &RenderContext) -> anyhow::Result<RenderedNotice> {
    let (language, langs) = languages(&facts.recipient.language);
    let mut subjects = Vec::new();
    let mut texts = Vec::new();
    let mut sections = Vec::new();
    for lang in langs {
        let view = View::new(facts, context, lang);
        subjects.push(subject(&view, lang));
        match lang {
            Lang::Ar => {
                texts.push(ArText { n: &view }.render()?);
                sections.push(Section {
                    lang: lang.code(),
                    dir: lang.dir(),
                    body: ArHtml { n: &view }.render()?,
                });
            }
            Lang::Fr => {
                texts.push(FrText { n: &view }.render()?);
                sections.push(Section {
                    lang: lang.code(),
                    dir: lang.dir(),
                    body: FrHtml { n: &view }.render()?,
                });
            }
        }
    }
    let subject = subjects.join(" / ");
    let html = Layout {
        title: &subject,
        lang: sections.first().map_or("fr", |s| s.lang),
        dir: sections.first().map_or("ltr", |s| s.dir),
        sections: &sections,
    }
    .render()?;
    let mut text = texts
        .iter()
        .map(|t| t.trim())
        .collect::<Vec<_>>()
        .join("\n\n----------------------------------------\n\n");
    text.push('\n');
    Ok(RenderedNotice {
        subject,
        text,
        html,
        language: language.to_owned(),
    })
}

struct Section {
    lang: &'static str,
    dir: &'static str,
    body: String,
}

#[derive(Template)]
#[template(path = "notices/layout.html")]
struct Layout<'a> {
    title: &'a str,
    lang: &'a str,
    dir: &'a str,
    sections: &'a [Section],
}

#[derive(Template)]
#[template(path = "notices/ar.html")]
struct ArHtml<'a> {
    n: &'a View,
}

#[derive(Template)]
#[template(path = "notices/fr.html")]
struct FrHtml<'a> {
    n: &'a View,
}

#[derive(Template)]
#[template(path = "notices/ar.txt")]
struct ArText<'a> {
    n: &'a View,
}

#[derive(Template)]
#[template(path = "notices/fr.txt")]
struct FrText<'a> {
    n: &'a View,
}

/// One worksite line of a breakdown, formatted.
struct LineView {
    code: String,
    name: String,
    period: String,
    amount: String,
}

/// One scheme's part of a breakdown, formatted.
struct SchemeView {
    label: &'static str,
    amount: String,
}

/// Everything a template shows, already formatted for one language. Fields that do not
/// apply to the notice's kind are empty.
struct View {
    kind: &'static str,
    employer: String,
    affiliation: String,
    portal_url: Option<String>,
    reply_to: Option<String>,
    notice_days: u32,
    // Collections.
    amount: String,
    date: String,
    contest_by: String,
    attempt: i64,
    account: String,
    institution: String,
    reference: String,
    lines: Vec<LineView>,
    schemes: Vec<SchemeView>,
    receipt_number: String,
    settled_on: String,
    reason: String,
    reason_code: String,
    /// Why an announced debit was cancelled (`debit_cancelled`), in plain words.
    cancel_reason: String,
    next_date: String,
    next_amount: String,
    // Mandates.
    ceiling: String,
    since: String,
    old_reference: String,
    old_account: String,
    // Disputes.
    case_number: String,
    deadline: String,
    opened_on: String,
    upheld: bool,
    answer: String,
}

impl View {
    fn new(facts: &NoticeFacts, context: &RenderContext, lang: Lang) -> View {
        let r = &facts.recipient;
        let employer = match (lang, &r.name_ar) {
            (Lang::Ar, Some(name_ar)) if !name_ar.trim().is_empty() => name_ar.clone(),
            _ => r.name.clone(),
        };
        let mut view = View {
            kind: facts.kind.code(),
            employer,
            affiliation: r.affiliation_number.clone(),
            portal_url: context.portal_url.clone(),
            reply_to: context.reply_to.clone(),
            notice_days: context.notice_days,
            amount: String::new(),
            date: String::new(),
            contest_by: String::new(),
            attempt: 1,
            account: String::new(),
            institution: String::new(),
            reference: String::new(),
            lines: Vec::new(),
            schemes: Vec::new(),
            receipt_number: String::new(),
            settled_on: String::new(),
            reason: String::new(),
            reason_code: String::new(),
            cancel_reason: String::new(),
            next_date: String::new(),
            next_amount: String::new(),
            ceiling: String::new(),
            since: String::new(),
            old_reference: String::new(),
            old_account: String::new(),
            case_number: String::new(),
            deadline: String::new(),
            opened_on: String::new(),
            upheld: false,
            answer: String::new(),
        };
        match &facts.subject {
            NoticeSubject::Collection(c) => view.collection(c, lang),
            NoticeSubject::Mandate(m) => view.mandate(m, lang),
            NoticeSubject::Dispute(d) => view.dispute(d, lang),
        }
        view
    }

    fn collection(&mut self, c: &CollectionFacts, lang: Lang) {
        self.amount = money(c.amount, lang);
        self.date = date(&c.collection_date);
        self.contest_by = day_before(&c.collection_date);
        self.attempt = c.attempt;
        self.account = last4(&c.account_masked);
        self.institution = institution(&c.channel, c.bank_name.as_deref(), lang);
        self.reference = c.mandate_reference.clone();
        self.lines = c
            .lines
            .iter()
            .map(|l| LineView {
                code: l.worksite_code.clone(),
                name: l.worksite_name.clone(),
                period: l.period.clone(),
                amount: money(l.amount, lang),
            })
            .collect();
        self.schemes = schemes(&c.lines, lang);
        self.receipt_number = c.receipt_number.clone().unwrap_or_default();
        self.settled_on = date(c.settled_on.as_deref().unwrap_or(&c.collection_date));
        let category = c
            .reason_category
            .as_deref()
            .and_then(|c| ReasonCategory::parse(c).ok())
            .unwrap_or(ReasonCategory::Other);
        self.reason = reason_text(category, lang).to_owned();
        self.reason_code = c.reason_code.clone().unwrap_or_default();
        self.cancel_reason = cancel_reason(&self.reason_code, lang).to_owned();
        if let Some((next_date, next_amount)) = &c.next_attempt {
            self.next_date = date(next_date);
            self.next_amount = money(*next_amount, lang);
        }
    }

    fn mandate(&mut self, facts: &MandateFacts, lang: Lang) {
        let m = &facts.mandate;
        self.reference = m.reference.clone();
        self.account = last4(&m.account_masked);
        self.institution = institution(&m.account_kind, m.bank_name.as_deref(), lang);
        self.ceiling = m.ceiling.map(|c| money(c, lang)).unwrap_or_default();
        self.since = date(m.signed_at.as_deref().unwrap_or(&m.updated_at));
        if matches!(m.status.as_str(), "revoked" | "suspended") {
            self.since = date(&m.updated_at);
        }
        if let Some((reference, masked)) = &facts.replaced {
            self.old_reference = reference.clone();
            self.old_account = last4(masked);
        }
        let category = facts
            .suspension_reason
            .as_deref()
            .and_then(|c| ReasonCategory::parse(c).ok())
            .unwrap_or(ReasonCategory::AccountClosed);
        self.reason = reason_text(category, lang).to_owned();
    }

    fn dispute(&mut self, d: &DisputeFacts, lang: Lang) {
        self.case_number = d.case_number.clone();
        self.date = date(&d.collection_date);
        self.amount = money(d.amount, lang);
        self.opened_on = date(&d.opened_on);
        self.deadline = date(&d.deadline);
        self.upheld = d.outcome.as_deref() == Some("upheld");
        self.answer = match lang {
            Lang::Ar => d.answer_ar.clone().or_else(|| d.answer_fr.clone()),
            Lang::Fr => d.answer_fr.clone().or_else(|| d.answer_ar.clone()),
        }
        .unwrap_or_default();
    }
}

fn subject(n: &View, lang: Lang) -> String {
    let kind = NoticeKind::from_code(n.kind).unwrap_or(NoticeKind::AdvanceNotice);
    match (lang, kind) {
        (Lang::Fr, NoticeKind::AdvanceNotice) => {
            format!("Avis de prélèvement : {} le {}", n.amount, n.date)
        }
        (Lang::Ar, NoticeKind::AdvanceNotice) => {
            format!("إشعار مسبق بالاقتطاع: {} بتاريخ {}", n.amount, n.date)
        }
        (Lang::Fr, NoticeKind::Receipt) => format!(
            "Reçu n° {} : {} prélevés le {}",
            n.receipt_number, n.amount, n.settled_on
        ),
        (Lang::Ar, NoticeKind::Receipt) => format!(
            "وصل رقم {}: اقتطاع {} بتاريخ {}",
            n.receipt_number, n.amount, n.settled_on
        ),
        (Lang::Fr, NoticeKind::FailureNotice) => {
            format!("Prélèvement du {} non abouti ({})", n.date, n.amount)
        }
        (Lang::Fr, NoticeKind::DebitCancelled) => {
            format!("Prélèvement du {} annulé ({})", n.date, n.amount)
        }
        (Lang::Ar, NoticeKind::DebitCancelled) => {
            format!("إلغاء اقتطاع {} ({})", n.date, n.amount)
        }
        (Lang::Ar, NoticeKind::FailureNotice) => {
            format!("تعذر اقتطاع {} ({})", n.date, n.amount)
        }
        (Lang::Fr, NoticeKind::MandateSigned) => {
            format!("Autorisation de prélèvement {} enregistrée", n.reference)
        }
        (Lang::Ar, NoticeKind::MandateSigned) => {
            format!("تسجيل ترخيص الاقتطاع {}", n.reference)
        }
        (Lang::Fr, NoticeKind::MandateReplaced) => {
            format!(
                "Nouveau compte de prélèvement : autorisation {}",
                n.reference
            )
        }
        (Lang::Ar, NoticeKind::MandateReplaced) => {
            format!("حساب اقتطاع جديد: الترخيص {}", n.reference)
        }
        (Lang::Fr, NoticeKind::MandateRevoked) => {
            format!("Autorisation de prélèvement {} révoquée", n.reference)
        }
        (Lang::Ar, NoticeKind::MandateRevoked) => {
            format!("إلغاء ترخيص الاقتطاع {}", n.reference)
        }
        (Lang::Fr, NoticeKind::MandateSuspended) => {
            format!("Prélèvements suspendus : autorisation {}", n.reference)
        }
        (Lang::Ar, NoticeKind::MandateSuspended) => {
            format!("تعليق الاقتطاعات: الترخيص {}", n.reference)
        }
        (Lang::Fr, NoticeKind::DisputeAcknowledged) => {
            format!("Réclamation n° {} reçue", n.case_number)
        }
        (Lang::Ar, NoticeKind::DisputeAcknowledged) => {
            format!("استلام الاعتراض رقم {}", n.case_number)
        }
        (Lang::Fr, NoticeKind::DisputeAnswered) => {
            format!("Réponse à votre réclamation n° {}", n.case_number)
        }
        (Lang::Ar, NoticeKind::DisputeAnswered) => {
            format!("الرد على اعتراضكم رقم {}", n.case_number)
        }
    }
}

/// Why the run's re-check or a calendar change cancelled a planned debit (the codes
/// `Store::recheck_planned` and `Store::change_calendar` write).
fn cancel_reason(code: &str, lang: Lang) -> &'static str {
    match (code, lang) {
        ("mandate_inactive", Lang::Fr) => {
            "l'autorisation de prélèvement n'est plus active (révoquée, remplacée ou suspendue)"
        }
        ("mandate_inactive", Lang::Ar) => "ترخيص الاقتطاع لم يعد ساريًا (ملغى أو مستبدل أو معلّق)",
        ("over_ceiling", Lang::Fr) => {
            "le montant dépasse le plafond par prélèvement de votre autorisation"
        }
        ("over_ceiling", Lang::Ar) => "المبلغ يتجاوز سقف الاقتطاع المحدد في ترخيصكم",
        ("notice_late", Lang::Fr) => {
            "l'avis n'a pas pu vous parvenir dans le délai de préavis avant cette date"
        }
        ("notice_late", Lang::Ar) => "تعذر إبلاغكم بالإشعار في أجل الإشعار المسبق قبل هذا التاريخ",
        ("calendar_clash", Lang::Fr) => {
            "cette date a été déplacée (jour férié) sur celle d'un autre prélèvement déjà prévu"
        }
        ("calendar_clash", Lang::Ar) => "نُقل هذا التاريخ (عطلة) إلى تاريخ اقتطاع آخر مبرمج مسبقًا",
        (_, Lang::Fr) => "une vérification avant l'envoi à la banque l'a écarté",
        (_, Lang::Ar) => "استُبعد عند التحقق قبل الإرسال إلى البنك",
    }
}

fn reason_text(category: ReasonCategory, lang: Lang) -> &'static str {
    match lang {
        Lang::Ar => category.text_ar(),
        Lang::Fr => category.text_fr(),
    }
}

/// The bank or the post office holding the account.
fn institution(kind: &str, bank_name: Option<&str>, lang: Lang) -> String {
    match (kind, lang) {
        ("postal", Lang::Fr) => "compte courant postal (Algérie Poste)".to_owned(),
        ("postal", Lang::Ar) => "الحساب البريدي الجاري (بريد الجزائر)".to_owned(),
        (_, Lang::Fr) => match bank_name {
            Some(name) => format!("compte bancaire, {name}"),
            None => "compte bancaire".to_owned(),
        },
        (_, Lang::Ar) => match bank_name {
            Some(name) => format!("الحساب البنكي، {name}"),
            None => "الحساب البنكي".to_owned(),
        },
    }
}

/// The three schemes' totals over a breakdown, in a fixed order, zero parts left out.
fn schemes(lines: &[BreakdownLine], lang: Lang) -> Vec<SchemeView> {
    let sum = |part: fn(&BreakdownLine) -> Amount| {
        Amount::from_centimes(lines.iter().map(|l| part(l).centimes()).sum())
    };
    let parts = [
        (sum(|l| l.paid_leave), "العطل المدفوعة الأجر", "Congés payés"),
        (
            sum(|l| l.bad_weather_employer),
            "البطالة الناجمة عن سوء الأحوال الجوية (حصة صاحب العمل)",
            "Chômage-intempéries (part employeur)",
        ),
        (
            sum(|l| l.bad_weather_employee),
            "البطالة الناجمة عن سوء الأحوال الجوية (حصة العامل)",
            "Chômage-intempéries (part salariale)",
        ),
    ];
    parts
        .into_iter()
        .filter(|(amount, _, _)| amount.centimes() != 0)
        .map(|(amount, ar, fr)| SchemeView {
            label: match lang {
                Lang::Ar => ar,
                Lang::Fr => fr,
            },
            amount: money(amount, lang),
        })
        .collect()
}

/// An amount exactly from its centimes: `1 234 567,89 DZD` (no-break spaces between
/// thousands, a decimal comma), `دج` in Arabic. Never through a float.
fn money(amount: Amount, lang: Lang) -> String {
    format!("{}\u{a0}{}", digits(amount), lang.currency())
}

/// The number part of [`money`]: `1 234 567,89`.
pub fn digits(amount: Amount) -> String {
    let centimes = amount.centimes();
    let sign = if centimes < 0 { "-" } else { "" };
    let abs = centimes.unsigned_abs();
    let units = (abs / 100).to_string();
    let mut grouped = String::new();
    for (i, ch) in units.chars().enumerate() {
        if i > 0 && (units.len() - i).is_multiple_of(3) {
            grouped.push('\u{a0}');
        }
        grouped.push(ch);
    }
    format!("{sign}{grouped},{:02}", abs % 100)
}

/// `2026-12-15` (or a timestamp starting with it) → `15/12/2026`.
pub fn date(iso: &str) -> String {
    match chrono::NaiveDate::parse_from_str(iso.get(..10).unwrap_or(iso), "%Y-%m-%d") {
        Ok(day) => day.format("%d/%m/%Y").to_string(),
        Err(_) => iso.to_owned(),
    }
}

fn day_before(iso: &str) -> String {
    match chrono::NaiveDate::parse_from_str(iso.get(..10).unwrap_or(iso), "%Y-%m-%d") {
        Ok(day) => day
            .pred_opt()
            .map_or_else(|| date(iso), |d| d.format("%d/%m/%Y").to_string()),
        Err(_) => iso.to_owned(),
    }
}

/// `****************0486` → `****0486`: the last 4 digits and nothing else. Built from
/// the stored masked form, so the digits never pass through here.
pub fn last4(masked: &str) -> String {
    let tail: String = masked
        .chars()
        .rev()
        .filter(char::is_ascii_digit)
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("****{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{MandateRecord, NoticeRecipient, NoticeSubject};

    fn a(text: &str) -> Amount {
        Amount::parse(text).unwrap()
    }

    #[test]
    fn amounts_are_written_exactly_from_centimes() {
        assert_eq!(digits(Amount::from_centimes(0)), "0,00");
        assert_eq!(digits(Amount::from_centimes(5)), "0,05");
        assert_eq!(digits(Amount::from_centimes(123_456)), "1\u{a0}234,56");
        assert_eq!(
            digits(Amount::from_centimes(12_345_678_901)),
            "123\u{a0}456\u{a0}789,01"
        );
        assert_eq!(
            digits(Amount::from_centimes(i64::MAX)),
            "92\u{a0}233\u{a0}720\u{a0}368\u{a0}547\u{a0}758,07"
        );
        assert_eq!(digits(Amount::from_centimes(-100_000)), "-1\u{a0}000,00");
        assert_eq!(money(a("31746.00"), Lang::Fr), "31\u{a0}746,00\u{a0}DZD");
        assert_eq!(money(a("31746.00"), Lang::Ar), "31\u{a0}746,00\u{a0}دج");
    }

    #[test]
    fn masks_keep_only_the_last_four_digits() {
        assert_eq!(last4("****************0486"), "****0486");
        assert_eq!(last4("**********1244"), "****1244");
    }

    fn recipient(language: &str) -> NoticeRecipient {
        NoticeRecipient {
            employer_id: 7,
            affiliation_number: "16100001".to_owned(),
            name: "SARL Bâtiment <du Sud>".to_owned(),
            name_ar: Some("شركة البناء الجنوبية".to_owned()),
            email: "compta@example.dz".to_owned(),
            language: language.to_owned(),
        }
    }

    fn collection() -> CollectionFacts {
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
            channel: "bank".to_owned(),
            status: "planned".to_owned(),
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

    fn facts(kind: NoticeKind, language: &str, subject: NoticeSubject) -> NoticeFacts {
        NoticeFacts {
            event_id: 11,
            kind,
            dedupe_key: format!("{}:3", kind.code()),
            recipient: recipient(language),
            subject,
        }
    }

    fn context() -> RenderContext {
        RenderContext {
            portal_url: Some("https://portail.example.dz".to_owned()),
            reply_to: Some("reclamations@example.dz".to_owned()),
            notice_days: 5,
        }
    }

    #[test]
    fn an_advance_notice_in_both_languages_has_the_breakdown_and_a_masked_account() {
        let notice = render(
            &facts(
                NoticeKind::AdvanceNotice,
                "both",
                NoticeSubject::Collection(Box::new(collection())),
            ),
            &context(),
        )
        .unwrap();
        assert_eq!(notice.language, "both");
        assert!(
            notice.subject.contains("Avis de prélèvement") && notice.subject.contains("إشعار مسبق"),
            "{}",
            notice.subject
        );
        for body in [&notice.text, &notice.html] {
            assert!(body.contains("13\u{a0}431,50\u{a0}DZD"), "{body}");
            assert!(body.contains("13\u{a0}431,50\u{a0}دج"), "{body}");
            assert!(body.contains("15/12/2026"));
            assert!(body.contains("14/12/2026"), "contest before the day before");
            assert!(body.contains("****0486"));
            assert!(body.contains("W1") && body.contains("Chantier W2"));
            assert!(body.contains("12\u{a0}210,00\u{a0}DZD"));
            assert!(body.contains("1\u{a0}221,50\u{a0}DZD"));
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
                "fr",
                NoticeSubject::Collection(Box::new(collection())),
            ),
            &context(),
        )
        .unwrap();
        assert!(fr.text.contains("DZD") && !fr.text.contains("دج"));
        assert!(!fr.html.contains(r#"lang="ar""#));
        let ar = render(
            &facts(
                NoticeKind::AdvanceNotice,
                "ar",
                NoticeSubject::Collection(Box::new(collection())),
            ),
            &context(),
        )
        .unwrap();
        assert!(ar.text.contains("دج") && !ar.text.contains("Avis"));
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
        c.status = "retry_planned".to_owned();
        c.reason_code = Some("AM04".to_owned());
        c.reason_category = Some("insufficient_funds".to_owned());
        c.next_attempt = Some(("2026-12-22".to_owned(), a("13431.50")));
        let notice = render(
            &facts(
                NoticeKind::FailureNotice,
                "both",
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
        c.reason_category = Some("account_closed".to_owned());
        let notice = render(
            &facts(
                NoticeKind::FailureNotice,
                "fr",
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
        c.status = "settled".to_owned();
        c.settled_on = Some("2026-12-15".to_owned());
        c.receipt_number = Some("RC-2026-00000042".to_owned());
        let notice = render(
            &facts(
                NoticeKind::Receipt,
                "both",
                NoticeSubject::Collection(Box::new(c)),
            ),
            &context(),
        )
        .unwrap();
        assert!(notice.subject.contains("RC-2026-00000042"));
        assert!(notice.text.matches("RC-2026-00000042").count() >= 2);
    }

    fn mandate() -> MandateFacts {
        MandateFacts {
            mandate: MandateRecord {
                id: 5,
                employer_id: 7,
                reference: "CACOBATPH-16100001-0002".to_owned(),
                status: "active".to_owned(),
                status_reason: None,
                account_kind: "postal".to_owned(),
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
                superseded_by: None,
                created_at: "2026-11-02T08:00:00Z".to_owned(),
                updated_at: "2026-11-02T09:00:00Z".to_owned(),
            },
            replaced: Some((
                "CACOBATPH-16100001-0001".to_owned(),
                "****************0486".to_owned(),
            )),
            suspension_reason: None,
        }
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
                &facts(kind, "both", NoticeSubject::Mandate(Box::new(mandate()))),
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
            outcome: Some("upheld".to_owned()),
            answer_fr: Some("Le chantier W2 était fermé en octobre.".to_owned()),
            answer_ar: Some("الورشة W2 كانت مغلقة في أكتوبر.".to_owned()),
        };
        for kind in [NoticeKind::DisputeAcknowledged, NoticeKind::DisputeAnswered] {
            let notice = render(
                &facts(
                    kind,
                    "both",
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
        for kind in NoticeKind::ALL {
            let subject = match kind {
                NoticeKind::AdvanceNotice
                | NoticeKind::Receipt
                | NoticeKind::FailureNotice
                | NoticeKind::DebitCancelled => NoticeSubject::Collection(Box::new(collection())),
                NoticeKind::DisputeAcknowledged | NoticeKind::DisputeAnswered => {
                    NoticeSubject::Dispute(Box::new(DisputeFacts {
                        case_number: "X".to_owned(),
                        collection_date: "2026-12-15".to_owned(),
                        amount: a("1.00"),
                        opened_on: "2026-12-16".to_owned(),
                        deadline: "2026-12-31".to_owned(),
                        outcome: None,
                        answer_fr: None,
                        answer_ar: None,
                    }))
                }
                _ => NoticeSubject::Mandate(Box::new(mandate())),
            };
            let notice = render(&facts(kind, "both", subject), &context()).unwrap();
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
}
