//! The texts of the console's list of every debit (its filters, totals, paging and CSV
//! export) and of a debit's timeline, in both languages; a field missing in one is a
//! compile error. The words of states, reasons, channels and changes are
//! `crate::locale::words`'.

use super::Lang;

#[derive(Debug)]
pub struct DebitListTexts {
    pub nav: &'static str,
    pub title: &'static str,
    pub filters: &'static str,
    pub from: &'static str,
    pub to: &'static str,
    pub channel: &'static str,
    pub status: &'static str,
    pub reason: &'static str,
    /// The choice of a select that filters nothing.
    pub any: &'static str,
    pub employer: &'static str,
    pub employer_hint: &'static str,
    pub min_amount: &'static str,
    pub max_amount: &'static str,
    pub amount_hint: &'static str,
    pub apply: &'static str,
    pub clear: &'static str,
    pub export_csv: &'static str,
    /// `{count}` debits for `{amount}`.
    totals: &'static str,
    pub none_found: &'static str,
    pub order_hint: &'static str,
    pub number: &'static str,
    pub date: &'static str,
    pub affiliation: &'static str,
    pub employer_name: &'static str,
    pub amount: &'static str,
    pub attempt: &'static str,
    pub reason_code: &'static str,
    pub file: &'static str,
    pub account: &'static str,
    pub held: &'static str,
    pub next_page: &'static str,
    pub first_page: &'static str,
    /// Why the filter was refused (each problem follows).
    pub refused: &'static str,
    /// `{text}`: what was typed.
    bad_date: &'static str,
    bad_amount: &'static str,
    pub dates_reversed: &'static str,
    pub amounts_reversed: &'static str,
    pub bad_choice: &'static str,
    pub bad_page: &'static str,
    // The timeline of one debit.
    pub timeline: &'static str,
    pub when: &'static str,
    pub what: &'static str,
    pub detail: &'static str,
    pub by: &'static str,
    pub service: &'static str,
    pub no_timeline: &'static str,
    /// `{n}`: the advance notice's version.
    announced: &'static str,
    pub announced_moved: &'static str,
    /// `{n}`: the file's sequence number.
    in_file: &'static str,
    /// `{file}`: the report's file name.
    reported: &'static str,
    pub sent_at: &'static str,
    pub other_change: &'static str,
}

impl DebitListTexts {
    /// These texts in `lang`.
    pub fn of(lang: Lang) -> &'static DebitListTexts {
        lang.pick(&FR, &AR)
    }

    pub fn totals(&self, count: &str, amount: &str) -> String {
        self.totals
            .replace("{count}", count)
            .replace("{amount}", amount)
    }

    pub fn bad_date(&self, text: &str) -> String {
        self.bad_date.replace("{text}", text)
    }

    pub fn bad_amount(&self, text: &str) -> String {
        self.bad_amount.replace("{text}", text)
    }

    pub fn announced(&self, version: i64) -> String {
        self.announced.replace("{n}", &version.to_string())
    }

    pub fn in_file(&self, sequence: i64) -> String {
        self.in_file.replace("{n}", &sequence.to_string())
    }

    pub fn reported(&self, file: &str) -> String {
        self.reported.replace("{file}", file)
    }
}

pub static FR: DebitListTexts = DebitListTexts {
    nav: "Prélèvements",
    title: "Tous les prélèvements",
    filters: "Filtres",
    from: "Date de prélèvement, du",
    to: "au",
    channel: "Canal",
    status: "État",
    reason: "Motif d'échec",
    any: "Tous",
    employer: "Employeur",
    employer_hint: "Numéro d'affiliation complet, ou une partie du nom",
    min_amount: "Montant minimum (DA)",
    max_amount: "Montant maximum (DA)",
    amount_hint: "Par exemple 1234,50",
    apply: "Filtrer",
    clear: "Effacer les filtres",
    export_csv: "Exporter en CSV (Excel)",
    totals: "{count} prélèvement(s), pour un total de {amount}",
    none_found: "Aucun prélèvement ne correspond à ces filtres.",
    order_hint: "Du plus récent au plus ancien (date de prélèvement, puis numéro).",
    number: "N°",
    date: "Date de prélèvement",
    affiliation: "N° d'affiliation",
    employer_name: "Employeur",
    amount: "Montant",
    attempt: "Tentative",
    reason_code: "Code du motif",
    file: "Fichier",
    account: "Compte",
    held: "suspendu",
    next_page: "Page suivante",
    first_page: "Première page",
    refused: "Les filtres n'ont pas été appliqués :",
    bad_date: "« {text} » n'est pas une date : écrivez-la AAAA-MM-JJ, par exemple 2026-12-15.",
    bad_amount: "« {text} » n'est pas un montant : écrivez des chiffres avec au plus deux décimales, par exemple 1234,50.",
    dates_reversed: "La première date est après la seconde : inversez-les.",
    amounts_reversed: "Le montant minimum dépasse le maximum : inversez-les.",
    bad_choice: "Un choix de la liste n'est pas reconnu : choisissez-le à nouveau dans la liste.",
    bad_page: "Le lien de page n'est pas valide : revenez à la première page.",
    timeline: "Historique",
    when: "Quand (heure d'Alger)",
    what: "Événement",
    detail: "Détail",
    by: "Par",
    service: "Le service (automatique)",
    no_timeline: "Rien n'a encore été enregistré pour ce prélèvement.",
    announced: "Préavis envoyé à l'employeur (version {n})",
    announced_moved: "Préavis envoyé à l'employeur (nouvelle date)",
    in_file: "Inclus dans le fichier n° {n}",
    reported: "Compte rendu de la banque {file}",
    sent_at: "envoyé le",
    other_change: "Autre changement enregistré",
};

pub static AR: DebitListTexts = DebitListTexts {
    nav: "الاقتطاعات",
    title: "جميع الاقتطاعات",
    filters: "عوامل التصفية",
    from: "تاريخ الاقتطاع، من",
    to: "إلى",
    channel: "القناة",
    status: "الحالة",
    reason: "سبب الإخفاق",
    any: "الكل",
    employer: "المستخدِم",
    employer_hint: "رقم الانتساب كاملاً، أو جزء من الاسم",
    min_amount: "المبلغ الأدنى (د.ج)",
    max_amount: "المبلغ الأقصى (د.ج)",
    amount_hint: "مثلاً 1234,50",
    apply: "تصفية",
    clear: "مسح عوامل التصفية",
    export_csv: "تصدير بصيغة CSV (إكسل)",
    totals: "{count} اقتطاع، بمبلغ إجمالي قدره {amount}",
    none_found: "لا يوجد أي اقتطاع يطابق عوامل التصفية هذه.",
    order_hint: "من الأحدث إلى الأقدم (تاريخ الاقتطاع، ثم الرقم).",
    number: "الرقم",
    date: "تاريخ الاقتطاع",
    affiliation: "رقم الانتساب",
    employer_name: "المستخدِم",
    amount: "المبلغ",
    attempt: "المحاولة",
    reason_code: "رمز السبب",
    file: "الملف",
    account: "الحساب",
    held: "معلّق",
    next_page: "الصفحة التالية",
    first_page: "الصفحة الأولى",
    refused: "لم تُطبَّق عوامل التصفية:",
    bad_date: "«{text}» ليس تاريخاً: اكتبه بالشكل YYYY-MM-DD، مثلاً 2026-12-15.",
    bad_amount: "«{text}» ليس مبلغاً: اكتب أرقاماً بمنزلتين عشريتين على الأكثر، مثلاً 1234,50.",
    dates_reversed: "التاريخ الأول بعد الثاني: اعكسهما.",
    amounts_reversed: "المبلغ الأدنى يتجاوز الأقصى: اعكسهما.",
    bad_choice: "أحد الاختيارات غير معروف: اختره من جديد من القائمة.",
    bad_page: "رابط الصفحة غير صالح: عد إلى الصفحة الأولى.",
    timeline: "السجل",
    when: "متى (بتوقيت الجزائر)",
    what: "الحدث",
    detail: "التفاصيل",
    by: "بواسطة",
    service: "الخدمة (آلياً)",
    no_timeline: "لم يُسجَّل أي شيء بعد لهذا الاقتطاع.",
    announced: "إشعار مسبق أُرسل إلى المستخدِم (النسخة {n})",
    announced_moved: "إشعار مسبق أُرسل إلى المستخدِم (تاريخ جديد)",
    in_file: "مدرج في الملف رقم {n}",
    reported: "تقرير البنك {file}",
    sent_at: "أُرسل في",
    other_change: "تغيير آخر مسجَّل",
};
