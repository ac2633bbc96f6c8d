//! The certificate of being up to date (attestation de mise à jour des cotisations, شهادة
//! أداء الاشتراكات) as a one-page PDF in French and Arabic: the fund, the title and the
//! certificate's number, the facts (employer, affiliation number, issued on, valid until,
//! verification code) between their French and Arabic labels as on a receipt, what the
//! fund certifies in both languages, and a QR code of the public verification address
//! (`{portal_url}/verify/CODE`) drawn as rectangles, the address written under it.

use krilla::Document;
use krilla::SerializeSettings;
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::Fill;
use qrcode::{Color, EcLevel, QrCode};

use super::DocumentError;
use super::geometry::{Cpt, PAGE_WIDTH, page_size, pt, rectangles};
use super::receipt::{
    BODY, BODY_BOLD, FOOTER_BASELINE, FUND, LABEL_AR_START, LABEL_FR_END, LEFT, RIGHT, SMALL,
    TITLE, TOP, VALUE_LEFT, VALUE_RIGHT, draw_lines, fund_long, leading, lines, rule, value_rtl,
};
use super::text::{Align, Direction, Line, isolate_ltr, wrap};
use crate::locale::written_day_of;
use crate::store::{Attestation, Employer};

/// What a certificate PDF is made from.
#[derive(Clone, Copy, Debug)]
pub struct AttestationFacts<'a> {
    /// The fund's short name (the creditor's name: `CACOBATPH`).
    pub fund: &'a str,
    pub attestation: &'a Attestation,
    pub employer: &'a Employer,
    /// The public address that answers for the certificate: `{portal_url}/verify/CODE`.
    pub verify_url: &'a str,
}

/// The side of one QR module, and the light margin around the code (4 modules, as the
/// QR standard asks).
const MODULE: Cpt = pt(3);
const QUIET_MODULES: Cpt = 4;

/// The certificate as a PDF document, in French and Arabic.
pub fn attestation_pdf(facts: &AttestationFacts<'_>) -> Result<Vec<u8>, DocumentError> {
    let a = facts.attestation;
    let employer = facts.employer;
    let mut document = Document::new_with(SerializeSettings {
        xmp_metadata: false,
        ..SerializeSettings::default()
    });
    document.set_metadata(
        Metadata::new()
            .title(format!("{} {} — {}", FR.title, a.number, AR.title))
            .creator("tahsil".to_owned())
            .language("fr".to_owned()),
    );
    let (width, height) = page_size();
    let settings = PageSettings::from_wh(width, height)
        .ok_or_else(|| DocumentError::Pdf("page size".to_owned()))?;
    let mut page = document.start_page_with(settings);
    let mut surface = page.surface();

    let full_width = RIGHT - LEFT;
    let middle = (LEFT + RIGHT) / 2;
    let half = full_width / 2 - pt(8);
    let (fund_fr, fund_ar) = fund_long();
    let mut y = TOP;
    Line::new(facts.fund, FUND, Direction::Auto)?.draw(
        &mut surface,
        LEFT,
        RIGHT,
        y,
        Align::Center,
    )?;
    y += leading(FUND);
    let fr = wrap(fund_fr, SMALL, Direction::Ltr, half)?;
    let ar = wrap(fund_ar, SMALL, Direction::Rtl, half)?;
    draw_lines(
        &mut surface,
        &fr,
        LEFT,
        middle - pt(8),
        y,
        leading(SMALL),
        Align::Start,
    )?;
    draw_lines(
        &mut surface,
        &ar,
        middle + pt(8),
        RIGHT,
        y,
        leading(SMALL),
        Align::Start,
    )?;
    y += leading(SMALL) * lines(fr.len().max(ar.len())) - pt(4);
    rule(&mut surface, y, pt(1));

    y += pt(32);
    for title in [
        Line::new(FR.title, TITLE, Direction::Ltr)?,
        Line::new(AR.title, TITLE, Direction::Rtl)?,
    ] {
        title.draw(&mut surface, LEFT, RIGHT, y, Align::Center)?;
        y += leading(TITLE);
    }
    y += pt(4);
    Line::new(
        &format!("{} {}", FR.number, a.number),
        BODY_BOLD,
        Direction::Ltr,
    )?
    .draw(&mut surface, LEFT, RIGHT, y, Align::Start)?;
    Line::new(
        &format!("{} {}", AR.number, isolate_ltr(&a.number)),
        BODY_BOLD,
        Direction::Rtl,
    )?
    .draw(&mut surface, LEFT, RIGHT, y, Align::Start)?;
    y += pt(28);

    let value_width = VALUE_RIGHT - VALUE_LEFT;
    let value = |text: &str, style| -> Result<Vec<Line>, DocumentError> {
        wrap(text, style, Direction::Auto, value_width)
    };
    let mut names = value(&employer.name, BODY_BOLD)?;
    if let Some(name_ar) = employer.name_ar.as_deref().filter(|n| !n.trim().is_empty()) {
        names.extend(
            value_rtl(name_ar, BODY_BOLD, value_width)?
                .into_iter()
                .map(|(l, _)| l),
        );
    }
    let issued_on = written_day_of(&a.issued_on);
    let valid_until = written_day_of(&a.valid_until);
    let rows: [(&str, &str, Vec<Line>); 5] = [
        (FR.employer, AR.employer, names),
        (
            FR.affiliation,
            AR.affiliation,
            value(&employer.affiliation_number, BODY)?,
        ),
        (FR.issued_on, AR.issued_on, value(&issued_on, BODY)?),
        (
            FR.valid_until,
            AR.valid_until,
            value(&valid_until, BODY_BOLD)?,
        ),
        (FR.code, AR.code, value(&grouped(&a.code), BODY_BOLD)?),
    ];
    for (label_fr, label_ar, values) in &rows {
        let label_fr = wrap(label_fr, BODY, Direction::Ltr, LABEL_FR_END - LEFT)?;
        let label_ar = wrap(label_ar, BODY, Direction::Rtl, RIGHT - LABEL_AR_START)?;
        draw_lines(
            &mut surface,
            &label_fr,
            LEFT,
            LABEL_FR_END,
            y,
            leading(BODY),
            Align::Start,
        )?;
        draw_lines(
            &mut surface,
            &label_ar,
            LABEL_AR_START,
            RIGHT,
            y,
            leading(BODY),
            Align::Start,
        )?;
        draw_lines(
            &mut surface,
            values,
            VALUE_LEFT,
            VALUE_RIGHT,
            y,
            leading(BODY),
            Align::Center,
        )?;
        let tallest = values.len().max(label_fr.len()).max(label_ar.len());
        y += leading(BODY) * lines(tallest) + pt(6);
    }

    y += pt(14);
    rule(&mut surface, y - pt(12), pt(1) / 2);
    let certifies_fr = FR
        .certifies
        .replace("{day}", &issued_on)
        .replace("{until}", &valid_until);
    let certifies_ar = AR
        .certifies
        .replace("{day}", &isolate_ltr(&issued_on))
        .replace("{until}", &isolate_ltr(&valid_until));
    for (text, direction) in [
        (certifies_fr.as_str(), Direction::Ltr),
        (certifies_ar.as_str(), Direction::Rtl),
        (FR.verify, Direction::Ltr),
        (AR.verify, Direction::Rtl),
    ] {
        let paragraph = wrap(text, BODY, direction, full_width)?;
        y = draw_lines(
            &mut surface,
            &paragraph,
            LEFT,
            RIGHT,
            y,
            leading(BODY),
            Align::Start,
        )?;
        y += pt(8);
    }

    // The QR code of the verification address, centred, the address under it.
    let code = QrCode::with_error_correction_level(facts.verify_url.as_bytes(), EcLevel::M)
        .map_err(|err| DocumentError::Pdf(format!("QR code: {err}")))?;
    let modules = Cpt::try_from(code.width())
        .map_err(|_| DocumentError::Pdf("QR code too wide".to_owned()))?;
    let side = (modules + 2 * QUIET_MODULES) * MODULE;
    let left = (PAGE_WIDTH - side) / 2 + QUIET_MODULES * MODULE;
    let top = y + QUIET_MODULES * MODULE - pt(8);
    let colors = code.to_colors();
    let mut dark = Vec::new();
    for (row, chunk) in (0..).zip(colors.chunks(code.width())) {
        // Each run of dark modules on a row as one rectangle.
        let mut start: Option<Cpt> = None;
        for (column, color) in (0..).zip(chunk.iter().chain([&Color::Light])) {
            match (color, start) {
                (Color::Dark, None) => start = Some(column),
                (Color::Light, Some(first)) => {
                    dark.push((
                        left + first * MODULE,
                        top + row * MODULE,
                        (column - first) * MODULE,
                        MODULE,
                    ));
                    start = None;
                }
                _ => {}
            }
        }
    }
    if let Some(path) = rectangles(&dark) {
        surface.set_fill(Some(Fill::default()));
        surface.draw_path(&path);
    }
    y = top + modules * MODULE + QUIET_MODULES * MODULE;
    Line::new(facts.verify_url, SMALL, Direction::Ltr)?.draw(
        &mut surface,
        LEFT,
        RIGHT,
        y,
        Align::Center,
    )?;

    let footer = Line::new(&a.number, SMALL, Direction::Ltr)?;
    footer.draw(&mut surface, LEFT, RIGHT, FOOTER_BASELINE, Align::Center)?;
    surface.finish();
    page.finish();
    document
        .finish()
        .map_err(|err| DocumentError::Pdf(format!("{err:?}")))
}

/// The public address that answers for the certificate whose code is `code`:
/// `{portal_url}/verify/CODE`; without a portal address configured, the path alone (the
/// code printed beside it still lets anyone check it on the fund's site).
pub fn verify_url(portal_url: Option<&str>, code: &str) -> String {
    let base = portal_url.map_or("", |url| url.trim().trim_end_matches('/'));
    format!("{base}/verify/{code}")
}

/// A verification code in groups of four, easier to read out (`/verify` takes it either way).
fn grouped(code: &str) -> String {
    code.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

/// The certificate's own words, in one language.
struct Texts {
    title: &'static str,
    number: &'static str,
    employer: &'static str,
    affiliation: &'static str,
    issued_on: &'static str,
    valid_until: &'static str,
    code: &'static str,
    /// `{day}`: the day it is issued; `{until}`: its last valid day.
    certifies: &'static str,
    verify: &'static str,
}

static FR: Texts = Texts {
    title: "Attestation de mise à jour des cotisations",
    number: "Attestation n°",
    employer: "Employeur",
    affiliation: "N° d'affiliation",
    issued_on: "Délivrée le",
    valid_until: "Valable jusqu'au",
    code: "Code de vérification",
    certifies: "La Caisse atteste que l'employeur désigné ci-dessus est à jour de ses cotisations au {day} : aucune cotisation échue ne reste due. Cette attestation est valable jusqu'au {until} inclus, sauf révocation.",
    verify: "Pour vérifier cette attestation, scannez le code QR ou ouvrez l'adresse ci-dessous : la page indique si elle est valable, expirée ou révoquée.",
};

static AR: Texts = Texts {
    title: "شهادة أداء الاشتراكات",
    number: "شهادة رقم",
    employer: "صاحب العمل",
    affiliation: "رقم الانخراط",
    issued_on: "تاريخ الإصدار",
    valid_until: "صالحة إلى غاية",
    code: "رمز التحقق",
    certifies: "يشهد الصندوق بأن صاحب العمل المذكور أعلاه قد أدى اشتراكاته إلى غاية {day}: لم يبق عليه أي اشتراك مستحق. هذه الشهادة صالحة إلى غاية {until}، ما لم تلغ.",
    verify: "للتحقق من هذه الشهادة، امسحوا رمز الاستجابة السريعة أو افتحوا العنوان أدناه: تبين الصفحة ما إذا كانت صالحة أو منتهية الصلاحية أو ملغاة.",
};
