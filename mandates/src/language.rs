//! The fund's two languages, Arabic and French, and what an employer's notices are
//! written in. The words and formats of each are the service's (`locale`).

crate::stored_codes! {
    /// A language of the pages and the notices: Arabic (right to left) or French.
    pub enum Lang("language") {
        Ar = "ar",
        Fr = "fr",
    }
}

impl Lang {
    /// The text direction: `rtl` for Arabic, `ltr` for French.
    pub fn dir(self) -> &'static str {
        match self {
            Lang::Ar => "rtl",
            Lang::Fr => "ltr",
        }
    }

    /// The other language, for a switch between the two.
    pub fn other(self) -> Lang {
        match self {
            Lang::Ar => Lang::Fr,
            Lang::Fr => Lang::Ar,
        }
    }

    /// The French or the Arabic one of a pair.
    pub fn pick<T>(self, fr: T, ar: T) -> T {
        match self {
            Lang::Fr => fr,
            Lang::Ar => ar,
        }
    }
}

crate::stored_codes! {
    /// What an employer's notices are written in: Arabic, French, or both (Arabic first).
    pub enum NoticeLanguage("notice language") {
        Ar = "ar",
        Fr = "fr",
        Both = "both",
    }
}

impl NoticeLanguage {
    /// The languages of a notice, in the order it is written in them.
    pub fn langs(self) -> &'static [Lang] {
        match self {
            NoticeLanguage::Ar => &[Lang::Ar],
            NoticeLanguage::Fr => &[Lang::Fr],
            NoticeLanguage::Both => &[Lang::Ar, Lang::Fr],
        }
    }

    /// One language, or both when none was chosen.
    pub fn of(lang: Option<Lang>) -> NoticeLanguage {
        match lang {
            Some(Lang::Ar) => NoticeLanguage::Ar,
            Some(Lang::Fr) => NoticeLanguage::Fr,
            None => NoticeLanguage::Both,
        }
    }
}
