//! Password-reset emails: the link a user asked for on `/password/forgot`, sent by the
//! notice worker through the same transport as notices (SMTP or the `.eml` folder), in the
//! user's language (both when none was chosen). The token is kept encrypted only until the
//! email is handed over (`Store::mark_password_reset_sent`), claimed first so two workers
//! do not both send it. Logged by reset id only: no address, no token.

use std::time::Duration;

use askama::Template;

use super::mailer::{Mailer, SendError};
use super::render::RenderedNotice;
use crate::locale::{Lang, NoticeLanguage, clock, stored_algiers_time, written_day};
use crate::store::{PasswordResetEmail, Store};

/// What one pass did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ResetReport {
    pub sent: u64,
    /// Not handed over now (server down, 4xx): tried again once the claim expires.
    pub postponed: u64,
    /// Dropped: expired before it could be sent, or an address the server refuses.
    pub dropped: u64,
}

/// How long a claimed reset email is held by one worker before another may try it.
const CLAIM: Duration = Duration::from_secs(120);

struct LangTexts {
    lang: Lang,
    subject: &'static str,
    intro: &'static str,
    action: &'static str,
    no_link: &'static str,
    validity: &'static str,
    ignore: &'static str,
}

const FR: LangTexts = LangTexts {
    lang: Lang::Fr,
    subject: "Réinitialisation de votre mot de passe",
    intro: "Vous avez demandé à changer le mot de passe de votre compte sur l'espace employeur de la CACOBATPH.",
    action: "Choisir un nouveau mot de passe",
    no_link: "Ouvrez cette adresse sur le site de l'espace employeur pour choisir un nouveau mot de passe :",
    validity: "Ce lien ne sert qu'une fois et expire à {time} (heure d'Alger) le {date}.",
    ignore: "Si vous n'avez rien demandé, ignorez ce message : votre mot de passe reste inchangé. Nous ne vous demandons jamais votre mot de passe par courriel.",
};

const AR: LangTexts = LangTexts {
    lang: Lang::Ar,
    subject: "إعادة تعيين كلمة المرور",
    intro: "طلبتم تغيير كلمة مرور حسابكم في فضاء المستخدِمين لدى كاكوباث.",
    action: "اختيار كلمة مرور جديدة",
    no_link: "افتحوا هذا العنوان في موقع فضاء المستخدِمين لاختيار كلمة مرور جديدة:",
    validity: "يُستعمل هذا الرابط مرة واحدة وتنتهي صلاحيته على الساعة {time} (بتوقيت الجزائر) يوم {date}.",
    ignore: "إذا لم تطلبوا ذلك، تجاهلوا هذه الرسالة: تبقى كلمة المرور دون تغيير. لا نطلب منكم أبدا كلمة المرور عبر البريد الإلكتروني.",
};

/// The link confirming a new address (sent to that address).
const CONFIRM_FR: LangTexts = LangTexts {
    lang: Lang::Fr,
    subject: "Confirmez votre nouvelle adresse e-mail",
    intro: "Vous avez demandé que cette adresse devienne celle de votre compte sur l'espace employeur de la CACOBATPH.",
    action: "Confirmer cette adresse",
    no_link: "Ouvrez cette adresse sur le site de l'espace employeur pour confirmer la nouvelle adresse :",
    validity: "Ce lien ne sert qu'une fois et expire à {time} (heure d'Alger) le {date}.",
    ignore: "Si vous n'avez rien demandé, ignorez ce message : l'adresse du compte reste inchangée.",
};

const CONFIRM_AR: LangTexts = LangTexts {
    lang: Lang::Ar,
    subject: "أكّدوا عنوان بريدكم الإلكتروني الجديد",
    intro: "طلبتم أن يصبح هذا العنوان عنوان حسابكم في فضاء المستخدِمين لدى كاكوباث.",
    action: "تأكيد هذا العنوان",
    no_link: "افتحوا هذا العنوان في موقع فضاء المستخدِمين لتأكيد العنوان الجديد:",
    validity: "يُستعمل هذا الرابط مرة واحدة وتنتهي صلاحيته على الساعة {time} (بتوقيت الجزائر) يوم {date}.",
    ignore: "إذا لم تطلبوا ذلك، تجاهلوا هذه الرسالة: يبقى عنوان الحساب دون تغيير.",
};

struct Section {
    lang: &'static str,
    dir: &'static str,
    intro: &'static str,
    action: &'static str,
    no_link: &'static str,
    validity: String,
    ignore: &'static str,
}

#[derive(Template)]
#[template(path = "notices/password_reset.html")]
struct ResetHtml<'a> {
    subject: &'a str,
    first_lang: &'a str,
    first_dir: &'a str,
    sections: &'a [Section],
    link: Option<&'a str>,
    path: &'a str,
}

/// `2026-11-27T10:05:00Z` → (`11:05`, `27/11/2026`) in Algiers time.
fn algiers_time(expires_at: &str) -> (String, String) {
    match stored_algiers_time(expires_at) {
        Some(local) => (clock(local), written_day(local.date())),
        None => (expires_at.to_owned(), String::new()),
    }
}

/// Writes the email of one reset: `portal_url` makes the link absolute; without it the
/// email gives the path to open on the portal.
pub fn render_reset(
    email: &PasswordResetEmail,
    portal_url: Option<&str>,
) -> anyhow::Result<RenderedNotice> {
    let (path, fr, ar) = if email.confirms_email {
        (
            format!("/account/email/confirm?token={}", email.token),
            &CONFIRM_FR,
            &CONFIRM_AR,
        )
    } else {
        (format!("/password/reset?token={}", email.token), &FR, &AR)
    };
    let link = portal_url.map(|base| format!("{}{path}", base.trim_end_matches('/')));
    let language = NoticeLanguage::of(email.language);
    let langs: Vec<&LangTexts> = language
        .langs()
        .iter()
        .map(|lang| lang.pick(fr, ar))
        .collect();
    let (time, date) = algiers_time(&email.expires_at);
    let sections: Vec<Section> = langs
        .iter()
        .map(|t| Section {
            lang: t.lang.as_str(),
            dir: t.lang.dir(),
            intro: t.intro,
            action: t.action,
            no_link: t.no_link,
            validity: t.validity.replace("{time}", &time).replace("{date}", &date),
            ignore: t.ignore,
        })
        .collect();
    let subject = langs
        .iter()
        .map(|t| t.subject)
        .collect::<Vec<_>>()
        .join(" / ");
    let target = link.as_deref().unwrap_or(&path);
    let text = langs
        .iter()
        .zip(&sections)
        .map(|(t, s)| {
            let lead = if link.is_some() { t.action } else { t.no_link };
            format!(
                "{}\n\n{lead}:\n{target}\n\n{}\n\n{}",
                t.intro, s.validity, t.ignore
            )
        })
        .collect::<Vec<_>>()
        .join("\n\n----------------------------------------\n\n");
    let html = ResetHtml {
        subject: &subject,
        first_lang: sections[0].lang,
        first_dir: sections[0].dir,
        sections: &sections,
        link: link.as_deref(),
        path: &path,
    }
    .render()?;
    Ok(RenderedNotice {
        subject,
        text: format!("{text}\n"),
        html,
        language,
    })
}

/// Sends every pending reset email once (claimed first); expired ones are dropped.
pub async fn deliver_password_resets(
    store: &Store,
    mailer: &Mailer,
    portal_url: Option<&str>,
    worker: &str,
) -> anyhow::Result<ResetReport> {
    let mut report = ResetReport::default();
    let claim = chrono::Duration::from_std(CLAIM)?;
    for email in store.password_reset_emails().await? {
        let id = email.reset_id;
        if !store.claim_password_reset(id, worker, claim).await? {
            continue;
        }
        let expired = chrono::DateTime::parse_from_rfc3339(&email.expires_at)
            .map(|at| at.with_timezone(&chrono::Utc) <= store.clock().now())
            .unwrap_or(false);
        if expired {
            store.drop_password_reset(id).await?;
            report.dropped += 1;
            continue;
        }
        let name = store.user(email.user_id).await?.display_name;
        let rendered = render_reset(&email, portal_url)?;
        let message_id = mailer.message_id_for(&format!("password-reset.{id}"));
        let built = mailer.build(
            &message_id,
            &name,
            &email.email,
            &rendered,
            store.clock().now(),
        );
        let outcome = match built {
            Ok(message) => {
                mailer
                    .send(&message, &format!("password-reset-{id:08}"))
                    .await
            }
            Err(err) => Err(err),
        };
        match outcome {
            Ok(()) => {
                store.mark_password_reset_sent(id).await?;
                report.sent += 1;
                tracing::info!(reset = id, "password reset email sent");
            }
            Err(SendError::Transient(error)) => {
                report.postponed += 1;
                tracing::warn!(
                    reset = id,
                    error = error.as_str(),
                    "password reset email not sent, will retry"
                );
            }
            Err(SendError::Permanent(error)) => {
                store.drop_password_reset(id).await?;
                report.dropped += 1;
                tracing::warn!(
                    reset = id,
                    error = error.as_str(),
                    "password reset email refused; dropped (the user may ask again)"
                );
            }
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email(language: Option<Lang>) -> PasswordResetEmail {
        PasswordResetEmail {
            reset_id: 7,
            user_id: 3,
            email: "gerant@example.dz".to_owned(),
            language,
            token: "abc_DEF-123".to_owned(),
            expires_at: "2026-11-27T10:05:00Z".to_owned(),
            confirms_email: false,
        }
    }

    #[test]
    fn a_new_address_is_confirmed_by_its_own_link_and_words() {
        let mut confirm = email(Some(Lang::Fr));
        confirm.confirms_email = true;
        let rendered = render_reset(&confirm, Some("https://portail.example.dz")).unwrap();
        assert!(
            rendered
                .text
                .contains("https://portail.example.dz/account/email/confirm?token=abc_DEF-123"),
            "{}",
            rendered.text
        );
        assert!(!rendered.text.contains("/password/reset"));
        assert!(
            rendered.subject.contains("nouvelle adresse"),
            "{}",
            rendered.subject
        );
    }

    #[test]
    fn the_link_carries_the_token_and_the_expiry_is_in_algiers_time() {
        let fr = render_reset(&email(Some(Lang::Fr)), Some("https://portail.example.dz/")).unwrap();
        assert_eq!(fr.language, NoticeLanguage::Fr);
        assert!(fr.subject.starts_with("Réinitialisation"));
        assert!(
            fr.text
                .contains("https://portail.example.dz/password/reset?token=abc_DEF-123")
        );
        assert!(
            fr.html
                .contains("href=\"https://portail.example.dz/password/reset?token=abc_DEF-123\"")
        );
        assert!(
            fr.text.contains("11:05") && fr.text.contains("27/11/2026"),
            "{}",
            fr.text
        );
        assert!(!fr.text.contains("كلمة"));
        let both = render_reset(&email(None), None).unwrap();
        assert_eq!(both.language, NoticeLanguage::Both);
        assert!(both.subject.contains(" / "));
        assert!(both.html.contains("lang=\"ar\"") && both.html.contains("lang=\"fr\""));
        assert!(both.text.contains("/password/reset?token=abc_DEF-123"));
        assert!(
            !both.html.contains("href="),
            "no absolute link without portal_url"
        );
    }
}
