//! Surcharges on the console (issue 16): the dated rules (administrators add and confirm
//! them), the fund's policy (administrators), waivers (staff ask; above the four-eyes
//! amount another member of staff approves or refuses) and amnesties (administrators
//! create, preview, apply and reverse). Every form posts with its CSRF token and redirects
//! (POST/redirect/GET); the store audits each change.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use mandates::Amount;
use serde::Deserialize;

use super::{actor, admin, form_date, is_admin, nav};
use crate::locale::Lang;
use crate::locale::statement::rate_words;
use crate::store::{
    AmnestyStatus, NewAmnesty, NewSurchargeRule, StoreError, SurchargeKind, SurchargePolicy,
};
use crate::web::WebState;
use crate::web::i18n::money;
use crate::web::session::{Chrome, PageResult, Viewer, see_other};

pub(super) fn router() -> Router<WebState> {
    Router::new()
        .route("/console/surcharges", get(page))
        .route("/console/surcharges/rules", post(add_rule))
        .route("/console/surcharges/rules/{id}/confirm", post(confirm_rule))
        .route("/console/surcharges/policy", post(set_policy))
        .route("/console/surcharges/waivers", post(waive))
        .route("/console/surcharges/waivers/{id}/approve", post(approve))
        .route("/console/surcharges/waivers/{id}/refuse", post(refuse))
        .route("/console/surcharges/amnesties", post(create_amnesty))
        .route(
            "/console/surcharges/amnesties/{id}/apply",
            post(apply_amnesty),
        )
        .route(
            "/console/surcharges/amnesties/{id}/reverse",
            post(reverse_amnesty),
        )
}

/// The page's words, French then Arabic.
struct Texts {
    title: &'static str,
    rules: &'static str,
    kind: &'static str,
    rate: &'static str,
    monthly: &'static str,
    valid_from: &'static str,
    valid_to: &'static str,
    source: &'static str,
    state: &'static str,
    provisional: &'static str,
    confirmed: &'static str,
    confirm: &'static str,
    add_rule: &'static str,
    rate_hint: &'static str,
    policy: &'static str,
    payment_days: &'static str,
    declaration_days: &'static str,
    grace_days: &'static str,
    four_eyes: &'static str,
    save: &'static str,
    waivers: &'static str,
    waive: &'static str,
    affiliation: &'static str,
    reason: &'static str,
    pending: &'static str,
    none: &'static str,
    amount: &'static str,
    approve: &'static str,
    refuse: &'static str,
    amnesties: &'static str,
    name: &'static str,
    accrued_from: &'static str,
    accrued_to: &'static str,
    paid_by: &'static str,
    plan_by: &'static str,
    create: &'static str,
    preview: &'static str,
    apply: &'static str,
    reverse: &'static str,
    admin_only: &'static str,
    allocation_order: &'static str,
    done: &'static str,
}

const FR: Texts = Texts {
    title: "Majorations de retard",
    rules: "Règles (datées)",
    kind: "Nature",
    rate: "Taux",
    monthly: "Par mois supplémentaire",
    valid_from: "Du",
    valid_to: "Au",
    source: "Texte de référence",
    state: "État",
    provisional: "Provisoire : ne s'applique pas avant confirmation",
    confirmed: "Confirmée",
    confirm: "Confirmer",
    add_rule: "Ajouter une règle",
    rate_hint: "Taux en points de base : 500 = 5 %. La règle en vigueur se termine la veille.",
    policy: "Délais et remises",
    payment_days: "Jours pour payer après l'exigibilité",
    declaration_days: "Jours pour déclarer après l'exigibilité",
    grace_days: "Jours de grâce après l'échéance de paiement",
    four_eyes: "Remise soumise à une seconde approbation au-delà de (DA)",
    save: "Enregistrer",
    waivers: "Remises",
    waive: "Remettre les majorations d'un employeur",
    affiliation: "N° d'affiliation",
    reason: "Motif",
    pending: "Remises en attente d'une seconde approbation",
    none: "Aucune.",
    amount: "Montant",
    approve: "Approuver",
    refuse: "Refuser",
    amnesties: "Amnisties",
    name: "Intitulé",
    accrued_from: "Majorations du",
    accrued_to: "au",
    paid_by: "Principal payé au plus tard le",
    plan_by: "Ou échéancier demandé au plus tard le (facultatif)",
    create: "Préparer l'amnistie",
    preview: "Aperçu",
    apply: "Appliquer",
    reverse: "Annuler",
    admin_only: "Seuls les administrateurs modifient les règles, les délais et les amnisties.",
    allocation_order: "Ordre d'imputation des paiements (principal, majorations)",
    done: "Enregistré.",
};

const AR: Texts = Texts {
    title: "زيادات التأخير",
    rules: "القواعد (مؤرخة)",
    kind: "النوع",
    rate: "النسبة",
    monthly: "عن كل شهر إضافي",
    valid_from: "من",
    valid_to: "إلى",
    source: "النص المرجعي",
    state: "الحالة",
    provisional: "مؤقتة: لا تُطبَّق قبل التأكيد",
    confirmed: "مؤكدة",
    confirm: "تأكيد",
    add_rule: "إضافة قاعدة",
    rate_hint: "النسبة بنقاط الأساس: 500 = 5 %. تنتهي القاعدة السارية في اليوم السابق.",
    policy: "الآجال والإعفاءات",
    payment_days: "أيام الدفع بعد الاستحقاق",
    declaration_days: "أيام التصريح بعد الاستحقاق",
    grace_days: "أيام المهلة بعد أجل الدفع",
    four_eyes: "إعفاء يتطلب موافقة ثانية فوق (د.ج)",
    save: "حفظ",
    waivers: "الإعفاءات",
    waive: "إعفاء مستخدِم من الزيادات",
    affiliation: "رقم الانتساب",
    reason: "السبب",
    pending: "إعفاءات في انتظار موافقة ثانية",
    none: "لا شيء.",
    amount: "المبلغ",
    approve: "موافقة",
    refuse: "رفض",
    amnesties: "العفو",
    name: "التسمية",
    accrued_from: "الزيادات من",
    accrued_to: "إلى",
    paid_by: "الأصل مدفوع قبل",
    plan_by: "أو جدول تقسيط مطلوب قبل (اختياري)",
    create: "إعداد العفو",
    preview: "معاينة",
    apply: "تطبيق",
    reverse: "إلغاء",
    admin_only: "يعدّل المديرون وحدهم القواعد والآجال والعفو.",
    allocation_order: "ترتيب تخصيص المدفوعات (الأصل، الزيادات)",
    done: "تم الحفظ.",
};

fn texts(lang: Lang) -> &'static Texts {
    match lang {
        Lang::Fr => &FR,
        Lang::Ar => &AR,
    }
}

fn kind_word(kind: SurchargeKind, lang: Lang) -> &'static str {
    let (fr, ar) = match kind {
        SurchargeKind::LateDeclaration => ("Déclaration tardive", "تصريح متأخر"),
        SurchargeKind::LatePayment => ("Retard de paiement", "تأخر في الدفع"),
        SurchargeKind::ProvisionalAssessment => ("Taxation provisoire", "التقدير المؤقت"),
    };
    lang.pick(fr, ar)
}

fn amnesty_word(status: AmnestyStatus, lang: Lang) -> &'static str {
    let (fr, ar) = match status {
        AmnestyStatus::Draft => ("En préparation", "قيد الإعداد"),
        AmnestyStatus::Applied => ("Appliquée", "مطبّق"),
        AmnestyStatus::Reversed => ("Annulée", "ملغى"),
    };
    lang.pick(fr, ar)
}

struct RuleRow {
    id: i64,
    kind: &'static str,
    rate: String,
    monthly: String,
    valid_from: String,
    valid_to: String,
    source: String,
    confirmed: bool,
}

struct WaiverRow {
    id: i64,
    affiliation: String,
    amount: String,
    reason: String,
}

struct AmnestyRow {
    id: i64,
    name: String,
    range: String,
    paid_by: String,
    state: &'static str,
    draft: bool,
    applied: bool,
    /// For a draft: how many employers and how much applying it now would waive.
    preview: String,
}

#[derive(Template)]
#[template(path = "web/console/surcharges.html")]
struct SurchargesPage {
    c: Chrome,
    t: &'static Texts,
    admin: bool,
    rules: Vec<RuleRow>,
    kinds: Vec<(&'static str, &'static str)>,
    policy: (u32, u32, u32, String),
    waivers: Vec<WaiverRow>,
    amnesties: Vec<AmnestyRow>,
    notice: Option<&'static str>,
    error: Option<String>,
}

#[derive(Default, Deserialize)]
struct Done {
    #[serde(default)]
    done: Option<String>,
}

async fn render(
    state: &WebState,
    viewer: &Viewer,
    status: StatusCode,
    notice: Option<&'static str>,
    error: Option<String>,
) -> PageResult {
    let lang = viewer.lang;
    let store = state.store();
    let rules = store
        .surcharge_rules()
        .await
        .map_err(|e| viewer.fail(e))?
        .into_iter()
        .map(|r| RuleRow {
            id: r.id,
            kind: kind_word(r.kind, lang),
            rate: rate_words(r.first_bp),
            monthly: if r.kind == SurchargeKind::LatePayment {
                rate_words(r.monthly_bp)
            } else {
                String::new()
            },
            confirmed: r.confirmed(),
            valid_from: r.valid_from,
            valid_to: r.valid_to.unwrap_or_default(),
            source: r.source,
        })
        .collect();
    let policy = store.surcharge_policy().await.map_err(|e| viewer.fail(e))?;
    let waivers = store
        .pending_waivers()
        .await
        .map_err(|e| viewer.fail(e))?
        .into_iter()
        .map(|(w, affiliation)| WaiverRow {
            id: w.id,
            affiliation,
            amount: money(Amount::from_centimes(w.amount_centimes), lang),
            reason: w.reason,
        })
        .collect();
    let mut amnesties = Vec::new();
    for a in store.amnesties().await.map_err(|e| viewer.fail(e))? {
        let draft = a.status == AmnestyStatus::Draft;
        let preview = if draft {
            let p = store
                .preview_amnesty(a.id)
                .await
                .map_err(|e| viewer.fail(e))?;
            match lang {
                Lang::Fr => format!(
                    "{} employeur(s), {} majoration(s), {}",
                    p.employers,
                    p.surcharges,
                    money(p.amount, lang)
                ),
                Lang::Ar => format!(
                    "{} مستخدِم، {} زيادة، {}",
                    p.employers,
                    p.surcharges,
                    money(p.amount, lang)
                ),
            }
        } else {
            String::new()
        };
        amnesties.push(AmnestyRow {
            id: a.id,
            name: a.name,
            range: format!("{} — {}", a.accrued_from, a.accrued_to),
            paid_by: a.principal_paid_by,
            state: amnesty_word(a.status, lang),
            draft,
            applied: a.status == AmnestyStatus::Applied,
            preview,
        });
    }
    let page = SurchargesPage {
        c: viewer.chrome(nav(viewer, "surcharges")),
        t: texts(lang),
        admin: is_admin(viewer),
        rules,
        kinds: SurchargeKind::ALL
            .iter()
            .map(|k| (k.as_str(), kind_word(*k, lang)))
            .collect(),
        policy: (
            policy.payment_days,
            policy.declaration_days,
            policy.grace_days,
            policy.four_eyes.to_string(),
        ),
        waivers,
        amnesties,
        notice,
        error,
    };
    viewer.page(status, &page)
}

async fn page(
    State(state): State<WebState>,
    viewer: Viewer,
    Query(query): Query<Done>,
) -> PageResult {
    viewer.staff()?;
    let notice = query.done.map(|_| texts(viewer.lang).done);
    render(&state, &viewer, StatusCode::OK, notice, None).await
}

/// What a refused change says to staff, in their language: the store's own words for a
/// refusal it explains (invalid input, a conflict), else a server error.
async fn outcome(state: &WebState, viewer: &Viewer, result: Result<(), StoreError>) -> PageResult {
    match result {
        Ok(()) => Ok(see_other("/console/surcharges?done=1")),
        Err(err) => {
            let message = refused_words(&err, viewer.lang);
            match message {
                Some(message) => {
                    render(
                        state,
                        viewer,
                        StatusCode::UNPROCESSABLE_ENTITY,
                        None,
                        Some(message),
                    )
                    .await
                }
                None => Err(viewer.fail(err)),
            }
        }
    }
}

/// A refusal in words: the situation in the viewer's language.
fn refused_words(err: &StoreError, lang: Lang) -> Option<String> {
    let (fr, ar) = match err {
        StoreError::NotFound { .. } => ("Introuvable.", "غير موجود."),
        StoreError::Conflict(_) => (
            "Déjà traité : rien n'a été changé. Rechargez la page.",
            "تمت المعالجة من قبل: لم يتغير شيء. أعيدوا تحميل الصفحة.",
        ),
        StoreError::Invalid(message) if message.contains("second member of staff") => (
            "Vous avez demandé cette remise : une autre personne doit l'approuver.",
            "أنتم من طلب هذا الإعفاء: يجب أن يوافق عليه شخص آخر.",
        ),
        StoreError::Invalid(message) if message.contains("another member of staff must apply") => (
            "Vous avez créé cette amnistie : une autre personne doit l'appliquer.",
            "أنتم من أنشأ هذا العفو: يجب أن يطبقه شخص آخر.",
        ),
        StoreError::Invalid(message) if message.contains("no surcharge left") => (
            "Cet employeur n'a aucune majoration à remettre.",
            "لا توجد لدى هذا المستخدِم زيادات للإعفاء.",
        ),
        StoreError::Invalid(message) if message.contains("start after the latest") => (
            "Une nouvelle règle doit commencer après la dernière de sa nature.",
            "يجب أن تبدأ القاعدة الجديدة بعد آخر قاعدة من نوعها.",
        ),
        StoreError::Invalid(_) => (
            "Saisie invalide : vérifiez les champs (taux 0 à 10000, dates, motif, source).",
            "إدخال غير صالح: تحققوا من الحقول (النسبة من 0 إلى 10000، التواريخ، السبب، المصدر).",
        ),
        _ => return None,
    };
    Some(lang.pick(fr, ar).to_owned())
}

#[derive(Deserialize)]
struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

#[derive(Deserialize)]
struct RuleForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    first_bp: String,
    #[serde(default)]
    monthly_bp: String,
    #[serde(default)]
    valid_from: String,
    #[serde(default)]
    source: String,
}

fn number(text: &str) -> Option<i64> {
    let text = text.trim();
    if text.is_empty() {
        Some(0)
    } else {
        text.parse().ok()
    }
}

fn invalid() -> StoreError {
    StoreError::Invalid("invalid form".to_owned())
}

async fn add_rule(
    State(state): State<WebState>,
    viewer: Viewer,
    Form(form): Form<RuleForm>,
) -> PageResult {
    let session = admin(&viewer)?;
    viewer.check_csrf(&form.csrf)?;
    let new = match (
        form.kind.parse::<SurchargeKind>().ok(),
        number(&form.first_bp),
        number(&form.monthly_bp),
        form_date(&form.valid_from),
    ) {
        (Some(kind), Some(first_bp), Some(monthly_bp), Some(valid_from)) => NewSurchargeRule {
            kind,
            first_bp,
            monthly_bp,
            valid_from,
            source: form.source,
        },
        _ => return outcome(&state, &viewer, Err(invalid())).await,
    };
    let result = state
        .store()
        .add_surcharge_rule(&actor(session), new)
        .await
        .map(|_| ());
    outcome(&state, &viewer, result).await
}

async fn confirm_rule(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(form): Form<CsrfOnly>,
) -> PageResult {
    let session = admin(&viewer)?;
    viewer.check_csrf(&form.csrf)?;
    let result = state
        .store()
        .confirm_surcharge_rule(&actor(session), id)
        .await;
    outcome(&state, &viewer, result).await
}

#[derive(Deserialize)]
struct PolicyForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    payment_days: String,
    #[serde(default)]
    declaration_days: String,
    #[serde(default)]
    grace_days: String,
    #[serde(default)]
    four_eyes: String,
}

async fn set_policy(
    State(state): State<WebState>,
    viewer: Viewer,
    Form(form): Form<PolicyForm>,
) -> PageResult {
    let session = admin(&viewer)?;
    viewer.check_csrf(&form.csrf)?;
    let days = |t: &str| t.trim().parse::<u32>().ok();
    let policy = match (
        days(&form.payment_days),
        days(&form.declaration_days),
        days(&form.grace_days),
        Amount::parse(&form.four_eyes.trim().replace(',', ".")).ok(),
    ) {
        (Some(payment_days), Some(declaration_days), Some(grace_days), Some(four_eyes)) => {
            SurchargePolicy {
                payment_days,
                declaration_days,
                grace_days,
                four_eyes,
            }
        }
        _ => return outcome(&state, &viewer, Err(invalid())).await,
    };
    let result = state
        .store()
        .set_surcharge_policy(&actor(session), policy)
        .await;
    outcome(&state, &viewer, result).await
}

#[derive(Deserialize)]
struct WaiveForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    affiliation: String,
    #[serde(default)]
    reason: String,
}

async fn waive(
    State(state): State<WebState>,
    viewer: Viewer,
    Form(form): Form<WaiveForm>,
) -> PageResult {
    let session = viewer.staff()?;
    viewer.check_csrf(&form.csrf)?;
    let store = state.store();
    let result = async {
        let employer = store
            .employer_id_by_affiliation(form.affiliation.trim())
            .await?;
        store
            .request_waiver(&actor(session), employer, &[], &form.reason)
            .await
            .map(|_| ())
    }
    .await;
    outcome(&state, &viewer, result).await
}

async fn approve(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(form): Form<CsrfOnly>,
) -> PageResult {
    let session = viewer.staff()?;
    viewer.check_csrf(&form.csrf)?;
    let result = state
        .store()
        .approve_waiver(&actor(session), id)
        .await
        .map(|_| ());
    outcome(&state, &viewer, result).await
}

#[derive(Deserialize)]
struct ReasonForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
}

async fn refuse(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(form): Form<ReasonForm>,
) -> PageResult {
    let session = viewer.staff()?;
    viewer.check_csrf(&form.csrf)?;
    let result = state
        .store()
        .refuse_waiver(&actor(session), id, &form.reason)
        .await
        .map(|_| ());
    outcome(&state, &viewer, result).await
}

#[derive(Deserialize)]
struct AmnestyForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    accrued_from: String,
    #[serde(default)]
    accrued_to: String,
    #[serde(default)]
    principal_paid_by: String,
    #[serde(default)]
    plan_requested_by: String,
}

async fn create_amnesty(
    State(state): State<WebState>,
    viewer: Viewer,
    Form(form): Form<AmnestyForm>,
) -> PageResult {
    let session = admin(&viewer)?;
    viewer.check_csrf(&form.csrf)?;
    let plan_requested_by = form_date(&form.plan_requested_by);
    if plan_requested_by.is_none() && !form.plan_requested_by.trim().is_empty() {
        return outcome(&state, &viewer, Err(invalid())).await;
    }
    let new = match (
        form_date(&form.accrued_from),
        form_date(&form.accrued_to),
        form_date(&form.principal_paid_by),
    ) {
        (Some(accrued_from), Some(accrued_to), Some(principal_paid_by)) => NewAmnesty {
            name: form.name,
            accrued_from,
            accrued_to,
            principal_paid_by,
            plan_requested_by,
        },
        _ => return outcome(&state, &viewer, Err(invalid())).await,
    };
    let result = state
        .store()
        .create_amnesty(&actor(session), new)
        .await
        .map(|_| ());
    outcome(&state, &viewer, result).await
}

async fn apply_amnesty(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(form): Form<CsrfOnly>,
) -> PageResult {
    let session = admin(&viewer)?;
    viewer.check_csrf(&form.csrf)?;
    let result = state
        .store()
        .apply_amnesty(&actor(session), id)
        .await
        .map(|_| ());
    outcome(&state, &viewer, result).await
}

async fn reverse_amnesty(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(form): Form<ReasonForm>,
) -> PageResult {
    let session = admin(&viewer)?;
    viewer.check_csrf(&form.csrf)?;
    let result = state
        .store()
        .reverse_amnesty(&actor(session), id, &form.reason)
        .await
        .map(|_| ());
    outcome(&state, &viewer, result).await
}
