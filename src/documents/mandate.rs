//! A direct-debit mandate as a PDF, in French and Arabic: the fund, the title and the
//! mandate's reference, its facts (employer, affiliation number, state, masked account and
//! its institution, ceiling, dates) and the evidence of its signature (signer, moment,
//! address, browser, consent version and the SHA-256 of the text signed) between their
//! French and Arabic labels, then the exact consent text that was signed. Pages follow one
//! another when the text is long. The account is masked, as everywhere but the bank files.

use krilla::Document;
use krilla::SerializeSettings;
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::surface::Surface;
use mandates::{AccountKind, Lang};

use super::DocumentError;
use super::geometry::{Cpt, page_size, pt};
use super::receipt::{
    BODY, BODY_BOLD, FOOTER_BASELINE, FUND, LABEL_AR_START, LABEL_FR_END, LEFT, RIGHT, SMALL,
    TITLE, TOP, VALUE_LEFT, VALUE_RIGHT, draw_lines, fund_long, leading, lines, rule,
};
use super::text::{Align, Direction, Line, isolate_ltr, wrap};
use crate::locale::{Word, page_moment};
use crate::store::{Employer, Institution, MandateRecord};

/// What a mandate PDF is made from.
#[derive(Clone, Copy, Debug)]
pub struct MandateFacts<'a> {
    /// The fund's short name (the creditor's name: `CACOBATPH`).
    pub fund: &'a str,
    pub mandate: &'a MandateRecord,
    pub employer: &'a Employer,
}

/// Where the page's content stops (the footer is below).
const BOTTOM: Cpt = pt(790);

/// One block of the page: a fact between its labels, or a paragraph across the page.
enum Block {
    Fact {
        label_fr: Vec<Line>,
        values: Vec<Line>,
        label_ar: Vec<Line>,
    },
    Paragraph(Vec<Line>),
    Rule,
}

impl Block {
    fn height(&self) -> Cpt {
        match self {
            Block::Fact {
                label_fr,
                values,
                label_ar,
            } => {
                leading(BODY) * lines(values.len().max(label_fr.len()).max(label_ar.len())) + pt(6)
            }
            Block::Paragraph(paragraph) => leading(BODY) * lines(paragraph.len()) + pt(8),
            Block::Rule => pt(16),
        }
    }

    fn draw(&self, surface: &mut Surface<'_>, y: Cpt) -> Result<(), DocumentError> {
        match self {
            Block::Fact {
                label_fr,
                values,
                label_ar,
            } => {
                let l = leading(BODY);
                draw_lines(surface, label_fr, LEFT, LABEL_FR_END, y, l, Align::Start)?;
                draw_lines(surface, label_ar, LABEL_AR_START, RIGHT, y, l, Align::Start)?;
                draw_lines(
                    surface,
                    values,
                    VALUE_LEFT,
                    VALUE_RIGHT,
                    y,
                    l,
                    Align::Center,
                )?;
            }
            Block::Paragraph(paragraph) => {
                draw_lines(
                    surface,
                    paragraph,
                    LEFT,
                    RIGHT,
                    y,
                    leading(BODY),
                    Align::Start,
                )?;
            }
            Block::Rule => rule(surface, y - pt(6), pt(1) / 2),
        }
        Ok(())
    }
}

/// The mandate as a PDF document, in French and Arabic.
pub fn mandate_pdf(facts: &MandateFacts<'_>) -> Result<Vec<u8>, DocumentError> {
    let m = facts.mandate;
    let blocks = blocks(facts)?;
    let mut document = Document::new_with(SerializeSettings {
        xmp_metadata: false,
        ..SerializeSettings::default()
    });
    document.set_metadata(
        Metadata::new()
            .title(format!("{} {} — {}", FR.title, m.reference, AR.title))
            .creator("tahsil".to_owned())
            .language("fr".to_owned()),
    );
    let (width, height) = page_size();
    let mut blocks = blocks.iter().peekable();
    let mut page_number = 1;
    loop {
        let settings = PageSettings::from_wh(width, height)
            .ok_or_else(|| DocumentError::Pdf("page size".to_owned()))?;
        let mut page = document.start_page_with(settings);
        let mut surface = page.surface();
        let mut y = TOP;
        if page_number == 1 {
            y = head(&mut surface, facts)?;
        }
        let mut drawn = 0;
        while let Some(block) = blocks.peek() {
            // A block taller than a page is drawn anyway, alone, rather than never.
            if y + block.height() > BOTTOM && drawn > 0 {
                break;
            }
            block.draw(&mut surface, y)?;
            y += block.height();
            drawn += 1;
            blocks.next();
        }
        let footer = Line::new(
            &format!("{} · {page_number}", m.reference),
            SMALL,
            Direction::Ltr,
        )?;
        footer.draw(&mut surface, LEFT, RIGHT, FOOTER_BASELINE, Align::Center)?;
        surface.finish();
        page.finish();
        if blocks.peek().is_none() {
            break;
        }
        page_number += 1;
    }
    document
        .finish()
        .map_err(|err| DocumentError::Pdf(format!("{err:?}")))
}

/// The fund, the title and the reference; returns where the facts start.
fn head(surface: &mut Surface<'_>, facts: &MandateFacts<'_>) -> Result<Cpt, DocumentError> {
    let middle = (LEFT + RIGHT) / 2;
    let half = (RIGHT - LEFT) / 2 - pt(8);
    let (fund_fr, fund_ar) = fund_long();
    let mut y = TOP;
    Line::new(facts.fund, FUND, Direction::Auto)?.draw(surface, LEFT, RIGHT, y, Align::Center)?;
    y += leading(FUND);
    let fr = wrap(fund_fr, SMALL, Direction::Ltr, half)?;
    let ar = wrap(fund_ar, SMALL, Direction::Rtl, half)?;
    draw_lines(
        surface,
        &fr,
        LEFT,
        middle - pt(8),
        y,
        leading(SMALL),
        Align::Start,
    )?;
    draw_lines(
        surface,
        &ar,
        middle + pt(8),
        RIGHT,
        y,
        leading(SMALL),
        Align::Start,
    )?;
    y += leading(SMALL) * lines(fr.len().max(ar.len())) - pt(4);
    rule(surface, y, pt(1));
    y += pt(32);
    let reference = &facts.mandate.reference;
    Line::new(&format!("{} {reference}", FR.title), TITLE, Direction::Ltr)?.draw(
        surface,
        LEFT,
        RIGHT,
        y,
        Align::Start,
    )?;
    y += leading(TITLE);
    Line::new(
        &format!("{} {}", AR.title, isolate_ltr(reference)),
        TITLE,
        Direction::Rtl,
    )?
    .draw(surface, LEFT, RIGHT, y, Align::Start)?;
    Ok(y + pt(28))
}

fn blocks(facts: &MandateFacts<'_>) -> Result<Vec<Block>, DocumentError> {
    let m = facts.mandate;
    let employer = facts.employer;
    let value_width = VALUE_RIGHT - VALUE_LEFT;
    let value = |text: &str| wrap(text, BODY, Direction::Auto, value_width);
    let fact = |fr: &str, ar: &str, values: Vec<Line>| -> Result<Block, DocumentError> {
        Ok(Block::Fact {
            label_fr: wrap(fr, BODY, Direction::Ltr, LABEL_FR_END - LEFT)?,
            values,
            label_ar: wrap(ar, BODY, Direction::Rtl, RIGHT - LABEL_AR_START)?,
        })
    };
    let both = |fr: &str, ar: &str| -> Result<Vec<Line>, DocumentError> {
        let mut out = wrap(fr, BODY, Direction::Ltr, value_width)?;
        if ar != fr {
            out.extend(wrap(ar, BODY, Direction::Rtl, value_width)?);
        }
        Ok(out)
    };

    let mut names = wrap(&employer.name, BODY_BOLD, Direction::Auto, value_width)?;
    if let Some(name_ar) = employer.name_ar.as_deref().filter(|n| !n.trim().is_empty()) {
        names.extend(wrap(name_ar, BODY_BOLD, Direction::Rtl, value_width)?);
    }
    let institution = match m.account_kind {
        AccountKind::Postal => both(
            &format!(
                "{} — {}",
                m.account_masked,
                Institution::Poste.word(Lang::Fr)
            ),
            &format!(
                "{} — {}",
                isolate_ltr(&m.account_masked),
                Institution::Poste.word(Lang::Ar)
            ),
        )?,
        AccountKind::Bank => value(&format!(
            "{} — {}",
            m.account_masked,
            m.bank_name.as_deref().unwrap_or(&m.bank_code)
        ))?,
    };
    let mut blocks = vec![
        fact(FR.employer, AR.employer, names)?,
        fact(
            FR.affiliation,
            AR.affiliation,
            value(&employer.affiliation_number)?,
        )?,
        fact(
            FR.state,
            AR.state,
            both(m.status.word(Lang::Fr), m.status.word(Lang::Ar))?,
        )?,
        fact(FR.account, AR.account, institution)?,
    ];
    if let Some(ceiling) = m.ceiling {
        let amount = crate::locale::digits(ceiling);
        blocks.push(fact(
            FR.ceiling,
            AR.ceiling,
            both(
                &format!("{amount} DA"),
                &format!("{} د.ج", isolate_ltr(&amount)),
            )?,
        )?);
    }
    blocks.push(fact(
        FR.prepared,
        AR.prepared,
        value(&page_moment(&m.created_at))?,
    )?);
    blocks.push(Block::Rule);
    let signed = m.signed_at.is_some();
    let evidence: [(&str, &str, Option<String>); 6] = [
        (
            FR.signed_at,
            AR.signed_at,
            m.signed_at.as_deref().map(page_moment),
        ),
        (
            FR.signer,
            AR.signer,
            m.signed_by
                .as_deref()
                .map(|by| crate::locale::actors::signer(by).0.to_owned()),
        ),
        (FR.ip, AR.ip, m.signature_ip.clone()),
        (FR.browser, AR.browser, m.signature_user_agent.clone()),
        (FR.version, AR.version, m.consent_version.clone()),
        (
            FR.sha256,
            AR.sha256,
            m.consent_text_sha256.as_deref().map(split_hex),
        ),
    ];
    if signed {
        for (fr, ar, text) in evidence {
            if let Some(text) = text.filter(|t| !t.trim().is_empty()) {
                blocks.push(fact(fr, ar, value(&text)?)?);
            }
        }
    } else {
        blocks.push(Block::Paragraph(both(FR.not_signed, AR.not_signed)?));
    }
    if let Some(text) = m.consent_text.as_deref().filter(|t| !t.trim().is_empty()) {
        blocks.push(Block::Rule);
        let heading = format!("{} — {}", FR.consent, AR.consent);
        blocks.push(Block::Paragraph(vec![Line::new(
            &heading,
            BODY_BOLD,
            Direction::Ltr,
        )?]));
        // The text as signed, paragraph by paragraph, in its own direction.
        for paragraph in text.split('\n').filter(|p| !p.trim().is_empty()) {
            blocks.push(Block::Paragraph(wrap(
                paragraph.trim(),
                BODY,
                Direction::Auto,
                RIGHT - LEFT,
            )?));
        }
    }
    Ok(blocks)
}

/// A SHA-256 in hex, in two halves that fit the value column.
fn split_hex(hex: &str) -> String {
    match (hex.get(..32), hex.get(32..)) {
        (Some(first), Some(rest)) if !rest.is_empty() => format!("{first} {rest}"),
        _ => hex.to_owned(),
    }
}

/// The mandate document's own words, in one language.
struct Texts {
    title: &'static str,
    employer: &'static str,
    affiliation: &'static str,
    state: &'static str,
    account: &'static str,
    ceiling: &'static str,
    prepared: &'static str,
    signed_at: &'static str,
    signer: &'static str,
    ip: &'static str,
    browser: &'static str,
    version: &'static str,
    sha256: &'static str,
    not_signed: &'static str,
    consent: &'static str,
}

static FR: Texts = Texts {
    title: "Autorisation de prélèvement",
    employer: "Employeur",
    affiliation: "N° d'affiliation",
    state: "État",
    account: "Compte",
    ceiling: "Plafond par prélèvement",
    prepared: "Préparée le",
    signed_at: "Signée le",
    signer: "Signataire",
    ip: "Adresse IP",
    browser: "Navigateur",
    version: "Version du texte",
    sha256: "Empreinte SHA-256 du texte",
    not_signed: "Cette autorisation n'est pas signée.",
    consent: "Texte signé",
};

static AR: Texts = Texts {
    title: "ترخيص الاقتطاع",
    employer: "صاحب العمل",
    affiliation: "رقم الانخراط",
    state: "الحالة",
    account: "الحساب",
    ceiling: "الحد الأقصى لكل اقتطاع",
    prepared: "تاريخ الإعداد",
    signed_at: "تاريخ التوقيع",
    signer: "الموقّع",
    ip: "عنوان IP",
    browser: "المتصفح",
    version: "إصدار النص",
    sha256: "بصمة SHA-256 للنص",
    not_signed: "هذا الترخيص غير موقّع.",
    consent: "النص الموقّع",
};
