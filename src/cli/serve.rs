//! `tahsil serve` and `tahsil migrate`: the long-running service (web surface, scheduler,
//! notice worker, webhook worker) until a signal stops it, and the database migrations on their own.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;

use crate::clock::Clock;
use crate::config::Config;
use crate::web::AppState;
use crate::{app, web};

use super::instance_name;

/// Applies the migrations (and the default reference data) and says to which database.
pub(super) async fn migrate(config: Config) -> anyhow::Result<ExitCode> {
    let store = app::create_or_open_store(&config).await?;
    store.migrate().await?;
    println!(
        "migrations applied to the {} database",
        store.backend().as_str()
    );
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

/// How `serve` paces itself — real time, unlike the business time of its clock — and
/// which clock it reads. The command line takes [`ServeOptions::from_config`]; a test
/// gives its own clock (moved by hand) and short pauses.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    /// "Now" for everything the service does (the store, scheduler, workers and pages).
    pub clock: Clock,
    /// This instance's name in leases and job locks (unique among the instances).
    pub instance: String,
    /// The pause between scheduler passes (a move of the clock by hand ends it early).
    pub tick: std::time::Duration,
    /// How often an idle notice worker looks for new notices.
    pub notice_poll: std::time::Duration,
}

impl ServeOptions {
    /// The configured clock (`clock`, `TAHSIL_CLOCK`, `--clock`), a pass every 30 seconds.
    pub fn from_config(config: &Config) -> ServeOptions {
        ServeOptions {
            clock: app::clock(config),
            instance: instance_name(),
            tick: std::time::Duration::from_secs(30),
            notice_poll: crate::notices::NoticeSettings::default().poll,
        }
    }
}

/// The shortest admin token `serve` accepts: a machine credential, at least 32 characters
/// (`openssl rand -base64 32` gives 44).
pub const ADMIN_TOKEN_MIN_CHARS: usize = 32;

/// Refuses an admin token too short to be a random secret: it guards every employer and
/// mandate through the admin API, which has no second factor (ARCHITECTURE.md, *Security*).
pub fn check_admin_token(config: &Config) -> anyhow::Result<()> {
    if let Some(token) = &config.admin_token {
        let length = token.expose().trim().chars().count();
        if length < ADMIN_TOKEN_MIN_CHARS {
            anyhow::bail!(
                "the admin token (admin_token, TAHSIL_ADMIN_TOKEN) has {length} characters: it must \
                 have at least {ADMIN_TOKEN_MIN_CHARS}; set a random one, e.g. the output of \
                 `openssl rand -base64 32`, and give it only to the systems that call the admin API"
            );
        }
    }
    Ok(())
}

/// `tahsil serve`: the web surface, the scheduler and the notice worker, until a signal.
pub(super) async fn serve(config: Config) -> anyhow::Result<ExitCode> {
    check_admin_token(&config)?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let options = ServeOptions::from_config(&config);
    serve_with(config, options, listener, shutdown_signal(), |address| {
        println!("tahsil is serving on http://{address} (Ctrl-C to stop)");
    })
    .await?;
    Ok(ExitCode::SUCCESS)
}

/// The service itself, on `listener`, until `shutdown` resolves: migrates, then runs the
/// web server, the scheduler loop and the notice worker side by side, all on the
/// options' clock. `ready` is told the address once everything runs.
pub async fn serve_with(
    config: Config,
    options: ServeOptions,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ready: impl FnOnce(std::net::SocketAddr),
) -> anyhow::Result<()> {
    let address = listener.local_addr()?;
    if config.insecure_open_admin_api_on_loopback && !address.ip().is_loopback() {
        anyhow::bail!(
            "refusing insecure_open_admin_api_on_loopback on {address}: it is for development on 127.0.0.1 only; \
             remove it and set TAHSIL_ADMIN_TOKEN"
        );
    }
    let settings = crate::cycle::CycleSettings::from_config(&config)?;
    let mailer = crate::notices::mailer_from_config(&config)?;
    let notice_settings = crate::notices::NoticeSettings {
        poll: options.notice_poll,
        ..crate::notices::settings_from_config(&config, &mailer)
    };
    let store = app::create_or_open_store_with_clock(&config, options.clock)
        .await?
        .with_password_gate(crate::store::PasswordGate::new(
            config.login_concurrency,
            config.login_queue_ms,
        ));
    store.migrate().await?;
    let web_options = web::WebOptions {
        cycle: Some(Arc::new(settings.clone())),
        secure_cookies: config.cookie_secure,
        due_dates: Some(config.due_date_schedule.clone()),
        metrics_token: config.metrics_token.clone().map(Arc::new),
        open_admin_api_on_loopback: config.insecure_open_admin_api_on_loopback
            && config.admin_token.is_none(),
        trusted_proxies: config.trusted_proxies.clone(),
        portal_url: config.portal_url.clone(),
        attestations: crate::store::AttestationPolicy {
            validity_months: config.attestation_validity_months,
        },
    };
    let (stop_scheduler, stopped) = tokio::sync::watch::channel(false);
    let scheduler = tokio::spawn(crate::cycle::scheduler::run_loop(
        store.clone(),
        settings,
        config.due_date_schedule.clone(),
        options.instance.clone(),
        options.tick,
        stopped.clone(),
    ));
    let webhooks = tokio::spawn(crate::webhooks::run_loop(
        store.clone(),
        crate::webhooks::WebhookSettings::default(),
        format!("{}:webhooks", options.instance),
        stopped.clone(),
    ));
    let notices = tokio::spawn(crate::notices::run_loop(
        store.clone(),
        mailer,
        notice_settings,
        format!("{}:notices", options.instance),
        stopped,
    ));
    match (
        &config.admin_token,
        config.insecure_open_admin_api_on_loopback,
    ) {
        (None, true) => tracing::warn!(
            "INSECURE: insecure_open_admin_api_on_loopback is set and there is no admin token: \
             anyone on this machine can read and change every employer and mandate through the \
             admin API; for development only"
        ),
        (None, false) => tracing::warn!(
            "no TAHSIL_ADMIN_TOKEN: the admin API answers 401 to every request until one is set"
        ),
        (Some(_), true) => {
            tracing::warn!("insecure_open_admin_api_on_loopback is ignored: an admin token is set")
        }
        (Some(_), false) => {}
    }
    // The creditor accounts ship with example values so that `demo` works out of the box;
    // real files crediting them would go nowhere the fund can use.
    let example = crate::config::Config::default();
    for (setting, value, shipped) in [
        (
            "creditor_account (TAHSIL_CREDITOR_ACCOUNT)",
            &config.creditor_account,
            &example.creditor_account,
        ),
        (
            "creditor_postal_account (TAHSIL_CREDITOR_POSTAL_ACCOUNT)",
            &config.creditor_postal_account,
            &example.creditor_postal_account,
        ),
    ] {
        if value == shipped {
            tracing::warn!(
                "{setting} is still the shipped example: debit files would credit an account that \
                 is not the fund's; set it to the fund's own account before the first real run"
            );
        }
    }
    // Before bank profiles, an ISO `bank_format` alone wrote SEPA's codes (service level
    // SEPA, local instrument CORE); it now takes the default profile's, which has none.
    if config.bank_profile == example.bank_profile
        && config
            .bank_format
            .as_deref()
            .is_some_and(|format| format.starts_with("pain.008"))
    {
        tracing::warn!(
            "bank_format is set without bank_profile: debit files follow the {} profile (no SEPA \
             service level or local instrument codes); if the bank expects SEPA's codes as files \
             before bank profiles carried them, set bank_profile = \"sepa\"",
            config.bank_profile
        );
    }
    if config.metrics_token.is_none() {
        tracing::info!("no TAHSIL_METRICS_TOKEN: /metrics is off (404)");
    }
    tracing::info!(%address, backend = store.backend().as_str(), "tahsil is serving");
    ready(address);
    let state = AppState {
        store: store.clone(),
        admin_token: config.admin_token.clone().map(Arc::new),
    };
    let served = web::serve_with(listener, state, web_options, shutdown).await;
    let _ = stop_scheduler.send(true);
    let _ = scheduler.await;
    let _ = notices.await;
    let _ = webhooks.await;
    store.close().await;
    served
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;

    #[test]
    fn an_admin_token_needs_32_characters() {
        let with = |token: Option<String>| Config {
            admin_token: token.map(Secret::new),
            ..Config::default()
        };
        assert!(
            check_admin_token(&with(None)).is_ok(),
            "no token: the API answers 401"
        );
        assert!(check_admin_token(&with(Some("x".repeat(32)))).is_ok());
        let error = check_admin_token(&with(Some("x".repeat(31))))
            .unwrap_err()
            .to_string();
        assert!(error.contains("has 31 characters"), "{error}");
        assert!(!error.contains("xxx"), "never the token: {error}");
        assert!(check_admin_token(&with(Some(format!(" {} ", "x".repeat(31))))).is_err());
    }
}
