//! `tahsil serve` and `tahsil migrate`: the long-running service (web surface, scheduler,
//! notice worker) until a signal stops it, and the database migrations on their own.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;

use crate::config::Config;
use crate::web::AppState;
use crate::{app, web};

use super::instance_name;

/// Applies the migrations (and the default reference data) and says to which database.
pub(super) async fn migrate(config: Config) -> anyhow::Result<ExitCode> {
    let store = app::open_store(&config).await?;
    store.migrate().await?;
    println!(
        "migrations applied to the {} database",
        store.backend().as_str()
    );
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

/// `tahsil serve`: the web surface, the scheduler and the notice worker, until a signal.
pub(super) async fn serve(config: Config) -> anyhow::Result<ExitCode> {
    if config.admin_token.is_none() && !config.listen.ip().is_loopback() {
        anyhow::bail!(
            "refusing to serve the API on {} without a token: set TAHSIL_ADMIN_TOKEN, or listen on 127.0.0.1",
            config.listen
        );
    }
    let settings = crate::cycle::CycleSettings::from_config(&config)?;
    let mailer = crate::notices::mailer_from_config(&config)?;
    let notice_settings = crate::notices::settings_from_config(&config, &mailer);
    let store = app::open_store(&config).await?;
    store.migrate().await?;
    let web_options = web::WebOptions {
        cycle: Some(Arc::new(settings.clone())),
        secure_cookies: config.cookie_secure,
        due_dates: Some(config.due_date_schedule.clone()),
    };
    let (stop_scheduler, stopped) = tokio::sync::watch::channel(false);
    let scheduler = tokio::spawn(crate::cycle::scheduler::run_loop(
        store.clone(),
        settings,
        config.due_date_schedule.clone(),
        instance_name(),
        std::time::Duration::from_secs(30),
        stopped.clone(),
    ));
    let notices = tokio::spawn(crate::notices::run_loop(
        store.clone(),
        mailer,
        notice_settings,
        format!("{}:notices", instance_name()),
        stopped,
    ));
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let address = listener.local_addr()?;
    if config.admin_token.is_none() {
        tracing::warn!("no TAHSIL_ADMIN_TOKEN: the API is open to anyone on this machine");
    }
    tracing::info!(%address, backend = store.backend().as_str(), "tahsil is serving");
    println!("tahsil is serving on http://{address} (Ctrl-C to stop)");
    let state = AppState {
        store: store.clone(),
        admin_token: config.admin_token.clone().map(Arc::new),
    };
    web::serve_with(listener, state, web_options, shutdown_signal()).await?;
    let _ = stop_scheduler.send(true);
    let _ = scheduler.await;
    let _ = notices.await;
    store.close().await;
    Ok(ExitCode::SUCCESS)
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
