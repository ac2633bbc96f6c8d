//! The finance console's screens over real HTTP, on both databases, with real data, one
//! file per screen as in `src/web/console`. Here: what several screens' tests share — a
//! staff member reading in French, a whole cycle, amounts as the pages write them.

mod allocation_order;
mod assessments;
mod calendar;
mod dashboard;
mod debit_totals;
mod debits;
mod employers;
mod exceptions;
mod jobs;
mod rates;
mod runs;
mod surcharges;
mod users;

use reqwest::StatusCode;
use tahsil::cycle::banksim::BankSim;
use tahsil::cycle::exchange::Folder;
use tahsil::cycle::import::import_inboxes;
use tahsil::cycle::run::run_date;
use tahsil::store::Role;

use crate::harness::fixtures::{actor, add_user, d, planned};
use crate::harness::{Browser, WebApp};

/// A signed-in staff member reading pages in French.
pub async fn french(app: &WebApp, email: &str, role: Role) -> (i64, Browser) {
    let id = add_user(&app.store, email, role, &[]).await;
    let browser = app.signed_in(email).await;
    let (status, _, _) = browser
        .post("/language", &[("lang", "fr"), ("back", "/console")])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    (id, browser)
}

/// `employers` seeded employers planned for 2026-12-15, run, answered by the simulated
/// bank (with rejects and returns) and imported.
pub async fn whole_cycle(app: &WebApp, employers: u64) {
    planned(&app.store, employers).await;
    let date = d(2026, 12, 15);
    run_date(&app.store, &app.settings, &actor(), date, "console")
        .await
        .unwrap();
    let sim = BankSim {
        reject_per_mille: 250,
        return_per_mille: 150,
        transfer_reject_per_mille: 0,
        seed: 11,
        today: date,
        layouts: app.settings.layouts,
    };
    for institution in &app.settings.institutions {
        sim.answer(
            &app.settings
                .folder(institution.name.as_str(), Folder::Outbox),
            &app.settings
                .folder(institution.name.as_str(), Folder::Inbox),
        )
        .unwrap();
    }
    import_inboxes(&app.store, &app.settings, &actor(), date)
        .await
        .unwrap();
}

pub fn money(centimes: i64) -> String {
    tahsil::web::format_money(mandates::Amount::from_centimes(centimes), "fr").unwrap()
}
