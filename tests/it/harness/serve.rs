//! `serve` itself, in this process — the web server, the scheduler loop, the notice
//! worker — on a clock the test moves by hand ([`Served`]), and [`wait_until`] for what
//! the service does on its own after a move.

use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use tahsil::cli::serve::{ServeOptions, serve_with};
use tahsil::clock::Clock;
use tahsil::config::{Config, Secret};
use tahsil::store::Store;

use super::{TestDb, test_key_base64};

/// A running `serve`: one instance of the service on a test database.
pub struct Served {
    pub address: SocketAddr,
    /// A store on the same database and clock, for the test's own reads and writes.
    pub store: Store,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl Served {
    /// The configuration `serve` runs with in tests: `db`, the test key, the admin token
    /// `admin-test-token`, and its exchange and mail folders under `folder` (instances of
    /// one fund share them).
    pub fn config(db: &TestDb, folder: &Path) -> Config {
        Config {
            database_url: db.url.clone(),
            encryption_key: Some(Secret::new(test_key_base64())),
            admin_token: Some(Secret::new("admin-test-token")),
            exchange_dir: folder.join("exchange"),
            mail_dir: Some(folder.join("mail")),
            database_max_connections: 5,
            ..Config::default()
        }
    }

    /// Starts `serve` with `config` on `clock`, as the instance `instance`. Its scheduler
    /// passes at start and whenever the clock is moved (its tick is an hour of real time):
    /// a test drives it by moving the clock — `advance(Duration::zero())` for one more
    /// pass on the same instant. Its notice worker looks for work every 200 ms.
    pub async fn start(db: &TestDb, config: Config, clock: &Clock, instance: &str) -> Served {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let options = ServeOptions {
            clock: clock.clone(),
            instance: instance.to_owned(),
            tick: Duration::from_secs(3600),
            notice_poll: Duration::from_millis(200),
        };
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (ready, is_ready) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            serve_with(
                config,
                options,
                listener,
                async move {
                    let _ = stopped.await;
                },
                move |_| {
                    let _ = ready.send(());
                },
            )
            .await
        });
        if is_ready.await.is_err() {
            let outcome = task.await.unwrap();
            panic!("serve did not start: {outcome:?}");
        }
        Served {
            address,
            store: db.store_with_clock(clock.clone()).await,
            stop: Some(stop),
            task: Some(task),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.address, path)
    }

    /// Stops the instance (as a signal would) and waits for it to end cleanly.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap().unwrap();
        }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Waits until `check` holds, asking again every 50 ms of real time; fails naming `what`
/// after 20 seconds.
pub async fn wait_until<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let give_up = std::time::Instant::now() + Duration::from_secs(20);
    while !check().await {
        assert!(
            std::time::Instant::now() < give_up,
            "still not true after 20 s: {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
