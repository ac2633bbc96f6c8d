//! The payment allocation order on the console (issue 16): `/console/allocation-order`
//! shows the order in which money received pays what an employer owes
//! (`allocation_policy`) with what each choice means, and the changes made to it (the
//! audit trail: when, who, which order). Finance staff read it; administrators change it,
//! as they change the surcharge policy — a form with its CSRF token, POST/redirect/GET, the
//! store auditing the change. The command line's `tahsil surcharges allocation-order`
//! does the same.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use serde::Deserialize;

use super::{actor, actor_words, admin, is_admin, nav};
use crate::locale::{Lang, Word, page_moment};
use crate::store::AllocationOrder;
use crate::web::WebState;
use crate::web::session::{Chrome, PageResult, Viewer, see_other};

pub(super) fn router() -> Router<WebState> {
    Router::new().route("/console/allocation-order", get(page).post(change))
}

/// The page's words, French then Arabic.
struct Texts {
    title: &'static str,
    hint: &'static str,
    current: &'static str,
    choices: &'static str,
    save: &'static str,
    admin_only: &'static str,
    history: &'static str,
    when: &'static str,
    who: &'static str,
    order: &'static str,
    never_changed: &'static str,
    done: &'static str,
    invalid: &'static str,
    back: &'static str,
}

const FR: Texts = Texts {
    title: "Ordre d'imputation des paiements",
    hint: "L'argent reçu d'un employeur par un autre moyen que le prélèvement (virement, chèque, guichet) et son crédit paient ce qu'il doit dans cet ordre. Un élément n'est jamais payé en partie : l'imputation s'arrête au premier qu'elle ne peut pas payer en entier, le reste demeure un crédit. Un changement vaut pour les paiements à venir ; ce qui est déjà imputé ne change pas.",
    current: "Ordre en vigueur :",
    choices: "Les choix",
    save: "Enregistrer l'ordre",
    admin_only: "Seuls les administrateurs modifient l'ordre d'imputation.",
    history: "Modifications",
    when: "Quand",
    who: "Par",
    order: "Ordre choisi",
    never_changed: "Jamais modifié : l'ordre livré s'applique.",
    done: "Ordre d'imputation enregistré.",
    invalid: "Choisissez l'un des trois ordres proposés.",
    back: "Retour aux majorations",
};

const AR: Texts = Texts {
    title: "ترتيب تخصيص المدفوعات",
    hint: "المبالغ التي يتلقاها الصندوق من المستخدِم بغير الاقتطاع (تحويل، صك، شباك) ورصيده الدائن تسدد ما عليه بهذا الترتيب. لا يُسدَّد أي عنصر جزئياً: يتوقف التخصيص عند أول عنصر لا يمكن تسديده كاملاً، ويبقى الباقي رصيداً دائناً. يسري التغيير على المدفوعات القادمة، ولا يتغير ما خُصِّص من قبل.",
    current: "الترتيب الساري:",
    choices: "الخيارات",
    save: "حفظ الترتيب",
    admin_only: "يعدّل المديرون وحدهم ترتيب التخصيص.",
    history: "التعديلات",
    when: "متى",
    who: "من طرف",
    order: "الترتيب المختار",
    never_changed: "لم يُعدَّل قط: يسري الترتيب الأصلي.",
    done: "تم حفظ ترتيب التخصيص.",
    invalid: "اختاروا أحد الترتيبات الثلاثة المقترحة.",
    back: "العودة إلى الزيادات",
};

fn texts(lang: Lang) -> &'static Texts {
    match lang {
        Lang::Fr => &FR,
        Lang::Ar => &AR,
    }
}

/// What a choice means, in a sentence.
fn explanation(order: AllocationOrder, lang: Lang) -> &'static str {
    let (fr, ar) = match order {
        AllocationOrder::PrincipalFirst => (
            "Toutes les cotisations dues d'abord, les plus anciennes en premier, puis les majorations. Le principal payé arrête les mois de retard supplémentaires. C'est l'ordre livré.",
            "كل الاشتراكات المستحقة أولاً، الأقدم فالأحدث، ثم الزيادات. تسديد الأصل يوقف أشهر التأخير الإضافية. هذا هو الترتيب الأصلي.",
        ),
        AllocationOrder::OldestFirst => (
            "Cotisations et majorations ensemble, par date : la dette la plus ancienne est payée la première (une cotisation avant une majoration du même jour).",
            "الاشتراكات والزيادات معاً حسب التاريخ: يُسدَّد الدين الأقدم أولاً (الاشتراك قبل الزيادة المسجلة في اليوم نفسه).",
        ),
        AllocationOrder::SurchargesFirst => (
            "Les majorations d'abord, les plus anciennes en premier, puis les cotisations. Le principal reste dû plus longtemps et peut faire courir de nouveaux mois de retard.",
            "الزيادات أولاً، الأقدم فالأحدث، ثم الاشتراكات. يبقى الأصل مستحقاً مدة أطول وقد تترتب عليه أشهر تأخير جديدة.",
        ),
    };
    lang.pick(fr, ar)
}

struct Choice {
    code: &'static str,
    word: &'static str,
    explanation: &'static str,
    chosen: bool,
}

struct Change {
    when: String,
    who: String,
    order: &'static str,
}

#[derive(Template)]
#[template(path = "web/console/allocation_order.html")]
struct OrderPage {
    c: Chrome,
    t: &'static Texts,
    admin: bool,
    current: &'static str,
    choices: Vec<Choice>,
    changes: Vec<Change>,
    notice: Option<&'static str>,
    error: Option<&'static str>,
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
    error: Option<&'static str>,
) -> PageResult {
    let lang = viewer.lang;
    let store = state.store();
    let current = store.allocation_order().await.map_err(|e| viewer.fail(e))?;
    let trail = store
        .audit_trail("allocation_policy", 1)
        .await
        .map_err(|e| viewer.fail(e))?;
    let who = actor_words(store, trail.iter().map(|e| e.actor.clone()).collect(), lang).await;
    // Newest first; an entry whose order no longer reads as one (never written so) is left out.
    let changes = trail
        .iter()
        .rev()
        .filter(|e| e.action == "allocation_policy.changed")
        .filter_map(|e| {
            let detail: serde_json::Value = serde_json::from_str(&e.detail).ok()?;
            let order = AllocationOrder::parse(detail.get("surcharge_order")?.as_str()?).ok()?;
            Some(Change {
                when: page_moment(&e.at),
                who: who.get(&e.actor).cloned().unwrap_or_default(),
                order: order.word(lang),
            })
        })
        .collect();
    let page = OrderPage {
        c: viewer.chrome(nav(viewer, "surcharges")),
        t: texts(lang),
        admin: is_admin(viewer),
        current: current.word(lang),
        choices: AllocationOrder::ALL
            .iter()
            .map(|o| Choice {
                code: o.as_str(),
                word: o.word(lang),
                explanation: explanation(*o, lang),
                chosen: *o == current,
            })
            .collect(),
        changes,
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

#[derive(Deserialize)]
struct OrderForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    order: String,
}

async fn change(
    State(state): State<WebState>,
    viewer: Viewer,
    Form(form): Form<OrderForm>,
) -> PageResult {
    let session = admin(&viewer)?;
    viewer.check_csrf(&form.csrf)?;
    let Ok(order) = AllocationOrder::parse(form.order.trim()) else {
        let invalid = texts(viewer.lang).invalid;
        return render(
            &state,
            &viewer,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            Some(invalid),
        )
        .await;
    };
    state
        .store()
        .set_allocation_order(&actor(session), order)
        .await
        .map_err(|e| viewer.fail(e))?;
    Ok(see_other("/console/allocation-order?done=1"))
}
