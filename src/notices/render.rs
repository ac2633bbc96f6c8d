//! Writing a notice: facts from the store → subject, plain text and HTML, in Arabic
//! (right to left), French, or both, per the employer's preference. Templates are compiled
//! into the binary (askama, `templates/notices/`). Pure: no IO, no clock.
//!
//! Nothing here prints an account number in clear: only the stored masked form ever reaches
//! a template, shortened to its last 4 digits. Links carry no token and no id.

use askama::Template;
use bank_formats::reasons::ReasonCategory;
use mandates::{AccountKind, Amount, MandateStatus};

use crate::locale::words::reason_explanation;
use crate::locale::{self, Lang, Medium, NoticeLanguage, last4, written_day, written_day_of};
use crate::store::{
    BreakdownLine, CollectionFacts, DisputeFacts, DisputeOutcome, HandedOverDebit, MandateFacts,
    NoticeFacts, NoticeKind, NoticeSubject, PlanNoticeFacts, ShortfallFacts, SurchargeNoticeFacts,
};

/// A notice ready to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenderedNotice {
    pub subject: String,
    pub text: String,
    pub html: String,
    /// What the notice was written in.
    pub language: NoticeLanguage,
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

/// Writes a notice from its facts.
pub fn render(facts: &NoticeFacts, context: &RenderContext) -> anyhow::Result<RenderedNotice> {
    let language = facts.recipient.language;
    let mut subjects = Vec::new();
    let mut texts = Vec::new();
    let mut sections = Vec::new();
    for &lang in language.langs() {
        let view = View::new(facts, context, lang);
        subjects.push(subject(&view, lang));
        match lang {
            Lang::Ar => {
                // Plain text cannot say `dir="ltr"`: its Latin and digit runs are isolated.
                texts.push(locale::isolate_ltr_runs(&ArText { n: &view }.render()?));
                sections.push(Section {
                    lang: lang.as_str(),
                    dir: lang.dir(),
                    body: ArHtml { n: &view }.render()?,
                });
            }
            Lang::Fr => {
                texts.push(FrText { n: &view }.render()?);
                sections.push(Section {
                    lang: lang.as_str(),
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
        language,
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

/// One instalment of a payment plan, formatted.
struct InstalmentView {
    number: i64,
    date: String,
    amount: String,
    paid: String,
    /// Not paid in full.
    unpaid: bool,
}

/// One scheme's part of a breakdown, formatted.
struct SchemeView {
    label: &'static str,
    amount: String,
}

/// Everything a template shows, already formatted for one language. Fields that do not
/// apply to the notice's kind are empty.
struct View {
    kind: NoticeKind,
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
    /// The announcement's number: above 1, it replaces the previous advance notice.
    notice_version: i64,
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
    /// What becomes of its contributions (still owed, paid, no longer claimed).
    cancel_consequence: String,
    next_date: String,
    next_amount: String,
    // Mandates.
    ceiling: String,
    since: String,
    old_reference: String,
    old_account: String,
    /// The debits announced on the replaced mandate that the new one presents: (date,
    /// amount), formatted.
    handed_over: Vec<(String, String)>,
    /// Those it does not present (too close to their date to be announced again): cancelled.
    not_handed_over: Vec<(String, String)>,
    // Disputes.
    case_number: String,
    deadline: String,
    opened_on: String,
    upheld: bool,
    answer: String,
    // Surcharges: what it is and how it is computed, in a sentence.
    explanation: String,
    // Payment plans: the plan's number, its instalments, the staff's reason (refused,
    // cancelled), the fund's grace in days.
    plan_id: i64,
    instalments: Vec<InstalmentView>,
    plan_reason: String,
    grace_days: u32,
}

impl View {
    fn new(facts: &NoticeFacts, context: &RenderContext, lang: Lang) -> View {
        let r = &facts.recipient;
        let mut view = View {
            kind: facts.kind,
            employer: locale::employer_name(lang, &r.name, r.name_ar.as_deref()).to_owned(),
            affiliation: r.affiliation_number.clone(),
            portal_url: context.portal_url.clone(),
            reply_to: context.reply_to.clone(),
            notice_days: context.notice_days,
            amount: String::new(),
            date: String::new(),
            contest_by: String::new(),
            attempt: 1,
            notice_version: 1,
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
            cancel_consequence: String::new(),
            next_date: String::new(),
            next_amount: String::new(),
            ceiling: String::new(),
            since: String::new(),
            old_reference: String::new(),
            old_account: String::new(),
            handed_over: Vec::new(),
            not_handed_over: Vec::new(),
            case_number: String::new(),
            deadline: String::new(),
            opened_on: String::new(),
            upheld: false,
            answer: String::new(),
            explanation: String::new(),
            plan_id: 0,
            instalments: Vec::new(),
            plan_reason: String::new(),
            grace_days: 0,
        };
        match &facts.subject {
            NoticeSubject::Collection(c) => view.collection(c, lang),
            NoticeSubject::Mandate(m) => view.mandate(m, lang),
            NoticeSubject::Dispute(d) => view.dispute(d, lang),
            NoticeSubject::Shortfall(s) => view.shortfall(s, lang),
            NoticeSubject::Surcharge(s) => view.surcharge(s, lang),
            NoticeSubject::Plan(p) => view.plan(p, lang),
        }
        view
    }

    fn collection(&mut self, c: &CollectionFacts, lang: Lang) {
        self.amount = money(c.amount, lang);
        self.date = written_day_of(&c.collection_date);
        self.contest_by = day_before(&c.collection_date);
        self.attempt = c.attempt;
        self.notice_version = c.notice_version;
        self.account = last4(&c.account_masked);
        self.institution = institution(c.channel, c.bank_name.as_deref(), lang);
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
        self.settled_on = written_day_of(c.settled_on.as_deref().unwrap_or(&c.collection_date));
        let category = c.reason_category.unwrap_or(ReasonCategory::Other);
        self.reason = reason_explanation(category, lang).to_owned();
        self.reason_code = c.reason_code.clone().unwrap_or_default();
        self.cancel_reason = cancel_reason(&self.reason_code, lang).to_owned();
        self.cancel_consequence = cancel_consequence(&self.reason_code, lang).to_owned();
        if let Some(next) = &c.next_attempt {
            self.next_date = written_day_of(&next.collection_date);
            self.next_amount = money(next.amount, lang);
        }
    }

    fn mandate(&mut self, facts: &MandateFacts, lang: Lang) {
        let m = &facts.mandate;
        self.reference = m.reference.clone();
        self.account = last4(&m.account_masked);
        self.institution = institution(m.account_kind, m.bank_name.as_deref(), lang);
        self.ceiling = m.ceiling.map(|c| money(c, lang)).unwrap_or_default();
        self.since = written_day_of(m.signed_at.as_deref().unwrap_or(&m.updated_at));
        if matches!(m.status, MandateStatus::Revoked | MandateStatus::Suspended) {
            self.since = written_day_of(&m.updated_at);
        }
        if let Some(replaced) = &facts.replaced {
            self.old_reference = replaced.reference.clone();
            self.old_account = last4(&replaced.account_masked);
            let listed = |debits: &[HandedOverDebit]| -> Vec<(String, String)> {
                debits
                    .iter()
                    .map(|d| (written_day_of(&d.collection_date), money(d.amount, lang)))
                    .collect()
            };
            self.handed_over = listed(&replaced.handed_over);
            self.not_handed_over = listed(&replaced.not_handed_over);
        }
        let category = facts
            .suspension_reason
            .unwrap_or(ReasonCategory::AccountClosed);
        self.reason = reason_explanation(category, lang).to_owned();
    }

    fn surcharge(&mut self, s: &SurchargeNoticeFacts, lang: Lang) {
        self.amount = money(s.amount, lang);
        self.date = written_day_of(&s.accrued_on);
        self.deadline = written_day_of(&s.facts.deadline);
        self.explanation = if s.facts.kind == crate::store::SurchargeKind::ProvisionalAssessment {
            locale::statement::provisional_explanation(&s.facts, false, lang)
        } else {
            locale::statement::surcharge_explanation(&s.facts, lang)
        };
    }

    /// A payment plan: its total (`amount`), the day it was set (`since`) or ended
    /// (`date`), its instalments, the staff's reason.
    fn plan(&mut self, p: &PlanNoticeFacts, lang: Lang) {
        self.plan_id = p.plan_id;
        self.amount = p.total.map(|t| money(t, lang)).unwrap_or_default();
        self.since = p
            .started_on
            .as_deref()
            .map(written_day_of)
            .unwrap_or_default();
        self.date = written_day_of(p.ended_on.as_deref().unwrap_or(&p.requested_on));
        self.grace_days = p.grace_days;
        self.instalments = p
            .instalments
            .iter()
            .map(|i| InstalmentView {
                number: i.number,
                date: written_day_of(&i.due_on),
                amount: money(Amount::from_centimes(i.amount_centimes), lang),
                paid: money(Amount::from_centimes(i.paid_centimes), lang),
                unpaid: i.paid_centimes < i.amount_centimes,
            })
            .collect();
        // The staff's words as they wrote them; a broken plan's code is the template's.
        self.plan_reason = match p.end_reason.as_deref() {
            Some("instalment_missed") | None => String::new(),
            Some(reason) => reason.to_owned(),
        };
    }

    fn shortfall(&mut self, s: &ShortfallFacts, lang: Lang) {
        self.amount = money(s.amount, lang);
        self.ceiling = money(s.ceiling, lang);
        self.date = written_day_of(&s.collection_date);
        self.deadline = written_day_of(&s.deadline);
        self.reference = s.mandate_reference.clone();
    }

    fn dispute(&mut self, d: &DisputeFacts, lang: Lang) {
        self.case_number = d.case_number.clone();
        self.date = written_day_of(&d.collection_date);
        self.amount = money(d.amount, lang);
        self.opened_on = written_day_of(&d.opened_on);
        self.deadline = written_day_of(&d.deadline);
        self.upheld = d.outcome == Some(DisputeOutcome::Upheld);
        self.answer = match lang {
            Lang::Ar => d.answer_ar.clone().or_else(|| d.answer_fr.clone()),
            Lang::Fr => d.answer_fr.clone().or_else(|| d.answer_ar.clone()),
        }
        .unwrap_or_default();
    }
}

fn subject(n: &View, lang: Lang) -> String {
    match (lang, n.kind) {
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
        (Lang::Fr, NoticeKind::OverCeiling) => format!(
            "Prélèvement du {} non présenté : {} dépasse votre plafond",
            n.date, n.amount
        ),
        (Lang::Ar, NoticeKind::OverCeiling) => {
            format!("لن يُقدَّم اقتطاع {}: {} يتجاوز سقفكم", n.date, n.amount)
        }
        (Lang::Fr, NoticeKind::SurchargeNotice) => {
            format!("Majoration de retard : {} au {}", n.amount, n.date)
        }
        (Lang::Ar, NoticeKind::SurchargeNotice) => {
            format!("زيادة تأخير: {} بتاريخ {}", n.amount, n.date)
        }
        (Lang::Fr, NoticeKind::ProvisionalAssessment) => {
            format!("Taxation provisoire : {} au {}", n.amount, n.date)
        }
        (Lang::Ar, NoticeKind::ProvisionalAssessment) => {
            format!("تقدير مؤقت: {} بتاريخ {}", n.amount, n.date)
        }
        (Lang::Fr, NoticeKind::PlanSet) => format!(
            "Échéancier n° {} accordé : {} en {} échéance(s)",
            n.plan_id,
            n.amount,
            n.instalments.len()
        ),
        (Lang::Ar, NoticeKind::PlanSet) => format!(
            "منح جدول التقسيط رقم {}: {} على {} قسط",
            n.plan_id,
            n.amount,
            n.instalments.len()
        ),
        (Lang::Fr, NoticeKind::PlanRefused) => {
            format!("Demande d'échéancier n° {} refusée", n.plan_id)
        }
        (Lang::Ar, NoticeKind::PlanRefused) => {
            format!("رفض طلب جدول التقسيط رقم {}", n.plan_id)
        }
        (Lang::Fr, NoticeKind::PlanBroken) => {
            format!("Échéancier n° {} rompu : échéance impayée", n.plan_id)
        }
        (Lang::Ar, NoticeKind::PlanBroken) => {
            format!("فسخ جدول التقسيط رقم {}: قسط غير مدفوع", n.plan_id)
        }
        (Lang::Fr, NoticeKind::PlanCancelled) => {
            format!("Échéancier n° {} annulé par la Caisse", n.plan_id)
        }
        (Lang::Ar, NoticeKind::PlanCancelled) => {
            format!("ألغى الصندوق جدول التقسيط رقم {}", n.plan_id)
        }
        (Lang::Fr, NoticeKind::PlanCompleted) => {
            format!("Échéancier n° {} soldé", n.plan_id)
        }
        (Lang::Ar, NoticeKind::PlanCompleted) => {
            format!("استيفاء جدول التقسيط رقم {}", n.plan_id)
        }
    }
}

/// What becomes of the contributions of a cancelled debit: still owed (the debit's reason
/// left them owed), paid by another means, or no longer claimed (written off).
fn cancel_consequence(code: &str, lang: Lang) -> &'static str {
    match (code, lang) {
        ("paid_otherwise", Lang::Fr) => {
            "Les cotisations ci-dessous sont réglées : vous n'avez plus rien à payer pour elles."
        }
        ("paid_otherwise", Lang::Ar) => "الاشتراكات أدناه مسدَّدة: لم يعد عليكم دفع أي شيء مقابلها.",
        ("written_off", Lang::Fr) => {
            "La caisse ne vous réclame plus les cotisations ci-dessous : elles ne seront plus prélevées."
        }
        ("written_off", Lang::Ar) => "لم يعد الصندوق يطالبكم بالاشتراكات أدناه: لن تُقتطع بعد الآن.",
        (_, Lang::Fr) => {
            "Les cotisations ci-dessous restent dues. Elles seront reprises dans un prochain prélèvement, annoncé par un nouvel avis, ou vous pouvez les régler par un autre moyen (virement ou guichet de votre agence CACOBATPH)."
        }
        (_, Lang::Ar) => {
            "تبقى الاشتراكات أدناه مستحقة. ستُدرج في اقتطاع لاحق يُعلن عنه بإشعار جديد، أو يمكنكم تسديدها بوسيلة أخرى (تحويل أو شباك وكالة CACOBATPH)."
        }
    }
}

/// Why the run's re-check, a calendar change or staff cancelled a planned debit (the codes
/// `Store::recheck_planned`, `Store::change_calendar` and `Store::act_on_debit` write).
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
        ("staff_cancelled", Lang::Fr) => {
            "le service financier de la caisse l'a annulé ; les montants restent dus et seront prélevés à une prochaine échéance"
        }
        ("staff_cancelled", Lang::Ar) => {
            "ألغته المصلحة المالية للصندوق؛ تبقى المبالغ مستحقة وتُقتطع في أجل لاحق"
        }
        ("held_past_its_date", Lang::Fr) => {
            "il a été suspendu par la caisse au-delà de sa date ; les montants restent dus et seront prélevés à une prochaine échéance"
        }
        ("held_past_its_date", Lang::Ar) => {
            "أوقفه الصندوق إلى ما بعد تاريخه؛ تبقى المبالغ مستحقة وتُقتطع في أجل لاحق"
        }
        ("paid_otherwise", Lang::Fr) => {
            "les montants qu'il devait prélever ont été payés par un autre moyen (virement, chèque ou guichet)"
        }
        ("paid_otherwise", Lang::Ar) => {
            "المبالغ التي كان سيقتطعها دُفعت بوسيلة أخرى (تحويل أو صك أو شباك)"
        }
        ("written_off", Lang::Fr) => {
            "la caisse a renoncé à recouvrer les montants qu'il devait prélever (admis en non-valeur)"
        }
        ("written_off", Lang::Ar) => {
            "تخلّى الصندوق عن تحصيل المبالغ التي كان سيقتطعها (شُطبت من الديون)"
        }
        (_, Lang::Fr) => "une vérification avant l'envoi à la banque l'a écarté",
        (_, Lang::Ar) => "استُبعد عند التحقق قبل الإرسال إلى البنك",
    }
}

/// The bank or the post office holding the account.
fn institution(kind: AccountKind, bank_name: Option<&str>, lang: Lang) -> String {
    match (kind, lang) {
        (AccountKind::Postal, Lang::Fr) => "compte courant postal (Algérie Poste)".to_owned(),
        (AccountKind::Postal, Lang::Ar) => "الحساب البريدي الجاري (بريد الجزائر)".to_owned(),
        (AccountKind::Bank, Lang::Fr) => match bank_name {
            Some(name) => format!("compte bancaire, {name}"),
            None => "compte bancaire".to_owned(),
        },
        (AccountKind::Bank, Lang::Ar) => match bank_name {
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
            label: lang.pick(fr, ar),
            amount: money(amount, lang),
        })
        .collect()
}

/// An amount as the notices write it (`1 234 567,89 DA`, `د.ج` in Arabic), as the pages do.
fn money(amount: Amount, lang: Lang) -> String {
    locale::money(amount, lang, Medium::Notice)
}

/// The day before a stored `YYYY-MM-DD`, as the notices write days.
fn day_before(iso: &str) -> String {
    match chrono::NaiveDate::parse_from_str(iso.get(..10).unwrap_or(iso), "%Y-%m-%d") {
        Ok(day) => day
            .pred_opt()
            .map_or_else(|| written_day_of(iso), written_day),
        Err(_) => iso.to_owned(),
    }
}

pub mod samples;

#[cfg(test)]
mod tests;
