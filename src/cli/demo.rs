//! `tahsil demo`: a realistic demo fund in an embedded database, seeded deterministically
//! (employers with Arabic and French names, worksites across wilayas, RIB and CCP accounts
//! across real bank codes, signed mandates, a period of declarations), taken through one
//! collection cycle, then a summary. The generator (`seed`) also serves `tahsil seed` and
//! the tests (as `tahsil::demo`); it writes through the store only.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use mandates::{
    AccountId, AccountKind, Amount, Ccp, CollectionStatus, NoticeLanguage, Period, Rib,
};

use crate::app;
use crate::config::Config;
use crate::cycle::collect::{PlannedRun, Planning, plan_and_run};
use crate::locale::{Lang, Word};
use crate::store::{Actor, NoticeStatus, SeedEmployer, SeedWorksite, Store};

use super::{instance_name, previous_month};

/// What the demo made, for the summary.
#[derive(Debug, Default)]
pub struct DemoSummary {
    pub employers: u64,
    pub worksites: u64,
    pub bank_mandates: u64,
    pub postal_mandates: u64,
    pub declarations: u64,
    pub declared_total: Amount,
    pub period: String,
}

/// A small deterministic generator (SplitMix64) so every demo is the same demo.
#[derive(Debug)]
pub struct DemoRng(u64);

impl DemoRng {
    pub fn new(seed: u64) -> DemoRng {
        DemoRng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

const FRENCH_NAMES: &[&str] = &[
    "Bâtiment",
    "Travaux Publics",
    "Hydraulique",
    "Génie Civil",
    "Construction",
    "Réalisation",
    "Terrassement",
    "Ouvrages d'Art",
    "Routes et Ponts",
    "Promotion Immobilière",
];
const FAMILY_NAMES: &[(&str, &str)] = &[
    ("Benali", "بن علي"),
    ("Haddad", "حداد"),
    ("Boudiaf", "بوضياف"),
    ("Mansouri", "منصوري"),
    ("Khelifi", "خليفي"),
    ("Saadi", "سعدي"),
    ("Belkacem", "بلقاسم"),
    ("Zerrouki", "زروقي"),
    ("Amrani", "عمراني"),
    ("Taleb", "طالب"),
    ("Hamidi", "حميدي"),
    ("Cherif", "شريف"),
];
const ARABIC_ACTIVITIES: &[&str] = &[
    "للبناء",
    "للأشغال العمومية",
    "للري",
    "للهندسة المدنية",
    "للإنجاز",
    "للطرق والجسور",
];
const LEGAL_FORMS: &[&str] = &["SARL", "EURL", "SPA", "ETB", "EPE"];
const WILAYAS: &[&str] = &[
    "Alger",
    "Oran",
    "Constantine",
    "Sétif",
    "Blida",
    "Tizi Ouzou",
    "Béjaïa",
    "Annaba",
    "Batna",
    "Tlemcen",
    "Ouargla",
    "Ghardaïa",
    "Biskra",
    "Djelfa",
];
const SITE_KINDS: &[&str] = &[
    "Logements LPL",
    "Lycée",
    "Barrage",
    "Station d'épuration",
    "Route nationale",
    "Hôpital",
    "Réservoir",
    "Pont",
    "Cité universitaire",
    "Trémie",
];
/// Bank codes used for demo RIBs (real codes from the built-in table).
const DEMO_BANKS: &[&str] = &[
    "001", "002", "003", "004", "005", "010", "011", "021", "027", "032",
];

/// A valid account: about one employer in four pays from a postal account.
pub fn demo_account(rng: &mut DemoRng) -> AccountId {
    if rng.below(4) == 0 {
        let number = 1_000 + rng.below(99_998_999);
        let ccp = Ccp::from_number(number).expect("a CCP number below 10 digits");
        AccountId::Postal(ccp.to_rip())
    } else {
        let bank = rng.pick(DEMO_BANKS);
        let agency = format!("{:05}", rng.below(100_000));
        let account = format!("{:010}", rng.below(10_000_000_000));
        AccountId::Bank(
            Rib::from_parts(bank, &agency, &account).expect("generated parts are digits"),
        )
    }
}

/// Employers per database transaction when seeding.
const BATCH: u64 = 1_000;

/// Seeds `employers` employers with `worksites` worksites each, an active mandate and one
/// declaration for `period`, in batches (`Store::seed_batch`). `on_batch` is told how many
/// employers are done, for progress display.
pub async fn seed(
    store: &Store,
    employers: u64,
    worksites: u64,
    period: &str,
    seed: u64,
    mut on_batch: impl FnMut(u64),
) -> anyhow::Result<DemoSummary> {
    let actor = Actor::new("seed");
    let parsed = Period::parse(period).map_err(anyhow::Error::msg)?;
    let mut rng = DemoRng::new(seed);
    let mut summary = DemoSummary {
        period: period.to_owned(),
        ..DemoSummary::default()
    };
    let mut index = 0u64;
    while index < employers {
        let end = (index + BATCH).min(employers);
        let batch: Vec<SeedEmployer> = (index..end)
            .map(|i| generate_employer(&mut rng, i, worksites.max(1)))
            .collect();
        for employer in &batch {
            match employer.account.kind() {
                AccountKind::Bank => summary.bank_mandates += 1,
                AccountKind::Postal => summary.postal_mandates += 1,
            }
        }
        let counts = store
            .seed_batch(&actor, parsed, &batch)
            .await
            .with_context(|| format!("seeding employers {index}..{end}"))?;
        summary.employers += counts.employers;
        summary.worksites += counts.worksites;
        summary.declarations += counts.employers;
        summary.declared_total = summary
            .declared_total
            .checked_add(counts.declared)
            .context("the declared total overflowed")?;
        index = end;
        on_batch(index);
    }
    Ok(summary)
}

/// One realistic employer: names in French and Arabic, worksites across wilayas, a RIB or
/// CCP account, monthly wages of 25,000–120,000 DA per worker.
fn generate_employer(rng: &mut DemoRng, index: u64, worksites: u64) -> SeedEmployer {
    let (family, family_ar) = *rng.pick(FAMILY_NAMES);
    let activity = rng.pick(FRENCH_NAMES);
    let form = rng.pick(LEGAL_FORMS);
    let activity_ar = rng.pick(ARABIC_ACTIVITIES);
    let affiliation = format!("{:02}{:07}", 1 + index % 48, 1_000_000 + index);
    let sites = (0..worksites)
        .map(|site| {
            let wilaya = rng.pick(WILAYAS);
            let headcount = 3 + rng.below(60) as i64;
            let wage_bill = headcount * (2_500_000 + rng.below(9_500_000) as i64);
            let outdoor_share = 40 + rng.below(61) as i64;
            SeedWorksite {
                code: format!("CH-{:03}", site + 1),
                name: format!("{} {}", rng.pick(SITE_KINDS), wilaya),
                wilaya: (*wilaya).to_owned(),
                headcount,
                wage_bill: Amount::from_centimes(wage_bill),
                bad_weather_base: Amount::from_centimes(wage_bill * outdoor_share / 100),
            }
        })
        .collect();
    SeedEmployer {
        name: format!("{form} {activity} {family}"),
        name_ar: format!("مؤسسة {family_ar} {activity_ar}"),
        email: format!("comptabilite+{affiliation}@demo.tahsil.dz"),
        language: NoticeLanguage::ALL[rng.below(NoticeLanguage::ALL.len() as u64) as usize],
        account: demo_account(rng),
        affiliation_number: affiliation,
        worksites: sites,
    }
}

/// The password of every demo login (a demo database only: printed in the summary).
pub const DEMO_PASSWORD: &str = "tahsil-demo-2026";

/// Creates the demo's logins: a finance officer, an employer user for each of the first
/// two employers, and an accountant acting for the second and third. Returns
/// (email, role, what it sees) for the summary.
pub async fn create_demo_users(store: &Store) -> anyhow::Result<Vec<(String, String, String)>> {
    use crate::store::{NewUser, Role};
    let actor = Actor::new("demo");
    let employers = store.list_employers(0, 3).await?;
    let mut plan: Vec<(String, Role, Vec<String>)> = vec![
        (
            "finance@demo.tahsil.dz".to_owned(),
            Role::Finance,
            Vec::new(),
        ),
        ("admin@demo.tahsil.dz".to_owned(), Role::Admin, Vec::new()),
    ];
    for (i, employer) in employers.iter().take(2).enumerate() {
        plan.push((
            format!("employeur{}@demo.tahsil.dz", i + 1),
            Role::Employer,
            vec![employer.affiliation_number.clone()],
        ));
    }
    if employers.len() >= 3 {
        plan.push((
            "cabinet@demo.tahsil.dz".to_owned(),
            Role::Employer,
            employers[1..3]
                .iter()
                .map(|e| e.affiliation_number.clone())
                .collect(),
        ));
    }
    let mut made = Vec::new();
    for (email, role, affiliations) in plan {
        store
            .create_user(
                &actor,
                NewUser {
                    email: email.clone(),
                    display_name: String::new(),
                    role,
                    password: DEMO_PASSWORD.to_owned(),
                    employers: affiliations.clone(),
                },
            )
            .await
            .with_context(|| format!("creating the demo user {email}"))?;
        let sees = if role == Role::Admin {
            "the console, rates and users".to_owned()
        } else if affiliations.is_empty() {
            "the finance console".to_owned()
        } else {
            format!("employer(s) {}", affiliations.join(", "))
        };
        made.push((email, role.as_str().to_owned(), sees));
    }
    Ok(made)
}

/// Removes a previous demo database in `dir` (the key file is kept), so `demo` can be
/// run again and always shows the same fresh fund.
pub fn reset_demo_database(dir: &Path) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the demo folder {}", dir.display()))?;
    let db = dir.join("tahsil.db");
    for suffix in ["", "-wal", "-shm"] {
        let mut path = db.clone().into_os_string();
        path.push(suffix);
        let path = PathBuf::from(path);
        if path.exists() {
            std::fs::remove_file(&path)
                .with_context(|| format!("cannot remove the old demo file {}", path.display()))?;
        }
    }
    // A folder configured by hand is not the demo's to reset.
    let config_file = dir.join("tahsil.toml");
    if let Ok(text) = std::fs::read_to_string(&config_file)
        && !text.starts_with(DEMO_CONFIG_HEADER)
    {
        anyhow::bail!(
            "{} holds a configuration not written by the demo; give `demo --dir` a folder of its own",
            config_file.display()
        );
    }
    // The previous demo's files go with its database: a second demo's bank answers would
    // otherwise be taken for files already answered.
    let exchange = dir.join("exchange");
    if exchange.exists() {
        std::fs::remove_dir_all(&exchange).with_context(|| {
            format!(
                "cannot remove the old demo exchange folder {}",
                exchange.display()
            )
        })?;
    }
    // The previous demo's notices go with its database.
    if let Ok(entries) = std::fs::read_dir(dir.join("mail")) {
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with("notice-") && name.ends_with(".eml") {
                std::fs::remove_file(entry.path()).with_context(|| {
                    format!(
                        "cannot remove the old demo notice {}",
                        entry.path().display()
                    )
                })?;
            }
        }
    }
    Ok(db)
}

/// `tahsil demo`: the fund seeded, one collection cycle run, answered by the simulated
/// bank, reconciled and its notices delivered, then a summary and how to browse it.
pub(super) async fn demo(
    mut config: Config,
    dir: PathBuf,
    employers: u64,
    worksites: u64,
    explicit_database: bool,
) -> anyhow::Result<ExitCode> {
    if employers == 0 {
        anyhow::bail!("--employers must be at least 1");
    }
    if config.mail_dir.is_none() {
        config.mail_dir = Some(dir.join("mail"));
    }
    let mailer = crate::notices::mailer_from_config(&config)?;
    if !explicit_database {
        let db = reset_demo_database(&dir)?;
        config.database_url = format!("sqlite://{}", db.display());
        config.key_file = None;
        config.encryption_key = None;
    }
    // The demo's one clock (`clock`, TAHSIL_CLOCK, else the real time): it moves to the
    // collection date for the bank's answers, so nothing is paid after the demo's today.
    let clock = app::clock(&config);
    let store = app::create_or_open_store_with_clock(&config, clock.clone()).await?;
    store.migrate().await?;
    let today = clock.today();
    let period = previous_month(today);
    let started = std::time::Instant::now();
    let summary = seed(&store, employers, worksites, &period, 2026, |_| {}).await?;
    let seeded_in = started.elapsed();
    config.exchange_dir = dir.join("exchange");
    let settings = crate::cycle::CycleSettings::from_config(&config)?;
    let calendar = store.calendar().await?;
    let due = config
        .due_date_schedule
        .next_collection_date(today, &calendar, &settings.policy)
        .context("the due-date schedule has no date within a year")?;
    let actor = crate::store::Actor::new("demo");
    let date = due.collection_date;
    let mut planned_in = std::time::Duration::ZERO;
    let PlannedRun { planning, run } = plan_and_run(
        &store,
        &settings,
        &actor,
        date,
        today,
        &instance_name(),
        &crate::progress::Progress::new(),
        |_| planned_in = started.elapsed() - seeded_in,
    )
    .await?;
    // The date was chosen by the same notice rule: it is always planned.
    let Planning::Planned(plan) = planning else {
        anyhow::bail!(
            "{} is too close for the advance notice: nothing was planned",
            crate::locale::written_day(date)
        );
    };
    // The simulated bank answers on the collection date; its reports are imported then:
    // the demo's clock goes there first (the evening, after the bank wrote its reports at
    // 18:00), and the demo's fund lives on that day from then on — its configuration
    // carries the instant, so `serve` and the commands it suggests agree with the reports.
    if date > clock.today() {
        clock.set(
            crate::clock::start_of_algiers_day(date) + chrono::Duration::minutes(18 * 60 + 30),
        );
    }
    let sim = crate::cycle::banksim::BankSim {
        reject_per_mille: 50,
        return_per_mille: 20,
        transfer_reject_per_mille: 0,
        seed: 2026,
        today: date,
        layouts: settings.layouts,
    };
    let mut reports = 0;
    for institution in &settings.institutions {
        reports += sim
            .answer(
                &settings.folder(
                    institution.name.as_str(),
                    crate::cycle::exchange::Folder::Outbox,
                ),
                &settings.folder(
                    institution.name.as_str(),
                    crate::cycle::exchange::Folder::Inbox,
                ),
            )?
            .len();
    }
    let imports = crate::cycle::import::import_inboxes(&store, &settings, &actor, date).await?;
    let cycle_in = started.elapsed() - seeded_in - planned_in;
    // Every notice of the cycle is delivered before the demo ends (a mail server that is
    // down gets a minute; what it did not take stays queued for `serve`).
    let notice_settings = crate::notices::settings_from_config(&config, &mailer);
    crate::notices::deliver_all(
        &store,
        &mailer,
        &notice_settings,
        &format!("{}:notices", instance_name()),
        std::time::Duration::from_secs(60),
    )
    .await?;
    let mailed_in = started.elapsed() - seeded_in - planned_in - cycle_in;
    let counts = store.collection_counts(Some(date)).await?;
    let reasons = store.failure_reasons(date).await?;
    let notices = store.notice_counts().await?;
    let exceptions = store.exceptions(true).await?;
    let logins = create_demo_users(&store).await?;
    let retries: i64 = store
        .collection_counts(None)
        .await?
        .iter()
        .filter(|c| c.status == CollectionStatus::Planned)
        .map(|c| c.count)
        .sum();
    store.close().await;
    let url = crate::store::redact_url(&config.database_url);
    println!(
        "tahsil demo: one collection cycle of a demo fund (seeded in {}, planned in {}, filed, answered and reconciled in {})",
        super::seconds(seeded_in),
        super::seconds(planned_in),
        super::seconds(cycle_in)
    );
    println!("  database:      {url}");
    println!(
        "  employers:     {} with {} worksites; mandates: {} bank (RIB), {} postal (CCP), all signed",
        summary.employers, summary.worksites, summary.bank_mandates, summary.postal_mandates
    );
    println!(
        "  declarations:  {} for {}, total {}",
        summary.declarations,
        summary.period,
        super::money(summary.declared_total)
    );
    println!(
        "  collection:    {} debits on {} (due {}), {}: one per employer for all its worksites",
        plan.planned,
        crate::locale::written_day(date),
        crate::locale::written_day(due.nominal),
        super::money(plan.amount)
    );
    for channel in mandates::Channel::ALL {
        println!(
            "    {channel:<7} {} debits, {}",
            run.transactions(channel),
            super::money(run.amount(channel))
        );
    }
    println!("  files written:");
    for file in &run.files {
        println!(
            "    {}  ({}, {} debits, sha256 {}…)",
            file.path.display(),
            file.format,
            file.transactions,
            &file.sha256[..12]
        );
    }
    println!("  simulated bank: {reports} reports; imported:");
    for outcome in &imports {
        println!("    {}", outcome.line());
    }
    println!("  outcome on {}:", crate::locale::written_day(date));
    for c in &counts {
        println!(
            "    {:<7} {:<34} {:>6}  {}",
            c.channel,
            c.status.word(Lang::Fr),
            c.count,
            super::money(mandates::Amount::from_centimes(c.amount_centimes))
        );
    }
    for r in &reasons {
        println!(
            "    {}, {}: {}",
            r.status.word(Lang::Fr),
            r.category.word(Lang::Fr).to_lowercase(),
            r.count
        );
    }
    println!("  retries planned: {retries} debits re-presented later (insufficient funds)");
    println!("  exceptions for finance staff: {}", exceptions.len());
    let sent: i64 = notices
        .iter()
        .filter(|c| c.status == NoticeStatus::Sent)
        .map(|c| c.count)
        .sum();
    match mailer.transport() {
        crate::notices::Transport::Smtp { .. } => println!(
            "  notices:       {sent} sent through {} in {}, by kind:",
            mailer.transport().describe(),
            super::seconds(mailed_in)
        ),
        crate::notices::Transport::Folder(mail_dir) => println!(
            "  notices:       {sent} written as .eml files into {} in {}, by kind:",
            mail_dir.display(),
            super::seconds(mailed_in)
        ),
    }
    for c in &notices {
        println!(
            "    {:<24} {:<14} {:>6}",
            c.kind.word(Lang::Fr),
            c.status.word(Lang::Fr),
            c.count
        );
    }
    let undelivered: i64 = notices
        .iter()
        .filter(|c| c.status != NoticeStatus::Sent)
        .map(|c| c.count)
        .sum();
    if undelivered > 0 {
        println!(
            "    ({undelivered} not delivered: `tahsil notices --failed` lists them; `tahsil serve` retries the pending ones)"
        );
    }
    let config_file = write_demo_config(&dir, &config, &clock, explicit_database)?;
    let run_with = match &config_file {
        Some(file) => format!("--config {}", file.display()),
        None => format!("--database-url {url}"),
    };
    let demo_day = crate::locale::written_day(clock.today());
    println!("browse it:");
    println!("  cargo run --release -- {run_with} serve");
    match &config_file {
        Some(file) => println!(
            "  ({} holds the demo's database, exchange and mail folders, and its clock: the demo fund's today is {demo_day}), then http://127.0.0.1:8080/login — password {} for every demo login:",
            file.display(),
            DEMO_PASSWORD
        ),
        None => println!(
            "  (with TAHSIL_EXCHANGE_DIR={} for file downloads, and TAHSIL_CLOCK={} for the demo fund's today, {demo_day}), then http://127.0.0.1:8080/login — password {} for every demo login:",
            dir.join("exchange").display(),
            demo_instant(&clock),
            DEMO_PASSWORD
        ),
    }
    for (email, role, sees) in &logins {
        println!("    {email:<28} {role:<9} {sees}");
    }
    println!(
        "  (administrators sign in in two steps: the admin login first sets it up with an authenticator app, on its account page)"
    );
    println!(
        "  the JSON API needs the admin token: start serve with TAHSIL_ADMIN_TOKEN=<a long random secret>, then"
    );
    println!(
        "  curl -H \"Authorization: Bearer $TAHSIL_ADMIN_TOKEN\" http://127.0.0.1:8080/api/v1/employers"
    );
    println!("  cargo run --release -- {run_with} exceptions");
    Ok(ExitCode::SUCCESS)
}

/// The first line of the demo's own configuration file: what `demo` may reset.
const DEMO_CONFIG_HEADER: &str =
    "# Written by `tahsil demo`: the demo fund's database and folders.";

/// The demo's own configuration, `DIR/tahsil.toml` (0600): its database, exchange and mail
/// folders as absolute paths, so `serve --config DIR/tahsil.toml` (and every command the
/// summary suggests) finds the files the demo wrote wherever it is started from. Not
/// written when the database was given on the command line (its URL may hold a password
/// and is the caller's to keep); `None` then.
/// The demo clock's instant as `clock` and TAHSIL_CLOCK take it (RFC 3339, its offset).
fn demo_instant(clock: &crate::clock::Clock) -> String {
    let now = clock.now();
    let offset = (mandates::algiers_time(now) - now.naive_utc()).num_seconds();
    let algiers = i32::try_from(offset)
        .ok()
        .and_then(chrono::FixedOffset::east_opt);
    match algiers {
        Some(zone) => now
            .with_timezone(&zone)
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
        None => now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    }
}

/// The demo's own configuration also carries its clock (`clock`): the instant the demo
/// ended on, whose day is the collection date the simulated bank answered on, so the
/// reports are never dated after the fund's today. Without a clock set before the demo,
/// that is the real time when the collection date is today.
fn write_demo_config(
    dir: &Path,
    config: &Config,
    clock: &crate::clock::Clock,
    explicit_database: bool,
) -> anyhow::Result<Option<PathBuf>> {
    #[derive(serde::Serialize)]
    struct DemoConfig {
        database_url: String,
        exchange_dir: PathBuf,
        #[serde(skip_serializing_if = "Option::is_none")]
        mail_dir: Option<PathBuf>,
        clock: String,
    }
    if explicit_database {
        return Ok(None);
    }
    let absolute = |path: &Path| {
        std::path::absolute(path)
            .with_context(|| format!("cannot resolve the demo path {}", path.display()))
    };
    let database = absolute(&dir.join("tahsil.db"))?;
    let wanted = DemoConfig {
        database_url: format!("sqlite://{}", database.display()),
        exchange_dir: absolute(&config.exchange_dir)?,
        mail_dir: config.mail_dir.as_deref().map(absolute).transpose()?,
        clock: demo_instant(clock),
    };
    let path = absolute(&dir.join("tahsil.toml"))?;
    let text = format!(
        "{DEMO_CONFIG_HEADER}\n# Use it with `tahsil --config {} serve`.\n{}",
        path.display(),
        toml::to_string(&wanted).context("cannot write the demo configuration")?
    );
    let mut file = crate::private::Access::PRIVATE
        .create(&path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    std::io::Write::write_all(&mut file, text.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(Some(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_accounts_are_valid_and_deterministic() {
        let mut one = DemoRng::new(7);
        let mut two = DemoRng::new(7);
        let mut postal = 0;
        for _ in 0..500 {
            let a = demo_account(&mut one);
            let b = demo_account(&mut two);
            assert_eq!(a, b);
            // Whatever was generated parses back to itself.
            assert_eq!(AccountId::parse(a.digits()).unwrap(), a);
            if a.kind() == AccountKind::Postal {
                postal += 1;
            }
        }
        assert!(
            (60..=190).contains(&postal),
            "about a quarter postal, got {postal}"
        );
    }
}
