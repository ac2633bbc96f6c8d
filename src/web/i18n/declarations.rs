//! The declaration texts in Arabic and French: the problems of a CSV line or form row
//! (rendered from the [`LineProblem`] parts of `mandates::declaration` — the line or worksite and the stable
//! field name stay visible, the words follow the page's language), the online form, and
//! the declarations list's correction and plausibility words. A struct per language like
//! [`super::Texts`], so a missing translation is a compile error.

use mandates::declaration::PlausibilityWarning;
use mandates::{LineProblem, Period, ProblemKind};

use super::{Lang, money};

#[derive(Debug)]
pub struct DeclarationTexts {
    /// Where a problem is: a CSV line…
    pub at_line: &'static str,
    /// …or a row of the form (one per worksite).
    pub at_worksite: &'static str,
    pub in_field: &'static str,
    pub comma: &'static str,
    pub colon: &'static str,
    pub f_worksite_code: &'static str,
    pub f_headcount: &'static str,
    pub f_wage_bill: &'static str,
    pub f_bad_weather_base: &'static str,
    pub f_file: &'static str,
    pub f_period: &'static str,
    pub empty: &'static str,
    pub unknown_worksite: &'static str,
    pub repeated: &'static str,
    pub not_whole_number: &'static str,
    pub negative: &'static str,
    pub not_amount: &'static str,
    pub field_count: &'static str,
    pub no_lines: &'static str,
    pub rates: &'static str,
    pub choose_file: &'static str,
    pub file_too_big: &'static str,
    /// A workbook (.xlsx, .xls, .ods) sent instead of its CSV.
    pub workbook: &'static str,
    pub bad_period: &'static str,
    pub monthly_only: &'static str,
    pub quarterly_only: &'static str,
    pub form_title: &'static str,
    pub form_link: &'static str,
    pub form_intro: &'static str,
    pub show_form: &'static str,
    pub computed: &'static str,
    pub period_total: &'static str,
    pub rates_note: &'static str,
    pub save: &'static str,
    pub form_refused: &'static str,
    pub prefilled: &'static str,
    pub read_only: &'static str,
    pub no_worksites: &'static str,
    pub back_to_list: &'static str,
    // The list page's correction column and plausibility warnings, and what a
    // correction answers.
    pub correction: &'static str,
    pub editable: &'static str,
    pub locked: &'static str,
    pub declaration_corrected: &'static str,
    pub correction_refused: &'static str,
    pub plausibility_title: &'static str,
    pub plausibility_line: &'static str,
    pub plausibility_hint: &'static str,
    // The period picker and the CSV template.
    pub period_choice: &'static str,
    pub months: [&'static str; 12],
    /// `{year}`: the quarters' names.
    pub quarters: [&'static str; 4],
    /// `{name}` and `{code}`: a period in the picker.
    pub period_label: &'static str,
    pub template_link: &'static str,
    pub template_hint: &'static str,
    /// The template's header row (the upload recognises any header).
    pub template_header: [&'static str; 4],
}

pub static FR: DeclarationTexts = DeclarationTexts {
    at_line: "Ligne {n}",
    at_worksite: "Chantier {code}",
    in_field: "champ {label} ({field})",
    comma: ", ",
    colon: " : ",
    f_worksite_code: "code chantier",
    f_headcount: "effectif",
    f_wage_bill: "masse salariale",
    f_bad_weather_base: "assiette intempéries",
    f_file: "Fichier",
    f_period: "Période",
    empty: "à remplir",
    unknown_worksite: "« {code} » n'est pas un chantier de cet employeur ; vérifiez le code ou demandez à la caisse de l'ajouter",
    repeated: "le chantier {code} est déjà déclaré ligne {line} ; déclarez-le une seule fois",
    not_whole_number: "« {text} » n'est pas un nombre entier de travailleurs (0 ou plus)",
    negative: "ne peut pas être négatif",
    not_amount: "« {text} » n'est pas un montant en dinars (par exemple 125000{decimal}50)",
    field_count: "{found} champ(s), 3 ou 4 attendus (code_chantier{s}effectif{s}masse_salariale{s}assiette_intemperies)",
    no_lines: "aucune ligne de chantier : déclarez au moins un chantier",
    rates: "les cotisations ne peuvent pas être calculées (aucun taux en vigueur pour cette période) ; contactez la caisse",
    choose_file: "Fichier : choisissez le fichier CSV à déposer.",
    workbook: "Fichier : c'est un classeur (Excel ou autre), pas un CSV ; dans Excel, « Enregistrer sous » puis « CSV (séparateur : point-virgule) » ou « CSV UTF-8 », et déposez ce fichier.",
    file_too_big: "Fichier : {max} octets au plus ; déposez la déclaration en plusieurs périodes ou contactez la caisse.",
    bad_period: "Période : « {text} » n'est ni un mois comme 2026-10 ni un trimestre comme 2026-Q3.",
    monthly_only: "Période : cet employeur déclare chaque mois (par exemple 2026-10), pas par trimestre.",
    quarterly_only: "Période : cet employeur déclare chaque trimestre (par exemple 2026-Q3), pas par mois.",
    form_title: "Déclarer en ligne",
    form_link: "Formulaire",
    form_intro: "Une ligne par chantier. Laissez vides les chantiers sans activité pendant la période : ils ne sont pas déclarés. Montants en dinars, avec virgule ou point décimal (1234,50 ou 1234.50) ; l'assiette intempéries vide vaut 0.",
    show_form: "Afficher le formulaire",
    computed: "Cotisations calculées",
    period_total: "Total de la période",
    rates_note: "Montants calculés avec les taux en vigueur au début de la période.",
    save: "Enregistrer la déclaration",
    form_refused: "Rien n'a été enregistré. Corrigez ces champs puis enregistrez à nouveau :",
    prefilled: "Cette période est déjà déclarée : les valeurs déclarées sont reprises ci-dessous. Enregistrer remplace la déclaration, tant qu'elle n'est pas mise en prélèvement.",
    read_only: "Déclaration en lecture seule.",
    no_worksites: "Cet employeur n'a aucun chantier enregistré ; demandez à la caisse de les ajouter.",
    back_to_list: "Toutes les déclarations",
    correction: "Correction",
    editable: "Modifiable : déposez à nouveau le fichier de cette période pour la remplacer, tant qu'elle n'est pas mise en prélèvement.",
    locked: "Verrouillée : comprise dans le prélèvement du {date}.",
    declaration_corrected: "Déclaration corrigée : elle remplace la précédente pour cette période.",
    correction_refused: "La déclaration de {period} ne peut plus être corrigée : elle est comprise dans le prélèvement du {date}, annoncé avec son montant. Si ce montant est erroné, ouvrez une réclamation ou contactez la caisse.",
    plausibility_title: "Montants à vérifier",
    plausibility_line: "Chantier {worksite}, période {period} : {amount} déclarés, contre {average} en moyenne sur les {count} période(s) précédente(s).",
    plausibility_hint: "Ce n'est pas un refus : si le montant est juste, il n'y a rien à faire ; sinon corrigez-le en déposant à nouveau le fichier de cette période avant sa mise en prélèvement.",
    period_choice: "Période à déclarer",
    months: [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ],
    quarters: [
        "1er trimestre {year}",
        "2e trimestre {year}",
        "3e trimestre {year}",
        "4e trimestre {year}",
    ],
    period_label: "{name} ({code})",
    template_link: "Télécharger le modèle CSV avec vos chantiers",
    template_hint: "Remplissez le modèle dans Excel (ou un autre tableur) et déposez-le tel quel : les enregistrements CSV d'Excel en français (Windows-1252), en arabe (Windows-1256) ou en UTF-8, séparés par « ; », « , » ou tabulation, sont acceptés. Un chantier laissé vide n'est pas déclaré pour la période.",
    template_header: [
        "code_chantier",
        "effectif",
        "masse_salariale",
        "assiette_intemperies",
    ],
};

pub static AR: DeclarationTexts = DeclarationTexts {
    at_line: "السطر {n}",
    at_worksite: "الورشة {code}",
    in_field: "الحقل {label} ({field})",
    comma: "، ",
    colon: ": ",
    f_worksite_code: "رمز الورشة",
    f_headcount: "عدد العمال",
    f_wage_bill: "كتلة الأجور",
    f_bad_weather_base: "وعاء البطالة الجوية",
    f_file: "الملف",
    f_period: "الفترة",
    empty: "يجب ملؤه",
    unknown_worksite: "«{code}» ليس ورشة لصاحب العمل هذا؛ تحقّقوا من الرمز أو اطلبوا من الصندوق إضافتها",
    repeated: "الورشة {code} مصرّح بها في السطر {line}؛ صرّحوا بها مرة واحدة",
    not_whole_number: "«{text}» ليس عددا صحيحا من العمال (0 أو أكثر)",
    negative: "لا يمكن أن يكون سالبا",
    not_amount: "«{text}» ليس مبلغا بالدينار (مثلا 125000{decimal}50)",
    field_count: "{found} حقل، والمتوقع 3 أو 4 (رمز_الورشة{s}عدد_العمال{s}كتلة_الأجور{s}وعاء_البطالة_الجوية)",
    no_lines: "لا يوجد أي سطر ورشة: صرّحوا بورشة واحدة على الأقل",
    rates: "تعذّر حساب الاشتراكات (لا توجد نسبة سارية لهذه الفترة)؛ اتصلوا بالصندوق",
    choose_file: "الملف: اختاروا ملف CSV المراد إيداعه.",
    workbook: "الملف: هذا مصنّف (Excel أو غيره) وليس ملف CSV؛ في Excel اختاروا «حفظ باسم» ثم «CSV (محدد بفواصل)» أو «CSV UTF-8»، وأودعوا ذلك الملف.",
    file_too_big: "الملف: {max} بايت على الأكثر؛ قسّموا التصريح أو اتصلوا بالصندوق.",
    bad_period: "الفترة: «{text}» ليست شهرا مثل 2026-10 ولا ثلاثيا مثل 2026-Q3.",
    monthly_only: "الفترة: يصرّح صاحب العمل هذا كل شهر (مثلا 2026-10)، لا كل ثلاثي.",
    quarterly_only: "الفترة: يصرّح صاحب العمل هذا كل ثلاثي (مثلا 2026-Q3)، لا كل شهر.",
    form_title: "التصريح عبر الاستمارة",
    form_link: "الاستمارة",
    form_intro: "سطر لكل ورشة. اتركوا فارغة الورشات التي لم تنشط خلال الفترة: لا يُصرَّح بها. المبالغ بالدينار، بفاصلة أو نقطة عشرية (1234,50 أو 1234.50)؛ وعاء البطالة الجوية الفارغ يساوي 0.",
    show_form: "عرض الاستمارة",
    computed: "الاشتراكات المحسوبة",
    period_total: "مجموع الفترة",
    rates_note: "مبالغ محسوبة بالنسب السارية في بداية الفترة.",
    save: "تسجيل التصريح",
    form_refused: "لم يُسجَّل أي شيء. صحّحوا هذه الحقول ثم سجّلوا من جديد:",
    prefilled: "هذه الفترة مصرّح بها: القيم المصرّح بها معروضة أدناه. التسجيل يعوّض التصريح ما دام لم يُدرج في اقتطاع.",
    read_only: "تصريح للاطلاع فقط.",
    no_worksites: "ليس لصاحب العمل هذا أي ورشة مسجلة؛ اطلبوا من الصندوق إضافتها.",
    back_to_list: "كل التصريحات",
    correction: "التصحيح",
    editable: "قابل للتعديل: أودعوا ملف هذه الفترة من جديد لتعويضه، ما دام لم يُدرج في اقتطاع.",
    locked: "مقفل: مدرج في اقتطاع يوم {date}.",
    declaration_corrected: "تم تصحيح التصريح: يعوّض التصريح السابق لهذه الفترة.",
    correction_refused: "لم يعد ممكنا تصحيح تصريح الفترة {period}: إنه مدرج في اقتطاع يوم {date} المعلَن بمبلغه. إذا كان المبلغ خاطئا، قدّموا اعتراضا أو اتصلوا بالصندوق.",
    plausibility_title: "مبالغ يجب التحقق منها",
    plausibility_line: "الورشة {worksite}، الفترة {period}: صُرّح بمبلغ {amount}، مقابل متوسط {average} في الفترات السابقة ({count}).",
    plausibility_hint: "هذا ليس رفضا: إذا كان المبلغ صحيحا فلا شيء عليكم؛ وإلا فصحّحوه بإيداع ملف هذه الفترة من جديد قبل إدراجه في اقتطاع.",
    period_choice: "الفترة المراد التصريح بها",
    months: [
        "جانفي",
        "فيفري",
        "مارس",
        "أفريل",
        "ماي",
        "جوان",
        "جويلية",
        "أوت",
        "سبتمبر",
        "أكتوبر",
        "نوفمبر",
        "ديسمبر",
    ],
    quarters: [
        "الثلاثي الأول {year}",
        "الثلاثي الثاني {year}",
        "الثلاثي الثالث {year}",
        "الثلاثي الرابع {year}",
    ],
    period_label: "{name}",
    template_link: "تنزيل نموذج CSV بورشاتكم",
    template_hint: "املؤوا النموذج في Excel (أو أي جدول آخر) وأودعوه كما هو: تُقبل ملفات CSV التي يحفظها Excel بالفرنسية (Windows-1252) أو بالعربية (Windows-1256) أو بـ UTF-8، مفصولة بـ « ; » أو « , » أو علامة الجدولة. الورشة المتروكة فارغة لا يُصرَّح بها لهذه الفترة.",
    template_header: [
        "رمز_الورشة",
        "عدد_العمال",
        "كتلة_الأجور",
        "وعاء_البطالة_الجوية",
    ],
};

impl DeclarationTexts {
    /// These texts in `lang`.
    pub fn of(lang: Lang) -> &'static DeclarationTexts {
        lang.pick(&FR, &AR)
    }
}

/// Where a problem is shown: on a CSV line, or on the form's row of a worksite.
pub enum Place<'a> {
    /// The file's line numbers (`lines[i]` for the store's line `i + 1`); empty: as given.
    Csv(&'a [usize]),
    /// The worksite code of each line submitted (`codes[i]` for line `i + 1`).
    Form(&'a [String]),
}

impl DeclarationTexts {
    fn field_label(&self, field: &str) -> &'static str {
        match field {
            "worksite_code" => self.f_worksite_code,
            "headcount" => self.f_headcount,
            "wage_bill" => self.f_wage_bill,
            "bad_weather_base" => self.f_bad_weather_base,
            "period" => self.f_period,
            _ => self.f_file,
        }
    }

    /// The line number as the person sees it (the file's line, not the store's count).
    fn line_number(place: &Place<'_>, line: usize) -> usize {
        match place {
            Place::Csv(lines) if !lines.is_empty() => {
                lines.get(line.wrapping_sub(1)).copied().unwrap_or(line)
            }
            _ => line,
        }
    }

    /// What is wrong, without where.
    pub fn problem_text(&self, place: &Place<'_>, kind: &ProblemKind) -> String {
        match kind {
            ProblemKind::Empty => self.empty.to_owned(),
            ProblemKind::UnknownWorksite(code) => self.unknown_worksite.replace("{code}", code),
            ProblemKind::Repeated { code, first_line } => self
                .repeated
                .replace("{code}", code)
                .replace("{line}", &Self::line_number(place, *first_line).to_string()),
            ProblemKind::NotWholeNumber(text) => self.not_whole_number.replace("{text}", text),
            ProblemKind::Negative => self.negative.to_owned(),
            ProblemKind::NotAmount { text, decimal } => self
                .not_amount
                .replace("{text}", text)
                .replace("{decimal}", &decimal.to_string()),
            ProblemKind::FieldCount { found, separator } => self
                .field_count
                .replace("{found}", &found.to_string())
                .replace("{s}", &separator.to_string()),
            ProblemKind::NoLines => self.no_lines.to_owned(),
            ProblemKind::Rates(_) => self.rates.to_owned(),
        }
    }

    /// A field named for people, with its stable name: `champ effectif (headcount)`.
    pub fn field(&self, field: &str) -> String {
        self.in_field
            .replace("{label}", self.field_label(field))
            .replace("{field}", field)
    }

    /// Where the problem is: `Ligne 3, champ effectif (headcount)` or
    /// `Chantier W1, champ masse salariale (wage_bill)`; the field name stays as a code. A
    /// problem of the whole declaration is the file's in a CSV, nowhere on the form.
    pub fn problem_place(&self, place: &Place<'_>, problem: &LineProblem) -> String {
        let at = match (place, problem.line) {
            (Place::Csv(_), 0) if problem.field.is_none() => self.f_file.to_owned(),
            (_, 0) => String::new(),
            (Place::Form(codes), line) => match codes.get(line - 1) {
                Some(code) => self.at_worksite.replace("{code}", code),
                None => self.at_line.replace("{n}", &line.to_string()),
            },
            (Place::Csv(_), line) => self
                .at_line
                .replace("{n}", &Self::line_number(place, line).to_string()),
        };
        let field = problem.field.map(|field| self.field(field));
        match (problem.field, field) {
            (Some(name), Some(_)) if at.is_empty() => self.field_label(name).to_owned(),
            (_, Some(field)) => format!("{at}{}{field}", self.comma),
            (_, None) => at,
        }
    }

    /// A plausibility warning: the worksite, the period, its amount and its average.
    pub fn plausibility(&self, warning: &PlausibilityWarning, lang: Lang) -> String {
        self.plausibility_line
            .replace("{worksite}", &warning.worksite_code)
            .replace("{period}", &warning.period)
            .replace("{amount}", &money(warning.amount, lang))
            .replace("{average}", &money(warning.previous_average, lang))
            .replace("{count}", &warning.previous_periods.to_string())
    }

    /// A period named for people: `novembre 2026 (2026-11)` in French, `نوفمبر 2026` in
    /// Arabic. The Arabic name goes without its code: where it is shown (an `<option>`)
    /// no `<bdi>` can isolate it, and after an Arabic word the digits of `2026-11` count as
    /// Arabic numbers that the hyphen splits, so it would read `11-2026` — neither the
    /// isolates U+2066…U+2069 nor a mark U+200E change that in Chromium's `<select>`
    /// (seen in the browser test's screenshots). The code stays the option's value.
    pub fn period_name(&self, period: Period) -> String {
        let name = match period {
            Period::Month { year, month } => {
                let month = self
                    .months
                    .get(month.saturating_sub(1) as usize)
                    .copied()
                    .unwrap_or_default();
                format!("{month} {year}")
            }
            Period::Quarter { year, quarter } => self
                .quarters
                .get(quarter.saturating_sub(1) as usize)
                .copied()
                .unwrap_or_default()
                .replace("{year}", &year.to_string()),
        };
        self.period_label
            .replace("{name}", &name)
            .replace("{code}", &period.to_string())
    }

    /// The whole message: place, then what is wrong.
    pub fn problem(&self, place: &Place<'_>, problem: &LineProblem) -> String {
        let at = self.problem_place(place, problem);
        let text = self.problem_text(place, &problem.kind);
        if at.is_empty() {
            text
        } else {
            format!("{at}{}{text}", self.colon)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_keep_their_line_and_field_code_in_both_languages() {
        let problem = LineProblem::new(
            2,
            Some("headcount"),
            ProblemKind::NotWholeNumber("douze".to_owned()),
        );
        assert_eq!(
            FR.problem(&Place::Csv(&[3, 5]), &problem),
            "Ligne 5, champ effectif (headcount) : « douze » n'est pas un nombre entier de travailleurs (0 ou plus)"
        );
        assert_eq!(
            AR.problem(&Place::Form(&["W1".to_owned(), "W2".to_owned()]), &problem),
            "الورشة W2، الحقل عدد العمال (headcount): «douze» ليس عددا صحيحا من العمال (0 أو أكثر)"
        );
        let file = LineProblem::new(0, Some("file"), ProblemKind::NoLines);
        assert_eq!(
            FR.problem(&Place::Csv(&[]), &file),
            "Fichier : aucune ligne de chantier : déclarez au moins un chantier"
        );
        assert_eq!(
            problem.to_string(),
            "line 2, field headcount: \"douze\" is not a whole number of workers"
        );
    }

    #[test]
    fn periods_are_named_in_each_language() {
        let q4 = Period::parse("2026-Q4").unwrap();
        assert_eq!(AR.period_name(q4), "الثلاثي الرابع 2026");
        let november = Period::parse("2026-11").unwrap();
        assert_eq!(FR.period_name(november), "novembre 2026 (2026-11)");
    }
}
