//! Who did something, as people read it: the audit trail, a resolved exception and the
//! calendar's history store an actor as a code (`user:4`, `api-user:4:2`, `scheduler`,
//! `cli`); a page shows the person's name or the part of the service in words, never the
//! code.

use super::Lang;

/// Who an actor code is: a user (by id), a user through a personal API token, or a part
/// of the service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Actor<'a> {
    User(i64),
    ApiUser(i64),
    /// An institution through the bank API (its stored code).
    BankApi(&'a str),
    Service(&'a str),
}

impl<'a> Actor<'a> {
    /// Reads a stored actor code.
    pub fn parse(code: &'a str) -> Actor<'a> {
        let user = |rest: &str| rest.split(':').next().and_then(|id| id.parse().ok());
        if let Some(id) = code.strip_prefix("user:").and_then(user) {
            Actor::User(id)
        } else if let Some(id) = code.strip_prefix("api-user:").and_then(user) {
            Actor::ApiUser(id)
        } else if let Some(rest) = code.strip_prefix("bank-api:") {
            Actor::BankApi(rest.split(':').next().unwrap_or_default())
        } else {
            Actor::Service(code)
        }
    }

    /// The user behind this actor, if a person.
    pub fn user_id(self) -> Option<i64> {
        match self {
            Actor::User(id) | Actor::ApiUser(id) => Some(id),
            Actor::BankApi(_) | Actor::Service(_) => None,
        }
    }
}

/// An actor in words: `name` is the user's name when the page knows it (a user no longer
/// known reads as "user n° 4"); a part of the service reads as what it does.
pub fn actor_word(code: &str, name: Option<&str>, lang: Lang) -> String {
    let actor = Actor::parse(code);
    let person = |id: i64| {
        name.filter(|n| !n.trim().is_empty())
            .map(str::to_owned)
            .unwrap_or_else(|| {
                lang.pick(format!("utilisateur n° {id}"), format!("المستخدم رقم {id}"))
            })
    };
    match actor {
        Actor::User(id) => person(id),
        Actor::ApiUser(id) => format!(
            "{} ({})",
            person(id),
            lang.pick("jeton d'API personnel", "رمز واجهة برمجية شخصي")
        ),
        Actor::BankApi(institution) => format!(
            "{} ({})",
            lang.pick("API bancaire", "الواجهة البرمجية البنكية"),
            crate::store::Institution::parse(institution)
                .map_or(lang.pick("banque", "بنك"), |i| super::Word::word(
                    i, lang
                ))
        ),
        Actor::Service(service) => service_word(service, lang).to_owned(),
    }
}

/// A signature's signer as stored (`Karim Benali, gérant (user 4)`: the name typed and
/// the signed-in user) split into the name typed and the user's id.
pub fn signer(signed_by: &str) -> (&str, Option<i64>) {
    if let Some((name, rest)) = signed_by.rsplit_once(" (user ")
        && let Some(id) = rest.strip_suffix(')').and_then(|id| id.parse().ok())
    {
        return (name, Some(id));
    }
    (signed_by, None)
}

fn service_word(code: &str, lang: Lang) -> &'static str {
    let (fr, ar) = match code {
        "scheduler" => ("Traitement automatique", "المعالجة الآلية"),
        "cli" | "migrate" | "seed" => ("Ligne de commande (exploitant)", "سطر الأوامر (المشغّل)"),
        "demo" => ("Démonstration", "العرض التجريبي"),
        "api" => ("API d'administration", "واجهة الإدارة البرمجية"),
        "notices" => ("Envoi des avis", "إرسال الإشعارات"),
        "inbox" => ("Import des relevés bancaires", "استيراد الكشوف البنكية"),
        "web" => ("Portail", "البوابة"),
        _ => ("Système", "النظام"),
    };
    lang.pick(fr, ar)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actors_read_as_people_and_parts_of_the_service() {
        assert_eq!(Actor::parse("user:4"), Actor::User(4));
        assert_eq!(Actor::parse("api-user:4:2"), Actor::ApiUser(4));
        assert_eq!(actor_word("user:4", Some("Amina"), Lang::Fr), "Amina");
        assert_eq!(actor_word("user:4", None, Lang::Fr), "utilisateur n° 4");
        assert_eq!(actor_word("user:4", Some(" "), Lang::Ar), "المستخدم رقم 4");
        assert_eq!(
            actor_word("scheduler", None, Lang::Fr),
            "Traitement automatique"
        );
        assert_eq!(actor_word("something-new", None, Lang::Ar), "النظام");
        assert!(!actor_word("api-user:7:1", None, Lang::Fr).contains("user:"));
        assert_eq!(
            signer("Karim Benali, gérant (user 4)"),
            ("Karim Benali, gérant", Some(4))
        );
        assert_eq!(signer("Gérant"), ("Gérant", None));
    }
}
